/**
 * The cryptographic primitives the PKI and sealed-bid code needs, behind one interface, so the
 * same format code runs on the server (node:crypto, ./node-crypto.ts) and in the bidder's
 * browser (WebCrypto). Everything is Uint8Array and asynchronous, as WebCrypto is.
 * ASN.1 structures are built and parsed with node-forge's asn1 (pure JavaScript, runs in both).
 */
export type SignatureAlgorithm = 'rsa-pkcs1-sha256' | 'ecdsa-sha256'

export interface IncrementalHash {
  update (data: Uint8Array): void
  digest (): Uint8Array
}

export interface CryptoProvider {
  sha256 (data: Uint8Array): Promise<Uint8Array>
  /** SHA-256 over data that arrives in pieces (streamed packages); synchronous updates */
  createSha256 (): IncrementalHash
  /** AES-256-GCM; the result is ciphertext followed by the 16-byte tag (WebCrypto's layout) */
  aesGcmEncrypt (key: Uint8Array, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>
  /** Throws when the tag does not authenticate the ciphertext, iv and aad under the key. */
  aesGcmDecrypt (key: Uint8Array, iv: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Promise<Uint8Array>
  randomBytes (length: number): Uint8Array
  /** RSAES-OAEP with SHA-256 and MGF1-SHA-256 (RFC 8017), to a SubjectPublicKeyInfo (DER) */
  rsaOaepEncrypt (spkiDer: Uint8Array, data: Uint8Array): Promise<Uint8Array>
  /** AES-256-CBC with PKCS#7 padding (the content encryption of CMS EnvelopedData) */
  aesCbcEncrypt (key: Uint8Array, iv: Uint8Array, data: Uint8Array): Promise<Uint8Array>
  aesCbcDecrypt (key: Uint8Array, iv: Uint8Array, data: Uint8Array): Promise<Uint8Array>
  /** Verifies `signature` over `data` with a SubjectPublicKeyInfo (ECDSA signatures are DER-encoded, as in X.509 and CMS). */
  verify (algorithm: SignatureAlgorithm, spkiDer: Uint8Array, data: Uint8Array, signature: Uint8Array): Promise<boolean>
}

/** A private signing key with its certificate; the key itself may live anywhere (file, browser, token). */
export interface Signer {
  certificateDer: Uint8Array
  algorithm: SignatureAlgorithm
  sign (data: Uint8Array): Promise<Uint8Array>
}

/** A private decryption key with its certificate (CMS recipient). */
export interface Decrypter {
  certificateDer: Uint8Array
  /** RSAES-OAEP with SHA-256 / MGF1-SHA-256 */
  rsaOaepDecrypt (data: Uint8Array): Promise<Uint8Array>
}
