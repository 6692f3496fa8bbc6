import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { problems } from '../../lib/http-schemas.ts'
import { BankBodyInvalid } from '../banks/banks.errors.ts'
import type { BanksService } from '../banks/banks.service.ts'
import {
  BankCodeParams, BankNoticeParams, BankNoticeSchema, BankPaymentResultSchema, BankPaymentSchema, CancelNoticeSchema, CodeParams,
  CreateNoticeSchema, NoticeListQuery, NoticeParams, NoticeSchema, NoticeSummarySchema, ReceiptCheckQuery, ReceiptCheckSchema, ReceiptParams, ReceiptSchema, ReceiptVerificationSchema,
  VerifyReceiptSchema, WindowPaymentSchema
} from './payments.schemas.ts'
import type { PaymentsService } from './payments.service.ts'

const PDF = { 200: Type.Unknown({ description: 'application/pdf' }) }

export const paymentsRoutes: FastifyPluginAsyncTypebox<{ service: PaymentsService, banks: BanksService }> = async (app, { service, banks }) => {
  const tags = ['payments']

  app.post('/payment-notices', {
    config: { policy: 'payments.issue' },
    schema: { tags, operationId: 'issuePaymentNotice', body: CreateNoticeSchema, response: { 201: NoticeSchema, ...problems(401, 403, 404, 422) } }
  }, async (request, reply) => reply.code(201).send(await service.createNotice(actorOf(request), request.body)))

  app.get('/payment-notices', {
    config: { policy: 'payments.read' },
    schema: { tags, operationId: 'listPaymentNotices', summary: 'Notices in the caller\'s scope, newest first', querystring: NoticeListQuery, response: { 200: Type.Array(NoticeSchema), ...problems(401, 403) } }
  }, async (request) => service.listNotices(actorOf(request), request.query))

  app.get('/payment-notices/mine', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'listMyPaymentNotices', summary: 'Notices addressed to the signed-in payer', response: { 200: Type.Array(NoticeSchema), ...problems(401) } }
  }, async (request) => service.listMine(actorOf(request)))

  app.get('/payment-notices/:noticeId', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'getPaymentNotice', params: NoticeParams, response: { 200: NoticeSchema, ...problems(401, 404) } }
  }, async (request) => service.getNotice(actorOf(request), request.params.noticeId))

  app.get('/payment-notices/:noticeId/pdf', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'getPaymentNoticePdf', params: NoticeParams, response: { ...PDF, ...problems(401, 404) } }
  }, async (request, reply) => {
    const pdf = await service.noticePdf(actorOf(request), request.params.noticeId)
    return reply.type('application/pdf').header('content-disposition', `inline; filename="payment-notice-${request.params.noticeId}.pdf"`).send(pdf)
  })

  app.post('/payment-notices/:noticeId/cancel', {
    config: { policy: 'payments.cancel' },
    schema: { tags, operationId: 'cancelPaymentNotice', params: NoticeParams, body: CancelNoticeSchema, response: { 200: NoticeSchema, ...problems(401, 403, 404, 409) } }
  }, async (request) => service.cancelNotice(actorOf(request), request.params.noticeId, request.body.reason))

  app.get('/payment-codes/:code', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'findNoticeByCode', summary: 'The cashier\'s lookup by payment code', params: CodeParams, response: { 200: NoticeSchema, ...problems(401, 404) } }
  }, async (request) => service.findByCode(actorOf(request), request.params.code))

  app.get('/payment-codes/:code/summary', {
    config: { policy: 'public', rateLimit: { max: 30, timeWindow: '1 minute' } },
    schema: { tags, operationId: 'summariseNoticeByCode', summary: 'What a payment code is for (amount, due time, state; not the payer)', params: CodeParams, response: { 200: NoticeSummarySchema, ...problems(404, 429) } }
  }, async (request) => service.summaryByCode(request.params.code))

  app.post('/window-payments', {
    config: { policy: 'payments.collect' },
    schema: {
      tags,
      operationId: 'collectAtWindow',
      summary: 'Records a payment taken at the bank window (amount confirmed against the notice)',
      body: WindowPaymentSchema,
      response: { 201: NoticeSchema, 200: NoticeSchema, ...problems(401, 403, 404, 409, 422) }
    }
  }, async (request, reply) => {
    const recorded = await service.collectAtWindow(actorOf(request), request.body)
    return reply.code(recorded.replay ? 200 : 201).send(recorded.notice)
  })

  app.get('/receipts/:number', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'getReceipt', summary: 'The electronic receipt: signed JSON and its CMS signature', params: ReceiptParams, response: { 200: ReceiptSchema, ...problems(401, 404) } }
  }, async (request) => service.getReceipt(actorOf(request), request.params.number))

  app.get('/receipts/:number/pdf', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'getReceiptPdf', params: ReceiptParams, response: { ...PDF, ...problems(401, 404) } }
  }, async (request, reply) => {
    const pdf = await service.receiptPdf(actorOf(request), request.params.number)
    return reply.type('application/pdf').header('content-disposition', `inline; filename="receipt-${request.params.number}.pdf"`).send(pdf)
  })

  app.get('/receipts/:number/check', {
    config: { policy: 'public', rateLimit: { max: 60, timeWindow: '1 minute' } },
    schema: { tags, operationId: 'checkPrintedReceipt', summary: 'Is a printed receipt genuine? (its number and the SHA-256 printed on it)', params: ReceiptParams, querystring: ReceiptCheckQuery, response: { 200: ReceiptCheckSchema, ...problems(429) } }
  }, async (request) => service.checkReceipt(request.params.number, request.query.sha256))

  app.post('/receipts/verify', {
    config: { policy: 'public' },
    schema: { tags, operationId: 'verifyReceipt', summary: 'Checks a receipt\'s signature (also possible offline with OpenSSL)', body: VerifyReceiptSchema, response: { 200: ReceiptVerificationSchema } }
  }, async (request) => service.verifyReceipt(request.body))

  // The bank interface: signed requests, no session (README "Bank interface").
  await app.register(async (scope) => {
    const bankApi = scope.withTypeProvider<TypeBoxTypeProvider>()
    const rawBodies = new WeakMap<FastifyRequest, Buffer>()
    bankApi.removeContentTypeParser('application/json')
    bankApi.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: 16 * 1024 }, (request, body, done) => {
      rawBodies.set(request, body as Buffer)
      try {
        done(null, JSON.parse((body as Buffer).toString('utf8')))
      } catch {
        done(new BankBodyInvalid(), undefined)
      }
    })
    // before validation, so an unsigned request learns nothing about the body it sent
    bankApi.addHook('preValidation', async (request) => {
      request.bank = await banks.authenticate({
        bankCode: (request.params as { bankCode: string }).bankCode,
        method: request.method,
        path: request.url,
        headers: request.headers,
        body: rawBodies.get(request) ?? Buffer.alloc(0)
      })
    })
    const bankOf = (request: FastifyRequest) => request.bank!
    const bankTags = ['bank interface']

    bankApi.get('/bank/:bankCode/notices/:code', {
      config: { policy: 'bank' },
      schema: { tags: bankTags, operationId: 'bankDescribeNotice', summary: 'What the payer owes under a code (signed bank request)', params: BankNoticeParams, response: { 200: BankNoticeSchema, ...problems(401, 404, 409) } }
    }, async (request) => service.describeForBank(bankOf(request), request.params.code))

    bankApi.post('/bank/:bankCode/payments', {
      config: { policy: 'bank' },
      schema: {
        tags: bankTags,
        operationId: 'bankPaymentCallback',
        summary: 'A payment the bank took (signed; idempotent by bank transaction id)',
        params: BankCodeParams,
        body: BankPaymentSchema,
        response: { 200: BankPaymentResultSchema, 201: BankPaymentResultSchema, ...problems(401, 404, 409, 422) }
      }
    }, async (request, reply) => {
      const recorded = await service.receiveBankPayment(bankOf(request), request.body)
      return reply.code(recorded.replay ? 200 : 201).send({
        status: recorded.replay ? 'already_recorded' : 'recorded',
        noticeCode: recorded.code,
        paymentId: recorded.paymentId,
        receiptNumber: recorded.receiptNumber
      })
    })
  })
}
