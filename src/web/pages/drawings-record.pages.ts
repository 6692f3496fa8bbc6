/**
 * The published record of a drawing, for anyone, once the evaluation has started (before it the
 * page does not exist: 404, as the record does): the commitment published before the draw, the
 * secret revealed after it, the supervisor's nonce, the eligible-pool snapshot's hash, the drawn
 * list in order by pseudonym, the committee by name, what became of each drawn expert
 * (replacements, recusals), and how to re-run the draw with the shipped script from the JSON
 * record this page offers for download.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { pageContext, renderPage } from '../render.ts'
import { specialtyNames } from './drawings-forms.ts'

const Params = StrictObject({ id: Uuid })

export const drawingsRecordPages: FastifyPluginAsyncTypebox = async (app) => {
  const { drawings, experts, tenders } = app.services

  app.get('/drawings/:id/record', { config: { policy: 'public' }, schema: { params: Params } }, async (request, reply) => {
    const record = await drawings.record(request.params.id)
    const [tender, tree] = await Promise.all([tenders.getTender(null, record.tenderId), experts.specialtyTree()])
    const names = specialtyNames(tree)
    const committeeBy = new Map(record.committee.map((member) => [member.pseudonym, member]))
    const outcomeBy = new Map(record.outcomes.map((outcome) => [outcome.pseudonym, outcome]))
    return renderPage(request, reply, 'drawings/record', {
      title: `${pageContext(request).t('drawings.record.title')} · ${tender.title}`,
      record,
      tender: { id: tender.id, title: tender.title, code: tender.code },
      specialty: (code: string) => names.get(code) ?? code,
      committeeBy,
      outcomeBy
    })
  })

  // the record as a file to keep and to re-run (the same JSON as GET /api/drawings/:id/record)
  app.get('/drawings/:id/record.json', { config: { policy: 'public' }, schema: { params: Params } }, async (request, reply) => {
    const record = await drawings.record(request.params.id)
    return reply
      .type('application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="drawing-record-${record.tenderCode.replace(/[^A-Za-z0-9-]/g, '_')}.json"`)
      .send(JSON.stringify(record, null, 2))
  })
}
