/**
 * The fee-version form: what an administrator types (amounts in yuan, formula parameters as
 * lines) checked field by field — every problem in plain words beside its field, ids
 * `<prefix>-<name>` (form-problems.ts) — and turned into the API's FeeVersionInput; and a version
 * turned back into form values.
 *
 * Parameters are entered one per line as
 *   name | label | unit | decimals | min | max
 * of which only name and label are required, e.g. `area | 建筑面积 | 平方米 | 2`.
 */
import { Type } from 'typebox'
import { Value } from 'typebox/value'
import { compileFormula, FormulaError, type FeeParameter } from '../lib/fee-formula.ts'
import { isIsoDate } from '../lib/working-days.ts'
import type { FeeCategory } from '../modules/fees/fees.rules.ts'
import { CreateFeeItemSchema, FeeVersionInputSchema, type FeeVersionInput, type FeeVersionView } from '../modules/fees/fees.schemas.ts'
import type { FormProblem } from './form-problems.ts'
import { checked, FormInvalid, optional } from './forms.ts'
import { yuanInput, yuanToFen } from './fee-format.ts'
import type { Translate } from './i18n.ts'

/** A parameter line that does not follow the syntax; the line number goes into the message. */
export class ParameterLineInvalid extends Error {
  readonly code = 'FEE_PARAMETER_LINE_INVALID'
  readonly statusCode = 400
  readonly messageParams: { line: number }
  constructor (line: number) {
    super(`Parameter line ${line} must read name | label | unit | decimals | min | max`)
    this.name = 'CodedError'
    this.messageParams = { line }
  }
}

/**
 * What a post may carry at most. The fields' own limits (the inputs' maxlength) are checked by
 * versionFormProblems, so a form that got past the browser's checks is answered beside its fields.
 */
const CAP = 10_000
const Text = () => Type.Optional(Type.String({ maxLength: CAP }))

/** Body properties of every form that carries a fee version. */
export const versionFormProperties = {
  name: Type.String({ maxLength: CAP }),
  basis: Type.String({ maxLength: CAP }),
  amount: Text(),
  unitPrice: Text(),
  unitName: Text(),
  quantityScale: Text(),
  formula: Text(),
  parameters: Text(),
  legalBasis: Type.String({ maxLength: CAP }),
  standardDocument: Type.String({ maxLength: CAP }),
  receivingAccount: Type.String({ maxLength: CAP }),
  refundWorkingDays: Text(),
  validFrom: Type.String({ maxLength: CAP }),
  validTo: Text()
}

/** The other fields of the form that creates a fee item. */
export const createItemProperties = {
  code: Type.String({ maxLength: CAP }),
  category: Type.String({ maxLength: CAP }),
  departmentId: Text()
}

export type VersionFormFields = {
  [K in 'name' | 'basis' | 'legalBasis' | 'standardDocument' | 'receivingAccount' | 'validFrom']: string
} & {
  [K in 'amount' | 'unitPrice' | 'unitName' | 'quantityScale' | 'formula' | 'parameters' | 'refundWorkingDays' | 'validTo']?: string
}

const PARAMETER_NAME = /^[a-zA-Z_][a-zA-Z0-9_]{0,31}$/
const DECIMAL = /^-?\d{1,15}(\.\d{1,4})?$/

/** `name | label | unit | decimals | min | max` lines → parameters (full-width bars accepted). */
export function parseParameterLines (text: string | undefined): FeeParameter[] {
  const parameters: FeeParameter[] = []
  const lines = (text ?? '').split(/\r?\n/)
  lines.forEach((raw, index) => {
    if (!raw.trim()) return
    const [name = '', label = '', unit = '', decimals = '', min = '', max = '', ...rest] = raw.split(/[|｜]/).map((part) => part.trim())
    const scale = decimals === '' ? 0 : Number(decimals)
    if (rest.length > 0 || !PARAMETER_NAME.test(name) || !label || label.length > 60 || unit.length > 20 ||
      !Number.isInteger(scale) || scale < 0 || scale > 4 || (min && !DECIMAL.test(min)) || (max && !DECIMAL.test(max))) {
      throw new ParameterLineInvalid(index + 1)
    }
    parameters.push({ name, label, ...(unit ? { unit } : {}), scale, ...(min ? { min } : {}), ...(max ? { max } : {}) })
  })
  return parameters
}

export function parameterLines (parameters: readonly FeeParameter[]): string {
  return parameters.map((parameter) => {
    const parts = [parameter.name, parameter.label, parameter.unit ?? '', String(parameter.scale), parameter.min ?? '', parameter.max ?? '']
    while (parts.length > 2 && parts[parts.length - 1] === '') parts.pop()
    return parts.join(' | ')
  }).join('\n')
}

/**
 * The version a form describes. Only the fields of the chosen basis are read, so values left in
 * the fields of another basis (the form shows them all without JavaScript) do not count.
 */
export function versionInputFromForm (fields: VersionFormFields, category: FeeCategory): FeeVersionInput {
  const standard: Partial<FeeVersionInput> = {}
  switch (fields.basis) {
    case 'fixed':
      standard.amountFen = yuanToFen(fields.amount)
      break
    case 'per_unit':
      standard.unitPriceFen = yuanToFen(fields.unitPrice)
      standard.unitName = optional(fields.unitName)
      standard.quantityScale = Number(optional(fields.quantityScale) ?? '0')
      break
    case 'formula':
      standard.formula = optional(fields.formula)
      standard.parameters = parseParameterLines(fields.parameters)
      break
    default:
      throw new FormInvalid()
  }
  const refundDays = category === 'deposit' ? optional(fields.refundWorkingDays) : undefined
  const validTo = optional(fields.validTo)
  return {
    name: fields.name.trim(),
    basis: fields.basis,
    ...standard,
    legalBasis: fields.legalBasis.trim(),
    standardDocument: fields.standardDocument.trim(),
    receivingAccount: fields.receivingAccount.trim(),
    ...(refundDays ? { refundWorkingDays: Number(refundDays) } : {}),
    validFrom: fields.validFrom.trim(),
    ...(validTo ? { validTo } : {})
  }
}

/** A version as the values of the form that proposes its successor. */
export function versionFormValues (version: FeeVersionView | null | undefined): Partial<Record<keyof VersionFormFields, string>> {
  if (!version) return { basis: 'fixed' }
  return {
    name: version.name,
    basis: version.basis,
    amount: yuanInput(version.amountFen),
    unitPrice: yuanInput(version.unitPriceFen),
    unitName: version.unitName ?? '',
    quantityScale: String(version.quantityScale ?? 0),
    formula: version.formula ?? '',
    parameters: parameterLines(version.parameters),
    legalBasis: version.legalBasis,
    standardDocument: version.standardDocument,
    receivingAccount: version.receivingAccount,
    refundWorkingDays: version.refundWorkingDays === null ? '' : String(version.refundWorkingDays)
  }
}

/** The limits of the text fields, as the inputs' maxlength and the API's schema have them. */
const TEXT_LIMITS = { name: 200, unitName: 20, formula: 500, legalBasis: 1000, standardDocument: 300, receivingAccount: 200 } as const
const MAX_PARAMETERS = 10 // FeeVersionInputSchema: parameters maxItems

/**
 * Every problem of a version form, in the order of its fields, each beside its field (`<prefix>-<name>`).
 * Only the fields of the chosen basis are read, as versionInputFromForm reads them.
 */
export function versionFormProblems (t: Translate, fields: VersionFormFields, category: FeeCategory, prefix: string, today: string): FormProblem[] {
  const problems: FormProblem[] = []
  const add = (name: string, key: string, params?: Record<string, string | number>) => { problems.push({ field: `${prefix}-${name}`, message: t(key, params) }) }
  const text = (name: keyof typeof TEXT_LIMITS, value: string | undefined) => {
    const trimmed = (value ?? '').trim()
    if (!trimmed) add(name, `feeItems.error.${name}`)
    else if (trimmed.length > TEXT_LIMITS[name]) add(name, 'feeItems.error.tooLong', { max: TEXT_LIMITS[name] })
  }
  const amount = (name: 'amount' | 'unitPrice', value: string | undefined) => {
    try {
      yuanToFen(value)
    } catch {
      add(name, 'errors.AMOUNT_INVALID')
    }
  }

  text('name', fields.name)
  switch (fields.basis) {
    case 'fixed':
      amount('amount', fields.amount)
      break
    case 'per_unit':
      amount('unitPrice', fields.unitPrice)
      text('unitName', fields.unitName)
      if (!/^[0-4]$/.test((fields.quantityScale ?? '0').trim() || '0')) add('quantityScale', 'feeItems.error.quantityScale')
      break
    case 'formula':
      problems.push(...formulaProblems(t, fields, prefix))
      break
    default:
      add('basis', 'feeItems.error.basis')
  }
  text('legalBasis', fields.legalBasis)
  text('standardDocument', fields.standardDocument)
  text('receivingAccount', fields.receivingAccount)
  const validFrom = fields.validFrom.trim()
  if (!isIsoDate(validFrom)) add('validFrom', 'feeItems.error.validFrom')
  else if (validFrom < today) add('validFrom', 'feeItems.error.backdated', { today })
  const validTo = optional(fields.validTo)
  if (validTo && !isIsoDate(validTo)) add('validTo', 'feeItems.error.validTo')
  else if (validTo && isIsoDate(validFrom) && validTo <= validFrom) add('validTo', 'feeItems.error.validToOrder')
  const refundDays = category === 'deposit' ? optional(fields.refundWorkingDays) : undefined
  if (refundDays !== undefined && !(/^\d{1,2}$/.test(refundDays) && Number(refundDays) >= 1 && Number(refundDays) <= 60)) add('refundWorkingDays', 'feeItems.error.refundWorkingDays')
  return problems
}

/** The formula and its parameters: each line declared once and well, then the formula over them. */
function formulaProblems (t: Translate, fields: VersionFormFields, prefix: string): FormProblem[] {
  const formulaField = `${prefix}-formula`
  const parametersField = `${prefix}-parameters`
  const problems: FormProblem[] = []
  const formula = (fields.formula ?? '').trim()
  if (!formula) problems.push({ field: formulaField, message: t('feeItems.error.formula') })
  else if (formula.length > TEXT_LIMITS.formula) problems.push({ field: formulaField, message: t('feeItems.error.tooLong', { max: TEXT_LIMITS.formula }) })
  let parameters: FeeParameter[]
  try {
    parameters = parseParameterLines(fields.parameters)
  } catch (error) {
    if (!(error instanceof ParameterLineInvalid)) throw error
    return [...problems, { field: parametersField, message: t('errors.FEE_PARAMETER_LINE_INVALID', error.messageParams) }]
  }
  const lines = (fields.parameters ?? '').split(/\r?\n/).map((line, index) => ({ line, number: index + 1 })).filter(({ line }) => line.trim())
  const seen = new Set<string>()
  for (const [index, parameter] of parameters.entries()) {
    const line = lines[index]!.number
    if (seen.has(parameter.name)) return [...problems, { field: parametersField, message: t('feeItems.error.parameterTwice', { line, name: parameter.name }) }]
    seen.add(parameter.name)
    try {
      compileFormula('0', [parameter]) // the declaration alone: not a function's name, min not above max
    } catch (error) {
      if (!(error instanceof FormulaError)) throw error
      return [...problems, { field: parametersField, message: t('feeItems.error.parameterDeclaration', { line }) }]
    }
  }
  if (parameters.length > MAX_PARAMETERS) return [...problems, { field: parametersField, message: t('feeItems.error.parameterCount', { max: MAX_PARAMETERS }) }]
  if (problems.length > 0) return problems
  try {
    compileFormula(formula, parameters)
  } catch (error) {
    if (!(error instanceof FormulaError)) throw error
    const message = error.position === null ? t('feeItems.error.formulaInvalid') : t('feeItems.error.formulaAt', { column: error.position + 1 })
    return [{ field: formulaField, message }]
  }
  return []
}

/** The version a form describes, once versionFormProblems found none. */
export function versionFromForm (fields: VersionFormFields, category: FeeCategory): FeeVersionInput {
  return checked(FeeVersionInputSchema, versionInputFromForm(fields, category))
}

/** The fields of a new fee item other than its first version: code, category, department. */
export function createItemProblems (t: Translate, body: { code: string, category: string, departmentId?: string | undefined }, departments: { hall: boolean, ids: readonly string[] }): FormProblem[] {
  const problems: FormProblem[] = []
  const code = body.code.trim().toUpperCase()
  if (!code) problems.push({ field: 'new-code', message: t('feeItems.error.codeRequired') })
  else if (!Value.Check(CreateFeeItemSchema.properties.code, code)) problems.push({ field: 'new-code', message: t('feeItems.error.code') })
  if (body.category !== 'non_tax' && body.category !== 'deposit') problems.push({ field: 'new-category', message: t('feeItems.error.category') })
  const department = optional(body.departmentId)
  if (department ? !departments.ids.includes(department) : !departments.hall) problems.push({ field: 'new-department', message: t('feeItems.error.department') })
  return problems
}
