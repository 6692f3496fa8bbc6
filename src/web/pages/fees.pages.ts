/**
 * Fee standards: the public list of the standards in force (any day) with a quote form, and the
 * administrators' fee items (fees-admin.pages.ts) — create, propose a new version, approve or
 * reject (four eyes: the proposer never approves their own version). A refused form comes back
 * with each problem beside its field (form-problems.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { isIsoDate } from '../../lib/working-days.ts'
import type { FeeStandardView } from '../../modules/fees/fees.schemas.ts'
import type { QuotedLine } from '../../modules/fees/fees.service.ts'
import { feeViewHelpers } from '../fee-format.ts'
import { PARAMETER_PREFIX, quoteLine, quoteProblems } from '../fee-quote.ts'
import { assertNoProblems, formErrors, refusalProblems, type FormErrors, type FormProblem } from '../form-problems.ts'
import { optional } from '../forms.ts'
import { pageContext, renderPage } from '../render.ts'
import { feesAdminPages } from './fees-admin.pages.ts'

const FormText = (maxLength: number) => Type.Optional(Type.String({ maxLength }))

export const feesPages: FastifyPluginAsyncTypebox = async (app) => {
  const { fees, departments } = app.services

  async function departmentNames (request: FastifyRequest): Promise<Record<string, string>> {
    const { lang } = pageContext(request)
    return Object.fromEntries((await departments.listDepartments()).map((department) => [department.id, (lang === 'en' && department.nameEn) || department.name]))
  }

  // public standards and quotes ----------------------------------------------------------------

  /**
   * The query of /fees: the day, and the quote being filled in (parameters as param_<name>). The
   * bounds leave room past the inputs' maxlength, so such a value is answered beside its field.
   */
  const StandardsQuery = Type.Object({
    on: FormText(200),
    code: FormText(200),
    quantity: FormText(200),
    calculate: FormText(1)
  }, { additionalProperties: Type.String({ maxLength: 200 }), maxProperties: 16 })

  /**
   * A day that is no date shows today's standards, the date beside its field; a quote's quantity
   * or parameters are checked beside theirs before the service prices them.
   */
  app.get('/fees', {
    config: { policy: 'public' },
    schema: { querystring: StandardsQuery }
  }, async (request, reply) => {
    const { t } = pageContext(request)
    const query = request.query as Record<string, string | undefined>
    const today = app.calendar.today()
    const requested = optional(query.on)
    const on = requested && isIsoDate(requested) ? requested : today
    const standards = await fees.listStandards(on)
    const code = optional(query.code)
    const chosen = code ? standards.find((standard) => standard.code === code) ?? null : null
    const values: Record<string, string> = {}
    for (const [key, value] of Object.entries(query)) if (value !== undefined && (key === 'on' || key === 'quantity' || key.startsWith(PARAMETER_PREFIX))) values[key] = value
    const show = (extra: Partial<FormErrors> & { quote?: { lines: QuotedLine[], totalFen: bigint } }) =>
      showStandards(request, reply, { on, today, standards, chosen, values, ...extra })
    if (requested && requested !== on) {
      reply.code(400)
      return show(formErrors([{ field: 'fees-on', message: t('fees.error.date') }]))
    }
    if (code && !chosen) {
      reply.code(422)
      return show(formErrors([{ field: 'quote-code', message: t('fees.error.notInForce', { code, on }) }]))
    }
    if (!chosen || query.calculate === undefined) return show({})
    try {
      assertNoProblems(quoteProblems(t, chosen, values), 422)
      const lines = await fees.quote([quoteLine(chosen, values)], on)
      return show({ quote: { lines, totalFen: lines.reduce((sum, line) => sum + line.amountFen, 0n) } })
    } catch (error) {
      // what the service still refuses (a formula giving no positive amount) belongs to the inputs as a whole
      const problems: FormProblem[] = refusalProblems(request, error, {})
      reply.code((error as { statusCode: number }).statusCode)
      return show(formErrors(problems))
    }
  })

  async function showStandards (request: FastifyRequest, reply: FastifyReply, data: {
    on: string
    today: string
    standards: FeeStandardView[]
    chosen: FeeStandardView | null
    values: Record<string, string>
    quote?: { lines: QuotedLine[], totalFen: bigint } | null
  } & Partial<FormErrors>) {
    return renderPage(request, reply, 'fees/standards', {
      titleKey: 'fees.title',
      quote: null,
      ...data,
      departmentNames: await departmentNames(request),
      ...feeViewHelpers
    })
  }

  await app.register(feesAdminPages)
}
