/**
 * Fee standards as pure functions: which version is in force on a date, whether a definition is
 * complete for its basis, and the amount of one notice line. Amounts are bigint fen throughout
 * (formulas are evaluated exactly in src/lib/fee-formula.ts).
 */
import { compileFormula, evaluateFormula, FormulaError, parseParameterValue, perUnitAmount, type FeeParameter } from '../../lib/fee-formula.ts'
import { formatMoney } from '../../lib/money.ts'
import { FeeDefinitionInvalid, FeeInputInvalid } from './fees.errors.ts'

export type FeeCategory = 'non_tax' | 'deposit'
export type FeeBasis = 'fixed' | 'per_unit' | 'formula'

/** The priced part of a version. */
export interface FeeStandard {
  basis: FeeBasis
  amountFen: bigint | null
  unitPriceFen: bigint | null
  unitName: string | null
  quantityScale: number | null
  formula: string | null
  parameters: FeeParameter[]
}

export interface DatedVersion { version: number, status: string, validFrom: string, validTo: string | null }

/** Deposits are refunded within this many working days of the trigger unless the standard says otherwise. */
export const DEFAULT_REFUND_WORKING_DAYS = 5

/**
 * The approved version with the latest start on or before `date`, unless it has ended; of two
 * starting the same day the later-numbered one, which was approved as the correction.
 */
export function versionInForce<V extends DatedVersion> (versions: readonly V[], date: string): V | null {
  let chosen: V | null = null
  for (const version of versions) {
    if (version.status !== 'approved' || version.validFrom > date) continue
    if (!chosen || version.validFrom > chosen.validFrom || (version.validFrom === chosen.validFrom && version.version > chosen.version)) chosen = version
  }
  if (chosen?.validTo && chosen.validTo <= date) return null
  return chosen
}

/** Checks that exactly the fields of the basis are given; returns the normalised standard. */
export function checkStandard (standard: FeeStandard, category: FeeCategory, refundWorkingDays: number | null): FeeStandard & { refundWorkingDays: number | null } {
  const empty = { amountFen: null, unitPriceFen: null, unitName: null, quantityScale: null, formula: null, parameters: [] as FeeParameter[] }
  const refund = category === 'deposit' ? refundWorkingDays ?? DEFAULT_REFUND_WORKING_DAYS : null
  if (category !== 'deposit' && refundWorkingDays !== null) throw new FeeDefinitionInvalid('only deposits have a refund deadline')
  switch (standard.basis) {
    case 'fixed':
      if (standard.amountFen === null || standard.amountFen <= 0n) throw new FeeDefinitionInvalid('a fixed fee needs a positive amountFen')
      return { ...empty, basis: 'fixed', amountFen: standard.amountFen, refundWorkingDays: refund }
    case 'per_unit':
      if (standard.unitPriceFen === null || standard.unitPriceFen <= 0n) throw new FeeDefinitionInvalid('a per-unit fee needs a positive unitPriceFen')
      if (!standard.unitName) throw new FeeDefinitionInvalid('a per-unit fee needs a unitName')
      return { ...empty, basis: 'per_unit', unitPriceFen: standard.unitPriceFen, unitName: standard.unitName, quantityScale: standard.quantityScale ?? 0, refundWorkingDays: refund }
    case 'formula': {
      if (!standard.formula) throw new FeeDefinitionInvalid('a formula fee needs a formula')
      const names = new Set<string>()
      for (const parameter of standard.parameters) {
        if (names.has(parameter.name)) throw new FeeDefinitionInvalid(`parameter ${parameter.name} is declared twice`)
        names.add(parameter.name)
      }
      try {
        compileFormula(standard.formula, standard.parameters)
      } catch (error) {
        if (error instanceof FormulaError) throw new FeeDefinitionInvalid(error.message)
        throw error
      }
      return { ...empty, basis: 'formula', formula: standard.formula, parameters: standard.parameters, refundWorkingDays: refund }
    }
  }
}

export interface LineInputs { quantity?: string, parameters?: Record<string, string> }

export interface PricedLine { amountFen: bigint, detail: string, inputs: Record<string, unknown> }

/** The amount of one line under a standard, with a description of how it was computed. */
export function priceLine (code: string, standard: FeeStandard, inputs: LineInputs): PricedLine {
  try {
    switch (standard.basis) {
      case 'fixed':
        if (inputs.quantity !== undefined || inputs.parameters !== undefined) throw new FeeInputInvalid(code, 'a fixed fee takes no quantity or parameters')
        return { amountFen: standard.amountFen!, detail: '', inputs: {} }
      case 'per_unit': {
        if (inputs.quantity === undefined) throw new FeeInputInvalid(code, 'a quantity is required')
        if (inputs.parameters !== undefined) throw new FeeInputInvalid(code, 'a per-unit fee takes no parameters')
        const amountFen = perUnitAmount(standard.unitPriceFen!, inputs.quantity, standard.quantityScale ?? 0)
        return { amountFen, detail: `${inputs.quantity} ${standard.unitName} × ${formatMoney(standard.unitPriceFen!)}`, inputs: { quantity: inputs.quantity } }
      }
      case 'formula': {
        if (inputs.quantity !== undefined) throw new FeeInputInvalid(code, 'a formula fee takes parameters, not a quantity')
        const values = inputs.parameters ?? {}
        for (const parameter of standard.parameters) {
          if (values[parameter.name] !== undefined) parseParameterValue(parameter, values[parameter.name]!)
        }
        const amountFen = evaluateFormula(compileFormula(standard.formula!, standard.parameters), values)
        const detail = standard.parameters
          .map((parameter) => `${parameter.label} ${values[parameter.name] ?? ''}${parameter.unit ? ` ${parameter.unit}` : ''}`)
          .join('，')
        return { amountFen, detail, inputs: { parameters: values } }
      }
    }
  } catch (error) {
    if (error instanceof FormulaError || error instanceof RangeError) throw new FeeInputInvalid(code, error.message)
    throw error
  }
}
