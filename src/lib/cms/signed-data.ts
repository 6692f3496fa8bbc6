/**
 * CMS SignedData (RFC 5652 §5): the format of signed bids, receipts and opening records, readable
 * by `openssl cms -verify` and any other CMS tool.
 *
 * Writing: one signer, SHA-256, signed attributes (contentType, signingTime, messageDigest), the
 * signer certificate plus the chain certificates the caller adds; attached or detached. A detached
 * signature can be made from the content's SHA-256 alone, so a package of any size is signed while
 * it streams to storage, never held in memory.
 *
 * Reading: DER and BER (OpenSSL `-stream` output: indefinite lengths, eContent in chunks), signers
 * identified by issuer and serial number, with or without signed attributes (RFC 5652 §5.4).
 *
 * Verifying proves, for every signer: the signature verifies with the public key of the embedded
 * certificate the signer names, the messageDigest attribute is the SHA-256 of the content, and the
 * contentType attribute matches the encapsulated content type. It does NOT say whether that
 * certificate deserves trust: chain to a trusted root, validity at the signing time, key usage
 * and revocation are checked by ../pki (node:crypto) from `certificateDer` and `certificates`.
 *
 * All cryptography goes through a CryptoProvider and ASN.1 through forge's pure-JS codec, so this
 * file runs unchanged in the bidder's browser.
 */
import { concatBytes, sameBytes } from '../bytes.ts'
import forge from 'node-forge'
import type { CryptoProvider, SignatureAlgorithm, Signer } from '../pki/crypto-provider.ts'
import { certificateParts, CertificateMalformed, derOf, fromBinary, parseDer, serialToHex, toBinary, type CertificateParts } from '../pki/x509-parts.ts'
import { CmsMalformed, CmsUnsupported, SignatureInvalid } from './errors.ts'
import { OID } from './oids.ts'

type Asn1 = forge.asn1.Asn1
const { Class, Type } = forge.asn1

export interface SignedAttributes {
  /** OID of the contentType attribute (RFC 5652 §11.1) */
  contentType?: string
  messageDigest?: Uint8Array
  signingTime?: Date
}

export interface ParsedSigner {
  issuerDer: Uint8Array
  /** INTEGER content bytes of the serial number, as encoded */
  serialBytes: Uint8Array
  digestAlgorithmOid: string
  /**
   * The bytes the signature covers: the signed attributes with their [0] tag replaced by SET OF
   * (0x31). These are the original bytes when they were sent with definite lengths (always so for
   * DER); with BER indefinite lengths they are forge's definite-length re-encoding, which is what
   * the signer hashed (RFC 5652 §5.4 signs the DER form). Absent when the signer signed the
   * content directly.
   */
  signedAttrsDer?: Uint8Array
  attributes: SignedAttributes
  signatureAlgorithmOid: string
  signature: Uint8Array
}

export interface ParsedSignedData {
  /** eContentType */
  contentType: string
  /** the encapsulated content; absent for a detached signature */
  content?: Uint8Array
  digestAlgorithmOids: string[]
  /** the exact bytes of every X.509 certificate in the SignedData */
  certificates: Uint8Array[]
  signers: ParsedSigner[]
}

export interface CreateSignedDataInput {
  provider: CryptoProvider
  signer: Signer
  /** the content; required unless `detached` and `contentDigest` is given */
  content?: Uint8Array
  /** SHA-256 of the content, for a detached signature over content that is streamed elsewhere */
  contentDigest?: Uint8Array
  detached: boolean
  /** defaults to now */
  signingTime?: Date
  /** more certificates to embed, usually the issuing CA, so a verifier can build the chain */
  extraCertificates?: Uint8Array[]
}

export type VerifySignedDataInput = {
  provider: CryptoProvider
  /** the content of a detached signature (or, for an attached one, what the caller expects it to be) */
  content?: Uint8Array
  /** the SHA-256 of that content, when the content is streamed rather than held */
  contentDigest?: Uint8Array
} & ({ der: Uint8Array, parsed?: undefined } | { parsed: ParsedSignedData, der?: undefined })

export interface VerifiedSignature {
  /** the signer's certificate; its trust is for the caller to establish */
  certificateDer: Uint8Array
  signingTime?: Date
  /** the attached content, when there is one */
  content?: Uint8Array
}

const SHA256_LENGTH = 32

export async function createSignedData ({ provider, signer, content, contentDigest, detached, signingTime = new Date(), extraCertificates = [] }: CreateSignedDataInput): Promise<Uint8Array> {
  if (content && contentDigest) throw new TypeError('createSignedData takes content or contentDigest, not both')
  if (!content && !detached) throw new TypeError('an attached signature needs the content itself')
  let digest: Uint8Array
  if (content) {
    digest = await provider.sha256(content)
  } else if (contentDigest?.length === SHA256_LENGTH) {
    digest = contentDigest
  } else {
    throw new TypeError('createSignedData needs the content or its 32-byte SHA-256')
  }

  const signerParts = certificateParts(signer.certificateDer)
  const attributes = sortedByEncoding([
    attribute(OID.contentType, objectIdentifier(OID.data)),
    attribute(OID.signingTime, timeOf(signingTime)),
    attribute(OID.messageDigest, octetString(digest))
  ])
  // RFC 5652 §5.4: the signature covers the attributes encoded as SET OF, not as [0] IMPLICIT
  const signature = await signer.sign(derOf(forge.asn1.create(Class.UNIVERSAL, Type.SET, true, attributes)))

  const signerInfo = sequence([
    integerOf(1), // issuerAndSerialNumber
    issuerAndSerialNumber(signerParts),
    algorithmIdentifier(OID.sha256),
    forge.asn1.create(Class.CONTEXT_SPECIFIC, 0 as forge.asn1.Type, true, attributes),
    signatureAlgorithmOf(signer.algorithm),
    octetString(signature)
  ])
  const encapsulatedContent = content && !detached
    ? sequence([objectIdentifier(OID.data), explicit(0, octetString(content))])
    : sequence([objectIdentifier(OID.data)])
  const certificates = uniqueBytes([signer.certificateDer, ...extraCertificates]).map(embeddableCertificate)
  const signedData = sequence([
    integerOf(1), // id-data content, issuerAndSerialNumber signers, X.509 certificates only
    setOf([algorithmIdentifier(OID.sha256)]),
    encapsulatedContent,
    forge.asn1.create(Class.CONTEXT_SPECIFIC, 0 as forge.asn1.Type, true, sortedByEncoding(certificates)),
    setOf([signerInfo])
  ])
  return derOf(sequence([objectIdentifier(OID.signedData), explicit(0, signedData)]))
}

export function parseSignedData (der: Uint8Array): ParsedSignedData {
  const root = parseCms(der)
  const fields = expectSequence(readContentInfo(root, OID.signedData, 'signedData'), 'SignedData')
  expectInteger(fields[0], 'SignedData version')
  const digestAlgorithmOids = expectSet(fields[1], 'SignedData digestAlgorithms').map((node) => readAlgorithm(node, 'digestAlgorithm').oid)
  const { contentType, content } = readEncapsulatedContent(fields[2])

  // ContentInfo → [0] → SignedData: where the raw bytes of its fields are found
  const signedDataPath = [1, 0]
  let index = 3
  let certificates: Uint8Array[] = []
  if (isContext(fields[index], 0)) {
    certificates = exactCertificates(der, [...signedDataPath, index], fields[index]!)
    index++
  }
  // CRLs ([1]) are skipped: revocation is checked by ../pki
  if (isContext(fields[index], 1)) index++
  const signerInfosIndex = index
  const signerInfos = expectSet(fields[signerInfosIndex], 'SignedData signerInfos')
  if (fields.length !== signerInfosIndex + 1) throw new CmsMalformed('unexpected fields after SignedData signerInfos')
  if (signerInfos.length === 0) throw new CmsMalformed('SignedData has no signers')
  const signers = signerInfos.map((node, signerIndex) => readSignerInfo(der, [...signedDataPath, signerInfosIndex, signerIndex], node))
  return { contentType, ...(content ? { content } : {}), digestAlgorithmOids, certificates, signers }
}

export async function verifySignedData (input: VerifySignedDataInput): Promise<VerifiedSignature[]> {
  const { provider } = input
  const parsed = input.parsed ?? parseSignedData(input.der)
  const contentDigest = await digestOfSignedContent(provider, parsed, input)
  const candidates = parsed.certificates.map((certificateDer, index) => {
    try {
      return { certificateDer, parts: certificateParts(certificateDer) }
    } catch (error) {
      if (error instanceof CertificateMalformed) throw new CmsMalformed(`certificate ${index + 1} of the SignedData: ${error.message}`)
      throw error
    }
  })

  const verified: VerifiedSignature[] = []
  for (const signer of parsed.signers) {
    const serialHex = serialToHex(signer.serialBytes)
    const certificate = candidates.find(({ parts }) => sameBytes(parts.issuerDer, signer.issuerDer) && sameSerial(parts.serialBytes, signer.serialBytes))
    if (!certificate) throw new SignatureInvalid(`the certificate of signer ${serialHex} is not in the SignedData`)
    if (signer.digestAlgorithmOid !== OID.sha256) throw new CmsUnsupported(`digest algorithm ${signer.digestAlgorithmOid} (only SHA-256 is)`)
    const algorithm = signatureAlgorithmFor(signer.signatureAlgorithmOid, certificate.parts.keyAlgorithmOid)

    let signedBytes: Uint8Array
    if (signer.signedAttrsDer) {
      if (signer.attributes.contentType !== parsed.contentType) throw new SignatureInvalid(`the contentType attribute of signer ${serialHex} does not match the content type`)
      if (!sameBytes(signer.attributes.messageDigest, contentDigest)) throw new SignatureInvalid(`the messageDigest attribute of signer ${serialHex} does not match the content`)
      signedBytes = signer.signedAttrsDer
    } else {
      // without signed attributes the signature covers the content itself (RFC 5652 §5.4)
      if (parsed.contentType !== OID.data) throw new CmsMalformed('signed attributes are required when the content type is not id-data')
      const content = parsed.content ?? input.content
      if (!content) throw new CmsUnsupported('a signature without signed attributes covers the content itself; pass the content, not its digest')
      signedBytes = content
    }
    if (!await provider.verify(algorithm, certificate.parts.spkiDer, signedBytes, signer.signature)) {
      throw new SignatureInvalid(`the signature of signer ${serialHex} does not verify with its certificate's key`)
    }
    verified.push({
      certificateDer: certificate.certificateDer,
      ...(signer.attributes.signingTime ? { signingTime: signer.attributes.signingTime } : {}),
      ...(parsed.content ? { content: parsed.content } : {})
    })
  }
  return verified
}

async function digestOfSignedContent (provider: CryptoProvider, parsed: ParsedSignedData, { content, contentDigest }: { content?: Uint8Array, contentDigest?: Uint8Array }): Promise<Uint8Array> {
  if (contentDigest && contentDigest.length !== SHA256_LENGTH) throw new TypeError('contentDigest must be a 32-byte SHA-256')
  const supplied = content ? await provider.sha256(content) : contentDigest
  if (!parsed.content) {
    if (!supplied) throw new CmsMalformed('detached signature needs the content')
    return supplied
  }
  const attached = await provider.sha256(parsed.content)
  // a caller who names the content expects the signature to cover exactly that content
  if (supplied && !sameBytes(supplied, attached)) throw new SignatureInvalid('the signed content differs from the content supplied')
  return attached
}

function signatureAlgorithmFor (signatureAlgorithmOid: string, keyAlgorithmOid: string): SignatureAlgorithm {
  const isRsa = signatureAlgorithmOid === OID.rsaEncryption || signatureAlgorithmOid === OID.sha256WithRSAEncryption
  const isEcdsa = signatureAlgorithmOid === OID.ecdsaWithSha256
  if (!isRsa && !isEcdsa) throw new CmsUnsupported(`signature algorithm ${signatureAlgorithmOid} (RSA PKCS#1 v1.5 and ECDSA with SHA-256 are)`)
  if (isRsa && keyAlgorithmOid === OID.rsaEncryption) return 'rsa-pkcs1-sha256'
  if (isEcdsa && keyAlgorithmOid === OID.ecPublicKey) return 'ecdsa-sha256'
  throw new SignatureInvalid(`signature algorithm ${signatureAlgorithmOid} does not fit the signer's ${keyAlgorithmOid} key`)
}

function signatureAlgorithmOf (algorithm: SignatureAlgorithm): Asn1 {
  // rsaEncryption with NULL, as OpenSSL writes it; ECDSA identifiers carry no parameters (RFC 5758)
  return algorithm === 'rsa-pkcs1-sha256' ? algorithmIdentifier(OID.rsaEncryption, nullValue()) : algorithmIdentifier(OID.ecdsaWithSha256)
}

function attribute (type: string, value: Asn1): Asn1 {
  return sequence([objectIdentifier(type), setOf([value])])
}

function timeOf (date: Date): Asn1 {
  // RFC 5652 §11.3: UTCTime for 1950-2049, GeneralizedTime otherwise; whole seconds
  const year = date.getUTCFullYear()
  return year >= 1950 && year < 2050
    ? forge.asn1.create(Class.UNIVERSAL, Type.UTCTIME, false, forge.asn1.dateToUtcTime(date))
    : forge.asn1.create(Class.UNIVERSAL, Type.GENERALIZEDTIME, false, forge.asn1.dateToGeneralizedTime(date))
}

function embeddableCertificate (der: Uint8Array): Asn1 {
  const node = parseDerOrThrow(der, 'certificate to embed')
  // forge re-encodes what it parsed; refuse a certificate whose bytes would change (and break its signature)
  if (!sameBytes(derOf(node), der)) throw new CmsUnsupported('a certificate that is not strict DER cannot be embedded unchanged')
  return node
}

function readEncapsulatedContent (node: Asn1 | undefined): { contentType: string, content?: Uint8Array } {
  const fields = expectSequence(node, 'EncapsulatedContentInfo')
  const contentType = expectOid(fields[0], 'eContentType')
  if (fields.length === 1) return { contentType }
  const wrapper = fields[1]
  if (fields.length !== 2 || !isContext(wrapper, 0) || !Array.isArray(wrapper!.value) || wrapper!.value.length !== 1) {
    throw new CmsMalformed('eContent is not [0] EXPLICIT OCTET STRING')
  }
  return { contentType, content: expectOctets(wrapper!.value[0], 'eContent') }
}

function readSignerInfo (der: Uint8Array, path: number[], node: Asn1): ParsedSigner {
  const fields = expectSequence(node, 'SignerInfo')
  expectInteger(fields[0], 'SignerInfo version')
  if (isContext(fields[1], 0)) throw new CmsUnsupported('signers identified by subjectKeyIdentifier (issuerAndSerialNumber is)')
  const { issuerDer, serialBytes } = readIssuerAndSerialNumber(fields[1], 'SignerInfo sid')
  const digestAlgorithmOid = readAlgorithm(fields[2], 'SignerInfo digestAlgorithm').oid
  let index = 3
  let signedAttrsDer: Uint8Array | undefined
  let attributes: SignedAttributes = {}
  const signedAttrs = fields[index]
  if (isContext(signedAttrs, 0)) {
    attributes = readSignedAttributes(signedAttrs!)
    signedAttrsDer = exactSignedAttributes(der, [...path, index], signedAttrs!)
    index++
  }
  const signatureAlgorithmOid = readAlgorithm(fields[index], 'SignerInfo signatureAlgorithm').oid
  const signature = expectOctets(fields[index + 1], 'SignerInfo signature')
  index += 2
  // unsigned attributes (countersignatures, timestamps) are not evaluated
  if (isContext(fields[index], 1)) index++
  if (fields.length !== index) throw new CmsMalformed('unexpected fields in SignerInfo')
  return { issuerDer, serialBytes, digestAlgorithmOid, ...(signedAttrsDer ? { signedAttrsDer } : {}), attributes, signatureAlgorithmOid, signature }
}

function readSignedAttributes (node: Asn1): SignedAttributes {
  const attributes: SignedAttributes = {}
  const seen = new Set<string>()
  for (const item of childrenOf(node, 'signedAttrs')) {
    const [typeNode, valuesNode, ...extra] = expectSequence(item, 'signed attribute')
    const type = expectOid(typeNode, 'signed attribute type')
    const values = expectSet(valuesNode, `signed attribute ${type} values`)
    if (extra.length > 0) throw new CmsMalformed(`signed attribute ${type} has extra fields`)
    if (type !== OID.contentType && type !== OID.messageDigest && type !== OID.signingTime) continue
    // RFC 5652 §11: each of these is single-valued and occurs once; two would make the check ambiguous
    if (seen.has(type) || values.length !== 1) throw new CmsMalformed(`signed attribute ${type} must occur once with one value`)
    seen.add(type)
    if (type === OID.contentType) attributes.contentType = expectOid(values[0], 'contentType attribute')
    if (type === OID.messageDigest) attributes.messageDigest = expectOctets(values[0], 'messageDigest attribute')
    if (type === OID.signingTime) attributes.signingTime = readTime(values[0], 'signingTime attribute')
  }
  // RFC 5652 §5.3: signed attributes, when present, must bind the content type and digest
  if (!attributes.contentType || !attributes.messageDigest) throw new CmsMalformed('signed attributes lack contentType or messageDigest')
  return attributes
}

function readTime (node: Asn1 | undefined, what: string): Date {
  let date: Date | undefined
  if (node && node.tagClass === Class.UNIVERSAL && typeof node.value === 'string') {
    try {
      if (node.type === Type.UTCTIME) date = forge.asn1.utcTimeToDate(node.value)
      if (node.type === Type.GENERALIZEDTIME) date = forge.asn1.generalizedTimeToDate(node.value)
    } catch {
      date = undefined
    }
  }
  if (!date || Number.isNaN(date.getTime())) throw new CmsMalformed(`${what} is not a UTCTime or GeneralizedTime`)
  return date
}

function exactCertificates (der: Uint8Array, path: number[], node: Asn1): Uint8Array[] {
  const members = childrenOf(node, 'SignedData certificates')
  const extents = childExtents(der, extentAtPath(der, path))
  // other CertificateChoices (attribute certificates, [0]..[3]) are not X.509 certificates
  return members.flatMap((member, index) => member.tagClass === Class.UNIVERSAL && member.type === Type.SEQUENCE
    ? [copyOf(der, extents[index]!)]
    : [])
}

function exactSignedAttributes (der: Uint8Array, path: number[], node: Asn1): Uint8Array {
  const extent = extentAtPath(der, path)
  if (usesIndefiniteLength(der, extent)) return derOf(forge.asn1.create(Class.UNIVERSAL, Type.SET, true, childrenOf(node, 'signedAttrs')))
  const bytes = copyOf(der, extent)
  bytes[0] = 0x31 // [0] IMPLICIT → SET OF, the form that was signed
  return bytes
}

/* ASN.1 building and reading, shared with ./enveloped-data.ts (not part of the public API) */

export function sequence (items: Asn1[]): Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, items)
}

/** DER orders the members of a SET OF by their encodings (X.690 §11.6). */
export function setOf (items: Asn1[]): Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.SET, true, sortedByEncoding(items))
}

export function explicit (tag: number, inner: Asn1): Asn1 {
  return forge.asn1.create(Class.CONTEXT_SPECIFIC, tag as forge.asn1.Type, true, [inner])
}

export function objectIdentifier (oid: string): Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.OID, false, forge.asn1.oidToDer(oid).getBytes())
}

export function octetString (bytes: Uint8Array): Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.OCTETSTRING, false, toBinary(bytes))
}

/** A small non-negative INTEGER (versions). */
export function integerOf (value: number): Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.INTEGER, false, String.fromCharCode(value))
}

export function nullValue (): Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.NULL, false, '')
}

export function algorithmIdentifier (oid: string, parameters?: Asn1): Asn1 {
  return sequence(parameters ? [objectIdentifier(oid), parameters] : [objectIdentifier(oid)])
}

export function issuerAndSerialNumber (parts: CertificateParts): Asn1 {
  // the serial's content bytes are reused as the certificate encodes them, never re-derived from a number
  return sequence([
    parseDerOrThrow(parts.issuerDer, 'issuer name'),
    forge.asn1.create(Class.UNIVERSAL, Type.INTEGER, false, toBinary(parts.serialBytes))
  ])
}

export function sortedByEncoding (items: Asn1[]): Asn1[] {
  return items
    .map((item) => ({ item, der: derOf(item) }))
    .sort((a, b) => compareBytes(a.der, b.der))
    .map(({ item }) => item)
}

/**
 * Parses DER or BER. forge's strict mode still accepts indefinite lengths on constructed values
 * (all that BER writers such as `openssl cms -stream` use), while its lenient mode would silently
 * accept truncated input, so strict it is.
 */
export function parseCms (der: Uint8Array): Asn1 {
  return parseDerOrThrow(der, 'input')
}

function parseDerOrThrow (der: Uint8Array, what: string): Asn1 {
  try {
    return parseDer(der, { strict: true })
  } catch (error) {
    throw new CmsMalformed(`${what} is not valid DER or BER (${(error as Error).message})`)
  }
}

/** The content of a ContentInfo of the expected type. */
export function readContentInfo (root: Asn1, expectedType: string, name: string): Asn1 {
  const fields = expectSequence(root, 'ContentInfo')
  const type = expectOid(fields[0], 'ContentInfo contentType')
  if (type !== expectedType) throw new CmsMalformed(`expected ${name} content (${expectedType}), found ${type}`)
  const wrapper = fields[1]
  if (fields.length !== 2 || !isContext(wrapper, 0) || !Array.isArray(wrapper!.value) || wrapper!.value.length !== 1) {
    throw new CmsMalformed('ContentInfo content is not [0] EXPLICIT')
  }
  return wrapper!.value[0]!
}

export function readIssuerAndSerialNumber (node: Asn1 | undefined, what: string): { issuerDer: Uint8Array, serialBytes: Uint8Array } {
  const [issuer, serial, ...extra] = expectSequence(node, `${what} IssuerAndSerialNumber`)
  if (extra.length > 0) throw new CmsMalformed(`${what} IssuerAndSerialNumber has extra fields`)
  expectSequence(issuer, `${what} issuer`)
  return { issuerDer: derOf(issuer!), serialBytes: expectInteger(serial, `${what} serialNumber`) }
}

export function readAlgorithm (node: Asn1 | undefined, what: string): { oid: string, parameters?: Asn1 } {
  const [oid, parameters, ...extra] = expectSequence(node, what)
  if (extra.length > 0) throw new CmsMalformed(`${what} has extra fields`)
  return { oid: expectOid(oid, `${what} algorithm`), ...(parameters ? { parameters } : {}) }
}

export function isContext (node: Asn1 | undefined, tag: number): boolean {
  return node?.tagClass === Class.CONTEXT_SPECIFIC && node.type === tag
}

export function childrenOf (node: Asn1 | undefined, what: string): Asn1[] {
  if (!node || !node.constructed || !Array.isArray(node.value)) throw new CmsMalformed(`${what} is missing or not constructed`)
  return node.value
}

export function expectSequence (node: Asn1 | undefined, what: string): Asn1[] {
  if (node?.tagClass !== Class.UNIVERSAL || node.type !== Type.SEQUENCE) throw new CmsMalformed(`${what} is missing or not a SEQUENCE`)
  return childrenOf(node, what)
}

export function expectSet (node: Asn1 | undefined, what: string): Asn1[] {
  if (node?.tagClass !== Class.UNIVERSAL || node.type !== Type.SET) throw new CmsMalformed(`${what} is missing or not a SET`)
  return childrenOf(node, what)
}

export function expectOid (node: Asn1 | undefined, what: string): string {
  if (node?.tagClass !== Class.UNIVERSAL || node.type !== Type.OID || typeof node.value !== 'string' || node.value.length === 0) {
    throw new CmsMalformed(`${what} is missing or not an OBJECT IDENTIFIER`)
  }
  return forge.asn1.derToOid(node.value)
}

export function expectInteger (node: Asn1 | undefined, what: string): Uint8Array {
  if (node?.tagClass !== Class.UNIVERSAL || node.type !== Type.INTEGER || typeof node.value !== 'string' || node.value.length === 0) {
    throw new CmsMalformed(`${what} is missing or not an INTEGER`)
  }
  return fromBinary(node.value)
}

export function expectOctets (node: Asn1 | undefined, what: string): Uint8Array {
  if (node?.tagClass !== Class.UNIVERSAL || node.type !== Type.OCTETSTRING) throw new CmsMalformed(`${what} is missing or not an OCTET STRING`)
  return octetsOf(node, what)
}

/** The bytes of an OCTET STRING (or an IMPLICIT one), primitive or BER-constructed from chunks. */
export function octetsOf (node: Asn1, what: string): Uint8Array {
  if (typeof node.value === 'string') return fromBinary(node.value)
  return concatBytes(...node.value.map((chunk) => expectOctets(chunk, `${what} chunk`)))
}

export { sameBytes }

/** Serial numbers compare as numbers: a redundant leading 0x00 some encoders add does not make a different certificate. */
export function sameSerial (a: Uint8Array, b: Uint8Array): boolean {
  return sameBytes(minimalSerial(a), minimalSerial(b))
}

export function minimalSerial (bytes: Uint8Array): Uint8Array {
  let start = 0
  while (start < bytes.length - 1 && bytes[start] === 0) start++
  return bytes.subarray(start)
}

function compareBytes (a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length)
  for (let index = 0; index < length; index++) {
    if (a[index] !== b[index]) return a[index]! - b[index]!
  }
  return a.length - b.length
}

function uniqueBytes (list: Uint8Array[]): Uint8Array[] {
  return list.filter((bytes, index) => list.findIndex((other) => sameBytes(other, bytes)) === index)
}

/*
 * Byte extents of elements in the original encoding. forge's tree keeps values, not offsets, and
 * re-encoding is not always byte-exact (it drops a redundant leading INTEGER byte), yet a
 * certificate must be handed on, and signed attributes verified, exactly as they were sent. The
 * input has already been parsed by forge at this point, so the walk below only measures.
 */
interface Extent { start: number, contentStart: number, end: number, indefinite: boolean }

function extentAt (bytes: Uint8Array, start: number): Extent {
  const lengthByte = bytes[start + 1]
  if (lengthByte === undefined) throw new CmsMalformed('truncated element')
  if (lengthByte === 0x80) {
    let cursor = start + 2
    while (bytes[cursor] !== 0 || bytes[cursor + 1] !== 0) {
      if (cursor >= bytes.length) throw new CmsMalformed('unterminated indefinite length')
      cursor = extentAt(bytes, cursor).end
    }
    return { start, contentStart: start + 2, end: cursor + 2, indefinite: true }
  }
  if (lengthByte < 0x80) return { start, contentStart: start + 2, end: start + 2 + lengthByte, indefinite: false }
  const count = lengthByte & 0x7f
  let length = 0
  for (let index = 0; index < count; index++) length = length * 256 + (bytes[start + 2 + index] ?? 0)
  const contentStart = start + 2 + count
  if (contentStart + length > bytes.length) throw new CmsMalformed('truncated element')
  return { start, contentStart, end: contentStart + length, indefinite: false }
}

/** A copy, never a view: Buffer#slice shares memory with the caller's input. */
function copyOf (bytes: Uint8Array, extent: Extent): Uint8Array {
  return new Uint8Array(bytes.subarray(extent.start, extent.end))
}

function childExtents (bytes: Uint8Array, parent: Extent): Extent[] {
  const end = parent.indefinite ? parent.end - 2 : parent.end
  const children: Extent[] = []
  for (let cursor = parent.contentStart; cursor < end; cursor = children.at(-1)!.end) children.push(extentAt(bytes, cursor))
  return children
}

function extentAtPath (bytes: Uint8Array, path: number[]): Extent {
  let extent = extentAt(bytes, 0)
  for (const index of path) {
    const child = childExtents(bytes, extent)[index]
    if (!child) throw new CmsMalformed('element not found')
    extent = child
  }
  return extent
}

function usesIndefiniteLength (bytes: Uint8Array, extent: Extent): boolean {
  if (extent.indefinite) return true
  const constructed = ((bytes[extent.start] ?? 0) & 0x20) !== 0
  return constructed && childExtents(bytes, extent).some((child) => usesIndefiniteLength(bytes, child))
}
