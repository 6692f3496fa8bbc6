/**
 * A refused bank statement names its bad lines, each with what is wrong in a fixed English
 * sentence (reconciliation.rules.ts, lib/csv.ts, reconciliation.service.ts for duplicates). Each
 * sentence is one kind of problem; here each kind has a key in the catalogues (`statements.lineError.*`)
 * and the parameters it carries, so the page and its upload script say it in the reader's
 * language, keep the line number, and never show the sentence itself.
 */
import type { Translate } from './i18n.ts'

const LINE_PROBLEMS: Array<{ pattern: RegExp, key: string, params?: string[] }> = [
  { pattern: /^expected (\d+) fields, found (\d+)$/, key: 'fieldCount', params: ['expected', 'found'] },
  { pattern: /^the header must be /, key: 'header' },
  { pattern: /^txn_id must be /, key: 'txnId' },
  { pattern: /^booked_at must be /, key: 'bookedAt' },
  { pattern: /^booked_at is not on the statement day (\d{4}-\d{2}-\d{2})$/, key: 'bookedDay', params: ['date'] },
  { pattern: /^direction must be /, key: 'direction' },
  { pattern: /^amount must be /, key: 'amount' },
  { pattern: /^payment_code is not /, key: 'paymentCode' },
  { pattern: /^counterparty_account is required/, key: 'account' },
  { pattern: /^counterparty_name or memo is too long$/, key: 'nameTooLong' },
  { pattern: /^the statement is empty/, key: 'empty' },
  { pattern: /^txn_id (.+) appears more than once$/, key: 'duplicate', params: ['txn'] },
  { pattern: /^record longer than (\d+) bytes$/, key: 'recordTooLong', params: ['bytes'] },
  { pattern: /^unterminated quoted field (\d+)$/, key: 'unterminated', params: ['field'] },
  { pattern: /^text after the closing quote of field (\d+)$/, key: 'afterQuote', params: ['field'] },
  { pattern: /^quote inside unquoted field (\d+)$/, key: 'strayQuote', params: ['field'] }
]

/** What is wrong with one line, in words; a sentence not known here reads as "the line is malformed". */
export function lineProblemWords (t: Translate, message: string): string {
  for (const { pattern, key, params = [] } of LINE_PROBLEMS) {
    const match = pattern.exec(message)
    if (match) return t(`statements.lineError.${key}`, Object.fromEntries(params.map((name, index) => [name, match[index + 1]!])))
  }
  return t('statements.lineError.other')
}

/** The same table for the upload script: each pattern's source, its words (with {placeholders}) and their names. */
export function lineProblemTemplates (t: Translate): { known: Array<{ pattern: string, words: string, params: string[] }>, other: string } {
  return {
    known: LINE_PROBLEMS.map(({ pattern, key, params = [] }) => ({ pattern: pattern.source, words: t(`statements.lineError.${key}`), params })),
    other: t('statements.lineError.other')
  }
}

/** A problem+json `errors` entry (`{ path: 'line 7', message }`) as the page lists it: the line, and the words. */
export function lineErrorOf (t: Translate, detail: { path?: string, message?: string }): { line: string, words: string } {
  const line = /^line (\d+)$/.exec(detail.path ?? '')?.[1]
  return { line: line ? t('statements.line', { line }) : '', words: lineProblemWords(t, String(detail.message ?? '')) }
}
