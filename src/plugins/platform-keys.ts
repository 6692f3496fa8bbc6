/**
 * The platform's own keys (audit checkpoints, its CAs, its document signer), kept in
 * platform_keys with the private half sealed under the master key. Creation is idempotent
 * across instances: the first to insert wins, every instance then reads the same row.
 * The public half is always derived from the sealed private key, never trusted from the table,
 * so swapping a row without the master key is noticed.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { platformKeys } from '../../schema/index.ts'
import { sha256Hex } from '../lib/crypto-bits.ts'
import type { MasterKey } from '../lib/master-key.ts'
import type { Database } from './db.ts'

export interface PlatformKey {
  keyId: string
  privateKey: KeyObject
  publicKey: KeyObject
  publicKeyPem: string
  /** DER, for certified keys */
  certificate: Uint8Array | null
}

const sealPurpose = (purpose: string) => `platform-key:${purpose}`

function open (row: typeof platformKeys.$inferSelect, masterKey: MasterKey): PlatformKey {
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey({ key: masterKey.open(row.sealedPrivateKey, sealPurpose(row.purpose)), format: 'der', type: 'pkcs8' })
  } catch {
    throw new Error('MASTER_KEY does not open the platform keys in this database (was it changed?)')
  }
  const publicKey = createPublicKey(privateKey)
  return {
    keyId: sha256Hex(publicKey.export({ type: 'spki', format: 'der' })).slice(0, 16),
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    certificate: row.certificate ? new Uint8Array(row.certificate) : null
  }
}

export async function findPlatformKey (db: Database, masterKey: MasterKey, purpose: string): Promise<PlatformKey | null> {
  const [row] = await db.select().from(platformKeys).where(eq(platformKeys.purpose, purpose))
  return row ? open(row, masterKey) : null
}

/** Returns the key for `purpose`, creating it (and its certificate) on first use. */
export async function ensurePlatformKey (
  db: Database,
  masterKey: MasterKey,
  purpose: string,
  create: () => { privateKey: KeyObject, algorithm: string, certificate?: (privateKey: KeyObject) => Uint8Array }
): Promise<PlatformKey> {
  const existing = await findPlatformKey(db, masterKey, purpose)
  if (existing) return existing
  const fresh = create()
  const publicKey = createPublicKey(fresh.privateKey)
  await db.insert(platformKeys).values({
    id: sha256Hex(publicKey.export({ type: 'spki', format: 'der' })).slice(0, 16),
    purpose,
    algorithm: fresh.algorithm,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sealedPrivateKey: masterKey.seal(fresh.privateKey.export({ type: 'pkcs8', format: 'der' }), sealPurpose(purpose)),
    certificate: fresh.certificate ? Buffer.from(fresh.certificate(fresh.privateKey)) : null
  }).onConflictDoNothing()
  return (await findPlatformKey(db, masterKey, purpose))!
}
