/**
 * Certificates for everyone who signs (bidders, experts, officials); trusted CAs for the
 * administrator. Each form checks again what the browser checks, so a refused form shows each
 * problem beside its field with what was pasted kept (form-problems.ts). Revoking one's
 * certificate and no longer trusting a CA cannot be taken back as they were: each first says
 * what will happen and asks once more (confirm.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { canAccess } from '../../lib/policy.ts'
import { AuthorityNotFound, CertificateNotFound } from '../../modules/pki/pki.errors.ts'
import { ConfirmField, isConfirmed, showConfirmation } from '../confirm.ts'
import { assertNoProblems, formErrors, keptValues, refusalProblems, type FormErrors, type FormProblem } from '../form-problems.ts'
import { optional } from '../forms.ts'
import { pageContext, renderPage } from '../render.ts'

const PEM_MAX = 65_536
const CRL_MAX = 10_000_000
/** Whatever may be pasted into a field whose browser check was bypassed; the page checks the real limit. */
const Pasted = Type.Optional(Type.String({ maxLength: 4 * PEM_MAX }))
const Typed = Type.Optional(Type.String({ maxLength: 2000 }))

/** An intermediate that does not chain to a trusted root, an expired CA: the certificate pasted is at fault. */
const CA_FIELD: Record<string, string> = Object.fromEntries([
  'PEM_INVALID', 'NOT_A_CERTIFICATE_AUTHORITY', 'CERTIFICATE_UNTRUSTED', 'CERTIFICATE_EXPIRED', 'CERTIFICATE_NOT_YET_VALID', 'CERTIFICATE_REVOKED', 'CERTIFICATE_INVALID'
].map((code) => [code, 'certificate']))

type PageExtra = Partial<FormErrors> & { values?: Record<string, string | string[]> }

export const pkiPages: FastifyPluginAsyncTypebox = async (app) => {
  const { pki, accounts, departments } = app.services

  // one's own certificates ---------------------------------------------------------------------

  async function certificateChoices (request: FastifyRequest) {
    const actor = actorOf(request)
    const account = await accounts.getAccount(actor.principal.accountId)
    const sealDepartments = (await departments.listDepartments()).filter((department) => canAccess(actor.principal, 'certificates.seal', { departmentId: department.id }))
    return { accountKind: account.kind, sealDepartments }
  }

  async function showCertificates (request: FastifyRequest, reply: FastifyReply, extra: PageExtra & { issuedPem?: string } = {}) {
    return renderPage(request, reply, 'certificates', {
      titleKey: 'certificates.title',
      certificates: await pki.listCertificates(actorOf(request)),
      ...await certificateChoices(request),
      values: {},
      ...extra
    })
  }

  app.get('/account/certificates', { config: { policy: 'authenticated' } }, async (request, reply) => showCertificates(request, reply))

  app.post('/account/certificates', {
    config: { policy: 'authenticated' },
    schema: { body: StrictObject({ csr: Pasted, profile: Typed, departmentId: Typed }) }
  }, async (request, reply) => {
    try {
      const { t } = pageContext(request)
      const { accountKind, sealDepartments } = await certificateChoices(request)
      const csr = (request.body.csr ?? '').trim()
      const profile = [accountKind, ...(sealDepartments.length > 0 ? ['seal' as const] : [])].find((one) => one === request.body.profile)
      const departmentId = optional(request.body.departmentId)
      const problems: FormProblem[] = [
        ...(csr && csr.length <= PEM_MAX ? [] : [{ field: 'csr', message: t(csr ? 'certificates.error.csrLong' : 'certificates.error.csr', { max: PEM_MAX }) }]),
        ...(profile ? [] : [{ field: 'profile', message: t('certificates.error.profile') }]),
        ...(profile === 'seal' && !sealDepartments.some((department) => department.id === departmentId) ? [{ field: 'departmentId', message: t('certificates.error.department') }] : [])
      ]
      assertNoProblems(problems)
      const issued = await pki.requestCertificate(actorOf(request), { csr, profile: profile!, ...(profile === 'seal' ? { departmentId } : {}) })
      return showCertificates(request, reply, { issuedPem: issued.certificatePem })
    } catch (error) {
      const problems = refusalProblems(request, error, { PEM_INVALID: 'csr', CSR_INVALID: 'csr', CERTIFICATE_PROFILE_MISMATCH: 'profile', DEPARTMENT_NOT_FOUND: 'departmentId' }, 'certificates.errors.')
      reply.code((error as { statusCode: number }).statusCode)
      return showCertificates(request, reply, { ...formErrors(problems, 'request'), values: keptValues(request.body) })
    }
  })

  app.post('/account/certificates/:certificateId/revoke', {
    config: { policy: 'authenticated' },
    schema: { params: StrictObject({ certificateId: Uuid }), body: StrictObject(ConfirmField) }
  }, async (request, reply) => {
    const { certificateId } = request.params
    try {
      if (!isConfirmed(request.body)) {
        const { t, time } = pageContext(request)
        const certificate = (await pki.listCertificates(actorOf(request))).find((one) => one.id === certificateId && one.revokedAt === null)
        if (!certificate) throw new CertificateNotFound(certificateId)
        return showConfirmation(request, reply, {
          title: t('certificates.confirm.title'),
          facts: [
            [t('certificates.subject'), certificate.subject],
            [t('certificates.profile'), t(`certificates.profile.${certificate.profile}`)],
            [t('certificates.serial'), certificate.serialHex],
            [t('certificates.validity'), `${time(certificate.notBefore)} – ${time(certificate.notAfter)}`]
          ],
          consequences: [t('certificates.confirm.effect'), t('certificates.confirm.after')],
          action: `/account/certificates/${certificateId}/revoke`,
          fields: {},
          confirmLabel: t('certificates.confirm.button'),
          backHref: '/account/certificates',
          destructive: true
        })
      }
      await pki.revokeCertificate(actorOf(request), certificateId, 'unspecified')
      return reply.redirect('/account/certificates')
    } catch (error) {
      const problems = refusalProblems(request, error, {}, 'certificates.errors.')
      reply.code((error as { statusCode: number }).statusCode)
      return showCertificates(request, reply, formErrors(problems))
    }
  })

  // the CAs the hall trusts --------------------------------------------------------------------

  async function showTrust (request: FastifyRequest, reply: FastifyReply, extra: PageExtra & { message?: string } = {}) {
    return renderPage(request, reply, 'admin/trust', { titleKey: 'trust.title', authorities: await pki.listTrustedAuthorities(), values: {}, ...extra })
  }

  /** Shows the CAs again with the refused form's problems beside its fields. */
  async function refusedTrust (request: FastifyRequest, reply: FastifyReply, error: unknown, form: 'trust-add' | 'trust-crl' | null, fieldOf: Record<string, string>) {
    const problems = refusalProblems(request, error, fieldOf, 'trust.errors.')
    reply.code((error as { statusCode: number }).statusCode)
    return showTrust(request, reply, { ...formErrors(problems, form ?? undefined), values: form ? keptValues(request.body) : {} })
  }

  app.get('/admin/trust', { config: { policy: 'trust.manage' } }, async (request, reply) => showTrust(request, reply))

  app.post('/admin/trust', {
    config: { policy: 'trust.manage' },
    schema: { body: StrictObject({ certificate: Pasted, role: Typed }) }
  }, async (request, reply) => {
    try {
      const { t } = pageContext(request)
      const certificate = (request.body.certificate ?? '').trim()
      const role = (['root', 'intermediate'] as const).find((one) => one === request.body.role)
      assertNoProblems([
        ...(certificate && certificate.length <= PEM_MAX ? [] : [{ field: 'certificate', message: t(certificate ? 'trust.error.certificateLong' : 'trust.error.certificate', { max: PEM_MAX }) }]),
        ...(role ? [] : [{ field: 'role', message: t('trust.error.role') }])
      ])
      await pki.addTrustedAuthority(actorOf(request), { certificate, role: role! })
      return reply.redirect('/admin/trust')
    } catch (error) {
      return refusedTrust(request, reply, error, 'trust-add', CA_FIELD)
    }
  })

  app.post('/admin/trust/crl', {
    config: { policy: 'trust.manage' },
    schema: { body: StrictObject({ crl: Type.Optional(Type.String({ maxLength: CRL_MAX })) }) }
  }, async (request, reply) => {
    try {
      const crl = (request.body.crl ?? '').trim()
      assertNoProblems(crl ? [] : [{ field: 'crl', message: pageContext(request).t('trust.error.crl') }])
      const imported = await pki.importRevocationList(actorOf(request), crl)
      return showTrust(request, reply, { message: pageContext(request).t('trust.imported', { count: imported.revokedCount }) })
    } catch (error) {
      return refusedTrust(request, reply, error, 'trust-crl', { CRL_INVALID: 'crl', PEM_INVALID: 'crl' })
    }
  })

  app.post('/admin/trust/:fingerprint/remove', {
    config: { policy: 'trust.manage' },
    schema: { params: StrictObject({ fingerprint: Type.String({ pattern: '^[0-9a-f]{64}$' }) }), body: StrictObject(ConfirmField) }
  }, async (request, reply) => {
    const { fingerprint } = request.params
    try {
      if (!isConfirmed(request.body)) {
        const { t, time } = pageContext(request)
        const authority = (await pki.listTrustedAuthorities()).find((one) => one.fingerprint === fingerprint && one.active)
        if (!authority) throw new AuthorityNotFound(fingerprint)
        return showConfirmation(request, reply, {
          title: t('trust.confirm.title'),
          facts: [
            [t('certificates.subject'), authority.subject],
            [t('trust.role'), t(`trust.role.${authority.role}`)],
            [t('trust.fingerprint'), authority.fingerprint],
            [t('certificates.validity'), time(authority.notAfter)]
          ],
          consequences: [t('trust.confirm.effect', { subject: authority.subject }), t('trust.confirm.undo')],
          action: `/admin/trust/${fingerprint}/remove`,
          fields: {},
          confirmLabel: t('trust.confirm.button'),
          backHref: '/admin/trust',
          destructive: true
        })
      }
      await pki.deactivateTrustedAuthority(actorOf(request), fingerprint)
      return reply.redirect('/admin/trust')
    } catch (error) {
      return refusedTrust(request, reply, error, null, {})
    }
  })
}
