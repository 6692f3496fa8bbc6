/**
 * Message catalogues: zh-CN first, English second. Every UI string comes from here; templates
 * call `t(key, params)`. A missing key in one language falls back to zh-CN, then to the key.
 */
import { readFileSync } from 'node:fs'

export const LANGUAGES = ['zh-CN', 'en'] as const
export type Language = typeof LANGUAGES[number]
export const LANGUAGE_COOKIE = 'openhall_lang'

const catalogues: Record<Language, Record<string, string>> = {
  'zh-CN': JSON.parse(readFileSync(new URL('./i18n/zh-CN.json', import.meta.url), 'utf8')) as Record<string, string>,
  en: JSON.parse(readFileSync(new URL('./i18n/en.json', import.meta.url), 'utf8')) as Record<string, string>
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
