import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { acceptedEncoding } from '../../src/web/assets.ts'
import { supervisor } from '../factories/accounts.ts'
import { buildTestApp } from '../helper.ts'

const ASSETS = new URL('../../src/web/assets/', import.meta.url)
const PICO = createRequire(import.meta.url).resolve('@picocss/pico/css/pico.min.css')

/** The stylesheets, scripts and icons a page names, and the modules those scripts import (transitively). */
async function pageWeight (app: FastifyInstance, url: string, headers: Record<string, string> = {}) {
  const page = await app.inject({ method: 'GET', url, headers: { ...headers, 'accept-encoding': 'br' } })
  const html = brotliDecompressSync(page.rawPayload).toString()
  const pending = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1]!)
  const seen = new Map<string, number>()
  while (pending.length) {
    const address = pending.pop()!
    if (seen.has(address)) continue
    const asset = await app.inject({ method: 'GET', url: address, headers: { 'accept-encoding': 'br' } })
    if (asset.statusCode !== 200) throw new Error(`${address} answered ${asset.statusCode}`)
    seen.set(address, asset.rawPayload.length)
    const text = asset.headers['content-encoding'] === 'br' ? brotliDecompressSync(asset.rawPayload).toString() : asset.body
    for (const match of text.matchAll(/from '(\.\/[^']+)'/g)) pending.push(new URL(match[1]!, `http://x${address}`).pathname)
  }
  return { page, html, assets: seen, bytes: page.rawPayload.length + [...seen.values()].reduce((sum, size) => sum + size, 0) }
}

t.test('assets have content-addressed names, are cached for a year and sent compressed', async (t) => {
  const { app } = await buildTestApp(t)
  const home = await app.inject({ method: 'GET', url: '/' })
  const css = /href="(\/assets\/v\/([0-9a-f]{16})\/app\.css)"/.exec(home.body)
  t.ok(css, 'the page names its stylesheet by version')
  const [, address, version] = css!
  t.match(home.body, new RegExp(`href="/assets/v/${version}/vendor/pico\\.min\\.css"`))
  t.match(home.body, new RegExp(`<link rel="icon" href="/assets/v/${version}/favicon\\.svg"`))

  const source = readFileSync(new URL('app.css', ASSETS))
  const br = await app.inject({ method: 'GET', url: address!, headers: { 'accept-encoding': 'gzip, deflate, br' } })
  t.equal(br.statusCode, 200)
  t.equal(br.headers['content-encoding'], 'br')
  t.equal(br.headers['cache-control'], 'public, max-age=31536000, immutable')
  t.match(br.headers.vary, /accept-encoding/)
  t.match(br.headers['content-type'], /^text\/css/)
  t.same(brotliDecompressSync(br.rawPayload), source, 'brotli of the very bytes')
  t.ok(br.rawPayload.length < source.length / 2)
  const gz = await app.inject({ method: 'GET', url: address!, headers: { 'accept-encoding': 'gzip' } })
  t.equal(gz.headers['content-encoding'], 'gzip')
  t.same(gunzipSync(gz.rawPayload), source)
  const plain = await app.inject({ method: 'GET', url: address! })
  t.equal(plain.headers['content-encoding'], undefined)
  t.same(plain.rawPayload, source)
  const pico = await app.inject({ method: 'GET', url: `/assets/v/${version}/vendor/pico.min.css`, headers: { 'accept-encoding': 'br' } })
  t.same(brotliDecompressSync(pico.rawPayload), readFileSync(PICO))

  const again = await app.inject({ method: 'GET', url: address!, headers: { 'accept-encoding': 'br', 'if-none-match': String(br.headers.etag) } })
  t.equal(again.statusCode, 304)
  const older = await app.inject({ method: 'GET', url: '/assets/v/0123456789abcdef/app.css' })
  t.equal(older.statusCode, 302, 'an address of another release is sent on')
  t.equal(older.headers.location, address)
  t.equal((await app.inject({ method: 'GET', url: `/assets/v/${version}/nothing.js` })).statusCode, 404)
  t.equal((await app.inject({ method: 'GET', url: `/assets/v/${version}/../../config.ts` })).statusCode, 404)
  const icon = await app.inject({ method: 'GET', url: '/favicon.ico' })
  t.equal(icon.statusCode, 301)
  t.equal(icon.headers.location, `/assets/v/${version}/favicon.svg`)
  t.equal((await app.inject({ method: 'GET', url: '/assets/app.css' })).statusCode, 200, 'the plain address still answers')
})

t.test('the best encoding a browser accepts', async (t) => {
  t.equal(acceptedEncoding('gzip, deflate, br, zstd'), 'br')
  t.equal(acceptedEncoding('gzip;q=1.0, br;q=0'), 'gzip')
  t.equal(acceptedEncoding('identity'), 'identity')
  t.equal(acceptedEncoding(undefined), 'identity')
})

t.test('pages go compressed, and a page with its assets stays under 150 KB', async (t) => {
  const { app } = await buildTestApp(t)
  const watcher = await supervisor(app)
  for (const [url, headers] of [['/', {}], ['/login', {}], ['/notices', {}], ['/supervision', watcher.headers]] as const) {
    const { page, html, assets, bytes } = await pageWeight(app, url, headers)
    t.equal(page.statusCode, 200, url)
    t.equal(page.headers['content-encoding'], 'br', `${url} is sent compressed`)
    t.match(html, /<html lang="zh-CN"/)
    t.ok(assets.size >= 3, `${url} names its stylesheets and scripts (${assets.size})`)
    t.ok(bytes < 150 * 1024, `${url} weighs ${Math.round(bytes / 1024)} KB compressed with its assets`)
  }
})

t.test('a browser following a dead link gets a page; the API keeps problem+json', async (t) => {
  const { app } = await buildTestApp(t)
  const html = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
  const page = await app.inject({ method: 'GET', url: '/no-such-page?x=1', headers: { accept: html } })
  t.equal(page.statusCode, 404)
  t.match(page.headers['content-type'], /^text\/html/)
  t.match(page.body, /<html lang="zh-CN"/)
  t.match(page.body, /<h1>页面不存在<\/h1>/, 'a heading in words, not a status code')
  t.match(page.body, /页面不存在，或您无权查看。/)
  t.notMatch(page.body, /ROUTE_NOT_FOUND|Not Found|404/)
  const english = await app.inject({ method: 'GET', url: '/no-such-page', headers: { accept: html, 'accept-language': 'en' } })
  t.match(english.body, /<h1>Page not found<\/h1>/)

  const api = await app.inject({ method: 'GET', url: '/api/no-such-thing', headers: { accept: html } })
  t.equal(api.statusCode, 404)
  t.match(api.headers['content-type'], /^application\/problem\+json/)
  t.equal(api.json().code, 'ROUTE_NOT_FOUND')
  const script = await app.inject({ method: 'GET', url: '/no-such-page' })
  t.match(script.headers['content-type'], /^application\/problem\+json/, 'a client that does not ask for HTML gets problem+json')
  const post = await app.inject({ method: 'POST', url: '/no-such-page', headers: { accept: html } })
  t.match(post.headers['content-type'], /^application\/problem\+json/)
})
