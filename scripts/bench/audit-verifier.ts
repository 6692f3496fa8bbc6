/**
 * The auditor beside the audited-write load: GET /api/audit/verify once a second (the next one
 * starts a second after the previous started, at once if it took longer), as a supervisor's
 * screen would poll it. Every report must be intact; the first that is not is a false alarm
 * (issue 19) or a real break, and either way stops the benchmark.
 */
import { setTimeout as sleep } from 'node:timers/promises'

export interface Verifications {
  count: number
  p50Ms: number
  maxMs: number
  /** entries covered by the last verification */
  entries: number
}

export function verifyEverySecond (appUrl: string, headers: Record<string, string>): { stop (): Promise<Verifications> } {
  const stopping = new AbortController()
  const durations: number[] = []
  let entries = 0
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      const started = performance.now()
      const response = await fetch(`${appUrl}/api/audit/verify`, { headers })
      const report = await response.json() as { intact?: boolean, entries?: number, firstBreak?: unknown }
      durations.push(performance.now() - started)
      if (response.status !== 200 || report.intact !== true) {
        throw new Error(`audit verification ${durations.length} under load was not intact (HTTP ${response.status}): ${JSON.stringify(report.firstBreak ?? report)}`)
      }
      entries = report.entries ?? 0
      await sleep(Math.max(0, 1000 - (performance.now() - started)), undefined, { signal: stopping.signal }).catch(() => {})
    }
  })()
  // a broken report must not wait for the load to end unnoticed
  loop.catch((error: Error) => process.stderr.write(`\n${error.message}\n`))
  return {
    async stop () {
      stopping.abort()
      await loop
      const sorted = [...durations].sort((a, b) => a - b)
      return { count: sorted.length, p50Ms: sorted[Math.floor(sorted.length / 2)] ?? 0, maxMs: sorted.at(-1) ?? 0, entries }
    }
  }
}
