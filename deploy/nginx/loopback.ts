/**
 * nginx in front of OpenHall instances on loopback, for the three-instance test and the proxy
 * benchmark: fills loopback.conf.template (which includes the production locations file, so the
 * routing, headers and timeouts under test are the ones deployed) and runs Debian's nginx in the
 * foreground with its own prefix, pid, logs and temp dirs in a temporary directory.
 *
 * A missing nginx is an error, never a reason to skip: CI installs it (`apt-get install nginx`).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = path.dirname(fileURLToPath(import.meta.url))
export const NGINX_BIN = process.env.NGINX ?? '/usr/sbin/nginx'

export interface LoopbackProxyOptions {
  port: number
  /** loopback ports of the instances */
  upstreams: number[]
  /** worker processes (default 1; the upstream's shared zone keeps least_conn exact across several) */
  workers?: number
  /** connections per worker: each proxied socket takes two */
  connections?: number
}

export interface LoopbackProxy {
  url: string
  /** the access log (one line per finished request; a WebSocket's when it closes) */
  accessLog: string
  /** nginx's own error log, for failure messages */
  errors (): Promise<string>
  stop (): Promise<void>
}

const dependants = new Set<ChildProcess>()
let hooked = false

/**
 * Kills `child` when this process ends short of SIGKILL: an uncaught error, a failed setup (tap's
 * teardown never runs then), or SIGINT / SIGTERM / SIGHUP, which end a process without 'exit'
 * (the signal is raised again when nobody else handles it). nginx and the instances must not
 * outlive the test or the benchmark that started them.
 */
export function killWithThisProcess (child: ChildProcess): void {
  dependants.add(child)
  child.once('exit', () => dependants.delete(child))
  if (hooked) return
  hooked = true
  const killAll = () => { for (const dependant of dependants) dependant.kill('SIGKILL') }
  process.once('exit', killAll)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll()
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
    })
  }
}

/** The template with the @NAMES@ filled in. */
export async function renderLoopbackConfig (prefix: string, options: LoopbackProxyOptions): Promise<string> {
  const template = await readFile(path.join(HERE, 'loopback.conf.template'), 'utf8')
  const values: Record<string, string> = {
    PREFIX: prefix,
    WORKERS: String(options.workers ?? 1),
    CONNECTIONS: String(options.connections ?? 4096),
    ACCESS_LOG: path.join(prefix, 'access.log'),
    PORT: String(options.port),
    LOCATIONS: path.join(HERE, 'openhall-locations.conf'),
    SERVERS: options.upstreams.map((port) => `        server 127.0.0.1:${port} max_fails=1 fail_timeout=5s;`).join('\n')
  }
  return template.replace(/@([A-Z_]+)@/g, (whole, name: string) => {
    const value = values[name]
    if (value === undefined) throw new Error(`loopback.conf.template: unknown placeholder ${whole}`)
    return value
  })
}

async function accepting (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' })
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

export async function startLoopbackProxy (options: LoopbackProxyOptions): Promise<LoopbackProxy> {
  if (!existsSync(NGINX_BIN)) throw new Error(`nginx not found at ${NGINX_BIN} (apt-get install nginx, or set NGINX)`)
  const prefix = await mkdtemp(path.join(os.tmpdir(), 'openhall-nginx-'))
  for (const dir of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(path.join(prefix, dir))
  const configFile = path.join(prefix, 'nginx.conf')
  await writeFile(configFile, await renderLoopbackConfig(prefix, options))
  const errorLog = path.join(prefix, 'error.log')
  const errors = async () => readFile(errorLog, 'utf8').catch(() => '')
  // -e: the error log from the first line on (the default /var/log/nginx may not be writable)
  const child = spawn(NGINX_BIN, ['-p', prefix, '-c', configFile, '-e', errorLog], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  killWithThisProcess(child)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const deadline = Date.now() + 10_000
  while (!await accepting(options.port)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      await rm(prefix, { recursive: true, force: true })
      throw new Error(`nginx did not start on 127.0.0.1:${options.port}: ${stderr}${await errors()}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    url: `http://127.0.0.1:${options.port}`,
    accessLog: path.join(prefix, 'access.log'),
    errors,
    async stop () {
      // fast shutdown: graceful (SIGQUIT) would wait for every live socket to close
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
      await rm(prefix, { recursive: true, force: true })
    }
  }
}

/**
 * `count` free loopback ports from [first, last] and not in `avoid`, starting at a random place
 * so two runs on one machine (a test and a benchmark) rarely reach for the same ones.
 */
export async function freePortsIn (first: number, last: number, count: number, avoid: Set<number> = new Set()): Promise<number[]> {
  const size = last - first + 1
  const start = Math.floor(Math.random() * size)
  const ports: number[] = []
  for (let i = 0; i < size && ports.length < count; i++) {
    const port = first + ((start + i) % size)
    if (avoid.has(port)) continue
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer().once('error', () => resolve(false)).listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
    })
    if (free) ports.push(port)
  }
  if (ports.length < count) throw new Error(`only ${ports.length} free ports in ${first}-${last}`)
  return ports
}

/**
 * Runs `start` on a free port of [first, last] not in `taken`, and again on another one when the port was
 * taken in between (another process's listen(0) or outgoing connection can land in any range
 * inside the kernel's ephemeral ports, and a server process takes seconds to bind).
 */
export async function onFreePort<T> (first: number, last: number, start: (port: number) => Promise<T>, taken: Set<number> = new Set()): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const [port] = await freePortsIn(first, last, 1, taken)
    // several starts at once share `taken`, so none picks a port another is about to bind
    taken.add(port!)
    try {
      return await start(port!)
    } catch (error) {
      if (attempt >= 5 || !/EADDRINUSE|Address already in use/.test((error as Error).message)) throw error
    }
  }
}
