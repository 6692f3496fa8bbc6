/**
 * Browser bundles of shared TypeScript (the sealed-bid format, CMS signing): built once per
 * process with esbuild from `src/web/client/<name>.ts` and served at /assets/bundles/<name>.js.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'

const here = path.dirname(fileURLToPath(import.meta.url))

export function serveBundle (app: FastifyInstance, name: string, production: boolean): void {
  let bundle: Promise<string> | undefined
  app.get(`/assets/bundles/${name}.js`, { config: { policy: 'public' } }, async (_request, reply) => {
    bundle ??= import('esbuild').then(async ({ build }) => {
      const entryPoints = [path.join(here, 'client', `${name}.ts`)]
      const result = await build({ entryPoints, bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, minify: production, legalComments: 'none' })
      return result.outputFiles[0]!.text
    })
    return reply.type('text/javascript; charset=utf-8').header('cache-control', production ? 'public, max-age=3600' : 'no-cache').send(await bundle)
  })
}
