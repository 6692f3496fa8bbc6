/**
 * The payments' timer kinds and ledger references, shared by the service and its use-case files
 * (payments.notices.ts, payments.recording.ts, payments.receipts.ts); payments.service.ts
 * re-exports SIGN_TIMER.
 */
export const EXPIRE_TIMER = 'payments.expire'
/** Ledger transactions of a notice are referenced by its id. */
export const ledgerReference = (noticeId: string) => `payment_notice:${noticeId}`
export const PAID_TIMER = 'payments.paid'
export const SIGN_TIMER = 'payments.sign_receipts'
export const expireKey = (noticeId: string) => `${EXPIRE_TIMER}:${noticeId}`
