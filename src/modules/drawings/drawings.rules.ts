/**
 * Pure rules of a drawing: its state machine, the committee rules a request must satisfy (each
 * named, so a refusal says which), when the draw may run and by when an invited expert answers.
 */
import type { DRAWING_STATES } from '../../../schema/drawings.ts'

export type DrawingState = typeof DRAWING_STATES[number]

const MOVES: Record<DrawingState, readonly DrawingState[]> = {
  requested: ['approved', 'refused', 'cancelled'],
  approved: ['drawn', 'failed', 'cancelled'],
  // the evaluation called off (the tender cancelled or failed, or postponed by the hall): the invited are told
  drawn: ['published', 'cancelled'],
  refused: [],
  failed: [],
  cancelled: [],
  published: []
}

export function canMove (from: DrawingState, to: DrawingState): boolean {
  return MOVES[from].includes(to)
}

export type TradeType = 'construction_works' | 'procurement_goods' | 'procurement_services' | 'procurement_works' | 'land_use_rights' | 'mining_rights' | 'state_property'

export interface RequestLine { specialtyCode: string, side: 'technical' | 'economic', count: number, reserves: number }

export interface CommitteeRequest {
  committeeSize: number
  tendererRepresentatives: number
  lines: RequestLine[]
}

/** What the rules know of the tender: its trade type and its budget (estimate), in fen. */
export interface CommitteeContext { tradeType: TradeType, budgetFen: bigint }

export interface RuleFinding { rule: string, path: string, message: string }

/** ¥10,000,000 in fen: government procurement at or above it needs a committee of 7 or more. */
export const LARGE_PROCUREMENT_FEN = 1_000_000_000n

const isWorks = (type: TradeType) => type === 'construction_works' || type === 'procurement_works'
const isProcurement = (type: TradeType) => type.startsWith('procurement_')
const expertsOf = (request: CommitteeRequest) => request.lines.reduce((sum, line) => sum + line.count, 0)

/**
 * The committee rules, each a named check (Bidding Law art. 37, Government Procurement Law
 * implementing regulations art. 39 and MOF order 87 art. 47):
 *  - committee_size_adds_up: the lines' experts plus the tenderer's representatives make the committee;
 *  - works_five_and_odd: works (construction, or works procured by the government): 5 or more, odd;
 *  - procurement_three_and_odd: government procurement: 3 or more, odd;
 *  - large_procurement_seven_and_odd: government procurement with a budget of ¥10M or more: 7 or more, odd;
 *  - experts_two_thirds: experts are at least two thirds of the committee (the tenderer's
 *    representatives are the rest);
 *  - one_line_per_specialty_and_side: a specialty is asked for once per side.
 */
export const COMMITTEE_RULES: Array<{ rule: string, applies: (context: CommitteeContext) => boolean, check: (request: CommitteeRequest, context: CommitteeContext) => Omit<RuleFinding, 'rule'> | null }> = [
  {
    rule: 'committee_size_adds_up',
    applies: () => true,
    check: (request) => expertsOf(request) + request.tendererRepresentatives === request.committeeSize
      ? null
      : { path: '/committeeSize', message: `the lines ask for ${expertsOf(request)} experts and ${request.tendererRepresentatives} tenderer's representatives, not a committee of ${request.committeeSize}` }
  },
  {
    rule: 'works_five_and_odd',
    applies: (context) => isWorks(context.tradeType),
    check: (request) => request.committeeSize >= 5 && request.committeeSize % 2 === 1
      ? null
      : { path: '/committeeSize', message: `a works evaluation committee has 5 or more members, an odd number (not ${request.committeeSize})` }
  },
  {
    rule: 'procurement_three_and_odd',
    applies: (context) => isProcurement(context.tradeType),
    check: (request) => request.committeeSize >= 3 && request.committeeSize % 2 === 1
      ? null
      : { path: '/committeeSize', message: `a government procurement committee has 3 or more members, an odd number (not ${request.committeeSize})` }
  },
  {
    rule: 'large_procurement_seven_and_odd',
    applies: (context) => isProcurement(context.tradeType) && context.budgetFen >= LARGE_PROCUREMENT_FEN,
    check: (request) => request.committeeSize >= 7 && request.committeeSize % 2 === 1
      ? null
      : { path: '/committeeSize', message: `government procurement with a budget of ¥10,000,000 or more has a committee of 7 or more, an odd number (not ${request.committeeSize})` }
  },
  {
    rule: 'experts_two_thirds',
    applies: () => true,
    check: (request) => expertsOf(request) * 3 >= request.committeeSize * 2
      ? null
      : { path: '/tendererRepresentatives', message: `experts must be at least two thirds of the committee: ${expertsOf(request)} of ${request.committeeSize} are not` }
  },
  {
    rule: 'one_line_per_specialty_and_side',
    applies: () => true,
    check: (request) => {
      const seen = new Set<string>()
      for (const [index, line] of request.lines.entries()) {
        const key = `${line.side}:${line.specialtyCode}`
        if (seen.has(key)) return { path: `/lines/${index}`, message: `${line.specialtyCode} (${line.side}) is asked for twice; add the counts into one line` }
        seen.add(key)
      }
      return null
    }
  }
]

/** Every committee rule the request breaks (empty: it may be asked for). */
export function committeeFindings (request: CommitteeRequest, context: CommitteeContext): RuleFinding[] {
  const findings: RuleFinding[] = []
  for (const { rule, applies, check } of COMMITTEE_RULES) {
    if (!applies(context)) continue
    const finding = check(request, context)
    if (finding) findings.push({ rule, ...finding })
  }
  return findings
}

/** The draw may run from `leadHours` before the evaluation: a list drawn earlier would be sealed for longer. */
export function drawFromOf (evaluationAt: Date, leadHours: number): Date {
  return new Date(evaluationAt.getTime() - leadHours * 3_600_000)
}

/** An invited expert answers within the window, and never after the evaluation starts. */
export function answerByOf (invitedAt: Date, answerMinutes: number, evaluationAt: Date): Date {
  return new Date(Math.min(invitedAt.getTime() + answerMinutes * 60_000, evaluationAt.getTime()))
}

/** Whether there is still time to call a reserve: an answer window that ends before the evaluation starts. */
export function mayStillInvite (now: Date, evaluationAt: Date): boolean {
  return now.getTime() < evaluationAt.getTime()
}
