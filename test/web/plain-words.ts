/**
 * What a zh-CN reader sees of a page must be plain Chinese: no internal or constant code, no
 * English sentence, no status number, no template residue. The same reading as zh-leaks.test.ts
 * (text marked as another language, code to copy and what the reader typed are left out), for
 * tests that check one page, such as a refused form or a confirmation.
 */
const LEAKS: Array<[string, RegExp]> = [
  ['internal code', /\b[a-z]+(?:_[a-z]+)+\b/],
  ['constant code', /\b[A-Z]+(?:_[A-Z]+)+\b/],
  ['English sentence', /\b[A-Za-z]{2,}(?: [A-Za-z]{2,}){3,}\b/],
  ['status number', /\b(?:400|401|403|404|409|413|422|500)\b/],
  ['template residue', /\b(?:undefined|NaN|null)\b|\[object Object\]/]
]

/** The prose of a page: its text outside scripts, styles, code, typed text and parts marked as another language. */
function prose (html: string): string {
  const text = html
    .replace(/<(script|style|code|pre|kbd|samp|textarea)\b[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<(\w+)[^>]*\blang="(?!zh)[^"]*"[^>]*>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*?\b(?:aria-label|title|placeholder|alt)="([^"]*)"[^>]*>/gi, ' $1 ')
  return text.replace(/<[^>]+>/g, ' ').replace(/&[a-z#0-9]+;/gi, ' ').replace(/\s+/g, ' ')
}

/** Each leak found, with a little of the text around it. */
export function leaksIn (html: string): string[] {
  const text = prose(html)
  return LEAKS.flatMap(([kind, pattern]) => [...text.matchAll(new RegExp(pattern.source, 'g'))]
    .map((match) => `${kind}: “${text.slice(Math.max(0, match.index - 20), match.index + match[0].length + 20).trim()}”`))
}
