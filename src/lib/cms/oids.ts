/** Object identifiers of the CMS subset OpenHall reads and writes (RFC 5652, 5754, 4055, 3565, 5758). */
export const OID = {
  // content types (RFC 5652 §4-6)
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  // signed attributes (RFC 5652 §11)
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  // digests (RFC 5754)
  sha256: '2.16.840.1.101.3.4.2.1',
  // signatures (RFC 5754 §3.2, RFC 5758 §3.2)
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecPublicKey: '1.2.840.10045.2.1',
  // key transport (RFC 4055 / 8017)
  rsaesOaep: '1.2.840.113549.1.1.7',
  mgf1: '1.2.840.113549.1.1.8',
  pSpecified: '1.2.840.113549.1.1.9',
  // content encryption (RFC 3565)
  aes256Cbc: '2.16.840.1.101.3.4.1.42'
} as const
