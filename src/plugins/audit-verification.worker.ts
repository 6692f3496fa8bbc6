/**
 * The worker thread behind verificationWorker (audit-verification.ts): verifies the audit log on
 * a connection of its own whenever asked, and ends that connection when told to close.
 */
import { createPublicKey } from 'node:crypto'
import { parentPort, workerData } from 'node:worker_threads'
import { verifyAuditLog } from './audit-verification.ts'
import { connect } from './db.ts'

const { databaseUrl, publicKeyPem } = workerData as { databaseUrl: string, publicKeyPem: string }
const db = connect(databaseUrl, 1)
const publicKey = createPublicKey(publicKeyPem)
const port = parentPort!

port.on('message', (message: { id: number } | { close: true }) => {
  if ('close' in message) {
    db.$client.end({ timeout: 1 }).catch(() => {}).finally(() => process.exit(0))
    return
  }
  verifyAuditLog(db, publicKey).then(
    (report) => port.postMessage({ id: message.id, report }),
    (error: unknown) => port.postMessage({
      id: message.id,
      error: { message: error instanceof Error ? error.message : String(error), code: (error as { code?: unknown }).code as string | undefined }
    })
  )
})
