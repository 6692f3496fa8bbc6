// What the opening room shows at a moment, from GET /api/openings/:id and the server's time:
// which countdown runs and which of the visitor's own actions are done. Pure functions, so the
// server renders a page in the same state the room script then keeps up to date (a reload shows
// what the visitor already did, not the buttons to do it again).

/**
 * The instant the room counts down to, and its label. Before sign-in opens: sign-in. From then
 * until the bid deadline (the opening's start): the deadline, whatever the room's state says.
 * After it: the next step's own time while it lies ahead (the supervisor's nonce, the end of the
 * decryption window, the end of confirmations), else nothing.
 */
export function countdownTarget (opening, nowMs) {
  const ahead = (instant) => instant && Date.parse(instant) > nowMs
  const beforeDeadline = opening.state === 'scheduled' || opening.state === 'sign_in'
  if (beforeDeadline && ahead(opening.signInOpensAt)) return { key: 'opening.countdown.sign_in', until: opening.signInOpensAt }
  if (beforeDeadline && ahead(opening.bidDeadline)) return { key: 'opening.countdown.deadline', until: opening.bidDeadline }
  if (opening.state === 'frozen' && opening.coefficient && !opening.coefficient.value && ahead(opening.coefficient.deadline)) {
    return { key: 'opening.countdown.nonce', until: opening.coefficient.deadline }
  }
  if (opening.state === 'decrypting' && ahead(opening.window?.endsAt)) return { key: 'opening.countdown.window', until: opening.window.endsAt }
  if (opening.state === 'confirming' && ahead(opening.confirmUntil)) return { key: 'opening.countdown.confirm', until: opening.confirmUntil }
  return null
}

/** `hh:mm:ss` left until `until`, never negative. */
export function remaining (until, nowMs) {
  const seconds = Math.max(0, Math.floor((Date.parse(until) - nowMs) / 1000))
  return [Math.floor(seconds / 3600), Math.floor((seconds % 3600) / 60), seconds % 60].map((part) => String(part).padStart(2, '0')).join(':')
}

/**
 * The visitor's own actions: each shows where it can be taken and, once done, stays as a
 * disabled button saying so. `confirm` and `object` are one decision: after either, the other
 * goes away.
 */
export function actionSteps (opening) {
  const mine = opening.you.submissionId ? opening.bids.find((bid) => bid.submissionId === opening.you.submissionId) ?? null : null
  const revealed = mine?.status === 'opened'
  const confirmation = mine?.confirmation ?? null
  const confirmed = confirmation !== null && confirmation !== 'objected'
  const deciding = opening.state === 'confirming' && mine !== null && confirmation === null
  return {
    'sign-in': { shown: true, done: opening.you.signedIn, actionKey: 'opening.signIn', doneKey: 'opening.signedIn' },
    reveal: { shown: revealed || (opening.state === 'decrypting' && mine !== null), done: revealed, actionKey: 'opening.reveal', doneKey: 'opening.revealDone' },
    confirm: { shown: deciding || confirmed, done: confirmed, actionKey: 'opening.confirm', doneKey: 'opening.confirmDone' },
    object: { shown: deciding || confirmation === 'objected', done: confirmation === 'objected', actionKey: 'opening.object', doneKey: 'opening.objectDone' }
  }
}
