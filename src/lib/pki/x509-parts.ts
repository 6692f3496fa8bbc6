/**
 * The parts of an X.509 certificate that CMS needs (issuer and serial for the signer/recipient
 * identifier, the SubjectPublicKeyInfo for the key), read with forge's generic ASN.1 parser, so
 * it works for RSA and EC keys alike and in the browser too. Chain validation lives in
 * ./chain.ts (server side, node:crypto).
 */
import forge from 'node-forge'

export interface CertificateParts {
  /** DER of tbsCertificate, signatureAlgorithm and signatureValue */
  tbsDer: Uint8Array
  /** DER of the issuer Name */
  issuerDer: Uint8Array
  /** DER of the subject Name */
  subjectDer: Uint8Array
  /** the serial number's INTEGER content bytes (two's complement, as encoded) */
  serialBytes: Uint8Array
  /** serial as lowercase hex without leading zeros (serialToHex) */
  serialHex: string
  spkiDer: Uint8Array
  /** OID of the key algorithm (rsaEncryption 1.2.840.113549.1.1.1, id-ecPublicKey 1.2.840.10045.2.1, …) */
  keyAlgorithmOid: string
  notBefore: Date
  notAfter: Date
}

export class CertificateMalformed extends Error {
  constructor (detail: string) {
    super(`certificate is malformed: ${detail}`)
    this.name = 'CertificateMalformed'
  }
}

/** Bytes → forge's binary string, in slices (forge's own encoder overflows the stack past ~100 KB). */
export function toBinary (bytes: Uint8Array): string {
  let out = ''
  for (let offset = 0; offset < bytes.length; offset += 8192) out += String.fromCharCode(...bytes.subarray(offset, offset + 8192))
  return out
}

export const fromBinary = (binary: string): Uint8Array => forge.util.binary.raw.decode(binary)

export function derOf (node: forge.asn1.Asn1): Uint8Array {
  return fromBinary(forge.asn1.toDer(node).getBytes())
}

// forge accepts an options object here; its published types only know the older boolean form
const fromDer = forge.asn1.fromDer as unknown as (bytes: forge.util.ByteStringBuffer, options: { strict?: boolean, decodeBitStrings?: boolean, parseAllBytes?: boolean }) => forge.asn1.Asn1

/** Parses DER, and BER with indefinite lengths (`openssl cms -stream` output), strictly: truncated input and trailing bytes are refused. */
export function parseDer (der: Uint8Array, options: { strict?: boolean } = {}): forge.asn1.Asn1 {
  return fromDer(forge.util.createBuffer(toBinary(der)), { strict: options.strict ?? true, decodeBitStrings: false, parseAllBytes: true })
}

function children (node: forge.asn1.Asn1 | undefined, what: string): forge.asn1.Asn1[] {
  if (!node || !Array.isArray(node.value)) throw new CertificateMalformed(what)
  return node.value
}

function time (node: forge.asn1.Asn1 | undefined): Date {
  if (!node || typeof node.value !== 'string') throw new CertificateMalformed('validity')
  return node.type === forge.asn1.Type.UTCTIME ? forge.asn1.utcTimeToDate(node.value) : forge.asn1.generalizedTimeToDate(node.value)
}

export function certificateParts (der: Uint8Array): CertificateParts {
  let root: forge.asn1.Asn1
  try {
    root = parseDer(der)
  } catch (error) {
    throw new CertificateMalformed((error as Error).message)
  }
  const [tbs] = children(root, 'Certificate')
  const fields = children(tbs, 'tbsCertificate')
  // version is [0] EXPLICIT and optional (absent in v1 certificates)
  const offset = fields[0]?.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? 1 : 0
  const serial = fields[offset]
  const issuer = fields[offset + 2]
  const validity = children(fields[offset + 3], 'validity')
  const subject = fields[offset + 4]
  const spki = fields[offset + 5]
  if (!serial || typeof serial.value !== 'string' || !issuer || !subject || !spki) throw new CertificateMalformed('tbsCertificate')
  const algorithm = children(children(spki, 'subjectPublicKeyInfo')[0], 'algorithm')[0]
  if (!algorithm || typeof algorithm.value !== 'string') throw new CertificateMalformed('key algorithm')
  const serialBytes = fromBinary(serial.value)
  return {
    tbsDer: derOf(tbs!),
    issuerDer: derOf(issuer),
    subjectDer: derOf(subject),
    serialBytes,
    serialHex: serialToHex(serialBytes),
    spkiDer: derOf(spki),
    keyAlgorithmOid: forge.asn1.derToOid(algorithm.value),
    notBefore: time(validity[0]),
    notAfter: time(validity[1])
  }
}

/**
 * The one spelling of a serial number used for comparisons everywhere (database, CRLs, paths,
 * envelopes): lowercase hex of its value without leading zeros, as node's X509Certificate gives
 * it once its leading zeros are dropped.
 */
export function serialToHex (bytes: Uint8Array): string {
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
  return hex.replace(/^0+(?=.)/, '')
}

/** PEM (one or more blocks) or DER → DER blocks. */
export function pemToDer (pem: string, label = 'CERTIFICATE'): Uint8Array[] {
  const blocks: Uint8Array[] = []
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g')
  for (const match of pem.matchAll(re)) blocks.push(fromBinary(forge.util.decode64((match[1] ?? '').replace(/\s+/g, ''))))
  return blocks
}

export function derToPem (der: Uint8Array, label = 'CERTIFICATE'): string {
  const base64 = forge.util.encode64(toBinary(der))
  return `-----BEGIN ${label}-----\n${base64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`
}
