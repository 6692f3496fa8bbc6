import { Value } from 'typebox/value'
import type { Actor } from '../../lib/actor.ts'
import { isProjectParty, overseesProjects, type Principal } from '../../lib/policy.ts'
import { endOfShanghaiDay, shanghaiDate } from '../../lib/working-days.ts'
import { auditRecord, type Audit } from '../../plugins/audit.ts'
import type { Clock } from '../../plugins/clock.ts'
import { postgresErrorOf, type Database, type Queryable, type Transaction } from '../../plugins/db.ts'
import { BookingSlotInvalid, ProjectDetailsInvalid, ProjectNotFound, ProjectStateInvalid, VenueCodeTaken, VenueDoubleBooked, VenueInvalid, VenueNotFound } from './projects.errors.ts'
import * as repo from './projects.repository.ts'
import { projectCode, projectProblem, slotProblem } from './projects.rules.ts'
import { CreateVenueSchema, type BookingView, type CreateVenue, type ProjectDecision, type ProjectView, type RegisterProject, type Slot, type VenueView } from './projects.schemas.ts'

export interface ProjectsDeps { db: Database, audit: Audit, clock: Clock }

const BOOKING_OVERLAP = 'venue_bookings_no_overlap'

export function bookingView (row: repo.BookingWithNames): BookingView {
  return {
    id: row.id,
    venueId: row.venueId,
    venueName: row.venueName,
    projectId: row.projectId,
    projectCode: row.projectCode,
    projectName: row.projectName,
    purpose: row.purpose,
    startsAt: row.startsAt.toISOString(),
    endsAt: row.endsAt.toISOString()
  }
}

const venueView = (row: repo.VenueRow): VenueView => ({ id: row.id, code: row.code, name: row.name, seats: row.seats, active: row.active })

export function createProjectsService ({ db, audit, clock }: ProjectsDeps) {
  async function view (on: Database | Transaction, row: repo.ProjectRow): Promise<ProjectView> {
    const [lots, bookings] = await Promise.all([repo.lotsOf(on, row.id), repo.activeBookingsOf(on, row.id)])
    return {
      id: row.id,
      code: row.code,
      tradeType: row.tradeType,
      name: row.name,
      tendererName: row.tendererName,
      tendererCreditCode: row.tendererCreditCode,
      agencyName: row.agencyName,
      estimateFen: Number(row.estimateFen),
      priceCeilingFen: row.priceCeilingFen === null ? null : Number(row.priceCeilingFen),
      fundingSource: row.fundingSource,
      mandatoryTendering: row.mandatoryTendering,
      details: row.details as Record<string, unknown>,
      lots: lots.map((lot) => ({ number: lot.number, name: lot.name, estimateFen: Number(lot.estimateFen) })),
      status: row.status,
      registeredAt: row.registeredAt.toISOString(),
      decidedAt: row.decidedAt?.toISOString() ?? null,
      rejectionReason: row.rejectionReason,
      bookings: bookings.map(bookingView)
    }
  }

  /** The project if the actor is one of its parties or oversees it; 404 otherwise. */
  async function visibleProject (actor: Actor, projectId: string, on: Database | Transaction = db, options: { forUpdate?: boolean } = {}): Promise<repo.ProjectRow> {
    const row = await repo.findProject(on, projectId, options)
    if (!row || !(isProjectParty(actor.principal, row) || overseesProjects(actor.principal, row))) throw new ProjectNotFound(projectId)
    return row
  }

  /** The project if the actor is one of its parties (the tenderer or its agency); 404 otherwise. */
  async function ownProject (actor: Actor, projectId: string, on: Database | Transaction = db): Promise<repo.ProjectRow> {
    const row = await repo.findProject(on, projectId)
    if (!row || !isProjectParty(actor.principal, row)) throw new ProjectNotFound(projectId)
    return row
  }

  async function registerProject (actor: Actor, input: RegisterProject): Promise<ProjectView> {
    const lots = (input.lots ?? []).map((lot) => ({ number: lot.number, name: lot.name, estimateFen: BigInt(lot.estimateFen) }))
    const estimateFen = BigInt(input.estimateFen)
    const priceCeilingFen = input.priceCeilingFen === undefined ? null : BigInt(input.priceCeilingFen)
    const problem = projectProblem({ tradeType: input.tradeType, tendererCreditCode: input.tendererCreditCode, estimateFen, priceCeilingFen, lots })
    if (problem) throw new ProjectDetailsInvalid(problem)
    return db.transaction(async (tx) => {
      const now = clock.now()
      const number = await repo.nextProjectNumber(tx)
      const row = await repo.insertProject(tx, {
        code: projectCode(input.tradeType, Number(shanghaiDate(now).slice(0, 4)), number),
        tradeType: input.tradeType,
        name: input.name,
        tendererName: input.tendererName,
        tendererCreditCode: input.tendererCreditCode,
        agencyName: input.agencyName ?? null,
        estimateFen,
        priceCeilingFen,
        fundingSource: input.fundingSource,
        mandatoryTendering: input.mandatoryTendering,
        details: input.details,
        registeredBy: actor.principal.accountId,
        registeredAt: now
      }, lots)
      await audit.append(tx, auditRecord(actor, 'project.registered', 'project', row.id, { code: row.code, tradeType: row.tradeType, estimateFen: String(estimateFen), mandatoryTendering: row.mandatoryTendering }))
      return view(tx, row)
    })
  }

  async function getProject (actor: Actor, projectId: string): Promise<ProjectView> {
    return view(db, await visibleProject(actor, projectId))
  }

  /** Ids of the projects whose party the principal is (registered them, or granted on them). */
  async function listProjectsOf (principal: Principal): Promise<string[]> {
    const projectIds = principal.grants.filter((grant) => grant.scopeType === 'project').map((grant) => grant.scopeId!)
    return (await repo.listProjects(db, { partyOf: { accountId: principal.accountId, projectIds } }, 10_000, 0)).map((row) => row.id)
  }

  async function listProjects (actor: Actor, query: { status?: repo.ProjectRow['status'], limit?: number, offset?: number }): Promise<ProjectView[]> {
    const oversees = actor.principal.grants.some((grant) => (grant.role === 'hall_admin' || grant.role === 'supervisor') && grant.scopeType === 'hall')
    const partyOf = oversees
      ? undefined
      : {
          accountId: actor.principal.accountId,
          projectIds: actor.principal.grants.filter((grant) => grant.scopeType === 'project').map((grant) => grant.scopeId!)
        }
    const rows = await repo.listProjects(db, { status: query.status, partyOf }, query.limit ?? 50, query.offset ?? 0)
    return Promise.all(rows.map((row) => view(db, row)))
  }

  /**
   * Books a room for a slot. The exclusion constraint on venue_bookings decides double
   * bookings, so two clerks booking the same room at once cannot both succeed.
   */
  async function book (tx: Transaction, actor: Actor | null, input: Slot & { projectId: string, bookedBy: string, purpose?: string }): Promise<repo.BookingRow> {
    const startsAt = new Date(input.startsAt)
    const endsAt = new Date(input.endsAt)
    const problem = slotProblem(startsAt, endsAt, clock.now())
    if (problem) throw new BookingSlotInvalid(problem)
    const venue = await repo.findVenue(tx, input.venueId)
    if (!venue || !venue.active) throw new VenueNotFound(input.venueId)
    const booking = await insertOrRefuse(venue, () => repo.insertBooking(tx, { venueId: venue.id, projectId: input.projectId, startsAt, endsAt, bookedBy: input.bookedBy, purpose: input.purpose ?? 'opening' }))
    await audit.append(tx, auditRecord(actor, 'venue.booked', 'project', input.projectId, { bookingId: booking.id, venue: venue.code, startsAt: startsAt.toISOString(), endsAt: endsAt.toISOString() }))
    return booking
  }

  async function insertOrRefuse<T> (venue: repo.VenueRow, work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (error) {
      if (postgresErrorOf(error)?.constraint === BOOKING_OVERLAP) throw new VenueDoubleBooked(venue.name)
      throw error
    }
  }

  async function decideProject (actor: Actor, projectId: string, decision: ProjectDecision): Promise<ProjectView> {
    return db.transaction(async (tx) => {
      const row = await visibleProject(actor, projectId, tx, { forUpdate: true })
      if (row.status !== 'registered') throw new ProjectStateInvalid(row.status, 'only a registered project can be accepted or rejected')
      const now = clock.now()
      if (decision.decision === 'accept') {
        await book(tx, actor, { ...decision.slot, projectId, bookedBy: actor.principal.accountId })
      }
      const decided = await repo.decideProject(tx, projectId, {
        status: decision.decision === 'accept' ? 'accepted' : 'rejected',
        decidedBy: actor.principal.accountId,
        decidedAt: now,
        rejectionReason: decision.decision === 'reject' ? decision.reason : null
      })
      await audit.append(tx, auditRecord(actor, `project.${decided.status}`, 'project', projectId, decision.decision === 'reject' ? { reason: decision.reason } : {}))
      return view(tx, decided)
    })
  }

  async function addBooking (actor: Actor, projectId: string, slot: Slot): Promise<BookingView> {
    return db.transaction(async (tx) => {
      const project = await visibleProject(actor, projectId, tx, { forUpdate: true })
      if (project.status !== 'accepted') throw new ProjectStateInvalid(project.status, 'only an accepted project is scheduled')
      const booking = await book(tx, actor, { ...slot, projectId, bookedBy: actor.principal.accountId })
      const [withNames] = (await repo.activeBookingsOf(tx, projectId)).filter((row) => row.id === booking.id)
      return bookingView(withNames!)
    })
  }

  /**
   * The opening slot of a tender, starting at its bid deadline (the opening time is the bid
   * deadline): the tender's booking, or else one of the project's bookings no tender holds,
   * moved to start at the deadline with its length and room kept. Null when the project has none.
   */
  async function placeOpening (tx: Transaction, input: { projectId: string, bookingId: string | null, heldBookingIds: string[], startsAt: Date }): Promise<repo.BookingRow | null> {
    const candidates = await repo.activeBookingsOf(tx, input.projectId)
    const booking = input.bookingId
      ? candidates.find((row) => row.id === input.bookingId)
      : candidates.find((row) => !input.heldBookingIds.includes(row.id))
    if (!booking) return null
    if (booking.startsAt.getTime() === input.startsAt.getTime()) return booking
    const venue = (await repo.findVenue(tx, booking.venueId))!
    const endsAt = new Date(input.startsAt.getTime() + (booking.endsAt.getTime() - booking.startsAt.getTime()))
    const moved = await insertOrRefuse(venue, () => repo.moveBooking(tx, booking.id, input.startsAt, endsAt))
    await audit.append(tx, auditRecord(null, 'venue.booking_moved', 'project', input.projectId, { bookingId: booking.id, from: booking.startsAt.toISOString(), to: input.startsAt.toISOString() }))
    return moved
  }

  async function releaseBooking (tx: Transaction, bookingId: string): Promise<void> {
    await repo.cancelBooking(tx, bookingId, clock.now())
  }

  async function createVenue (actor: Actor, input: CreateVenue): Promise<VenueView> {
    // the hall's page builds this input from form text (seats may be NaN), not through the API schema
    if (!Value.Check(CreateVenueSchema, input)) {
      const first = [...Value.Errors(CreateVenueSchema, input)][0]
      throw new VenueInvalid(first ? `${first.instancePath || '/'} ${first.message}` : 'code, name and seats')
    }
    return db.transaction(async (tx) => {
      const row = await repo.insertVenue(tx, input)
      if (!row) throw new VenueCodeTaken(input.code)
      await audit.append(tx, auditRecord(actor, 'venue.created', 'venue', row.id, { code: row.code, name: row.name }))
      return venueView(row)
    })
  }

  /** The public trading schedule (交易日程): which room hosts which project when. */
  async function schedule (query: { from?: string, days?: number }): Promise<BookingView[]> {
    const from = query.from ?? shanghaiDate(clock.now())
    const start = new Date(endOfShanghaiDay(from).getTime() - 86_400_000)
    const end = new Date(start.getTime() + (query.days ?? 14) * 86_400_000)
    return (await repo.bookingsBetween(db, start, end)).map(bookingView)
  }

  /** Project rows by id, for the modules that hang off projects (no policy: they authorise). */
  async function projectRows (ids: string[], on: Queryable = db): Promise<Map<string, repo.ProjectRow>> {
    return new Map((await repo.findProjects(on, [...new Set(ids)])).map((row) => [row.id, row]))
  }

  return {
    projectRows,
    lotsOf: (projectId: string) => repo.lotsOf(db, projectId),
    projectIdsOfTradeType: (tradeType: repo.ProjectRow['tradeType']) => repo.projectIdsOfTradeType(db, tradeType),
    venueNameOfBooking: (bookingId: string, on: Queryable = db) => repo.venueNameOfBooking(on, bookingId),
    registerProject,
    getProject,
    listProjects,
    listProjectsOf,
    decideProject,
    addBooking,
    createVenue,
    listVenues: async () => (await repo.listVenues(db)).map(venueView),
    schedule,
    ownProject,
    visibleProject,
    placeOpening,
    releaseBooking
  }
}

export type ProjectsService = ReturnType<typeof createProjectsService>
