import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { problems } from '../../lib/http-schemas.ts'
import {
  AnswerInput, BidParams, ConfirmationInputSchema, DrawInput, ObjectionParams, OpeningBidSchema, OpeningParams, OpeningSchema, PauseInput, PresenceSchema, RecordFileParams,
  RemedyInput, ResumeInput, RevealInputSchema, VideoInput
} from './openings.schemas.ts'
import type { OpeningsService } from './openings.service.ts'

export const openingsRoutes: FastifyPluginAsyncTypebox<{ service: OpeningsService }> = async (app, { service }) => {
  const tags = ['openings']
  const answers = { 200: OpeningSchema, ...problems(400, 401, 403, 404, 409, 422) }

  app.get('/openings/:tenderId', {
    config: { policy: 'public' },
    schema: {
      tags,
      operationId: 'getOpening',
      params: OpeningParams,
      response: { 200: OpeningSchema, ...problems(404) },
      summary: 'The opening as the caller may see it (server time included, for the countdown); live events: room `opening:<tenderId>`'
    }
  }, async (request) => service.getOpening(request.principal, request.params.tenderId))

  app.post('/openings/:tenderId/sign-in', {
    config: { policy: 'openings.attend' },
    schema: { tags, operationId: 'signInToOpening', summary: 'Sign in as host, supervisor or bidder (bidders: certificate sign-in); from 30 minutes before the deadline', params: OpeningParams, response: answers }
  }, async (request) => service.signIn(actorOf(request), request.params.tenderId))

  app.post('/openings/:tenderId/coefficient', {
    config: { policy: 'openings.draw' },
    schema: { tags, operationId: 'drawCoefficient', summary: 'Supervisor (the host once the nonce deadline has passed): give the nonce that draws K (commit-reveal; `npm run verify-draw` re-computes it)', params: OpeningParams, body: DrawInput, response: answers }
  }, async (request) => service.drawK(actorOf(request), request.params.tenderId, request.body.nonce))

  app.post('/openings/:tenderId/reveals', {
    config: { policy: 'openings.reveal' },
    schema: {
      tags,
      operationId: 'revealBidKey',
      params: OpeningParams,
      body: RevealInputSchema,
      response: { 200: OpeningBidSchema, ...problems(400, 401, 403, 404, 409, 422) },
      summary: 'Bidder, in the decryption window: reveal the content key and nonce of your bid; the platform decrypts and verifies it'
    }
  }, async (request) => service.reveal(actorOf(request), request.params.tenderId, request.body))

  app.get('/openings/:tenderId/bids/:submissionId/package', {
    config: { policy: 'openings.reveal' },
    schema: {
      tags,
      operationId: 'downloadOwnSealedBid',
      params: BidParams,
      produces: ['application/octet-stream'],
      response: { 200: Type.Unknown(), ...problems(401, 403, 404) },
      summary: 'Bidder (certificate session), after the deadline: your own sealed package as anchored, ciphertext only, to open its key envelope with your private key on your machine; another bidder\'s is 404',
      description: 'The `x-content-sha256` header carries the SHA-256 anchored at submission (the receipt\'s).'
    }
  }, async (request, reply) => {
    const found = await service.ownPackage(actorOf(request), request.params.tenderId, request.params.submissionId)
    if (found.size !== null) reply.header('content-length', found.size)
    return reply.type('application/octet-stream').header('x-content-sha256', found.sha256).header('cache-control', 'no-store')
      .header('content-disposition', 'attachment; filename="bid.ohsb"').send(found.stream)
  })

  app.post('/openings/:tenderId/remedy', {
    config: { policy: 'openings.host' },
    schema: { tags, operationId: 'applyOpeningRemedy', summary: 'Host, after the window: open bids whose key is missing with the escrow quorum, or record them as failed', params: OpeningParams, body: RemedyInput, response: answers }
  }, async (request) => service.remedy(actorOf(request), request.params.tenderId, request.body))

  app.post('/openings/:tenderId/confirmation', {
    config: { policy: 'openings.reveal' },
    schema: { tags, operationId: 'confirmOpeningRecord', summary: 'Bidder: confirm the published record or object to it, before the confirmation deadline', params: OpeningParams, body: ConfirmationInputSchema, response: answers }
  }, async (request) => service.confirm(actorOf(request), request.params.tenderId, request.body))

  app.post('/openings/:tenderId/objections/:objectionId/answer', {
    config: { policy: 'openings.host' },
    schema: { tags, operationId: 'answerOpeningObjection', summary: 'Host: answer an objection on the spot', params: ObjectionParams, body: AnswerInput, response: answers }
  }, async (request) => service.answerObjection(actorOf(request), request.params.tenderId, request.params.objectionId, request.body.answer))

  app.post('/openings/:tenderId/pause', {
    config: { policy: 'openings.host' },
    schema: { tags, operationId: 'pauseOpening', params: OpeningParams, body: PauseInput, response: answers }
  }, async (request) => service.pause(actorOf(request), request.params.tenderId, request.body.reason))

  app.post('/openings/:tenderId/resume', {
    config: { policy: 'openings.host' },
    schema: { tags, operationId: 'resumeOpening', summary: 'Resume; the window or confirmation period is extended by the paused time', params: OpeningParams, body: ResumeInput, response: answers }
  }, async (request) => service.resume(actorOf(request), request.params.tenderId, request.body.reason))

  app.put('/openings/:tenderId/video', {
    config: { policy: 'openings.video' },
    schema: { tags, operationId: 'setOpeningVideo', summary: 'The live video stream of the hall camera, shown to supervisors', params: OpeningParams, body: VideoInput, response: answers }
  }, async (request) => service.setVideo(actorOf(request), request.params.tenderId, request.body.url))

  app.get('/openings/:tenderId/presence', {
    config: { policy: 'openings.supervise' },
    schema: { tags, operationId: 'openingPresence', summary: 'Supervisors: who is connected to the room now (any instance)', params: OpeningParams, response: { 200: PresenceSchema, ...problems(401, 403, 404) } }
  }, async (request) => service.presence(actorOf(request), request.params.tenderId))

  app.get('/openings/:tenderId/record/:kind', {
    config: { policy: 'public' },
    schema: {
      tags,
      operationId: 'getOpeningRecordFile',
      params: RecordFileParams,
      produces: ['application/json', 'application/pkcs7-signature', 'application/pdf'],
      summary: 'The published opening record: canonical JSON, its CMS signature (attached; `openssl cms -verify`), or the PDF',
      response: { 200: Type.Unknown(), ...problems(404) }
    }
  }, async (request, reply) => {
    const file = await service.recordFile(request.principal, request.params.tenderId, request.params.kind)
    return reply.type(file.contentType).header('content-length', file.size).header('content-disposition', `inline; filename="${file.fileName}"`).send(file.stream)
  })
}
