/**
 * The expert's own profile (experts.self) and the hall's review of proposed changes
 * (experts.manage). Unavailable dates take effect at once; a change of employer or of declared
 * relations waits as one pending proposal until the hall approves (applied in the same
 * transaction as its audit entry) or refuses it with a reason, or the expert withdraws it.
 */
import { shanghaiDate } from '../../lib/working-days.ts'
import type { Actor } from '../../lib/actor.ts'
import { isValidCreditCode } from '../../lib/credit-code.ts'
import { auditRecord } from '../../plugins/audit.ts'
import type { Queryable } from '../../plugins/db.ts'
import {
  ChangeDecided, ChangeNotFound, ChangePending, CreditCodeInvalid, DateRangeInvalid, EmploymentStartInvalid, ExpertNotFound,
  RelationNotFound, UnavailabilityInPast, UnavailabilityNotFound, UnavailabilityOverlaps, UnavailabilityStarted, UnavailabilityTooFar
} from './experts.errors.ts'
import * as repo from './experts.repository.ts'
import { employmentStartValid, unavailabilityProblem } from './experts.rules.ts'
import type { DeclareUnavailability, ProfileChangeInput } from './experts.schemas.ts'
import type { PoolContext } from './experts.service.ts'
import { toChangeView } from './experts.views.ts'

type OwnExpert = (tx: Queryable, actor: Actor, options?: { forUpdate?: boolean }) => Promise<repo.ExpertRow>

export function createExpertProfiles ({ db, audit, clock, view, applyEmployment, applyRelationAdded, applyRelationEnded }: PoolContext, ownExpert: OwnExpert) {
  async function getOwnProfile (actor: Actor) {
    const row = await ownExpert(db, actor)
    return view(db, row.id)
  }

  async function declareUnavailability (actor: Actor, input: DeclareUnavailability) {
    return db.transaction(async (tx) => {
      const expert = await ownExpert(tx, actor, { forUpdate: true })
      const today = shanghaiDate(clock.now())
      const existing = await repo.unavailabilityOf(tx, expert.id)
      const problem = unavailabilityProblem(input, today, existing)
      switch (problem?.code) {
        case 'range': throw new DateRangeInvalid(`${input.fromDate} – ${input.toDate}`)
        case 'past': throw new UnavailabilityInPast(today)
        case 'too_far': throw new UnavailabilityTooFar(problem.latest)
        case 'overlaps': throw new UnavailabilityOverlaps(problem.with.fromDate, problem.with.toDate)
      }
      const row = await repo.insertUnavailability(tx, { expertId: expert.id, fromDate: input.fromDate, toDate: input.toDate, reason: input.reason ?? null })
      await audit.append(tx, auditRecord(actor, 'expert.unavailability_declared', 'expert', expert.id, { unavailabilityId: row.id, fromDate: input.fromDate, toDate: input.toDate }))
      return view(tx, expert.id)
    })
  }

  /** Dates not yet begun may be taken back; begun ones are what a drawing may already have read. */
  async function removeUnavailability (actor: Actor, unavailabilityId: string) {
    return db.transaction(async (tx) => {
      const expert = await ownExpert(tx, actor, { forUpdate: true })
      const row = (await repo.unavailabilityOf(tx, expert.id)).find((candidate) => candidate.id === unavailabilityId)
      if (!row) throw new UnavailabilityNotFound(unavailabilityId)
      if (row.fromDate <= shanghaiDate(clock.now())) throw new UnavailabilityStarted()
      await repo.deleteUnavailability(tx, expert.id, unavailabilityId)
      await audit.append(tx, auditRecord(actor, 'expert.unavailability_removed', 'expert', expert.id, { unavailabilityId, fromDate: row.fromDate, toDate: row.toDate }))
      return view(tx, expert.id)
    })
  }

  /** Checks a proposal against the facts as they stand now (they are checked again at approval). */
  async function assertApplicable (tx: Queryable, expertId: string, change: ProfileChangeInput) {
    switch (change.kind) {
      case 'employment': {
        if (!isValidCreditCode(change.employment.creditCode)) throw new CreditCodeInvalid(change.employment.creditCode)
        const current = (await repo.employmentsOf(tx, expertId)).find((row) => row.toDate === null) ?? null
        if (!employmentStartValid(current?.fromDate ?? null, change.employment.fromDate, shanghaiDate(clock.now()))) {
          throw new EmploymentStartInvalid(current?.fromDate ?? '-')
        }
        return
      }
      case 'relation_added':
        if (!isValidCreditCode(change.relation.creditCode)) throw new CreditCodeInvalid(change.relation.creditCode)
        return
      case 'relation_ended':
        if (!await repo.findOpenRelation(tx, expertId, change.relationId)) throw new RelationNotFound(change.relationId)
    }
  }

  /** One proposal waits at a time: the hall reviews a clear question, and the expert withdraws it to ask another. */
  async function proposeChange (actor: Actor, change: ProfileChangeInput) {
    return db.transaction(async (tx) => {
      const expert = await ownExpert(tx, actor, { forUpdate: true })
      if (await repo.findPendingChange(tx, expert.id)) throw new ChangePending()
      await assertApplicable(tx, expert.id, change)
      const row = await repo.insertChange(tx, { expertId: expert.id, change, state: 'pending', submittedAt: clock.now() })
      await audit.append(tx, auditRecord(actor, 'expert.change_proposed', 'expert', expert.id, { changeId: row.id, change }))
      return toChangeView(row)
    })
  }

  /** The expert takes back a proposal not yet decided; it is deleted (the audit log keeps that it was made and withdrawn). */
  async function withdrawChange (actor: Actor, changeId: string) {
    await db.transaction(async (tx) => {
      const expert = await ownExpert(tx, actor, { forUpdate: true })
      const row = await repo.findChange(tx, expert.id, changeId, { forUpdate: true })
      if (!row) throw new ChangeNotFound(changeId)
      if (row.state !== 'pending') throw new ChangeDecided()
      await repo.deleteChange(tx, changeId)
      await audit.append(tx, auditRecord(actor, 'expert.change_withdrawn', 'expert', expert.id, { changeId, change: row.change }))
    })
  }

  async function decide (actor: Actor, expertId: string, changeId: string, work: (tx: Queryable, row: repo.ChangeRow) => Promise<Record<string, unknown>>) {
    return db.transaction(async (tx) => {
      if (!await repo.findExpert(tx, expertId, { forUpdate: true })) throw new ExpertNotFound(expertId)
      const row = await repo.findChange(tx, expertId, changeId, { forUpdate: true })
      if (!row) throw new ChangeNotFound(changeId)
      if (row.state !== 'pending') throw new ChangeDecided()
      await work(tx, row)
      return view(tx, expertId)
    })
  }

  /** Approving applies the change (employment: the current one ends the day before the new one starts). */
  async function approveChange (actor: Actor, expertId: string, changeId: string) {
    return decide(actor, expertId, changeId, async (tx, row) => {
      const change = row.change as ProfileChangeInput
      let applied: Record<string, unknown> = {}
      switch (change.kind) {
        case 'employment': await applyEmployment(tx, expertId, change.employment); break
        case 'relation_added': applied = { relationId: await applyRelationAdded(tx, expertId, change.relation) }; break
        case 'relation_ended': await applyRelationEnded(tx, expertId, change.relationId)
      }
      await repo.decideChange(tx, changeId, { state: 'approved', decidedBy: actor.principal.accountId, decidedAt: clock.now(), refusalReason: null })
      const payload = { changeId, change, ...applied }
      await audit.append(tx, auditRecord(actor, 'expert.change_approved', 'expert', expertId, payload))
      return payload
    })
  }

  async function refuseChange (actor: Actor, expertId: string, changeId: string, reason: string) {
    return decide(actor, expertId, changeId, async (tx) => {
      await repo.decideChange(tx, changeId, { state: 'refused', decidedBy: actor.principal.accountId, decidedAt: clock.now(), refusalReason: reason })
      const payload = { changeId, reason }
      await audit.append(tx, auditRecord(actor, 'expert.change_refused', 'expert', expertId, payload))
      return payload
    })
  }

  return { getOwnProfile, declareUnavailability, removeUnavailability, proposeChange, withdrawChange, approveChange, refuseChange }
}
