/**
 * The tender's agency or tenderer asks for experts (drawings.request): the request form on the
 * tender's own page — committee size, the tenderer's representatives, lines of specialty (from
 * the classification), technical or economic, count and reserves, the evaluation's time and
 * place or remote, regions — refused in place with the committee rules in words beside their
 * fields, and confirmed before it is sent. Then the request's status page: its state and the
 * counts per line, live; never a name (the list is sealed to the parties until publication).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { ConfirmField, isConfirmed, showConfirmation } from '../confirm.ts'
import { assertNoProblems, formErrors, FormRefused, keptValues, refusalProblems, type FormErrors, type FormProblem } from '../form-problems.ts'
import { pageContext, renderPage } from '../render.ts'
import {
  committeeProblems, lineField, readRequestForm, refusedRules, REQUEST_FIELDS, requestField, ROWS, ruleProblem, SIDES, specialtyGroups, specialtyNames
} from './drawings-forms.ts'
import { hms } from './drawings-console.pages.ts'

const TenderParams = StrictObject({ tenderId: Uuid })
const Params = StrictObject({ id: Uuid })
const Text = (max: number) => Type.Optional(Type.String({ maxLength: max }))
const statusOf = (error: unknown) => (error as { statusCode?: number }).statusCode ?? 500

/** Where a service's refusal is shown on the request form. */
const FIELDS: Record<string, string> = {
  DRAWING_EVALUATION_TIME_INVALID: requestField('evaluationAt')
}

/** The form as it first shows: a works committee's usual shape, one technical and one economic row. */
const DEFAULTS: Record<string, string> = { committeeSize: '5', tendererRepresentatives: '0', mode: 'place', line1Side: 'technical', line2Side: 'economic' }

export const drawingsRequestPages: FastifyPluginAsyncTypebox = async (app) => {
  const { drawings, tenders, experts } = app.services

  type Extra = Partial<FormErrors> & { values?: Record<string, string | string[]> }

  async function showForm (request: FastifyRequest, reply: FastifyReply, tenderId: string, extra: Extra = {}) {
    const actor = actorOf(request)
    const { tender } = await tenders.ownTender(actor, tenderId)
    const tree = await experts.specialtyTree()
    return renderPage(request, reply, 'drawings/request', {
      title: `${pageContext(request).t('drawings.request.title')} · ${tender.title}`,
      tender: { id: tender.id, title: tender.title, code: tender.code, bidDeadline: tender.bidDeadline.toISOString(), status: tender.status },
      drawings: await drawings.listDrawings(actor.principal, { tenderId, limit: 50 }),
      groups: specialtyGroups(tree),
      rows: ROWS,
      sides: SIDES,
      lineField,
      values: DEFAULTS,
      ...extra
    })
  }

  app.get('/agency/tenders/:tenderId/drawings', { config: { policy: 'drawings.request' }, schema: { params: TenderParams } },
    async (request, reply) => showForm(request, reply, request.params.tenderId))

  const RequestForm = StrictObject({ ...Object.fromEntries(REQUEST_FIELDS.map((name) => [name, Text(1000)])), ...ConfirmField })

  app.post('/agency/tenders/:tenderId/drawings', { config: { policy: 'drawings.request' }, schema: { params: TenderParams, body: RequestForm } }, async (request, reply) => {
    const { tenderId } = request.params
    const { t, time } = pageContext(request)
    const actor = actorOf(request)
    const form = request.body as Record<string, string | undefined>
    let read: ReturnType<typeof readRequestForm> | undefined
    try {
      const { tender, project } = await tenders.ownTender(actor, tenderId)
      const tree = await experts.specialtyTree()
      const level3 = new Set(specialtyGroups(tree).flatMap((group) => group.options.map((option) => option.code)))
      read = readRequestForm(t, form, level3)
      assertNoProblems(read.problems)
      // the rules the service applies again, judged here so the form says which field before the confirmation
      const evaluationAt = Date.parse(read.input.evaluationAt)
      const timing: FormProblem[] = evaluationAt <= app.clock.now().getTime() || evaluationAt < tender.bidDeadline.getTime()
        ? [{ field: requestField('evaluationAt'), message: t('drawings.form.error.evaluationLate', { deadline: time(tender.bidDeadline.toISOString()) }) }]
        : []
      assertNoProblems([...committeeProblems(t, read, { tradeType: project.tradeType, budgetFen: project.estimateFen }), ...timing], 422)
      if (!isConfirmed(request.body)) {
        const names = specialtyNames(tree)
        const { input } = read
        return showConfirmation(request, reply, {
          title: t('drawings.requestConfirm.title'),
          facts: [
            [t('drawings.tender'), `${tender.title}（${tender.code}）`],
            [t('drawings.committee'), t('drawings.committeeValue', { size: input.committeeSize, reps: input.tendererRepresentatives })],
            ...input.lines.map((line, index): [string, string] => [
              t('drawings.lineLabel', { line: index + 1 }),
              t('drawings.lineValue', { specialty: names.get(line.specialtyCode) ?? line.specialtyCode, side: t(`drawings.side.${line.side}`), count: line.count, reserves: line.reserves })
            ]),
            [t('drawings.evaluationAt'), time(input.evaluationAt)],
            [t('drawings.place'), input.evaluationPlace ?? t('drawings.remote')],
            ...(input.regionsInclude.length > 0 ? [[t('drawings.regionsOnly'), input.regionsInclude.join('、')] as [string, string]] : []),
            ...(input.regionsExclude.length > 0 ? [[t('drawings.regionsNot'), input.regionsExclude.join('、')] as [string, string]] : [])
          ],
          consequences: [t('drawings.requestConfirm.review'), t('drawings.requestConfirm.draw'), t('drawings.requestConfirm.sealed'), t('drawings.requestConfirm.once')],
          action: `/agency/tenders/${tenderId}/drawings`,
          fields: Object.fromEntries(REQUEST_FIELDS.map((name) => [name, form[name]])),
          confirmLabel: t('drawings.requestConfirm.button'),
          backHref: `/agency/tenders/${tenderId}/drawings`
        })
      }
      const drawing = await drawings.requestDrawing(actor, tenderId, read.input)
      return reply.redirect(`/agency/drawings/${drawing.id}?done=requested`)
    } catch (error) {
      const rules = refusedRules(error)
      const problems = rules && read ? rules.map((rule) => ruleProblem(t, rule, read!.input, read!.rowOf)) : refusalProblems(request, error, FIELDS, 'drawings.error.')
      reply.code(error instanceof FormRefused ? error.statusCode : statusOf(error))
      return showForm(request, reply, tenderId, { ...formErrors(problems, 'request'), values: keptValues(request.body) })
    }
  })

  // the request's status, for the tender's parties ------------------------------------------------------

  app.get('/agency/drawings/:id', { config: { policy: 'drawings.request' }, schema: { params: Params, querystring: StrictObject({ done: Text(20) }) } }, async (request, reply) => {
    const principal = actorOf(request).principal
    const drawing = await drawings.getDrawing(principal, request.params.id)
    const room = await app.live.read(principal, `drawing:${drawing.id}`, 0, 0)
    const now = app.clock.now().getTime()
    return renderPage(request, reply, 'drawings/status', {
      title: `${pageContext(request).t('drawings.status.title')} · ${drawing.tenderTitle}`,
      drawing,
      eligibility: null,
      since: room?.head ?? 0,
      drawOpen: now >= Date.parse(drawing.drawFrom),
      untilDraw: hms(Date.parse(drawing.drawFrom) - now),
      done: request.query.done
    })
  })
}
