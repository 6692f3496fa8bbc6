/**
 * A load generator for the case transitions, run as a child process so it never shares the
 * server's event loop. Each lane is one client (one clerk and its own session) sending its POSTs
 * one after another, every lane at once; every path is a different case (or the same counter
 * row, for the baseline). Reads the job from stdin, prints { requests, seconds, statuses,
 * latencies } as JSON (latencies in ms, in completion order).
 */

interface Job { baseUrl: string, lanes: Array<{ authorization: string, paths: string[] }> }

let input = ''
for await (const chunk of process.stdin) input += chunk
const job = JSON.parse(input) as Job
const statuses: Record<number, number> = {}
const latencies: number[] = []

async function lane ({ authorization, paths }: Job['lanes'][number]) {
  for (const path of paths) {
    const started = performance.now()
    const response = await fetch(`${job.baseUrl}${path}`, { method: 'POST', headers: { authorization } })
    await response.arrayBuffer()
    latencies.push(performance.now() - started)
    statuses[response.status] = (statuses[response.status] ?? 0) + 1
  }
}

const started = performance.now()
await Promise.all(job.lanes.map(lane))
process.stdout.write(JSON.stringify({ requests: latencies.length, seconds: (performance.now() - started) / 1000, statuses, latencies }))
