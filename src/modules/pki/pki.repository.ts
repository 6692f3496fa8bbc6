import { and, desc, eq, gt, isNull } from 'drizzle-orm'
import { authChallenges, certificates, revocationLists, trustedAuthorities } from '../../../schema/index.ts'
import type { Queryable } from '../../plugins/db.ts'

export type CertificateRow = typeof certificates.$inferSelect

export async function insertCertificate (db: Queryable, values: typeof certificates.$inferInsert): Promise<CertificateRow | undefined> {
  const [row] = await db.insert(certificates).values(values).onConflictDoNothing().returning()
  return row
}

export async function findCertificate (db: Queryable, id: string): Promise<CertificateRow | undefined> {
  const [row] = await db.select().from(certificates).where(eq(certificates.id, id))
  return row
}

export async function findCertificateByFingerprint (db: Queryable, fingerprint: string): Promise<CertificateRow | undefined> {
  const [row] = await db.select().from(certificates).where(eq(certificates.fingerprint, fingerprint))
  return row
}

export async function listCertificates (db: Queryable, accountId?: string): Promise<CertificateRow[]> {
  return db.select().from(certificates).where(accountId ? eq(certificates.accountId, accountId) : undefined).orderBy(desc(certificates.createdAt)).limit(500)
}

export async function revokeCertificate (db: Queryable, id: string, reason: number, at: Date): Promise<CertificateRow | undefined> {
  const [row] = await db.update(certificates).set({ revokedAt: at, revocationReason: reason })
    .where(and(eq(certificates.id, id), isNull(certificates.revokedAt))).returning()
  return row
}

export async function insertAuthority (db: Queryable, values: typeof trustedAuthorities.$inferInsert) {
  const [row] = await db.insert(trustedAuthorities).values(values)
    .onConflictDoUpdate({ target: trustedAuthorities.fingerprint, set: { active: true, role: values.role } }).returning()
  return row!
}

export async function listAuthorities (db: Queryable) {
  return db.select().from(trustedAuthorities).orderBy(desc(trustedAuthorities.addedAt))
}

export async function deactivateAuthority (db: Queryable, fingerprint: string) {
  const [row] = await db.update(trustedAuthorities).set({ active: false }).where(eq(trustedAuthorities.fingerprint, fingerprint)).returning()
  return row
}

export async function insertRevocationList (db: Queryable, values: typeof revocationLists.$inferInsert) {
  const [row] = await db.insert(revocationLists).values(values).returning()
  return row!
}

export async function insertChallenge (db: Queryable, challenge: string, expiresAt: Date) {
  const [row] = await db.insert(authChallenges).values({ challenge, expiresAt }).returning()
  return row!
}

/** Marks the challenge used, once, if it is still valid; returns it or undefined. */
export async function consumeChallenge (db: Queryable, id: string, now: Date) {
  const [row] = await db.update(authChallenges).set({ usedAt: now })
    .where(and(eq(authChallenges.id, id), isNull(authChallenges.usedAt), gt(authChallenges.expiresAt, now))).returning()
  return row
}
