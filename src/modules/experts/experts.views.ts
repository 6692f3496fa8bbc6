/** Rows to the views the API answers with (no raw row leaves the module). */
import { shanghaiDate } from '../../lib/working-days.ts'
import type { Queryable } from '../../plugins/db.ts'
import type { ExpertAccounts } from './experts.accounts.ts'
import * as repo from './experts.repository.ts'
import { beijingYearBounds, yearsOfPractice } from './experts.rules.ts'
import type {
  EmploymentView, ExpertSummary, ExpertView, PenaltyView, ProfileChangeInput, ProfileChangeView, RelationView, SpecialtyNode, UnavailabilityView
} from './experts.schemas.ts'

export function toEmploymentView (row: repo.EmploymentRow): EmploymentView {
  return { id: row.id, organisationName: row.organisationName, creditCode: row.creditCode, departmentId: row.departmentId, fromDate: row.fromDate, toDate: row.toDate }
}

export function toRelationView (row: repo.RelationRow): RelationView {
  return {
    id: row.id,
    kind: row.kind,
    organisationName: row.organisationName,
    creditCode: row.creditCode,
    note: row.note,
    declaredAt: row.declaredAt.toISOString(),
    endedAt: row.endedAt?.toISOString() ?? null
  }
}

export function toPenaltyView (row: repo.PenaltyRow, today: string): PenaltyView {
  return {
    id: row.id,
    kind: row.kind,
    reason: row.reason,
    fromDate: row.fromDate,
    toDate: row.toDate,
    recordedAt: row.recordedAt.toISOString(),
    inForce: row.fromDate <= today && (row.toDate === null || row.toDate >= today)
  }
}

export function toUnavailabilityView (row: repo.UnavailabilityRow): UnavailabilityView {
  return { id: row.id, fromDate: row.fromDate, toDate: row.toDate, reason: row.reason }
}

export function toChangeView (row: repo.ChangeRow): ProfileChangeView {
  return {
    id: row.id,
    expertId: row.expertId,
    change: row.change as ProfileChangeInput,
    state: row.state,
    submittedAt: row.submittedAt.toISOString(),
    decidedAt: row.decidedAt?.toISOString() ?? null,
    refusalReason: row.refusalReason
  }
}

export function toSpecialtyTree (rows: readonly repo.SpecialtyRow[]): SpecialtyNode[] {
  const node = (row: repo.SpecialtyRow) => ({ code: row.code, level: row.level, branch: row.branch, name: row.name, nameEn: row.nameEn })
  const childrenOf = (code: string) => rows.filter((row) => row.parentCode === code)
  return rows.filter((row) => row.level === 1).map((one) => ({
    ...node(one),
    children: childrenOf(one.code).map((two) => ({ ...node(two), children: childrenOf(two.code).map(node) }))
  }))
}

/** Summaries of a page of experts: specialties, current employer, this year's draws, pending change, in four queries. */
export async function toSummaries (db: Queryable, rows: readonly repo.ExpertRow[], now: Date): Promise<ExpertSummary[]> {
  const ids = rows.map((row) => row.id)
  const year = beijingYearBounds(now)
  const [specialties, employers, draws, pending] = await Promise.all([
    repo.specialtiesOf(db, ids), repo.currentEmployers(db, ids), repo.drawCounts(db, ids, year.from, year.to), repo.pendingChangeExperts(db, ids)
  ])
  const today = shanghaiDate(now)
  return rows.map((row) => ({
    id: row.id,
    accountId: row.accountId,
    code: row.code,
    fullName: row.fullName,
    title: row.title,
    practiceSince: row.practiceSince,
    yearsOfPractice: yearsOfPractice(row.practiceSince, today),
    regionCode: row.regionCode,
    status: row.status,
    specialties: specialties.filter((s) => s.expertId === row.id).map((s) => s.specialtyCode),
    employer: employers.find((e) => e.expertId === row.id)?.organisationName ?? null,
    drawsThisYear: draws.get(row.id) ?? 0,
    pendingChange: pending.has(row.id)
  }))
}

export async function toExpertView (db: Queryable, accounts: ExpertAccounts, row: repo.ExpertRow, now: Date): Promise<ExpertView> {
  const today = shanghaiDate(now)
  const [[summary], account, employments, relations, penalties, unavailability, changes] = await Promise.all([
    toSummaries(db, [row], now),
    accounts.accountOf(db, row.accountId),
    repo.employmentsOf(db, row.id),
    repo.relationsOf(db, row.id),
    repo.penaltiesOf(db, row.id),
    repo.unavailabilityOf(db, row.id),
    repo.changesOf(db, row.id)
  ])
  const names = await repo.specialtyNames(db, summary!.specialties)
  return {
    ...summary!,
    username: account?.username ?? '',
    phone: account?.phone ?? null,
    specialtyNames: names.map((s) => ({ code: s.code, name: s.name, nameEn: s.nameEn })),
    employments: employments.map(toEmploymentView),
    relations: relations.map(toRelationView),
    penalties: penalties.map((p) => toPenaltyView(p, today)),
    unavailability: unavailability.map(toUnavailabilityView),
    changes: changes.map(toChangeView),
    createdAt: row.createdAt.toISOString()
  }
}
