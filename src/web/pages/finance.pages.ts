/**
 * The finance desk: money per day (chart and table), the ledger's trial balance and books
 * check, bank statements and their differences, remittances to the fiscal accounts, and deposit
 * refunds by deadline. Everyone with finance.read sees it all; forms show to those who may act.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { Value } from 'typebox/value'
import { actorOf } from '../../lib/actor.ts'
import { createError } from '../../lib/errors.ts'
import { IsoDate, StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { mayAttempt } from '../../lib/policy.ts'
import { addCalendarDays } from '../../lib/working-days.ts'
import { ImportStatementQuery, ConfirmRemittanceSchema, ResolveDifferenceSchema } from '../../modules/reconciliation/reconciliation.schemas.ts'
import { ExecuteRefundSchema } from '../../modules/refunds/refunds.schemas.ts'
import { sameAccount } from '../../modules/refunds/refunds.rules.ts'
import { BankTxnId } from '../../modules/banks/banks.schemas.ts'
import { amountInChineseWords } from '../../lib/money.ts'
import { ConfirmField, isConfirmed, showConfirmation } from '../confirm.ts'
import { feeViewHelpers, money, paymentCode } from '../fee-format.ts'
import { assertNoProblems, formErrors, keptValues, refusalProblems, type FormErrors } from '../form-problems.ts'
import { barChart } from '../finance-chart.ts'
import { checked } from '../forms.ts'
import { pageContext, renderPage } from '../render.ts'
import { orShowError, type ShownError } from './page-errors.ts'

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

  async function showStatement (request: FastifyRequest, reply: FastifyReply, statementId: string, extra: Partial<FormErrors> & { done?: string, differenceId?: string, values?: Record<string, string | string[]> } = {}) {
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
    const { differenceId } = request.params
    try {
      const { t } = pageContext(request)
      assertNoProblems([
        ...(Value.Check(ResolveDifferenceSchema.properties.resolution, resolution) ? [] : [{ field: `resolution-${differenceId}`, message: t('differences.error.resolution') }]),
        ...(note.trim().length >= 2 ? [] : [{ field: `note-${differenceId}`, message: t('differences.error.note') }])
      ])
      await reconciliation.resolve(actorOf(request), differenceId, checked(ResolveDifferenceSchema, { resolution, note: note.trim() }))
      return reply.redirect(`/finance/statements/${statementId}?done=resolved`)
    } catch (error) {
      const problems = refusalProblems(request, error, { RESOLUTION_NOT_ALLOWED: `resolution-${differenceId}` })
      reply.code((error as { statusCode: number }).statusCode)
      return showStatement(request, reply, statementId, { ...formErrors(problems), differenceId, values: keptValues(request.body) })
    }
  })

  // remittances -------------------------------------------------------------------------------

  async function showRemittances (request: FastifyRequest, reply: FastifyReply, extra: Partial<FormErrors> & { created?: number, confirmed?: boolean, batchId?: string, values?: Record<string, string | string[]> } = {}) {
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
      const throughDate = request.body.throughDate.trim()
      assertNoProblems(Value.Check(IsoDate, throughDate) ? [] : [{ field: 'remit-through', message: pageContext(request).t('remittances.error.date') }])
      const created = await reconciliation.createRemittances(actorOf(request), throughDate)
      return showRemittances(request, reply, { created: created.length })
    } catch (error) {
      const problems = refusalProblems(request, error, { NOTHING_TO_REMIT: 'remit-through' })
      reply.code((error as { statusCode: number }).statusCode)
      return showRemittances(request, reply, { ...formErrors(problems), values: keptValues(request.body) })
    }
  })

  app.post('/finance/remittances/:batchId/confirmation', {
    config: { policy: 'finance.reconcile' },
    schema: { params: StrictObject({ batchId: Uuid }), body: StrictObject({ bankCode: Type.String({ maxLength: 32 }), bankTxnId: Type.String({ maxLength: 64 }) }) }
  }, async (request, reply) => {
    const { batchId } = request.params
    try {
      const { t } = pageContext(request)
      const input = { bankCode: request.body.bankCode, bankTxnId: request.body.bankTxnId.trim() }
      const { banks: active } = await bankData()
      assertNoProblems([
        ...(active.some((bank) => bank.code === input.bankCode) ? [] : [{ field: `remit-bank-${batchId}`, message: t('remittances.error.bank') }]),
        ...(Value.Check(BankTxnId, input.bankTxnId) ? [] : [{ field: `remit-txn-${batchId}`, message: t('refunds.error.txn') }])
      ])
      await reconciliation.confirmRemittance(actorOf(request), batchId, checked(ConfirmRemittanceSchema, input))
      return showRemittances(request, reply, { confirmed: true })
    } catch (error) {
      const problems = refusalProblems(request, error, { BANK_UNKNOWN: `remit-bank-${batchId}`, DUPLICATE_BANK_TRANSACTION: `remit-txn-${batchId}` })
      reply.code((error as { statusCode: number }).statusCode)
      return showRemittances(request, reply, { ...formErrors(problems), batchId, values: keptValues(request.body) })
    }
  })

  // refunds -----------------------------------------------------------------------------------

  async function showRefunds (request: FastifyRequest, reply: FastifyReply, extra: Partial<FormErrors> & { refundId?: string, values?: Record<string, string | string[]>, refunded?: string } = {}) {
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

  /**
   * Recording a refund binds the ledger: the finance officer first checks the fields beside each
   * other (the bank, its transaction number, the account: only the one the deposit came from),
   * then reads the amount in figures and in capitals, to whom and from which transfer, and
   * confirms (confirm.ts).
   */
  app.post('/finance/refunds/:refundId/payment', {
    config: { policy: 'refunds.execute' },
    schema: {
      params: StrictObject({ refundId: Uuid }),
      body: StrictObject({ bankCode: Type.String({ maxLength: 32 }), bankTxnId: Type.String({ maxLength: 64 }), toAccountNo: FormText(40), ...ConfirmField })
    }
  }, async (request, reply) => {
    const { refundId } = request.params
    const field = (name: string) => `refund-${name}-${refundId}`
    try {
      const { t } = pageContext(request)
      const input = { bankCode: request.body.bankCode, bankTxnId: request.body.bankTxnId.trim(), toAccountNo: (request.body.toAccountNo ?? '').trim() }
      const [refund, { banks: active }] = await Promise.all([refunds.get(refundId), bankData()])
      const bank = active.find((candidate) => candidate.code === input.bankCode)
      assertNoProblems([
        ...(bank ? [] : [{ field: field('bank'), message: t('refunds.error.bank') }]),
        ...(Value.Check(BankTxnId, input.bankTxnId) ? [] : [{ field: field('txn'), message: t('refunds.error.txn') }]),
        ...(!Value.Check(ExecuteRefundSchema.properties.toAccountNo, input.toAccountNo)
          ? [{ field: field('account'), message: t('refunds.error.account') }]
          : sameAccount(input.toAccountNo, refund.toAccountNo) ? [] : [{ field: field('account'), message: t('errors.REFUND_ACCOUNT_MISMATCH') }])
      ], 422)
      if (!isConfirmed(request.body)) {
        const amount = money(refund.amountFen)
        const capitals = amountInChineseWords(BigInt(refund.amountFen))
        return showConfirmation(request, reply, {
          title: t('refunds.confirm.title'),
          facts: [
            [t('notice.code'), paymentCode(refund.noticeCode)],
            [t('refunds.reason'), refund.reason],
            [t('notice.amount'), amount],
            [t('refunds.confirm.capitals'), capitals],
            [t('refunds.confirm.payee'), refund.toAccountName],
            [t('refunds.toAccount'), input.toAccountNo],
            [t('cashier.bank'), bank!.name],
            [t('cashier.bankTxnId'), input.bankTxnId]
          ],
          consequences: [
            t('refunds.confirm.effect', { amount, capitals, name: refund.toAccountName, account: input.toAccountNo, bank: bank!.name, txn: input.bankTxnId }),
            t('refunds.confirm.ledger'),
            t('refunds.confirm.check')
          ],
          action: `/finance/refunds/${refundId}/payment`,
          fields: input,
          confirmLabel: t('refunds.confirm.button'),
          backHref: `/finance/refunds#refund-${refundId}`
        })
      }
      const paid = await refunds.execute(actorOf(request), refundId, checked(ExecuteRefundSchema, input))
      return showRefunds(request, reply, { refunded: paid.id })
    } catch (error) {
      const problems = refusalProblems(request, error, { REFUND_ACCOUNT_MISMATCH: field('account'), BANK_UNKNOWN: field('bank'), DUPLICATE_BANK_TRANSACTION: field('txn') })
      reply.code((error as { statusCode: number }).statusCode)
      return showRefunds(request, reply, { ...formErrors(problems), refundId, values: keptValues(request.body) })
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
