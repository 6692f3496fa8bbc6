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
import { IsoDate, StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { mayAttempt } from '../../lib/policy.ts'
import { addCalendarDays } from '../../lib/working-days.ts'
import { ImportStatementQuery, ConfirmRemittanceSchema, ResolveDifferenceSchema } from '../../modules/reconciliation/reconciliation.schemas.ts'
import { RemittanceConfirmed, RemittanceNotFound } from '../../modules/reconciliation/reconciliation.errors.ts'
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
import { lineErrorOf, lineProblemTemplates } from '../statement-lines.ts'

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

  type LineError = { line: string, words: string }

  async function showStatements (request: FastifyRequest, reply: FastifyReply, extra: Partial<FormErrors> & { values?: Record<string, string>, lineErrors?: LineError[] } = {}) {
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
   * buffered. The form puts the bank and the day before the file, so they are checked before it
   * starts. A malformed statement comes back with its bad lines beside the file field, in words.
   */
  app.post('/finance/statements', { config: { policy: 'finance.reconcile' } }, async (request, reply) => {
    const values: Record<string, string> = {}
    let source: NodeJS.ReadableStream | undefined
    try {
      const { t } = pageContext(request)
      const { banks: active } = await bankData()
      /** The bank, the day and the file beside their fields, before anything is read. */
      const problemsWith = (file: boolean) => [
        ...(active.some((bank) => bank.code === values.bankCode) ? [] : [{ field: 'statement-bank', message: t('statements.error.bank') }]),
        ...(Value.Check(IsoDate, (values.date ?? '').trim()) && (values.date ?? '').trim() <= app.calendar.today() ? [] : [{ field: 'statement-date', message: t('statements.error.date') }]),
        ...(file ? [] : [{ field: 'statement-file', message: t('errors.STATEMENT_FILE_MISSING') }])
      ]
      let imported: string | null = null
      for await (const part of request.parts({ limits: { files: 1, fields: 4 } })) {
        if (part.type === 'field') {
          if (typeof part.value === 'string') values[part.fieldname] = part.value
          continue
        }
        source = part.file
        if (!part.filename) {
          part.file.resume()
          continue
        }
        assertNoProblems(problemsWith(true))
        const query = checked(ImportStatementQuery, { bankCode: values.bankCode, date: values.date!.trim() })
        imported = (await reconciliation.importStatement(actorOf(request), { bankCode: query.bankCode, statementDate: query.date, source: part.file })).id
      }
      assertNoProblems(problemsWith(imported !== null))
      return reply.redirect(`/finance/statements/${imported}?done=imported`)
    } catch (error) {
      // what the import did not read is drained, so the browser gets the answer
      source?.resume()
      const problems = refusalProblems(request, error, STATEMENT_FIELDS)
      const details = (error as { details?: unknown }).details
      const { t } = pageContext(request)
      const lineErrors = (error as { code?: string }).code === 'STATEMENT_MALFORMED' && Array.isArray(details) ? details.map((detail) => lineErrorOf(t, detail)) : []
      reply.code(statusOf(error))
      return showStatements(request, reply, { ...formErrors(problems), values, lineErrors })
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

  /**
   * Confirming a remittance binds the ledger: the batch counts as remitted for good. The finance
   * officer reads the batch (amount in figures and capitals, account, bank and transaction
   * number) against the bank's slip, then confirms (confirm.ts).
   */
  app.post('/finance/remittances/:batchId/confirmation', {
    config: { policy: 'finance.reconcile' },
    schema: { params: StrictObject({ batchId: Uuid }), body: StrictObject({ bankCode: Type.String({ maxLength: 32 }), bankTxnId: Type.String({ maxLength: 64 }), ...ConfirmField }) }
  }, async (request, reply) => {
    const { batchId } = request.params
    try {
      const { t } = pageContext(request)
      const input = { bankCode: request.body.bankCode, bankTxnId: request.body.bankTxnId.trim() }
      const { banks: active } = await bankData()
      const bank = active.find((candidate) => candidate.code === input.bankCode)
      assertNoProblems([
        ...(bank ? [] : [{ field: `remit-bank-${batchId}`, message: t('remittances.error.bank') }]),
        ...(Value.Check(BankTxnId, input.bankTxnId) ? [] : [{ field: `remit-txn-${batchId}`, message: t('refunds.error.txn') }])
      ])
      if (!isConfirmed(request.body)) {
        const batch = (await reconciliation.listRemittances()).find((candidate) => candidate.id === batchId)
        if (!batch) throw new RemittanceNotFound(batchId)
        if (batch.status === 'confirmed') throw new RemittanceConfirmed()
        const amount = money(batch.totalFen)
        const capitals = amountInChineseWords(BigInt(batch.totalFen))
        return showConfirmation(request, reply, {
          title: t('remittances.confirmPage.title'),
          facts: [
            [t('fees.receivingAccount'), batch.receivingAccount],
            [t('remittances.throughDate'), batch.throughDate],
            [t('notice.amount'), amount],
            [t('refunds.confirm.capitals'), capitals],
            [t('remittances.payments'), String(batch.paymentCount)],
            [t('cashier.bank'), bank!.name],
            [t('cashier.bankTxnId'), input.bankTxnId]
          ],
          consequences: [
            t('remittances.confirmPage.effect', { count: batch.paymentCount, amount, capitals, bank: bank!.name, txn: input.bankTxnId, account: batch.receivingAccount }),
            t('remittances.confirmPage.ledger'),
            t('remittances.confirmPage.check')
          ],
          action: `/finance/remittances/${batchId}/confirmation`,
          fields: input,
          confirmLabel: t('remittances.confirmPage.button'),
          backHref: `/finance/remittances#remittance-${batchId}`
        })
      }
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
const UPLOAD_ERROR_CODES = ['STATEMENT_MALFORMED', 'STATEMENT_ALREADY_IMPORTED', 'STATEMENT_DATE_INVALID', 'BANK_UNKNOWN', 'UNSUPPORTED_MEDIA_TYPE', 'BLOB_TOO_LARGE', 'VALIDATION_FAILED', 'FORBIDDEN', 'AUTH_REQUIRED']

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
    lines: lineProblemTemplates(t),
    fields: STATEMENT_FIELDS,
    errors: Object.fromEntries(UPLOAD_ERROR_CODES.map((code) => [code, t(`errors.${code}`)]))
  }
}

/** The upload form's field of each refusal of an import. */
const STATEMENT_FIELDS: Record<string, string> = {
  STATEMENT_MALFORMED: 'statement-file',
  UNSUPPORTED_MEDIA_TYPE: 'statement-file',
  STATEMENT_FILE_MISSING: 'statement-file',
  BLOB_TOO_LARGE: 'statement-file',
  STATEMENT_ALREADY_IMPORTED: 'statement-date',
  STATEMENT_DATE_INVALID: 'statement-date',
  BANK_UNKNOWN: 'statement-bank'
}

const statusOf = (error: unknown) => (error as { statusCode: number }).statusCode
