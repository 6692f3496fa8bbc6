/**
 * Unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from a 31-symbol
 * alphabet (no I, O, S, V, Z); the last is a mod-31 check character over the first 17.
 * Positions 9–17 embed the organisation code (GB 11714) with its own mod-11 check character.
 */
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY'
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
const ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]

export function creditCodeCheckCharacter (first17: string): string | null {
  let sum = 0
  for (let i = 0; i < 17; i++) {
    const value = ALPHABET.indexOf(first17[i] ?? '')
    if (value < 0) return null
    sum += value * (WEIGHTS[i] ?? 0)
  }
  return ALPHABET[(31 - (sum % 31)) % 31] ?? null
}

function organisationCodeValid (code9: string): boolean {
  let sum = 0
  for (let i = 0; i < 8; i++) {
    const value = ALPHABET.indexOf(code9[i] ?? '')
    if (value < 0) return false
    sum += value * (ORG_WEIGHTS[i] ?? 0)
  }
  const check = 11 - (sum % 11)
  const expected = check === 10 ? 'X' : check === 11 ? '0' : String(check)
  return code9[8] === expected
}

export function isValidCreditCode (code: string): boolean {
  if (!/^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/.test(code)) return false
  return creditCodeCheckCharacter(code.slice(0, 17)) === code[17] && organisationCodeValid(code.slice(8, 17))
}
