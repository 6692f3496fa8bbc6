// Server-synchronised clock: the offset to server time is measured once (and on focus), so
// countdowns shown in pages follow the server, not the visitor's possibly wrong clock.
let offsetMs = 0

export async function synchronise () {
  const sentAt = Date.now()
  const response = await fetch('/api/time', { cache: 'no-store' })
  const body = await response.json()
  const receivedAt = Date.now()
  offsetMs = body.epochMs - (sentAt + receivedAt) / 2
  return offsetMs
}

export function serverNow () {
  return new Date(Date.now() + offsetMs)
}

function formatter (lang) {
  return new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'zh-CN', { timeZone: 'Asia/Shanghai', dateStyle: 'medium', timeStyle: 'medium' })
}

/** Renders [data-server-clock] and [data-countdown-to="<RFC 3339>"] elements every second. */
function tick () {
  for (const element of document.querySelectorAll('[data-server-clock]')) {
    element.textContent = formatter(element.dataset.lang).format(serverNow())
  }
  for (const element of document.querySelectorAll('[data-countdown-to]')) {
    const remaining = Math.max(0, Date.parse(element.dataset.countdownTo) - serverNow().getTime())
    const seconds = Math.floor(remaining / 1000)
    const hh = String(Math.floor(seconds / 3600)).padStart(2, '0')
    const mm = String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')
    const ss = String(seconds % 60).padStart(2, '0')
    element.textContent = `${hh}:${mm}:${ss}`
  }
}

synchronise().catch(() => {}).finally(() => {
  tick()
  setInterval(tick, 1000)
})
window.addEventListener('focus', () => { synchronise().catch(() => {}) })
