/**
 * The finance desk: money per day (chart and table), the ledger's trial balance and books
 * check, bank statements and their differences, remittances to the fiscal accounts, and deposit
 * refunds by deadline. Everyone with finance.read sees it all; forms show to those who may act.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { createError, isClientError } from '../../lib/errors.ts'
import { IsoDate, StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { mayAttempt } from '../../lib/policy.ts'
import { addCalendarDays } from '../../lib/working-days.ts'
import { ImportStatementQuery, ConfirmRemittanceSchema, ResolveDifferenceSchema } from '../../modules/reconciliation/reconciliation.schemas.ts'
import { ExecuteRefundSchema } from '../../modules/refunds/refunds.schemas.ts'
import { feeViewHelpers } from '../fee-format.ts'
import { barChart } from '../finance-chart.ts'
import { checked } from '../forms.ts'
import { pageContext, renderPage } from '../render.ts'
import { orShowError, shownError, type ShownError } from './page-errors.ts'

const CHART_DAYS = 30
const FormText = (maxLength: number) => Type.Optional(Type.String({ maxLength }))

export const financePages: FastifyPluginAsyncTypebox = async (app) => {
  const { reconciliation, refunds, banks } = app.services

  function may (request: FastifyRequest) {
    const principal = actorOf(request).principal
    return { reconcile: mayAttempt(principal, 'finance.reconcile'), refund: mayAttempt(principal, 'refunds.execute') }
  }

  async function bankData () {
    const all = await banks.listBanks()
    return { banks: all.filter((bank) => bank.active), bankNames: Object.fromEntries(all.map((bank) => [bank.id, bank.name])) }
  }

  function common (request: FastifyRequest) {
    return { may: may(request), simulatedBank: Boolean(app.services.simulatedBank), today: app.calendar.today(), ...feeViewHelpers }
  }

  // overview ----------------------------------------------------------------------------------

  app.get('/finance', { config: { policy: 'finance.read' } }, async (request, reply) => {
    const { t, lang } = pageContext(request)
    const to = app.calendar.today()
    const from = addCalendarDays(to, -(CHART_DAYS - 1))
    const { days, balances, books, remittances } = await reconciliation.financeOverview(from, to)
    const dates = days.map((day) => day.date)
    const pick = (key: 'collectedFen' | 'remittedFen' | 'depositsFen' | 'refundedFen') => days.map((day) => day[key])
    const sum = (key: 'collectedFen' | 'remittedFen' | 'depositsFen' | 'refundedFen') => days.reduce((total, day) => total + day[key], 0)
    return renderPage(request, reply, 'finance/overview', {
      titleKey: 'finance.title',
      from,
      to,
      days,
      totals: { collectedFen: sum('collectedFen'), remittedFen: sum('remittedFen'), depositsFen: sum('depositsFen'), refundedFen: sum('refundedFen') },
      revenueChart: barChart(dates, [
        { label: t('finance.collected'), className: 'series-collected', values: pick('collectedFen') },
        { label: t('finance.remitted'), className: 'series-remitted', values: pick('remittedFen') }
      ]),
      depositChart: barChart(dates, [
        { label: t('finance.deposits'), className: 'series-deposits', values: pick('depositsFen') },
        { label: t('finance.refunded'), className: 'series-refunded', values: pick('refundedFen') }
      ]),
      balances: balances.map((account) => ({ ...account, label: lang === 'en' ? account.nameEn : account.name })),
      debitTotalFen: balances.reduce((total, account) => total + Math.max(0, account.balanceFen), 0),
      creditTotalFen: balances.reduce((total, account) => total + Math.max(0, -account.balanceFen), 0),
      books,
      remittances,
      ...common(request)
    })
  })

  // bank statements ---------------------------------------------------------------------------

  async function showStatements (request: FastifyRequest, reply: FastifyReply, extra: Partial<ShownError> & { values?: Record<string, string> } = {}) {
    return renderPage(request, reply, 'finance/statements', {
      titleKey: 'statements.title',
      statements: await reconciliation.listStatements(),
      uploadMessages: uploadMessages(request),
      ...await bankData(),
      values: {},
      ...extra,
      ...common(request)
    })
  }

  app.get('/finance/statements', { config: { policy: 'finance.read' } }, async (request, reply) => showStatements(request, reply))

  /**
   * Without JavaScript the form posts multipart; the file part is streamed into the import, never
   * buffered. The form puts the bank and the day before the file, so they are known when it starts.
   */
  app.post('/finance/statements', { config: { policy: 'finance.reconcile' } }, async (request, reply) => {
    const values: Record<string, string> = {}
    let source: NodeJS.ReadableStream | undefined
    try {
      const file = await request.file({ limits: { files: 1, fields: 4 } })
      if (!file) throw new StatementFileMissing()
      source = file.file
      for (const [name, field] of Object.entries(file.fields)) {
        const value = Array.isArray(field) ? field[0] : field
        if (value && value.type === 'field' && typeof value.value === 'string') values[name] = value.value
      }
      const query = checked(ImportStatementQuery, { bankCode: values.bankCode ?? '', date: values.date ?? '' })
      const statement = await reconciliation.importStatement(actorOf(request), { bankCode: query.bankCode, statementDate: query.date, source: file.file })
      return reply.redirect(`/finance/statements/${statement.id}?done=imported`)
    } catch (error) {
      // what the import did not read is drained, so the browser gets the answer
      source?.resume()
      return orShowError(request, reply, error, (shown) => showStatements(request, reply, { ...shown, values }))
    }
  })

  async function showStatement (request: FastifyRequest, reply: FastifyReply, statementId: string, extra: Partial<ShownError> & { done?: string } = {}) {
    const detail = await reconciliation.getStatement(statementId)
    return renderPage(request, reply, 'finance/statement', {
      title: `${pageContext(request).t('statements.statement')} ${detail.statement.statementDate}`,
      ...detail,
      ...await bankData(),
      ...extra,
      ...common(request)
    })
  }

  app.get('/finance/statements/:statementId', {
    config: { policy: 'finance.read' },
    schema: { params: StrictObject({ statementId: Uuid }), querystring: StrictObject({ done: Type.Optional(Type.Enum(['imported', 'resolved'])) }) }
  }, async (request, reply) => showStatement(request, reply, request.params.statementId, { done: request.query.done }))

  app.post('/finance/differences/:differenceId/resolution', {
    config: { policy: 'finance.reconcile' },
    schema: {
      params: StrictObject({ differenceId: Uuid }),
      body: StrictObject({ statementId: Uuid, resolution: Type.String({ maxLength: 20 }), note: Type.String({ maxLength: 1000 }) })
    }
  }, async (request, reply) => {
    const { statementId, resolution, note } = request.body
    try {
      await reconciliation.resolve(actorOf(request), request.params.differenceId, checked(ResolveDifferenceSchema, { resolution, note: note.trim() }))
      return reply.redirect(`/finance/statements/${statementId}?done=resolved`)
    } catch (error) {
      return orShowError(request, reply, error, (shown) => showStatement(request, reply, statementId, shown))
    }
  })

  // remittances -------------------------------------------------------------------------------

  async function showRemittances (request: FastifyRequest, reply: FastifyReply, extra: Partial<ShownError> & { created?: number, confirmed?: boolean } = {}) {
    const [remittances, check] = await Promise.all([reconciliation.listRemittances(), reconciliation.checkRemittances()])
    return renderPage(request, reply, 'finance/remittances', {
      titleKey: 'remittances.title',
      remittances,
      check,
      ...await bankData(),
      ...extra,
      ...common(request)
    })
  }

  app.get('/finance/remittances', { config: { policy: 'finance.read' } }, async (request, reply) => showRemittances(request, reply))

  app.post('/finance/remittances', {
    config: { policy: 'finance.reconcile' },
    schema: { body: StrictObject({ throughDate: Type.String({ maxLength: 10 }) }) }
  }, async (request, reply) => {
    try {
      const { throughDate } = checked(StrictObject({ throughDate: IsoDate }), request.body)
      const created = await reconciliation.createRemittances(actorOf(request), throughDate)
      return showRemittances(request, reply, { created: created.length })
    } catch (error) {
      return orShowError(request, reply, error, (shown) => showRemittances(request, reply, shown))
    }
  })

  app.post('/finance/remittances/:batchId/confirmation', {
    config: { policy: 'finance.reconcile' },
    schema: { params: StrictObject({ batchId: Uuid }), body: StrictObject({ bankCode: Type.String({ maxLength: 32 }), bankTxnId: Type.String({ maxLength: 64 }) }) }
  }, async (request, reply) => {
    try {
      await reconciliation.confirmRemittance(actorOf(request), request.params.batchId, checked(ConfirmRemittanceSchema, {
        bankCode: request.body.bankCode, bankTxnId: request.body.bankTxnId.trim()
      }))
      return showRemittances(request, reply, { confirmed: true })
    } catch (error) {
      return orShowError(request, reply, error, (shown) => showRemittances(request, reply, shown))
    }
  })

  // refunds -----------------------------------------------------------------------------------

  async function showRefunds (request: FastifyRequest, reply: FastifyReply, extra: Partial<ShownError> & { refundId?: string, values?: Record<string, string>, refunded?: string } = {}) {
    const [pending, paid] = await Promise.all([refunds.list({ status: 'pending', limit: 200 }), refunds.list({ status: 'paid', limit: 20 })])
    return renderPage(request, reply, 'finance/refunds', {
      titleKey: 'refunds.title',
      pending,
      paid,
      ...await bankData(),
      values: {},
      ...extra,
      ...common(request)
    })
  }

  app.get('/finance/refunds', { config: { policy: 'finance.read' } }, async (request, reply) => showRefunds(request, reply))

  app.post('/finance/refunds/:refundId/payment', {
    config: { policy: 'refunds.execute' },
    schema: {
      params: StrictObject({ refundId: Uuid }),
      body: StrictObject({ bankCode: Type.String({ maxLength: 32 }), bankTxnId: Type.String({ maxLength: 64 }), toAccountNo: FormText(40) })
    }
  }, async (request, reply) => {
    const { refundId } = request.params
    try {
      const refund = await refunds.execute(actorOf(request), refundId, checked(ExecuteRefundSchema, {
        bankCode: request.body.bankCode, bankTxnId: request.body.bankTxnId.trim(), toAccountNo: (request.body.toAccountNo ?? '').trim()
      }))
      return showRefunds(request, reply, { refunded: refund.id })
    } catch (error) {
      if (!isClientError(error)) throw error
      reply.code(error.statusCode)
      return showRefunds(request, reply, { ...shownError(request, error), refundId, values: request.body as Record<string, string> })
    }
  })
}

/** The words the upload script shows; its templates keep their {placeholders}. */
const UPLOAD_ERROR_CODES = ['STATEMENT_MALFORMED', 'STATEMENT_ALREADY_IMPORTED', 'STATEMENT_DATE_INVALID', 'BANK_UNKNOWN', 'UNSUPPORTED_MEDIA_TYPE', 'VALIDATION_FAILED', 'FORBIDDEN', 'AUTH_REQUIRED']

function uploadMessages (request: FastifyRequest) {
  const { t } = pageContext(request)
  return {
    uploading: t('statements.uploading'),
    processing: t('statements.processing'),
    done: t('statements.uploaded'),
    view: t('statements.viewDifferences'),
    failed: t('statements.failed'),
    network: t('statements.network'),
    line: t('statements.line'),
    errors: Object.fromEntries(UPLOAD_ERROR_CODES.map((code) => [code, t(`errors.${code}`)]))
  }
}

const StatementFileMissing = createError('STATEMENT_FILE_MISSING', 'Choose the statement file (CSV)', 400)
