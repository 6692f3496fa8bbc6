// Client of the live room protocol (README.md, "Live rooms"): one socket, many rooms; on every
// reconnect it re-subscribes with the last seq seen per room, so nothing is missed.
export class LiveClient {
  constructor ({ url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/live`, onStatus = () => {} } = {}) {
    this.url = url
    this.onStatus = onStatus
    this.rooms = new Map() // room -> { since, onEvent }
    this.retryMs = 500
    this.connect()
  }

  subscribe (room, onEvent, since = 0) {
    this.rooms.set(room, { since, onEvent })
    this.send({ type: 'subscribe', room, since })
  }

  send (message) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message))
  }

  connect () {
    const socket = new WebSocket(this.url)
    this.socket = socket
    socket.addEventListener('open', () => {
      this.retryMs = 500
      this.onStatus('live')
      for (const [room, { since }] of this.rooms) this.send({ type: 'subscribe', room, since })
    })
    socket.addEventListener('message', (message) => {
      const data = JSON.parse(message.data)
      if (data.type !== 'event') return
      const room = this.rooms.get(data.room)
      if (!room || data.seq <= room.since) return
      room.since = data.seq
      room.onEvent(data)
    })
    socket.addEventListener('close', () => {
      this.onStatus('offline')
      setTimeout(() => this.connect(), this.retryMs)
      this.retryMs = Math.min(this.retryMs * 2, 15000)
    })
  }
}
