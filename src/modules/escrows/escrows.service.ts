import { createPrivateKey, generateKeyPair, type KeyObject } from 'node:crypto'
import { promisify } from 'node:util'
import type { Actor } from '../../lib/actor.ts'
import { createEnvelopedData } from '../../lib/cms/index.ts'
import { sha256Hex } from '../../lib/crypto-bits.ts'
import type { MasterKey } from '../../lib/master-key.ts'
import type { Decrypter } from '../../lib/pki/crypto-provider.ts'
import { spkiOf } from '../../lib/pki/issuance.ts'
import { encodeName } from '../../lib/pki/names.ts'
import { nodeCrypto, nodeDecrypter } from '../../lib/pki/node-crypto.ts'
import { derToPem } from '../../lib/pki/x509-parts.ts'
import { hasRole, mayAttempt } from '../../lib/policy.ts'
import { combineShares, decodeShare, encodeShare, splitSecret } from '../../lib/shamir.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { Clock } from '../../plugins/clock.ts'
import type { Database, Queryable, Transaction } from '../../plugins/db.ts'
import type { Pki } from '../../plugins/pki.ts'
import type { PkiService } from '../pki/pki.service.ts'
import {
  CustodianWithoutCertificate, EscrowNotFound, EscrowNotYetOpen, EscrowParametersInvalid, EscrowQuorumNotMet, EscrowShareInvalid,
  EscrowShareSubmitted
} from './escrows.errors.ts'
import * as repo from './escrows.repository.ts'
import { mayReassemble, parametersProblem } from './escrows.rules.ts'
import type { CreateEscrow, EscrowView } from './escrows.schemas.ts'

const generateRsa = promisify(generateKeyPair)

export interface EscrowsDeps { db: Database, audit: Audit, pki: Pki, pkiService: PkiService, clock: Clock, masterKey: MasterKey }

const sealPurpose = (escrowId: string, index: number) => `escrow-share:${escrowId}:${index}`

export function createEscrowsService ({ db, audit, pki, pkiService, clock, masterKey }: EscrowsDeps) {
  async function view (tx: Queryable, escrow: repo.EscrowRow): Promise<EscrowView> {
    const shares = await repo.sharesOf(tx, escrow.id)
    return {
      id: escrow.id,
      reference: escrow.reference,
      threshold: escrow.threshold,
      shareCount: escrow.shareCount,
      notBefore: escrow.notBefore.toISOString(),
      certificatePem: derToPem(escrow.certificate),
      custodians: shares.map((share) => ({ index: share.index, custodianId: share.custodianId, submitted: share.submittedAt !== null })),
      createdAt: escrow.createdAt.toISOString()
    }
  }

  /**
   * Creates the escrow key, certifies it, splits its private key into one share per custodian
   * (each encrypted to the custodian's certificate) and forgets it: it is never stored whole.
   */
  async function createEscrow (actor: Actor, input: CreateEscrow): Promise<EscrowView> {
    const problem = parametersProblem(input.threshold, input.custodians.length, new Set(input.custodians).size)
    if (problem) throw new EscrowParametersInvalid(problem)
    const notBefore = new Date(input.notBefore)
    if (notBefore.getTime() <= clock.now().getTime()) throw new EscrowParametersInvalid('notBefore must lie in the future (the bid deadline)')
    const recipients: Uint8Array[] = []
    for (const custodian of input.custodians) {
      const certificate = await pkiService.encryptionCertificateOf(custodian)
      if (!certificate) throw new CustodianWithoutCertificate(custodian)
      recipients.push(certificate)
    }
    const { privateKey } = await generateRsa('rsa', { modulusLength: 2048 })
    const now = clock.now()
    const certificate = pki.issue({
      subjectDer: encodeName([['C', 'CN'], ['OU', 'Key escrow'], ['CN', `Escrow ${input.reference}`.slice(0, 64)]]),
      spkiDer: spkiOf(privateKey),
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(Math.max(notBefore.getTime(), now.getTime()) + 2 * 365 * 86_400_000),
      keyUsage: ['keyEncipherment']
    })
    const secret = privateKey.export({ type: 'pkcs8', format: 'der' })
    const shares = splitSecret(secret, recipients.length, input.threshold, nodeCrypto.randomBytes)
    secret.fill(0)
    const rows: Array<Parameters<typeof repo.insertEscrow>[2][number]> = []
    for (const [index, share] of shares.entries()) {
      const encoded = encodeShare(share)
      rows.push({
        index: share.x,
        custodianId: input.custodians[index]!,
        custodianCertificate: Buffer.from(recipients[index]!),
        envelope: Buffer.from(await createEnvelopedData({ provider: nodeCrypto, content: encoded, recipients: [recipients[index]!] })),
        shareDigest: sha256Hex(encoded)
      })
      encoded.fill(0)
      share.y.fill(0)
    }
    return db.transaction(async (tx) => {
      const escrow = await repo.insertEscrow(tx, {
        reference: input.reference,
        threshold: input.threshold,
        shareCount: shares.length,
        certificate: Buffer.from(certificate),
        notBefore,
        createdBy: actor.principal.accountId
      }, rows)
      await audit.append(tx, auditRecord(actor, 'escrow.created', 'escrow', escrow.id, {
        reference: input.reference, threshold: input.threshold, custodians: input.custodians, notBefore: notBefore.toISOString()
      }))
      return view(tx, escrow)
    })
  }

  async function findVisible (actor: Actor, escrowId: string) {
    const escrow = await repo.findEscrow(db, escrowId)
    if (!escrow) throw new EscrowNotFound(escrowId)
    const custodian = await repo.findCustodianShare(db, escrowId, actor.principal.accountId)
    const oversees = mayAttempt(actor.principal, 'escrows.read') && (hasRole(actor.principal, 'hall_admin') || hasRole(actor.principal, 'supervisor') || escrow.createdBy === actor.principal.accountId)
    if (!custodian && !oversees) throw new EscrowNotFound(escrowId)
    return { escrow, custodian }
  }

  async function getEscrow (actor: Actor, escrowId: string) {
    return view(db, (await findVisible(actor, escrowId)).escrow)
  }

  /** A custodian fetches its encrypted share, to decrypt it with its own key. */
  async function myShare (actor: Actor, escrowId: string) {
    const { custodian } = await findVisible(actor, escrowId)
    if (!custodian) throw new EscrowNotFound(escrowId)
    return { index: custodian.index, envelope: custodian.envelope.toString('base64'), submittedAt: custodian.submittedAt?.toISOString() ?? null }
  }

  /** After the deadline a custodian hands in its decrypted share (kept sealed until the key is used). */
  async function submitShare (actor: Actor, escrowId: string, shareBase64: string) {
    await db.transaction(async (tx) => {
      const escrow = await repo.findEscrow(tx, escrowId)
      const custodian = escrow && await repo.findCustodianShare(tx, escrowId, actor.principal.accountId, { forUpdate: true })
      if (!escrow || !custodian) throw new EscrowNotFound(escrowId)
      if (!mayReassemble(escrow.notBefore, clock.now())) throw new EscrowNotYetOpen(escrow.notBefore.toISOString())
      if (custodian.submittedAt) throw new EscrowShareSubmitted()
      const share = Buffer.from(shareBase64, 'base64')
      if (sha256Hex(share) !== custodian.shareDigest) throw new EscrowShareInvalid()
      await repo.recordSubmission(tx, escrowId, custodian.index, masterKey.seal(share, sealPurpose(escrowId, custodian.index)), clock.now())
      share.fill(0)
      await audit.append(tx, auditRecord(actor, 'escrow.share_submitted', 'escrow', escrowId, { index: custodian.index }))
    })
  }

  /**
   * Reassembles the escrow key from the submitted shares (at least the threshold, after the
   * deadline), lends it to `work` as a CMS decrypter, and wipes it. The reassembly is audited,
   * in its own transaction, before the key is used.
   */
  async function withEscrowKey<T> (actor: Actor | null, escrowId: string, purpose: string, work: (decrypter: Decrypter) => Promise<T>): Promise<T> {
    const escrow = await repo.findEscrow(db, escrowId)
    if (!escrow) throw new EscrowNotFound(escrowId)
    if (!mayReassemble(escrow.notBefore, clock.now())) throw new EscrowNotYetOpen(escrow.notBefore.toISOString())
    const submitted = await repo.submittedShares(db, escrowId)
    if (submitted.length < escrow.threshold) throw new EscrowQuorumNotMet(submitted.length, escrow.threshold)
    await db.transaction(async (tx) => {
      await audit.append(tx, auditRecord(actor, 'escrow.key_reassembled', 'escrow', escrowId, {
        purpose, shares: submitted.map((share) => share.index)
      }))
    })
    const shares = submitted.map((share) => decodeShare(masterKey.open(share.sealedSubmission!, sealPurpose(escrowId, share.index))))
    const secret = combineShares(shares)
    let privateKey: KeyObject | undefined
    try {
      privateKey = createPrivateKey({ key: Buffer.from(secret), format: 'der', type: 'pkcs8' })
      return await work(nodeDecrypter(new Uint8Array(escrow.certificate), privateKey))
    } finally {
      secret.fill(0)
      for (const share of shares) share.y.fill(0)
    }
  }

  /**
   * Moves the escrow's earliest use to a later bid deadline, inside the transaction that moves
   * the deadline: the key must never be reassembled while bids can still arrive.
   */
  async function postpone (tx: Transaction, escrowId: string, notBefore: Date): Promise<void> {
    await repo.setNotBefore(tx, escrowId, notBefore)
  }

  /** What bidders need to seal to the escrow too, published with the tender. */
  async function publicInfo (escrowId: string, on: Queryable = db) {
    const escrow = await repo.findEscrow(on, escrowId)
    if (!escrow) throw new EscrowNotFound(escrowId)
    return { id: escrow.id, threshold: escrow.threshold, shareCount: escrow.shareCount, certificatePem: derToPem(escrow.certificate) }
  }

  return { createEscrow, getEscrow, myShare, submitShare, withEscrowKey, postpone, publicInfo }
}

export type EscrowsService = ReturnType<typeof createEscrowsService>
