import type { Actor } from '../../lib/actor.ts'
import { canAccess, scopesFor } from '../../lib/policy.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { Clock } from '../../plugins/clock.ts'
import type { Database, Queryable } from '../../plugins/db.ts'
import { DepartmentNotFound } from '../departments/departments.errors.ts'
import { contentProblem, type ItemContent } from './catalogue.content.ts'
import {
  ChangeContentRequired, ChangeContentUnexpected, ChangeDecided, ChangeKindNotAllowed, ChangeNoDifference, ChangeNoteRequired,
  ChangeNotFound, ChangePending, ChangeSelfApproval, ItemChangeRequired, ItemCodeTaken, ItemContentInvalid, ItemFeeUnknown,
  ItemJointDepartmentUnknown, ItemNotFound, ItemRetired, ItemVersionNotFound
} from './catalogue.errors.ts'
import * as repo from './catalogue.repository.ts'
import { changeProblem, containsPattern, sameContent, searchTextOf, type ItemStatus } from './catalogue.rules.ts'
import type {
  ChangeView, CreateItem, DecideChange, ManagedItemSummary, ManagedItemView, PublicItemSummary, PublicItemView, PublicListFilter, RequestChange
} from './catalogue.schemas.ts'

/** What the catalogue needs of other modules: which fee codes have a standard in force, which departments exist. */
export interface CatalogueReferences {
  feeCodesInForce (): Promise<ReadonlySet<string>>
  departmentIds (): Promise<ReadonlySet<string>>
}

export interface CatalogueDeps { db: Database, audit: Audit, clock: Clock, references: CatalogueReferences }

/** One published version of an item, as the cases module files a case under it. */
export interface FilingItem { id: string, code: string, departmentId: string, version: number, content: ItemContent }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function toChangeView (row: repo.ChangeRow, item: { code: string, departmentId: string }, resultVersion: number | null): ChangeView {
  return {
    id: row.id,
    itemId: row.itemId,
    itemCode: item.code,
    departmentId: item.departmentId,
    kind: row.kind,
    status: row.status,
    content: (row.content as ItemContent | null) ?? null,
    reason: row.reason,
    requestedBy: row.requestedBy,
    requestedAt: row.requestedAt.toISOString(),
    decidedBy: row.decidedBy,
    decidedAt: row.decidedAt?.toISOString() ?? null,
    decisionNote: row.decisionNote,
    resultVersion
  }
}

function toPublicView (item: repo.ItemRow, version: repo.VersionRow): PublicItemView {
  return {
    id: item.id,
    code: item.code,
    departmentId: item.departmentId,
    status: item.status === 'retired' ? 'retired' : 'published',
    version: version.version,
    latestVersion: item.currentVersion ?? version.version,
    publishedAt: version.publishedAt.toISOString(),
    content: version.content as ItemContent
  }
}

export function createCatalogueService ({ db, audit, clock, references }: CatalogueDeps) {
  function assertDrafts (actor: Actor, item: { departmentId: string }, id: string) {
    if (!canAccess(actor.principal, 'catalogue.draft', { departmentId: item.departmentId })) throw new ItemNotFound(id)
  }

  /** The rules of the content and the fee items and departments it names (read before any transaction). */
  async function assertPublishable (content: ItemContent, departmentId: string) {
    const problem = contentProblem(content, departmentId)
    if (problem) throw new ItemContentInvalid(problem)
    if (content.fees.length > 0) {
      const inForce = await references.feeCodesInForce()
      const unknown = content.fees.find((fee) => !inForce.has(fee.feeCode))
      if (unknown) throw new ItemFeeUnknown(unknown.feeCode)
    }
    if (content.jointDepartments.length > 0) {
      const existing = await references.departmentIds()
      const unknown = content.jointDepartments.find((id) => !existing.has(id))
      if (unknown) throw new ItemJointDepartmentUnknown(unknown)
    }
  }

  async function managedView (on: Queryable, item: repo.ItemRow): Promise<ManagedItemView> {
    const [versions, pending, current] = await Promise.all([
      repo.versionSummaries(on, item.id),
      repo.pendingChangeOf(on, item.id),
      item.currentVersion === null ? undefined : repo.findVersion(on, item.id, item.currentVersion)
    ])
    const draft = (item.draft as ItemContent | null) ?? null
    const currentContent = (current?.content as ItemContent | undefined) ?? null
    return {
      id: item.id,
      code: item.code,
      departmentId: item.departmentId,
      status: item.status,
      name: currentContent?.name ?? draft?.name ?? '',
      currentVersion: item.currentVersion,
      draft,
      current: currentContent,
      versions: versions.map((version) => ({ version: version.version, publishedAt: version.publishedAt.toISOString(), changeRequestId: version.changeRequestId })),
      pendingChange: pending ? toChangeView(pending, item, null) : null,
      createdBy: item.createdBy,
      createdAt: item.createdAt.toISOString()
    }
  }

  /** A new item: a draft its department edits freely until a publication is approved. */
  async function createItem (actor: Actor, input: CreateItem): Promise<ManagedItemView> {
    if (!canAccess(actor.principal, 'catalogue.draft', { departmentId: input.departmentId })) throw new DepartmentNotFound(input.departmentId)
    if (!(await references.departmentIds()).has(input.departmentId)) throw new DepartmentNotFound(input.departmentId)
    await assertPublishable(input.content, input.departmentId)
    return db.transaction(async (tx) => {
      const item = await repo.insertItem(tx, {
        code: input.code,
        departmentId: input.departmentId,
        status: 'draft',
        draft: input.content,
        createdBy: actor.principal.accountId,
        createdAt: clock.now()
      })
      if (!item) throw new ItemCodeTaken(input.code)
      await audit.append(tx, auditRecord(actor, 'service_item.created', 'service_item', item.id, { code: item.code, departmentId: item.departmentId, name: input.content.name }))
      return managedView(tx, item)
    })
  }

  /** Replaces the draft; a published item changes only through an approved change request. */
  async function updateDraft (actor: Actor, itemId: string, content: ItemContent): Promise<ManagedItemView> {
    const found = await repo.findItem(db, itemId)
    if (!found) throw new ItemNotFound(itemId)
    assertDrafts(actor, found, itemId)
    assertDraftStatus(found.status)
    await assertPublishable(content, found.departmentId)
    return db.transaction(async (tx) => {
      const item = (await repo.findItem(tx, itemId, { forUpdate: true }))!
      assertDraftStatus(item.status)
      if (await repo.pendingChangeOf(tx, itemId)) throw new ChangePending()
      await repo.updateItem(tx, itemId, { draft: content })
      await audit.append(tx, auditRecord(actor, 'service_item.draft_updated', 'service_item', itemId, { name: content.name }))
      return managedView(tx, { ...item, draft: content })
    })
  }

  function assertDraftStatus (status: ItemStatus) {
    if (status === 'published') throw new ItemChangeRequired()
    if (status === 'retired') throw new ItemRetired()
  }

  /** A publication, amendment or retirement for the hall administrator to approve; one open per item. */
  async function requestChange (actor: Actor, itemId: string, input: RequestChange): Promise<ChangeView> {
    const found = await repo.findItem(db, itemId)
    if (!found) throw new ItemNotFound(itemId)
    assertDrafts(actor, found, itemId)
    const assertApplies = (item: repo.ItemRow) => {
      switch (changeProblem(item.status, input.kind, input.content !== undefined)) {
        case 'retired': throw new ItemRetired()
        case 'kind_not_allowed': throw new ChangeKindNotAllowed(input.kind, item.status)
        case 'content_required': throw new ChangeContentRequired()
        case 'content_unexpected': throw new ChangeContentUnexpected()
      }
    }
    assertApplies(found)
    const content = input.kind === 'retire' ? null : input.content ?? (found.draft as ItemContent | null)
    if (content) await assertPublishable(content, found.departmentId)
    return db.transaction(async (tx) => {
      const item = (await repo.findItem(tx, itemId, { forUpdate: true }))!
      assertApplies(item)
      if (await repo.pendingChangeOf(tx, itemId)) throw new ChangePending()
      if (input.kind === 'amend' && item.currentVersion !== null) {
        const current = await repo.findVersion(tx, itemId, item.currentVersion)
        if (current && sameContent(current.content as ItemContent, content!)) throw new ChangeNoDifference()
      }
      const change = await repo.insertChange(tx, {
        itemId,
        kind: input.kind,
        status: 'pending',
        content,
        reason: input.reason,
        requestedBy: actor.principal.accountId,
        requestedAt: clock.now()
      })
      await audit.append(tx, auditRecord(actor, 'service_item.change_requested', 'service_item', itemId, { changeId: change.id, kind: change.kind, reason: change.reason }))
      return toChangeView(change, item, null)
    })
  }

  /**
   * The hall administrator's decision. Four eyes: the requester never approves their own request.
   * An approved publication or amendment adds an immutable version and puts it in force; cases
   * keep the version they were filed under.
   */
  async function decideChange (actor: Actor, changeId: string, input: DecideChange): Promise<ChangeView> {
    const note = input.note?.trim() || null
    const found = await repo.findChange(db, changeId)
    if (!found) throw new ChangeNotFound(changeId)
    const foundItem = (await repo.findItem(db, found.itemId))!
    if (!canAccess(actor.principal, 'catalogue.approve', { departmentId: foundItem.departmentId })) throw new ChangeNotFound(changeId)
    if (found.status !== 'pending') throw new ChangeDecided()
    if (input.approve && found.requestedBy === actor.principal.accountId) throw new ChangeSelfApproval()
    if (!input.approve && !note) throw new ChangeNoteRequired()
    // a fee standard may have ended since the request: check again before it is in force
    if (input.approve && found.content) await assertPublishable(found.content as ItemContent, foundItem.departmentId)
    return db.transaction(async (tx) => {
      const change = (await repo.findChange(tx, changeId, { forUpdate: true }))!
      if (change.status !== 'pending') throw new ChangeDecided()
      const item = (await repo.findItem(tx, change.itemId, { forUpdate: true }))!
      const now = clock.now()
      const decided = { decidedBy: actor.principal.accountId, decidedAt: now, decisionNote: note }
      if (!input.approve) {
        await repo.decideChange(tx, changeId, { status: 'rejected', ...decided })
        await audit.append(tx, auditRecord(actor, 'service_item.change_rejected', 'service_item', item.id, { changeId, kind: change.kind, note }))
        return toChangeView({ ...change, status: 'rejected', ...decided }, item, null)
      }
      let resultVersion: number | null = null
      if (change.kind === 'retire') {
        await repo.updateItem(tx, item.id, { status: 'retired' })
      } else {
        const content = change.content as ItemContent
        resultVersion = await repo.latestVersionNumber(tx, item.id) + 1
        await repo.insertVersion(tx, { itemId: item.id, version: resultVersion, content, changeRequestId: changeId, publishedAt: now })
        await repo.updateItem(tx, item.id, {
          status: 'published',
          currentVersion: resultVersion,
          searchText: searchTextOf(item.code, content),
          ...(change.kind === 'publish' ? { draft: null } : {})
        })
      }
      await repo.decideChange(tx, changeId, { status: 'approved', ...decided })
      await audit.append(tx, auditRecord(actor, 'service_item.change_approved', 'service_item', item.id, { changeId, kind: change.kind, version: resultVersion, note }))
      return toChangeView({ ...change, status: 'approved', ...decided }, item, resultVersion)
    })
  }

  async function getChange (actor: Actor, changeId: string): Promise<ChangeView> {
    const change = UUID.test(changeId) ? await repo.findChange(db, changeId) : undefined
    if (!change) throw new ChangeNotFound(changeId)
    const item = (await repo.findItem(db, change.itemId))!
    if (!canAccess(actor.principal, 'catalogue.draft', { departmentId: item.departmentId })) throw new ChangeNotFound(changeId)
    return toChangeView(change, item, (await repo.versionsMadeBy(db, [changeId])).get(changeId) ?? null)
  }

  /** Change requests of the departments the caller drafts for (every one for the hall). */
  async function listChanges (actor: Actor, filter: { status?: 'pending' | 'approved' | 'rejected', itemId?: string } = {}): Promise<ChangeView[]> {
    const scopes = scopesFor(actor.principal, 'catalogue.draft')
    const rows = await repo.listChanges(db, { departmentIds: scopes?.departmentIds ?? null, ...filter })
    const made = await repo.versionsMadeBy(db, rows.filter((row) => row.change.status === 'approved').map((row) => row.change.id))
    return rows.map((row) => toChangeView(row.change, { code: row.itemCode, departmentId: row.departmentId }, made.get(row.change.id) ?? null))
  }

  async function getManaged (actor: Actor, itemId: string): Promise<ManagedItemView> {
    const item = await repo.findItem(db, itemId)
    if (!item) throw new ItemNotFound(itemId)
    assertDrafts(actor, item, itemId)
    return managedView(db, item)
  }

  /** Items of the departments the caller drafts for, with drafts and open changes. */
  async function listManaged (actor: Actor, filter: { status?: ItemStatus, departmentId?: string } = {}): Promise<ManagedItemSummary[]> {
    const scopes = scopesFor(actor.principal, 'catalogue.draft')
    const items = await repo.listItems(db, { departmentIds: scopes?.departmentIds ?? null, ...filter })
    const [current, pending] = await Promise.all([repo.currentVersions(db, items), repo.pendingChangesOf(db, items.map((item) => item.id))])
    return items.map((item) => {
      const change = pending.find((row) => row.itemId === item.id)
      return {
        id: item.id,
        code: item.code,
        departmentId: item.departmentId,
        status: item.status,
        name: (current.get(item.id)?.content as ItemContent | undefined)?.name ?? (item.draft as ItemContent | null)?.name ?? '',
        currentVersion: item.currentVersion,
        pendingChange: change ? { id: change.id, kind: change.kind } : null
      }
    })
  }

  /** The public catalogue: published items, the version in force, searched by name, legal basis and code. */
  async function listPublished (filter: PublicListFilter = {}): Promise<{ items: PublicItemSummary[], total: number }> {
    const q = filter.q?.trim()
    const { rows, total } = await repo.listPublished(db, {
      pattern: q ? containsPattern(q) : undefined,
      departmentId: filter.departmentId,
      type: filter.type,
      limit: filter.limit ?? 50,
      offset: filter.offset ?? 0
    })
    return {
      total,
      items: rows.map((row) => {
        const content = row.content as ItemContent
        return {
          id: row.id,
          code: row.code,
          departmentId: row.departmentId,
          version: row.version,
          name: content.name,
          type: content.type,
          mode: content.mode,
          promisedWorkingDays: content.promisedWorkingDays,
          visitsNeeded: content.visitsNeeded,
          publishedAt: row.publishedAt.toISOString()
        }
      })
    }
  }

  /** The public guide of the version in force; a draft or a retired item has none. */
  async function publicItem (itemId: string, on: Queryable = db): Promise<PublicItemView> {
    const item = UUID.test(itemId) ? await repo.findItem(on, itemId) : undefined
    if (!item || item.status !== 'published' || item.currentVersion === null) throw new ItemNotFound(itemId)
    return toPublicView(item, (await repo.findVersion(on, item.id, item.currentVersion))!)
  }

  /** Any published version, also of a retired item: old cases link to the version they were filed under. */
  async function publicVersion (itemId: string, version: number, on: Queryable = db): Promise<PublicItemView> {
    const item = UUID.test(itemId) ? await repo.findItem(on, itemId) : undefined
    if (!item) throw new ItemNotFound(itemId)
    const row = await repo.findVersion(on, item.id, version)
    if (!row) throw new ItemVersionNotFound(itemId, version)
    return toPublicView(item, row)
  }

  /** For the cases module: the version in force of a published item (404 ITEM_NOT_FOUND otherwise). */
  async function itemForFiling (itemId: string, on: Queryable = db): Promise<FilingItem> {
    const view = await publicItem(itemId, on)
    return { id: view.id, code: view.code, departmentId: view.departmentId, version: view.version, content: view.content }
  }

  /** For the cases module: any published version of an item. */
  async function itemVersion (itemId: string, version: number, on: Queryable = db): Promise<FilingItem> {
    const view = await publicVersion(itemId, version, on)
    return { id: view.id, code: view.code, departmentId: view.departmentId, version: view.version, content: view.content }
  }

  /** An item by its code, whatever its status, or null. */
  async function findByCode (code: string, on: Queryable = db): Promise<{ id: string, code: string, departmentId: string, status: ItemStatus, currentVersion: number | null } | null> {
    const item = await repo.findItemByCode(on, code)
    return item ? { id: item.id, code: item.code, departmentId: item.departmentId, status: item.status, currentVersion: item.currentVersion } : null
  }

  /** Which of these codes the department has no item for (the delegations of its chief representative). */
  async function unknownItemCodes (departmentId: string, codes: readonly string[]): Promise<string[]> {
    const known = new Set(await repo.itemCodesOf(db, departmentId, codes))
    return codes.filter((code) => !known.has(code))
  }

  return {
    createItem,
    updateDraft,
    requestChange,
    decideChange,
    getChange,
    listChanges,
    getManaged,
    listManaged,
    listPublished,
    publicItem,
    publicVersion,
    itemForFiling,
    itemVersion,
    findByCode,
    unknownItemCodes
  }
}

export type CatalogueService = ReturnType<typeof createCatalogueService>
