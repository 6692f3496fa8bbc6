import { randomBytes } from 'node:crypto'
import type { Actor } from '../../lib/actor.ts'
import { BANK_HEADERS, NONCE_PATTERN, bankSigningString, isFreshBankRequest, parseBankSignature, verifyBankHmac, type BankRequest } from '../../lib/bank-signature.ts'
import type { MasterKey } from '../../lib/master-key.ts'
import type { BankCaller } from '../../lib/policy.ts'
import { pemToDer } from '../../lib/pki/x509-parts.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { Clock } from '../../plugins/clock.ts'
import type { Database, Queryable } from '../../plugins/db.ts'
import { fingerprintOf, type Pki } from '../../plugins/pki.ts'
import {
  BankCertificateInvalid, BankCodeTaken, BankNotFound, BankRequestReplayed, BankRequestStale, BankSignatureInvalid, BankUnknown
} from './banks.errors.ts'
import * as repo from './banks.repository.ts'
import type { BankView, CreateBank } from './banks.schemas.ts'

export interface BanksDeps { db: Database, audit: Audit, clock: Clock, pki: Pki, masterKey: MasterKey, maxSkewSeconds: number }

/** A bank request as it arrived: what the signature covers plus its headers. */
export interface IncomingBankRequest {
  bankCode: string
  method: string
  path: string
  headers: Record<string, string | string[] | undefined>
  body: Uint8Array
}

export type AuthenticatedBank = BankCaller

const KEY_PURPOSE = (bankId: string) => `bank-hmac:${bankId}`

function toBankView (row: repo.BankRow): BankView {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    authMethod: row.authMethod,
    certificateFingerprint: row.certificateFingerprint,
    active: row.active,
    createdAt: row.createdAt.toISOString()
  }
}

function header (headers: IncomingBankRequest['headers'], name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

export function createBanksService ({ db, audit, clock, pki, masterKey, maxSkewSeconds }: BanksDeps) {
  /** Unsealed HMAC keys by their sealed text: a rotation seals a new text, so entries never go stale. */
  const keys = new Map<string, Buffer>()
  /**
   * Registered banks by code, as every signed request needs one: filled on use (unknown codes are
   * not remembered, so random codes cannot grow it) and emptied on every instance when any bank
   * changes (NOTIFY at commit), so a rotated key or a deactivation takes effect within moments.
   */
  const byCode = new Map<string, repo.BankRow>()

  async function bankByCode (code: string): Promise<repo.BankRow | undefined> {
    const cached = byCode.get(code)
    if (cached) return cached
    const row = await repo.findBankByCode(db, code)
    if (row) byCode.set(code, row)
    return row
  }

  function forgetCachedBanks () {
    byCode.clear()
  }

  function hmacKeyOf (bank: repo.BankRow): Buffer {
    const sealed = bank.sealedHmacKey!
    let key = keys.get(sealed)
    if (!key) {
      key = masterKey.open(sealed, KEY_PURPOSE(bank.id))
      keys.set(sealed, key)
    }
    return key
  }

  function certificateFingerprint (pem: string | undefined): string {
    const [der] = pem ? pemToDer(pem) : []
    if (!der) throw new BankCertificateInvalid('a PEM certificate is required for the certificate method')
    pki.verifyPath(der)
    return fingerprintOf(der)
  }

  async function createBank (actor: Actor, input: CreateBank): Promise<{ bank: BankView, hmacKey: string | null }> {
    const fingerprint = input.authMethod === 'certificate' ? certificateFingerprint(input.certificate) : null
    const hmacKey = input.authMethod === 'hmac' ? randomBytes(32) : null
    const id = crypto.randomUUID()
    return db.transaction(async (tx) => {
      const row = await repo.insertBank(tx, {
        id,
        code: input.code,
        name: input.name,
        authMethod: input.authMethod,
        sealedHmacKey: hmacKey ? masterKey.seal(hmacKey, KEY_PURPOSE(id)) : null,
        certificateFingerprint: fingerprint,
        createdBy: actor.principal.accountId,
        createdAt: clock.now()
      })
      if (!row) throw new BankCodeTaken(input.code)
      await repo.announceChange(tx)
      await audit.append(tx, auditRecord(actor, 'bank.registered', 'bank', row.id, { code: row.code, name: row.name, authMethod: row.authMethod, certificateFingerprint: fingerprint }))
      return { bank: toBankView(row), hmacKey: hmacKey?.toString('base64') ?? null }
    })
  }

  /**
   * A bank built into the platform (the simulated bank) whose key the platform derives itself:
   * registered on first start, its key kept in step on every start.
   */
  async function ensureBuiltInBank (input: { code: string, name: string, hmacKey: Buffer }): Promise<BankView> {
    return db.transaction(async (tx) => {
      const existing = await repo.findBankByCode(tx, input.code)
      if (existing) {
        // a bank a person registered under this code is theirs: the platform never takes it over
        if (existing.createdBy !== null || existing.authMethod !== 'hmac') throw new Error(`bank code ${input.code} belongs to a registered bank, not the built-in one`)
        if (!existing.sealedHmacKey || !hmacKeyOf(existing).equals(input.hmacKey)) {
          await repo.updateBank(tx, existing.id, { sealedHmacKey: masterKey.seal(input.hmacKey, KEY_PURPOSE(existing.id)) })
          await repo.announceChange(tx)
          await audit.append(tx, auditRecord(null, 'bank.key_rotated', 'bank', existing.id, { code: existing.code, builtIn: true }))
        }
        return toBankView(existing)
      }
      const id = crypto.randomUUID()
      const row = (await repo.insertBank(tx, {
        id, code: input.code, name: input.name, authMethod: 'hmac', sealedHmacKey: masterKey.seal(input.hmacKey, KEY_PURPOSE(id)), createdBy: null, createdAt: clock.now()
      }))!
      await repo.announceChange(tx)
      await audit.append(tx, auditRecord(null, 'bank.registered', 'bank', row.id, { code: row.code, name: row.name, authMethod: 'hmac', builtIn: true }))
      return toBankView(row)
    })
  }

  /** A new HMAC key; the old one stops working at once (give the bank the new one first). */
  async function rotateHmacKey (actor: Actor, bankId: string): Promise<{ bank: BankView, hmacKey: string | null }> {
    const hmacKey = randomBytes(32)
    return db.transaction(async (tx) => {
      const bank = await repo.findBank(tx, bankId)
      if (!bank || bank.authMethod !== 'hmac') throw new BankNotFound(bankId)
      await repo.updateBank(tx, bank.id, { sealedHmacKey: masterKey.seal(hmacKey, KEY_PURPOSE(bank.id)) })
      await repo.announceChange(tx)
      await audit.append(tx, auditRecord(actor, 'bank.key_rotated', 'bank', bank.id))
      return { bank: toBankView(bank), hmacKey: hmacKey.toString('base64') }
    })
  }

  async function setActive (actor: Actor, bankId: string, active: boolean): Promise<BankView> {
    return db.transaction(async (tx) => {
      const bank = await repo.findBank(tx, bankId)
      if (!bank) throw new BankNotFound(bankId)
      await repo.updateBank(tx, bank.id, { active })
      await repo.announceChange(tx)
      await audit.append(tx, auditRecord(actor, active ? 'bank.activated' : 'bank.deactivated', 'bank', bank.id))
      return toBankView({ ...bank, active })
    })
  }

  async function listBanks (): Promise<BankView[]> {
    return (await repo.listBanks(db)).map(toBankView)
  }

  async function getBank (bankId: string, on: Queryable = db): Promise<BankView> {
    const row = await repo.findBank(on, bankId)
    if (!row) throw new BankNotFound(bankId)
    return toBankView(row)
  }

  /** The active bank with this code, named by a cashier or in a statement upload. */
  async function requireActiveBank (code: string): Promise<BankView> {
    const row = await repo.findBankByCode(db, code)
    if (!row?.active) throw new BankUnknown(code)
    return toBankView(row)
  }

  /**
   * Checks a bank request's signature and freshness. The nonce is consumed separately, inside the
   * transaction of the request's effect (`consumeNonce`), so a request that failed can be retried.
   */
  async function authenticate (request: IncomingBankRequest): Promise<AuthenticatedBank> {
    const bank = await bankByCode(request.bankCode)
    const timestamp = header(request.headers, BANK_HEADERS.timestamp) ?? ''
    const nonce = header(request.headers, BANK_HEADERS.nonce) ?? ''
    const signature = parseBankSignature(header(request.headers, BANK_HEADERS.signature))
    if (!bank?.active || !signature || !NONCE_PATTERN.test(nonce)) throw new BankSignatureInvalid()
    const signed: BankRequest = { method: request.method, path: request.path, timestamp, nonce, body: request.body }
    if (signature.scheme === 'hmac-sha256') {
      if (bank.authMethod !== 'hmac' || !verifyBankHmac(hmacKeyOf(bank), signed, signature.value)) throw new BankSignatureInvalid()
    } else {
      if (bank.authMethod !== 'certificate') throw new BankSignatureInvalid()
      const verified = await pki.verifySignature({ cms: signature.value, content: Buffer.from(bankSigningString(signed)) }).catch(() => null)
      if (verified?.signer.fingerprint !== bank.certificateFingerprint) throw new BankSignatureInvalid()
    }
    // checked after the signature, so only the bank learns that its clock is off
    if (!isFreshBankRequest(timestamp, clock.now(), maxSkewSeconds)) throw new BankRequestStale(maxSkewSeconds)
    return { id: bank.id, code: bank.code, name: bank.name, nonce }
  }

  async function consumeNonce (tx: Queryable, bank: AuthenticatedBank): Promise<void> {
    if (!await repo.insertNonce(tx, bank.id, bank.nonce, clock.now())) throw new BankRequestReplayed()
  }

  /** Nonces older than the freshness window can never be replayed again (the timestamp check refuses them). */
  async function purgeNonces (tx: Queryable): Promise<number> {
    return repo.deleteNoncesBefore(tx, new Date(clock.now().getTime() - 2 * maxSkewSeconds * 1000))
  }

  return { createBank, ensureBuiltInBank, rotateHmacKey, setActive, listBanks, getBank, requireActiveBank, authenticate, consumeNonce, purgeNonces, forgetCachedBanks }
}

export type BanksService = ReturnType<typeof createBanksService>
