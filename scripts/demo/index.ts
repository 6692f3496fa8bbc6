/**
 * `npm run demo`: starts OpenHall like `npm start` and fills a demo county (idempotently), then
 * prints the demo accounts. Each domain adds its demo data in scripts/demo/<domain>.ts and a
 * line below.
 */
import type { FastifyInstance } from 'fastify'
import type { Config } from '../../src/config.ts'
import { startServer } from '../../src/server.ts'
import { actorFor } from './actor.ts'
import { seedApprovals } from './approvals.ts'
import { DEMO_PASSWORD, seedCounty } from './county.ts'
import { seedExperts } from './experts.ts'
import { seedFees } from './fees.ts'
import { seedCertificates } from './pki.ts'
import { seedRegistrations } from './registrations.ts'
import { seedTrading } from './trading.ts'

async function seedDemo (app: FastifyInstance, config: Config) {
  const admins = await app.services.accounts.listAccounts({ role: 'hall_admin', limit: 1, offset: 0 })
  const admin = admins.items[0]
  if (!admin) throw new Error('no hall administrator to seed the demo as')
  // the demo data is created on behalf of the hall administrator, so its audit trail reads naturally
  const users = await seedCounty(app, actorFor(admin))
  const certificates = await seedCertificates(app, config.dataDir)
  const fees = await seedFees(app, actorFor(admin))
  const trading = await seedTrading(app, actorFor(admin))
  const experts = await seedExperts(app, actorFor(admin))
  const approvals = await seedApprovals(app, config.dataDir)
  const registrations = await seedRegistrations(app)
  const lines = [
    '',
    `OpenHall demo county is ready at ${config.publicUrl}`,
    `Demo accounts (password for all: ${DEMO_PASSWORD}):`,
    ...users.map((user) => `  ${user.username.padEnd(16)} ${user.role.padEnd(12)} ${user.displayName}`),
    `  ${admin.username.padEnd(16)} ${'hall_admin'.padEnd(12)} (password printed at first start, or ADMIN_PASSWORD)`,
    `Demo keys and certificates (bidders, expert.li, supervisor): ${certificates}`,
    ...fees,
    ...trading,
    ...experts,
    ...approvals,
    ...registrations,
    ''
  ]
  process.stdout.write(lines.join('\n') + '\n')
}

// the demo county pays through the built-in simulated bank, in its own region
process.env.SIMULATED_BANK ??= 'true'
process.env.HALL_REGION_CODE ??= '330100'
startServer({ afterStart: seedDemo }).catch((error: unknown) => {
  process.stderr.write(`OpenHall demo failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
  process.exit(1)
})
