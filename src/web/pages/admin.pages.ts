/**
 * Hall administration: departments and windows, the working-day calendar; accounts and roles are
 * in admin-accounts.pages.ts. Every form checks again what the browser checks, so a refused form
 * shows each problem beside its field with what was typed kept (form-problems.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { WINDOW_KINDS } from '../../../schema/index.ts'
import { actorOf } from '../../lib/actor.ts'
import { isClientError } from '../../lib/errors.ts'
import { StrictObject } from '../../lib/http-schemas.ts'
import { canAccess, mayAttempt } from '../../lib/policy.ts'
import { isIsoDate } from '../../lib/working-days.ts'
import { NOTICE_REFUSALS } from '../../modules/calendar/calendar.errors.ts'
import { noticeProblems } from '../../modules/calendar/calendar.rules.ts'
import { windowOwnershipProblem } from '../../modules/departments/departments.rules.ts'
import { CreateDepartmentSchema, CreateWindowSchema } from '../../modules/departments/departments.schemas.ts'
import { parseNoticeLines, type ParsedNotice } from '../calendar-notice.ts'
import { assertNoProblems, formErrors, keptValues, refusalProblem, refusalProblems, type FormErrors, type FormProblem } from '../form-problems.ts'
import { checked, optional } from '../forms.ts'
import { pageContext, renderPage } from '../render.ts'
import { yearGrid } from '../year-grid.ts'
import { adminAccountsPages } from './admin-accounts.pages.ts'

/** Whatever a person may type into a field whose browser check was bypassed; the page checks the real limit. */
const Typed = Type.Optional(Type.String({ maxLength: 2000 }))
const CODE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const NOTICE_MAX = 10_000

type PageExtra = Partial<FormErrors> & { values?: Record<string, string | string[]> }

export const adminPages: FastifyPluginAsyncTypebox = async (app) => {
  const { departments, calendar } = app.services

  await app.register(adminAccountsPages)

  // departments and windows -------------------------------------------------------------------

  async function showDepartments (request: FastifyRequest, reply: FastifyReply, extra: PageExtra = {}) {
    const principal = actorOf(request).principal
    const allDepartments = await departments.listDepartments()
    return renderPage(request, reply, 'admin/departments', {
      titleKey: 'nav.departments',
      // a department administrator sees and manages the windows of its own departments
      departments: allDepartments.filter((department) => canAccess(principal, 'windows.manage', { departmentId: department.id })),
      departmentNames: Object.fromEntries(allDepartments.map((department) => [department.id, department.name])),
      windows: (await departments.listWindows()).filter((window) => canAccess(principal, 'windows.manage', { departmentId: window.departmentId, windowId: window.id })),
      canManageDepartments: mayAttempt(principal, 'departments.manage'),
      values: {},
      ...extra
    })
  }

  /** Shows the departments again with the form's problems beside its fields (`prefix` names the form's ids). */
  async function refusedDepartments (request: FastifyRequest, reply: FastifyReply, error: unknown, prefix: 'department' | 'window', fieldOf: Record<string, string>) {
    const problems = refusalProblems(request, error, fieldOf, 'departments.errors.')
    reply.code((error as { statusCode: number }).statusCode)
    return showDepartments(request, reply, { ...formErrors(problems, prefix), values: keptValues(request.body) })
  }

  /** The code and name both forms ask for, checked as the browser checks them. */
  function codeAndNameProblems (request: FastifyRequest, prefix: 'department' | 'window', code: string, name: string): FormProblem[] {
    const { t } = pageContext(request)
    return [
      ...(CODE.test(code) ? [] : [{ field: `${prefix}-code`, message: t('departments.error.code') }]),
      ...(name && name.length <= 100 ? [] : [{ field: `${prefix}-name`, message: t('departments.error.name') }])
    ]
  }

  app.get('/admin/departments', { config: { policy: 'windows.manage' } }, async (request, reply) => showDepartments(request, reply))

  app.post('/admin/departments', {
    config: { policy: 'departments.manage' },
    schema: { body: StrictObject({ code: Typed, name: Typed, nameEn: Typed }) }
  }, async (request, reply) => {
    try {
      const code = (request.body.code ?? '').trim()
      const name = (request.body.name ?? '').trim()
      const nameEn = optional(request.body.nameEn)
      assertNoProblems([
        ...codeAndNameProblems(request, 'department', code, name),
        ...(nameEn && nameEn.length > 100 ? [{ field: 'department-name-en', message: pageContext(request).t('departments.error.nameEn') }] : [])
      ])
      await departments.createDepartment(actorOf(request), checked(CreateDepartmentSchema, { code, name, ...(nameEn ? { nameEn } : {}) }))
      return reply.redirect('/admin/departments')
    } catch (error) {
      return refusedDepartments(request, reply, error, 'department', { CODE_TAKEN: 'department-code' })
    }
  })

  app.post('/admin/windows', {
    config: { policy: 'windows.manage' },
    schema: { body: StrictObject({ code: Typed, name: Typed, kind: Typed, departmentId: Typed }) }
  }, async (request, reply) => {
    try {
      const { t } = pageContext(request)
      const code = (request.body.code ?? '').trim()
      const name = (request.body.name ?? '').trim()
      const kind = WINDOW_KINDS.find((one) => one === request.body.kind)
      const departmentId = optional(request.body.departmentId) ?? null
      const ownership = (): string | null => {
        if (departmentId && !UUID.test(departmentId)) return t('departments.error.department')
        if (!kind || !windowOwnershipProblem(kind, departmentId)) {
          // a department administrator opens windows in its own departments only
          return departmentId === null && !canAccess(actorOf(request).principal, 'windows.manage', { departmentId: null }) ? t('departments.error.hallWindow') : null
        }
        return t(kind === 'department' ? 'departments.error.needsDepartment' : 'departments.error.hallOwned', { kind: t(`window.${kind}`) })
      }
      const ownershipMessage = ownership()
      assertNoProblems([
        ...codeAndNameProblems(request, 'window', code, name),
        ...(kind ? [] : [{ field: 'window-kind', message: t('departments.error.kind') }]),
        ...(ownershipMessage ? [{ field: 'window-department', message: ownershipMessage }] : [])
      ])
      await departments.createWindow(actorOf(request), checked(CreateWindowSchema, { code, name, kind, departmentId }))
      return reply.redirect('/admin/departments')
    } catch (error) {
      return refusedDepartments(request, reply, error, 'window', { CODE_TAKEN: 'window-code', WINDOW_DEPARTMENT_MISMATCH: 'window-department', DEPARTMENT_NOT_FOUND: 'window-department' })
    }
  })

  // calendar ----------------------------------------------------------------------------------

  interface ImportForm {
    values?: { notice: string, replace: boolean }
    /** words beside the notice field (and in the summary at the top) */
    importErrors?: string[]
    review?: Awaited<ReturnType<typeof calendar.previewYear>> & {
      workingDayCount: number
      ranges: Array<{ name: string, from: string, to: string, days: number }>
      makeupDays: string[]
    }
    imported?: boolean
  }

  async function showCalendar (request: FastifyRequest, reply: FastifyReply, year: number, extra: Partial<FormErrors> & { dayValues?: Record<string, string | string[]> } & ImportForm = {}) {
    const { days } = await calendar.listYear(year)
    const { lang } = pageContext(request)
    const grid = yearGrid(year, days, lang)
    return renderPage(request, reply, 'admin/calendar', {
      titleKey: 'nav.calendar',
      year,
      days,
      months: grid.months,
      workingDayCount: grid.workingDayCount,
      calendarStatus: calendar.status(),
      values: { notice: '', replace: false },
      importErrors: [],
      dayValues: {},
      ...extra
    })
  }

  app.get('/admin/calendar', {
    config: { policy: 'calendar.manage' },
    schema: { querystring: StrictObject({ year: Type.Optional(Type.Integer({ minimum: 2000, maximum: 2100 })), done: Type.Optional(Type.Literal('imported')) }) }
  }, async (request, reply) => showCalendar(request, reply, request.query.year ?? Number(app.calendar.today().slice(0, 4)), { imported: request.query.done === 'imported' }))

  /** A holiday or make-up workday of one date; the form checks what the browser checks. */
  app.post('/admin/calendar', {
    config: { policy: 'calendar.manage' },
    schema: { body: StrictObject({ date: Typed, kind: Typed, name: Typed }) }
  }, async (request, reply) => {
    const date = (request.body.date ?? '').trim()
    const year = isIsoDate(date) ? Number(date.slice(0, 4)) : Number(app.calendar.today().slice(0, 4))
    try {
      const { t } = pageContext(request)
      const kind = (['holiday', 'workday'] as const).find((one) => one === request.body.kind)
      const name = (request.body.name ?? '').trim()
      assertNoProblems([
        ...(isIsoDate(date) ? [] : [{ field: 'calendar-date', message: t('calendar.error.date') }]),
        ...(kind ? [] : [{ field: 'calendar-kind', message: t('calendar.error.kind') }]),
        ...(name && name.length <= 60 ? [] : [{ field: 'calendar-name', message: t('calendar.error.name') }])
      ])
      await calendar.putDay(actorOf(request), date, { kind: kind!, name })
      return reply.redirect(`/admin/calendar?year=${year}`)
    } catch (error) {
      const problems = refusalProblems(request, error, { CALENDAR_DAY_REDUNDANT: 'calendar-date' }, 'calendar.errors.')
      reply.code((error as { statusCode: number }).statusCode)
      return showCalendar(request, reply, year, { ...formErrors(problems), dayValues: keptValues(request.body) })
    }
  })

  /** The words for a refused notice: each fault with its dates, or the refusal's own words. */
  function importRefusal (request: FastifyRequest, error: Error & { code: string }, year: number, notice: ParsedNotice): string[] {
    const { t } = pageContext(request)
    if (!(error.code in NOTICE_REFUSALS)) return [refusalProblem(request, error, {}).message]
    return noticeProblems(year, notice).map((problem) =>
      t('calendar.import.problemDates', { message: t(`errors.${problem.code}`), dates: problem.dates.join('、') }))
  }

  /**
   * The notice pasted as lines goes through three steps on one URL: `review` checks it and shows
   * what would be entered, `confirm` enters it (the binding step), `edit` goes back to the form.
   * Whatever was typed comes back on every step, refused or not.
   */
  app.post('/admin/calendar/import', {
    config: { policy: 'calendar.manage' },
    schema: {
      body: StrictObject({
        year: Type.String({ pattern: '^(20\\d\\d|2100)$' }),
        notice: Type.String({ maxLength: 100_000 }),
        replace: Type.Optional(Type.Literal('on')),
        step: Type.Enum(['review', 'confirm', 'edit'])
      })
    }
  }, async (request, reply) => {
    const year = Number(request.body.year)
    const values = { notice: request.body.notice, replace: request.body.replace === 'on' }
    const { t } = pageContext(request)
    if (request.body.step === 'edit') return showCalendar(request, reply, year, { values })
    if (values.notice.length > NOTICE_MAX) {
      reply.code(400)
      return showCalendar(request, reply, year, { values, importErrors: [t('calendar.import.tooLong', { max: NOTICE_MAX })] })
    }
    const parsed = parseNoticeLines(values.notice)
    if (!parsed.ok) {
      reply.code(400)
      const importErrors = parsed.empty
        ? [t('calendar.import.empty')]
        : parsed.problems.map((problem) => t(`calendar.import.line.${problem.code}`, { line: problem.line, text: problem.text }))
      return showCalendar(request, reply, year, { values, importErrors })
    }
    const input = { ...parsed.notice, replace: values.replace }
    try {
      if (request.body.step === 'confirm') {
        await calendar.importYear(actorOf(request), year, input)
        return reply.redirect(`/admin/calendar?year=${year}&done=imported`)
      }
      const preview = await calendar.previewYear(year, input)
      const after = yearGrid(year, preview.days, pageContext(request).lang)
      const ranges = parsed.notice.holidays.map((holiday) => ({ ...holiday, days: (Date.parse(holiday.to) - Date.parse(holiday.from)) / 86_400_000 + 1 }))
      return showCalendar(request, reply, year, {
        values, review: { ...preview, workingDayCount: after.workingDayCount, ranges, makeupDays: [...parsed.notice.workdays].sort() }
      })
    } catch (error) {
      if (!isClientError(error)) throw error
      reply.code(error.statusCode)
      return showCalendar(request, reply, year, { values, importErrors: importRefusal(request, error, year, parsed.notice) })
    }
  })

  app.post('/admin/calendar/:date/remove', {
    config: { policy: 'calendar.manage' },
    schema: { params: StrictObject({ date: Type.String({ format: 'date' }) }) }
  }, async (request, reply) => {
    const { date } = request.params
    try {
      await calendar.removeDay(actorOf(request), date)
      return reply.redirect(`/admin/calendar?year=${date.slice(0, 4)}`)
    } catch (error) {
      const problems = refusalProblems(request, error, {}, 'calendar.errors.')
      reply.code((error as { statusCode: number }).statusCode)
      return showCalendar(request, reply, Number(date.slice(0, 4)), formErrors(problems))
    }
  })
}
