/**
 * Start to /ready as a newcomer experiences it: `node --import tsx src/server.ts` on embedded
 * defaults in a fresh DATA_DIR (first run includes initdb), then restarts on the same data.
 * Baseline: a bare Fastify server started the same way, in the same run.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

async function freePort (): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/** Milliseconds from spawn until `url` answers 200; then stops the process gracefully. */
async function timeToReady (args: string[], env: Record<string, string>, url: string): Promise<number> {
  const started = performance.now()
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env }, stdio: 'ignore' })
  const exited = new Promise((resolve) => child.on('exit', resolve))
  try {
    for (;;) {
      try {
        if ((await fetch(url)).status === 200) return performance.now() - started
      } catch {}
      if (performance.now() - started > 60_000) throw new Error(`${url} not ready within 60 s`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  } finally {
    child.kill('SIGTERM')
    await exited
  }
}

export async function measureStart () {
  const work = await mkdtemp(path.join(os.tmpdir(), 'openhall-bench-start-'))
  try {
    const port = await freePort()
    const baselines: number[] = []
    for (let i = 0; i < 3; i++) {
      baselines.push(await timeToReady(['--import', 'tsx', 'scripts/bench/bare-server.ts'], { PORT: String(port) }, `http://127.0.0.1:${port}/ready`))
    }
    const env = { DATA_DIR: path.join(work, 'data'), PORT: String(port), LOG_LEVEL: 'warn' }
    const url = `http://127.0.0.1:${port}/ready`
    const first = await timeToReady(['--import', 'tsx', 'src/server.ts'], env, url)
    const later: number[] = []
    for (let i = 0; i < 3; i++) later.push(await timeToReady(['--import', 'tsx', 'src/server.ts'], env, url))
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
    return { firstMs: first, laterMs: median(later), baselineMs: median(baselines) }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}
