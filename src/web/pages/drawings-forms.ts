/**
 * What the drawing pages share: the request form read field by field (a fixed number of line
 * rows, blank rows ignored, so it works without JavaScript), the committee rules the drawings
 * module names turned into words beside the fields they concern, and the words for what the
 * module says in codes (states, recusal rules, room events). The services check everything
 * again; checking here lets the page say which field, before the request is confirmed.
 */
import type { SpecialtyNode } from '../../modules/experts/experts.schemas.ts'
import { committeeFindings, type CommitteeContext, type RuleFinding } from '../../modules/drawings/drawings.rules.ts'
import type { CreateDrawing } from '../../modules/drawings/drawings.schemas.ts'
import type { FormProblem } from '../form-problems.ts'
import type { Translate } from '../i18n.ts'
import { shanghaiInstant, textWithin, unless, wholeNumber } from './trading-shared.ts'

type Form = Record<string, string | undefined>

/** The line rows the form offers; more lines are asked for through the API. */
export const LINE_ROWS = 5
export const ROWS = Array.from({ length: LINE_ROWS }, (_, index) => index + 1)
export const SIDES = ['technical', 'economic'] as const
export const requestField = (name: string) => `request-${name}`
export const lineField = (row: number, part: 'specialty' | 'side' | 'count' | 'reserves') => `request-line${row}-${part}`
/** The form's field names (the confirmation page carries them all again). */
export const REQUEST_FIELDS = [
  'committeeSize', 'tendererRepresentatives', 'evaluationAt', 'mode', 'evaluationPlace', 'regionsInclude', 'regionsExclude',
  ...ROWS.flatMap((row) => [`line${row}Specialty`, `line${row}Side`, `line${row}Count`, `line${row}Reserves`])
]

/** The level-3 specialties, grouped under their level-1 and level-2 names (a select's optgroups). */
export function specialtyGroups (tree: SpecialtyNode[]): Array<{ label: string, options: Array<{ code: string, name: string }> }> {
  return tree.flatMap((top) => top.children.map((middle) => ({
    label: `${top.name} · ${middle.name}`,
    options: middle.children.filter((leaf) => leaf.level === 3).map((leaf) => ({ code: leaf.code, name: leaf.name }))
  }))).filter((group) => group.options.length > 0)
}

/** Every specialty's name by code, at any level. */
export function specialtyNames (tree: SpecialtyNode[]): Map<string, string> {
  const names = new Map<string, string>()
  for (const top of tree) {
    names.set(top.code, top.name)
    for (const middle of top.children) {
      names.set(middle.code, middle.name)
      for (const leaf of middle.children) names.set(leaf.code, leaf.name)
    }
  }
  return names
}

/** Region code prefixes typed with commas, spaces or 、 between them; null when one is not 2–6 digits. */
function regionList (value: string | undefined): string[] | null {
  const parts = (value ?? '').split(/[\s,，、;；]+/).filter(Boolean)
  return parts.length <= 50 && parts.every((part) => /^[0-9]{2,6}$/.test(part)) ? parts : null
}

export interface ReadRequest {
  problems: FormProblem[]
  input: CreateDrawing
  /** the form row (1-based) of each line the input asks for */
  rowOf: number[]
}

/** The request form: the API's input, and every field not filled in as asked. */
export function readRequestForm (t: Translate, form: Form, level3: Set<string>): ReadRequest {
  const committeeSize = wholeNumber(form.committeeSize, 1, 51)
  const representatives = (form.tendererRepresentatives ?? '').trim() === '' ? 0 : wholeNumber(form.tendererRepresentatives, 0, 17)
  const problems: FormProblem[] = [
    ...unless(committeeSize !== null, requestField('committeeSize'), t('drawings.form.error.committeeSize')),
    ...unless(representatives !== null, requestField('tendererRepresentatives'), t('drawings.form.error.representatives'))
  ]
  const lines: CreateDrawing['lines'] = []
  const rowOf: number[] = []
  for (const row of ROWS) {
    const specialty = (form[`line${row}Specialty`] ?? '').trim().toUpperCase()
    const countText = (form[`line${row}Count`] ?? '').trim()
    const reservesText = (form[`line${row}Reserves`] ?? '').trim()
    // a row with nothing chosen and nothing counted is a spare row, not a mistake
    if (specialty === '' && countText === '' && reservesText === '') continue
    const side = SIDES.find((one) => one === form[`line${row}Side`])
    const count = wholeNumber(countText, 1, 25)
    const reserves = reservesText === '' ? 0 : wholeNumber(reservesText, 0, 25)
    problems.push(
      ...unless(level3.has(specialty), lineField(row, 'specialty'), t(specialty === '' ? 'drawings.form.error.specialtyMissing' : 'drawings.form.error.specialty')),
      ...unless(side !== undefined, lineField(row, 'side'), t('drawings.form.error.side')),
      ...unless(count !== null, lineField(row, 'count'), t('drawings.form.error.count')),
      ...unless(reserves !== null, lineField(row, 'reserves'), t('drawings.form.error.reserves'))
    )
    if (level3.has(specialty) && side && count !== null && reserves !== null) {
      lines.push({ specialtyCode: specialty, side, count, reserves })
      rowOf.push(row)
    }
  }
  if (lines.length === 0 && !problems.some((problem) => problem.field?.startsWith('request-line'))) {
    problems.push({ field: lineField(1, 'specialty'), message: t('drawings.form.error.noLines') })
  }
  const evaluationAt = shanghaiInstant(form.evaluationAt)
  const remote = form.mode === 'remote'
  const place = remote ? null : textWithin(form.evaluationPlace, 200)
  const regionsInclude = regionList(form.regionsInclude)
  const regionsExclude = regionList(form.regionsExclude)
  problems.push(
    ...unless(evaluationAt !== '', requestField('evaluationAt'), t('drawings.form.error.evaluationAt')),
    ...unless(remote || place !== null, requestField('evaluationPlace'), t('drawings.form.error.place')),
    ...unless(regionsInclude !== null, requestField('regionsInclude'), t('drawings.form.error.regions')),
    ...unless(regionsExclude !== null, requestField('regionsExclude'), t('drawings.form.error.regions'))
  )
  return {
    problems,
    rowOf,
    input: {
      committeeSize: committeeSize ?? 0,
      tendererRepresentatives: representatives ?? 0,
      lines,
      evaluationAt,
      evaluationPlace: place,
      regionsInclude: regionsInclude ?? [],
      regionsExclude: regionsExclude ?? []
    }
  }
}

/** The field a committee rule's path points at (the module names paths as JSON pointers). */
function ruleField (path: string, rowOf: number[]): string | null {
  if (path === '/committeeSize') return requestField('committeeSize')
  if (path === '/tendererRepresentatives') return requestField('tendererRepresentatives')
  const line = /^\/lines\/(\d+)/.exec(path)
  const row = line ? rowOf[Number(line[1])] : undefined
  return row ? lineField(row, 'specialty') : null
}

/** A committee rule broken, in words, beside its field. */
export function ruleProblem (t: Translate, finding: { rule: string, path: string }, input: CreateDrawing, rowOf: number[]): FormProblem {
  const experts = input.lines.reduce((sum, line) => sum + line.count, 0)
  const params = { experts, reps: input.tendererRepresentatives, size: input.committeeSize }
  const key = `drawings.rule.${finding.rule}`
  const words = t(key, params)
  return { field: ruleField(finding.path, rowOf), message: words === key ? t('drawings.rule.other') : words }
}

/** The committee rules the request breaks for this tender, checked before the confirmation. */
export function committeeProblems (t: Translate, read: ReadRequest, context: CommitteeContext): FormProblem[] {
  return committeeFindings(read.input, context).map((finding: RuleFinding) => ruleProblem(t, finding, read.input, read.rowOf))
}

/** The committee rules of a refusal (DRAWING_COMMITTEE_INVALID carries them as `rule: message`). */
export function refusedRules (error: unknown): Array<{ rule: string, path: string }> | null {
  const details = (error as { code?: string, details?: Array<{ path: string, message: string }> }).details
  if ((error as { code?: string }).code !== 'DRAWING_COMMITTEE_INVALID' || !Array.isArray(details)) return null
  return details.map((detail) => ({ rule: detail.message.split(':')[0] ?? '', path: detail.path }))
}

/**
 * An exclusion explained in the page's words, from the facts the rule gave
 * (drawings.recusal.rules.ts); an exclusion recorded without them is shown as the module wrote
 * it, marked as English, beside the rule's words.
 */
export function exclusionWords (t: Translate, exclusion: { rule: string, detail: string, wording?: string, facts?: Record<string, string> }): { rule: string, detail: string | null, english: string | null } {
  const rule = t(`drawings.exclusion.${exclusion.rule}`)
  if (!exclusion.wording || !exclusion.facts) return { rule, detail: null, english: exclusion.detail }
  const facts = { ...exclusion.facts }
  if (facts.party) facts.party = t(`drawings.party.${facts.party}`)
  if (facts.kind) facts.kind = t(`drawings.kind.${facts.kind}`)
  return { rule, detail: t(`drawings.exclusionDetail.${exclusion.wording}`, facts), english: null }
}

export interface LogEntry { at: string, text: string }

/** The room's events in words, newest first; never a name or a pseudonym (the operator reads them too). */
export function eventLog (t: Translate, events: Array<{ type: string, at: string, data: unknown }>): LogEntry[] {
  const entries: LogEntry[] = []
  for (const event of events) {
    if (event.type.endsWith('_names')) continue
    const data = (event.data ?? {}) as Record<string, unknown>
    const line = typeof data.line === 'number' ? data.line + 1 : 0
    const key = `drawings.event.${event.type.replace(/^drawing\./, '')}`
    const why = typeof data.why === 'string' ? t(`drawings.why.${data.why}`) : ''
    const text = t(key, { line, why, serving: String(data.serving ?? ''), needed: String(data.needed ?? ''), recused: String(data.recused ?? '') })
    if (text !== key) entries.push({ at: event.at, text })
  }
  return entries.reverse()
}
