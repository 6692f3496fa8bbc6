/**
 * Message catalogues: zh-CN first, English second. Every UI string comes from here; templates
 * call `t(key, params)`. A missing key in one language falls back to zh-CN, then to the key.
 *
 * A language's catalogue is `i18n/<lang>.json` merged with the module catalogues in
 * `i18n/<lang>/*.json` (one per newer module, so a module's words sit in a file of their own);
 * a key defined twice is a mistake the start refuses.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'

export const LANGUAGES = ['zh-CN', 'en'] as const
export type Language = typeof LANGUAGES[number]
export const LANGUAGE_COOKIE = 'openhall_lang'

/** The catalogue files of a language: the main one first, then the module catalogues by name. */
export function catalogueFiles (language: Language): URL[] {
  const folder = new URL(`./i18n/${language}/`, import.meta.url)
  const modules = existsSync(folder) ? readdirSync(folder).filter((name) => name.endsWith('.json')).sort() : []
  return [new URL(`./i18n/${language}.json`, import.meta.url), ...modules.map((name) => new URL(name, folder))]
}

function loadCatalogue (language: Language): Record<string, string> {
  const merged: Record<string, string> = {}
  for (const file of catalogueFiles(language)) {
    for (const [key, text] of Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>)) {
      if (key in merged) throw new Error(`message ${key} is defined twice in the ${language} catalogues (${file.pathname})`)
      merged[key] = text
    }
  }
  return merged
}

const catalogues: Record<Language, Record<string, string>> = { 'zh-CN': loadCatalogue('zh-CN'), en: loadCatalogue('en') }

/** Every key of a language's catalogues (the tests compare the two languages). */
export function catalogueKeys (language: Language): string[] {
  return Object.keys(catalogues[language])
}

export type Translate = (key: string, params?: Record<string, string | number>) => string

export function translator (language: Language): Translate {
  const catalogue = catalogues[language]
  return (key, params) => {
    const template = catalogue[key] ?? catalogues['zh-CN'][key] ?? key
    return params ? template.replace(/\{(\w+)\}/g, (match, name: string) => String(params[name] ?? match)) : template
  }
}

/** The messages under a prefix, for a page script that labels what arrives live. */
export function messagesWithPrefix (language: Language, prefix: string): Record<string, string> {
  const t = translator(language)
  return Object.fromEntries(Object.keys(catalogues['zh-CN']).filter((key) => key.startsWith(prefix)).map((key) => [key, t(key)]))
}

export function hasMessage (key: string): boolean {
  return key in catalogues['zh-CN']
}

/** The cookie wins; otherwise English only when the browser prefers it over Chinese. */
export function pickLanguage (cookie: string | undefined, acceptLanguage: string | undefined): Language {
  if (cookie === 'en' || cookie === 'zh-CN') return cookie
  const preferred = (acceptLanguage ?? '').split(',')[0]?.trim().toLowerCase() ?? ''
  return preferred.startsWith('en') ? 'en' : 'zh-CN'
}
