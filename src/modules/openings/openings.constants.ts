/**
 * The opening's timer kinds and its live room, shared by the service and its use-case files
 * (openings.decryption.ts, openings.confirmation.ts, openings.host.ts); openings.service.ts
 * re-exports them.
 */
export const WINDOW_TIMER = 'openings.window_end'
export const CONFIRM_TIMER = 'openings.confirmation_end'
export const openingRoom = (tenderId: string) => `opening:${tenderId}`
