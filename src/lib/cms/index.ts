/** CMS (RFC 5652) for OpenHall: signed and sealed bids, receipts and records, interoperable with OpenSSL. */
export { CmsMalformed, CmsUnsupported, DecryptionFailed, NotARecipient, SignatureInvalid } from './errors.ts'
export { OID } from './oids.ts'
export {
  createSignedData, parseSignedData, verifySignedData,
  type CreateSignedDataInput, type ParsedSignedData, type ParsedSigner, type SignedAttributes, type VerifiedSignature, type VerifySignedDataInput
} from './signed-data.ts'
export {
  createEnvelopedData, decryptEnvelopedData, listRecipients,
  type CreateEnvelopedDataInput, type DecryptEnvelopedDataInput, type EnvelopeRecipient
} from './enveloped-data.ts'
