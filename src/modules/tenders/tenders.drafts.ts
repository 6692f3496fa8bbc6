/**
 * Drafting a tender: the draft's values checked against its project (lots, escrow, decryption
 * window, opening fields, K) and its fees priced, on creation and on every edit until publication.
 */
import type { Actor } from '../../lib/actor.ts'
import { coefficientChoices } from '../../lib/commit-reveal.ts'
import { auditRecord } from '../../plugins/audit.ts'
import type { ProjectRow } from '../projects/projects.repository.ts'
import { DecryptionWindowTooShort, FeeItemUnsuitable, TenderInvalid, TenderStateInvalid } from './tenders.errors.ts'
import * as repo from './tenders.repository.ts'
import { MANDATORY_MIN_DECRYPTION_MINUTES, bondFeeLine } from './tenders.rules.ts'
import type { CreateTender, TenderInput, TenderView } from './tenders.schemas.ts'
import type { TenderReads, TendersDeps } from './tenders.service.ts'

export type TenderDraftsDeps = Pick<TendersDeps, 'db' | 'audit' | 'projects' | 'fees'> & Pick<TenderReads, 'view' | 'ownTender'>

export function createTenderDrafts ({ db, audit, projects, fees, view, ownTender }: TenderDraftsDeps) {
  /** Prices the fees a tender names now, so a wrong fee item is refused when the draft is saved. */
  async function priceFees (input: TenderInput): Promise<{ documentFeeFen: bigint | null }> {
    if (input.bond) {
      const [line] = await fees.quote([bondFeeLine(input.bond.feeCode, BigInt(input.bond.amountFen))])
      if (line!.category !== 'deposit' || line!.amountFen !== BigInt(input.bond.amountFen)) {
        throw new FeeItemUnsuitable(`Fee item ${input.bond.feeCode} does not price a bid bond of ${input.bond.amountFen} fen (it must be a deposit item whose formula is its amount parameter)`)
      }
    }
    if (!input.documentFeeCode) return { documentFeeFen: null }
    const [line] = await fees.quote([{ code: input.documentFeeCode }])
    if (line!.category !== 'non_tax') throw new FeeItemUnsuitable(`Fee item ${input.documentFeeCode} is not a fee (it is a deposit)`)
    return { documentFeeFen: line!.amountFen }
  }

  function draftValues (input: TenderInput, project: ProjectRow, lots: Array<{ number: number, estimateFen: bigint }>) {
    const chosen = input.lots ?? []
    const unknown = chosen.filter((number) => !lots.some((lot) => lot.number === number))
    if (unknown.length > 0) throw new TenderInvalid(`The project has no lot ${unknown.join(', ')}`)
    const estimateFen = chosen.length > 0 ? lots.filter((lot) => chosen.includes(lot.number)).reduce((sum, lot) => sum + lot.estimateFen, 0n) : project.estimateFen
    if (input.escrow && (input.escrow.threshold > input.escrow.custodians.length || new Set(input.escrow.custodians).size !== input.escrow.custodians.length)) {
      throw new TenderInvalid('The escrow needs distinct custodians, at least as many as its threshold')
    }
    const decryptionMinutes = input.decryptionMinutes ?? 60
    if (project.mandatoryTendering && decryptionMinutes < MANDATORY_MIN_DECRYPTION_MINUTES) throw new DecryptionWindowTooShort(MANDATORY_MIN_DECRYPTION_MINUTES)
    const keys = input.openingFields.map((field) => field.key)
    if (new Set(keys).size !== keys.length) throw new TenderInvalid('Opening field keys must be distinct')
    if (input.evaluationMethod.coefficientK) {
      try {
        coefficientChoices(input.evaluationMethod.coefficientK)
      } catch {
        throw new TenderInvalid('The coefficient K needs min ≤ max with (max − min) a multiple of step')
      }
    }
    return {
      lots: chosen,
      title: input.title,
      estimateFen,
      priceCeilingFen: project.priceCeilingFen,
      announcement: input.announcement,
      documentsFrom: new Date(input.documentsFrom),
      saleUntil: new Date(input.saleUntil),
      bidDeadline: new Date(input.bidDeadline),
      bondFen: BigInt(input.bond?.amountFen ?? 0),
      bondFeeCode: input.bond?.feeCode ?? null,
      documentFeeCode: input.documentFeeCode ?? null,
      maxBidBytes: (input.maxBidMegabytes ?? 200) * 1024 * 1024,
      openingFields: input.openingFields,
      evaluationMethod: input.evaluationMethod,
      decryptionMinutes,
      escrowPlan: input.escrow ?? null
    }
  }

  async function createTender (actor: Actor, input: CreateTender): Promise<TenderView> {
    const project = await projects.ownProject(actor, input.projectId)
    if (project.status !== 'accepted') throw new TenderInvalid('The hall has not accepted the project into the trading schedule yet')
    const lots = await projects.lotsOf(project.id)
    const values = draftValues(input, project, lots)
    const { documentFeeFen } = await priceFees(input)
    return db.transaction(async (tx) => {
      // one project's tenders are numbered one at a time
      await repo.lockProjectNumbering(tx, project.id)
      const number = await repo.nextTenderNumber(tx, project.id)
      const tender = await repo.insertTender(tx, {
        ...values,
        documentFeeFen,
        code: `${project.code}-${String(number).padStart(2, '0')}`,
        projectId: project.id,
        mandatoryTendering: project.mandatoryTendering,
        createdBy: actor.principal.accountId
      })
      await audit.append(tx, auditRecord(actor, 'tender.drafted', 'tender', tender.id, { code: tender.code, projectId: project.id }))
      return view(tx, tender, project)
    })
  }

  async function updateDraft (actor: Actor, tenderId: string, input: TenderInput): Promise<TenderView> {
    const { project } = await ownTender(actor, tenderId)
    const lots = await projects.lotsOf(project.id)
    const values = draftValues(input, project, lots)
    const { documentFeeFen } = await priceFees(input)
    return db.transaction(async (tx) => {
      const { tender } = await ownTender(actor, tenderId, tx, 'update')
      if (tender.status !== 'draft') throw new TenderStateInvalid(tender.status, 'only a draft can be edited; publish clarifications or amendments instead')
      const updated = await repo.updateTender(tx, tenderId, { ...values, documentFeeFen })
      await audit.append(tx, auditRecord(actor, 'tender.draft_updated', 'tender', tenderId, {}))
      return view(tx, updated, project)
    })
  }

  return { createTender, updateDraft }
}
