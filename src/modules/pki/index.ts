/**
 * PKI: certificates for accounts (issued from CSRs by the platform CA, or registered from trusted
 * commercial CAs), revocation and the CRL, the hall's trust in external CAs, signature
 * verification for anyone, sign-in challenges and platform receipts. Certificate states:
 * valid → revoked (or expired). Cryptography: src/plugins/pki.ts, src/lib/pki, src/lib/cms.
 */
import type { FastifyPluginAsync } from 'fastify'
import { pkiRoutes } from './pki.routes.ts'
import { createPkiService, type PkiService } from './pki.service.ts'

declare module '../../plugins/services.ts' {
  interface Services { pki: PkiService }
}

export const pkiModule: FastifyPluginAsync<{ hallName: string, certificateDays: number, publicUrl: string }> = async (app, options) => {
  const service = createPkiService({
    db: app.db,
    audit: app.audit,
    pki: app.pki,
    clock: app.clock,
    accounts: app.services.accounts,
    departments: app.services.departments,
    hallName: options.hallName,
    certificateDays: options.certificateDays,
    publicUrl: options.publicUrl
  })
  app.services.pki = service
  await app.register(pkiRoutes, { service })
}
