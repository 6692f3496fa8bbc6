/**
 * A formula fee standard as the public reads it (收费标准): a sentence and, for 差额定率累进, a
 * table of brackets with their rates, instead of the formula's source text. Formulas of any other
 * shape are shown as written (fee-formula.ts formulaShape decides).
 */
import { compileFormula, decimalText, formulaShape, type FeeParameter, type Rational } from '../lib/fee-formula.ts'
import type { Language, Translate } from './i18n.ts'

export interface FeeInWords {
  /** the parameter the fee is charged on, by its label */
  label: string
  sentence: string
  /** one row per bracket; a single rate has none */
  brackets: Array<{ range: string, rate: string }>
  /** the floor, the cap and the rounding, as sentences */
  notes: string[]
}

const percent = (rate: Rational) => `${decimalText({ n: rate.n * 100n, d: rate.d })}%`

/** An amount in the parameter's unit: yuan in whole 万 read as 万元 in Chinese. */
function amount (value: Rational, unit: string | undefined, lang: Language): string {
  const text = decimalText(value)
  if (lang === 'zh-CN' && unit === '元' && value.d === 1n && value.n >= 10_000n && value.n % 10_000n === 0n) return `${value.n / 10_000n}万元`
  const grouped = text.replace(/^(\d+)/, (whole) => Number(whole).toLocaleString('en-US'))
  if (lang === 'zh-CN') return `${grouped}${unit ?? ''}`
  const english = unit === '元' ? 'yuan' : unit
  return `${grouped}${english ? ` ${english}` : ''}`
}

export function feeInWords (formula: string, parameters: readonly FeeParameter[], t: Translate, lang: Language): FeeInWords | null {
  let shape
  try {
    shape = formulaShape(compileFormula(formula, parameters))
  } catch {
    return null // a stored standard always compiles; words are not worth a failed page
  }
  if (!shape) return null
  const parameter = parameters.find((declared) => declared.name === shape.parameter)
  const label = parameter?.label ?? shape.parameter
  const unit = parameter?.unit
  const notes = [
    ...(shape.floor ? [t('fees.words.floor', { amount: amount(shape.floor, '元', lang) })] : []),
    ...(shape.cap ? [t('fees.words.cap', { amount: amount(shape.cap, '元', lang) })] : []),
    t('fees.words.rounding')
  ]
  if (shape.brackets.length === 1) return { label, sentence: t('fees.words.rate', { label, rate: percent(shape.brackets[0]!.rate) }), brackets: [], notes }
  return {
    label,
    sentence: t('fees.words.progressive', { label }),
    brackets: shape.brackets.map((bracket, index) => ({
      range: index === 0
        ? t('fees.words.upTo', { to: amount(bracket.to!, unit, lang) })
        : bracket.to
          ? t('fees.words.between', { from: amount(bracket.from, unit, lang), to: amount(bracket.to, unit, lang) })
          : t('fees.words.above', { from: amount(bracket.from, unit, lang) }),
      rate: percent(bracket.rate)
    })),
    notes
  }
}
