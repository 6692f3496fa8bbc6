/**
 * The agency's forms read field by field (errors in place, form-problems.ts): project entry, the
 * tender draft, a document to issue, and the statutory timing a publication or a change must
 * meet. Each reader answers the API's input and, for every field at fault, its id and the words
 * saying what to do. The services check everything again; these checks let the page say which
 * field, and let a binding action be refused before it is confirmed rather than after.
 */
import { Value } from 'typebox/value'
import { isValidCreditCode } from '../../lib/credit-code.ts'
import { isClientError } from '../../lib/errors.ts'
import type { WorkCalendar } from '../../lib/working-days.ts'
import { TRADE_TYPES } from '../../../schema/trading.ts'
import { DETAILS_SCHEMAS, type RegisterProject } from '../../modules/projects/projects.schemas.ts'
import { isProcurement } from '../../modules/projects/projects.rules.ts'
import { changeFindings, publicationFindings, STATUTORY, type TimingFinding } from '../../modules/tenders/tenders.rules.ts'
import type { DocumentFields, TenderInput, TenderView } from '../../modules/tenders/tenders.schemas.ts'
import { money } from '../fee-format.ts'
import type { FormProblem } from '../form-problems.ts'
import type { Translate } from '../i18n.ts'
import { DETAIL_FIELDS, EVALUATION_METHODS, detailGroup, fieldIds, positiveFen, shanghaiInstant, textWithin, unless, wholeNumber } from './trading-shared.ts'

type Form = Record<string, string | undefined>

// project entry ----------------------------------------------------------------------------------

export const projectField = fieldIds('project')
export const detailField = (group: string, name: string) => `project-${group}-${name}`

/** A detail's problem in the words of its kind, with the limits of its API schema. */
function detailProblem (t: Translate, group: keyof typeof DETAILS_SCHEMAS, name: string, value: string | undefined): { value?: unknown, problem?: FormProblem } {
  const schema = (DETAILS_SCHEMAS[group].properties as Record<string, { type?: string, enum?: string[], pattern?: string, minimum?: number, maximum?: number, maxLength?: number }>)[name]!
  const text = value?.trim() ?? ''
  const typed = schema.type === 'integer' && /^\d{1,9}$/.test(text) ? Number(text) : text
  if (Value.Check(schema, typed)) return { value: typed }
  const label = t(`detail.${name}`)
  const message = schema.enum
    ? t('agency.error.detailChoice', { label })
    : schema.type === 'integer'
      ? t('agency.error.detailInteger', { label, min: schema.minimum ?? 1, max: schema.maximum ?? 1 })
      : schema.pattern ? t('agency.error.detailDecimal', { label }) : t('agency.error.detailText', { label, max: schema.maxLength ?? 1 })
  return { problem: { field: detailField(group, name), message } }
}

/**
 * The project form: `problems` are the fields not filled in as asked (400); `rules` the figures
 * that do not hold together (422: the credit code's check character, a procurement ceiling above
 * its budget), each judged once the fields it reads are filled in as asked, so that one post
 * names every field at fault.
 */
export function readProjectForm (t: Translate, form: Form): { problems: FormProblem[], rules: FormProblem[], input: RegisterProject } {
  const tradeType = (TRADE_TYPES as readonly string[]).includes(form.tradeType ?? '') ? form.tradeType! : null
  const name = textWithin(form.name, 200)
  const tendererName = textWithin(form.tendererName, 200)
  const creditCode = (form.tendererCreditCode ?? '').trim().toUpperCase()
  const creditCodeReads = /^[0-9A-HJ-NPQRTUWXY]{18}$/.test(creditCode)
  const agencyName = form.agencyName?.trim() ?? ''
  const estimateFen = positiveFen(form.estimateYuan)
  const ceilingGiven = (form.priceCeilingYuan ?? '').trim() !== ''
  const priceCeilingFen = ceilingGiven ? positiveFen(form.priceCeilingYuan) : null
  const fundingSource = textWithin(form.fundingSource, 200)
  const details: Record<string, unknown> = {}
  const detailProblems: FormProblem[] = []
  if (tradeType) {
    const group = detailGroup(tradeType)
    for (const field of DETAIL_FIELDS[group]) {
      const { value, problem } = detailProblem(t, group, field.name, form[`detail_${field.name}`])
      if (problem) detailProblems.push(problem)
      else details[field.name] = value
    }
  }
  const problems = [
    ...unless(tradeType !== null, projectField('trade-type'), t('agency.error.tradeType')),
    ...unless(name !== null, projectField('name'), t('agency.error.name')),
    ...unless(tendererName !== null, projectField('tenderer'), t('agency.error.tenderer')),
    ...unless(creditCodeReads, projectField('credit-code'), t('agency.error.creditCode')),
    ...unless(agencyName.length <= 200, projectField('agency'), t('agency.error.agencyName')),
    ...unless(estimateFen !== null, projectField('estimate'), t('agency.error.estimate')),
    ...unless(!ceilingGiven || priceCeilingFen !== null, projectField('ceiling'), t('agency.error.ceiling')),
    ...unless(fundingSource !== null, projectField('funding'), t('agency.error.funding')),
    ...detailProblems
  ]
  // a rule is judged where the fields it reads are filled in as asked
  const rules = [
    ...unless(!creditCodeReads || isValidCreditCode(creditCode), projectField('credit-code'), t('agency.error.creditCodeCheck')),
    ...unless(!(tradeType !== null && isProcurement(tradeType as RegisterProject['tradeType']) && estimateFen !== null && priceCeilingFen !== null && priceCeilingFen > estimateFen), projectField('ceiling'), t('agency.error.ceilingAboveBudget'))
  ]
  const input = {
    tradeType,
    name,
    tendererName,
    tendererCreditCode: creditCode,
    ...(agencyName ? { agencyName } : {}),
    estimateFen,
    ...(priceCeilingFen !== null ? { priceCeilingFen } : {}),
    fundingSource,
    mandatoryTendering: form.mandatoryTendering === 'true',
    details
  } as RegisterProject
  return { problems, rules, input }
}

// the tender draft ---------------------------------------------------------------------------------

export type DraftInput = Omit<TenderInput, 'openingFields'>

/** The draft form (a new draft and an edited one share it); `id` names its fields. */
export function readTenderForm (t: Translate, form: Form, id: (name: string) => string): { problems: FormProblem[], input: DraftInput } {
  const title = textWithin(form.title, 200)
  const announcement = textWithin(form.announcement, 20_000)
  const documentsFrom = shanghaiInstant(form.documentsFrom)
  const saleUntil = shanghaiInstant(form.saleUntil)
  const bidDeadline = shanghaiInstant(form.bidDeadline)
  const bondGiven = (form.bondYuan ?? '').trim() !== ''
  const bondFen = bondGiven ? positiveFen(form.bondYuan) : null
  const bondFeeCode = form.bondFeeCode?.trim() ?? ''
  const documentFeeCode = form.documentFeeCode?.trim() ?? ''
  const megabytesGiven = (form.maxBidMegabytes ?? '').trim() !== ''
  const maxBidMegabytes = megabytesGiven ? wholeNumber(form.maxBidMegabytes, 1, 1024) : null
  const method = (EVALUATION_METHODS as readonly string[]).includes(form.evaluationMethod ?? '') ? form.evaluationMethod as DraftInput['evaluationMethod']['method'] : null
  const problems = [
    ...unless(title !== null, id('title'), t('agency.error.title')),
    ...unless(announcement !== null, id('announcement'), t('agency.error.announcement')),
    ...unless(documentsFrom !== '', id('documentsFrom'), t('agency.error.documentsFrom')),
    ...unless(saleUntil !== '', id('saleUntil'), t('agency.error.saleUntil')),
    ...unless(bidDeadline !== '', id('bidDeadline'), t('agency.error.bidDeadline')),
    ...unless(!bondGiven || bondFen !== null, id('bond'), t('agency.error.bond')),
    ...unless(bondFeeCode.length <= 32 && (!bondGiven || bondFeeCode !== ''), id('bondFeeCode'), t('agency.error.bondFeeCode')),
    ...unless(documentFeeCode.length <= 32, id('documentFeeCode'), t('agency.error.documentFeeCode')),
    ...unless(!megabytesGiven || maxBidMegabytes !== null, id('maxBid'), t('agency.error.maxBid')),
    ...unless(method !== null, id('evaluation'), t('agency.error.evaluation'))
  ]
  const input = {
    title: title!,
    announcement: announcement!,
    documentsFrom,
    saleUntil,
    bidDeadline,
    ...(bondFen !== null ? { bond: { amountFen: bondFen, feeCode: bondFeeCode } } : {}),
    ...(documentFeeCode ? { documentFeeCode } : {}),
    ...(maxBidMegabytes !== null ? { maxBidMegabytes } : {}),
    evaluationMethod: { method: method! }
  }
  return { problems, input }
}

const FEE_REFUSALS: Record<string, 'Missing' | 'Unsuitable'> = { FEE_ITEM_NOT_FOUND: 'Missing', FEE_NOT_IN_FORCE: 'Missing', FEE_INPUT_INVALID: 'Unsuitable', FEE_ITEM_UNSUITABLE: 'Unsuitable' }

/**
 * A fee item the draft names, refused when the draft is priced, beside its field. The bond is
 * priced first and every fee refusal starts by naming its item ("Fee item <code>…"), so a
 * refusal naming the bond's item is the bond's, any other the document fee's.
 */
export function feeProblem (t: Translate, error: unknown, form: Form, id: (name: string) => string): FormProblem | null {
  if (!isClientError(error) || !FEE_REFUSALS[error.code]) return null
  const bondCode = form.bondFeeCode?.trim() ?? ''
  const aboutBond = (form.bondYuan ?? '').trim() !== '' && bondCode !== '' &&
    (!(form.documentFeeCode ?? '').trim() || error.message.startsWith(`Fee item ${bondCode} `) || error.message.startsWith(`Fee item ${bondCode}:`))
  return aboutBond
    ? { field: id('bondFeeCode'), message: t(`agency.error.bondFee${FEE_REFUSALS[error.code]}`) }
    : { field: id('documentFeeCode'), message: t(`agency.error.documentFee${FEE_REFUSALS[error.code]}`) }
}

// statutory timing --------------------------------------------------------------------------------

/** A finding in words: the rule, the earliest lawful date or the bond's ceiling where it has one. */
function timingWords (t: Translate, finding: TimingFinding, estimateFen: number): string {
  const ceiling = money(BigInt(estimateFen) * STATUTORY.bondCeilingBasisPoints / 10_000n)
  return t(`agency.error.timing.${finding.rule}`, { earliest: finding.earliest ?? '', ceiling })
}

/** Violations block a mandatory tender; a deadline already past blocks every tender (as tenders.publication.ts judges). */
const blocks = (tender: TenderView, finding: TimingFinding) =>
  finding.severity === 'violation' && (tender.mandatoryTendering || finding.rule === 'DEADLINE_IN_PAST')

/**
 * What stands in the way of publishing the draft now, beside the draft's fields (`id`) or the
 * documents' file field; and the violations that do not block it (a tender that is not
 * mandatory publishes with them recorded as warnings), in words.
 */
export function publicationProblems (t: Translate, calendar: WorkCalendar, tender: TenderView, now: Date, id: (name: string) => string, fileField: string): { problems: FormProblem[], warnings: string[] } {
  const fieldOf: Record<string, string> = { '/bidDeadline': id('bidDeadline'), '/saleUntil': id('saleUntil'), '/bond/amountFen': id('bond') }
  const findings = publicationFindings(calendar, {
    now,
    documentsFrom: new Date(tender.documentsFrom),
    saleUntil: new Date(tender.saleUntil),
    bidDeadline: new Date(tender.bidDeadline),
    estimateFen: BigInt(tender.estimateFen),
    bondFen: BigInt(tender.bondFen)
  })
  const problems: FormProblem[] = [
    ...unless(Date.parse(tender.documentsFrom) >= now.getTime() - 60 * 60_000, id('documentsFrom'), t('agency.error.documentsFromPast')),
    ...findings.filter((finding) => blocks(tender, finding)).map((finding) => ({ field: fieldOf[finding.path] ?? null, message: timingWords(t, finding, tender.estimateFen) })),
    ...unless(tender.documents.some((document) => document.kind === 'tender_documents'), fileField, t('errors.TENDER_DOCUMENTS_MISSING'))
  ]
  const warnings = findings.filter((finding) => finding.severity === 'violation' && !blocks(tender, finding)).map((finding) => timingWords(t, finding, tender.estimateFen))
  return { problems, warnings }
}

/**
 * A clarification, amendment or answer issued now: a new deadline moves only later, and one that
 * affects bids leaves the statutory 15 days or moves the deadline there. Problems go beside the
 * new-deadline field.
 */
export function changeProblems (t: Translate, calendar: WorkCalendar, tender: TenderView, change: { affectsBids: boolean, newBidDeadline?: string }, now: Date, field: string): FormProblem[] {
  const current = Date.parse(tender.bidDeadline)
  if (change.newBidDeadline && Date.parse(change.newBidDeadline) <= current) return [{ field, message: t('errors.DEADLINE_MAY_ONLY_MOVE_LATER') }]
  const findings = changeFindings(calendar, { at: now, affectsBids: change.affectsBids, bidDeadline: new Date(change.newBidDeadline ?? current) })
  return findings.filter((finding) => blocks(tender, finding)).map((finding) => ({ field, message: timingWords(t, finding, tender.estimateFen) }))
}

// documents ------------------------------------------------------------------------------------------

export const documentField = fieldIds('document')

/** The kinds a tender takes now: its documents while drafting, clarifications and amendments after publication. */
export const documentKindsFor = (status: TenderView['status']): Array<DocumentFields['kind']> =>
  status === 'draft' ? ['tender_documents'] : ['clarification', 'amendment']

/** The document form's fields; `withFile` says whether a file comes (or came) with them. */
export function readDocumentFields (t: Translate, status: TenderView['status'], raw: Form, withFile: boolean): { problems: FormProblem[], fields: DocumentFields } {
  const kind = documentKindsFor(status).find((candidate) => candidate === raw.kind) ?? null
  const title = textWithin(raw.title, 200)
  const body = raw.body?.trim() ?? ''
  const deadlineGiven = (raw.newBidDeadline ?? '').trim() !== ''
  const newBidDeadline = shanghaiInstant(raw.newBidDeadline)
  const problems = [
    ...unless(kind !== null, documentField('kind'), t('agency.error.documentKind')),
    ...unless(title !== null, documentField('title'), t('agency.error.documentTitle')),
    ...unless(body.length <= 20_000, documentField('body'), t('agency.error.documentBody')),
    ...unless(!deadlineGiven || newBidDeadline !== '', documentField('deadline'), t('agency.error.newBidDeadline')),
    ...(kind === 'tender_documents' && !withFile ? [{ field: documentField('file'), message: t('agency.error.documentFile') }] : []),
    ...(kind !== null && kind !== 'tender_documents' && !withFile && !body ? [{ field: documentField('file'), message: t('agency.error.documentContent') }] : [])
  ]
  const fields = {
    kind: kind!,
    title: title!,
    ...(body ? { body } : {}),
    affectsBids: raw.affectsBids === 'true',
    ...(newBidDeadline ? { newBidDeadline } : {})
  }
  return { problems, fields }
}
