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

// every lane opens its connection first (one authenticated read, not counted): the clock then
// measures the steps alone, not 50 TCP handshakes, which weighed most on the shorter baseline run
await Promise.all(job.lanes.map(async ({ authorization }) => {
  const response = await fetch(`${job.baseUrl}/api/accounts/me`, { headers: { authorization } })
  await response.arrayBuffer()
}))
const started = performance.now()
await Promise.all(job.lanes.map(lane))
process.stdout.write(JSON.stringify({ requests: latencies.length, seconds: (performance.now() - started) / 1000, statuses, latencies }))
