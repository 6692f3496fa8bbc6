import { X509Certificate } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { sha256Hex } from '../../lib/crypto-bits.ts'
import { nodeCrypto } from '../../lib/pki/node-crypto.ts'
import { certificateParts } from '../../lib/pki/x509-parts.ts'
import { CommitmentMismatch, inspectPackage, openBid, type FileSink, type OpenedBid, type PackageInspection } from '../../lib/sealed-bid/index.ts'
import type { Clock } from '../../plugins/clock.ts'
import type { Database } from '../../plugins/db.ts'
import { fingerprintOf, type Pki, type VerifiedSigner } from '../../plugins/pki.ts'
import { revealedNonces } from '../../../schema/index.ts'
import { BidderNotRecipient, NonceReused, PackageChanged, RevealedNonceWrong, SignerMismatch } from './sealed-bids.errors.ts'

export interface SealedBidsDeps { db: Database, pki: Pki, clock: Clock }

export interface PrecheckReport {
  inspection: PackageInspection
  signer: VerifiedSigner
}

export interface AnchoredBid {
  /** SHA-256 of the package as received before the deadline */
  sha256: string
  /** commitment in the header as received */
  commitment: string
  /** fingerprint of the certificate that made the outer signature */
  signerFingerprint: string
  /** when the package was received (certificate validity is judged then) */
  receivedAt: Date
}

export function createSealedBidsService ({ db, pki }: SealedBidsDeps) {
  /**
   * What submission checks, without any key: a sealed package (never plaintext), well-formed to
   * the final chunk, signed (outer CMS over its SHA-256) by a trusted, valid, unrevoked bidder
   * certificate that is also a recipient of the key envelope.
   */
  async function precheck (input: {
    bytes: AsyncIterable<Uint8Array>
    outerSignature: Uint8Array
    maxBytes?: number
    /** the package's SHA-256 when another path hashes the same bytes (the object store) */
    digestOf?: () => Promise<string>
  }): Promise<PrecheckReport> {
    const inspected = await inspectPackage({ provider: nodeCrypto, bytes: input.bytes, maxBytes: input.maxBytes, digest: input.digestOf === undefined })
    const inspection = input.digestOf ? { ...inspected, sha256: await input.digestOf() } : inspected
    const verified = await pki.verifySignature({ cms: input.outerSignature, contentDigest: Buffer.from(inspection.sha256, 'hex') })
    const signer = certificateParts(verified.signer.certificateDer)
    const addressed = inspection.recipients.some((recipient) =>
      recipient.serialHex === signer.serialHex && Buffer.compare(Buffer.from(recipient.issuerDer), Buffer.from(signer.issuerDer)) === 0)
    if (!addressed) throw new BidderNotRecipient()
    return { inspection, signer: verified.signer }
  }

  /**
   * Opens a package at the opening and accepts it only if nothing changed since the deadline:
   * same bytes (SHA-256), same commitment, the revealed nonce is the sealed one and never used
   * before (for another reference), and the inner signature is by the bidder who submitted it.
   * Records the nonce last, so a refused opening stores nothing.
   */
  async function openAnchored (input: {
    bytes: AsyncIterable<Uint8Array>
    contentKey: Uint8Array
    /** hex; null when the key came from the escrow and the bidder revealed nothing */
    revealedNonce: string | null
    anchored: AnchoredBid
    reference: string
    onFile?: (file: { name: string, size: number }) => FileSink | undefined | Promise<FileSink | undefined>
  }): Promise<OpenedBid & { signerFingerprint: string }> {
    const opened = await openBid({ provider: nodeCrypto, bytes: input.bytes, contentKey: input.contentKey, onFile: input.onFile })
    if (opened.package.sha256 !== input.anchored.sha256) throw new PackageChanged()
    if (opened.header.commitment !== input.anchored.commitment) throw new CommitmentMismatch('the header is not the anchored one')
    const nonce = Buffer.from(opened.nonce).toString('hex')
    if (input.revealedNonce !== null && input.revealedNonce !== nonce) throw new RevealedNonceWrong()
    pki.verifyPath(opened.signerCertificate, [], input.anchored.receivedAt)
    const signerFingerprint = fingerprintOf(opened.signerCertificate)
    if (signerFingerprint !== input.anchored.signerFingerprint) {
      // a renewed certificate of the same bidder is fine; another holder is not
      const inner = new X509Certificate(opened.signerCertificate).subject
      throw new SignerMismatch(`inner signature by ${inner.replace(/\n/g, ', ')}`)
    }
    const nonceHash = sha256Hex(opened.nonce)
    const inserted = await db.insert(revealedNonces).values({ nonceHash, reference: input.reference })
      .onConflictDoNothing().returning()
    if (inserted.length === 0) {
      // the same bid opened again (a retry after a failure to record it) is not a reuse
      const [earlier] = await db.select({ reference: revealedNonces.reference }).from(revealedNonces).where(eq(revealedNonces.nonceHash, nonceHash))
      if (earlier?.reference !== input.reference) throw new NonceReused()
    }
    return { ...opened, signerFingerprint }
  }

  return { precheck, openAnchored }
}

export type SealedBidsService = ReturnType<typeof createSealedBidsService>
