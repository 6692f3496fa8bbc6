/** Certificates for everyone who signs (bidders, experts, officials); trusted CAs for the administrator. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { isClientError } from '../../lib/errors.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { canAccess } from '../../lib/policy.ts'
import { optional } from '../forms.ts'
import { messageFor, pageContext, renderPage } from '../render.ts'

export const pkiPages: FastifyPluginAsyncTypebox = async (app) => {
  const { pki, accounts, departments } = app.services

  async function showCertificates (request: FastifyRequest, reply: FastifyReply, extra: { error?: string, issuedPem?: string } = {}) {
    const actor = actorOf(request)
    const account = await accounts.getAccount(actor.principal.accountId)
    return renderPage(request, reply, 'certificates', {
      titleKey: 'certificates.title',
      certificates: await pki.listCertificates(actor),
      accountKind: account.kind,
      sealDepartments: (await departments.listDepartments()).filter((department) => canAccess(actor.principal, 'certificates.seal', { departmentId: department.id })),
      ...extra
    })
  }

  async function orShowError (request: FastifyRequest, reply: FastifyReply, error: unknown, show: (message: string) => Promise<unknown>) {
    if (!isClientError(error)) throw error
    reply.code(error.statusCode)
    return show(messageFor(request, error))
  }

  app.get('/account/certificates', { config: { policy: 'authenticated' } }, async (request, reply) => showCertificates(request, reply))

  app.post('/account/certificates', {
    config: { policy: 'authenticated' },
    schema: { body: StrictObject({ csr: Type.String({ maxLength: 65_536 }), profile: Type.Enum(['person', 'organisation', 'seal']), departmentId: Type.Optional(Type.String({ maxLength: 36 })) }) }
  }, async (request, reply) => {
    try {
      const departmentId = optional(request.body.departmentId)
      const issued = await pki.requestCertificate(actorOf(request), { csr: request.body.csr, profile: request.body.profile, ...(departmentId ? { departmentId } : {}) })
      return showCertificates(request, reply, { issuedPem: issued.certificatePem })
    } catch (error) {
      return orShowError(request, reply, error, (message) => showCertificates(request, reply, { error: message }))
    }
  })

  app.post('/account/certificates/:certificateId/revoke', {
    config: { policy: 'authenticated' },
    schema: { params: StrictObject({ certificateId: Uuid }) }
  }, async (request, reply) => {
    await pki.revokeCertificate(actorOf(request), request.params.certificateId, 'unspecified')
    return reply.redirect('/account/certificates')
  })

  async function showTrust (request: FastifyRequest, reply: FastifyReply, extra: { error?: string, message?: string } = {}) {
    return renderPage(request, reply, 'admin/trust', { titleKey: 'trust.title', authorities: await pki.listTrustedAuthorities(), ...extra })
  }

  app.get('/admin/trust', { config: { policy: 'trust.manage' } }, async (request, reply) => showTrust(request, reply))

  app.post('/admin/trust', {
    config: { policy: 'trust.manage' },
    schema: { body: StrictObject({ certificate: Type.String({ maxLength: 65_536 }), role: Type.Enum(['root', 'intermediate']) }) }
  }, async (request, reply) => {
    try {
      await pki.addTrustedAuthority(actorOf(request), request.body)
      return reply.redirect('/admin/trust')
    } catch (error) {
      return orShowError(request, reply, error, (message) => showTrust(request, reply, { error: message }))
    }
  })

  app.post('/admin/trust/crl', {
    config: { policy: 'trust.manage' },
    schema: { body: StrictObject({ crl: Type.String({ maxLength: 10_000_000 }) }) }
  }, async (request, reply) => {
    try {
      const imported = await pki.importRevocationList(actorOf(request), request.body.crl.trim())
      return showTrust(request, reply, { message: pageContext(request).t('trust.imported', { count: imported.revokedCount }) })
    } catch (error) {
      return orShowError(request, reply, error, (message) => showTrust(request, reply, { error: message }))
    }
  })

  app.post('/admin/trust/:fingerprint/remove', {
    config: { policy: 'trust.manage' },
    schema: { params: StrictObject({ fingerprint: Type.String({ pattern: '^[0-9a-f]{64}$' }) }) }
  }, async (request, reply) => {
    await pki.deactivateTrustedAuthority(actorOf(request), request.params.fingerprint)
    return reply.redirect('/admin/trust')
  })
}
