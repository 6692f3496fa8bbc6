/** Pure rules of the K-of-N escrow. */

/** Why these parameters make no sense, or null. Two custodians at least, and no single one can open. */
export function parametersProblem (threshold: number, custodians: number, distinct: number): string | null {
  if (distinct !== custodians) return 'each custodian is named once'
  if (custodians < 2 || custodians > 20) return 'an escrow has 2 to 20 custodians'
  if (threshold < 2 || threshold > custodians) return 'the threshold is at least 2 and at most the number of custodians'
  return null
}

/** Reassembly is allowed only from the deadline on, by server time. */
export function mayReassemble (notBefore: Date, now: Date): boolean {
  return now.getTime() >= notBefore.getTime()
}
