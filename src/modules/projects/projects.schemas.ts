import { Type, type Static } from 'typebox'
import { Fen, IsoDate, Nullable, StrictObject, Timestamp, Uuid } from '../../lib/http-schemas.ts'
import { PROJECT_STATUSES, TRADE_TYPES } from '../../../schema/trading.ts'

export const TradeTypeSchema = Type.Enum(TRADE_TYPES, {
  description: 'construction works (工程建设), government procurement of goods / services / works, land use rights, mining rights, state-owned property'
})
export type TradeType = Static<typeof TradeTypeSchema>
export const ProjectStatusSchema = Type.Enum(PROJECT_STATUSES)

const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength })
const Decimal = Type.String({ pattern: '^[0-9]{1,12}(\\.[0-9]{1,4})?$', maxLength: 17 })

/** The fields each trade type declares at entry. */
export const DETAILS_SCHEMAS = {
  construction_works: StrictObject({
    site: Text(200),
    scale: Text(500),
    qualification: Text(300),
    plannedDays: Type.Integer({ minimum: 1, maximum: 3650 })
  }),
  procurement: StrictObject({
    method: Type.Enum(['public_tender', 'invited_tender', 'competitive_negotiation', 'competitive_consultation', 'inquiry']),
    budgetReference: Text(60),
    deliveryPlace: Text(200)
  }),
  land_use_rights: StrictObject({
    parcelNumber: Text(60),
    location: Text(200),
    areaSqm: Decimal,
    landUse: Text(60),
    tenureYears: Type.Integer({ minimum: 1, maximum: 70 })
  }),
  mining_rights: StrictObject({
    mineral: Text(60),
    location: Text(200),
    areaSqKm: Decimal,
    licenceYears: Type.Integer({ minimum: 1, maximum: 30 })
  }),
  state_property: StrictObject({
    assetDescription: Text(500),
    holder: Text(200),
    appraisalReport: Text(200)
  })
} as const

const LotSchema = StrictObject({ number: Type.Integer({ minimum: 1, maximum: 99 }), name: Text(200), estimateFen: Fen })

const common = {
  name: Text(200),
  tendererName: Text(200),
  tendererCreditCode: Type.String({ pattern: '^[0-9A-HJ-NPQRTUWXY]{18}$', description: 'unified social credit code' }),
  agencyName: Type.Optional(Text(200)),
  estimateFen: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'budget (procurement) or estimate, fen' }),
  priceCeilingFen: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
  fundingSource: Text(200),
  mandatoryTendering: Type.Boolean({ description: '依法必须招标: statutory timing blocks instead of warning' }),
  lots: Type.Optional(Type.Array(LotSchema, { maxItems: 99 }))
}

export const RegisterProjectSchema = Type.Union([
  StrictObject({ ...common, tradeType: Type.Literal('construction_works'), details: DETAILS_SCHEMAS.construction_works }),
  StrictObject({ ...common, tradeType: Type.Union([Type.Literal('procurement_goods'), Type.Literal('procurement_services'), Type.Literal('procurement_works')]), details: DETAILS_SCHEMAS.procurement }),
  StrictObject({ ...common, tradeType: Type.Literal('land_use_rights'), details: DETAILS_SCHEMAS.land_use_rights }),
  StrictObject({ ...common, tradeType: Type.Literal('mining_rights'), details: DETAILS_SCHEMAS.mining_rights }),
  StrictObject({ ...common, tradeType: Type.Literal('state_property'), details: DETAILS_SCHEMAS.state_property })
])
export type RegisterProject = Static<typeof RegisterProjectSchema>

export const BookingSchema = Type.Object({
  id: Uuid,
  venueId: Uuid,
  venueName: Type.String(),
  projectId: Uuid,
  projectCode: Type.String(),
  projectName: Type.String(),
  purpose: Type.String(),
  startsAt: Timestamp,
  endsAt: Timestamp
})
export type BookingView = Static<typeof BookingSchema>

export const ProjectSchema = Type.Object({
  id: Uuid,
  code: Type.String(),
  tradeType: TradeTypeSchema,
  name: Type.String(),
  tendererName: Type.String(),
  tendererCreditCode: Type.String(),
  agencyName: Nullable(Type.String()),
  estimateFen: Fen,
  priceCeilingFen: Nullable(Fen),
  fundingSource: Type.String(),
  mandatoryTendering: Type.Boolean(),
  details: Type.Record(Type.String(), Type.Unknown()),
  lots: Type.Array(Type.Object({ number: Type.Integer(), name: Type.String(), estimateFen: Fen })),
  status: ProjectStatusSchema,
  registeredAt: Timestamp,
  decidedAt: Nullable(Timestamp),
  rejectionReason: Nullable(Type.String()),
  bookings: Type.Array(BookingSchema)
})
export type ProjectView = Static<typeof ProjectSchema>

export const SlotSchema = StrictObject({
  venueId: Uuid,
  startsAt: Timestamp,
  endsAt: Timestamp
})
export type Slot = Static<typeof SlotSchema>

export const ProjectDecisionSchema = Type.Union([
  StrictObject({ decision: Type.Literal('accept'), slot: SlotSchema }),
  StrictObject({ decision: Type.Literal('reject'), reason: Text(1000) })
])
export type ProjectDecision = Static<typeof ProjectDecisionSchema>

export const CreateVenueSchema = StrictObject({
  code: Type.String({ pattern: '^[A-Z0-9][A-Z0-9-]{0,15}$' }),
  name: Text(100),
  seats: Type.Integer({ minimum: 1, maximum: 2000 })
})
export type CreateVenue = Static<typeof CreateVenueSchema>

export const VenueSchema = Type.Object({ id: Uuid, code: Type.String(), name: Type.String(), seats: Type.Integer(), active: Type.Boolean() })
export type VenueView = Static<typeof VenueSchema>

export const ScheduleQuery = StrictObject({ from: Type.Optional(IsoDate), days: Type.Optional(Type.Integer({ minimum: 1, maximum: 92, default: 14 })) })
export const ProjectParams = StrictObject({ projectId: Uuid })
export const ProjectListQuery = StrictObject({
  status: Type.Optional(ProjectStatusSchema),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }))
})
