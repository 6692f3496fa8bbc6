/**
 * Recusal (回避) and eligibility: each rule is a named pure function of the expert's dated facts
 * and the drawing's context that returns an explanation when it excludes the expert (null when
 * it does not). `exclusionsOf` runs them all, so the supervisor sees every reason an expert was
 * left out, not only the first. Dates are hall dates (Asia/Shanghai), YYYY-MM-DD.
 *
 * Bidders are known only once bids freeze at the deadline: a draw before it checks the tenderer
 * and the agency; the recheck at the deadline runs BIDDER_RULES over the drawn experts.
 */
import { addCalendarDays } from '../../lib/working-days.ts'

export interface ExpertFacts {
  expertId: string
  regionCode: string
  employments: Array<{ organisationName: string, creditCode: string, departmentId: string | null, fromDate: string, toDate: string | null }>
  /** declared relations still in force (ended ones are not facts of today) */
  relations: Array<{ kind: string, organisationName: string, creditCode: string, endedAt: Date | null }>
  penalties: Array<{ kind: 'penalty' | 'suspension', reason: string, fromDate: string, toDate: string | null }>
  unavailability: Array<{ fromDate: string, toDate: string }>
  /** earlier committees the expert was called to (invited or confirmed) and their tenderer */
  servedFor: Array<{ tendererCreditCode: string, evaluationDate: string }>
}

export type PartyRole = 'tenderer' | 'agency' | 'bidder'
export interface Party { role: PartyRole, name: string, creditCode: string }

export interface RecusalContext {
  /** the day the draw (or the recheck) runs */
  today: string
  evaluationDate: string
  parties: Party[]
  supervisingDepartmentId: string | null
  tendererCreditCode: string
  sameTendererDays: number
  annualCap: number
  /** region code prefixes (2–6 digits) to draw from; empty: everywhere */
  regionsInclude: string[]
  regionsExclude: string[]
}

/**
 * Why a rule excluded an expert: `detail` in a sentence (the API's and the logs' words), and the
 * same facts structured for pages to say in their own language: `wording` names the sentence's
 * variant (a catalogue's `drawings.exclusionDetail.<wording>`), `facts` fills it in.
 */
export interface Exclusion { rule: string, detail: string, wording: string, facts: Record<string, string> }
export type RecusalRule = (expert: ExpertFacts, context: RecusalContext) => Exclusion | null

/** `date` moved back by whole years (29 February lands on 28 February). */
export function yearsBefore (date: string, years: number): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number]
  const moved = new Date(Date.UTC(year - years, month - 1, day))
  if (moved.getUTCMonth() !== month - 1) moved.setUTCDate(0)
  return moved.toISOString().slice(0, 10)
}

const covers = (from: string, to: string | null, date: string) => from <= date && (to === null || to >= date)

/** What the rules derive from a context, once per context rather than once per expert (a pool has tens of thousands). */
interface Derived { parties: Map<string, Party>, threeYearsAgo: string, sameTendererSince: string, year: string }
const derivedOf = new WeakMap<RecusalContext, Derived>()
function derived (context: RecusalContext): Derived {
  let found = derivedOf.get(context)
  if (!found) {
    found = {
      parties: new Map(context.parties.map((party) => [party.creditCode, party])),
      threeYearsAgo: yearsBefore(context.today, 3),
      sameTendererSince: addCalendarDays(context.evaluationDate, -context.sameTendererDays),
      year: context.evaluationDate.slice(0, 4)
    }
    derivedOf.set(context, found)
  }
  return found
}

/** Employed by a party now, or within the last three years. */
export const employedByParty: RecusalRule = (expert, context) => {
  // most of a pool has no fact a rule reads: each rule returns before it derives anything
  if (expert.employments.length === 0) return null
  const { threeYearsAgo, parties } = derived(context)
  for (const job of expert.employments) {
    const party = parties.get(job.creditCode)
    if (!party || (job.toDate !== null && job.toDate < threeYearsAgo)) continue
    const facts: Record<string, string> = { party: party.role, name: party.name }
    if (job.toDate === null || job.toDate >= context.today) return { rule: 'employed_by_party', detail: `works for the ${party.role} ${party.name}`, wording: 'employed_by_party', facts }
    return { rule: 'employed_by_party', detail: `worked for the ${party.role} ${party.name} until ${job.toDate} (within 3 years)`, wording: 'employed_by_party_until', facts: { ...facts, date: job.toDate } }
  }
  return null
}

/** A declared relation (relative, shareholding, …) with a party. */
export const relatedToParty: RecusalRule = (expert, context) => {
  if (expert.relations.length === 0) return null
  const { parties } = derived(context)
  for (const relation of expert.relations) {
    const party = parties.get(relation.creditCode)
    if (party && relation.endedAt === null) {
      return { rule: 'related_to_party', detail: `declared a ${relation.kind} relation with the ${party.role} ${party.name}`, wording: 'related_to_party', facts: { kind: relation.kind, party: party.role, name: party.name } }
    }
  }
  return null
}

/** Staff of the department supervising the tender. */
export const supervisingDepartmentStaff: RecusalRule = (expert, context) => {
  if (!context.supervisingDepartmentId || expert.employments.length === 0) return null
  const job = expert.employments.find((row) => row.departmentId === context.supervisingDepartmentId && covers(row.fromDate, row.toDate, context.today))
  return job ? { rule: 'supervising_department_staff', detail: `works for the supervising department (${job.organisationName})`, wording: 'supervising_department_staff', facts: { name: job.organisationName } } : null
}

/** Penalised or suspended on the day of the draw. */
export const penalisedOrSuspended: RecusalRule = (expert, context) => {
  if (expert.penalties.length === 0) return null
  const penalty = expert.penalties.find((row) => covers(row.fromDate, row.toDate, context.today))
  if (!penalty) return null
  return {
    rule: 'penalised_or_suspended',
    detail: `${penalty.kind} from ${penalty.fromDate}${penalty.toDate ? ` to ${penalty.toDate}` : ' until lifted'}: ${penalty.reason}`,
    wording: penalty.toDate ? 'penalised_or_suspended' : 'penalised_or_suspended_open',
    facts: { kind: penalty.kind, from: penalty.fromDate, to: penalty.toDate ?? '', reason: penalty.reason }
  }
}

/** Called to a committee of the same tenderer within the configured period before this evaluation. */
export const sameTendererRecently: RecusalRule = (expert, context) => {
  if (expert.servedFor.length === 0) return null
  const since = derived(context).sameTendererSince
  const earlier = expert.servedFor.find((row) => row.tendererCreditCode === context.tendererCreditCode && row.evaluationDate >= since && row.evaluationDate <= context.evaluationDate)
  return earlier
    ? { rule: 'same_tenderer_recently', detail: `called for the same tenderer for an evaluation on ${earlier.evaluationDate} (within ${context.sameTendererDays} days)`, wording: 'same_tenderer_recently', facts: { date: earlier.evaluationDate, days: String(context.sameTendererDays) } }
    : null
}

/** Already called to as many committees as the annual cap allows in the evaluation's year. */
export const annualCapReached: RecusalRule = (expert, context) => {
  // a cap of 0 excludes everyone, called or not
  if (expert.servedFor.length === 0 && context.annualCap > 0) return null
  const { year } = derived(context)
  let count = 0
  for (const row of expert.servedFor) if (row.evaluationDate.startsWith(year)) count++
  return count >= context.annualCap
    ? { rule: 'annual_cap_reached', detail: `called to ${count} committees in ${year}; the cap is ${context.annualCap}`, wording: 'annual_cap_reached', facts: { count: String(count), year, cap: String(context.annualCap) } }
    : null
}

/** Declared unavailable on the evaluation date. */
export const unavailableOnEvaluationDate: RecusalRule = (expert, context) => {
  if (expert.unavailability.length === 0) return null
  const period = expert.unavailability.find((row) => covers(row.fromDate, row.toDate, context.evaluationDate))
  return period ? { rule: 'unavailable_on_evaluation_date', detail: `unavailable from ${period.fromDate} to ${period.toDate}`, wording: 'unavailable_on_evaluation_date', facts: { from: period.fromDate, to: period.toDate } } : null
}

/** Outside the regions the request draws from (remote cross-region evaluation names them). */
export const outsideRegions: RecusalRule = (expert, context) => {
  if (context.regionsExclude.length === 0 && context.regionsInclude.length === 0) return null
  const matches = (prefix: string) => expert.regionCode.startsWith(prefix)
  if (context.regionsExclude.some(matches)) {
    const facts: Record<string, string> = { region: expert.regionCode }
    return { rule: 'region_excluded', detail: `region ${expert.regionCode} is excluded`, wording: 'region_excluded', facts }
  }
  if (context.regionsInclude.length > 0 && !context.regionsInclude.some(matches)) {
    const regions = context.regionsInclude.join(', ')
    return { rule: 'region_not_included', detail: `region ${expert.regionCode} is not among ${regions}`, wording: 'region_not_included', facts: { region: expert.regionCode, regions } }
  }
  return null
}

export const RECUSAL_RULES: readonly RecusalRule[] = [
  employedByParty, relatedToParty, supervisingDepartmentStaff, penalisedOrSuspended,
  sameTendererRecently, annualCapReached, unavailableOnEvaluationDate, outsideRegions
]

/** The rules the bidders bring once they are known: conflicts of interest with a party. */
export const BIDDER_RULES: readonly RecusalRule[] = [employedByParty, relatedToParty]

const ELIGIBLE: readonly Exclusion[] = Object.freeze([])

/** Every reason the expert is excluded (empty: eligible; one shared empty list, as a pool is mostly eligible). */
export function exclusionsOf (expert: ExpertFacts, context: RecusalContext, rules: readonly RecusalRule[] = RECUSAL_RULES): readonly Exclusion[] {
  let found: Exclusion[] | undefined
  for (const rule of rules) {
    const exclusion = rule(expert, context)
    if (exclusion) (found ??= []).push(exclusion)
  }
  return found ?? ELIGIBLE
}
