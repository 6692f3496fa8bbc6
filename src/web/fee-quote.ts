/**
 * The public quote form of /fees: the quantity or the parameters a standard asks for, checked
 * beside their fields in plain words (form-problems.ts) before the fees service prices them —
 * the same limits it applies (fee-formula.ts), said so that the reader knows what to type.
 */
import { FormulaError, parseParameterValue } from '../lib/fee-formula.ts'
import { FeeLineInputSchema, type FeeLineInput, type FeeStandardView } from '../modules/fees/fees.schemas.ts'
import type { FormProblem } from './form-problems.ts'
import { checked } from './forms.ts'
import type { Translate } from './i18n.ts'

export const PARAMETER_PREFIX = 'param_'
const DECIMAL = /^-?(\d{1,15})(?:\.(\d+))?$/

/** The id of the field of a parameter (standards.eta). */
export const parameterField = (name: string) => `quote-${name}`

/** The decimal places a number typed has (trailing zeros carry none: "3.00" is 3). */
function decimalsOf (text: string): number {
  return (DECIMAL.exec(text)?.[2] ?? '').replace(/0+$/, '').length
}

/** What is wrong with the values typed for a standard, each beside its field. */
export function quoteProblems (t: Translate, standard: FeeStandardView, values: Record<string, string>): FormProblem[] {
  if (standard.basis === 'per_unit') {
    const quantity = (values.quantity ?? '').trim()
    const scale = standard.quantityScale ?? 0
    const field = 'quote-quantity'
    if (!quantity) return [{ field, message: t('fees.error.quantityRequired', { unit: standard.unitName ?? '' }) }]
    const valid = DECIMAL.test(quantity) && !quantity.startsWith('-') && decimalsOf(quantity) <= scale && /[1-9]/.test(quantity)
    return valid ? [] : [{ field, message: scale === 0 ? t('fees.error.quantityWhole') : t('fees.error.quantityDecimals', { count: scale }) }]
  }
  if (standard.basis !== 'formula') return []
  return standard.parameters.flatMap((parameter): FormProblem[] => {
    const value = (values[PARAMETER_PREFIX + parameter.name] ?? '').trim()
    const field = parameterField(parameter.name)
    const unit = parameter.unit ?? ''
    if (!value) return [{ field, message: t('fees.error.parameterRequired', { label: parameter.label }) }]
    try {
      parseParameterValue(parameter, value)
      return []
    } catch (error) {
      if (!(error instanceof FormulaError)) throw error
    }
    if (!DECIMAL.test(value)) return [{ field, message: t('fees.error.parameterNumber', { label: parameter.label }) }]
    if (decimalsOf(value) > parameter.scale) {
      return [{ field, message: parameter.scale === 0 ? t('fees.error.parameterWhole', { label: parameter.label }) : t('fees.error.parameterDecimals', { label: parameter.label, count: parameter.scale }) }]
    }
    const min = parameter.min ?? '0'
    return [{ field, message: parameter.max ? t('fees.error.parameterRange', { label: parameter.label, min, max: parameter.max, unit }) : t('fees.error.parameterMin', { label: parameter.label, min, unit }) }]
  })
}

/** The line the fees service prices, from the values of the quote form (checked by quoteProblems). */
export function quoteLine (standard: FeeStandardView, values: Record<string, string>): FeeLineInput {
  const line: Record<string, unknown> = { code: standard.code }
  if (standard.basis === 'per_unit') line.quantity = (values.quantity ?? '').trim()
  if (standard.basis === 'formula') {
    line.parameters = Object.fromEntries(standard.parameters
      .map((parameter) => [parameter.name, (values[PARAMETER_PREFIX + parameter.name] ?? '').trim()] as const)
      .filter(([, value]) => value !== ''))
  }
  return checked(FeeLineInputSchema, line)
}
