/**
 * Files a page hands the user and the check that the user kept them: a download link over bytes
 * made in the page, and the SHA-256 of a file the user picks back from disk (WebCrypto).
 */

export function toBase64 (bytes: Uint8Array): string {
  let binary = ''
  for (let offset = 0; offset < bytes.length; offset += 0x8000) binary += String.fromCharCode(...bytes.subarray(offset, offset + 0x8000))
  return btoa(binary)
}

export async function sha256Hex (data: BufferSource): Promise<string> {
  return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', data)), (byte) => byte.toString(16).padStart(2, '0')).join('')
}

/** The SHA-256 of a file picked from disk, as the user's machine holds it now. */
export async function sha256OfFile (file: Blob): Promise<string> {
  return sha256Hex(await file.arrayBuffer())
}

/** Points a link at bytes made in the page; answers the object URL so it can be released. */
export function offerDownload (link: HTMLAnchorElement, name: string, content: BlobPart[], type: string): string {
  const url = URL.createObjectURL(new Blob(content, { type }))
  link.href = url
  link.download = name
  return url
}
