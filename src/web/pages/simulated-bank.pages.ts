/**
 * The simulated bank's "online banking" (demo and tests; registered only with SIMULATED_BANK=true):
 * anyone pays a payment code, choosing how the bank tells the hall (once, repeatedly, or not at
 * all, which reconciliation then finds); the finance desk sends transfers and downloads the
 * bank's statement of a day.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { mayAttempt } from '../../lib/policy.ts'
import { isIsoDate } from '../../lib/working-days.ts'
import type { SimulatedBankService } from '../../modules/simulated-bank/simulated-bank.service.ts'
import { SimulatedPaymentSchema, SimulatedTransferSchema, type SimulatedPaymentResult } from '../../modules/simulated-bank/simulated-bank.schemas.ts'
import { feeViewHelpers, yuanToFen } from '../fee-format.ts'
import { checked, FormInvalid, optional } from '../forms.ts'
import { renderPage } from '../render.ts'
import { orShowError, type ShownError } from './page-errors.ts'

const FormText = (maxLength: number) => Type.Optional(Type.String({ maxLength }))

export const simulatedBankPages: FastifyPluginAsyncTypebox<{ service: SimulatedBankService }> = async (app, { service }) => {
  interface BankState extends Partial<ShownError> {
    values?: Record<string, string>
    paid?: SimulatedPaymentResult & { code: string, delivery: string }
    transferred?: { txnId: string, amountFen: number, toAccountName: string }
    transferError?: ShownError
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

  app.get('/simulated-bank', {
    config: { policy: 'public' },
    schema: { querystring: Type.Object({ code: FormText(60) }, { additionalProperties: false }) }
  }, async (request, reply) => showBank(request, reply, { values: { delivery: 'normal', paymentCode: optional(request.query.code) ?? '' } }))

  app.post('/simulated-bank/payments', {
    config: { policy: 'public', rateLimit: { max: 120, timeWindow: '1 minute' } },
    schema: {
      body: Type.Object({
        paymentCode: Type.String({ maxLength: 60 }),
        payerAccountNo: Type.String({ maxLength: 40 }),
        payerAccountName: Type.String({ maxLength: 200 }),
        delivery: Type.String({ maxLength: 10 })
      }, { additionalProperties: false })
    }
  }, async (request, reply) => {
    const body = request.body
    try {
      const input = checked(SimulatedPaymentSchema, {
        paymentCode: body.paymentCode.trim(), payerAccountNo: body.payerAccountNo.trim(), payerAccountName: body.payerAccountName.trim(), delivery: body.delivery
      })
      const result = await service.pay(input)
      return showBank(request, reply, { paid: { ...result, code: input.paymentCode.replace(/\D/g, ''), delivery: input.delivery ?? 'normal' }, values: { delivery: 'normal' } })
    } catch (error) {
      return orShowError(request, reply, error, (shown) => showBank(request, reply, { ...shown, values: body }))
    }
  })

  app.post('/simulated-bank/transfers', {
    config: { policy: 'finance.reconcile' },
    schema: {
      body: Type.Object({
        toAccountNo: Type.String({ maxLength: 40 }),
        toAccountName: Type.String({ maxLength: 200 }),
        amount: Type.String({ maxLength: 24 }),
        memo: FormText(200)
      }, { additionalProperties: false })
    }
  }, async (request, reply) => {
    const body = request.body
    try {
      const memo = optional(body.memo)
      const input = checked(SimulatedTransferSchema, {
        toAccountNo: body.toAccountNo.trim(), toAccountName: body.toAccountName.trim(), amountFen: yuanToFen(body.amount), ...(memo ? { memo } : {})
      })
      const { txnId } = await service.transfer(input)
      return showBank(request, reply, { transferred: { txnId, amountFen: input.amountFen, toAccountName: input.toAccountName } })
    } catch (error) {
      return orShowError(request, reply, error, (shown) => showBank(request, reply, { transferError: shown, values: { delivery: 'normal', ...body } }))
    }
  })

  /** A form cannot put the day into the path: this hands over to the statement download. */
  app.get('/simulated-bank/statement', {
    config: { policy: 'finance.read' },
    schema: { querystring: Type.Object({ date: Type.String({ maxLength: 10 }) }, { additionalProperties: false }) }
  }, async (request, reply) => {
    if (!isIsoDate(request.query.date)) throw new FormInvalid()
    return reply.redirect(`/api/simulated-bank/statements/${request.query.date}`)
  })
}
