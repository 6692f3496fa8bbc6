/**
 * The opening room's countdown and action states as pure functions of the room (GET
 * /api/openings/:id) and the server's time: the page and the room script both draw from them.
 */
import t from 'tap'
import { actionSteps, countdownTarget, remaining } from '../../src/web/assets/opening-steps.js'
import type { OpeningView } from '../../src/modules/openings/openings.schemas.ts'

const deadline = Date.parse('2026-12-07T02:00:00Z')
const minutes = (n: number) => n * 60_000
const iso = (ms: number) => new Date(ms).toISOString()

function room (overrides: Partial<OpeningView> = {}): OpeningView {
  return {
    state: 'sign_in',
    bidDeadline: iso(deadline),
    signInOpensAt: iso(deadline - minutes(30)),
    coefficient: null,
    window: null,
    confirmUntil: null,
    you: { capacity: 'bidder', signedIn: false, submissionId: '00000000-0000-4000-8000-000000000001' },
    bids: [],
    ...overrides
  } as OpeningView
}

const bid = (overrides: Record<string, unknown>) => ({ submissionId: '00000000-0000-4000-8000-000000000001', status: 'sealed', confirmation: null, ...overrides }) as unknown as OpeningView['bids'][number]

t.test('during sign-in the countdown runs to the bid deadline, then to the next step or not at all', async (t) => {
  t.same(countdownTarget(room({ state: 'sign_in' }), deadline - minutes(10)), { key: 'opening.countdown.deadline', until: iso(deadline) }, 'sign-in: the deadline, not the sign-in opening already past')
  t.equal(remaining(iso(deadline), deadline - minutes(10) - 500), '00:10:00')
  t.same(countdownTarget(room({ state: 'scheduled' }), deadline - minutes(10)), { key: 'opening.countdown.deadline', until: iso(deadline) }, 'a room not yet moved to sign-in counts to the deadline too')
  t.same(countdownTarget(room({ state: 'scheduled' }), deadline - minutes(45)), { key: 'opening.countdown.sign_in', until: iso(deadline - minutes(30)) }, 'before sign-in opens: to sign-in')
  t.equal(countdownTarget(room({ state: 'sign_in' }), deadline + 1000), null, 'past the deadline, waiting for the freeze: no countdown')
  t.equal(countdownTarget(room({ state: 'frozen' }), deadline + 1000), null, 'frozen without K: no next time')
  const coefficient = { deadline: iso(deadline + minutes(15)), value: null } as unknown as OpeningView['coefficient']
  t.same(countdownTarget(room({ state: 'frozen', coefficient }), deadline + 1000), { key: 'opening.countdown.nonce', until: iso(deadline + minutes(15)) }, 'frozen with K declared: the nonce deadline')
  t.equal(countdownTarget(room({ state: 'frozen', coefficient }), deadline + minutes(16)), null, 'an overdue nonce shows its alarm, not a clock at zero')
  const window = { opensAt: iso(deadline + minutes(1)), endsAt: iso(deadline + minutes(31)) }
  t.same(countdownTarget(room({ state: 'decrypting', window }), deadline + minutes(2)), { key: 'opening.countdown.window', until: window.endsAt })
  t.same(countdownTarget(room({ state: 'confirming', confirmUntil: iso(deadline + minutes(90)) }), deadline + minutes(60)), { key: 'opening.countdown.confirm', until: iso(deadline + minutes(90)) })
  t.equal(countdownTarget(room({ state: 'recorded' }), deadline + minutes(60)), null)
  t.equal(countdownTarget(room({ state: 'closed', confirmUntil: iso(deadline + minutes(90)) }), deadline + minutes(60)), null, 'a closed room counts to nothing')
})

t.test('each action of the visitor shows where it can be taken and, once done, says so', async (t) => {
  const before = actionSteps(room())
  t.same([before['sign-in'].done, before.reveal.shown, before.confirm.shown, before.object.shown], [false, false, false, false])
  t.ok(actionSteps(room({ you: { capacity: 'bidder', signedIn: true, submissionId: null } }))['sign-in'].done, 'signed in')

  const decrypting = actionSteps(room({ state: 'decrypting', bids: [bid({})] }))
  t.same([decrypting.reveal.shown, decrypting.reveal.done], [true, false], 'the window: decrypt')
  const revealed = actionSteps(room({ state: 'recorded', bids: [bid({ status: 'opened' })] }))
  t.same([revealed.reveal.shown, revealed.reveal.done, revealed.reveal.doneKey], [true, true, 'opening.revealDone'], 'decrypted stays said after the window')

  const deciding = actionSteps(room({ state: 'confirming', bids: [bid({ status: 'opened' })] }))
  t.same([deciding.confirm.shown, deciding.confirm.done, deciding.object.shown], [true, false, true])
  const confirmed = actionSteps(room({ state: 'confirming', bids: [bid({ status: 'opened', confirmation: 'confirmed' })] }))
  t.same([confirmed.confirm.shown, confirmed.confirm.done, confirmed.object.shown], [true, true, false], 'confirmed: 已确认, no objection form')
  const objected = actionSteps(room({ state: 'closed', bids: [bid({ status: 'opened', confirmation: 'objected' })] }))
  t.same([objected.confirm.shown, objected.object.shown, objected.object.done], [false, true, true], 'objected: the objection is said, confirming is gone')
  const host = actionSteps(room({ state: 'confirming', you: { capacity: 'host', signedIn: true, submissionId: null }, bids: [bid({ submissionId: 'x' })] }))
  t.same([host.reveal.shown, host.confirm.shown, host.object.shown], [false, false, false], 'a host has no bid to decrypt or confirm')
})
