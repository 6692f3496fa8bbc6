/**
 * Self-registration and password recovery, behind the accounts service.
 *
 * A person registers with a mobile number: the account is `pending` until the six-digit code
 * sent to that number is entered (then `active`, the number confirmed). An organisation registers
 * with its unified social credit code: `pending` until the hall approves it (or refuses it, with
 * a reason: the account is disabled), or until it signs a challenge with a certificate whose
 * subject names that credit code (activated). A person with a confirmed number recovers a
 * forgotten password with a code sent to it; the request answers alike for every name, known or
 * not, and a reset ends every session of the account.
 *
 * Codes are kept only as an HMAC under a key derived from the master key; a wrong code counts
 * against the code (committed even though the request is refused); codes are rate-limited per
 * number and per client address (accounts.rules.ts CODE_POLICY). No code ever reaches a log.
 */
import { randomInt } from 'node:crypto'
import type { Actor } from '../../lib/actor.ts'
import { constantTimeEqual, hmacSha256 } from '../../lib/crypto-bits.ts'
import { hashPassword, isStrongPassword } from '../../lib/password.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { AuthService } from '../../plugins/auth.ts'
import type { Clock } from '../../plugins/clock.ts'
import type { Database, Queryable } from '../../plugins/db.ts'
import type { NotifierService } from '../notifier/notifier.service.ts'
import { isMobileNumber, maskPhone } from '../notifier/notifier.rules.ts'
import { CertificateSubjectMismatch } from '../pki/pki.errors.ts'
import { subjectNamesCreditCode } from '../pki/pki.rules.ts'
import type { SignedChallenge } from '../pki/pki.schemas.ts'
import type { PkiService } from '../pki/pki.service.ts'
import {
  CodeAttemptsExhausted, CodeExpired, CodeInvalid, CodeRateLimited, CreditCodeInvalid, CreditCodeTaken, RecoveryCodeInvalid,
  RefusalReasonRequired, RegistrationDecided, RegistrationNotFound, UsernameTaken, WeakPassword
} from './accounts.errors.ts'
import * as reg from './accounts.registration.repository.ts'
import type {
  CodeSent, RecoveryReset, RegisterOrganisation, RegisterPerson, RegistrationListFilter, RegistrationView
} from './accounts.registration.schemas.ts'
import * as repo from './accounts.repository.ts'
import { CODE_POLICY, codeProblem, creditCodeProblem, normaliseUsername, secondsBeforeNextCode } from './accounts.rules.ts'

export interface RegistrationDeps {
  db: Database
  audit: Audit
  auth: AuthService
  clock: Clock
  notifier: NotifierService
  /** the PKI service is built after accounts (it needs them): looked up when first used */
  pki: () => PkiService
  /** HMAC key of the stored codes (derived from the master key) */
  codeKey: Uint8Array
  hallName: string
}

/** Who asks: codes are limited per client address; audit entries carry the request. */
export interface Client { ip: string, requestId: string }

const CODE_TEXT = {
  register: (hall: string, code: string) => `【${hall}】您的注册验证码为 ${code}，${CODE_POLICY.ttlMinutes} 分钟内有效，请勿告诉他人。`,
  recover: (hall: string, code: string) => `【${hall}】您正在找回密码，验证码为 ${code}，${CODE_POLICY.ttlMinutes} 分钟内有效。如非本人操作，请忽略。`
}

function toRegistrationView ({ registration, account }: Awaited<ReturnType<typeof reg.listRegistrations>>[number]): RegistrationView {
  return {
    id: registration.id,
    accountId: account.id,
    username: account.username,
    displayName: account.displayName,
    creditCode: account.creditCode,
    email: account.email,
    phone: account.phone,
    role: registration.role,
    state: registration.state,
    reason: registration.reason,
    decidedAt: registration.decidedAt?.toISOString() ?? null,
    createdAt: registration.createdAt.toISOString()
  }
}

export function createRegistration ({ db, audit, auth, clock, notifier, pki, codeKey, hallName }: RegistrationDeps) {
  function hashCode (purpose: reg.CodePurpose, accountId: string, code: string): string {
    return hmacSha256(codeKey, `${purpose}:${accountId}:${code}`).toString('hex')
  }

  /** Refuses (429) a code the number or the address may not have yet; nothing is written. */
  /** An audit entry on the account, for a step taken from `client` by someone not signed in (actorId null) or by the account itself. */
  function recordOnAccount (tx: Queryable, client: Client | null, accountId: string, action: string, payload: Record<string, unknown>, actorId: string | null = null) {
    return audit.append(tx, { actorId, requestId: client?.requestId ?? null, action, subjectType: 'account', subjectId: accountId, payload })
  }

  async function assertMaySendCode (tx: Queryable, phone: string, client: Client, lastSentAt: Date | null) {
    const now = clock.now()
    const recent = await reg.recentCodeTimes(tx, phone, client.ip, new Date(now.getTime() - 3_600_000))
    const wait = secondsBeforeNextCode({ lastSentAt, ...recent }, now)
    if (wait > 0) throw new CodeRateLimited(wait)
  }

  /** A fresh code for the account, stored hashed, texted after commit (the caller's transaction). */
  async function issueCode (tx: Queryable, input: { accountId: string, purpose: reg.CodePurpose, phone: string, client: Client }): Promise<reg.CodeRow> {
    const code = String(randomInt(0, 10 ** CODE_POLICY.digits)).padStart(CODE_POLICY.digits, '0')
    const now = clock.now()
    const row = await reg.insertCode(tx, {
      accountId: input.accountId,
      purpose: input.purpose,
      phone: input.phone,
      clientIp: input.client.ip,
      codeHash: hashCode(input.purpose, input.accountId, code),
      sentAt: now,
      expiresAt: new Date(now.getTime() + CODE_POLICY.ttlMinutes * 60_000)
    })
    await notifier.sendSms(tx, {
      phone: input.phone,
      recipientId: input.accountId,
      kind: `account.${input.purpose}_code`,
      text: CODE_TEXT[input.purpose](hallName, code),
      secret: true,
      actorId: null,
      requestId: input.client.requestId
    })
    return row
  }

  function codeSent (accountId: string, row: reg.CodeRow): CodeSent {
    return {
      registrationId: accountId,
      phone: maskPhone(row.phone),
      expiresAt: row.expiresAt.toISOString(),
      resendAfter: new Date(row.sentAt.getTime() + CODE_POLICY.resendSeconds * 1000).toISOString()
    }
  }

  async function registerPerson (input: RegisterPerson, client: Client): Promise<CodeSent> {
    const username = normaliseUsername(input.username)
    if (!isStrongPassword(input.password)) throw new WeakPassword()
    notifier.assertSmsAvailable()
    const passwordHash = await hashPassword(input.password)
    return db.transaction(async (tx) => {
      await assertMaySendCode(tx, input.phone, client, null)
      const account = await repo.insertAccount(tx, {
        kind: 'person', username, displayName: input.displayName, phone: input.phone, passwordHash, status: 'pending'
      })
      if (!account) throw new UsernameTaken(username)
      await repo.insertGrant(tx, { accountId: account.id, role: 'applicant', scopeType: 'hall', scopeId: null, grantedBy: null })
      const code = await issueCode(tx, { accountId: account.id, purpose: 'register', phone: input.phone, client })
      await recordOnAccount(tx, client, account.id, 'account.registered', { username, kind: 'person', phone: maskPhone(input.phone), ip: client.ip })
      return codeSent(account.id, code)
    })
  }

  async function pendingPerson (tx: Queryable, accountId: string) {
    const account = await repo.findAccount(tx, accountId, { forUpdate: true })
    if (!account || account.kind !== 'person' || account.status !== 'pending' || !account.phone) throw new RegistrationNotFound(accountId)
    return account
  }

  async function resendRegistrationCode (accountId: string, client: Client): Promise<CodeSent> {
    return db.transaction(async (tx) => {
      const account = await pendingPerson(tx, accountId)
      const last = await reg.findCode(tx, accountId, 'register')
      await assertMaySendCode(tx, account.phone!, client, last?.sentAt ?? null)
      return codeSent(accountId, await issueCode(tx, { accountId, purpose: 'register', phone: account.phone!, client }))
    })
  }

  /**
   * Checks a code in its own transaction. A wrong one is counted and committed before the
   * refusal, so attempts run out even though every wrong try is answered with an error.
   */
  async function checkCode (accountId: string, purpose: reg.CodePurpose, code: string, onMatch: (tx: Queryable, row: reg.CodeRow) => Promise<void>, refuse: (problem: 'wrong' | 'used' | 'expired' | 'exhausted' | 'none') => Error, lock?: (tx: Queryable) => Promise<unknown>) {
    const outcome = await db.transaction(async (tx) => {
      await lock?.(tx)
      const row = await reg.findCode(tx, accountId, purpose, { forUpdate: true })
      if (!row) return 'none' as const
      const problem = codeProblem(row, clock.now())
      if (problem) return problem
      if (!constantTimeEqual(hashCode(purpose, accountId, code), row.codeHash)) {
        await reg.countAttempt(tx, row.id, row.attempts + 1)
        await recordOnAccount(tx, null, accountId, 'account.code_wrong', { purpose, attempts: row.attempts + 1 })
        return 'wrong' as const
      }
      await reg.markCodeUsed(tx, row.id, clock.now())
      await onMatch(tx, row)
      return 'ok' as const
    })
    if (outcome !== 'ok') throw refuse(outcome)
  }

  async function verifyRegistration (accountId: string, code: string, client: Client): Promise<{ accountId: string, username: string }> {
    let username = ''
    await checkCode(accountId, 'register', code, async (tx, row) => {
      const account = await repo.updateAccount(tx, accountId, { status: 'active', phoneConfirmedAt: clock.now() })
      username = account!.username
      await recordOnAccount(tx, client, accountId, 'account.phone_confirmed', { phone: maskPhone(row.phone) }, accountId)
      await notifier.notify(tx, {
        recipientId: accountId,
        kind: 'account.welcome',
        actorId: accountId,
        requestId: client.requestId,
        subject: '注册成功',
        body: `欢迎使用${hallName}。您的手机号码已确认，办件进度与缴费通知将通过站内消息和短信告知您。`,
        link: '/'
      })
    }, (problem) => {
      if (problem === 'wrong') return new CodeInvalid()
      if (problem === 'expired') return new CodeExpired()
      if (problem === 'exhausted') return new CodeAttemptsExhausted()
      return new RegistrationNotFound(accountId)
    }, (tx) => pendingPerson(tx, accountId))
    return { accountId, username }
  }

  async function registerOrganisation (input: RegisterOrganisation, client: Client): Promise<RegistrationView> {
    const username = normaliseUsername(input.username)
    const creditCode = input.creditCode.toUpperCase()
    if (creditCodeProblem('organisation', creditCode)) throw new CreditCodeInvalid(input.creditCode)
    if (!isStrongPassword(input.password)) throw new WeakPassword()
    const passwordHash = await hashPassword(input.password)
    return db.transaction(async (tx) => {
      if (await repo.findAccountByCreditCode(tx, creditCode)) throw new CreditCodeTaken(creditCode)
      const account = await repo.insertAccount(tx, {
        kind: 'organisation', username, displayName: input.displayName, creditCode, email: input.email ?? null, phone: input.phone ?? null, passwordHash, status: 'pending'
      })
      if (!account) throw new UsernameTaken(username)
      await repo.insertGrant(tx, { accountId: account.id, role: input.role, scopeType: 'hall', scopeId: null, grantedBy: null })
      const registration = await reg.insertRegistration(tx, { accountId: account.id, role: input.role, createdAt: clock.now() })
      await recordOnAccount(tx, client, account.id, 'account.registered', { username, kind: 'organisation', creditCode, role: input.role, registrationId: registration.id, ip: client.ip })
      return toRegistrationView({ registration, account })
    })
  }

  async function lockPending (tx: Queryable, registrationId: string) {
    const registration = await reg.findRegistration(tx, registrationId, { forUpdate: true })
    if (!registration) throw new RegistrationNotFound(registrationId)
    if (registration.state !== 'pending') throw new RegistrationDecided()
    const account = (await repo.findAccount(tx, registration.accountId, { forUpdate: true }))!
    return { registration, account }
  }

  async function viewOf (tx: Queryable, registrationId: string): Promise<RegistrationView> {
    const registration = (await reg.findRegistration(tx, registrationId))!
    const account = (await repo.findAccount(tx, registration.accountId))!
    return toRegistrationView({ registration, account })
  }

  /** The organisation proves itself: a challenge signed by a trusted certificate naming its credit code. */
  async function activateByCertificate (registrationId: string, input: SignedChallenge, client: Client): Promise<RegistrationView> {
    return db.transaction(async (tx) => {
      const { account } = await lockPending(tx, registrationId)
      const verified = await pki().verifySignedChallenge(tx, input)
      if (!subjectNamesCreditCode(verified.signer.subject, account.creditCode ?? '')) {
        throw new CertificateSubjectMismatch(`the certificate subject does not name ${account.creditCode ?? 'the organisation'}`)
      }
      await reg.decideRegistration(tx, registrationId, { state: 'activated', reason: null, decidedBy: null, decidedAt: clock.now() })
      await repo.updateAccount(tx, account.id, { status: 'active' })
      await recordOnAccount(tx, client, account.id, 'registration.activated', { registrationId, certificate: verified.signer.fingerprint, subject: verified.signer.subject }, account.id)
      await notifier.notify(tx, {
        recipientId: account.id,
        kind: 'registration.activated',
        actorId: account.id,
        requestId: client.requestId,
        subject: '单位注册已生效',
        body: '贵单位已通过数字证书确认身份，账户已启用。',
        link: '/'
      })
      return viewOf(tx, registrationId)
    })
  }

  async function listRegistrations (filter: RegistrationListFilter): Promise<RegistrationView[]> {
    const rows = await reg.listRegistrations(db, { state: filter.state, limit: filter.limit ?? 50, offset: filter.offset ?? 0 })
    return rows.map(toRegistrationView)
  }

  async function getRegistration (registrationId: string): Promise<RegistrationView> {
    if (!await reg.findRegistration(db, registrationId)) throw new RegistrationNotFound(registrationId)
    return viewOf(db, registrationId)
  }

  async function decide (actor: Actor, registrationId: string, decision: { approve: true } | { approve: false, reason: string }): Promise<RegistrationView> {
    const reason = decision.approve ? null : decision.reason.trim()
    if (!decision.approve && !reason) throw new RefusalReasonRequired()
    return db.transaction(async (tx) => {
      const { account } = await lockPending(tx, registrationId)
      await reg.decideRegistration(tx, registrationId, { state: decision.approve ? 'approved' : 'refused', reason, decidedBy: actor.principal.accountId, decidedAt: clock.now() })
      await repo.updateAccount(tx, account.id, { status: decision.approve ? 'active' : 'disabled' })
      await audit.append(tx, auditRecord(actor, decision.approve ? 'registration.approved' : 'registration.refused', 'account', account.id, { registrationId, reason }))
      await notifier.notify(tx, decision.approve
        ? { recipientId: account.id, kind: 'registration.approved', actorId: actor.principal.accountId, requestId: actor.requestId, subject: '单位注册已通过审核', body: '大厅已审核通过贵单位的注册，账户已启用。', link: '/', sms: true }
        : { recipientId: account.id, kind: 'registration.refused', actorId: actor.principal.accountId, requestId: actor.requestId, subject: '单位注册未通过审核', body: `原因：${reason ?? ''}`, sms: true })
      return viewOf(tx, registrationId)
    })
  }

  /**
   * Sends a recovery code when the name is an active account with a confirmed mobile number and
   * the limits allow; answers the same in every case (no account enumeration). An unknown name
   * writes nothing; a limited one is audited and texted nothing.
   */
  async function requestRecovery (input: { username: string }, client: Client) {
    const answer = { accepted: true as const, expiresInMinutes: CODE_POLICY.ttlMinutes }
    const account = await repo.findAccountByUsername(db, normaliseUsername(input.username))
    if (!account || account.status !== 'active' || !account.phoneConfirmedAt || !isMobileNumber(account.phone) || notifier.driverName === 'none') return answer
    const phone = account.phone
    await db.transaction(async (tx) => {
      await repo.findAccount(tx, account.id, { forUpdate: true })
      const last = await reg.findCode(tx, account.id, 'recover')
      try {
        await assertMaySendCode(tx, phone, client, last?.sentAt ?? null)
      } catch (error) {
        if (!(error instanceof CodeRateLimited)) throw error
        await recordOnAccount(tx, client, account.id, 'account.recovery_limited', { ip: client.ip })
        return
      }
      await issueCode(tx, { accountId: account.id, purpose: 'recover', phone, client })
      await recordOnAccount(tx, client, account.id, 'account.recovery_requested', { ip: client.ip, phone: maskPhone(phone) })
    })
    return answer
  }

  /** A new password with the recovery code: every failure is RECOVERY_CODE_INVALID; all sessions end. */
  async function resetWithCode (input: RecoveryReset, client: Client) {
    if (!isStrongPassword(input.newPassword)) throw new WeakPassword()
    // hashed whatever the name, so a known and an unknown one take the same time
    const passwordHash = await hashPassword(input.newPassword)
    const account = await repo.findAccountByUsername(db, normaliseUsername(input.username))
    if (!account || account.status !== 'active') throw new RecoveryCodeInvalid()
    await checkCode(account.id, 'recover', input.code, async (tx) => {
      await repo.updateAccount(tx, account.id, { passwordHash, mustChangePassword: false })
      const ended = await auth.revokeAccountSessions(tx, account.id)
      await recordOnAccount(tx, client, account.id, 'account.password_recovered', { ip: client.ip, sessionsEnded: ended }, account.id)
      await notifier.notify(tx, {
        recipientId: account.id,
        kind: 'account.password_recovered',
        actorId: account.id,
        requestId: client.requestId,
        subject: '密码已重置',
        body: '您的密码已通过短信验证码重置，其他登录会话已全部退出。如非本人操作，请立即联系大厅。',
        sms: true
      })
    }, () => new RecoveryCodeInvalid())
  }

  return {
    registerPerson,
    resendRegistrationCode,
    verifyRegistration,
    registerOrganisation,
    activateByCertificate,
    listRegistrations,
    getRegistration,
    approveRegistration: (actor: Actor, id: string) => decide(actor, id, { approve: true }),
    refuseRegistration: (actor: Actor, id: string, reason: string) => decide(actor, id, { approve: false, reason }),
    requestRecovery,
    resetWithCode
  }
}

export type Registration = ReturnType<typeof createRegistration>
