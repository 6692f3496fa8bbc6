/**
 * The draw: the supervisor gives the nonce; the eligible pool is snapshotted (each line's
 * qualified experts through the recusal rules, by pseudonym, in the documented order), the
 * committee is drawn by src/lib/expert-draw.ts from the commit-reveal seed, the list is sealed
 * (its hash in the audit chain) and the members are invited. Too few eligible experts: the
 * drawing fails with the shortfall per line, nothing drawn, and stays on record.
 */
import type { Actor } from '../../lib/actor.ts'
import { seedOf } from '../../lib/commit-reveal.ts'
import { drawCommittee, listSha256, packPseudonyms, pseudonymKeysOf, pseudonymText, shortfallOf, snapshotSha256, SNAPSHOT_FORMAT, type DrawingSnapshot } from '../../lib/expert-draw.ts'
import { addCalendarDays, shanghaiDate } from '../../lib/working-days.ts'
import type { Principal } from '../../lib/policy.ts'
import type { Queryable } from '../../plugins/db.ts'
import type { ProjectRow } from '../projects/projects.repository.ts'
import type { TenderRow } from '../tenders/tenders.repository.ts'
import { DrawingAlreadyDrawn, DrawingNotFound, DrawingStateInvalid, DrawingTenderClosed, DrawTooEarly, ListSealed, NonceReused, poolShort } from './drawings.errors.ts'
import type { DrawingInvitations } from './drawings.invitations.ts'
import type { DrawingPublication } from './drawings.publication.ts'
import { exclusionsOf, type Exclusion, type Party, type RecusalContext } from './drawings.recusal.rules.ts'
import * as repo from './drawings.repository.ts'
import type { Eligibility, SealedList } from './drawings.schemas.ts'
import { drawingContext, requestOf, secretPurpose, type DrawingHelpers, type DrawingsDeps, type Loaded } from './drawings.service.ts'

/** Bids are frozen, and the bidders known, once the tender has left bidding. */
export const biddersKnown = (tender: TenderRow) => tender.status !== 'published' && tender.status !== 'bidding'

export interface PoolLine {
  line: number
  specialtyCode: string
  qualified: repo.PoolCandidate[]
  eligible: repo.PoolCandidate[]
  excluded: Array<{ expert: repo.PoolCandidate, rules: readonly Exclusion[] }>
}

type DrawDeps = DrawingsDeps & DrawingHelpers & { invitations: DrawingInvitations, publication: DrawingPublication }

export function createDrawingDraw (deps: DrawDeps) {
  const { db, clock, masterKey, bids, accounts, load, move, invitations, publication } = deps

  /** The tenderer, the agency (the project's registering organisation) and, once known, the bidders. */
  async function partiesOf (on: Queryable, tender: TenderRow, project: ProjectRow, withBidders: boolean): Promise<Party[]> {
    const parties: Party[] = [{ role: 'tenderer', name: project.tendererName, creditCode: project.tendererCreditCode }]
    const registrant = await accounts.getAccount(project.registeredBy)
    if (registrant.creditCode && registrant.creditCode !== project.tendererCreditCode) {
      parties.push({ role: 'agency', name: project.agencyName ?? registrant.displayName, creditCode: registrant.creditCode })
    }
    if (withBidders) {
      for (const bid of await bids.bidsAtDeadline(on, tender)) {
        if (bid.status !== 'bid') continue
        const bidder = await accounts.getAccount(bid.bidderId)
        if (bidder.creditCode) parties.push({ role: 'bidder', name: bid.bidderName || bidder.displayName, creditCode: bidder.creditCode })
      }
    }
    return parties
  }

  async function recusalContext (on: Queryable, loaded: Pick<Loaded, 'drawing' | 'tender' | 'project'>, withBidders: boolean): Promise<RecusalContext> {
    const request = requestOf(loaded.drawing)
    return {
      today: shanghaiDate(clock.now()),
      evaluationDate: shanghaiDate(loaded.drawing.evaluationAt),
      parties: await partiesOf(on, loaded.tender, loaded.project, withBidders),
      supervisingDepartmentId: loaded.drawing.supervisingDepartmentId,
      tendererCreditCode: loaded.project.tendererCreditCode,
      sameTendererDays: request.sameTendererDays,
      annualCap: request.annualCap,
      regionsInclude: request.regionsInclude,
      regionsExclude: request.regionsExclude
    }
  }

  /** Each line's qualified experts through the recusal rules, and the snapshot of the eligible by pseudonym. */
  async function buildPool (on: Queryable, loaded: Pick<Loaded, 'drawing' | 'tender' | 'project'>, withBidders: boolean) {
    const { drawing } = loaded
    const request = requestOf(drawing)
    const context = await recusalContext(on, loaded, withBidders)
    const experts = await repo.poolOf(on, drawing.id, request.lines.map((line) => line.specialtyCode), {
      partyCodes: context.parties.map((party) => party.creditCode),
      supervisingDepartmentId: context.supervisingDepartmentId,
      today: context.today,
      evaluationDate: context.evaluationDate,
      calledSince: [addCalendarDays(context.evaluationDate, -context.sameTendererDays), `${context.evaluationDate.slice(0, 4)}-01-01`].sort()[0]!
    })
    const key = masterKey.derive(`drawing-pseudonyms:${drawing.id}`)
    const pseudonyms = pseudonymKeysOf(key, experts.map((expert) => expert.expertId))
    key.fill(0)
    // each expert judged once, however many lines they qualify for; one pass per line sorts them out
    const verdicts = experts.map((expert) => exclusionsOf(expert, context))
    const lines: PoolLine[] = []
    const snapshot: DrawingSnapshot = { format: SNAPSHOT_FORMAT, drawingId: drawing.id, lines: [] }
    request.lines.forEach((line, index) => {
      const entry: PoolLine = { line: index, specialtyCode: line.specialtyCode, qualified: [], eligible: [], excluded: [] }
      const eligibleKeys: bigint[] = []
      experts.forEach((expert, at) => {
        if (!expert.specialtyCodes.includes(line.specialtyCode)) return
        entry.qualified.push(expert)
        const rules = verdicts[at]!
        if (rules.length > 0) {
          entry.excluded.push({ expert, rules })
        } else {
          entry.eligible.push(expert)
          eligibleKeys.push(pseudonyms[at]!)
        }
      })
      lines.push(entry)
      // the documented order (normaliseSnapshot's), by construction: numerically sorted keys are the hex code-unit order
      const sorted = BigUint64Array.from(eligibleKeys).sort()
      const eligible: string[] = []
      sorted.forEach((pseudonym, at) => { if (at === 0 || pseudonym !== sorted[at - 1]) eligible.push(pseudonymText(pseudonym)) })
      snapshot.lines.push({ line: index, specialtyCode: line.specialtyCode, side: line.side, count: line.count, reserves: line.reserves, eligible })
    })
    /** The experts behind given pseudonyms (the drawn), without a map of the whole pool. */
    const expertsNamed = (wanted: ReadonlySet<string>) => {
      const keys = new Map([...wanted].map((pseudonym) => [BigInt(`0x${pseudonym}`), pseudonym]))
      const found = new Map<string, string>()
      pseudonyms.forEach((pseudonym, at) => {
        const name = keys.get(pseudonym)
        if (name !== undefined) found.set(name, experts[at]!.expertId)
      })
      return found
    }
    return { lines, snapshot, expertsNamed }
  }

  async function draw (actor: Actor, drawingId: string, nonce: string) {
    const outcome = await db.transaction(async (tx) => {
      // the tender's row shared: the deadline's freeze waits, so the bidders are checked by the draw or by the recheck, never by neither
      const loaded = await load(actor.principal, drawingId, tx, { drawing: 'update', tender: 'share' })
      const { drawing, tender } = loaded
      if (loaded.capacity !== 'supervisor') throw new DrawingNotFound(drawingId)
      if (drawing.nonce !== null) throw new DrawingAlreadyDrawn((drawing.drawnAt ?? drawing.decidedAt ?? drawing.requestedAt).toISOString())
      if (drawing.state !== 'approved') throw new DrawingStateInvalid(drawing.state, 'only an approved request is drawn')
      if (tender.status === 'cancelled' || tender.status === 'failed') throw new DrawingTenderClosed(tender.status)
      const now = clock.now()
      if (now.getTime() < drawing.drawFrom.getTime()) throw new DrawTooEarly(drawing.drawFrom.toISOString())
      if (await repo.nonceUsedElsewhere(tx, nonce, drawingId)) throw new NonceReused()
      const withBidders = biddersKnown(tender)
      const pool = await buildPool(tx, loaded, withBidders)
      const poolSha256 = snapshotSha256(pool.snapshot)
      await repo.insertSnapshots(tx, pool.lines.map((line) => ({
        drawingId,
        line: line.line,
        specialtyCode: line.specialtyCode,
        eligible: packPseudonyms(pool.snapshot.lines[line.line]!.eligible),
        excluded: line.excluded.map(({ expert, rules }) => ({ expertId: expert.expertId, rules }))
      })))
      const shortfall = shortfallOf(pool.snapshot)
      if (shortfall.length > 0) {
        await move(tx, actor, drawing, 'failed', { nonce, nonceGivenBy: actor.principal.accountId, poolSha256, failure: { kind: 'shortfall', reason: null, lines: shortfall } }, { shortfall, poolSha256 })
        return { shortfall }
      }
      const secret = masterKey.open(drawing.secretSealed!, secretPurpose(drawingId))
      const drawn = drawCommittee(seedOf(secret, nonce, drawingContext(drawingId)), pool.snapshot)
      secret.fill(0)
      const byPseudonym = pool.expertsNamed(new Set(drawn.flatMap((line) => [...line.members, ...line.reserves])))
      const request = requestOf(drawing)
      const rows = drawn.flatMap((line) => [...line.members, ...line.reserves].map((pseudonym, position) => ({
        drawingId,
        expertId: byPseudonym.get(pseudonym)!,
        pseudonym,
        line: line.line,
        position,
        role: position < request.lines[line.line]!.count ? 'member' as const : 'reserve' as const,
        state: 'standby' as const
      })))
      await repo.insertDrawn(tx, rows)
      const listHash = listSha256(drawingId, drawn)
      const names = await repo.expertsByIds(tx, rows.map((row) => row.expertId))
      const updated = await move(tx, actor, drawing, 'drawn', {
        nonce, nonceGivenBy: actor.principal.accountId, drawnAt: now, poolSha256, listSha256: listHash, biddersCheckedAt: withBidders ? now : null
      }, {
        nonce,
        context: drawingContext(drawingId),
        poolSha256,
        listSha256: listHash,
        biddersChecked: withBidders,
        lines: drawn.map((line) => ({ line: line.line, specialtyCode: line.specialtyCode, members: line.members.length, reserves: line.reserves.length }))
      }, {
        list: rows.map((row) => ({ line: row.line, position: row.position, role: row.role, pseudonym: row.pseudonym, name: names.get(row.expertId)!.fullName, code: names.get(row.expertId)!.code }))
      })
      await publication.armPublication(tx, updated)
      await invitations.inviteAll(tx, updated, rows.filter((entry) => entry.role === 'member'))
      return { shortfall: null }
    })
    if (outcome.shortfall) throw poolShort(outcome.shortfall)
    return deps.getDrawing(actor.principal, drawingId)
  }

  /** The pool's counts as the draw would see it now, per line; no names. */
  async function eligibility (loaded: Loaded): Promise<Eligibility> {
    const withBidders = biddersKnown(loaded.tender)
    const pool = await buildPool(db, loaded, withBidders)
    const shortfall = new Map(shortfallOf(pool.snapshot).map((line) => [line.line, line.short]))
    const request = requestOf(loaded.drawing)
    return {
      drawingId: loaded.drawing.id,
      biddersKnown: withBidders,
      lines: pool.lines.map((line) => {
        const excludedByRule: Record<string, number> = {}
        for (const { rules } of line.excluded) for (const { rule } of rules) excludedByRule[rule] = (excludedByRule[rule] ?? 0) + 1
        const asked = request.lines[line.line]!
        return {
          line: line.line,
          specialtyCode: line.specialtyCode,
          needed: asked.count + asked.reserves,
          qualified: line.qualified.length,
          eligible: line.eligible.length,
          excludedByRule,
          short: shortfall.get(line.line) ?? 0
        }
      })
    }
  }

  /**
   * The drawn list: supervisors see every drawn expert by name with the exclusions of the pool;
   * after publication the other roles see the confirmed committee; before it they are refused.
   */
  async function sealedList (principal: Principal, drawingId: string): Promise<SealedList> {
    const { drawing, capacity } = await load(principal, drawingId)
    const supervisor = capacity === 'supervisor'
    if (!supervisor && drawing.state !== 'published') throw new ListSealed()
    const request = requestOf(drawing)
    const [rows, snapshots] = await Promise.all([repo.drawnOf(db, drawingId), supervisor ? repo.snapshotsOf(db, drawingId) : []])
    const excludedIds = snapshots.flatMap((snapshot) => (snapshot.excluded as Array<{ expertId: string }>).map((entry) => entry.expertId))
    const people = await repo.expertsByIds(db, [...rows.map((row) => row.expertId), ...excludedIds])
    const pseudonymOfExpert = new Map(rows.map((row) => [row.expertId, row.pseudonym]))
    return {
      drawingId,
      state: drawing.state,
      sealed: drawing.state !== 'published',
      lines: request.lines.map((line, index) => ({
        line: index,
        specialtyCode: line.specialtyCode,
        side: line.side,
        count: line.count,
        experts: rows.filter((row) => row.line === index && (supervisor || row.state === 'confirmed')).map((row) => ({
          pseudonym: row.pseudonym,
          expertId: row.expertId,
          code: people.get(row.expertId)!.code,
          name: people.get(row.expertId)!.fullName,
          role: row.role,
          position: row.position,
          state: row.state,
          invitedAt: row.invitedAt?.toISOString() ?? null,
          answerBy: row.answerBy?.toISOString() ?? null,
          answeredAt: row.answeredAt?.toISOString() ?? null,
          reason: row.reason,
          replacedBy: row.replacedBy ? pseudonymOfExpert.get(row.replacedBy) ?? null : null
        })),
        excluded: ((snapshots.find((snapshot) => snapshot.line === index)?.excluded ?? []) as Array<{ expertId: string, rules: Exclusion[] }>).map((entry) => ({
          expertId: entry.expertId, code: people.get(entry.expertId)?.code ?? '', name: people.get(entry.expertId)?.fullName ?? '', rules: entry.rules
        }))
      }))
    }
  }

  return { draw, eligibility, sealedList, recusalContext }
}

export type DrawingDraw = ReturnType<typeof createDrawingDraw>
