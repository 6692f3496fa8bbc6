/** The postinstall repairs of the `postgres` driver share this: one file in each of its builds. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { packageRoot } from './package-root.mjs'

/**
 * Replaces, in `fileName` of each build of the driver (ESM, CommonJS, Cloudflare), every
 * `[from, to, count]` (`count` occurrences of `from` expected, 1 when not given). A build that
 * has `marker` is already repaired; one whose code does not match every `from` as expected is
 * left alone with a warning (the driver changed: the repair may have landed upstream).
 */
export function patchPostgresBuilds (script, fileName, marker, replacements) {
  const root = packageRoot('postgres')
  if (root === null) return // not installed: nothing to repair
  for (const build of ['src', 'cjs/src', 'cf/src']) {
    const file = path.join(root, build, fileName)
    if (!existsSync(file)) continue
    const source = readFileSync(file, 'utf8')
    if (source.includes(marker)) continue
    if (!replacements.every(([from, , count = 1]) => source.split(from).length - 1 === count)) {
      process.stderr.write(`${script}: ${file} does not look like postgres 3.4.x; not patched\n`)
      continue
    }
    writeFileSync(file, replacements.reduce((text, [from, to]) => text.replaceAll(from, to), source))
  }
}
