/** Where an installed package lives, for the postinstall patches beside this file. */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

/** The package's directory (its exports may hide package.json, so walk up from the entry point); null when not installed. */
export function packageRoot (name) {
  let entry
  try {
    entry = createRequire(import.meta.url).resolve(name)
  } catch {
    return null
  }
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json')
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === name) return dir
  }
  return null
}
