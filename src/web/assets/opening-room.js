// The opening room in the browser: the room log arrives live (resuming with `since` after any
// reconnect); after each event the page re-reads GET /api/openings/:id, which answers what this
// visitor may see, and redraws. Countdowns follow server time (clock.js). Actions call the same
// API as the command-line client; the secret file never leaves the page except as the reveal,
// and a private key picked to decrypt with never leaves it at all.
import { LiveClient } from './live-client.js'
import { serverNow } from './clock.js'
import { actionSteps, countdownTarget, remaining } from './opening-steps.js'

const root = document.querySelector('#opening')
const tenderId = root.dataset.tenderId
const view = root.dataset.view
const labels = JSON.parse(root.dataset.labels)
const fields = JSON.parse(root.dataset.fields)
const api = `/api/openings/${tenderId}`
const $ = (selector) => root.querySelector(selector)
let opening = null

function label (key, params = {}) {
  const template = labels[key] ?? key
  return template.replace(/\{(\w+)\}/g, (match, name) => String(params[name] ?? match))
}

function element (tag, attributes = {}, ...children) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value))
  }
  node.append(...children.filter((child) => child !== null && child !== undefined))
  return node
}

function yuan (fen) {
  const value = BigInt(fen)
  const whole = (value / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return `¥${whole}.${(value % 100n).toString().padStart(2, '0')}`
}

function say (text, kind = 'ok') {
  const message = $('[data-message]')
  message.hidden = false
  message.textContent = text
  message.className = kind === 'error' ? 'error' : kind === 'info' ? 'notice' : 'notice ok'
}

async function call (method, path, body) {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const answer = await response.json().catch(() => ({}))
  if (!response.ok) throw Object.assign(new Error(labels[`opening.error.${answer.code}`] ?? answer.detail ?? String(response.status)), { code: answer.code })
  return answer
}

function act (work, done = 'opening.done') {
  work().then(async () => {
    say(label(done))
    await refresh()
  }).catch((error) => say(error.message, 'error'))
}

// ---- drawing ----------------------------------------------------------------------------------

// without a step ahead there is no countdown at all, rather than a clock at zero or a dash
function tick () {
  if (!opening) return
  const now = serverNow().getTime()
  const target = countdownTarget(opening, now)
  const name = $('[data-countdown-label]')
  name.hidden = !target
  $('[data-countdown-value]').hidden = !target
  name.textContent = target ? label(target.key) : ''
  const clock = $('[data-opening-countdown]')
  clock.dateTime = target?.until ?? ''
  clock.textContent = !target ? '' : opening.paused ? '⏸' : remaining(target.until, now)
}

// the visitor's own actions: hidden until they can be taken, a disabled button saying so once done
function drawSteps () {
  const steps = actionSteps(opening)
  for (const button of root.querySelectorAll('[data-action="sign-in"]')) {
    button.disabled = steps['sign-in'].done
    button.dataset.signedIn = String(steps['sign-in'].done)
    button.textContent = label(steps['sign-in'].done ? steps['sign-in'].doneKey : steps['sign-in'].actionKey)
  }
  for (const name of ['reveal', 'confirm', 'object']) {
    const step = steps[name]
    const form = root.querySelector(`[data-form="${name}"]`)
    if (!form) continue
    form.hidden = !step.shown
    const button = form.querySelector('[data-step-button]')
    button.disabled = step.done
    button.textContent = label(step.done ? step.doneKey : step.actionKey)
    for (const pending of form.querySelectorAll('[data-pending]')) pending.hidden = step.done
  }
  const reveal = root.querySelector('[data-step="reveal"]')
  if (reveal) reveal.hidden = !steps.reveal.shown
  // once revealed, one disabled button says so: the other way to decrypt goes away
  const withKey = root.querySelector('[data-form="reveal-key"]')
  if (withKey) withKey.hidden = !steps.reveal.shown || steps.reveal.done
  const decision = root.querySelector('[data-step="decision"]')
  if (decision) decision.hidden = !steps.confirm.shown && !steps.object.shown
}

function bidStatus (bid) {
  if (bid.status === 'opened') return label('opening.bidStatus.opened') + (bid.openedBy === 'escrow' ? ` ${label('opening.openedBy.escrow')}` : '')
  if (bid.status === 'failed') return `${label('opening.failure.' + bid.failure)} · ${label('opening.outcome.' + bid.outcome)}`
  return label(`opening.bidStatus.${bid.status}`)
}

function drawBids () {
  const head = element('tr', {}, element('th', {}, label('opening.col.number')), element('th', {}, label('opening.col.bidder')), element('th', {}, label('opening.col.bond')),
    element('th', {}, label('opening.col.commitment')), element('th', {}, label('opening.col.status')),
    ...fields.map((field) => element('th', {}, field.label)), element('th', {}, label('opening.col.confirmation')))
  $('[data-bids] thead').replaceChildren(head)
  $('[data-bids] tbody').replaceChildren(...opening.bids.map((bid, index) => element('tr', { 'data-bidder': bid.bidderName, 'data-status': bid.status },
    element('td', {}, String(index + 1)),
    element('td', {}, bid.bidderName),
    element('td', {}, labels[`bond.${bid.bond}`] ?? bid.bond),
    element('td', {}, element('code', { title: bid.commitment ?? '' }, (bid.commitment ?? '').slice(0, 12))),
    element('td', { 'data-bid-status': bid.status }, bidStatus(bid)),
    ...fields.map((field) => {
      const value = bid.fields?.[field.key]
      return element('td', { 'data-field': field.key }, value === undefined || value === null ? '—' : field.kind === 'fen' ? yuan(value) : String(value))
    }),
    element('td', {}, bid.confirmation ? label(`opening.confirmation.${bid.confirmation}`) : '')
  )))
}

function drawObjections () {
  const items = opening.objections.map((objection) => {
    const item = element('li', { 'data-objection': objection.id }, element('strong', {}, objection.bidderName), '：', objection.text, ' — ',
      objection.answer ? element('em', { 'data-answer': '' }, objection.answer) : element('small', {}, label('opening.answerPending')))
    if (view === 'host' && !objection.answer) {
      const form = element('form', { 'data-form': 'answer', class: 'grid' }, element('input', { name: 'answer', maxlength: 2000, 'aria-label': label('opening.answer') }), element('button', { type: 'submit' }, label('opening.answer')))
      form.addEventListener('submit', (event) => {
        event.preventDefault()
        act(() => call('POST', `/objections/${objection.id}/answer`, { answer: form.answer.value.trim() }))
      })
      item.append(form)
    }
    return item
  })
  $('[data-objections]').replaceChildren(...(items.length > 0 ? items : [element('li', {}, label('opening.noObjections'))]))
}

function draw () {
  const state = $('[data-opening-state]')
  state.dataset.openingState = opening.state
  state.textContent = label(`opening.state.${opening.state}`)
  const paused = $('[data-paused]')
  paused.textContent = opening.paused ? label('opening.paused', { reason: opening.paused.reason }) : ''
  paused.hidden = !opening.paused
  // each action shows only when the opening is where it can be taken
  for (const form of root.querySelectorAll('[data-form="draw"]')) form.hidden = opening.state !== 'frozen'
  drawSteps()
  // the host gives K's nonce only once the supervisor's deadline has passed (the red alarm)
  const hostDraw = root.querySelector('[data-host-draw]')
  if (hostDraw) hostDraw.hidden = opening.state !== 'frozen' || opening.coefficient?.alarm !== 'red'
  for (const button of root.querySelectorAll('[data-action^="remedy-"]')) button.hidden = opening.state !== 'remedy'
  const live = opening.bids.filter((bid) => bid.status !== 'withdrawn')
  $('[data-progress]').textContent = label('opening.progressValue', {
    opened: live.filter((bid) => bid.status === 'opened').length, total: live.length, failed: live.filter((bid) => bid.status === 'failed').length
  })
  const coefficient = $('[data-coefficient]')
  if (coefficient && opening.coefficient) {
    const k = opening.coefficient
    const alarm = !k.value && k.alarm
      ? ` ${label(`opening.kAlarm.${k.alarm}`, { deadline: new Date(k.deadline).toLocaleTimeString(root.dataset.lang === 'en' ? 'en-GB' : 'zh-CN', { timeZone: 'Asia/Shanghai' }) })}`
      : ''
    coefficient.textContent = k.value
      ? `K = ${k.value}${k.drawnAs === 'host' ? ` ${label('opening.kDrawnByHost')}` : ''}`
      : k.commitment ? label('opening.coefficientPending', { commitment: k.commitment.slice(0, 16) }) + alarm : '—'
    coefficient.dataset.alarm = k.alarm ?? ''
  }
  drawBids()
  drawObjections()
  const attendance = $('[data-attendance]')
  if (attendance && opening.attendance) attendance.replaceChildren(...opening.attendance.map((row) => element('li', {}, `${row.displayName} · ${row.capacity}`)))
  const video = $('[data-video]')
  if (video) {
    if (opening.videoUrl && video.getAttribute('src') !== opening.videoUrl) video.src = opening.videoUrl
    video.hidden = !opening.videoUrl
    $('[data-no-video]').hidden = Boolean(opening.videoUrl)
  }
  tick()
}

let refreshing = null
async function refresh () {
  const response = await fetch(api, { headers: { accept: 'application/json' }, cache: 'no-store' })
  if (!response.ok) return
  opening = await response.json()
  draw()
  // the published record is printed by the server: show it as soon as it exists
  if (opening.record && !root.querySelector('[data-record]')) location.reload()
}

function refreshSoon () {
  refreshing ??= new Promise((resolve) => setTimeout(resolve, 150)).then(refresh).finally(() => { refreshing = null })
}

// ---- the live room log --------------------------------------------------------------------------

function summary (data) {
  const parts = []
  if (data.bidderName) parts.push(data.bidderName)
  if (data.displayName) parts.push(data.displayName)
  if (data.failure) parts.push(label(`opening.failure.${data.failure}`))
  if (data.outcome && data.outcome !== 'opened') parts.push(label(`opening.outcome.${data.outcome}`))
  if (data.value) parts.push(`K = ${data.value}`)
  if (data.fields) parts.push(fields.map((field) => data.fields[field.key] === undefined ? null : `${field.label} ${field.kind === 'fen' ? yuan(data.fields[field.key]) : data.fields[field.key]}`).filter(Boolean).join('，'))
  if (data.reason) parts.push(data.reason)
  if (data.text) parts.push(data.text)
  if (data.answer) parts.push(data.answer)
  return parts.join(' · ')
}

const log = $('[data-log]')
const client = new LiveClient({ onStatus: (status) => { $('[data-live-status]').textContent = label(`opening.live.${status}`) } })
client.subscribe(root.dataset.room, (event) => {
  const at = new Date(event.at).toLocaleTimeString(root.dataset.lang === 'en' ? 'en-GB' : 'zh-CN', { timeZone: 'Asia/Shanghai' })
  log.prepend(element('li', { 'data-event': event.event, 'data-seq': event.seq }, element('time', {}, at), ' ', element('strong', {}, label(`opening.event.${event.event}`)), ' ', summary(event.data ?? {})))
  refreshSoon()
})

// ---- actions ------------------------------------------------------------------------------------

function onForm (name, handler) {
  const form = root.querySelector(`[data-form="${name}"]`)
  form?.addEventListener('submit', (event) => {
    event.preventDefault()
    handler(form)
  })
}

function onButton (name, handler) {
  root.querySelector(`[data-action="${name}"]`)?.addEventListener('click', handler)
}

onButton('sign-in', () => act(() => call('POST', '/sign-in')))
onForm('reveal', (form) => {
  const file = form.secret.files?.[0]
  if (!file) return say(label('opening.msg.missingSecret'), 'error')
  act(async () => {
    let secret
    try {
      secret = JSON.parse(await file.text())
    } catch {
      throw new Error(label('opening.msg.badSecret'))
    }
    if (typeof secret.contentKey !== 'string' || typeof secret.nonce !== 'string') throw new Error(label('opening.msg.badSecret'))
    await call('POST', '/reveals', { submissionId: opening.you.submissionId, contentKey: secret.contentKey, nonce: secret.nonce })
  }, 'opening.revealed')
})
// the other way: the certificate's private key opens the bid's key envelope in this page
// (/assets/bundles/opening-key-reveal.js), and what it recovers is revealed as from a secret file
onForm('reveal-key', (form) => {
  const certificate = form.certificate.files?.[0]
  const key = form.key.files?.[0]
  if (!certificate || !key) return say(label('opening.msg.missingFiles'), 'error')
  const button = form.querySelector('[data-key-button]')
  button.disabled = true
  act(async () => {
    try {
      const { recoverSecret } = await import('/assets/bundles/opening-key-reveal.js')
      const submissionId = opening.you.submissionId
      const mine = opening.bids.find((bid) => bid.submissionId === submissionId)
      const secret = await recoverSecret({
        certificatePem: await certificate.text(),
        keyPem: await key.text(),
        packageUrl: `${api}/bids/${submissionId}/package`,
        expectedSha256: mine?.sha256 ?? null,
        onStage: (stage) => say(label(`opening.keyStage.${stage}`), 'info')
      }).catch((error) => { throw new Error(labels[`opening.error.${error.code}`] ?? label('opening.msg.keyFailed')) })
      await call('POST', '/reveals', { submissionId, contentKey: secret.contentKey, nonce: secret.nonce })
    } finally {
      button.disabled = false
    }
  }, 'opening.revealed')
})
onForm('confirm', () => act(() => call('POST', '/confirmation', { decision: 'confirm' })))
onForm('object', (form) => act(() => call('POST', '/confirmation', { decision: 'object', text: form.text.value.trim() })))
onForm('pause', (form) => act(() => call('POST', '/pause', { reason: form.reason.value.trim() })))
onButton('resume', () => {
  const reason = root.querySelector('[data-form="pause"]').reason.value.trim()
  act(() => call('POST', '/resume', reason ? { reason } : {}))
})
onButton('remedy-escrow', () => act(() => call('POST', '/remedy', { action: 'escrow' })))
onButton('remedy-waive', () => act(() => call('POST', '/remedy', { action: 'waive' })))
onForm('video', (form) => act(() => call('PUT', '/video', { url: form.url.value.trim() || null })))
onForm('draw', (form) => act(() => call('POST', '/coefficient', { nonce: form.nonce.value.trim() })))

async function pollPresence () {
  const list = $('[data-presence]')
  if (!list) return
  const response = await fetch(`${api}/presence`, { headers: { accept: 'application/json' }, cache: 'no-store' })
  if (response.ok) list.replaceChildren(...(await response.json()).map((entry) => element('li', { 'data-present': entry.accountId }, `${entry.displayName} (${entry.connections})`)))
}

refresh().catch(() => {})
setInterval(tick, 500)
if (view === 'supervisor') {
  pollPresence().catch(() => {})
  setInterval(() => { pollPresence().catch(() => {}) }, 5000)
}
