/**
 * S3 endpoints for tests: a private s3rver per caller, and optionally an external S3 (CI runs a
 * Ceph RADOS Gateway and exports S3_TEST_ENDPOINT, S3_TEST_ACCESS_KEY, S3_TEST_SECRET_KEY).
 *
 * s3rver runs as a child process of this node binary (not through npx: killing an npx wrapper
 * leaves the server running). The child also exits when its stdin closes, so a test process that
 * dies without tearing down does not leave a server behind.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'

export interface S3Endpoint {
  /** full URL, e.g. http://127.0.0.1:40123 */
  endPoint: string
  region: string
  accessKey: string
  secretKey: string
}

export interface RunningS3Server extends S3Endpoint {
  stop: () => Promise<void>
}

/** The part of a tap Test this module needs. */
interface Teardown {
  teardown: (fn: () => unknown) => void
}

const STARTUP_TIMEOUT_MS = 15_000

/** Exits the child when the parent's end of its stdin closes, then runs s3rver's CLI. */
const WATCHDOG = "process.stdin.on('end', () => process.exit(0)).resume(); require(process.argv[1])"

export async function startS3rver (t?: Teardown): Promise<RunningS3Server> {
  const cli = path.join(path.dirname(createRequire(import.meta.url).resolve('s3rver/package.json')), 'bin', 's3rver.js')
  const directory = await mkdtemp(path.join(tmpdir(), 'openhall-s3rver-'))
  const child = spawn(process.execPath, [
    '-e', WATCHDOG, cli,
    '--directory', directory, '--address', '127.0.0.1', '--port', '0', '--silent'
  ], { stdio: ['pipe', 'pipe', 'pipe'] })

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (text: string) => { stderr = (stderr + text).slice(-4000) })

  async function stop (): Promise<void> {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(killer)
    }
    await rm(directory, { recursive: true, force: true })
  }
  t?.teardown(stop)

  try {
    // Port 0 lets the kernel pick a free port; s3rver prints the one it got.
    const port = await new Promise<number>((resolve, reject) => {
      let stdout = ''
      const timer = setTimeout(() => reject(new Error(`s3rver did not start within ${STARTUP_TIMEOUT_MS} ms: ${stderr}`)), STARTUP_TIMEOUT_MS)
      child.stdout.setEncoding('utf8').on('data', (text: string) => {
        stdout += text
        const match = /listening on [^\s]+:(\d+)/.exec(stdout)
        if (match) {
          clearTimeout(timer)
          resolve(Number(match[1]))
        }
      })
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`s3rver exited with code ${String(code)}: ${stderr}`))
      })
    })
    const endPoint = `http://127.0.0.1:${port}`
    await waitUntilAnswering(endPoint)
    return { endPoint, region: 'us-east-1', accessKey: 'S3RVER', secretKey: 'S3RVER', stop }
  } catch (error) {
    await stop()
    throw error
  }
}

async function waitUntilAnswering (endPoint: string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS
  for (;;) {
    try {
      // Any HTTP answer will do; an anonymous ListBuckets is refused, which is an answer.
      await (await fetch(endPoint)).arrayBuffer()
      return
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}

/** The external S3 configured for the contract test, or null when none is. */
export function externalS3FromEnv (env: NodeJS.ProcessEnv = process.env): S3Endpoint | null {
  const endPoint = env.S3_TEST_ENDPOINT
  const accessKey = env.S3_TEST_ACCESS_KEY
  const secretKey = env.S3_TEST_SECRET_KEY
  if (!endPoint || !accessKey || !secretKey) return null
  return { endPoint, region: env.S3_TEST_REGION ?? 'us-east-1', accessKey, secretKey }
}
