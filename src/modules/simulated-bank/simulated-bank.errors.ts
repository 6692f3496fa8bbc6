import { createError } from '../../lib/errors.ts'

export const SimulatedPaymentRefused = createError<'SIMULATED_BANK_REFUSED', 409, [string]>('SIMULATED_BANK_REFUSED', 'The bank refused the payment: %s', 409)
