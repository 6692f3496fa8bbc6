/**
 * postinstall: repairs a defect of `@fastify/busboy` (3.2.x, the parser under @fastify/multipart)
 * that leaves a request unanswered forever. A part busboy skips (no content-disposition, a
 * disposition other than form-data, a file over the files limit, a part over the parts limit) is
 * only `resume()`d: the parser pushes its bytes into the part's buffer before the stream starts
 * flowing, and when 16 KB or more of it arrive in the chunk that also ends the part, the push says
 * "full", the parser pauses, and nothing ever asks for more (an ended stream is never read again),
 * so the body is never finished and the route's `for await (request.parts())` waits for good. The
 * body fuzzer (`test/http/fuzz-bodies.test.ts`) found it at the bond guarantee and window filing
 * routes; any upload route is exposed.
 *
 * The repair makes a skipped part flow the way busboy's own file and field parts do: a data
 * listener and the synchronous-read flag cleared, so each push is handed on at once and never
 * fills the buffer. Idempotent; a package whose code no longer matches is left alone with a
 * warning (then check whether upstream fixed it, and delete this script and its postinstall entry).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

const MARKER = '/* openhall: skipped parts flow */'
const SKIP = `  part.on('error', () => {})
  part.resume()
}`
const FLOWING_SKIP = `  part.on('error', () => {})
  ${MARKER}
  part._readableState.sync = false
  part.on('data', () => {})
  part.resume()
}`

/** The parser @fastify/multipart itself resolves (it may sit in a nested node_modules). */
function parserFile () {
  try {
    const multipart = createRequire(import.meta.url).resolve('@fastify/multipart')
    const entry = createRequire(multipart).resolve('@fastify/busboy')
    return path.join(path.dirname(entry), 'lib', 'types', 'multipart.js')
  } catch {
    return null // not installed: nothing to repair
  }
}

const file = parserFile()
if (file === null || !existsSync(file)) process.exit(0)
const source = readFileSync(file, 'utf8')
if (!source.includes(MARKER)) {
  if (source.split(SKIP).length !== 2) {
    process.stderr.write(`busboy-skipped-part: ${file} does not look like @fastify/busboy 3.2.x; not patched\n`)
  } else {
    writeFileSync(file, source.replace(SKIP, FLOWING_SKIP))
  }
}
