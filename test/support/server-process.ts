/** The server as a separate process (`src/server.ts`), for tests that kill and restart it. */
import { spawn, type ChildProcess } from 'node:child_process'
import net from 'node:net'
import tap from 'tap'

export async function freePort (): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

export interface Running { child: ChildProcess, output: () => string, exited: Promise<number | null> }

const children = new Set<ChildProcess>()
tap.teardown(() => { for (const child of children) child.kill('SIGKILL') })

/** `args` default to the sources through tsx; test/server.build.test.ts starts the compiled dist/server.js. */
export function startServer (env: Record<string, string>, args = ['--import', 'tsx', 'src/server.ts']): Running {
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  children.add(child)
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => { children.delete(child); resolve(code) }))
  return { child, output: () => output, exited }
}

export async function waitReady (port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/ready`)
      if (response.status === 200) return
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`not ready on ${port} within ${timeoutMs} ms`)
}
