/**
 * A loopback TCP proxy that can be cut and restored: the way to make a real dependency
 * (PostgreSQL, the object store) unreachable for a while without stopping it. Cut, it closes
 * every open connection and refuses new ones (the port stays bound, so a restore reopens the
 * same address). Used by the degraded-mode tests and by the chaos harness (scripts/chaos/).
 */
import net from 'node:net'

export interface TcpProxy {
  port: number
  /** true while connections pass */
  readonly open: boolean
  /** drop every connection and refuse new ones */
  cut (): void
  restore (): void
  close (): Promise<void>
}

export async function startTcpProxy (target: { host?: string, port: number }, listenPort = 0): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>()
  let open = true
  const server = net.createServer((client) => {
    if (!open) {
      // a reset, as a stopped service's closed port answers
      client.resetAndDestroy()
      return
    }
    const upstream = net.connect(target.port, target.host ?? '127.0.0.1')
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => { client.destroy(); upstream.destroy() })
    }
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(listenPort, '127.0.0.1', () => resolve())
  })
  return {
    port: (server.address() as net.AddressInfo).port,
    get open () { return open },
    cut () {
      open = false
      for (const socket of sockets) socket.resetAndDestroy()
    },
    restore () { open = true },
    async close () {
      open = false
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
