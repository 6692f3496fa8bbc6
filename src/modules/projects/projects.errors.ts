import { createError } from '../../lib/errors.ts'

export const ProjectNotFound = createError<'PROJECT_NOT_FOUND', 404, [string]>('PROJECT_NOT_FOUND', 'Project %s not found', 404)
export const ProjectStateInvalid = createError<'PROJECT_STATE_INVALID', 409, [string, string]>('PROJECT_STATE_INVALID', 'The project is %s; %s', 409)
export const ProjectDetailsInvalid = createError<'PROJECT_DETAILS_INVALID', 422, [string]>('PROJECT_DETAILS_INVALID', '%s', 422)
export const VenueNotFound = createError<'VENUE_NOT_FOUND', 404, [string]>('VENUE_NOT_FOUND', 'Venue %s not found', 404)
export const VenueInvalid = createError<'VENUE_INVALID', 422, [string]>('VENUE_INVALID', 'The venue is not valid: %s', 422)
export const VenueCodeTaken = createError<'VENUE_CODE_TAKEN', 409, [string]>('VENUE_CODE_TAKEN', 'A venue with code %s exists', 409)
export const VenueDoubleBooked = createError<'VENUE_DOUBLE_BOOKED', 409, [string]>('VENUE_DOUBLE_BOOKED', 'Room %s is already booked for part of that time slot', 409)
export const BookingSlotInvalid = createError<'BOOKING_SLOT_INVALID', 422, [string]>('BOOKING_SLOT_INVALID', '%s', 422)
