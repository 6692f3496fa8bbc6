/**
 * The opening room's pages: the public view (progress, then the record), the bidder's remote
 * opening (certificate sign-in, decryption with the secret file kept in the browser, confirm or
 * object), the host's console and the supervisors' live view. The pages render the record; the
 * room's live part is drawn by /assets/opening-room.js from the same API and live room.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { OpeningNotFound } from '../../modules/openings/openings.errors.ts'
import { actionSteps, countdownTarget, remaining } from '../assets/opening-steps.js'
import { serveBundle } from '../bundles.ts'
import { feeViewHelpers } from '../fee-format.ts'
import { messagesWithPrefix } from '../i18n.ts'
import { pageContext, renderPage } from '../render.ts'

const OpeningParams = StrictObject({ tenderId: Uuid })
type View = 'public' | 'bidder' | 'host' | 'supervisor'

export const openingsPages: FastifyPluginAsyncTypebox<{ production: boolean }> = async (app, { production }) => {
  const { openings, tenders } = app.services
  serveBundle(app, 'certificate-sign-in', production)
  // decrypting with the certificate's private key instead of the secret file, loaded on demand
  serveBundle(app, 'opening-key-reveal', production)

  async function show (request: FastifyRequest, reply: FastifyReply, tenderId: string, view: View) {
    const opening = await openings.getOpening(request.principal, tenderId)
    const capacity = opening.you.capacity
    // a role page for someone without that role in this opening does not exist for them
    if (view === 'host' && capacity !== 'host') throw new OpeningNotFound(tenderId)
    if (view === 'supervisor' && capacity !== 'supervisor' && opening.attendance === null) throw new OpeningNotFound(tenderId)
    const tender = await tenders.getTender(request.principal, tenderId)
    const record = opening.record ? await openings.publishedRecord(tenderId) : null
    const { lang, t } = pageContext(request)
    // the page as the room script would draw it now, so a reload shows the same state
    const now = app.clock.now().getTime()
    const countdown = countdownTarget(opening, now)
    return renderPage(request, reply, 'trading/opening', {
      title: `${opening.tenderTitle} · ${t(`opening.${view === 'public' ? 'publicView' : `${view}View`}`)}`,
      view,
      opening,
      tender,
      record,
      labels: { ...messagesWithPrefix(lang, 'opening.'), ...messagesWithPrefix(lang, 'bond.'), ...Object.fromEntries(tender.openingFields.map((field) => [`field.${field.key}`, field.label])) },
      certificateSession: request.principal?.authMethod === 'certificate',
      countdown,
      countdownText: countdown ? remaining(countdown.until, now) : '',
      steps: actionSteps(opening),
      ...feeViewHelpers
    })
  }

  app.get('/openings/:tenderId', { config: { policy: 'public' }, schema: { params: OpeningParams } }, async (request, reply) => show(request, reply, request.params.tenderId, 'public'))
  app.get('/bidder/openings/:tenderId', { config: { policy: 'tenders.participate' }, schema: { params: OpeningParams } }, async (request, reply) => show(request, reply, request.params.tenderId, 'bidder'))
  app.get('/agency/openings/:tenderId', { config: { policy: 'openings.host' }, schema: { params: OpeningParams } }, async (request, reply) => show(request, reply, request.params.tenderId, 'host'))
  app.get('/supervise/openings/:tenderId', { config: { policy: 'openings.supervise' }, schema: { params: OpeningParams } }, async (request, reply) => show(request, reply, request.params.tenderId, 'supervisor'))
}
