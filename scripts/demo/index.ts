/**
 * `npm run demo`: starts OpenHall like `npm start` and fills a demo county (idempotently), then
 * prints the demo accounts. Each domain adds its demo data in scripts/demo/<domain>.ts and a
 * line below.
 */
import type { FastifyInstance } from 'fastify'
import type { Config } from '../../src/config.ts'
import { startServer } from '../../src/server.ts'
import { DEMO_PASSWORD, seedCounty } from './county.ts'

async function seedDemo (app: FastifyInstance, config: Config) {
  const admins = await app.services.accounts.listAccounts({ role: 'hall_admin', limit: 1, offset: 0 })
  const admin = admins.items[0]
  if (!admin) throw new Error('no hall administrator to seed the demo as')
  // the demo data is created on behalf of the hall administrator, so its audit trail reads naturally
  const actor = {
    principal: {
      accountId: admin.id,
      username: admin.username,
      displayName: admin.displayName,
      kind: admin.kind,
      grants: admin.grants.map(({ role, scopeType, scopeId }) => ({ role, scopeType, scopeId })),
      sessionId: '00000000-0000-0000-0000-000000000000',
      authMethod: 'password' as const,
      mustChangePassword: false
    },
    requestId: 'demo-seed'
  }
  const users = await seedCounty(app, actor)
  const lines = [
    '',
    `OpenHall demo county is ready at ${config.publicUrl}`,
    `Demo accounts (password for all: ${DEMO_PASSWORD}):`,
    ...users.map((user) => `  ${user.username.padEnd(16)} ${user.role.padEnd(12)} ${user.displayName}`),
    `  ${admin.username.padEnd(16)} ${'hall_admin'.padEnd(12)} (password printed at first start, or ADMIN_PASSWORD)`,
    ''
  ]
  process.stdout.write(lines.join('\n') + '\n')
}

startServer({ afterStart: seedDemo }).catch((error: unknown) => {
  process.stderr.write(`OpenHall demo failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
  process.exit(1)
})
