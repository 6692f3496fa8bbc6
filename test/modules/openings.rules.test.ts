import t from 'tap'
import {
  art31Outcome, canMove, confirmationDeadline, drawColour, escrowCanRemedy, failureAtWindowEnd, isRetryable, kNonceDeadline, kWarningAt, mayGiveNonce, recordRows, referencePriceFen,
  revealProblem, signInOpensAt
} from '../../src/modules/openings/openings.rules.ts'

t.test('the opening room moves forward only', async (t) => {
  t.ok(canMove('sign_in', 'frozen'))
  t.ok(canMove('frozen', 'failed'), 'fewer than three bids: the tender fails')
  t.notOk(canMove('sign_in', 'decrypting'), 'bids are frozen before anything is decrypted')
  t.ok(canMove('confirming', 'failed'), 'a tender cancelled during its opening ends it')
  t.notOk(canMove('closed', 'failed'))
  t.ok(canMove('frozen', 'decrypting'))
  t.ok(canMove('frozen', 'k_drawn'))
  t.notOk(canMove('decrypting', 'sign_in'))
  t.notOk(canMove('closed', 'confirming'))
})

t.test('Art. 31: the bidder\'s fault revokes, the platform\'s withdraws; escrow remedies a missing key', async (t) => {
  t.equal(art31Outcome('not_revealed'), 'deemed_revoked')
  t.equal(art31Outcome('wrong_key'), 'deemed_revoked')
  t.equal(art31Outcome('commitment_mismatch'), 'deemed_revoked')
  t.equal(art31Outcome('platform_fault'), 'deemed_withdrawn')
  t.equal(art31Outcome('package_changed'), 'deemed_withdrawn')
  t.ok(escrowCanRemedy('not_revealed'))
  t.notOk(escrowCanRemedy('commitment_mismatch'), 'the escrow cannot make a changed price right')
  t.same(confirmationDeadline(new Date('2026-12-17T02:00:00Z'), 30), new Date('2026-12-17T02:30:00Z'))
})

t.test('the record lists bids in the order received, with the declared fields of opened bids only', async (t) => {
  const rows = recordRows([{ key: 'priceFen' }, { key: 'durationDays' }], [
    { bidderId: 'b', bidderName: '宏达', bond: 'paid', receivedAt: new Date('2026-12-16T08:00:00Z'), outcome: 'deemed_revoked', opening: null },
    { bidderId: 'a', bidderName: '建业', bond: 'guaranteed', receivedAt: new Date('2026-12-15T08:00:00Z'), outcome: 'opened', opening: { priceFen: '1288800000', durationDays: 300, secret: 'x' } }
  ])
  t.same(rows.map((row) => row.bidderName), ['建业', '宏达'])
  t.same(rows[0]!.fields, { priceFen: '1288800000', durationDays: 300 }, 'undeclared fields never reach the record')
  t.same(rows[1]!.fields, { priceFen: null, durationDays: null })
})

t.test('a reveal is in time inside the window, both ends included, and never while paused', async (t) => {
  const endsAt = new Date('2026-12-17T02:30:00Z')
  const decrypting = { state: 'decrypting' as const, pausedAt: null, windowEndsAt: endsAt }
  t.equal(revealProblem(decrypting, endsAt), null, 'the last instant of the window counts')
  t.equal(revealProblem(decrypting, new Date(endsAt.getTime() + 1)), 'DECRYPTION_CLOSED')
  t.equal(revealProblem({ ...decrypting, pausedAt: new Date('2026-12-17T02:00:00Z') }, endsAt), 'OPENING_PAUSED')
  t.equal(revealProblem({ ...decrypting, state: 'frozen' }, endsAt), 'DECRYPTION_NOT_OPEN')
  t.equal(revealProblem({ ...decrypting, state: 'k_drawn' }, endsAt), 'DECRYPTION_NOT_OPEN')
  t.equal(revealProblem({ ...decrypting, state: 'remedy' }, endsAt), 'DECRYPTION_CLOSED')
  t.ok(isRetryable('wrong_key') && isRetryable('platform_fault'))
  t.notOk(isRetryable('commitment_mismatch'), 'a price that does not match its commitment is final')
  t.same(signInOpensAt(endsAt), new Date('2026-12-17T02:00:00Z'))
})

t.test('the reference price is the mean of the opened prices times K, exact to the fen, rounded half up', async (t) => {
  t.equal(referencePriceFen([100n, 200n], '1.00'), 150n)
  t.equal(referencePriceFen([1288800000n, 1302500000n, 1276000000n], '0.97'), 1250427000n, '3,867,300,000 × 0.97 / 3')
  t.equal(referencePriceFen([1288800001n, 1302500000n, 1276000000n], '0.97'), 1250427000n, '1,250,427,000.32… rounds down')
  t.equal(referencePriceFen([100n, 101n], '0.95'), 95n, '95.475 rounds to 95')
  t.equal(referencePriceFen([1n, 2n], '1.0'), 2n, '1.5 rounds half up')
  t.equal(referencePriceFen([], '1.02'), null)
})

t.test('a bid still sealed at the window\'s end is judged by its final state', async (t) => {
  t.equal(failureAtWindowEnd(null), 'not_revealed')
  t.equal(failureAtWindowEnd('wrong_key'), 'not_revealed', 'a wrong key tried once and not followed up: not revealed')
  t.ok(escrowCanRemedy(failureAtWindowEnd('wrong_key')), 'so the declared remedy applies to it as to a silent bidder')
  t.equal(failureAtWindowEnd('platform_fault'), 'platform_fault', 'the platform\'s fault stays the platform\'s (deemed withdrawn)')
})

t.test('K\'s nonce: due 15 minutes after the freeze, yellow 5 minutes before, red from the deadline; the host may give it only when red', async (t) => {
  const frozenAt = new Date('2026-12-17T01:30:00Z')
  const deadline = kNonceDeadline(frozenAt)
  t.same(deadline, new Date('2026-12-17T01:45:00Z'))
  t.same(kWarningAt(deadline), new Date('2026-12-17T01:40:00Z'))
  t.equal(drawColour(deadline, new Date('2026-12-17T01:39:59.999Z')), 'green')
  t.equal(drawColour(deadline, new Date('2026-12-17T01:40:00Z')), 'yellow')
  t.equal(drawColour(deadline, new Date('2026-12-17T01:44:59.999Z')), 'yellow')
  t.equal(drawColour(deadline, deadline), 'red', 'the deadline itself is late')
  t.ok(mayGiveNonce('supervisor', deadline, new Date('2026-12-17T01:31:00Z')))
  t.ok(mayGiveNonce('supervisor', deadline, new Date('2026-12-17T02:31:00Z')), 'the supervisor may still give it late')
  t.notOk(mayGiveNonce('host', deadline, new Date('2026-12-17T01:44:59Z')))
  t.ok(mayGiveNonce('host', deadline, deadline))
})
