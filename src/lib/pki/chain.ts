/**
 * Certificate path validation, server side, on node:crypto's X509Certificate (native RSA and
 * ECDSA): a path from the signer up to a trust anchor, every link's signature, CA flags, validity
 * at the time that matters, and revocation. Paths are cached per (leaf, supplied certificates);
 * validity and revocation are re-checked on every call, as they change with time.
 */
import { createHash, X509Certificate } from 'node:crypto'
import { CertificateExpired, CertificateNotYetValid, CertificateRevoked, CertificateUntrusted } from './errors.ts'

export interface TrustStore {
  anchors: readonly X509Certificate[]
  /** CA certificates the platform knows (its issuing CA, imported intermediates) */
  intermediates: readonly X509Certificate[]
  /** true when the issuer has revoked this serial (lowercase hex, no leading zeros) */
  isRevoked (issuer: X509Certificate, serialHex: string): boolean
}

export interface VerifiedPath {
  /** leaf first, trust anchor last */
  chain: X509Certificate[]
}

const MAX_DEPTH = 6
const CACHE_LIMIT = 5_000

/** See serialToHex in ./x509-parts.ts: the same spelling. */
export function serialHex (certificate: X509Certificate): string {
  return certificate.serialNumber.toLowerCase().replace(/^0+(?=.)/, '')
}

function describe (certificate: X509Certificate): string {
  return `"${certificate.subject.replace(/\n/g, ', ')}"`
}

export function createPathValidator (getTrust: () => TrustStore) {
  const cache = new Map<string, X509Certificate[]>()
  let cachedFor: TrustStore | undefined

  function buildPath (leaf: X509Certificate, supplied: X509Certificate[], trust: TrustStore): X509Certificate[] {
    const anchors = new Set(trust.anchors.map((anchor) => anchor.fingerprint256))
    const candidates = [...trust.anchors, ...trust.intermediates, ...supplied]
    const chain = [leaf]
    let current = leaf
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      if (anchors.has(current.fingerprint256)) return chain
      const issuer = candidates.find((candidate) =>
        candidate.fingerprint256 !== current.fingerprint256 && candidate.ca && current.checkIssued(candidate) && current.verify(candidate.publicKey))
      if (!issuer) break
      chain.push(issuer)
      current = issuer
    }
    throw new CertificateUntrusted(describe(leaf))
  }

  /** Validates the certificate at `at` (the signing time for stored signatures, now for logins). */
  return function verifyPath (leafDer: Uint8Array, supplied: Uint8Array[], at: Date): VerifiedPath {
    const trust = getTrust()
    if (trust !== cachedFor) {
      cache.clear()
      cachedFor = trust
    }
    // keyed by the bytes, so a warm path costs one hash and no certificate parsing
    const hash = createHash('sha256').update(leafDer)
    for (const der of supplied) hash.update(der)
    const key = hash.digest('base64')
    let chain = cache.get(key)
    if (!chain) {
      chain = buildPath(new X509Certificate(leafDer), supplied.map((der) => new X509Certificate(der)), trust)
      if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string)
      cache.set(key, chain)
    }
    for (const certificate of chain) {
      if (Date.parse(certificate.validFrom) > at.getTime()) throw new CertificateNotYetValid(describe(certificate))
      if (Date.parse(certificate.validTo) < at.getTime()) throw new CertificateExpired(describe(certificate))
    }
    for (let index = 0; index < chain.length - 1; index++) {
      if (trust.isRevoked(chain[index + 1]!, serialHex(chain[index]!))) throw new CertificateRevoked(describe(chain[index]!))
    }
    return { chain }
  }
}

export type PathValidator = ReturnType<typeof createPathValidator>
