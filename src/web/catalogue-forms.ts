/**
 * The catalogue's forms, checked where they are filled in. An item's content is edited as the JSON
 * the API takes (officials start from a filled-in example), so a refusal says in plain words where
 * in that JSON the problem is — the field's name and its key — and what to write there; never the
 * parser's or the schema's own message.
 */
import { Value } from 'typebox/value'
import { contentProblem, ItemContentSchema, type ItemContent } from '../modules/catalogue/catalogue.content.ts'
import { ItemCode } from '../modules/catalogue/catalogue.schemas.ts'
import type { Translate } from './i18n.ts'

/** A filled-in example for a new item: officials start from a valid content, not a blank box. */
export function exampleContent (): ItemContent {
  return {
    name: '事项名称',
    type: 'licence',
    legalBasis: '《法律法规名称》第 X 条',
    procedure: [{ title: '申请' }, { title: '受理' }, { title: '审查' }, { title: '决定' }, { title: '送达' }],
    conditions: ['申请条件一'],
    materials: [{ code: 'M1', name: '申请书', form: 'original', copies: 1, required: true }],
    statutoryWorkingDays: 20,
    promisedWorkingDays: 10,
    progress: '可凭办件编号和查询码在线查询办理进度',
    fees: [],
    feeStandard: '不收费',
    feeBasis: '无',
    payBeforeResult: false,
    mode: 'promised',
    jointDepartments: [],
    agencyWindow: false,
    visitsNeeded: 1,
    resultKind: 'certificate'
  }
}

/** At most this many problems of one content are listed: the first ones lead to the rest. */
const MAX_PROBLEMS = 8

/** The limits of the form's text fields (the inputs carry the same maxlength). */
export const REASON_MAX = 1000
export const NOTE_MAX = 1000

/** The item code as the form takes it (any case, spaces around ignored), or null when it is none. */
export function itemCodeOf (text: string): string | null {
  const code = text.trim().toUpperCase()
  return Value.Check(ItemCode, code) ? code : null
}

/**
 * The content read, or its problems: 400 when it is not an item's content at all, 422 when it
 * is one that breaks the catalogue's rules (as the service answers).
 */
export type ReadContent = { content: ItemContent, problems?: undefined, status?: undefined } | { content?: undefined, problems: string[], status: 400 | 422 }

/**
 * The content typed into the form, or what is wrong with it, one sentence each: the JSON itself,
 * then its shape, then (when the item's department is known) the catalogue's publishing rules.
 */
export function readContent (t: Translate, text: string, departmentId: string | null): ReadContent {
  if (text.trim() === '') return { problems: [t('catalogue.content.required')], status: 400 }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return { problems: [jsonProblem(t, text, (error as Error).message)], status: 400 }
  }
  if (!Value.Check(ItemContentSchema, value)) return { problems: shapeProblems(t, value), status: 400 }
  const rule = departmentId ? contentProblem(value, departmentId) : null
  if (rule) return { problems: [t(RULE_WORDS[rule] ?? 'catalogue.content.rule.other')], status: 422 }
  return { content: value }
}

/** Where the parser stopped, as a line and column people can find in the text box. */
function jsonProblem (t: Translate, text: string, parserMessage: string): string {
  const position = /position (\d+)/.exec(parserMessage)?.[1]
  const lineColumn = /line (\d+) column (\d+)/.exec(parserMessage)
  if (lineColumn) return t('catalogue.content.jsonAt', { line: lineColumn[1]!, column: lineColumn[2]! })
  if (position !== undefined) {
    const before = text.slice(0, Number(position)).split('\n')
    return t('catalogue.content.jsonAt', { line: before.length, column: before[before.length - 1]!.length + 1 })
  }
  return t(/end of JSON/i.test(parserMessage) ? 'catalogue.content.jsonEnds' : 'catalogue.content.json')
}

/** The catalogue's rules (catalogue.content.ts contentProblem) in the reader's words. */
const RULE_WORDS: Record<string, string> = {
  'material codes repeat': 'catalogue.content.rule.materialCodes',
  'an instant item is promised in 0 working days': 'catalogue.content.rule.instant',
  'a promised item needs at least 1 working day': 'catalogue.content.rule.promised',
  'the promised limit exceeds the statutory limit': 'catalogue.content.rule.statutory',
  'the major-project limit must be shorter than the promised limit': 'catalogue.content.rule.majorProject',
  'the item\'s own department is not a participating department': 'catalogue.content.rule.ownDepartment',
  'participating departments repeat': 'catalogue.content.rule.jointRepeat',
  'fees need their standard': 'catalogue.content.rule.feeStandard'
}

/** The keys of the content and of its list items that have a name in the catalogue (catalogue.field.*). */
const LISTS = new Set(['procedure', 'conditions', 'materials', 'fees', 'jointDepartments'])

/** A key as people read it: its name and, to find it in the text, the key itself. */
function fieldName (t: Translate, key: string, list?: string): string {
  const messageKey = list ? `catalogue.field.${list}.${key}` : `catalogue.field.${key}`
  const name = t(messageKey)
  return name === messageKey ? t('catalogue.content.unknownKey', { key }) : t('catalogue.content.key', { name, key })
}

/** "申请材料（materials）第 1 项的“材料形式”（form）" for /materials/0/form. */
function whereIs (t: Translate, path: string): string {
  const parts = path.split('/').slice(1)
  if (parts.length === 0) return t('catalogue.content.root')
  const [top, index, key] = parts as [string, string | undefined, string | undefined]
  if (!LISTS.has(top) || index === undefined) return fieldName(t, top)
  const item = t('catalogue.content.item', { list: fieldName(t, top), number: Number(index) + 1 })
  return key === undefined ? item : t('catalogue.content.of', { item, field: fieldName(t, key, top) })
}

/** The schema's findings as sentences saying what to write where. */
function shapeProblems (t: Translate, value: unknown): string[] {
  const problems: string[] = []
  for (const issue of Value.Errors(ItemContentSchema, value)) {
    const where = whereIs(t, issue.instancePath)
    const params = issue.params as { requiredProperties?: string[], additionalProperties?: string[], type?: string, limit?: number }
    const path = issue.instancePath.split('/').slice(1)
    const list = LISTS.has(path[0] ?? '') && path.length >= 2 ? path[0] : undefined
    switch (issue.keyword) {
      case 'required':
        for (const key of params.requiredProperties ?? []) problems.push(t('catalogue.content.missing', { where, field: fieldName(t, key, list) }))
        break
      case 'additionalProperties':
        for (const key of params.additionalProperties ?? []) problems.push(t('catalogue.content.unexpected', { where, key }))
        break
      case 'boolean':
        // the same unexpected key again, as the closed object's schema `false` (reported above)
        break
      case 'type':
        problems.push(t(`catalogue.content.type.${params.type === 'number' ? 'integer' : params.type ?? 'object'}`, { where }))
        break
      case 'minLength': problems.push(t('catalogue.content.empty', { where })); break
      case 'maxLength': problems.push(t('catalogue.content.tooLong', { where, limit: params.limit ?? 0 })); break
      case 'minimum': problems.push(t('catalogue.content.minimum', { where, limit: params.limit ?? 0 })); break
      case 'maximum': problems.push(t('catalogue.content.maximum', { where, limit: params.limit ?? 0 })); break
      case 'minItems': problems.push(t('catalogue.content.minItems', { where, limit: params.limit ?? 0 })); break
      case 'maxItems': problems.push(t('catalogue.content.maxItems', { where, limit: params.limit ?? 0 })); break
      case 'pattern':
      case 'format':
        problems.push(t(patternWords(path), { where }))
        break
      default:
        // enum, const, anyOf: a value not among those allowed (the guide beside the box lists them)
        problems.push(t('catalogue.content.choice', { where }))
    }
  }
  return [...new Set(problems)].slice(0, MAX_PROBLEMS)
}

function patternWords (path: string[]): string {
  if (path[0] === 'fees') return 'catalogue.content.pattern.feeCode'
  if (path[0] === 'materials') return 'catalogue.content.pattern.materialCode'
  if (path[0] === 'jointDepartments') return 'catalogue.content.pattern.department'
  return 'catalogue.content.pattern.other'
}

/** The content's enumerated values, for the guide beside the text box: key → [value, message key]. */
export const CONTENT_CHOICES: Array<{ key: string, values: Array<[string, string]> }> = [
  { key: 'type', values: [['licence', 'catalogue.type.licence'], ['benefit', 'catalogue.type.benefit'], ['other_power', 'catalogue.type.other_power'], ['public_service', 'catalogue.type.public_service']] },
  { key: 'mode', values: [['instant', 'catalogue.mode.instant'], ['promised', 'catalogue.mode.promised']] },
  { key: 'resultKind', values: [['certificate', 'catalogue.result.certificate'], ['decision', 'catalogue.result.decision']] },
  { key: 'materials.form', values: [['original', 'catalogue.form.original'], ['copy', 'catalogue.form.copy'], ['original_and_copy', 'catalogue.form.original_and_copy'], ['electronic', 'catalogue.form.electronic']] }
]
