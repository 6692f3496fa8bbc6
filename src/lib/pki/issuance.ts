/**
 * Building X.509 certificates, CRLs and reading CSRs, server side. The structures are assembled
 * with forge's ASN.1 and signed natively (node:crypto), so any subject key the CSR carries
 * (RSA, EC) can be certified; forge's own X.509 code only knows RSA keys.
 */
import { createHash, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto'
import forge from 'node-forge'
import { CrlInvalid, CsrInvalid } from './errors.ts'
import { derOf, fromBinary, parseDer, serialToHex, toBinary } from './x509-parts.ts'

const { create, Class, Type, oidToDer, derToOid } = forge.asn1

const OID = {
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  rsaEncryption: '1.2.840.113549.1.1.1',
  ecPublicKey: '1.2.840.10045.2.1',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  crlDistributionPoints: '2.5.29.31',
  crlNumber: '2.5.29.20',
  crlReason: '2.5.29.21',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  emailProtection: '1.3.6.1.5.5.7.3.4'
} as const

export const KEY_USAGES = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign'] as const
export type KeyUsage = typeof KEY_USAGES[number]

const oid = (value: string) => create(Class.UNIVERSAL, Type.OID, false, oidToDer(value).getBytes())
const integer = (bytes: Uint8Array) => create(Class.UNIVERSAL, Type.INTEGER, false, toBinary(bytes))
const octets = (bytes: Uint8Array) => create(Class.UNIVERSAL, Type.OCTETSTRING, false, toBinary(bytes))
const sequence = (items: forge.asn1.Asn1[]) => create(Class.UNIVERSAL, Type.SEQUENCE, true, items)
const raw = (der: Uint8Array) => parseDer(der)

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime after. */
function time (date: Date) {
  return date.getUTCFullYear() < 2050
    ? create(Class.UNIVERSAL, Type.UTCTIME, false, forge.asn1.dateToUtcTime(date))
    : create(Class.UNIVERSAL, Type.GENERALIZEDTIME, false, forge.asn1.dateToGeneralizedTime(date))
}

function signatureAlgorithm (key: KeyObject) {
  if (key.asymmetricKeyType === 'rsa') return sequence([oid(OID.sha256WithRSAEncryption), create(Class.UNIVERSAL, Type.NULL, false, '')])
  if (key.asymmetricKeyType === 'ec') return sequence([oid(OID.ecdsaWithSHA256)])
  throw new Error(`unsupported issuer key type ${key.asymmetricKeyType ?? 'unknown'}`)
}

function signWith (key: KeyObject, data: Uint8Array): Uint8Array {
  return sign('sha256', data, key.asymmetricKeyType === 'ec' ? { key, dsaEncoding: 'der' } : key)
}

function bitString (bytes: Uint8Array, unusedBits = 0) {
  return create(Class.UNIVERSAL, Type.BITSTRING, false, String.fromCharCode(unusedBits) + toBinary(bytes))
}

/** A positive serial of 16 random bytes (RFC 5280 allows up to 20). */
export function randomSerial (): Uint8Array {
  const serial = randomBytes(16)
  serial[0] = (serial[0]! & 0x7f) | 0x01
  return serial
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bit string. */
export function keyIdentifier (spkiDer: Uint8Array): Uint8Array {
  const spki = parseDer(spkiDer)
  const bits = (spki.value as forge.asn1.Asn1[])[1]!.value as string
  return createHash('sha1').update(fromBinary(bits).subarray(1)).digest()
}

function extension (id: string, critical: boolean, value: forge.asn1.Asn1) {
  return sequence([
    oid(id),
    ...(critical ? [create(Class.UNIVERSAL, Type.BOOLEAN, false, String.fromCharCode(0xff))] : []),
    octets(derOf(value))
  ])
}

function keyUsageBits (usages: KeyUsage[]): forge.asn1.Asn1 {
  let bits = 0
  for (const usage of usages) bits |= 0x80 >> KEY_USAGES.indexOf(usage)
  // DER: the unused-bits count skips the zero bits after the last set bit
  const unused = bits === 0 ? 0 : Math.log2(bits & -bits)
  return bitString(Uint8Array.of(bits), unused)
}

export interface CertificateTemplate {
  serial: Uint8Array
  subjectDer: Uint8Array
  spkiDer: Uint8Array
  notBefore: Date
  notAfter: Date
  ca?: { pathLength?: number }
  keyUsage: KeyUsage[]
  extendedKeyUsage?: Array<'clientAuth' | 'emailProtection'>
  crlUrl?: string
}

export interface Issuer {
  certificateDer: Uint8Array
  subjectDer: Uint8Array
  spkiDer: Uint8Array
  privateKey: KeyObject
}

export function issueCertificate (template: CertificateTemplate, issuer: Issuer | 'self', selfKey?: KeyObject): Uint8Array {
  const signer = issuer === 'self' ? { subjectDer: template.subjectDer, spkiDer: template.spkiDer, privateKey: selfKey! } : issuer
  const extensions = [
    extension(OID.basicConstraints, true, sequence(template.ca
      ? [create(Class.UNIVERSAL, Type.BOOLEAN, false, String.fromCharCode(0xff)),
          ...(template.ca.pathLength !== undefined ? [integer(Uint8Array.of(template.ca.pathLength))] : [])]
      : [])),
    extension(OID.keyUsage, true, keyUsageBits(template.keyUsage)),
    ...(template.extendedKeyUsage?.length ? [extension(OID.extKeyUsage, false, sequence(template.extendedKeyUsage.map((usage) => oid(OID[usage]))))] : []),
    extension(OID.subjectKeyIdentifier, false, octets(keyIdentifier(template.spkiDer))),
    extension(OID.authorityKeyIdentifier, false, sequence([create(Class.CONTEXT_SPECIFIC, 0, false, toBinary(keyIdentifier(signer.spkiDer)))])),
    ...(template.crlUrl
      ? [extension(OID.crlDistributionPoints, false, sequence([sequence([
          create(Class.CONTEXT_SPECIFIC, 0, true, [create(Class.CONTEXT_SPECIFIC, 0, true, [
            create(Class.CONTEXT_SPECIFIC, 6, false, template.crlUrl)
          ])])
        ])]))]
      : [])
  ]
  const tbs = sequence([
    create(Class.CONTEXT_SPECIFIC, 0, true, [integer(Uint8Array.of(2))]),
    integer(template.serial),
    signatureAlgorithm(signer.privateKey),
    raw(signer.subjectDer),
    sequence([time(template.notBefore), time(template.notAfter)]),
    raw(template.subjectDer),
    raw(template.spkiDer),
    create(Class.CONTEXT_SPECIFIC, 3, true, [sequence(extensions)])
  ])
  const tbsDer = derOf(tbs)
  return derOf(sequence([tbs, signatureAlgorithm(signer.privateKey), bitString(signWith(signer.privateKey, tbsDer))]))
}

export function spkiOf (key: KeyObject): Uint8Array {
  return createPublicKey(key).export({ type: 'spki', format: 'der' })
}

/** A PKCS#10 request for a key (the subject is informative: OpenHall certifies the identity it knows). */
export function createCsr (privateKey: KeyObject, subjectDer: Uint8Array): Uint8Array {
  const info = sequence([
    integer(Uint8Array.of(0)),
    raw(subjectDer),
    raw(spkiOf(privateKey)),
    create(Class.CONTEXT_SPECIFIC, 0, true, [])
  ])
  return derOf(sequence([info, signatureAlgorithm(privateKey), bitString(signWith(privateKey, derOf(info)))]))
}

/** Reads a PKCS#10 request and checks its self-signature (proof that the requester holds the key). */
export function readCsr (der: Uint8Array): { spkiDer: Uint8Array, keyType: 'rsa' | 'ec', subjectDer: Uint8Array } {
  let info: forge.asn1.Asn1, algorithm: forge.asn1.Asn1, signature: forge.asn1.Asn1
  try {
    [info, algorithm, signature] = parseDer(der).value as [forge.asn1.Asn1, forge.asn1.Asn1, forge.asn1.Asn1]
  } catch (error) {
    throw new CsrInvalid(`not a DER PKCS#10 request (${(error as Error).message})`)
  }
  const fields = info?.value as forge.asn1.Asn1[] | undefined
  if (!fields || !algorithm || !signature || fields.length < 3) throw new CsrInvalid('missing fields')
  const spkiDer = derOf(fields[2]!)
  const key = (() => {
    try { return createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' }) } catch { throw new CsrInvalid('unreadable public key') }
  })()
  const keyType = key.asymmetricKeyType
  if (keyType !== 'rsa' && keyType !== 'ec') throw new CsrInvalid(`key type ${keyType ?? 'unknown'} is not supported (RSA or EC P-256)`)
  if (keyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new CsrInvalid('RSA keys need at least 2048 bits')
  if (keyType === 'ec' && key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new CsrInvalid('EC keys must use P-256')
  const algorithmOid = derToOid((algorithm.value as forge.asn1.Asn1[])[0]!.value as string)
  if (algorithmOid !== OID.sha256WithRSAEncryption && algorithmOid !== OID.ecdsaWithSHA256) throw new CsrInvalid('the request must be signed with SHA-256')
  const signatureBytes = fromBinary(signature.value as string).subarray(1)
  const valid = verify('sha256', derOf(info), keyType === 'ec' ? { key, dsaEncoding: 'der' } : key, signatureBytes)
  if (!valid) throw new CsrInvalid('its signature does not match its key')
  return { spkiDer, keyType, subjectDer: derOf(fields[1]!) }
}

export interface RevokedEntry { serial: Uint8Array, revokedAt: Date, reason?: number }

/** A v2 CRL signed by the issuer, with CRL number and authority key identifier. */
export function createCrl (issuer: Issuer, input: { number: bigint, thisUpdate: Date, nextUpdate: Date, revoked: RevokedEntry[] }): Uint8Array {
  const numberHex = input.number.toString(16).padStart(2, '0')
  const numberBytes = fromBinary(forge.util.hexToBytes((numberHex.length % 2 ? '0' : '') + numberHex))
  const entries = input.revoked.map((entry) => sequence([
    integer(entry.serial),
    time(entry.revokedAt),
    ...(entry.reason !== undefined
      ? [sequence([extension(OID.crlReason, false, create(Class.UNIVERSAL, Type.ENUMERATED, false, String.fromCharCode(entry.reason)))])]
      : [])
  ]))
  const tbs = sequence([
    integer(Uint8Array.of(1)),
    signatureAlgorithm(issuer.privateKey),
    raw(issuer.subjectDer),
    time(input.thisUpdate),
    time(input.nextUpdate),
    ...(entries.length > 0 ? [sequence(entries)] : []),
    create(Class.CONTEXT_SPECIFIC, 0, true, [sequence([
      extension(OID.crlNumber, false, integer(numberBytes[0]! & 0x80 ? Uint8Array.of(0, ...numberBytes) : numberBytes)),
      extension(OID.authorityKeyIdentifier, false, sequence([create(Class.CONTEXT_SPECIFIC, 0, false, toBinary(keyIdentifier(issuer.spkiDer)))]))
    ])])
  ])
  const tbsDer = derOf(tbs)
  return derOf(sequence([tbs, signatureAlgorithm(issuer.privateKey), bitString(signWith(issuer.privateKey, tbsDer))]))
}

export interface ParsedCrl {
  issuerDer: Uint8Array
  thisUpdate: Date
  nextUpdate: Date | null
  /** revoked serials as lowercase hex without leading zeros */
  revokedSerials: string[]
  tbsDer: Uint8Array
  signatureAlgorithmOid: string
  signature: Uint8Array
}

function readTime (node: forge.asn1.Asn1): Date {
  return node.type === Type.UTCTIME ? forge.asn1.utcTimeToDate(node.value as string) : forge.asn1.generalizedTimeToDate(node.value as string)
}

/** Reads a CRL (signature checked by the caller against the issuer it claims). */
export function readCrl (der: Uint8Array): ParsedCrl {
  try {
    const [tbs, algorithm, signature] = parseDer(der).value as forge.asn1.Asn1[]
    const fields = tbs!.value as forge.asn1.Asn1[]
    let index = fields[0]!.type === Type.INTEGER ? 1 : 0
    index++ // signature algorithm
    const issuer = fields[index++]!
    const thisUpdate = readTime(fields[index++]!)
    const next = fields[index]
    const nextUpdate = next && (next.type === Type.UTCTIME || next.type === Type.GENERALIZEDTIME) ? readTime(next) : null
    if (nextUpdate) index++
    const list = fields[index]
    const revokedSerials = list && list.tagClass === Class.UNIVERSAL && list.type === Type.SEQUENCE
      ? (list.value as forge.asn1.Asn1[]).map((entry) => serialToHex(fromBinary((entry.value as forge.asn1.Asn1[])[0]!.value as string)))
      : []
    return {
      issuerDer: derOf(issuer),
      thisUpdate,
      nextUpdate,
      revokedSerials,
      tbsDer: derOf(tbs!),
      signatureAlgorithmOid: derToOid((algorithm!.value as forge.asn1.Asn1[])[0]!.value as string),
      signature: fromBinary(signature!.value as string).subarray(1)
    }
  } catch (error) {
    throw new CrlInvalid(`unreadable (${(error as Error).message})`)
  }
}

export function verifyCrlSignature (crl: ParsedCrl, issuerKey: KeyObject): boolean {
  return verify('sha256', crl.tbsDer, issuerKey.asymmetricKeyType === 'ec' ? { key: issuerKey, dsaEncoding: 'der' } : issuerKey, crl.signature)
}
