/** The CryptoProvider on the server: node:crypto (native, constant-time where it matters). */
import { createCipheriv, createDecipheriv, createHash, createPublicKey, constants, privateDecrypt, publicEncrypt, randomBytes, sign, verify, type KeyObject } from 'node:crypto'
import type { CryptoProvider, Decrypter, SignatureAlgorithm, Signer } from './crypto-provider.ts'

const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' } as const

/** Parsed public keys by their SPKI bytes: the same signers and recipients come back all day. */
const publicKeys = new Map<string, KeyObject>()
const PUBLIC_KEY_CACHE = 2_000

function spkiKey (spkiDer: Uint8Array): KeyObject {
  const id = Buffer.from(spkiDer.buffer, spkiDer.byteOffset, spkiDer.byteLength).toString('base64')
  let key = publicKeys.get(id)
  if (!key) {
    key = createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' })
    if (publicKeys.size >= PUBLIC_KEY_CACHE) publicKeys.delete(publicKeys.keys().next().value as string)
    publicKeys.set(id, key)
  }
  return key
}

export const nodeCrypto: CryptoProvider = {
  async sha256 (data) {
    return createHash('sha256').update(data).digest()
  },
  createSha256 () {
    const hash = createHash('sha256')
    return { update: (data) => { hash.update(data) }, digest: () => hash.digest() }
  },
  async aesGcmEncrypt (key, iv, aad, plaintext) {
    const cipher = createCipheriv('aes-256-gcm', key, iv)
    cipher.setAAD(aad)
    return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])
  },
  async aesGcmDecrypt (key, iv, aad, sealed) {
    const decipher = createDecipheriv('aes-256-gcm', key, iv)
    decipher.setAAD(aad)
    decipher.setAuthTag(sealed.subarray(sealed.length - 16))
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()])
  },
  randomBytes (length) {
    return randomBytes(length)
  },
  async rsaOaepEncrypt (spkiDer, data) {
    return publicEncrypt({ key: spkiKey(spkiDer), ...OAEP }, data)
  },
  async aesCbcEncrypt (key, iv, data) {
    const cipher = createCipheriv('aes-256-cbc', key, iv)
    return Buffer.concat([cipher.update(data), cipher.final()])
  },
  async aesCbcDecrypt (key, iv, data) {
    const decipher = createDecipheriv('aes-256-cbc', key, iv)
    return Buffer.concat([decipher.update(data), decipher.final()])
  },
  async verify (algorithm, spkiDer, data, signature) {
    try {
      return verify('sha256', data, { key: spkiKey(spkiDer), ...(algorithm === 'ecdsa-sha256' ? { dsaEncoding: 'der' as const } : {}) }, signature)
    } catch {
      return false
    }
  }
}

export function signatureAlgorithmOf (key: KeyObject): SignatureAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return 'rsa-pkcs1-sha256'
  if (key.asymmetricKeyType === 'ec') return 'ecdsa-sha256'
  throw new Error(`unsupported signing key type ${key.asymmetricKeyType ?? 'unknown'}`)
}

export function nodeSigner (certificateDer: Uint8Array, privateKey: KeyObject): Signer {
  const algorithm = signatureAlgorithmOf(privateKey)
  return {
    certificateDer,
    algorithm,
    async sign (data) {
      return sign('sha256', data, algorithm === 'ecdsa-sha256' ? { key: privateKey, dsaEncoding: 'der' } : privateKey)
    }
  }
}

export function nodeDecrypter (certificateDer: Uint8Array, privateKey: KeyObject): Decrypter {
  return {
    certificateDer,
    async rsaOaepDecrypt (data) {
      return privateDecrypt({ key: privateKey, ...OAEP }, data)
    }
  }
}
