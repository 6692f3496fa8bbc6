/**
 * The opening record (开标记录表): the canonical JSON the platform signs, built in the transaction
 * that publishes it, and its stored copies (the JSON, the CMS signature, the PDF), made after that
 * transaction commits and retained.
 */
import { X509Certificate } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { canonicalJson, type JsonValue } from '../../lib/canonical-json.ts'
import type { CoefficientRange } from '../../lib/commit-reveal.ts'
import { sha256Hex } from '../../lib/crypto-bits.ts'
import { formatYuan } from '../../lib/money.ts'
import { renderOpeningRecordPdf } from '../../lib/pdf/index.ts'
import type { Clock } from '../../plugins/clock.ts'
import type { Database, Transaction } from '../../plugins/db.ts'
import type { Pki } from '../../plugins/pki.ts'
import type { Store } from '../../plugins/storage.ts'
import type { ProjectsService } from '../projects/projects.service.ts'
import type { TenderRow } from '../tenders/tenders.repository.ts'
import type { OpeningField } from '../tenders/tenders.schemas.ts'
import type { TendersService } from '../tenders/tenders.service.ts'
import { coefficientRangeOf, kContext, kDeadlineOf } from './openings.coefficient.ts'
import * as repo from './openings.repository.ts'
import { recordRows, referencePriceFen } from './openings.rules.ts'

export const RECORD_KINDS = { json: 'application/json', p7s: 'application/pkcs7-signature', pdf: 'application/pdf' } as const

/** The signed opening record (canonical JSON): what the PDF prints and the public page shows. */
export interface OpeningRecord {
  format: 'openhall-opening-record'
  version: 1
  tender: { id: string, code: string, title: string }
  tendererName: string
  venueName: string | null
  bidDeadline: string
  openedAt: string
  priceCeilingFen: string | null
  /** K and everything `npm run verify-draw -- --record` needs to re-compute it; the nonce's deadline and who gave it (the host only after that deadline) */
  coefficient: { value: string, commitment: string, nonce: string, secret: string, context: string, range: CoefficientRange, deadline: string | null, drawnAs: string | null } | null
  referencePriceFen: string | null
  fields: Array<{ key: string, label: string, kind: OpeningField['kind'] }>
  bids: Array<{ bidderId: string, bidderName: string, bond: string, outcome: string, fields: Record<string, string | number | null>, commitment: string | null, sha256: string | null, failure: string | null, openedBy: string | null }>
}

export interface OpeningRecordsDeps {
  db: Database
  clock: Clock
  store: Store
  pki: Pki
  tenders: TendersService
  projects: ProjectsService
  log: FastifyBaseLogger
  hallName: string
  publicUrl: string
}

export function createOpeningRecords ({ db, clock, store, pki, tenders, projects, log, hallName, publicUrl }: OpeningRecordsDeps) {
  /** 开标记录表: what the opening established, as the canonical JSON that is signed and printed. */
  async function buildRecord (tx: Transaction, opening: repo.OpeningRow, tender: TenderRow, all: repo.OpeningBidRow[]): Promise<OpeningRecord> {
    const { project } = await tenders.visibleTender(null, tender.id, tx)
    const fields = tender.openingFields as OpeningField[]
    const rows = recordRows(fields, all.map((bid) => ({
      bidderId: bid.bidderId,
      bidderName: bid.bidderName,
      bond: bid.bond,
      receivedAt: bid.receivedAt,
      outcome: (bid.status === 'withdrawn' ? 'withdrawn' : bid.outcome) as 'opened',
      opening: bid.opening as Record<string, unknown> | null
    })))
    const priceField = fields.find((field) => field.kind === 'fen')
    const prices = priceField ? rows.filter((row) => row.outcome === 'opened' && row.fields[priceField.key] !== null).map((row) => BigInt(row.fields[priceField.key]!)) : []
    const reference = opening.kValue ? referencePriceFen(prices, opening.kValue) : null
    return {
      format: 'openhall-opening-record',
      version: 1,
      tender: { id: tender.id, code: tender.code, title: tender.title },
      tendererName: project.tendererName,
      venueName: tender.bookingId ? await projects.venueNameOfBooking(tender.bookingId, tx) : null,
      bidDeadline: tender.bidDeadline.toISOString(),
      openedAt: (opening.windowOpensAt ?? clock.now()).toISOString(),
      priceCeilingFen: tender.priceCeilingFen?.toString() ?? null,
      coefficient: opening.kValue
        ? {
            value: opening.kValue,
            commitment: opening.kCommitment!,
            nonce: opening.kNonce!,
            secret: opening.kSecret!,
            context: kContext(tender.id),
            range: coefficientRangeOf(tender)!,
            deadline: kDeadlineOf(opening)?.toISOString() ?? null,
            drawnAs: opening.kDrawnAs
          }
        : null,
      referencePriceFen: reference?.toString() ?? null,
      fields: fields.map((field) => ({ key: field.key, label: field.label, kind: field.kind })),
      bids: rows.map((row) => {
        const bid = all.find((candidate) => candidate.bidderId === row.bidderId)!
        return { ...row, commitment: bid.commitment, sha256: bid.sha256, failure: bid.failure, openedBy: bid.openedBy }
      })
    }
  }

  /**
   * The record's stored copies — the JSON, the platform's CMS signature over it and the PDF — made
   * after the record is committed (rendering never holds the room's locks): right after the
   * request that published it, or on first download. Each copy is made once and retained.
   */
  const rendering = new Map<string, Promise<void>>()
  function ensureRecordFiles (tenderId: string): Promise<void> {
    let work = rendering.get(tenderId)
    if (!work) {
      work = renderRecordFiles(tenderId).finally(() => rendering.delete(tenderId))
      rendering.set(tenderId, work)
    }
    return work
  }

  async function renderRecordFiles (tenderId: string): Promise<void> {
    const opening = await repo.findOpening(db, tenderId)
    if (!opening?.recordedAt || (await repo.recordFilesOf(db, tenderId)).length === Object.keys(RECORD_KINDS).length) return
    const record = opening.record as OpeningRecord
    const json = Buffer.from(canonicalJson(record as unknown as JsonValue))
    if (sha256Hex(json) !== opening.recordSha256) throw new Error(`the stored record of ${tenderId} does not hash to its recorded SHA-256`)
    const cms = Buffer.from(await pki.sign({ content: json, detached: false }))
    const pdf = await renderOpeningRecordPdf({
      hallName,
      tenderCode: record.tender.code,
      tenderTitle: record.tender.title,
      tendererName: record.tendererName,
      venueName: record.venueName,
      bidDeadline: new Date(record.bidDeadline),
      openedAt: new Date(record.openedAt),
      fields: record.fields,
      rows: record.bids.map((bid) => ({ bidderName: bid.bidderName, bond: bid.bond, outcome: bid.outcome, fields: bid.fields })),
      priceCeiling: record.priceCeilingFen === null ? null : formatYuan(BigInt(record.priceCeilingFen)),
      referencePrice: record.referencePriceFen === null ? null : formatYuan(BigInt(record.referencePriceFen)),
      remarks: record.coefficient ? [`随机系数 K = ${record.coefficient.value}（承诺 ${record.coefficient.commitment.slice(0, 16)}…，${record.coefficient.drawnAs === 'host' ? '监督人逾期未给出，由招标人（代理）给出的随机数' : '监督人随机数'} ${record.coefficient.nonce}；任何人可凭本记录用平台随附的复算程序复算）`] : [],
      recordUrl: `${publicUrl}/openings/${tenderId}`,
      contentSha256: opening.recordSha256,
      signerSubject: new X509Certificate(pki.signerCertificate).subject.replace(/\n/g, ', ')
    })
    const files = []
    for (const [kind, body] of [['json', json], ['p7s', cms], ['pdf', pdf]] as const) {
      const blobKey = `openings/${tenderId}/record.${kind}`
      // another instance may have stored it first: a retained copy is kept, not overwritten
      const info = await store.stat(blobKey) ?? await store.put(blobKey, body, { contentType: RECORD_KINDS[kind] })
      await store.retain(blobKey)
      files.push({ tenderId, kind, blobKey, size: info.size, sha256: info.sha256 })
    }
    await repo.insertRecordFiles(db, files)
  }

  /** Resolves once no record copy is being made (the app waits for it before closing). */
  async function idle (): Promise<void> {
    await Promise.allSettled([...rendering.values()])
  }

  /** Starts the record's copies once a request's transaction published it (a failure is retried on download). */
  function renderAfterCommit (tenderId: string) {
    ensureRecordFiles(tenderId).catch((error: unknown) => { log.error({ err: error, tender: tenderId }, 'opening record copies not made yet') })
  }

  /** The published record's content (the signed JSON), for pages that print it. */
  async function publishedRecord (tenderId: string): Promise<OpeningRecord | null> {
    const opening = await repo.findOpening(db, tenderId)
    return (opening?.recordedAt ? opening.record : null) as OpeningRecord | null
  }

  return { buildRecord, ensureRecordFiles, renderAfterCommit, publishedRecord, idle }
}
