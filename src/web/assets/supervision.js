// The supervision dashboard, live: every event of the supervision rooms (a case moved, turned
// yellow or red, a letter issued or answered) refreshes the counts from the dashboard API and
// lists the event in the live log. The page was rendered with the counts of its moment.
import { LiveClient } from './live-client.js'

const board = document.querySelector('[data-supervision]')
const COLUMNS = ['awaiting', 'green', 'yellow', 'red', 'paused']

if (board) {
  const rooms = JSON.parse(board.dataset.rooms)
  const labels = JSON.parse(board.dataset.labels)
  const status = board.querySelector('[data-live-status]')
  const log = board.querySelector('[data-live-log]')
  const format = new Intl.DateTimeFormat(board.dataset.lang === 'en' ? 'en-GB' : 'zh-CN', { timeZone: 'Asia/Shanghai', dateStyle: 'medium', timeStyle: 'medium' })
  let pending = null

  const client = new LiveClient({
    onStatus: (state) => { if (status) status.textContent = state === 'live' ? `● ${status.dataset.live}` : status.dataset.offline }
  })
  for (const room of rooms) {
    fetch(`/api/live/rooms/${encodeURIComponent(room)}/events?limit=1`, { cache: 'no-store', credentials: 'same-origin' })
      .then((response) => response.json())
      .then((page) => client.subscribe(room, onEvent, page.head))
      .catch(() => client.subscribe(room, onEvent, 0))
  }

  function onEvent (event) {
    // ordinary steps arrive coalesced, one event listing the cases that moved (and their state)
    const lines = event.data?.steps ?? [event.data ?? {}]
    for (const line of lines) {
      const item = document.createElement('li')
      item.className = 'fresh'
      item.dataset.event = event.event
      const kind = line.kind ? labels[`approvals.supervision.event.${event.event}.${line.kind}`] : line.state ? labels[`approvals.state.${line.state}`] : undefined
      const what = kind ?? labels[`approvals.supervision.event.${event.event}`] ?? event.event
      item.textContent = `${format.format(new Date())} · ${line.number ?? ''} ${what}`
      log.prepend(item)
    }
    while (log.children.length > 20) log.lastElementChild.remove()
    // a burst of events (a case accepted moves several counters) makes one refresh
    clearTimeout(pending)
    pending = setTimeout(refresh, 250)
  }

  async function refresh () {
    const response = await fetch('/api/supervision/dashboard', { cache: 'no-store', credentials: 'same-origin', headers: { accept: 'application/json' } })
    if (!response.ok) return
    const dashboard = await response.json()
    const all = [...dashboard.departments, ...dashboard.windows]
    const max = Math.max(1, ...all.map((row) => COLUMNS.reduce((sum, column) => sum + row[column], 0)))
    draw(board.querySelector('[data-board="departments"]'), dashboard.departments, max)
    draw(board.querySelector('[data-board="windows"]'), dashboard.windows, max)
    const asOf = board.querySelector('[data-as-of]')
    asOf.dateTime = dashboard.asOf
    asOf.textContent = format.format(new Date(dashboard.asOf))
    board.dataset.refreshed = String(Date.now())
  }

  function draw (table, rows, max) {
    const body = table.tBodies[0]
    const seen = new Set()
    for (const row of rows) {
      seen.add(row.id)
      let line = body.querySelector(`tr[data-row="${row.id}"]`)
      if (!line) line = body.appendChild(newLine(row, table.dataset.board))
      for (const column of COLUMNS) {
        const cell = line.querySelector(`[data-count="${column}"]`)
        if (cell.textContent !== String(row[column])) {
          cell.textContent = String(row[column])
          // restart the highlight: drop the class, let a frame pass, add it again
          cell.classList.remove('fresh')
          requestAnimationFrame(() => cell.classList.add('fresh'))
        }
        line.querySelector(`.seg-${column}`).style.width = `${((100 * row[column]) / max).toFixed(2)}%`
      }
    }
    for (const line of body.querySelectorAll('tr[data-row]')) {
      if (!seen.has(line.dataset.row)) line.remove()
    }
    body.querySelector('tr[data-empty]')?.toggleAttribute('hidden', rows.length > 0)
  }

  // each count links to the cases behind it, as the server draws them (approvals/_board.eta)
  function newLine (row, kind) {
    const line = document.createElement('tr')
    line.dataset.row = row.id
    const name = document.createElement('th')
    name.scope = 'row'
    const code = document.createElement('code')
    code.textContent = row.code
    name.append(code, ` ${row.name}`)
    line.append(name)
    for (const column of COLUMNS) {
      const cell = document.createElement('td')
      cell.className = 'num'
      const link = document.createElement('a')
      link.href = `/supervision/cases?column=${column}&${kind === 'windows' ? 'windowId' : 'departmentId'}=${encodeURIComponent(row.id)}`
      link.dataset.count = column
      cell.append(link)
      line.append(cell)
    }
    const chart = document.createElement('td')
    chart.className = 'stack-cell'
    const stack = document.createElement('span')
    stack.className = 'case-stack'
    stack.setAttribute('aria-hidden', 'true')
    for (const column of COLUMNS) {
      const segment = document.createElement('span')
      segment.className = `seg seg-${column}`
      stack.append(segment)
    }
    chart.append(stack)
    line.append(chart)
    return line
  }
}
