/** Hall administration: accounts and roles, departments and windows, the working-day calendar. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { isClientError } from '../../lib/errors.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { canAccess, mayAttempt, ROLES } from '../../lib/policy.ts'
import { CreateAccountSchema, GrantInputSchema } from '../../modules/accounts/accounts.schemas.ts'
import { NOTICE_REFUSALS } from '../../modules/calendar/calendar.errors.ts'
import { noticeProblems } from '../../modules/calendar/calendar.rules.ts'
import { CreateDepartmentSchema, CreateWindowSchema } from '../../modules/departments/departments.schemas.ts'
import { parseNoticeLines, type ParsedNotice } from '../calendar-notice.ts'
import { checked, optional, parseScope } from '../forms.ts'
import { messageFor, pageContext, renderPage } from '../render.ts'
import { yearGrid } from '../year-grid.ts'
import { scopeNames } from './scope-names.ts'

const FormText = (maxLength: number) => Type.Optional(Type.String({ maxLength }))

export const adminPages: FastifyPluginAsyncTypebox = async (app) => {
  const { accounts, departments, calendar } = app.services

  /** Renders the page again with the error when a form is refused; rethrows anything else. */
  async function orShowError (request: FastifyRequest, reply: FastifyReply, error: unknown, show: (error: string) => Promise<unknown>) {
    if (!isClientError(error)) throw error
    reply.code(error.statusCode)
    return show(messageFor(request, error))
  }

  // accounts ----------------------------------------------------------------------------------

  async function showAccounts (request: FastifyRequest, reply: FastifyReply, extra: { q?: string, error?: string, oneTimePassword?: string | null }) {
    const list = await accounts.listAccounts({ q: extra.q, limit: 200, offset: 0 })
    return renderPage(request, reply, 'admin/accounts', {
      titleKey: 'nav.accounts',
      accounts: list.items,
      total: list.total,
      roles: ROLES,
      departments: await departments.listDepartments(),
      windows: await departments.listWindows(),
      canManage: mayAttempt(actorOf(request).principal, 'accounts.manage'),
      ...extra
    })
  }

  app.get('/admin/accounts', {
    config: { policy: 'accounts.read' },
    schema: { querystring: StrictObject({ q: FormText(100) }) }
  }, async (request, reply) => showAccounts(request, reply, { q: optional(request.query.q) }))

  app.post('/admin/accounts', {
    config: { policy: 'accounts.manage' },
    schema: {
      body: StrictObject({
        kind: Type.String({ maxLength: 20 }),
        username: Type.String({ maxLength: 64 }),
        displayName: Type.String({ maxLength: 100 }),
        creditCode: FormText(18),
        role: FormText(20),
        scope: FormText(60)
      })
    }
  }, async (request, reply) => {
    const body = request.body
    try {
      const role = optional(body.role)
      const input = checked(CreateAccountSchema, {
        kind: body.kind,
        username: body.username.trim(),
        displayName: body.displayName.trim(),
        ...(optional(body.creditCode) ? { creditCode: optional(body.creditCode) } : {}),
        ...(role ? { grants: [{ role, ...parseScope(body.scope) }] } : {})
      })
      const created = await accounts.createAccount(actorOf(request), input)
      return showAccounts(request, reply, { oneTimePassword: created.oneTimePassword })
    } catch (error) {
      return orShowError(request, reply, error, (message) => showAccounts(request, reply, { error: message }))
    }
  })

  async function showAccount (request: FastifyRequest, reply: FastifyReply, accountId: string, extra: { error?: string, oneTimePassword?: string }) {
    const account = await accounts.getAccount(accountId)
    const names = await scopeNames(departments)
    return renderPage(request, reply, 'admin/account', {
      title: account.displayName,
      account,
      grants: account.grants.map((grant) => ({ ...grant, scopeName: grant.scopeId ? names[grant.scopeId] : undefined })),
      roles: ROLES,
      departments: await departments.listDepartments(),
      windows: await departments.listWindows(),
      canManage: mayAttempt(actorOf(request).principal, 'accounts.manage'),
      ...extra
    })
  }

  const AccountParams = StrictObject({ accountId: Uuid })

  app.get('/admin/accounts/:accountId', { config: { policy: 'accounts.read' }, schema: { params: AccountParams } },
    async (request, reply) => showAccount(request, reply, request.params.accountId, {}))

  app.post('/admin/accounts/:accountId/grants', {
    config: { policy: 'accounts.manage' },
    schema: { params: AccountParams, body: StrictObject({ role: Type.String({ maxLength: 20 }), scope: FormText(60) }) }
  }, async (request, reply) => {
    const { accountId } = request.params
    try {
      await accounts.grantRole(actorOf(request), accountId, checked(GrantInputSchema, { role: request.body.role, ...parseScope(request.body.scope) }))
      return reply.redirect(`/admin/accounts/${accountId}`)
    } catch (error) {
      return orShowError(request, reply, error, (message) => showAccount(request, reply, accountId, { error: message }))
    }
  })

  app.post('/admin/accounts/:accountId/grants/:grantId/revoke', {
    config: { policy: 'accounts.manage' },
    schema: { params: StrictObject({ accountId: Uuid, grantId: Uuid }) }
  }, async (request, reply) => {
    const { accountId, grantId } = request.params
    try {
      await accounts.revokeGrant(actorOf(request), accountId, grantId)
      return reply.redirect(`/admin/accounts/${accountId}`)
    } catch (error) {
      return orShowError(request, reply, error, (message) => showAccount(request, reply, accountId, { error: message }))
    }
  })

  app.post('/admin/accounts/:accountId/status', {
    config: { policy: 'accounts.manage' },
    schema: { params: AccountParams, body: StrictObject({ status: Type.Enum(['active', 'disabled']) }) }
  }, async (request, reply) => {
    const { accountId } = request.params
    try {
      await accounts.updateAccount(actorOf(request), accountId, { status: request.body.status })
      return reply.redirect(`/admin/accounts/${accountId}`)
    } catch (error) {
      return orShowError(request, reply, error, (message) => showAccount(request, reply, accountId, { error: message }))
    }
  })

  app.post('/admin/accounts/:accountId/password-reset', {
    config: { policy: 'accounts.manage' },
    schema: { params: AccountParams }
  }, async (request, reply) => {
    const { accountId } = request.params
    const { oneTimePassword } = await accounts.resetPassword(actorOf(request), accountId)
    return showAccount(request, reply, accountId, { oneTimePassword })
  })

  // departments and windows -------------------------------------------------------------------

  async function showDepartments (request: FastifyRequest, reply: FastifyReply, extra: { error?: string } = {}) {
    const principal = actorOf(request).principal
    const allDepartments = await departments.listDepartments()
    return renderPage(request, reply, 'admin/departments', {
      titleKey: 'nav.departments',
      // a department administrator sees and manages the windows of its own departments
      departments: allDepartments.filter((department) => canAccess(principal, 'windows.manage', { departmentId: department.id })),
      departmentNames: Object.fromEntries(allDepartments.map((department) => [department.id, department.name])),
      windows: (await departments.listWindows()).filter((window) => canAccess(principal, 'windows.manage', { departmentId: window.departmentId, windowId: window.id })),
      canManageDepartments: mayAttempt(principal, 'departments.manage'),
      ...extra
    })
  }

  app.get('/admin/departments', { config: { policy: 'windows.manage' } }, async (request, reply) => showDepartments(request, reply))

  app.post('/admin/departments', {
    config: { policy: 'departments.manage' },
    schema: { body: StrictObject({ code: Type.String({ maxLength: 32 }), name: Type.String({ maxLength: 100 }), nameEn: FormText(100) }) }
  }, async (request, reply) => {
    try {
      const nameEn = optional(request.body.nameEn)
      await departments.createDepartment(actorOf(request), checked(CreateDepartmentSchema, {
        code: request.body.code.trim(), name: request.body.name.trim(), ...(nameEn ? { nameEn } : {})
      }))
      return reply.redirect('/admin/departments')
    } catch (error) {
      return orShowError(request, reply, error, (message) => showDepartments(request, reply, { error: message }))
    }
  })

  app.post('/admin/windows', {
    config: { policy: 'windows.manage' },
    schema: { body: StrictObject({ code: Type.String({ maxLength: 32 }), name: Type.String({ maxLength: 100 }), kind: Type.String({ maxLength: 20 }), departmentId: FormText(36) }) }
  }, async (request, reply) => {
    try {
      await departments.createWindow(actorOf(request), checked(CreateWindowSchema, {
        code: request.body.code.trim(), name: request.body.name.trim(), kind: request.body.kind, departmentId: optional(request.body.departmentId) ?? null
      }))
      return reply.redirect('/admin/departments')
    } catch (error) {
      return orShowError(request, reply, error, (message) => showDepartments(request, reply, { error: message }))
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

  async function showCalendar (request: FastifyRequest, reply: FastifyReply, year: number, extra: { error?: string } & ImportForm = {}) {
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
      ...extra
    })
  }

  app.get('/admin/calendar', {
    config: { policy: 'calendar.manage' },
    schema: { querystring: StrictObject({ year: Type.Optional(Type.Integer({ minimum: 2000, maximum: 2100 })), done: Type.Optional(Type.Literal('imported')) }) }
  }, async (request, reply) => showCalendar(request, reply, request.query.year ?? Number(app.calendar.today().slice(0, 4)), { imported: request.query.done === 'imported' }))

  app.post('/admin/calendar', {
    config: { policy: 'calendar.manage' },
    schema: { body: StrictObject({ date: Type.String({ format: 'date' }), kind: Type.Enum(['holiday', 'workday']), name: Type.String({ minLength: 1, maxLength: 60 }) }) }
  }, async (request, reply) => {
    const { date, kind, name } = request.body
    try {
      await calendar.putDay(actorOf(request), date, { kind, name })
      return reply.redirect(`/admin/calendar?year=${date.slice(0, 4)}`)
    } catch (error) {
      return orShowError(request, reply, error, (message) => showCalendar(request, reply, Number(date.slice(0, 4)), { error: message }))
    }
  })

  /** The words for a refused notice: each fault with its dates, or the refusal's own words. */
  function importRefusal (request: FastifyRequest, error: Error & { code: string }, year: number, notice: ParsedNotice): string[] {
    const { t } = pageContext(request)
    if (!(error.code in NOTICE_REFUSALS)) return [messageFor(request, error)]
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
        notice: Type.String({ maxLength: 10_000 }),
        replace: Type.Optional(Type.Literal('on')),
        step: Type.Enum(['review', 'confirm', 'edit'])
      })
    }
  }, async (request, reply) => {
    const year = Number(request.body.year)
    const values = { notice: request.body.notice, replace: request.body.replace === 'on' }
    const { t } = pageContext(request)
    if (request.body.step === 'edit') return showCalendar(request, reply, year, { values })
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
    await calendar.removeDay(actorOf(request), request.params.date)
    return reply.redirect(`/admin/calendar?year=${request.params.date.slice(0, 4)}`)
  })
}
