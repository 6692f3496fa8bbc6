/**
 * The fee-version form: what an administrator types (amounts in yuan, formula parameters as
 * lines) turned into the API's FeeVersionInput, and a version turned back into form values.
 *
 * Parameters are entered one per line as
 *   name | label | unit | decimals | min | max
 * of which only name and label are required, e.g. `area | 建筑面积 | 平方米 | 2`.
 */
import { Type } from 'typebox'
import type { FeeParameter } from '../lib/fee-formula.ts'
import type { FeeCategory } from '../modules/fees/fees.rules.ts'
import type { FeeVersionInput, FeeVersionView } from '../modules/fees/fees.schemas.ts'
import { FormInvalid, optional } from './forms.ts'
import { yuanInput, yuanToFen } from './fee-format.ts'

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

const Text = (maxLength: number) => Type.Optional(Type.String({ maxLength }))

/** Body properties of every form that carries a fee version. */
export const versionFormProperties = {
  name: Type.String({ maxLength: 200 }),
  basis: Type.String({ maxLength: 10 }),
  amount: Text(24),
  unitPrice: Text(24),
  unitName: Text(20),
  quantityScale: Text(1),
  formula: Text(500),
  parameters: Text(2000),
  legalBasis: Type.String({ maxLength: 1000 }),
  standardDocument: Type.String({ maxLength: 300 }),
  receivingAccount: Type.String({ maxLength: 200 }),
  refundWorkingDays: Text(2),
  validFrom: Type.String({ maxLength: 10 }),
  validTo: Text(10)
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
