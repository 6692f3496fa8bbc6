/**
 * Opening a sealed bid with its content key (revealed by the bidder at the opening, or recovered
 * through the tender's escrow): every chunk is authenticated, in order, up to the final one; the
 * files must match the manifest; the opening fields must match the commitment anchored before
 * the deadline; the manifest must carry the bidder's inner signature. Files stream to sinks the
 * caller provides, so memory stays bounded. Certificate path checks are the caller's (src/plugins/pki.ts).
 */
import { verifySignedData } from '../cms/signed-data.ts'
import type { JsonValue } from '../canonical-json.ts'
import type { CryptoProvider } from '../pki/crypto-provider.ts'
import { CommitmentMismatch, ContentKeyWrong, PackageMalformed, PackageTampered } from './errors.ts'
import {
  FLAG_FINAL, FLAG_MORE, FORMAT, MAX_MANIFEST_BYTES, RECORD_FILE, RECORD_MANIFEST, RECORD_SIGNATURE, TAG_BYTES, VERSION,
  chunkAad, chunkIv, commitmentInput, fromHex, fromUtf8, isSafeFileName, keyCheckInput, readU64, toHex,
  type Manifest, type ManifestFile, type PackageHeader
} from './format.ts'
import { readHeader } from './inspect.ts'
import { ByteReader } from './reader.ts'

export interface FileSink {
  write (piece: Uint8Array): void | Promise<void>
  close (): void | Promise<void>
}

export interface OpenInput {
  provider: CryptoProvider
  bytes: AsyncIterable<Uint8Array>
  contentKey: Uint8Array
  /** where each file's bytes go; omit (or return undefined) to only verify them */
  onFile?: (file: { name: string, size: number }) => FileSink | undefined | Promise<FileSink | undefined>
}

export interface OpenedBid {
  header: PackageHeader
  manifest: Manifest
  opening: Record<string, JsonValue>
  nonce: Uint8Array
  files: ManifestFile[]
  /** the inner signature (CMS, detached over the manifest) and its signer's certificate */
  innerSignature: Uint8Array
  signerCertificate: Uint8Array
  package: { size: number, sha256: string }
}

const MAX_SIGNATURE_BYTES = 256 * 1024

type RecordState =
  | { kind: 'header', bytes: Uint8Array, filled: number }
  | { kind: 'name', remaining: number, length: number, bytes: Uint8Array, filled: number }
  | { kind: 'file', name: string, size: number, remaining: number, hash: ReturnType<CryptoProvider['createSha256']>, sink: FileSink | undefined }
  | { kind: 'manifest' | 'signature', bytes: Uint8Array, filled: number }

export async function openBid (input: OpenInput): Promise<OpenedBid> {
  const { provider } = input
  const reader = new ByteReader(input.bytes)
  const packageHash = provider.createSha256()
  const read = async (length: number, what: string) => {
    const bytes = await reader.read(length)
    if (!bytes) throw new PackageTampered(`truncated in ${what}`)
    packageHash.update(bytes)
    return bytes
  }

  try {
    const { header, headerBytes } = await readHeader(reader, packageHash)
    const keyCheck = toHex((await provider.sha256(keyCheckInput(input.contentKey))).subarray(0, 16))
    if (input.contentKey.length !== 32 || keyCheck !== header.keyCheck) throw new ContentKeyWrong()
    const headerDigest = await provider.sha256(headerBytes)
    const ivPrefix = fromHex(header.ivPrefix)

    const files: ManifestFile[] = []
    let manifestBytes: Uint8Array | null = null
    let signature: Uint8Array | null = null
    let state: RecordState = { kind: 'header', bytes: new Uint8Array(9), filled: 0 }

    const startRecord = async (type: number, length: number): Promise<RecordState> => {
      if (signature) throw new PackageTampered('data after the inner signature')
      if (type === RECORD_FILE) {
        if (manifestBytes) throw new PackageMalformed('a file after the manifest')
        if (length < 2) throw new PackageMalformed('file record too short')
        return { kind: 'name', remaining: length, length: 0, bytes: new Uint8Array(2), filled: 0 }
      }
      if (type === RECORD_MANIFEST) {
        if (manifestBytes || length > MAX_MANIFEST_BYTES) throw new PackageMalformed('manifest repeated or too large')
        return { kind: 'manifest', bytes: new Uint8Array(length), filled: 0 }
      }
      if (type === RECORD_SIGNATURE) {
        if (!manifestBytes || length > MAX_SIGNATURE_BYTES) throw new PackageMalformed('signature before the manifest or too large')
        return { kind: 'signature', bytes: new Uint8Array(length), filled: 0 }
      }
      throw new PackageMalformed(`unknown record type ${type}`)
    }

    /** Feeds decrypted plaintext through the record framing. */
    const consume = async (plain: Uint8Array) => {
      let offset = 0
      while (offset < plain.length) {
        const available = plain.length - offset
        switch (state.kind) {
          case 'header': {
            const take = Math.min(9 - state.filled, available)
            state.bytes.set(plain.subarray(offset, offset + take), state.filled)
            state.filled += take
            offset += take
            if (state.filled === 9) state = await startRecord(state.bytes[0]!, readU64(state.bytes, 1))
            break
          }
          case 'name': {
            const target: Uint8Array = state.bytes
            const take = Math.min(target.length - state.filled, available)
            target.set(plain.subarray(offset, offset + take), state.filled)
            state.filled += take
            offset += take
            if (state.filled < target.length) break
            if (state.length === 0) {
              // the two length bytes are in: read the name itself next
              const length = (target[0]! << 8) | target[1]!
              if (length === 0 || state.remaining < 2 + length) throw new PackageMalformed('bad file name length')
              state = { kind: 'name', remaining: state.remaining, length, bytes: new Uint8Array(length), filled: 0 }
              break
            }
            const name = fromUtf8(target)
            if (!isSafeFileName(name) || files.some((file) => file.name === name)) throw new PackageMalformed(`unsafe or repeated file name ${JSON.stringify(name)}`)
            const size = state.remaining - 2 - state.length
            const sink = await input.onFile?.({ name, size })
            state = { kind: 'file', name, size, remaining: size, hash: provider.createSha256(), sink }
            if (size === 0) await finishFile()
            break
          }
          case 'file': {
            const take = Math.min(state.remaining, available)
            const piece = plain.subarray(offset, offset + take)
            state.hash.update(piece)
            await state.sink?.write(piece)
            state.remaining -= take
            offset += take
            if (state.remaining === 0) await finishFile()
            break
          }
          case 'manifest':
          case 'signature': {
            const take = Math.min(state.bytes.length - state.filled, available)
            state.bytes.set(plain.subarray(offset, offset + take), state.filled)
            state.filled += take
            offset += take
            if (state.filled === state.bytes.length) {
              if (state.kind === 'manifest') manifestBytes = state.bytes
              else signature = state.bytes
              state = { kind: 'header', bytes: new Uint8Array(9), filled: 0 }
            }
            break
          }
        }
      }
    }

    async function finishFile () {
      if (state.kind !== 'file') return
      files.push({ name: state.name, size: state.size, sha256: toHex(state.hash.digest()) })
      await state.sink?.close()
      state = { kind: 'header', bytes: new Uint8Array(9), filled: 0 }
    }

    for (let index = 0; ; index++) {
      const frame = await read(5, `chunk ${index}`)
      const flags = frame[0]!
      const length = new DataView(frame.buffer, frame.byteOffset + 1, 4).getUint32(0)
      if ((flags !== FLAG_MORE && flags !== FLAG_FINAL) || length > header.chunkSize) throw new PackageTampered(`chunk ${index} has a bad frame`)
      const sealed = await read(length + TAG_BYTES, `chunk ${index}`)
      let plain: Uint8Array
      try {
        plain = await provider.aesGcmDecrypt(input.contentKey, chunkIv(ivPrefix, index), chunkAad(headerDigest, index, flags), sealed)
      } catch {
        throw new PackageTampered(`chunk ${index} does not authenticate`)
      }
      await consume(plain)
      if (flags === FLAG_FINAL) break
    }
    if (!await reader.atEnd()) throw new PackageTampered('data after the final chunk')
    if (state.kind !== 'header' || state.filled !== 0) throw new PackageMalformed('the last record is incomplete')
    if (!manifestBytes || !signature) throw new PackageMalformed('the manifest or the inner signature is missing')

    const manifest = parseManifest(manifestBytes, header)
    if (manifest.files.length !== files.length || manifest.files.some((file, index) =>
      file.name !== files[index]!.name || file.size !== files[index]!.size || file.sha256 !== files[index]!.sha256)) {
      throw new PackageTampered('the files do not match the manifest')
    }
    const nonce = fromHex(manifest.nonce)
    const commitment = toHex(await provider.sha256(commitmentInput(manifest.opening, nonce)))
    if (commitment !== header.commitment) throw new CommitmentMismatch('the sealed opening fields were not the committed ones')
    const [signer] = await verifySignedData({ provider, der: signature, content: manifestBytes })
    return {
      header,
      manifest,
      opening: manifest.opening,
      nonce,
      files,
      innerSignature: signature,
      signerCertificate: signer!.certificateDer,
      package: { size: reader.consumed, sha256: toHex(packageHash.digest()) }
    }
  } finally {
    await reader.cancel()
  }
}

function parseManifest (bytes: Uint8Array, header: PackageHeader): Manifest {
  let manifest: Manifest
  try {
    manifest = JSON.parse(fromUtf8(bytes)) as Manifest
  } catch {
    throw new PackageMalformed('the manifest is not JSON')
  }
  if (manifest.format !== FORMAT || manifest.version !== VERSION || !Array.isArray(manifest.files) ||
    typeof manifest.opening !== 'object' || manifest.opening === null || typeof manifest.nonce !== 'string' || !/^[0-9a-f]{64}$/.test(manifest.nonce)) {
    throw new PackageMalformed('the manifest lacks required fields')
  }
  if (manifest.tenderId !== header.tenderId) throw new PackageTampered('the manifest belongs to another tender')
  return manifest
}
