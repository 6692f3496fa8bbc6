/**
 * The CryptoProvider over WebCrypto (`globalThis.crypto.subtle`), for the bidder's browser: the
 * same sealing code as the command-line client, with the key kept in the browser. Node has the
 * same API, which is how the tests prove both providers produce and read the same packages.
 * WebCrypto has no incremental hash, so streamed SHA-256 uses forge (pure JavaScript).
 */
import forge from 'node-forge'
import type { CryptoProvider, Decrypter, SignatureAlgorithm, Signer } from './crypto-provider.ts'
import { fromBinary, parseDer, toBinary } from './x509-parts.ts'

const subtle = () => globalThis.crypto.subtle

/** WebCrypto wants ArrayBuffer-backed views; copies only when a view is not already one. */
const bytes = (data: Uint8Array): Uint8Array<ArrayBuffer> => (data.buffer instanceof ArrayBuffer ? data as Uint8Array<ArrayBuffer> : new Uint8Array(data))

/** ECDSA: WebCrypto signs as r ‖ s; X.509 and CMS carry a DER SEQUENCE of two INTEGERs. */
export function ecdsaRawToDer (raw: Uint8Array): Uint8Array {
  const half = raw.length / 2
  const integer = (value: Uint8Array) => {
    let start = 0
    while (start < value.length - 1 && value[start] === 0) start++
    const trimmed = value.subarray(start)
    return forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.INTEGER, false,
      toBinary(trimmed[0]! & 0x80 ? Uint8Array.of(0, ...trimmed) : trimmed))
  }
  const sequence = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [integer(raw.subarray(0, half)), integer(raw.subarray(half))])
  return fromBinary(forge.asn1.toDer(sequence).getBytes())
}

export function ecdsaDerToRaw (der: Uint8Array, size = 32): Uint8Array {
  const [r, s] = parseDer(der).value as forge.asn1.Asn1[]
  const out = new Uint8Array(size * 2)
  for (const [index, part] of [r!, s!].entries()) {
    const value = fromBinary(part.value as string)
    const trimmed = value.length > size ? value.subarray(value.length - size) : value
    out.set(trimmed, index * size + size - trimmed.length)
  }
  return out
}

function verifyAlgorithm (algorithm: SignatureAlgorithm) {
  return algorithm === 'ecdsa-sha256'
    ? { import: { name: 'ECDSA', namedCurve: 'P-256' }, verify: { name: 'ECDSA', hash: 'SHA-256' } }
    : { import: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, verify: { name: 'RSASSA-PKCS1-v1_5' } }
}

export const webCrypto: CryptoProvider = {
  async sha256 (data) {
    return new Uint8Array(await subtle().digest('SHA-256', bytes(data)))
  },
  createSha256 () {
    const digest = forge.md.sha256.create()
    return { update: (data) => { digest.update(toBinary(data)) }, digest: () => fromBinary(digest.digest().getBytes()) }
  },
  randomBytes (length) {
    return globalThis.crypto.getRandomValues(new Uint8Array(length))
  },
  async rsaOaepEncrypt (spkiDer, data) {
    const key = await subtle().importKey('spki', bytes(spkiDer), { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt'])
    return new Uint8Array(await subtle().encrypt({ name: 'RSA-OAEP' }, key, bytes(data)))
  },
  async aesCbcEncrypt (key, iv, data) {
    const imported = await subtle().importKey('raw', bytes(key), 'AES-CBC', false, ['encrypt'])
    return new Uint8Array(await subtle().encrypt({ name: 'AES-CBC', iv: bytes(iv) }, imported, bytes(data)))
  },
  async aesCbcDecrypt (key, iv, data) {
    const imported = await subtle().importKey('raw', bytes(key), 'AES-CBC', false, ['decrypt'])
    return new Uint8Array(await subtle().decrypt({ name: 'AES-CBC', iv: bytes(iv) }, imported, bytes(data)))
  },
  async aesGcmEncrypt (key, iv, aad, plaintext) {
    const imported = await subtle().importKey('raw', bytes(key), 'AES-GCM', false, ['encrypt'])
    return new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv: bytes(iv), additionalData: bytes(aad), tagLength: 128 }, imported, bytes(plaintext)))
  },
  async aesGcmDecrypt (key, iv, aad, sealed) {
    const imported = await subtle().importKey('raw', bytes(key), 'AES-GCM', false, ['decrypt'])
    return new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv: bytes(iv), additionalData: bytes(aad), tagLength: 128 }, imported, bytes(sealed)))
  },
  async verify (algorithm, spkiDer, data, signature) {
    try {
      const { import: importAlgorithm, verify } = verifyAlgorithm(algorithm)
      const key = await subtle().importKey('spki', bytes(spkiDer), importAlgorithm, false, ['verify'])
      const raw = algorithm === 'ecdsa-sha256' ? ecdsaDerToRaw(signature) : signature
      return await subtle().verify(verify, key, bytes(raw), bytes(data))
    } catch {
      return false
    }
  }
}

/** A signer over a non-extractable WebCrypto private key (RSASSA-PKCS1-v1_5 or ECDSA P-256, SHA-256). */
export function webSigner (certificateDer: Uint8Array, privateKey: CryptoKey): Signer {
  const algorithm: SignatureAlgorithm = privateKey.algorithm.name === 'ECDSA' ? 'ecdsa-sha256' : 'rsa-pkcs1-sha256'
  return {
    certificateDer,
    algorithm,
    async sign (data) {
      if (algorithm === 'ecdsa-sha256') {
        return ecdsaRawToDer(new Uint8Array(await subtle().sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, bytes(data))))
      }
      return new Uint8Array(await subtle().sign({ name: 'RSASSA-PKCS1-v1_5' }, privateKey, bytes(data)))
    }
  }
}

/** A CMS recipient over a WebCrypto RSA-OAEP (SHA-256) private key. */
export function webDecrypter (certificateDer: Uint8Array, privateKey: CryptoKey): Decrypter {
  return {
    certificateDer,
    async rsaOaepDecrypt (data) {
      return new Uint8Array(await subtle().decrypt({ name: 'RSA-OAEP' }, privateKey, bytes(data)))
    }
  }
}
