/**
 * Sealed bids for the chaos scenarios: bidders, a published tender and packages sealed to files,
 * built with the benchmark's setup (scripts/bench/bids.ts) and the tests' sealing factory; and
 * the check of what a rush left behind. A bid is acknowledged by its 201 receipt; it survived
 * when its row is there and the store holds its package with the receipt's SHA-256. A row whose
 * package is missing or different was counted half-done.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { sealedPackage, type TestBidder } from '../../test/factories/trading.ts'
import { bidderKey, createBidders, createDesk, publishTender, registerAll } from '../bench/bids.ts'
import type { ChaosRequest, ClientResult } from './client.ts'

export interface RushSetup { tenderId: string, requests: ChaosRequest[], sha256s: string[] }

export async function prepareRush (app: FastifyInstance, dir: string, name: string, count: number, kilobytes: number): Promise<RushSetup> {
  const desk = await createDesk(app, name)
  const bidders = await createBidders(app, name, count)
  const tender = await publishTender(app, desk)
  await registerAll(app, bidders, tender.id)
  const requests: ChaosRequest[] = []
  const sha256s: string[] = []
  await mkdir(path.join(dir, 'packages'), { recursive: true })
  for (const [i, bidder] of bidders.entries()) {
    // sealing needs the certificate and its key only; the bench shares one key among its bidders
    const sealed = await sealedPackage({ key: bidderKey(), certificate: bidder.certificate } as unknown as TestBidder, tender.code, { size: kilobytes * 1024 })
    const file = path.join(dir, 'packages', `${name}-bid-${i}.ohsb`)
    await writeFile(file, sealed.bytes)
    await writeFile(`${file}.p7s`, sealed.signature)
    sha256s.push(sealed.sha256)
    requests.push({
      method: 'POST',
      path: `/api/tenders/${tender.id}/bids`,
      headers: { authorization: bidder.authorization, 'idempotency-key': `chaos-${name}-${i}` },
      files: [{ field: 'signature', file: `${file}.p7s`, name: 'bid.ohsb.p7s' }, { field: 'package', file, name: 'bid.ohsb' }]
    })
  }
  return { tenderId: tender.id, requests, sha256s }
}

/** What survived of the receipts in `results`, and how many rows were counted without their package. */
export async function checkRush (app: FastifyInstance, setup: RushSetup, results: ClientResult[]) {
  const acknowledged = new Map<string, string>()
  for (const result of results) {
    for (const outcome of result.outcomes) {
      if (outcome.status !== 201) continue
      const receipt = JSON.parse(outcome.body) as { id: string, sha256: string }
      acknowledged.set(receipt.id, receipt.sha256)
    }
  }
  const rows = await app.db.$client<Array<{ id: string, blobKey: string | null, sha256: string | null }>>`
    select id, blob_key as "blobKey", sha256 from bid_submissions where tender_id = ${setup.tenderId}`
  const byId = new Map(rows.map((row) => [row.id, row]))
  let survived = 0
  for (const [id, sha256] of acknowledged) {
    const row = byId.get(id)
    if (row?.sha256 === sha256 && row.blobKey && (await app.store.stat(row.blobKey))?.sha256 === sha256) survived++
  }
  let halfDone = 0
  for (const row of rows) {
    const stored = row.blobKey ? await app.store.stat(row.blobKey) : null
    if (!stored || stored.sha256 !== row.sha256 || !setup.sha256s.includes(row.sha256 ?? '')) halfDone++
  }
  // one bid per bidder: a retried upload must have answered its first receipt, not made a second row
  const duplicates = rows.length - new Set(rows.map((row) => row.sha256)).size
  return { acknowledged: acknowledged.size, survived, lost: acknowledged.size - survived, halfDone: halfDone + duplicates, rows: rows.length }
}
