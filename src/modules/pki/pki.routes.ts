import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { problems } from '../../lib/http-schemas.ts'
import {
  AddAuthoritySchema, AuthorityParams, AuthoritySchema, CaInfoSchema, CertificateListQuery, CertificateParams, CertificateSchema,
  ChallengeSchema, ImportCrlSchema, RequestCertificateSchema, RevocationListSchema, RevokeCertificateSchema, SignedChallengeSchema,
  VerificationSchema, VerifySignatureSchema
} from './pki.schemas.ts'
import type { PkiService } from './pki.service.ts'

export const pkiRoutes: FastifyPluginAsyncTypebox<{ service: PkiService }> = async (app, { service }) => {
  const tags = ['pki']

  app.get('/pki/ca', {
    config: { policy: 'public' },
    schema: { tags, operationId: 'getCertificateAuthority', summary: 'The platform root, issuing CA and signer certificates', security: [], response: { 200: CaInfoSchema } }
  }, async () => service.caInfo())

  app.get('/pki/ca/root.pem', {
    config: { policy: 'public' },
    schema: { tags, operationId: 'getRootCertificatePem', summary: 'The platform root as a PEM file (for openssl -CAfile)', security: [], response: { 200: Type.String() } }
  }, async (_request, reply) => reply.type('application/x-pem-file').header('content-disposition', 'attachment; filename="openhall-root.pem"').send((await service.caInfo()).root))

  app.get('/pki/crl', {
    config: { policy: 'public' },
    schema: { tags, operationId: 'getRevocationList', summary: 'The platform CRL (DER, application/pkix-crl)', security: [], response: { 200: Type.Unknown() } }
  }, async (_request, reply) => reply.type('application/pkix-crl').header('cache-control', 'public, max-age=300').send(Buffer.from(await service.crl())))

  app.post('/pki/certificates', {
    config: { policy: 'authenticated' },
    schema: {
      tags,
      operationId: 'requestCertificate',
      summary: 'Certify the key in a CSR for the signed-in account (the private key never leaves you)',
      body: RequestCertificateSchema,
      response: { 201: CertificateSchema, ...problems(401, 404) }
    }
  }, async (request, reply) => reply.code(201).send(await service.requestCertificate(actorOf(request), request.body)))

  app.get('/pki/certificates', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'listCertificates', querystring: CertificateListQuery, response: { 200: Type.Array(CertificateSchema), ...problems(401) } }
  }, async (request) => service.listCertificates(actorOf(request), request.query.accountId))

  app.get('/pki/certificates/:certificateId', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'getCertificate', params: CertificateParams, response: { 200: CertificateSchema, ...problems(401, 404) } }
  }, async (request) => service.getCertificate(actorOf(request), request.params.certificateId))

  app.post('/pki/certificates/:certificateId/revoke', {
    config: { policy: 'authenticated' },
    schema: { tags, operationId: 'revokeCertificate', params: CertificateParams, body: RevokeCertificateSchema, response: { 200: CertificateSchema, ...problems(401, 404, 409) } }
  }, async (request) => service.revokeCertificate(actorOf(request), request.params.certificateId, request.body.reason))

  app.post('/pki/certificates/register', {
    config: { policy: 'authenticated' },
    schema: {
      tags,
      operationId: 'registerCertificate',
      summary: 'Link a certificate of a trusted external CA to the signed-in account (sign a challenge with it)',
      body: SignedChallengeSchema,
      response: { 201: CertificateSchema, ...problems(401, 409, 422) }
    }
  }, async (request, reply) => reply.code(201).send(await service.registerExternalCertificate(actorOf(request), request.body)))

  app.post('/pki/challenges', {
    config: { policy: 'public', rateLimit: { max: 60, timeWindow: '1 minute' } },
    schema: { tags, operationId: 'createChallenge', summary: 'A single-use challenge to sign (certificate sign-in, registration)', security: [], response: { 201: ChallengeSchema, ...problems(429) } }
  }, async (_request, reply) => reply.code(201).send(await service.createChallenge()))

  app.post('/pki/verify', {
    config: { policy: 'public' },
    schema: {
      tags,
      operationId: 'verifySignature',
      summary: 'Check any CMS signature against the hall\'s trust (receipts, records, bids)',
      security: [],
      body: VerifySignatureSchema,
      response: { 200: VerificationSchema, ...problems() }
    }
  }, async (request) => service.verify(request.body))

  app.get('/pki/authorities', {
    config: { policy: 'trust.manage' },
    schema: { tags, operationId: 'listTrustedAuthorities', response: { 200: Type.Array(AuthoritySchema), ...problems(401, 403) } }
  }, async () => (await service.listTrustedAuthorities()).map((row) => ({
    fingerprint: row.fingerprint, role: row.role, subject: row.subject, notAfter: row.notAfter.toISOString(), addedAt: row.addedAt.toISOString(), active: row.active
  })))

  app.post('/pki/authorities', {
    config: { policy: 'trust.manage' },
    schema: { tags, operationId: 'addTrustedAuthority', summary: 'Trust a commercial CA (root, or intermediate under a trusted root)', body: AddAuthoritySchema, response: { 201: AuthoritySchema, ...problems(401, 403, 422) } }
  }, async (request, reply) => {
    const row = await service.addTrustedAuthority(actorOf(request), request.body)
    return reply.code(201).send({ fingerprint: row.fingerprint, role: row.role, subject: row.subject, notAfter: row.notAfter.toISOString(), addedAt: row.addedAt.toISOString(), active: row.active })
  })

  app.delete('/pki/authorities/:fingerprint', {
    config: { policy: 'trust.manage' },
    schema: { tags, operationId: 'removeTrustedAuthority', params: AuthorityParams, response: { 204: Type.Null(), ...problems(401, 403, 404) } }
  }, async (request, reply) => {
    await service.deactivateTrustedAuthority(actorOf(request), request.params.fingerprint)
    return reply.code(204).send(null)
  })

  app.post('/pki/revocation-lists', {
    config: { policy: 'trust.manage' },
    schema: { tags, operationId: 'importRevocationList', summary: 'Import the CRL of a trusted external CA', body: ImportCrlSchema, response: { 201: RevocationListSchema, ...problems(401, 403) } }
  }, async (request, reply) => reply.code(201).send(await service.importRevocationList(actorOf(request), request.body.crl)))
}
