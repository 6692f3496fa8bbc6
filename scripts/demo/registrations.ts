/** A pending organisation registration for the hall administrator's review (/admin/registrations). */
import type { FastifyInstance } from 'fastify'
import { DEMO_PASSWORD, demoCreditCode } from './county.ts'

export async function seedRegistrations (app: FastifyInstance): Promise<string[]> {
  const username = 'lianhe'
  const existing = await app.services.accounts.listAccounts({ q: username, limit: 1, offset: 0 })
  if (!existing.items.some((account) => account.username === username)) {
    await app.services.registration.registerOrganisation({
      username,
      displayName: '联合工程设计咨询有限公司',
      creditCode: demoCreditCode('330100', 'MA3P4Q5R'),
      role: 'agency',
      email: 'office@lianhe.example',
      password: DEMO_PASSWORD
    }, { ip: '127.0.0.1', requestId: 'demo' })
  }
  return [
    `Registrations: ${username} (联合工程设计咨询有限公司) waits for review at /admin/registrations;`,
    '  texts (registration and recovery codes) go to the simulated SMS gateway: /admin/simulated-sms'
  ]
}
