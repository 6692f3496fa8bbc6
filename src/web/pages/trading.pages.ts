/**
 * Public-resource trading pages: the public announcements, their documents and the trading
 * schedule; the bidder's workspace (obtain documents, ask, object, bond, submit a bid sealed in
 * the browser, receipts); the hall's project entry desk (accept into a room slot, after a
 * confirmation). The agency's workspace is trading-agency.pages.ts. Every page calls the same
 * services as the API, so the same rules and the same policy apply; forms refuse in place.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { Value } from 'typebox/value'
import { actorOf } from '../../lib/actor.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { mayAttempt } from '../../lib/policy.ts'
import { shanghaiDate } from '../../lib/working-days.ts'
import { ProjectStateInvalid } from '../../modules/projects/projects.errors.ts'
import { CreateVenueSchema, TradeTypeSchema } from '../../modules/projects/projects.schemas.ts'
import { NothingToWithdraw } from '../../modules/bids/bids.errors.ts'
import { objectionCutoff } from '../../modules/tenders/tenders.rules.ts'
import { serveBundle } from '../bundles.ts'
import { feeViewHelpers } from '../fee-format.ts'
import { ConfirmField, isConfirmed, showConfirmation } from '../confirm.ts'
import { assertNoProblems, FormRefused, formErrors, keptValues, refusalProblems, type FormErrors } from '../form-problems.ts'
import { messagesWithPrefix } from '../i18n.ts'
import { pageContext, renderPage } from '../render.ts'
import { bidReceiptsPages } from './bid-receipts.pages.ts'
import { orShowError, type ShownError } from './page-errors.ts'
import { tradingAgencyPages } from './trading-agency.pages.ts'
import { shanghaiInstant, textWithin, tradingHelpers as helpers, unless, wholeNumber } from './trading-shared.ts'

const FormText = (maxLength: number) => Type.Optional(Type.String({ maxLength }))
const TenderParams = StrictObject({ tenderId: Uuid })
const statusOf = (error: unknown) => (error as { statusCode: number }).statusCode

type Kept = Partial<FormErrors> & { values?: Record<string, string | string[]> }

export const tradingPages: FastifyPluginAsyncTypebox<{ production: boolean }> = async (app, { production }) => {
  const { projects, tenders, bids } = app.services

  // the bid sealer: the shared sealed-bid format code bundled for the browser
  serveBundle(app, 'bid-sealer', production)
  // receipts of what the sealer sent, and their public verifier
  await app.register(bidReceiptsPages)
  // the agency's workspace
  await app.register(tradingAgencyPages)

  // public ------------------------------------------------------------------------------------

  app.get('/tenders', {
    config: { policy: 'public' },
    schema: { querystring: StrictObject({ tradeType: Type.Optional(TradeTypeSchema) }) }
  }, async (request, reply) => renderPage(request, reply, 'trading/tenders', {
    titleKey: 'tenders.title',
    tenders: await tenders.listTenders(null, { tradeType: request.query.tradeType, limit: 100 }),
    tradeType: request.query.tradeType ?? '',
    ...helpers
  }))

  app.get('/tenders/:tenderId', { config: { policy: 'public' }, schema: { params: TenderParams } }, async (request, reply) => {
    const tender = await tenders.getTender(request.principal, request.params.tenderId)
    const principal = request.principal
    return renderPage(request, reply, 'trading/tender', {
      title: tender.title,
      tender,
      isBidder: principal !== null && mayAttempt(principal, 'tenders.participate'),
      ...helpers
    })
  })

  app.get('/schedule', { config: { policy: 'public' } }, async (request, reply) => renderPage(request, reply, 'trading/schedule', {
    titleKey: 'schedule.title',
    bookings: await projects.schedule({ days: 31 }),
    ...helpers
  }))

  // bidders -----------------------------------------------------------------------------------

  app.get('/bidder', { config: { policy: 'tenders.participate' } }, async (request, reply) => renderPage(request, reply, 'trading/bidder-home', {
    titleKey: 'bidder.title',
    mine: await tenders.myTenders(actorOf(request)),
    ...helpers
  }))

  app.post('/tenders/:tenderId/register', { config: { policy: 'tenders.participate' }, schema: { params: TenderParams } }, async (request, reply) => {
    try {
      await tenders.register(actorOf(request), request.params.tenderId)
      return reply.redirect(`/bidder/tenders/${request.params.tenderId}`)
    } catch (error) {
      const problems = refusalProblems(request, error, {})
      reply.code(statusOf(error))
      const tender = await tenders.getTender(request.principal, request.params.tenderId)
      return renderPage(request, reply, 'trading/tender', { title: tender.title, tender, isBidder: true, ...formErrors(problems, 'register'), ...helpers })
    }
  })

  /** What the sealer says in the page's language, and its words for every refusal the API may give. */
  function sealerMessages (request: FastifyRequest): Record<string, string> {
    const { lang, t } = pageContext(request)
    return { ...messagesWithPrefix(lang, 'sealer.'), ...messagesWithPrefix(lang, 'errors.'), 'form.errorSummary': t('form.errorSummary') }
  }

  async function showWorkspace (request: FastifyRequest, reply: FastifyReply, tenderId: string, extra: Partial<ShownError> & Kept & { done?: string } = {}) {
    const actor = actorOf(request)
    const tender = await tenders.getTender(actor.principal, tenderId)
    const registration = await tenders.myRegistration(actor, tenderId)
    const open = registration.documentsOpen
    return renderPage(request, reply, 'trading/bidder-tender', {
      title: tender.title,
      tender,
      registration,
      questions: open ? await tenders.listQuestions(actor, tenderId) : [],
      objections: open ? await tenders.listObjections(actor, tenderId) : [],
      bond: open && tender.bondFen > 0 ? await bids.myBond(actor, tenderId) : null,
      submissions: await bids.mySubmissions(actor, tenderId),
      withdrawKey: `withdraw-${crypto.randomUUID()}`,
      sealerMessages: sealerMessages(request),
      values: {},
      ...extra,
      ...helpers
    })
  }

  app.get('/bidder/tenders/:tenderId', {
    config: { policy: 'tenders.participate' },
    schema: { params: TenderParams, querystring: StrictObject({ done: FormText(20) }) }
  }, async (request, reply) => showWorkspace(request, reply, request.params.tenderId, { done: request.query.done }))

  /**
   * A bidder's form action: the text checked in place, then the service; a refusal shows the
   * workspace again with the words beside the form's field (`field`, under `bidder.error.<form>.`
   * where the form has its own words for a code).
   */
  function bidderAction (url: string, form: 'question' | 'objection' | 'bond', field: string | null, body: ReturnType<typeof StrictObject>,
    act: (request: FastifyRequest & { body: Record<string, string | undefined>, params: { tenderId: string } }) => Promise<unknown>, done: string) {
    app.post(url, { config: { policy: 'tenders.participate' }, schema: { params: TenderParams, body } }, async (request, reply) => {
      const typed = request as unknown as FastifyRequest & { body: Record<string, string | undefined>, params: { tenderId: string } }
      const { tenderId } = typed.params
      try {
        await act(typed)
        return reply.redirect(`/bidder/tenders/${tenderId}?done=${done}`)
      } catch (error) {
        const problems = refusalProblems(request, error, field ? { TENDER_STATE_INVALID: field } : {}, `bidder.error.${form}.`)
        reply.code(statusOf(error))
        return showWorkspace(request, reply, tenderId, { ...formErrors(problems, form), values: keptValues(typed.body) })
      }
    })
  }

  bidderAction('/bidder/tenders/:tenderId/questions', 'question', 'question-text', StrictObject({ question: FormText(8000) }), async (request) => {
    const question = textWithin(request.body.question, 4000)
    assertNoProblems(unless(question !== null, 'question-text', pageContext(request).t('bidder.error.question')))
    await tenders.ask(actorOf(request), request.params.tenderId, question!)
  }, 'asked')
  bidderAction('/bidder/tenders/:tenderId/objections', 'objection', 'objection-text', StrictObject({ text: FormText(16_000) }), async (request) => {
    const text = textWithin(request.body.text, 8000)
    assertNoProblems(unless(text !== null, 'objection-text', pageContext(request).t('bidder.error.objection')))
    await tenders.object(actorOf(request), request.params.tenderId, text!).catch(async (error: unknown) => {
      if ((error as { code?: string }).code !== 'OBJECTION_TOO_LATE') throw error
      // the refusal names the last day in words, beside the text
      const tender = await tenders.getTender(request.principal, request.params.tenderId)
      throw new FormRefused([{ field: 'objection-text', message: pageContext(request).t('bidder.error.objection.tooLate', { cutoff: objectionCutoff(new Date(tender.bidDeadline)) }) }], 422)
    })
  }, 'objected')
  bidderAction('/bidder/tenders/:tenderId/bond', 'bond', null, StrictObject({}),
    (request) => bids.requestBondNotice(actorOf(request), request.params.tenderId), 'bond')

  // withdrawing a bid is binding: the bidder first reads what it ends and what stays possible (confirm.ts)
  app.post('/bidder/tenders/:tenderId/withdraw', {
    config: { policy: 'tenders.participate' },
    schema: { params: TenderParams, body: StrictObject({ idempotencyKey: Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' }), ...ConfirmField }) }
  }, async (request, reply) => {
    const { tenderId } = request.params
    const { idempotencyKey } = request.body
    try {
      if (!isConfirmed(request.body)) {
        const actor = actorOf(request)
        const [tender, submissions] = await Promise.all([tenders.getTender(actor.principal, tenderId), bids.mySubmissions(actor, tenderId)])
        const latest = submissions.at(-1)
        if (!latest || latest.kind !== 'bid' || tender.status !== 'bidding') throw new NothingToWithdraw()
        const { t, lang } = pageContext(request)
        const deadline = feeViewHelpers.deadline(tender.bidDeadline, lang)
        return showConfirmation(request, reply, {
          title: t('bidder.withdrawConfirm.title'),
          facts: [[t('bidder.withdrawConfirm.tender'), tender.title], [t('bidder.withdrawConfirm.code'), tender.code], [t('bidder.withdrawConfirm.version'), t('bidder.withdrawConfirm.versionValue', { version: latest.version, time: pageContext(request).time(latest.receivedAt) })], [t('tender.bidDeadline'), deadline]],
          consequences: [t('bidder.withdrawConfirm.effect', { title: tender.title }), t('bidder.withdrawConfirm.again', { deadline }), t('bidder.withdrawConfirm.receipt')],
          action: `/bidder/tenders/${tenderId}/withdraw`,
          fields: { idempotencyKey },
          confirmLabel: t('bidder.withdrawConfirm.button'),
          backHref: `/bidder/tenders/${tenderId}#submissions`,
          destructive: true
        })
      }
      await bids.withdraw(actorOf(request), { tenderId, idempotencyKey })
      return reply.redirect(`/bidder/tenders/${tenderId}?done=withdrawn`)
    } catch (error) {
      return orShowError(request, reply, error, (shown) => showWorkspace(request, reply, tenderId, shown))
    }
  })

  // the hall's project entry desk -----------------------------------------------------------------

  async function showHall (request: FastifyRequest, reply: FastifyReply, extra: Kept & { done?: string } = {}) {
    const actor = actorOf(request)
    return renderPage(request, reply, 'trading/hall-projects', {
      titleKey: 'hallProjects.title',
      pending: await projects.listProjects(actor, { status: 'registered', limit: 100 }),
      venues: await projects.listVenues(),
      bookings: await projects.schedule({ days: 31 }),
      canManageVenues: mayAttempt(actor.principal, 'venues.manage'),
      values: {},
      ...extra,
      ...helpers
    })
  }

  app.get('/hall/projects', {
    config: { policy: 'projects.accept' },
    schema: { querystring: StrictObject({ done: Type.Optional(Type.Enum(['accepted', 'rejected', 'venue'])) }) }
  }, async (request, reply) => showHall(request, reply, { done: request.query.done }))

  /**
   * Accepting a project books a room for its opening: the slot is checked beside its fields (a
   * room in use, a slot in the past or of the wrong length), then the hall reads what the
   * acceptance binds and confirms (confirm.ts). A rejection needs its reason.
   */
  app.post('/hall/projects/:projectId/decision', {
    config: { policy: 'projects.accept' },
    schema: {
      params: StrictObject({ projectId: Uuid }),
      body: StrictObject({ decision: Type.Union([Type.Literal('accept'), Type.Literal('reject')]), venueId: FormText(40), startsAt: FormText(40), minutes: FormText(20), reason: FormText(2000), ...ConfirmField })
    }
  }, async (request, reply) => {
    const form = request.body
    const { projectId } = request.params
    const field = (name: string) => `${form.decision}-${name}-${projectId}`
    try {
      const { t, lang } = pageContext(request)
      const actor = actorOf(request)
      if (form.decision === 'reject') {
        const reason = textWithin(form.reason, 1000)
        assertNoProblems(unless(reason !== null, field('reason'), t('hallProjects.error.reason')))
        await projects.decideProject(actor, projectId, { decision: 'reject', reason: reason! })
        return reply.redirect('/hall/projects?done=rejected')
      }
      const venue = (await projects.listVenues()).find((candidate) => candidate.active && candidate.id === form.venueId)
      const startsAt = shanghaiInstant(form.startsAt)
      const minutes = (form.minutes ?? '').trim() === '' ? 120 : wholeNumber(form.minutes, 30, 24 * 60)
      const endsAt = startsAt && minutes ? new Date(Date.parse(startsAt) + minutes * 60_000).toISOString() : ''
      assertNoProblems([
        ...unless(venue !== undefined, field('venue'), t('hallProjects.error.venue')),
        ...(startsAt === '' ? [{ field: field('starts'), message: t('hallProjects.error.startsAt') }] : unless(Date.parse(startsAt) > app.clock.now().getTime(), field('starts'), t('hallProjects.error.startsPast'))),
        ...unless(minutes !== null, field('minutes'), t('hallProjects.error.minutes'))
      ])
      // the room's other bookings that day: a clash is said before the confirmation (the database decides at the end)
      const sameDay = await projects.schedule({ from: shanghaiDate(new Date(startsAt)), days: 2 })
      const clash = sameDay.some((booking) => booking.venueId === venue!.id && Date.parse(booking.startsAt) < Date.parse(endsAt) && Date.parse(booking.endsAt) > Date.parse(startsAt))
      assertNoProblems(unless(!clash, field('starts'), t('errors.VENUE_DOUBLE_BOOKED')), 409)
      if (!isConfirmed(form)) {
        const project = await projects.getProject(actor, projectId)
        if (project.status !== 'registered') throw new ProjectStateInvalid(project.status, 'only a registered project can be accepted or rejected')
        const from = helpers.deadline(startsAt, lang)
        const to = helpers.deadline(endsAt, lang)
        return showConfirmation(request, reply, {
          title: t('hallProjects.acceptConfirm.title'),
          facts: [
            [t('tender.project'), project.name],
            [t('tender.code'), project.code],
            [t('tender.tenderer'), project.tendererName],
            [t('tender.estimate'), helpers.money(project.estimateFen)],
            [t('schedule.room'), venue!.name],
            [t('hallProjects.acceptConfirm.slot'), t('hallProjects.acceptConfirm.slotValue', { from, to, minutes: minutes! })]
          ],
          consequences: [
            t('hallProjects.acceptConfirm.accept', { name: project.name }),
            t('hallProjects.acceptConfirm.room', { room: venue!.name, from, to }),
            t('hallProjects.acceptConfirm.final')
          ],
          action: `/hall/projects/${projectId}/decision`,
          fields: { decision: 'accept', venueId: venue!.id, startsAt: form.startsAt?.trim(), minutes: String(minutes) },
          confirmLabel: t('hallProjects.acceptConfirm.button'),
          backHref: `/hall/projects#project-${projectId}`
        })
      }
      await projects.decideProject(actor, projectId, { decision: 'accept', slot: { venueId: venue!.id, startsAt, endsAt } })
      return reply.redirect('/hall/projects?done=accepted')
    } catch (error) {
      const problems = refusalProblems(request, error, { VENUE_DOUBLE_BOOKED: field('starts'), BOOKING_SLOT_INVALID: field('starts'), VENUE_NOT_FOUND: field('venue') })
      reply.code(statusOf(error))
      return showHall(request, reply, { ...formErrors(problems, `${form.decision}-${projectId}`), values: keptValues(form) })
    }
  })

  app.post('/hall/venues', {
    config: { policy: 'venues.manage' },
    schema: { body: StrictObject({ code: FormText(100), name: FormText(1000), seats: FormText(20) }) }
  }, async (request, reply) => {
    try {
      const { t } = pageContext(request)
      const input = { code: (request.body.code ?? '').trim().toUpperCase(), name: (request.body.name ?? '').trim(), seats: wholeNumber(request.body.seats, 1, 2000) }
      const { properties } = CreateVenueSchema
      assertNoProblems([
        ...unless(Value.Check(properties.code, input.code), 'venue-code', t('hallProjects.error.venueCode')),
        ...unless(Value.Check(properties.name, input.name), 'venue-name', t('hallProjects.error.venueName')),
        ...unless(input.seats !== null, 'venue-seats', t('hallProjects.error.seats'))
      ])
      await projects.createVenue(actorOf(request), { ...input, seats: input.seats! })
      return reply.redirect('/hall/projects?done=venue')
    } catch (error) {
      const problems = refusalProblems(request, error, { VENUE_CODE_TAKEN: 'venue-code' })
      reply.code(statusOf(error))
      return showHall(request, reply, { ...formErrors(problems, 'venue'), values: keptValues(request.body) })
    }
  })
}
