/** PEM blocks of a file the user picked, decoded in the browser (no Buffer there). */
export function pemBlocks (pem: string, label: string): Array<Uint8Array<ArrayBuffer>> {
  const pattern = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g')
  return [...pem.matchAll(pattern)].map((match) => Uint8Array.from(atob(match[1]!.replace(/\s+/g, '')), (char) => char.charCodeAt(0)))
}
