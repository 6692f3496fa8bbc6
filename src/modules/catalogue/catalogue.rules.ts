/**
 * Pure rules of the catalogue: which change applies to which item status, and what search reads.
 *
 *   draft ──publish (approved)──▶ published ──amend (approved)──▶ published (version n+1)
 *                                  published ──retire (approved)──▶ retired
 */
import { canonicalJson } from '../../lib/canonical-json.ts'
import type { CHANGE_KINDS, ITEM_STATUSES } from '../../../schema/index.ts'
import type { ItemContent } from './catalogue.content.ts'

export type ItemStatus = typeof ITEM_STATUSES[number]
export type ChangeKind = typeof CHANGE_KINDS[number]

/** The item status each kind of change applies to. */
export const CHANGE_APPLIES_TO: Record<ChangeKind, ItemStatus> = { publish: 'draft', amend: 'published', retire: 'published' }

export type ChangeProblem = 'retired' | 'kind_not_allowed' | 'content_required' | 'content_unexpected'

/** Why a change of this kind cannot be requested for an item in this status, or null. */
export function changeProblem (status: ItemStatus, kind: ChangeKind, hasContent: boolean): ChangeProblem | null {
  if (status === 'retired') return 'retired'
  if (CHANGE_APPLIES_TO[kind] !== status) return 'kind_not_allowed'
  if (kind === 'amend' && !hasContent) return 'content_required'
  if (kind === 'retire' && hasContent) return 'content_unexpected'
  return null
}

/** Two contents are the same when their canonical JSON is (key order does not matter). */
export function sameContent (a: ItemContent, b: ItemContent): boolean {
  return canonicalJson(a) === canonicalJson(b)
}

/** What the public search matches: the name, the legal basis and the code of the version in force. */
export function searchTextOf (code: string, content: Pick<ItemContent, 'name' | 'legalBasis'>): string {
  return [content.name, content.legalBasis, code].join('\n')
}

/** A user's words as an ILIKE pattern matching them anywhere (%, _ and \ match themselves). */
export function containsPattern (query: string): string {
  return `%${query.replace(/[\\%_]/g, (char) => `\\${char}`)}%`
}
