/**
 * Start to /ready as production runs it: `npm start` (the build check, then `node dist/server.js`)
 * on embedded defaults in a fresh DATA_DIR (the first run includes initdb), then restarts on the
 * same data; also `node dist/server.js` alone, which is the same start without npm's own.
 * Baseline: the smallest Fastify server on plain node (scripts/bench/bare-server.js), started
 * between the measured runs so that a neighbour's burst of load hits both sides.
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

/**
 * Milliseconds from spawn until /ready answers 200; then stops the process group gracefully
 * (npm, and the server it runs, are one group).
 */
async function timeToReady (command: string[], env: Record<string, string>, port: number): Promise<{ ms: number, output: string }> {
  const started = performance.now()
  const child = spawn(command[0]!, command.slice(1), {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'ignore'],
    detached: true
  })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise((resolve) => child.on('exit', resolve))
  try {
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/ready`)).status === 200) return { ms: performance.now() - started, output }
      } catch {}
      if (child.exitCode !== null) throw new Error(`${command.join(' ')} exited with ${child.exitCode} before it was ready`)
      if (performance.now() - started > 120_000) throw new Error(`${command.join(' ')} not ready within 120 s`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  } finally {
    try { process.kill(-child.pid!, 'SIGTERM') } catch {}
    await exited
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/**
 * An `npm start` that had to rebuild dist/ (a source was saved meanwhile, e.g. in a shared
 * checkout) measured the build, not the start: it is run again, up to three times.
 */
async function timeNpmStart (command: string[], envFor: (attempt: number) => Record<string, string>, port: number): Promise<{ ms: number, env: Record<string, string> }> {
  for (let attempt = 1; ; attempt++) {
    const env = envFor(attempt)
    const { ms, output } = await timeToReady(command, env, port)
    if (!output.includes('built dist/')) return { ms, env }
    if (attempt === 3) throw new Error('dist/ was rebuilt at every start: are the sources being edited?')
  }
}

export async function measureStart () {
  const work = await mkdtemp(path.join(os.tmpdir(), 'openhall-bench-start-'))
  try {
    const node = process.execPath
    // `npm run bench` names its npm; fall back to the one on PATH
    const npmStart = process.env.npm_execpath ? [node, process.env.npm_execpath, 'start'] : ['npm', 'start']
    // the build is not what is measured: bring dist/ up to date first, as a deployment does
    const build = spawn(node, ['scripts/build.js', '--if-stale'], { stdio: 'inherit' })
    if (await new Promise((resolve) => build.on('exit', resolve)) !== 0) throw new Error('npm run build failed')

    const port = await freePort()
    const baselines: number[] = []
    const bare = async () => { baselines.push((await timeToReady([node, 'scripts/bench/bare-server.js'], {}, port)).ms) }

    await bare()
    // a first start is one in an empty DATA_DIR, so a rerun gets another
    const first = await timeNpmStart(npmStart, (attempt) => ({ DATA_DIR: path.join(work, `data-${attempt}`), LOG_LEVEL: 'warn' }), port)
    const env = first.env
    const restarts: number[] = []
    const direct: number[] = []
    for (let i = 0; i < 3; i++) {
      await bare()
      restarts.push((await timeNpmStart(npmStart, () => env, port)).ms)
      direct.push((await timeToReady([node, 'dist/server.js'], env, port)).ms)
    }
    return { firstMs: first.ms, restartMs: median(restarts), directMs: median(direct), baselineMs: median(baselines), restarts, baselines }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}
