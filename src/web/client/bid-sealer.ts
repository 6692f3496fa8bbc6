/**
 * The bid page's sealer, bundled for the browser (esbuild) from the same sealed-bid format code
 * the command-line client uses. The private key is read from a file the bidder picks and
 * imported into WebCrypto as non-extractable: it never leaves this page, and neither do the
 * content key and the nonce, which the bidder saves for the opening.
 */
import { webCrypto, webSigner } from '../../lib/pki/web-crypto.ts'
import { sealBid, signPackage, toHex } from '../../lib/sealed-bid/index.ts'
import { pemBlocks } from './pem.ts'

interface OpeningField { key: string, label: string, kind: 'fen' | 'days' | 'percent' | 'text', required: boolean }

const form = document.querySelector<HTMLFormElement>('#bid-form')
const status = document.querySelector<HTMLElement>('#bid-status')!
const progress = document.querySelector<HTMLProgressElement>('#bid-progress')!
const result = document.querySelector<HTMLElement>('#bid-result')!
const text = (key: string) => form?.dataset[key] ?? ''

/** Yuan typed by a person → an exact integer of fen, as text (no floating point). */
function yuanToFen (value: string): string | null {
  const match = /^(\d{1,13})(?:\.(\d{1,2}))?$/.exec(value.trim().replace(/,/g, ''))
  if (!match) return null
  return String(BigInt(match[1]!) * 100n + BigInt((match[2] ?? '').padEnd(2, '0')))
}

async function * chunksOf (file: File): AsyncGenerator<Uint8Array> {
  const reader = file.stream().getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return
    yield value
  }
}

function say (message: string, kind: 'info' | 'error' | 'ok' = 'info') {
  status.textContent = message
  status.className = kind === 'error' ? 'error' : kind === 'ok' ? 'notice ok' : 'notice'
}

function download (name: string, content: BlobPart, type: string): HTMLAnchorElement {
  const link = document.createElement('a')
  link.href = URL.createObjectURL(new Blob([content], { type }))
  link.download = name
  link.textContent = name
  return link
}

function upload (url: string, body: FormData, idempotencyKey: string): Promise<{ status: number, body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest()
    request.open('POST', url)
    request.setRequestHeader('idempotency-key', idempotencyKey)
    request.setRequestHeader('accept', 'application/json')
    request.upload.onprogress = (event) => { if (event.lengthComputable) progress.value = event.loaded / event.total }
    request.onload = () => resolve({ status: request.status, body: JSON.parse(request.responseText || '{}') as Record<string, unknown> })
    request.onerror = () => reject(new Error(form!.dataset.msgNetwork))
    request.send(body)
  })
}

async function sealAndSubmit () {
  const fields = JSON.parse(text('fields')) as OpeningField[]
  const certificateFile = form!.querySelector<HTMLInputElement>('#bid-certificate')!.files?.[0]
  const keyFile = form!.querySelector<HTMLInputElement>('#bid-key')!.files?.[0]
  const files = [...form!.querySelector<HTMLInputElement>('#bid-files')!.files ?? []]
  if (!certificateFile || !keyFile || files.length === 0) throw new Error(text('msgMissing'))
  const [certificate] = pemBlocks(await certificateFile.text(), 'CERTIFICATE')
  const [pkcs8] = pemBlocks(await keyFile.text(), 'PRIVATE KEY')
  if (!certificate || !pkcs8) throw new Error(text('msgPem'))
  const opening: Record<string, string | number> = {}
  for (const field of fields) {
    const raw = form!.querySelector<HTMLInputElement>(`[name="opening.${field.key}"]`)?.value.trim() ?? ''
    if (raw === '') {
      if (field.required) throw new Error(`${text('msgRequired')}: ${field.label}`)
      continue
    }
    if (field.kind === 'fen') {
      const fen = yuanToFen(raw)
      if (fen === null) throw new Error(`${text('msgAmount')}: ${field.label}`)
      opening[field.key] = fen
    } else if (field.kind === 'days') {
      if (!/^\d{1,5}$/.test(raw)) throw new Error(`${text('msgDays')}: ${field.label}`)
      opening[field.key] = Number(raw)
    } else {
      opening[field.key] = raw
    }
  }
  // non-extractable: the key can sign on this page and nowhere else
  const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign'])
  const signer = webSigner(certificate, privateKey)
  const recipients = [certificate, ...pemBlocks(text('escrowPem'), 'CERTIFICATE')]
  say(text('msgSealing'))
  const sealed = await sealBid({
    provider: webCrypto,
    signer,
    tenderId: text('tenderCode'),
    opening,
    files: files.map((file) => ({ name: file.name, size: file.size, content: chunksOf(file) })),
    recipients
  })
  const parts: Uint8Array[] = []
  for await (const part of sealed.bytes) parts.push(part)
  const summary = sealed.summary()
  const signature = await signPackage({ provider: webCrypto, signer, packageSha256: summary.sha256 })
  const secrets = JSON.stringify({
    tenderId: text('tenderCode'),
    contentKey: btoa(Array.from(sealed.secrets.contentKey, (byte) => String.fromCharCode(byte)).join('')),
    nonce: toHex(sealed.secrets.nonce),
    commitment: sealed.secrets.commitment,
    packageSha256: summary.sha256
  }, null, 2)
  // offered before the upload: whatever happens next, the bidder holds what the opening needs
  result.replaceChildren(download('bid.ohsb.secret.json', secrets, 'application/json'))
  say(text('msgUploading'))
  const body = new FormData()
  body.append('signature', new Blob([signature as Uint8Array<ArrayBuffer>]), 'bid.ohsb.p7s')
  body.append('package', new Blob(parts as Array<Uint8Array<ArrayBuffer>>), 'bid.ohsb')
  // the package's digest names the upload: a retry after a dropped connection is the same bid
  const answer = await upload(`/api/tenders/${text('tenderId')}/bids`, body, `web-${summary.sha256.slice(0, 40)}`)
  if (answer.status !== 200 && answer.status !== 201) throw new Error(String(answer.body.detail ?? answer.status))
  const receipt = answer.body.receipt as { json: string, cms: string }
  const cms = Uint8Array.from(atob(receipt.cms), (char) => char.charCodeAt(0))
  const item = document.createElement('p')
  item.dataset.receipt = String(answer.body.id)
  const receivedAt = new Date(String(answer.body.receivedAt)).toLocaleString(document.documentElement.lang || 'zh-CN', { timeZone: 'Asia/Shanghai' })
  item.textContent = `${text('msgReceipt')} ${String(answer.body.sha256)} · ${receivedAt}`
  result.append(item, download('bid.ohsb.receipt.p7s', cms, 'application/pkcs7-signature'), ' ', download('receipt.json', receipt.json, 'application/json'))
  say(text('msgDone'), 'ok')
}

form?.addEventListener('submit', (event) => {
  event.preventDefault()
  const button = form.querySelector<HTMLButtonElement>('button[type=submit]')!
  button.disabled = true
  progress.value = 0
  sealAndSubmit().catch((error: unknown) => { say(error instanceof Error ? error.message : String(error), 'error') }).finally(() => { button.disabled = false })
})
