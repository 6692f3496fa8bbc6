/**
 * Decrypting at the opening with the certificate's private key instead of the secret file. The
 * room fetches the bidder's own sealed package (ciphertext, as anchored), this page opens its key
 * envelope (CMS EnvelopedData, RSA-OAEP) with the key file the bidder picks — imported into
 * WebCrypto as non-extractable — and opens the package here, which yields the content key and
 * the nonce and proves they work. The room then reveals them exactly as from a secret file: the
 * private key never leaves the page. Loaded by opening-room.js only when a bidder chooses this.
 */
import { decryptEnvelopedData } from '../../lib/cms/index.ts'
import { createError } from '../../lib/errors.ts'
import { webCrypto, webDecrypter } from '../../lib/pki/web-crypto.ts'
import { openBid, packageHeader, toHex } from '../../lib/sealed-bid/index.ts'
import { pemBlocks } from './pem.ts'
import { toBase64 } from './saved-files.ts'

/** The picked files are not a PEM certificate and an RSA PKCS#8 key (the only keys that open envelopes). */
export const KeyFilesUnusable = createError('KEY_FILES_UNUSABLE', 'The certificate or private key file cannot be used to decrypt', 400)
/** What the platform sent is not the package anchored at submission. */
export const PackageNotAnchored = createError('PACKAGE_NOT_ANCHORED', 'The package downloaded is not the one anchored at submission', 422)

export type Stage = 'downloading' | 'opening'

export interface RecoverInput {
  certificatePem: string
  keyPem: string
  /** the room's address of the bidder's own package */
  packageUrl: string
  /** the SHA-256 the room published for this bid at the freeze */
  expectedSha256: string | null
  onStage?: (stage: Stage) => void
}

async function * chunksOf (reader: ReadableStreamDefaultReader<Uint8Array>): AsyncGenerator<Uint8Array> {
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return
    yield value
  }
}

/** Recovers the content key (base64) and the nonce (hex) of the bidder's own sealed bid. */
export async function recoverSecret (input: RecoverInput): Promise<{ contentKey: string, nonce: string }> {
  const [certificate] = pemBlocks(input.certificatePem, 'CERTIFICATE')
  const [pkcs8] = pemBlocks(input.keyPem, 'PRIVATE KEY')
  if (!certificate || !pkcs8) throw new KeyFilesUnusable()
  // non-extractable: the key can unwrap on this page and nowhere else
  const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt'])
    .catch(() => { throw new KeyFilesUnusable() })

  input.onStage?.('downloading')
  const response = await fetch(input.packageUrl, { headers: { accept: 'application/octet-stream' }, cache: 'no-store' })
  if (!response.ok || !response.body) {
    const problem = await response.json().catch(() => ({})) as { code?: string, detail?: string }
    throw Object.assign(new Error(problem.detail ?? String(response.status)), { code: problem.code })
  }
  // one download read twice: the header (for the envelope) and then the whole package
  const [forHeader, forOpening] = response.body.tee()
  const headerReader = forHeader.getReader()
  const header = await packageHeader(chunksOf(headerReader)).finally(() => { headerReader.cancel().catch(() => {}) })
  input.onStage?.('opening')
  const contentKey = await decryptEnvelopedData({
    provider: webCrypto,
    der: Uint8Array.from(atob(header.keyEnvelope), (char) => char.charCodeAt(0)),
    decrypter: webDecrypter(certificate, privateKey)
  })
  try {
    const opened = await openBid({ provider: webCrypto, bytes: chunksOf(forOpening.getReader()), contentKey })
    if (input.expectedSha256 !== null && opened.package.sha256 !== input.expectedSha256) throw new PackageNotAnchored()
    return { contentKey: toBase64(contentKey), nonce: toHex(opened.nonce) }
  } finally {
    contentKey.fill(0)
  }
}
