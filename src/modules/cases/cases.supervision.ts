/**
 * Supervision (督查督办): the colour dashboard and who may watch its rooms, supervision letters
 * with their reply due, and the rectifications bad ratings opened, each flagged when it runs late.
 */
import type { Actor } from '../../lib/actor.ts'
import { canAccess, scopesFor, type Principal } from '../../lib/policy.ts'
import { addWorkingDays, endOfShanghaiDay, shanghaiDate } from '../../lib/working-days.ts'
import { auditRecord } from '../../plugins/audit.ts'
import type { Transaction } from '../../plugins/db.ts'
import { departmentRoom, HALL_ROOM, LETTER_TIMER, RECTIFICATION_TIMER, WATCHERS } from './cases.constants.ts'
import * as errors from './cases.errors.ts'
import * as repo from './cases.repository.ts'
import type { CasesDeps } from './cases.service.ts'

export type CaseSupervisionDeps = Pick<CasesDeps, 'db' | 'audit' | 'clock' | 'calendar' | 'live' | 'timers' | 'departments'>

export function createCaseSupervision ({ db, audit, clock, calendar, live, timers, departments }: CaseSupervisionDeps) {
  /** Departments the caller supervises; null for the whole hall. */
  function supervisedDepartments (principal: Principal, action: 'supervision.read' | 'supervision.reply' | 'rectifications.handle'): string[] | null {
    const scopes = scopesFor(principal, action)
    return scopes ? scopes.departmentIds : null
  }

  async function dashboard (principal: Principal) {
    const departmentIds = supervisedDepartments(principal, 'supervision.read')
    const now = clock.now()
    const [counts, late] = await Promise.all([repo.colourCounts(db, departmentIds, now), repo.lateSubtasks(db, departmentIds, now)])
    const row = ({ key, ...counted }: repo.ColourCounts) => ({ id: key, ...counted })
    return {
      asOf: now.toISOString(),
      departments: counts.departments.map(row),
      windows: counts.windows.map(row),
      lateSubtasks: late.map((entry) => ({ ...entry, dueAt: entry.dueAt.toISOString() }))
    }
  }

  /** May this principal watch a supervision room? The hall room takes a hall-wide grant. */
  function mayWatch (principal: Principal | null, roomId: string): boolean {
    if (!principal) return false
    if (roomId === HALL_ROOM) return supervisedDepartments(principal, 'supervision.read') === null
    const departmentId = roomId.startsWith('supervision:dept:') ? roomId.slice('supervision:dept:'.length) : null
    return departmentId !== null && (canAccess(principal, 'supervision.read', { departmentId }) || canAccess(principal, 'cases.handle', { departmentId }))
  }

  function letterView (letter: repo.LetterRow) {
    return {
      id: letter.id,
      number: letter.number,
      departmentId: letter.departmentId,
      caseId: letter.caseId,
      subject: letter.subject,
      body: letter.body,
      replyDueAt: letter.replyDueAt.toISOString(),
      issuedAt: letter.issuedAt.toISOString(),
      reply: letter.reply,
      repliedAt: letter.repliedAt?.toISOString() ?? null,
      overdue: (letter.repliedAt ?? clock.now()) > letter.replyDueAt
    }
  }

  /** 督办函: numbered per year, with a reply due in working days; in the audit chain and on the dashboards. */
  async function issueLetter (actor: Actor, input: { departmentId: string, caseId?: string, subject: string, body: string, replyWorkingDays: number }) {
    if (!canAccess(actor.principal, 'supervision.letters', { departmentId: input.departmentId })) throw new errors.LetterNotFound(input.departmentId)
    await departments.getDepartment(input.departmentId)
    const letter = await db.transaction(async (tx) => {
      if (input.caseId) {
        const row = await repo.findCase(tx, input.caseId)
        if (!row || row.departmentId !== input.departmentId) throw new errors.CaseNotFound(input.caseId)
      }
      const now = clock.now()
      const prefix = `DBH-${shanghaiDate(now).slice(0, 4)}-`
      const number = `${prefix}${String(await repo.nextLetterSequence(tx, prefix)).padStart(4, '0')}`
      const replyDueAt = endOfShanghaiDay(addWorkingDays(calendar.current(), shanghaiDate(now), input.replyWorkingDays))
      const inserted = await repo.insertLetter(tx, {
        number, departmentId: input.departmentId, caseId: input.caseId ?? null, subject: input.subject, body: input.body, replyDueAt, issuedBy: actor.principal.accountId, issuedAt: now
      })
      await timers.schedule(tx, { kind: LETTER_TIMER, key: `${LETTER_TIMER}:${inserted.id}`, fireAt: replyDueAt, payload: { letterId: inserted.id } })
      await audit.append(tx, auditRecord(actor, 'supervision.letter_issued', 'supervision_letter', inserted.id, { number, departmentId: input.departmentId, caseId: input.caseId ?? null, subject: input.subject, replyDueAt: replyDueAt.toISOString() }))
      const event = { type: 'supervision.letter_issued', data: { letterId: inserted.id, number, departmentId: input.departmentId }, audience: WATCHERS }
      await live.append(tx, HALL_ROOM, event)
      await live.append(tx, departmentRoom(input.departmentId), event)
      return inserted
    })
    return letterView(letter)
  }

  async function listLetters (principal: Principal) {
    const reader = scopesFor(principal, 'supervision.read')
    return (await repo.listLetters(db, reader ? reader.departmentIds : null)).map(letterView)
  }

  async function replyLetter (actor: Actor, letterId: string, reply: string) {
    const letter = await db.transaction(async (tx) => {
      const found = await repo.findLetter(tx, letterId, 'update')
      if (!found || !canAccess(actor.principal, 'supervision.reply', { departmentId: found.departmentId })) throw new errors.LetterNotFound(letterId)
      if (found.repliedAt) throw new errors.LetterAnswered()
      const now = clock.now()
      const updated = await repo.updateLetter(tx, letterId, { reply, repliedBy: actor.principal.accountId, repliedAt: now })
      await timers.cancel(tx, `${LETTER_TIMER}:${letterId}`)
      await audit.append(tx, auditRecord(actor, 'supervision.letter_replied', 'supervision_letter', letterId, { number: found.number, late: now > found.replyDueAt }))
      await live.append(tx, HALL_ROOM, { type: 'supervision.letter_replied', data: { letterId, number: found.number, departmentId: found.departmentId }, audience: WATCHERS })
      return updated
    })
    return letterView(letter)
  }

  async function flagLateLetter (tx: Transaction, letterId: string): Promise<void> {
    const letter = await repo.findLetter(tx, letterId)
    if (!letter || letter.repliedAt) return
    await audit.append(tx, auditRecord(null, 'supervision.letter_overdue', 'supervision_letter', letterId, { number: letter.number, departmentId: letter.departmentId }))
    await live.append(tx, HALL_ROOM, { type: 'supervision.letter_overdue', data: { letterId, number: letter.number, departmentId: letter.departmentId }, audience: WATCHERS })
  }

  function rectificationView ({ rectification: row, number, level, comment }: repo.RectificationWithCase) {
    return {
      id: row.id,
      caseId: row.caseId,
      caseNumber: number,
      // the bad rating that opened it (a rectification is only ever opened by one)
      rating: level === null ? null : { level, comment: comment ?? '' },
      departmentId: row.departmentId,
      dueAt: row.dueAt.toISOString(),
      report: row.report,
      doneAt: row.doneAt?.toISOString() ?? null,
      createdAt: row.createdAt.toISOString(),
      overdue: (row.doneAt ?? clock.now()) > row.dueAt
    }
  }

  async function listRectifications (principal: Principal) {
    const reader = scopesFor(principal, 'supervision.read')
    return (await repo.listRectifications(db, reader ? reader.departmentIds : null)).map(rectificationView)
  }

  async function reportRectification (actor: Actor, rectificationId: string, report: string) {
    const row = await db.transaction(async (tx) => {
      const found = await repo.findRectification(tx, rectificationId, 'update')
      if (!found || !canAccess(actor.principal, 'rectifications.handle', { departmentId: found.departmentId })) throw new errors.RectificationNotFound(rectificationId)
      if (found.doneAt) throw new errors.RectificationDone()
      const now = clock.now()
      const updated = await repo.updateRectification(tx, rectificationId, { report, doneBy: actor.principal.accountId, doneAt: now })
      await timers.cancel(tx, `${RECTIFICATION_TIMER}:${rectificationId}`)
      await audit.append(tx, auditRecord(actor, 'rectification.reported', 'rectification', rectificationId, { caseId: found.caseId, late: now > found.dueAt }))
      return (await repo.findRectificationWithCase(tx, updated.id))!
    })
    return rectificationView(row)
  }

  async function flagLateRectification (tx: Transaction, rectificationId: string): Promise<void> {
    const found = await repo.findRectification(tx, rectificationId)
    if (!found || found.doneAt) return
    await audit.append(tx, auditRecord(null, 'rectification.overdue', 'rectification', rectificationId, { caseId: found.caseId, departmentId: found.departmentId }))
    await live.append(tx, HALL_ROOM, { type: 'rectification.overdue', data: { rectificationId, departmentId: found.departmentId }, audience: WATCHERS })
  }

  timers.define(LETTER_TIMER, async (tx, timer) => { await flagLateLetter(tx, (timer.payload as { letterId: string }).letterId) })
  timers.define(RECTIFICATION_TIMER, async (tx, timer) => { await flagLateRectification(tx, (timer.payload as { rectificationId: string }).rectificationId) })

  return { dashboard, mayWatch, issueLetter, listLetters, replyLetter, listRectifications, reportRectification }
}
