/**
 * What the approvals pages share: the applicant's pages (approvals.pages.ts) and the workbench's
 * (approvals-workbench.pages.ts) show the same cases, name departments and materials alike and
 * put a refused form's problems beside its fields (form-problems.ts) in the same words.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { Value } from 'typebox/value'
import { isClientError } from '../../lib/errors.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import type { ItemContent } from '../../modules/catalogue/catalogue.content.ts'
import { ItemCode } from '../../modules/catalogue/catalogue.schemas.ts'
import type { CaseView } from '../../modules/cases/cases.schemas.ts'
import { formErrors, refusalProblems, type FormErrors, type FormProblem } from '../form-problems.ts'
import { messagesWithPrefix } from '../i18n.ts'
import { pageContext } from '../render.ts'

export const FormText = (maxLength: number) => Type.Optional(Type.String({ maxLength }))
export const CaseParams = StrictObject({ caseId: Uuid })
export const CodeParams = StrictObject({ code: Type.String({ maxLength: 32 }) })
const DOCUMENT_KINDS = ['acceptance', 'refusal', 'correction', 'result'] as const

/** Lines of a textarea, one reason each. */
export const linesOf = (text: string | undefined) => (text ?? '').split(/\r?\n/).map((line) => line.trim()).filter(Boolean)

/** The documents a case has to download, in the order they arise. */
export function documentsOf (view: CaseView): Array<typeof DOCUMENT_KINDS[number]> {
  return DOCUMENT_KINDS.filter((kind) => kind === 'acceptance'
    ? view.acceptedAt !== null
    : kind === 'refusal' ? view.state === 'refused' : kind === 'correction' ? view.correction !== null : view.result !== null)
}

/** The badge of a case's clock: its colour while it runs, `paused` while a pause holds it. */
export function clockBadge (view: CaseView): 'green' | 'yellow' | 'red' | 'paused' | null {
  if (!view.clock) return null
  return view.clock.paused ? 'paused' : view.clock.colour
}

/**
 * The problems of a refused application, beside its fields: each required material left out
 * beside its file input (`${prefix}-${code}`), anything else where `fieldOf` puts its code.
 */
export function applicationProblems (request: FastifyRequest, error: unknown, content: ItemContent | null, fieldOf: Record<string, string>, prefix: string): FormProblem[] {
  const missing = (error as { code?: string, missing?: unknown }).code === 'APPLICATION_MATERIALS_MISSING' ? (error as { missing: string[] }).missing : null
  if (missing && content) return materialProblems(request, content, missing, prefix)
  return refusalProblems(request, error, fieldOf, 'approvals.errors.')
}

/** One problem per required material left out, named as the item names it. */
export function materialProblems (request: FastifyRequest, content: ItemContent, missing: readonly string[], prefix: string): FormProblem[] {
  const { t } = pageContext(request)
  return missing.map((code) => ({
    field: `${prefix}-${code}`,
    message: t('approvals.apply.materialMissing', { name: content.materials.find((material) => material.code === code)?.name ?? code })
  }))
}

export function approvalsHelpers (app: FastifyInstance) {
  const { departments } = app.services

  async function departmentNames (request: FastifyRequest): Promise<Record<string, string>> {
    const { lang } = pageContext(request)
    const [all, windows] = await Promise.all([departments.listDepartments(), departments.listWindows()])
    const names: Record<string, string> = {}
    for (const department of all) names[department.id] = (lang === 'en' && department.nameEn) || department.name
    for (const window of windows) names[window.id] = window.name
    return names
  }

  /** What the upload script says while it sends, and how it names a refusal. */
  function uploadMessages (request: FastifyRequest) {
    const { lang, t } = pageContext(request)
    const errors = Object.fromEntries(Object.entries(messagesWithPrefix(lang, 'approvals.errors.')).map(([key, value]) => [key.slice('approvals.errors.'.length), value]))
    return { uploading: t('approvals.upload.uploading'), done: t('approvals.upload.done'), failed: t('approvals.upload.failed'), errors }
  }

  /** A published item by its code (typed in any case), or null. */
  async function itemByCode (code: string) {
    const normalised = code.toUpperCase()
    const found = Value.Check(ItemCode, normalised) ? await app.services.catalogue.findByCode(normalised) : null
    if (!found || found.status !== 'published') return null
    return app.services.catalogue.publicItem(found.id).catch((error: unknown) => {
      if (isClientError(error) && error.statusCode === 404) return null
      throw error
    })
  }

  /**
   * Shows the page again with a service's refusal beside the field its code belongs to (and its
   * status); anything not the user's doing goes on to the error page.
   */
  async function refused (request: FastifyRequest, reply: FastifyReply, error: unknown, fieldOf: Record<string, string>, show: (errors: FormErrors) => unknown, form?: string) {
    const problems = refusalProblems(request, error, fieldOf, 'approvals.errors.')
    reply.code((error as { statusCode: number }).statusCode)
    return show(formErrors(problems, form))
  }

  return { departmentNames, uploadMessages, itemByCode, refused }
}
