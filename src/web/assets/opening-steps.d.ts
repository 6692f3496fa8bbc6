// Types of opening-steps.js, which the opening pages also run on the server.
import type { OpeningView } from '../../modules/openings/openings.schemas.ts'

type Opening = Pick<OpeningView, 'state' | 'signInOpensAt' | 'bidDeadline' | 'coefficient' | 'window' | 'confirmUntil' | 'you' | 'bids'>

export interface Countdown { key: string, until: string }
export interface ActionStep { shown: boolean, done: boolean, actionKey: string, doneKey: string }
export type ActionName = 'sign-in' | 'reveal' | 'confirm' | 'object'

export function countdownTarget (opening: Opening, nowMs: number): Countdown | null
export function remaining (until: string, nowMs: number): string
export function actionSteps (opening: Opening): Record<ActionName, ActionStep>
