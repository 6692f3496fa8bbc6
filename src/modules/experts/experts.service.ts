/**
 * The hall's management of the pool: create experts, search, read, edit, record employment,
 * relations and penalties, withdraw and reinstate. Self-service and the review of proposed
 * changes are in experts.profile.ts, the CSV import in experts.import.ts; createExpertsService
 * puts the three behind one face.
 */
import type { Actor } from '../../lib/actor.ts'
import { generatePassword, hashPassword, isStrongPassword } from '../../lib/password.ts'
import { isValidCreditCode } from '../../lib/credit-code.ts'
import { isIsoDate, shanghaiDate } from '../../lib/working-days.ts'
import { canAccess } from '../../lib/policy.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { AuthService } from '../../plugins/auth.ts'
import type { Clock } from '../../plugins/clock.ts'
import type { Database, Queryable } from '../../plugins/db.ts'
import { createExpertAccounts, type ExpertAccounts } from './experts.accounts.ts'
import {
  CreditCodeInvalid, DateRangeInvalid, DepartmentNotFound, EmploymentStartInvalid, ExpertAccountTaken, ExpertActive, ExpertNotFound,
  ExpertWithdrawn, NoExpertProfile, PenaltyEndInvalid, PenaltyNotFound, PoolNotInScope, PracticeYearInvalid, RegionCodeInvalid,
  RelationNotFound, SpecialtiesRequired, SpecialtyUnknown, WeakPassword
} from './experts.errors.ts'
import { createExpertImport } from './experts.import.ts'
import { createExpertProfiles } from './experts.profile.ts'
import * as repo from './experts.repository.ts'
import { employmentEndBefore, employmentStartValid, expertCode, isPracticeYearValid, isRegionCode } from './experts.rules.ts'
import type {
  CreateExpert, ExpertListFilter, ExpertView, NewRelation, RecordEmployment, RecordPenalty, UpdateExpert
} from './experts.schemas.ts'
import { toExpertView, toSpecialtyTree, toSummaries } from './experts.views.ts'

export interface ExpertsDeps {
  db: Database
  audit: Audit
  auth: AuthService
  clock: Clock
  /** whether a department exists (the departments service), for employers that are the hall's own departments */
  departmentExists: (departmentId: string) => Promise<boolean>
}

/** The pool is the hall's: reading it needs a hall-wide grant (a department's supervisor sees their own cases, not the pool). */
export function assertPoolReader (actor: Actor) {
  if (!canAccess(actor.principal, 'experts.read', {}) && !canAccess(actor.principal, 'experts.manage', {})) throw new PoolNotInScope()
}

export interface PoolContext {
  db: Database
  audit: Audit
  clock: Clock
  accounts: ExpertAccounts
  view: (tx: Queryable, expertId: string) => Promise<ExpertView>
  assertSpecialties: (tx: Queryable, codes: readonly string[]) => Promise<void>
  /** ends the current employment the day before and records the new one */
  applyEmployment: (tx: Queryable, expertId: string, employment: RecordEmployment) => Promise<void>
  /** records a declared relation; returns its id */
  applyRelationAdded: (tx: Queryable, expertId: string, relation: NewRelation) => Promise<string>
  applyRelationEnded: (tx: Queryable, expertId: string, relationId: string) => Promise<void>
}

export function createExpertsService ({ db, audit, auth, clock, departmentExists }: ExpertsDeps) {
  const accounts = createExpertAccounts({ audit, auth, now: () => clock.now() })

  async function view (tx: Queryable, expertId: string): Promise<ExpertView> {
    const row = await repo.findExpert(tx, expertId)
    if (!row) throw new ExpertNotFound(expertId)
    return toExpertView(tx, accounts, row, clock.now())
  }

  async function assertSpecialties (tx: Queryable, codes: readonly string[]) {
    if (codes.length === 0) throw new SpecialtiesRequired()
    const known = await repo.knownLevel3(tx, codes)
    const unknown = codes.find((code) => !known.has(code))
    if (unknown) throw new SpecialtyUnknown(unknown)
  }

  function assertFacts (input: { practiceSince?: number, regionCode?: string }) {
    const today = shanghaiDate(clock.now())
    if (input.practiceSince !== undefined && !isPracticeYearValid(input.practiceSince, today)) throw new PracticeYearInvalid(input.practiceSince)
    if (input.regionCode !== undefined && !isRegionCode(input.regionCode)) throw new RegionCodeInvalid(input.regionCode)
  }

  async function assertEmployment (employment: RecordEmployment) {
    if (!isValidCreditCode(employment.creditCode)) throw new CreditCodeInvalid(employment.creditCode)
    if (!isIsoDate(employment.fromDate)) throw new DateRangeInvalid(employment.fromDate)
    if (employment.departmentId && !await departmentExists(employment.departmentId)) throw new DepartmentNotFound(employment.departmentId)
  }

  async function applyEmployment (tx: Queryable, expertId: string, employment: RecordEmployment) {
    const current = (await repo.employmentsOf(tx, expertId)).find((row) => row.toDate === null) ?? null
    if (!employmentStartValid(current?.fromDate ?? null, employment.fromDate, shanghaiDate(clock.now()))) {
      throw new EmploymentStartInvalid(current?.fromDate ?? '-')
    }
    if (current) await repo.endEmployment(tx, current.id, employmentEndBefore(employment.fromDate))
    await repo.insertEmployments(tx, [{
      expertId, organisationName: employment.organisationName, creditCode: employment.creditCode, departmentId: employment.departmentId ?? null, fromDate: employment.fromDate
    }])
  }

  async function applyRelationAdded (tx: Queryable, expertId: string, relation: NewRelation) {
    if (!isValidCreditCode(relation.creditCode)) throw new CreditCodeInvalid(relation.creditCode)
    const row = await repo.insertRelation(tx, {
      expertId, kind: relation.kind, organisationName: relation.organisationName, creditCode: relation.creditCode, note: relation.note ?? null, declaredAt: clock.now()
    })
    return row.id
  }

  async function applyRelationEnded (tx: Queryable, expertId: string, relationId: string) {
    if (!await repo.endRelation(tx, expertId, relationId, clock.now())) throw new RelationNotFound(relationId)
  }

  const context: PoolContext = { db, audit, clock, accounts, view, assertSpecialties, applyEmployment, applyRelationAdded, applyRelationEnded }

  /** The specialty classification as a tree (public: a request for experts names these codes). */
  async function specialtyTree () {
    return toSpecialtyTree(await repo.listSpecialties(db))
  }

  /**
   * Creates an expert, with a new account (expert role in the hall scope) or on an existing
   * person's account. Without a password a one-time password is returned, once.
   */
  async function createExpert (actor: Actor | null, input: CreateExpert): Promise<{ expert: ExpertView, oneTimePassword: string | null }> {
    assertFacts(input)
    if (input.employment) await assertEmployment(input.employment)
    if (input.employment && input.employment.fromDate > shanghaiDate(clock.now())) throw new EmploymentStartInvalid('-')
    const fresh = 'username' in input.account ? input.account : null
    if (fresh?.password !== undefined && !isStrongPassword(fresh.password)) throw new WeakPassword()
    const oneTimePassword = fresh && fresh.password === undefined ? generatePassword() : null
    const passwordHash = fresh ? await hashPassword(fresh.password ?? oneTimePassword!) : null
    const expert = await db.transaction(async (tx) => {
      await assertSpecialties(tx, input.specialties)
      let accountId: string
      if (fresh) {
        const account = await accounts.createOrThrow(tx, actor, {
          username: fresh.username, displayName: input.fullName, phone: fresh.phone, passwordHash, mustChangePassword: oneTimePassword !== null
        })
        accountId = account.id
      } else {
        if (!actor) throw new ExpertNotFound('-')
        accountId = (await accounts.adopt(tx, actor, (input.account as { accountId: string }).accountId)).id
        if (await repo.findExpertByAccount(tx, accountId)) throw new ExpertAccountTaken()
      }
      const number = await repo.nextExpertNumber(tx)
      const [row] = await repo.insertExperts(tx, [{
        accountId,
        code: expertCode(number),
        fullName: input.fullName,
        title: input.title,
        practiceSince: input.practiceSince,
        regionCode: input.regionCode,
        createdBy: actor?.principal.accountId ?? null,
        createdAt: clock.now(),
        updatedAt: clock.now()
      }])
      await repo.insertSpecialties(tx, input.specialties.map((specialtyCode) => ({ expertId: row!.id, specialtyCode })))
      if (input.employment) {
        await repo.insertEmployments(tx, [{ expertId: row!.id, ...input.employment, departmentId: input.employment.departmentId ?? null }])
      }
      await audit.append(tx, auditRecord(actor, 'expert.created', 'expert', row!.id, {
        code: row!.code, accountId, specialties: input.specialties, title: input.title, regionCode: input.regionCode, employer: input.employment?.creditCode ?? null
      }))
      return view(tx, row!.id)
    })
    return { expert, oneTimePassword }
  }

  async function listExperts (actor: Actor, filter: ExpertListFilter) {
    assertPoolReader(actor)
    const { items, total } = await repo.listExperts(db, {
      specialty: filter.specialty?.toUpperCase(),
      region: filter.region,
      status: filter.status,
      q: filter.q,
      pendingChange: filter.pendingChange,
      limit: filter.limit ?? 50,
      offset: filter.offset ?? 0
    })
    return { items: await toSummaries(db, items, clock.now()), total }
  }

  async function getExpert (actor: Actor, expertId: string) {
    assertPoolReader(actor)
    return view(db, expertId)
  }

  /** The expert of an account, or undefined (the drawing side asks this for an invited expert). */
  async function findByAccount (accountId: string) {
    return repo.findExpertByAccount(db, accountId)
  }

  /** Runs a change of the hall's on an expert in the pool: locked, audited, answered with the new view. */
  async function change (actor: Actor, expertId: string, action: string, work: (tx: Queryable, row: repo.ExpertRow) => Promise<Record<string, unknown>>) {
    return db.transaction(async (tx) => {
      const row = await repo.findExpert(tx, expertId, { forUpdate: true })
      if (!row) throw new ExpertNotFound(expertId)
      const payload = await work(tx, row)
      await audit.append(tx, auditRecord(actor, action, 'expert', expertId, payload))
      return view(tx, expertId)
    })
  }

  async function updateExpert (actor: Actor, expertId: string, changes: UpdateExpert) {
    assertFacts(changes)
    return change(actor, expertId, 'expert.updated', async (tx) => {
      if (changes.specialties) {
        await assertSpecialties(tx, changes.specialties)
        await repo.replaceSpecialties(tx, expertId, changes.specialties)
      }
      const { specialties: _specialties, ...facts } = changes
      if (Object.keys(facts).length > 0) await repo.updateExpert(tx, expertId, facts, clock.now())
      return { changes }
    })
  }

  async function recordEmployment (actor: Actor, expertId: string, employment: RecordEmployment) {
    await assertEmployment(employment)
    return change(actor, expertId, 'expert.employment_recorded', async (tx) => {
      await applyEmployment(tx, expertId, employment)
      return { employment }
    })
  }

  async function recordRelation (actor: Actor, expertId: string, relation: NewRelation) {
    return change(actor, expertId, 'expert.relation_recorded', async (tx) => {
      const relationId = await applyRelationAdded(tx, expertId, relation)
      return { relationId, relation }
    })
  }

  async function endRelation (actor: Actor, expertId: string, relationId: string) {
    return change(actor, expertId, 'expert.relation_ended', async (tx) => {
      await applyRelationEnded(tx, expertId, relationId)
      return { relationId }
    })
  }

  async function recordPenalty (actor: Actor, expertId: string, penalty: RecordPenalty) {
    if (!isIsoDate(penalty.fromDate) || (penalty.toDate !== undefined && (!isIsoDate(penalty.toDate) || penalty.toDate < penalty.fromDate))) {
      throw new DateRangeInvalid(`${penalty.fromDate} – ${penalty.toDate ?? ''}`)
    }
    return change(actor, expertId, 'expert.penalty_recorded', async (tx) => {
      const row = await repo.insertPenalty(tx, {
        expertId,
        kind: penalty.kind,
        reason: penalty.reason,
        fromDate: penalty.fromDate,
        toDate: penalty.toDate ?? null,
        recordedBy: actor.principal.accountId,
        recordedAt: clock.now()
      })
      return { penaltyId: row.id, ...penalty }
    })
  }

  /** Lifting a penalty or suspension (or shortening it) is setting its last day. */
  async function endPenalty (actor: Actor, expertId: string, penaltyId: string, toDate: string) {
    return change(actor, expertId, 'expert.penalty_ended', async (tx) => {
      const penalty = await repo.findPenalty(tx, expertId, penaltyId)
      if (!penalty) throw new PenaltyNotFound(penaltyId)
      if (!isIsoDate(toDate) || toDate < penalty.fromDate) throw new PenaltyEndInvalid(penalty.fromDate)
      await repo.setPenaltyEnd(tx, penaltyId, toDate)
      return { penaltyId, previousToDate: penalty.toDate, toDate }
    })
  }

  /** The expert leaves the pool (drawings no longer pick them); their record stays. */
  async function withdrawExpert (actor: Actor, expertId: string) {
    return change(actor, expertId, 'expert.withdrawn', async (tx, row) => {
      if (row.status === 'withdrawn') throw new ExpertWithdrawn()
      await repo.updateExpert(tx, expertId, { status: 'withdrawn' }, clock.now())
      return {}
    })
  }

  async function reinstateExpert (actor: Actor, expertId: string) {
    return change(actor, expertId, 'expert.reinstated', async (tx, row) => {
      if (row.status === 'active') throw new ExpertActive()
      await repo.updateExpert(tx, expertId, { status: 'active' }, clock.now())
      return {}
    })
  }

  async function ownExpert (tx: Queryable, actor: Actor, options: { forUpdate?: boolean } = {}) {
    const row = await repo.findExpertByAccount(tx, actor.principal.accountId, options)
    if (!row) throw new NoExpertProfile()
    return row
  }

  const profiles = createExpertProfiles(context, ownExpert)
  const imports = createExpertImport(context)

  return {
    specialtyTree,
    createExpert,
    listExperts,
    getExpert,
    findByAccount,
    updateExpert,
    recordEmployment,
    recordRelation,
    endRelation,
    recordPenalty,
    endPenalty,
    withdrawExpert,
    reinstateExpert,
    ...profiles,
    ...imports
  }
}

export type ExpertsService = ReturnType<typeof createExpertsService>
