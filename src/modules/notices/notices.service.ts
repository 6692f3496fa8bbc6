import type { Actor } from '../../lib/actor.ts'
import type { Principal } from '../../lib/policy.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { Clock } from '../../plugins/clock.ts'
import type { Database } from '../../plugins/db.ts'
import type { Audience, Live } from '../../plugins/live.ts'
import { NoticeAudienceEmpty, NoticeNotFound, NoticeWithdrawn } from './notices.errors.ts'
import * as repo from './notices.repository.ts'
import { NOTICES_ROOM, audienceIsEmpty, mayRead, mayWithdraw, widenForOversight } from './notices.rules.ts'
import type { NoticeView, PublishNotice } from './notices.schemas.ts'

export interface NoticesDeps { db: Database, audit: Audit, live: Live, clock: Clock }

function toNoticeView (row: repo.NoticeRow): NoticeView {
  return {
    id: row.id,
    title: row.title,
    body: row.body,
    audience: row.audience as Audience,
    publishedBy: row.publishedBy,
    publishedAt: row.publishedAt.toISOString(),
    withdrawnAt: row.withdrawnAt?.toISOString() ?? null
  }
}

export function createNoticesService ({ db, audit, live, clock }: NoticesDeps) {
  async function publish (actor: Actor, input: PublishNotice): Promise<NoticeView> {
    if (audienceIsEmpty(input.audience)) throw new NoticeAudienceEmpty()
    const audience = widenForOversight(input.audience, actor.principal.accountId)
    return db.transaction(async (tx) => {
      const row = await repo.insertNotice(tx, {
        title: input.title, body: input.body, audience, publishedBy: actor.principal.accountId, publishedAt: clock.now()
      })
      const notice = toNoticeView(row)
      await audit.append(tx, auditRecord(actor, 'notice.published', 'notice', row.id, { title: input.title, audience }))
      await live.append(tx, NOTICES_ROOM, { type: 'notice.published', audience, data: notice })
      return notice
    })
  }

  async function withdraw (actor: Actor, noticeId: string) {
    await db.transaction(async (tx) => {
      const row = await repo.findNotice(tx, noticeId, { forUpdate: true })
      if (!row || !mayRead(actor.principal, row.audience as Audience) || !mayWithdraw(actor.principal, row.publishedBy)) {
        throw new NoticeNotFound(noticeId)
      }
      if (row.withdrawnAt) throw new NoticeWithdrawn()
      await repo.markWithdrawn(tx, noticeId, clock.now())
      await audit.append(tx, auditRecord(actor, 'notice.withdrawn', 'notice', noticeId))
      await live.append(tx, NOTICES_ROOM, { type: 'notice.withdrawn', audience: row.audience as Audience, data: { id: noticeId } })
    })
  }

  /** Current notices the caller may read (withdrawn ones disappear). */
  async function listVisible (principal: Principal | null, limit = 50): Promise<NoticeView[]> {
    const rows = await repo.recentNotices(db, 500)
    return rows
      .filter((row) => !row.withdrawnAt && mayRead(principal, row.audience as Audience))
      .slice(0, limit)
      .map(toNoticeView)
  }

  return { publish, withdraw, listVisible }
}

export type NoticesService = ReturnType<typeof createNoticesService>
