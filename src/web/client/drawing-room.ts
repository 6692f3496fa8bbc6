/**
 * The drawing room live (room protocol, README.md "Live rooms"): the page subscribes to the room
 * `drawing:<id>` from the sequence number it was rendered at, resumes from the last one it saw
 * after any reconnect, and on each event reads its own address again and swaps the parts marked
 * `data-live-region`. The server renders every part as the reader may see it (counts for the
 * hall and the parties, names for the supervisors), so nothing is decided here. A part holding
 * the focus (a nonce or reason being typed) waits for the next event. Countdowns are drawn by
 * the layout's clock.js, by server time.
 */
const root = document.querySelector<HTMLElement>('[data-drawing-room]')

if (root) {
  const room = root.dataset.room ?? ''
  let since = Number(root.dataset.since ?? '0')
  let retryMs = 500
  let timer: ReturnType<typeof setTimeout> | undefined
  const status = root.querySelector<HTMLElement>('[data-live-status]')
  const say = (text: string | undefined) => { if (status && text) status.textContent = text }

  async function refresh () {
    const response = await fetch(location.href, { headers: { accept: 'text/html' }, cache: 'no-store' })
    if (!response.ok) return
    const fresh = new DOMParser().parseFromString(await response.text(), 'text/html')
    for (const region of document.querySelectorAll<HTMLElement>('[data-live-region]')) {
      const replacement = fresh.querySelector<HTMLElement>(`[data-live-region="${region.dataset.liveRegion ?? ''}"]`)
      if (!replacement || region.contains(document.activeElement)) continue
      region.replaceChildren(...Array.from(replacement.childNodes, (node) => document.importNode(node, true)))
    }
    say(root!.dataset.msgUpdated?.replace('{time}', new Date().toLocaleTimeString(document.documentElement.lang || 'zh-CN', { timeZone: 'Asia/Shanghai' })))
    root!.dataset.refreshed = String(since)
  }

  // several events of one action (drawn, invited × n) arrive together: one reading of the page
  function schedule () {
    clearTimeout(timer)
    timer = setTimeout(() => { refresh().catch(() => {}) }, 250)
  }

  function connect () {
    const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/live`)
    socket.addEventListener('open', () => {
      retryMs = 500
      say(root!.dataset.msgLive)
      socket.send(JSON.stringify({ type: 'subscribe', room, since }))
    })
    socket.addEventListener('message', (message) => {
      const data = JSON.parse(String(message.data)) as { type?: string, room?: string, seq?: number }
      if (data.type !== 'event' || data.room !== room || typeof data.seq !== 'number' || data.seq <= since) return
      since = data.seq
      schedule()
    })
    socket.addEventListener('close', () => {
      say(root!.dataset.msgOffline)
      setTimeout(connect, retryMs)
      retryMs = Math.min(retryMs * 2, 15_000)
    })
  }

  connect()
}
