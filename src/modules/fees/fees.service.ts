import type { Actor } from '../../lib/actor.ts'
import type { FeeParameter } from '../../lib/fee-formula.ts'
import { canAccess } from '../../lib/policy.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { Calendar } from '../../plugins/calendar.ts'
import type { Clock } from '../../plugins/clock.ts'
import type { Database, Queryable } from '../../plugins/db.ts'
import {
  FeeCodeTaken, FeeDefinitionInvalid, FeeInputInvalid, FeeItemNotFound, FeeNotInForce, FeeSelfApproval, FeeVersionBackdated,
  FeeVersionDecided, FeeVersionNotFound, FeeVersionPending, FeeVersionRetroactive
} from './fees.errors.ts'
import { DepartmentNotFound } from '../departments/departments.errors.ts'
import * as repo from './fees.repository.ts'
import { checkStandard, priceLine, versionInForce, type FeeCategory } from './fees.rules.ts'
import type {
  CreateFeeItem, DecideVersion, FeeItemView, FeeLineInput, FeeStandardView, FeeVersionInput, FeeVersionView
} from './fees.schemas.ts'

export interface FeesDeps {
  db: Database
  audit: Audit
  clock: Clock
  calendar: Calendar
  /** whether a department exists (the departments module owns them) */
  departmentExists: (departmentId: string) => Promise<boolean>
}

/** A notice line priced under the version in force. */
export interface QuotedLine {
  code: string
  name: string
  versionId: string
  category: FeeCategory
  detail: string
  inputs: Record<string, unknown>
  amountFen: bigint
  receivingAccount: string
  refundWorkingDays: number | null
}

function toVersionView (row: repo.FeeVersionRow): FeeVersionView {
  return {
    id: row.id,
    version: row.version,
    status: row.status,
    name: row.name,
    basis: row.basis,
    amountFen: row.amountFen === null ? null : Number(row.amountFen),
    unitPriceFen: row.unitPriceFen === null ? null : Number(row.unitPriceFen),
    unitName: row.unitName,
    quantityScale: row.quantityScale,
    formula: row.formula,
    parameters: row.parameters as FeeParameter[],
    legalBasis: row.legalBasis,
    standardDocument: row.standardDocument,
    receivingAccount: row.receivingAccount,
    refundWorkingDays: row.refundWorkingDays,
    validFrom: row.validFrom,
    validTo: row.validTo,
    proposedBy: row.proposedBy,
    proposedAt: row.proposedAt.toISOString(),
    decidedBy: row.decidedBy,
    decidedAt: row.decidedAt?.toISOString() ?? null,
    decisionNote: row.decisionNote
  }
}

export function createFeesService ({ db, audit, clock, calendar, departmentExists }: FeesDeps) {
  function assertManages (actor: Actor, item: { departmentId: string | null }, id: string) {
    if (!canAccess(actor.principal, 'fees.manage', { departmentId: item.departmentId })) throw new FeeItemNotFound(id)
  }

  function versionValues (item: repo.FeeItemRow, input: FeeVersionInput, version: number, actor: Actor) {
    const standard = checkStandard({
      basis: input.basis,
      amountFen: input.amountFen === undefined ? null : BigInt(input.amountFen),
      unitPriceFen: input.unitPriceFen === undefined ? null : BigInt(input.unitPriceFen),
      unitName: input.unitName ?? null,
      quantityScale: input.quantityScale ?? null,
      formula: input.formula ?? null,
      parameters: (input.parameters ?? []) as FeeParameter[]
    }, item.category, input.refundWorkingDays ?? null)
    if (input.validTo && input.validTo <= input.validFrom) throw new FeeDefinitionInvalid('validTo must be after validFrom')
    // approval refuses a start in the past (FEE_VERSION_RETROACTIVE), so such a proposal could only
    // wait to be rejected, blocking every later one meanwhile: it is refused here instead
    const today = calendar.today()
    if (input.validFrom < today) throw new FeeVersionBackdated(today, input.validFrom)
    return {
      feeItemId: item.id,
      version,
      status: 'proposed' as const,
      name: input.name,
      ...standard,
      legalBasis: input.legalBasis,
      standardDocument: input.standardDocument,
      receivingAccount: input.receivingAccount,
      validFrom: input.validFrom,
      validTo: input.validTo ?? null,
      proposedBy: actor.principal.accountId,
      proposedAt: clock.now()
    }
  }

  async function getItem (actor: Actor | null, feeItemId: string, on: Queryable = db): Promise<FeeItemView> {
    const item = await repo.findItem(on, feeItemId)
    if (!item) throw new FeeItemNotFound(feeItemId)
    if (actor) assertManages(actor, item, feeItemId)
    const versions = await repo.versionsOf(on, [item.id])
    const inForce = versionInForce(versions, calendar.today())
    return {
      id: item.id,
      code: item.code,
      category: item.category,
      departmentId: item.departmentId,
      inForce: inForce ? toVersionView(inForce) : null,
      versions: versions.map(toVersionView)
    }
  }

  /** A new fee item; its first version awaits approval like every later one. */
  async function createItem (actor: Actor, input: CreateFeeItem): Promise<FeeItemView> {
    if (!canAccess(actor.principal, 'fees.manage', { departmentId: input.departmentId ?? null })) throw new FeeItemNotFound(input.code)
    if (input.departmentId && !await departmentExists(input.departmentId)) throw new DepartmentNotFound(input.departmentId)
    return db.transaction(async (tx) => {
      const item = await repo.insertItem(tx, {
        code: input.code, category: input.category, departmentId: input.departmentId ?? null, createdBy: actor.principal.accountId, createdAt: clock.now()
      })
      if (!item) throw new FeeCodeTaken(input.code)
      const version = await repo.insertVersion(tx, versionValues(item, input.version, 1, actor))
      await audit.append(tx, auditRecord(actor, 'fee_item.created', 'fee_item', item.id, { code: item.code, category: item.category, departmentId: item.departmentId }))
      await audit.append(tx, auditRecord(actor, 'fee_item.version_proposed', 'fee_item', item.id, { version: 1, versionId: version.id, name: version.name }))
      return getItem(null, item.id, tx)
    })
  }

  async function proposeVersion (actor: Actor, feeItemId: string, input: FeeVersionInput): Promise<FeeItemView> {
    return db.transaction(async (tx) => {
      const item = await repo.findItem(tx, feeItemId, { forUpdate: true })
      if (!item) throw new FeeItemNotFound(feeItemId)
      assertManages(actor, item, feeItemId)
      const versions = await repo.versionsOf(tx, [item.id])
      if (versions.some((version) => version.status === 'proposed')) throw new FeeVersionPending()
      const number = await repo.latestVersionNumber(tx, item.id) + 1
      const version = await repo.insertVersion(tx, versionValues(item, input, number, actor))
      await audit.append(tx, auditRecord(actor, 'fee_item.version_proposed', 'fee_item', item.id, { version: number, versionId: version.id, name: version.name }))
      return getItem(null, item.id, tx)
    })
  }

  /** Four eyes: the approver is not the proposer, and a standard never takes effect in the past. */
  async function decideVersion (actor: Actor, versionId: string, input: DecideVersion): Promise<FeeItemView> {
    return db.transaction(async (tx) => {
      const version = await repo.findVersion(tx, versionId, { forUpdate: true })
      if (!version) throw new FeeVersionNotFound(versionId)
      const item = (await repo.findItem(tx, version.feeItemId))!
      if (!canAccess(actor.principal, 'fees.approve', { departmentId: item.departmentId })) throw new FeeVersionNotFound(versionId)
      if (version.status !== 'proposed') throw new FeeVersionDecided()
      if (version.proposedBy === actor.principal.accountId) throw new FeeSelfApproval()
      if (input.decision === 'approve' && version.validFrom < calendar.today()) throw new FeeVersionRetroactive(version.validFrom)
      const status = input.decision === 'approve' ? 'approved' as const : 'rejected' as const
      await repo.decideVersion(tx, version.id, { status, decidedBy: actor.principal.accountId, decidedAt: clock.now(), decisionNote: input.note ?? null })
      await audit.append(tx, auditRecord(actor, `fee_item.version_${status}`, 'fee_item', item.id, { version: version.version, versionId, note: input.note ?? null }))
      return getItem(null, item.id, tx)
    })
  }

  /** Items the caller manages, with every version. */
  async function listManaged (actor: Actor): Promise<FeeItemView[]> {
    const items = (await repo.allItems(db)).filter((item) => canAccess(actor.principal, 'fees.manage', { departmentId: item.departmentId }))
    const versions = await repo.versionsOf(db, items.map((item) => item.id))
    const today = calendar.today()
    return items.map((item) => {
      const own = versions.filter((version) => version.feeItemId === item.id)
      const inForce = versionInForce(own, today)
      return { id: item.id, code: item.code, category: item.category, departmentId: item.departmentId, inForce: inForce ? toVersionView(inForce) : null, versions: own.map(toVersionView) }
    })
  }

  /** The public fee standards in force on a date (default today). */
  async function listStandards (on?: string): Promise<FeeStandardView[]> {
    const date = on ?? calendar.today()
    const items = await repo.allItems(db)
    const versions = await repo.versionsOf(db, items.map((item) => item.id))
    const standards: FeeStandardView[] = []
    for (const item of items) {
      const version = versionInForce(versions.filter((row) => row.feeItemId === item.id), date)
      if (!version) continue
      const view = toVersionView(version)
      standards.push({
        code: item.code,
        category: item.category,
        departmentId: item.departmentId,
        version: view.version,
        name: view.name,
        basis: view.basis,
        amountFen: view.amountFen,
        unitPriceFen: view.unitPriceFen,
        unitName: view.unitName,
        quantityScale: view.quantityScale,
        formula: view.formula,
        parameters: view.parameters,
        legalBasis: view.legalBasis,
        standardDocument: view.standardDocument,
        receivingAccount: view.receivingAccount,
        refundWorkingDays: view.refundWorkingDays,
        validFrom: view.validFrom,
        validTo: view.validTo
      })
    }
    return standards
  }

  /** Prices notice lines under the versions in force on `on`. */
  async function quote (lines: FeeLineInput[], on: string = calendar.today(), tx: Queryable = db): Promise<QuotedLine[]> {
    const codes = [...new Set(lines.map((line) => line.code))]
    const items = await repo.findItemsByCode(tx, codes)
    const versions = await repo.versionsOf(tx, items.map((item) => item.id))
    return lines.map((line) => {
      const item = items.find((candidate) => candidate.code === line.code)
      const version = item && versionInForce(versions.filter((row) => row.feeItemId === item.id), on)
      if (!item || !version) throw new FeeNotInForce(line.code, on)
      const priced = priceLine(line.code, { ...version, parameters: version.parameters as FeeParameter[] }, line)
      if (priced.amountFen <= 0n) throw new FeeInputInvalid(line.code, 'the computed amount is not positive')
      return {
        code: item.code,
        name: version.name,
        versionId: version.id,
        category: item.category,
        detail: priced.detail,
        inputs: priced.inputs,
        amountFen: priced.amountFen,
        receivingAccount: version.receivingAccount,
        refundWorkingDays: version.refundWorkingDays
      }
    })
  }

  /** Deposits: the refund allowance of the version a notice line was priced under. */
  async function refundWorkingDaysOf (versionId: string, on: Queryable = db): Promise<number | null> {
    return (await repo.findVersion(on, versionId))?.refundWorkingDays ?? null
  }

  return { createItem, proposeVersion, decideVersion, getItem, listManaged, listStandards, quote, refundWorkingDaysOf }
}

export type FeesService = ReturnType<typeof createFeesService>
