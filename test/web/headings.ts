/** Headings (h1–h6) of a served page that have no text of their own, e.g. left for a script to fill. */
export function emptyHeadings (html: string): string[] {
  const found: string[] = []
  for (const match of html.matchAll(/<(h[1-6])\b[^>]*>([\s\S]*?)<\/\1>/gi)) {
    const text = match[2]!.replace(/<[^>]*>/g, '').replace(/&nbsp;|\s/g, '')
    if (text === '') found.push(match[0])
  }
  return found
}
