/**
 * CMS EnvelopedData (RFC 5652 §6): sealed bids. The content is encrypted once with a random
 * AES-256-CBC key, and that key is encrypted to every recipient's RSA certificate with RSAES-OAEP
 * (SHA-256, MGF1-SHA-256; RFC 4055 / RFC 3560), so `openssl cms -decrypt` opens what OpenHall
 * seals, and OpenHall opens what OpenSSL seals with those OAEP options.
 *
 * Scope: key transport to RSA keys only. RSA PKCS#1 v1.5 key transport (OpenSSL's default) is
 * refused: it invites padding-oracle attacks. Key agreement (ECDH recipients), KEK and password
 * recipients are out of scope.
 *
 * CBC gives confidentiality, not integrity: a sealed bid must also be signed by its bidder (see
 * ./signed-data.ts), and that signature, not a successful decryption, proves the bid is intact.
 */
import forge from 'node-forge'
import type { CryptoProvider, Decrypter } from '../pki/crypto-provider.ts'
import { certificateParts, derOf, serialToHex } from '../pki/x509-parts.ts'
import { CmsMalformed, CmsUnsupported, DecryptionFailed, NotARecipient } from './errors.ts'
import { OID } from './oids.ts'
import {
  algorithmIdentifier, childrenOf, expectInteger, expectOctets, expectOid, expectSequence, expectSet, explicit,
  integerOf, isContext, issuerAndSerialNumber, objectIdentifier, octetsOf, octetString, parseCms,
  readAlgorithm, readContentInfo, readIssuerAndSerialNumber, sameBytes, sameSerial, sequence, setOf
} from './signed-data.ts'

type Asn1 = forge.asn1.Asn1

export interface CreateEnvelopedDataInput {
  provider: CryptoProvider
  content: Uint8Array
  /** DER certificates of the recipients (RSA keys) */
  recipients: Uint8Array[]
}

export interface DecryptEnvelopedDataInput {
  provider: CryptoProvider
  der: Uint8Array
  decrypter: Decrypter
}

export interface EnvelopeRecipient {
  /** DER of the issuer Name of the recipient's certificate */
  issuerDer: Uint8Array
  /** serial number of the recipient's certificate, lowercase hex without leading zero bytes */
  serialHex: string
}

interface KeyTransportRecipient {
  issuerDer: Uint8Array
  serialBytes: Uint8Array
  keyEncryptionAlgorithm: Asn1
  encryptedKey: Uint8Array
}

const AES_256_KEY_LENGTH = 32
const AES_BLOCK_LENGTH = 16

export async function createEnvelopedData ({ provider, content, recipients }: CreateEnvelopedDataInput): Promise<Uint8Array> {
  if (recipients.length === 0) throw new TypeError('an envelope needs at least one recipient')
  const recipientParts = recipients.map((certificateDer, index) => {
    const parts = certificateParts(certificateDer)
    if (parts.keyAlgorithmOid !== OID.rsaEncryption) {
      throw new CmsUnsupported(`recipient ${index + 1} has a ${parts.keyAlgorithmOid} key; only RSA key transport is supported (key agreement recipients are out of scope)`)
    }
    return parts
  })

  const contentKey = provider.randomBytes(AES_256_KEY_LENGTH)
  try {
    const iv = provider.randomBytes(AES_BLOCK_LENGTH)
    const encryptedContent = await provider.aesCbcEncrypt(contentKey, iv, content)
    const recipientInfos = await Promise.all(recipientParts.map(async (parts) => sequence([
      integerOf(0), // rid is issuerAndSerialNumber
      issuerAndSerialNumber(parts),
      oaepSha256Identifier(),
      octetString(await provider.rsaOaepEncrypt(parts.spkiDer, contentKey))
    ])))
    const envelopedData = sequence([
      integerOf(0), // no originatorInfo, key transport recipients only, no unprotectedAttrs (RFC 5652 §6.1)
      setOf(recipientInfos),
      sequence([
        objectIdentifier(OID.data),
        algorithmIdentifier(OID.aes256Cbc, octetString(iv)),
        implicitOctetString(0, encryptedContent)
      ])
    ])
    return derOf(sequence([objectIdentifier(OID.envelopedData), explicit(0, envelopedData)]))
  } finally {
    contentKey.fill(0)
  }
}

export async function decryptEnvelopedData ({ provider, der, decrypter }: DecryptEnvelopedDataInput): Promise<Uint8Array> {
  const envelope = readEnvelopedData(der)
  const own = certificateParts(decrypter.certificateDer)
  const recipient = envelope.recipients.find((candidate) => sameBytes(candidate.issuerDer, own.issuerDer) && sameSerial(candidate.serialBytes, own.serialBytes))
  if (!recipient) throw new NotARecipient(own.serialHex)
  assertOaepSha256(recipient.keyEncryptionAlgorithm)

  let contentKey: Uint8Array
  try {
    contentKey = await decrypter.rsaOaepDecrypt(recipient.encryptedKey)
  } catch {
    throw new DecryptionFailed('the content-encryption key could not be unwrapped (corrupted encryptedKey or a different key)')
  }
  try {
    if (contentKey.length !== AES_256_KEY_LENGTH) throw new DecryptionFailed('the unwrapped content-encryption key is not an AES-256 key')
    return await provider.aesCbcDecrypt(contentKey, envelope.iv, envelope.encryptedContent)
  } catch (error) {
    if (error instanceof DecryptionFailed) throw error
    throw new DecryptionFailed('the content could not be decrypted (corrupted ciphertext or padding)')
  } finally {
    contentKey.fill(0)
  }
}

/**
 * Who can open this envelope: its key transport recipients named by issuer and serial number.
 * Recipients this library cannot open for (key agreement, KEK, password, or named by
 * subjectKeyIdentifier) are not listed.
 */
export function listRecipients (der: Uint8Array): EnvelopeRecipient[] {
  return readEnvelopedData(der).recipients.map(({ issuerDer, serialBytes }) => ({ issuerDer, serialHex: serialToHex(serialBytes) }))
}

function readEnvelopedData (der: Uint8Array): { recipients: KeyTransportRecipient[], iv: Uint8Array, encryptedContent: Uint8Array } {
  const fields = expectSequence(readContentInfo(parseCms(der), OID.envelopedData, 'envelopedData'), 'EnvelopedData')
  expectInteger(fields[0], 'EnvelopedData version')
  let index = 1
  // originatorInfo only matters to key agreement recipients
  if (isContext(fields[index], 0)) index++
  const recipientInfos = expectSet(fields[index], 'EnvelopedData recipientInfos')
  const encryptedContentInfo = expectSequence(fields[index + 1], 'EncryptedContentInfo')
  index += 2
  if (isContext(fields[index], 1)) index++
  if (fields.length !== index) throw new CmsMalformed('unexpected fields in EnvelopedData')
  if (recipientInfos.length === 0) throw new CmsMalformed('EnvelopedData has no recipients')

  const recipients = recipientInfos.flatMap((node) => readKeyTransportRecipient(node))
  const [contentType, algorithmNode, encryptedContentNode, ...extra] = encryptedContentInfo
  expectOid(contentType, 'EncryptedContentInfo contentType')
  if (extra.length > 0) throw new CmsMalformed('unexpected fields in EncryptedContentInfo')
  const algorithm = readAlgorithm(algorithmNode, 'contentEncryptionAlgorithm')
  if (algorithm.oid !== OID.aes256Cbc) throw new CmsUnsupported(`content encryption ${algorithm.oid} (AES-256-CBC is)`)
  const iv = expectOctets(algorithm.parameters, 'AES-256-CBC IV')
  if (iv.length !== AES_BLOCK_LENGTH) throw new CmsMalformed('the AES-256-CBC IV is not 16 bytes')
  if (!isContext(encryptedContentNode, 0)) throw new CmsMalformed('EncryptedContentInfo has no encryptedContent (detached ciphertext is not supported)')
  return { recipients, iv, encryptedContent: octetsOf(encryptedContentNode!, 'encryptedContent') }
}

function readKeyTransportRecipient (node: Asn1): KeyTransportRecipient[] {
  // KeyTransRecipientInfo is the untagged RecipientInfo choice; kari, kekri, pwri and ori are [1]..[4]
  if (node.tagClass !== forge.asn1.Class.UNIVERSAL || !node.constructed) return []
  const [version, rid, keyEncryptionAlgorithm, encryptedKey, ...extra] = expectSequence(node, 'KeyTransRecipientInfo')
  expectInteger(version, 'KeyTransRecipientInfo version')
  if (extra.length > 0) throw new CmsMalformed('unexpected fields in KeyTransRecipientInfo')
  // recipients named by subjectKeyIdentifier cannot be matched to a certificate here, so they are left out
  if (isContext(rid, 0)) return []
  const { issuerDer, serialBytes } = readIssuerAndSerialNumber(rid, 'KeyTransRecipientInfo rid')
  expectSequence(keyEncryptionAlgorithm, 'keyEncryptionAlgorithm')
  return [{ issuerDer, serialBytes, keyEncryptionAlgorithm: keyEncryptionAlgorithm!, encryptedKey: expectOctets(encryptedKey, 'encryptedKey') }]
}

/** RSAES-OAEP-params { hashAlgorithm [0] sha256, maskGenAlgorithm [1] mgf1(sha256) }; pSourceAlgorithm stays at its default. */
function oaepSha256Identifier (): Asn1 {
  return algorithmIdentifier(OID.rsaesOaep, sequence([
    explicit(0, algorithmIdentifier(OID.sha256)),
    explicit(1, algorithmIdentifier(OID.mgf1, algorithmIdentifier(OID.sha256)))
  ]))
}

function assertOaepSha256 (node: Asn1): void {
  const algorithm = readAlgorithm(node, 'keyEncryptionAlgorithm')
  if (algorithm.oid === OID.rsaEncryption) throw new CmsUnsupported('RSA PKCS#1 v1.5 key transport (RSAES-OAEP with SHA-256 is)')
  if (algorithm.oid !== OID.rsaesOaep) throw new CmsUnsupported(`key encryption algorithm ${algorithm.oid} (RSAES-OAEP with SHA-256 is)`)
  let hash: string | undefined
  let maskHash: string | undefined
  let customLabel = false
  // absent parameters or fields mean the SHA-1 defaults of RFC 8017 A.2.1
  for (const field of algorithm.parameters ? expectSequence(algorithm.parameters, 'RSAES-OAEP-params') : []) {
    const [inner] = childrenOf(field, 'RSAES-OAEP-params field')
    if (isContext(field, 0)) hash = readAlgorithm(inner, 'OAEP hashAlgorithm').oid
    if (isContext(field, 1)) {
      const mask = readAlgorithm(inner, 'OAEP maskGenAlgorithm')
      if (mask.oid !== OID.mgf1) throw new CmsUnsupported(`OAEP mask generation ${mask.oid} (MGF1 is)`)
      maskHash = readAlgorithm(mask.parameters, 'MGF1 hash').oid
    }
    if (isContext(field, 2)) {
      const source = readAlgorithm(inner, 'OAEP pSourceAlgorithm')
      customLabel = source.oid !== OID.pSpecified || (source.parameters ? expectOctets(source.parameters, 'OAEP label').length > 0 : false)
    }
  }
  if (hash !== OID.sha256 || maskHash !== OID.sha256) throw new CmsUnsupported('RSAES-OAEP with a hash other than SHA-256 (SHA-1 is the OAEP default; encrypt with rsa_oaep_md:sha256 and rsa_mgf1_md:sha256)')
  if (customLabel) throw new CmsUnsupported('RSAES-OAEP with a label')
}

function implicitOctetString (tag: number, bytes: Uint8Array): Asn1 {
  return forge.asn1.create(forge.asn1.Class.CONTEXT_SPECIFIC, tag as forge.asn1.Type, false, octetString(bytes).value)
}
