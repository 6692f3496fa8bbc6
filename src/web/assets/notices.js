// Live hall notices: new notices appear at the top of #notice-list, withdrawn ones disappear.
import { LiveClient } from './live-client.js'

const list = document.getElementById('notice-list')
const status = document.querySelector('[data-live-status]')
if (list) {
  const format = new Intl.DateTimeFormat(list.dataset.lang === 'en' ? 'en-GB' : 'zh-CN', { timeZone: 'Asia/Shanghai', dateStyle: 'medium', timeStyle: 'medium' })
  const client = new LiveClient({
    onStatus: (state) => { if (status) status.textContent = state === 'live' ? `● ${status.dataset.live}` : status.dataset.offline }
  })
  // the page was rendered with the current notices; only events after now matter
  fetch(`/api/live/rooms/${encodeURIComponent(list.dataset.room)}/events?limit=1`, { cache: 'no-store', credentials: 'same-origin' })
    .then((response) => response.json())
    .then((page) => client.subscribe(list.dataset.room, onEvent, page.head))
    .catch(() => client.subscribe(list.dataset.room, onEvent, 0))

  function onEvent (event) {
    if (event.event === 'notice.published') {
      if (list.querySelector(`[data-notice-id="${event.data.id}"]`)) return
      list.querySelector('li.empty')?.remove()
      const item = document.createElement('li')
      item.dataset.noticeId = event.data.id
      item.className = 'fresh'
      const title = document.createElement('strong')
      title.textContent = event.data.title
      const when = document.createElement('small')
      when.textContent = ` ${format.format(new Date(event.data.publishedAt))}`
      const body = document.createElement('p')
      body.textContent = event.data.body
      item.append(title, when, body)
      list.prepend(item)
    } else if (event.event === 'notice.withdrawn') {
      list.querySelector(`[data-notice-id="${event.data.id}"]`)?.remove()
    }
  }
}
