/**
 * The site's own assets (src/web/assets, Pico CSS, the favicon) under one content-addressed
 * address, /assets/v/<version>/<name>: the version is a hash of every asset's name and bytes,
 * so a page names assets that can be cached for a year (immutable) and a release changes every
 * address at once. ES modules import each other by relative paths, which stay inside the same
 * version. Each asset is compressed once (brotli at its best quality, gzip) the first time it is
 * asked for, and served in the encoding the browser accepts.
 *
 * Outside production the table is read again when it is a second old, so edited assets show.
 * An address of another version (a page from an instance of the previous release) is sent on
 * to the current one rather than refused.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'

const here = path.dirname(fileURLToPath(import.meta.url))
const OWN_DIR = path.join(here, 'assets')
const PICO_CSS = createRequire(import.meta.url).resolve('@picocss/pico/css/pico.min.css')
const PREFIX = '/assets/v/'
const ONE_YEAR = 365 * 24 * 3600
const REREAD_MS = 1000

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml'
}

type Encoding = 'br' | 'gzip' | 'identity'

interface Asset {
  type: string
  body: Buffer
  /** compressed forms, made on first request */
  encoded: Partial<Record<Exclude<Encoding, 'identity'>, Promise<Buffer>>>
}

interface AssetTable {
  version: string
  assets: Map<string, Asset>
  readAt: number
}

function readTable (): AssetTable {
  const files: Array<[string, string]> = readdirSync(OWN_DIR)
    .filter((name) => TYPES[path.extname(name)])
    .map((name) => [name, path.join(OWN_DIR, name)])
  files.push(['vendor/pico.min.css', PICO_CSS])
  const hash = createHash('sha256')
  const assets = new Map<string, Asset>()
  for (const [name, file] of files.sort(([a], [b]) => (a < b ? -1 : 1))) {
    const body = readFileSync(file)
    hash.update(`${name}\n${body.length}\n`).update(body)
    assets.set(name, { type: TYPES[path.extname(name)]!, body, encoded: {} })
  }
  return { version: hash.digest('hex').slice(0, 16), assets, readAt: Date.now() }
}

let table: AssetTable | undefined
let production = true

function current (): AssetTable {
  if (!table || (!production && Date.now() - table.readAt > REREAD_MS)) table = readTable()
  return table
}

/** The address of one of the site's assets, e.g. assetUrl('app.css'). */
export function assetUrl (name: string): string {
  const { version, assets } = current()
  if (!assets.has(name)) throw new Error(`no asset named ${name}`)
  return `${PREFIX}${version}/${name}`
}

const compressBrotli = promisify(brotliCompress)
const compressGzip = promisify(gzip)

function encodedBody (asset: Asset, encoding: Encoding): Promise<Buffer> {
  if (encoding === 'identity') return Promise.resolve(asset.body)
  asset.encoded[encoding] ??= encoding === 'br'
    ? compressBrotli(asset.body, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: zlibConstants.BROTLI_MAX_QUALITY, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: asset.body.length } })
    : compressGzip(asset.body, { level: 9 })
  return asset.encoded[encoding]
}

/** The best encoding the request accepts (a q of 0 refuses one). */
export function acceptedEncoding (header: string | undefined): Encoding {
  const accepted = new Set<string>()
  for (const part of (header ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';')
    const q = params.map((param) => /^\s*q=([\d.]+)\s*$/.exec(param)?.[1]).find((value) => value !== undefined)
    if (name && (q === undefined || Number(q) > 0)) accepted.add(name)
  }
  if (accepted.has('br')) return 'br'
  if (accepted.has('gzip')) return 'gzip'
  return 'identity'
}

async function sendAsset (request: FastifyRequest<{ Params: { version: string, '*': string } }>, reply: FastifyReply) {
  const { version, assets } = current()
  const name = request.params['*']
  const asset = assets.get(name)
  if (!asset) return reply.callNotFound()
  if (request.params.version !== version) {
    return reply.header('cache-control', 'no-cache').redirect(`${PREFIX}${version}/${name}`, 302)
  }
  const encoding = acceptedEncoding(request.headers['accept-encoding'])
  const etag = `"${version}-${encoding}"`
  reply.header('cache-control', `public, max-age=${ONE_YEAR}, immutable`).header('vary', 'accept-encoding').header('etag', etag)
  if (request.headers['if-none-match'] === etag) return reply.code(304).send()
  if (encoding !== 'identity') reply.header('content-encoding', encoding)
  return reply.type(asset.type).send(await encodedBody(asset, encoding))
}

export const assetRoutes: FastifyPluginAsync<{ production: boolean }> = async (app, options) => {
  production = options.production
  app.get<{ Params: { version: string, '*': string } }>(`${PREFIX}:version/*`, { config: { policy: 'public' } }, sendAsset)
  // browsers ask for /favicon.ico before reading a page's icon link
  app.get('/favicon.ico', { config: { policy: 'public' }, schema: { hide: true } }, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=86400').redirect(assetUrl('favicon.svg'), 301))
}
