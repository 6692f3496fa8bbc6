/**
 * What waits for the people of a tender, for their home pages: the openings of today and the
 * coming days (for the officials who watch them and the parties who host them), and the
 * questions and objections a tender's own party has yet to answer.
 */
import type { Actor } from '../../lib/actor.ts'
import type { Principal } from '../../lib/policy.ts'
import * as repo from './tenders.repository.ts'
import type { TenderStatus, TenderView } from './tenders.schemas.ts'
import type { TenderReads, TendersDeps } from './tenders.service.ts'

export type TenderWorkDeps = Pick<TendersDeps, 'db' | 'projects'> & Pick<TenderReads, 'views'>

/** A tender still to open, opening, or opened (the record may be read): not a draft, not cancelled or failed. */
const OPENING_STATUSES: readonly TenderStatus[] = ['published', 'bidding', 'opening', 'evaluation', 'publicity', 'awarded', 'contracted']

export function createTenderWork ({ db, projects, views }: TenderWorkDeps) {
  /** The projects whose openings the caller watches or hosts; null for every project of the hall. */
  async function watchedProjects (principal: Principal): Promise<string[] | null> {
    const overseers = principal.grants.filter((grant) => grant.role === 'hall_admin' || grant.role === 'supervisor')
    if (overseers.some((grant) => grant.scopeType === 'hall')) return null
    const overseen = overseers.filter((grant) => grant.scopeType === 'project').map((grant) => grant.scopeId!)
    return [...new Set([...overseen, ...await projects.listProjectsOf(principal)])]
  }

  /** Openings (bid deadlines) from `from` on, of the tenders the caller oversees or hosts, soonest first. */
  async function upcomingOpenings (principal: Principal, query: { from: Date, limit?: number }): Promise<TenderView[]> {
    const projectIds = await watchedProjects(principal)
    const rows = await repo.tendersOpeningFrom(db, { from: query.from, statuses: OPENING_STATUSES, ...(projectIds ? { projectIds } : {}) }, query.limit ?? 20)
    return views(db, rows)
  }

  /** The caller's own tenders with questions or objections not answered yet, and how many of each. */
  async function pendingAnswers (actor: Actor): Promise<Array<{ tenderId: string, code: string, title: string, questions: number, objections: number }>> {
    const projectIds = await projects.listProjectsOf(actor.principal)
    if (projectIds.length === 0) return []
    const own = await repo.listTenders(db, { projectIds }, 500, 0)
    const counts = await repo.unansweredByTender(db, own.map((tender) => tender.id))
    return own.flatMap((tender) => {
      const pending = counts.get(tender.id)
      return pending ? [{ tenderId: tender.id, code: tender.code, title: tender.title, ...pending }] : []
    })
  }

  return { upcomingOpenings, pendingAnswers }
}
