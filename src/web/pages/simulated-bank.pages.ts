/**
 * The simulated bank's "online banking" (demo and tests; registered only with SIMULATED_BANK=true):
 * anyone pays a payment code, choosing how the bank tells the hall (once, repeatedly, or not at
 * all, which reconciliation then finds); the finance desk sends transfers and downloads the
 * bank's statement of a day.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { normalisePaymentCode, isValidPaymentCode } from '../../lib/payment-code.ts'
import { mayAttempt } from '../../lib/policy.ts'
import { isIsoDate } from '../../lib/working-days.ts'
import type { SimulatedBankService } from '../../modules/simulated-bank/simulated-bank.service.ts'
import { SimulatedPaymentSchema, SimulatedTransferSchema, type SimulatedPaymentResult } from '../../modules/simulated-bank/simulated-bank.schemas.ts'
import { feeViewHelpers, yuanToFen } from '../fee-format.ts'
import { assertNoProblems, formErrors, keptValues, refusalProblems, type FormErrors, type FormProblem } from '../form-problems.ts'
import { checked, optional } from '../forms.ts'
import { pageContext, renderPage } from '../render.ts'

/** Whatever a person may type into a field whose browser check was bypassed; the page checks the real limit. */
const Typed = Type.Optional(Type.String({ maxLength: 2000 }))
const ACCOUNT_NO = /^[0-9A-Za-z -]{4,40}$/
const NAME_MAX = 200
const DELIVERIES = ['normal', 'repeated', 'lost'] as const

export const simulatedBankPages: FastifyPluginAsyncTypebox<{ service: SimulatedBankService }> = async (app, { service }) => {
  interface BankState extends Partial<FormErrors> {
    values?: Record<string, string | string[]>
    paid?: SimulatedPaymentResult & { code: string, delivery: string }
    transferred?: { txnId: string, amountFen: number, toAccountName: string }
  }

  async function showBank (request: FastifyRequest, reply: FastifyReply, state: BankState) {
    const principal = request.principal
    return renderPage(request, reply, 'simulated-bank', {
      titleKey: 'simbank.title',
      values: { delivery: 'normal' },
      mayTransfer: principal !== null && mayAttempt(principal, 'finance.reconcile'),
      mayReadStatements: principal !== null && mayAttempt(principal, 'finance.read'),
      today: app.calendar.today(),
      ...state,
      ...feeViewHelpers
    })
  }

  /** Shows the bank again with the refused form's problems beside its fields and what was typed. */
  async function refused (request: FastifyRequest, reply: FastifyReply, error: unknown, form: 'payment' | 'transfer' | 'statement', fieldOf: Record<string, string>, values: Record<string, string | string[]>) {
    const problems = refusalProblems(request, error, fieldOf, 'simbank.errors.')
    reply.code((error as { statusCode: number }).statusCode)
    return showBank(request, reply, { ...formErrors(problems, form), values: { delivery: 'normal', ...values } })
  }

  /** An account number and name as the browser checks them, beside the fields `ids` names. */
  function accountProblems (request: FastifyRequest, accountNo: string, name: string, ids: { accountNo: string, name: string }, words: { accountNo: string, name: string }): FormProblem[] {
    const { t } = pageContext(request)
    return [
      ...(ACCOUNT_NO.test(accountNo) ? [] : [{ field: ids.accountNo, message: t(words.accountNo) }]),
      ...(name && name.length <= NAME_MAX ? [] : [{ field: ids.name, message: t(words.name, { max: NAME_MAX }) }])
    ]
  }

  app.get('/simulated-bank', {
    config: { policy: 'public' },
    schema: { querystring: Type.Object({ code: Type.Optional(Type.String({ maxLength: 60 })) }, { additionalProperties: false }) }
  }, async (request, reply) => showBank(request, reply, { values: { delivery: 'normal', paymentCode: optional(request.query.code) ?? '' } }))

  app.post('/simulated-bank/payments', {
    config: { policy: 'public', rateLimit: { max: 120, timeWindow: '1 minute' } },
    schema: { body: Type.Object({ paymentCode: Typed, payerAccountNo: Typed, payerAccountName: Typed, delivery: Typed }, { additionalProperties: false }) }
  }, async (request, reply) => {
    const body = request.body
    try {
      const { t } = pageContext(request)
      const paymentCode = (body.paymentCode ?? '').trim()
      const payerAccountNo = (body.payerAccountNo ?? '').trim()
      const payerAccountName = (body.payerAccountName ?? '').trim()
      const delivery = DELIVERIES.find((one) => one === (body.delivery ?? 'normal'))
      assertNoProblems([
        ...(isValidPaymentCode(normalisePaymentCode(paymentCode)) ? [] : [{ field: 'simbank-code', message: t(paymentCode ? 'errors.PAYMENT_CODE_INVALID' : 'simbank.error.code') }]),
        ...accountProblems(request, payerAccountNo, payerAccountName, { accountNo: 'simbank-account', name: 'simbank-name' }, { accountNo: 'simbank.error.accountNo', name: 'simbank.error.accountName' }),
        ...(delivery ? [] : [{ field: 'simbank-delivery', message: t('simbank.error.delivery') }])
      ])
      const input = checked(SimulatedPaymentSchema, { paymentCode, payerAccountNo, payerAccountName, delivery })
      const result = await service.pay(input)
      return showBank(request, reply, { paid: { ...result, code: normalisePaymentCode(paymentCode), delivery: delivery! }, values: { delivery: 'normal' } })
    } catch (error) {
      return refused(request, reply, error, 'payment', { SIMULATED_BANK_REFUSED: 'simbank-code' }, keptValues(body))
    }
  })

  app.post('/simulated-bank/transfers', {
    config: { policy: 'finance.reconcile' },
    schema: { body: Type.Object({ toAccountNo: Typed, toAccountName: Typed, amount: Typed, memo: Typed }, { additionalProperties: false }) }
  }, async (request, reply) => {
    const body = request.body
    try {
      const { t } = pageContext(request)
      const toAccountNo = (body.toAccountNo ?? '').trim()
      const toAccountName = (body.toAccountName ?? '').trim()
      const memo = optional(body.memo)
      let amountFen: number | null = null
      try {
        amountFen = yuanToFen(body.amount)
      } catch {
        // beside the field below, with the other problems
      }
      assertNoProblems([
        ...accountProblems(request, toAccountNo, toAccountName, { accountNo: 'transfer-account', name: 'transfer-name' }, { accountNo: 'simbank.error.toAccountNo', name: 'simbank.error.toAccountName' }),
        ...(amountFen === null ? [{ field: 'transfer-amount', message: t('errors.AMOUNT_INVALID') }] : []),
        ...(memo && memo.length > NAME_MAX ? [{ field: 'transfer-memo', message: t('simbank.error.memo', { max: NAME_MAX }) }] : [])
      ])
      const input = checked(SimulatedTransferSchema, { toAccountNo, toAccountName, amountFen, ...(memo ? { memo } : {}) })
      const { txnId } = await service.transfer(input)
      return showBank(request, reply, { transferred: { txnId, amountFen: input.amountFen, toAccountName: input.toAccountName } })
    } catch (error) {
      return refused(request, reply, error, 'transfer', {}, keptValues(body))
    }
  })

  /** A form cannot put the day into the path: this hands over to the statement download. */
  app.get('/simulated-bank/statement', {
    config: { policy: 'finance.read' },
    schema: { querystring: Type.Object({ date: Typed }, { additionalProperties: false }) }
  }, async (request, reply) => {
    const date = (request.query.date ?? '').trim()
    try {
      // a bank has no statement of a day to come
      assertNoProblems(isIsoDate(date) && date <= app.calendar.today() ? [] : [{ field: 'statement-day', message: pageContext(request).t('simbank.error.date') }])
      return reply.redirect(`/api/simulated-bank/statements/${date}`)
    } catch (error) {
      return refused(request, reply, error, 'statement', {}, { date })
    }
  })
}
