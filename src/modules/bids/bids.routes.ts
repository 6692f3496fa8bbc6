import type { MultipartFile } from '@fastify/multipart'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { Value } from 'typebox/value'
import { actorOf } from '../../lib/actor.ts'
import { readAtMost } from '../../lib/bytes.ts'
import { problems } from '../../lib/http-schemas.ts'
import { TenderParams } from '../tenders/tenders.schemas.ts'
import { BidPartMissing, IdempotencyKeyRequired } from './bids.errors.ts'
import { IDEMPOTENCY_KEY } from './bids.rules.ts'
import { BondSchema, GuaranteeFieldsSchema, IdempotencyHeaders, MySubmissionSchema, MySubmissionsQuery, SubmissionParams, SubmissionSchema, TenderBidSchema, type GuaranteeFields } from './bids.schemas.ts'
import type { BidsService, SubmitResult } from './bids.service.ts'

const MAX_SIGNATURE_BYTES = 256 * 1024

function idempotencyKeyOf (headers: { 'idempotency-key'?: string }): string {
  const key = headers['idempotency-key']
  if (!key || !IDEMPOTENCY_KEY.test(key)) throw new IdempotencyKeyRequired()
  return key
}

export const bidsRoutes: FastifyPluginAsyncTypebox<{ service: BidsService }> = async (app, { service }) => {
  const tags = ['bids']

  app.post('/tenders/:tenderId/bids', {
    config: { policy: 'tenders.participate' },
    schema: {
      tags,
      operationId: 'submitSealedBid',
      summary: 'Submit (or replace) a sealed bid; 201 with the signed receipt, 200 when the Idempotency-Key was seen before',
      description: 'multipart/form-data: `signature` (the .p7s over the package SHA-256, first) and `package` (the .ohsb), streamed with bounded memory. The deadline is judged when the upload completes.',
      params: TenderParams,
      headers: IdempotencyHeaders,
      consumes: ['multipart/form-data'],
      response: { 200: SubmissionSchema, 201: SubmissionSchema, ...problems(401, 402, 403, 404, 409, 413, 415, 422) }
    }
  }, async (request, reply) => {
    const idempotencyKey = idempotencyKeyOf(request.headers)
    let signature: Uint8Array | undefined
    let result: SubmitResult | undefined
    for await (const part of request.parts({ limits: { files: 2, fields: 0 } })) {
      if (part.type !== 'file') continue
      const file = part as MultipartFile
      if (file.fieldname === 'signature') {
        signature = await readAtMost(file.file, MAX_SIGNATURE_BYTES) ?? undefined
        if (!signature) throw new BidPartMissing('a signature of at most 256 KiB')
      } else if (file.fieldname === 'package') {
        if (!signature) throw new BidPartMissing('the signature part before the package')
        result = await service.submitBid(actorOf(request), { tenderId: request.params.tenderId, idempotencyKey, outerSignature: signature, bytes: file.file })
      } else {
        file.file.resume()
      }
    }
    if (!result) throw new BidPartMissing('a package part')
    return reply.code(result.replay ? 200 : 201).send(result.submission)
  })

  app.post('/tenders/:tenderId/bids/withdrawal', {
    config: { policy: 'tenders.participate' },
    schema: { tags, operationId: 'withdrawBid', summary: 'Withdraw before the deadline (a signed withdrawal receipt)', params: TenderParams, headers: IdempotencyHeaders, response: { 200: SubmissionSchema, 201: SubmissionSchema, ...problems(401, 402, 403, 404, 409) } }
  }, async (request, reply) => {
    const result = await service.withdraw(actorOf(request), { tenderId: request.params.tenderId, idempotencyKey: idempotencyKeyOf(request.headers) })
    return reply.code(result.replay ? 200 : 201).send(result.submission)
  })

  app.get('/tenders/:tenderId/bids/mine', {
    config: { policy: 'tenders.participate' },
    schema: { tags, operationId: 'mySubmissions', summary: 'The caller\'s own submissions, every version, with receipts', params: TenderParams, response: { 200: Type.Array(SubmissionSchema), ...problems(401, 403, 404) } }
  }, async (request) => service.mySubmissions(actorOf(request), request.params.tenderId))

  app.get('/bid-submissions', {
    config: { policy: 'tenders.participate' },
    schema: { tags, operationId: 'listMySubmissions', summary: 'The caller\'s own submissions in every tender, newest first (receipts: getSubmission)', querystring: MySubmissionsQuery, response: { 200: Type.Array(MySubmissionSchema), ...problems(401, 403) } }
  }, async (request) => service.listMySubmissions(actorOf(request), request.query))

  app.get('/bid-submissions/:submissionId', {
    config: { policy: 'tenders.participate' },
    schema: { tags, operationId: 'getSubmission', params: SubmissionParams, response: { 200: SubmissionSchema, ...problems(401, 403, 404) } }
  }, async (request) => service.getSubmission(actorOf(request), request.params.submissionId))

  app.get('/tenders/:tenderId/bids', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'listTenderBids', summary: 'After the deadline only: each bidder\'s counting submission and bond status', params: TenderParams, response: { 200: Type.Array(TenderBidSchema), ...problems(401, 404, 409) } }
  }, async (request) => service.tenderBids(actorOf(request), request.params.tenderId))

  app.get('/tenders/:tenderId/bond', {
    config: { policy: 'tenders.participate' },
    schema: { tags, operationId: 'myBond', params: TenderParams, response: { 200: BondSchema, ...problems(401, 402, 403, 404, 409) } }
  }, async (request) => service.myBond(actorOf(request), request.params.tenderId))

  app.post('/tenders/:tenderId/bond/notice', {
    config: { policy: 'tenders.participate' },
    schema: { tags, operationId: 'requestBondNotice', summary: 'Issue (or return) the bid bond payment notice', params: TenderParams, response: { 200: BondSchema, ...problems(401, 402, 403, 404, 409) } }
  }, async (request) => service.requestBondNotice(actorOf(request), request.params.tenderId))

  app.post('/tenders/:tenderId/bond/guarantee', {
    config: { policy: 'tenders.participate' },
    schema: {
      tags,
      operationId: 'recordBondGuarantee',
      summary: 'Give the bond as a bank guarantee letter',
      description: 'multipart/form-data: fields `issuer`, `letterNumber`, `amountFen`, `validUntil`, then the scan in `file`.',
      params: TenderParams,
      consumes: ['multipart/form-data'],
      response: { 200: BondSchema, ...problems(401, 402, 403, 404, 409, 413) }
    }
  }, async (request) => {
    const raw: Record<string, unknown> = {}
    let bond: Awaited<ReturnType<BidsService['recordGuarantee']>> | undefined
    for await (const part of request.parts({ limits: { files: 1, fields: 6, fieldSize: 1024 } })) {
      if (part.type === 'field') {
        raw[part.fieldname] = part.fieldname === 'amountFen' ? Number(part.value) : String(part.value)
        continue
      }
      const file = part as MultipartFile
      try {
        if (!Value.Check(GuaranteeFieldsSchema, raw)) throw new BidPartMissing('fields issuer, letterNumber, amountFen and validUntil before the file')
        bond = await service.recordGuarantee(actorOf(request), request.params.tenderId, raw as GuaranteeFields, { name: file.filename, stream: file.file })
      } catch (error) {
        // a scan left unread holds back the rest of the body, and with it the answer
        file.file.resume()
        throw error
      }
    }
    if (!bond) throw new BidPartMissing('the scan of the letter in a part named "file"')
    return bond
  })
}
