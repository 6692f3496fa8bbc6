/**
 * Load generation for the benchmarks: autocannon in a child process, so the generator never
 * shares the server's event loop (it does share the machine's two cores, like every figure here).
 */
import { spawn } from 'node:child_process'
import path from 'node:path'

export interface LoadResult {
  requestsPerSecond: number
  latencyP50: number
  latencyP99: number
  non2xx: number
  errors: number
}

export interface LoadOptions {
  url: string
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string
  connections: number
  seconds: number
}

export async function runLoad (options: LoadOptions): Promise<LoadResult> {
  const args = [path.resolve('node_modules/autocannon/autocannon.js'), '-j', '-c', String(options.connections), '-d', String(options.seconds), '-m', options.method ?? 'GET']
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}=${value}`)
  if (options.body) args.push('-b', options.body)
  args.push(options.url)
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  if (code !== 0) throw new Error(`autocannon failed (${code}): ${stderr}`)
  const result = JSON.parse(stdout) as {
    requests: { average: number }
    latency: { p50: number, p99: number }
    non2xx: number
    errors: number
  }
  return {
    requestsPerSecond: result.requests.average,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors
  }
}
