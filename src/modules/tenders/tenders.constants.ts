/**
 * The tender's timer kinds and its live room, shared by the service and its use-case files
 * (tenders.publication.ts, tenders.objections.ts, …); tenders.service.ts re-exports them.
 */
export const DEADLINE_TIMER = 'tenders.deadline'
export const ISSUE_TIMER = 'tenders.documents_issued'
export const OBJECTION_TIMER = 'tenders.objection_overdue'
export const tenderRoom = (tenderId: string) => `tender:${tenderId}`
export const PUBLIC = { public: true } as const
