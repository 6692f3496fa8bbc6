/**
 * The bid page's sealer, bundled for the browser (esbuild) from the same sealed-bid format code
 * the command-line client uses. The private key is read from a file the bidder picks and
 * imported into WebCrypto as non-extractable: it never leaves this page, and neither do the
 * content key and the nonce, which the bidder saves for the opening.
 *
 * A bid cannot be lost or sent by accident on the way, so the page walks four steps: fill in;
 * review (every declared opening field, money in figures and in capitals, the price against the
 * tender's ceiling and estimate) and confirm; seal, then save the package and its secret file —
 * each picked back from disk and checked by SHA-256 before submitting is possible; submit.
 */
import { formatMoney } from '../../lib/money.ts'
import { webCrypto, webSigner } from '../../lib/pki/web-crypto.ts'
import { certificateParts } from '../../lib/pki/x509-parts.ts'
import { sealBid, signPackage, toHex } from '../../lib/sealed-bid/index.ts'
import { priceFieldOf, priceWarnings, readOpening, reviewRows, type OpeningField, type OpeningValues, type PriceWarning } from './bid-review.ts'
import { pemBlocks } from './pem.ts'
import { offerDownload, sha256Hex, sha256OfFile, toBase64 } from './saved-files.ts'

type Step = 'fill' | 'review' | 'save' | 'submit'
type Kept = 'package' | 'secret'

interface Draft { opening: OpeningValues, files: File[], certificate: Uint8Array<ArrayBuffer>, pkcs8: Uint8Array<ArrayBuffer> }
interface Sealed { parts: Uint8Array[], signature: Uint8Array, sha256: Record<Kept, string>, urls: string[] }

const form = document.querySelector<HTMLFormElement>('#bid-form')
const messages: Record<string, string> = form ? JSON.parse(form.dataset.messages ?? '{}') as Record<string, string> : {}
const fields: OpeningField[] = form ? JSON.parse(form.dataset.fields ?? '[]') as OpeningField[] : []
const $ = <T extends HTMLElement = HTMLElement>(selector: string) => form!.querySelector<T>(selector)!
const status = document.querySelector<HTMLElement>('#bid-status')!
const progress = document.querySelector<HTMLProgressElement>('#bid-progress')!
const result = document.querySelector<HTMLElement>('#bid-result')!

let draft: Draft | null = null
let sealed: Sealed | null = null
const checked: Record<Kept, boolean> = { package: false, secret: false }

function m (key: string, params: Record<string, string> = {}): string {
  return (messages[key] ?? key).replace(/\{(\w+)\}/g, (match, name: string) => params[name] ?? match)
}

function say (message: string, kind: 'info' | 'error' | 'ok' = 'info') {
  status.textContent = message
  status.className = message === '' ? '' : kind === 'error' ? 'error' : kind === 'ok' ? 'notice ok' : 'notice'
}

function element (tag: string, attributes: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElement {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value)
  node.append(...children)
  return node
}

function show (step: Step) {
  for (const section of form!.querySelectorAll<HTMLElement>('[data-bid-step]')) section.hidden = section.dataset.bidStep !== (step === 'submit' ? 'save' : step)
  for (const item of form!.querySelectorAll<HTMLElement>('[data-bid-steps-item]')) {
    if (item.dataset.bidStepsItem === step) item.setAttribute('aria-current', 'step')
    else item.removeAttribute('aria-current')
  }
}

// leaving the page with a sealed bid neither submitted nor saved loses it
const guard = (event: BeforeUnloadEvent) => { event.preventDefault() }

// ---- step 1: fill in ----------------------------------------------------------------------------

function showProblems (problems: Array<{ id: string, message: string }>) {
  for (const error of form!.querySelectorAll<HTMLElement>('[data-field-error]')) {
    error.hidden = true
    error.textContent = ''
    const input = form!.querySelector(`#${error.id.replace(/-error$/, '')}`)
    input?.removeAttribute('aria-invalid')
    input?.removeAttribute('aria-describedby')
  }
  const box = $('[data-bid-errors]')
  box.replaceChildren()
  box.className = ''
  box.removeAttribute('role')
  if (problems.length === 0) return
  for (const problem of problems) {
    const error = form!.querySelector<HTMLElement>(`#${problem.id}-error`)!
    error.textContent = problem.message
    error.hidden = false
    const input = form!.querySelector(`#${problem.id}`)!
    input.setAttribute('aria-invalid', 'true')
    input.setAttribute('aria-describedby', `${problem.id}-error`)
  }
  box.className = 'error error-summary'
  box.setAttribute('role', 'alert')
  box.append(element('h2', {}, m('form.errorSummary')),
    element('ul', {}, ...problems.map((problem) => element('li', {}, element('a', { href: `#${problem.id}` }, problem.message)))))
  box.focus()
}

async function readDraft (): Promise<Draft | null> {
  const raw = Object.fromEntries(fields.map((field) => [field.key, $<HTMLInputElement>(`#opening-${field.key}`).value]))
  const { opening, problems: fieldProblems } = readOpening(fields, raw)
  const labels = new Map(fields.map((field) => [field.key, field.label]))
  const problems = fieldProblems.map(({ key, problem }) => ({ id: `opening-${key}`, message: m(`sealer.problem.${problem}`, { label: labels.get(key)! }) }))
  const files = [...$<HTMLInputElement>('#bid-files').files ?? []]
  const certificateFile = $<HTMLInputElement>('#bid-certificate').files?.[0]
  const keyFile = $<HTMLInputElement>('#bid-key').files?.[0]
  if (files.length === 0) problems.push({ id: 'bid-files', message: m('sealer.problem.files') })
  const [certificate] = certificateFile ? pemBlocks(await certificateFile.text(), 'CERTIFICATE') : []
  const [pkcs8] = keyFile ? pemBlocks(await keyFile.text(), 'PRIVATE KEY') : []
  if (!certificateFile) problems.push({ id: 'bid-certificate', message: m('sealer.problem.certificate') })
  else if (!certificate) problems.push({ id: 'bid-certificate', message: m('sealer.problem.certificatePem') })
  if (!keyFile) problems.push({ id: 'bid-key', message: m('sealer.problem.key') })
  else if (!pkcs8) problems.push({ id: 'bid-key', message: m('sealer.problem.keyPem') })
  else if (certificate && !await keyMatches(certificate, pkcs8)) problems.push({ id: 'bid-key', message: m('sealer.problem.keyMismatch') })
  showProblems(problems)
  return problems.length > 0 ? null : { opening, files, certificate: certificate!, pkcs8: pkcs8! }
}

/**
 * The key must be the certificate's: the bid is addressed to the certificate, so only its key
 * opens it at the opening (the secret file aside), and the platform refuses another's signature.
 */
async function keyMatches (certificate: Uint8Array, pkcs8: Uint8Array<ArrayBuffer>): Promise<boolean> {
  try {
    const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign'])
    const probe = new TextEncoder().encode('openhall-key-check')
    const signature = await webSigner(certificate, privateKey).sign(probe)
    return await webCrypto.verify('rsa-pkcs1-sha256', certificateParts(certificate).spkiDer, probe, signature)
  } catch {
    return false
  }
}

// ---- step 2: review ------------------------------------------------------------------------------

function warningText (warning: PriceWarning): string {
  if (warning.kind === 'aboveCeiling') return m('sealer.warning.aboveCeiling', { ceiling: formatMoney(warning.ceilingFen), over: formatMoney(warning.overFen) })
  return m(`sealer.warning.estimate.${warning.direction}`, { estimate: formatMoney(warning.estimateFen), percent: warning.percent })
}

function drawReview (opening: OpeningValues, files: File[]) {
  const rows = reviewRows(fields, opening).map((row) => {
    const value = row.figures === null ? element('span', { class: 'muted' }, m('sealer.notFilled')) : element('strong', { 'data-figures': '' }, row.kind === 'days' ? `${row.figures} ${m('sealer.daysUnit')}` : row.figures)
    const cell = element('td', {}, value)
    if (row.words) cell.append(element('div', { class: 'capitals', 'data-capitals': '' }, `${m('sealer.capitals')}：${row.words}`))
    return element('tr', { 'data-review-field': row.key }, element('th', { scope: 'row' }, row.label), cell)
  })
  $('[data-review] tbody').replaceChildren(...rows)
  const price = priceFieldOf(fields)
  const warnings = price && opening[price.key] !== undefined
    ? priceWarnings(BigInt(opening[price.key]!), { estimateFen: form!.dataset.estimateFen, priceCeilingFen: form!.dataset.priceCeilingFen })
    : []
  $('[data-review-warnings]').replaceChildren(...warnings.map((warning) => element('p', { class: 'error', role: 'alert', 'data-warning': warning.kind }, warningText(warning))))
  $('[data-review-files]').textContent = files.map((file) => `${file.name}（${(file.size / 1024).toLocaleString('zh-CN', { maximumFractionDigits: 1 })} KB）`).join('、')
}

// ---- step 3: seal and save -------------------------------------------------------------------------

async function seal (input: Draft): Promise<Sealed> {
  // non-extractable: the key can sign on this page and nowhere else
  const privateKey = await crypto.subtle.importKey('pkcs8', input.pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign'])
  const signer = webSigner(input.certificate, privateKey)
  const recipients = [input.certificate, ...pemBlocks(form!.dataset.escrowPem ?? '', 'CERTIFICATE')]
  const tenderCode = form!.dataset.tenderCode!
  const made = await sealBid({
    provider: webCrypto,
    signer,
    tenderId: tenderCode,
    opening: input.opening,
    files: input.files.map((file) => ({ name: file.name, size: file.size, content: chunksOf(file) })),
    recipients
  })
  const parts: Uint8Array[] = []
  for await (const part of made.bytes) parts.push(part)
  const summary = made.summary()
  const signature = await signPackage({ provider: webCrypto, signer, packageSha256: summary.sha256 })
  const secret = new TextEncoder().encode(JSON.stringify({
    tenderId: tenderCode,
    contentKey: toBase64(made.secrets.contentKey),
    nonce: toHex(made.secrets.nonce),
    commitment: made.secrets.commitment,
    packageSha256: summary.sha256
  }, null, 2))
  const urls = [
    offerDownload($<HTMLAnchorElement>('[data-kept-link="package"]'), 'bid.ohsb', parts as Array<Uint8Array<ArrayBuffer>>, 'application/octet-stream'),
    offerDownload($<HTMLAnchorElement>('[data-kept-link="secret"]'), 'bid.ohsb.secret.json', [secret], 'application/json'),
    offerDownload($<HTMLAnchorElement>('[data-kept-link="signature"]'), 'bid.ohsb.p7s', [signature as Uint8Array<ArrayBuffer>], 'application/pkcs7-signature')
  ]
  return { parts, signature, sha256: { package: summary.sha256, secret: await sha256Hex(secret) }, urls }
}

async function * chunksOf (file: File): AsyncGenerator<Uint8Array> {
  const reader = file.stream().getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return
    yield value
  }
}

function drawSaved () {
  for (const kept of ['package', 'secret'] as const) {
    $(`[data-kept-sha256="${kept}"]`).textContent = sealed!.sha256[kept]
    const input = $<HTMLInputElement>(`[data-check="${kept}"]`)
    input.value = ''
    input.disabled = false
    input.removeAttribute('aria-invalid')
    $(`[data-check-status="${kept}"]`).textContent = ''
  }
  checked.package = checked.secret = false
  updateSubmit()
}

function updateSubmit () {
  const ready = checked.package && checked.secret
  $<HTMLButtonElement>('[data-action="submit"]').disabled = !ready
  $('[data-submit-hint]').hidden = ready
}

/** The bidder picks back what it saved: the page compares its SHA-256 with what it made. */
async function checkSaved (kept: Kept, input: HTMLInputElement) {
  const file = input.files?.[0]
  const line = $(`[data-check-status="${kept}"]`)
  checked[kept] = false
  updateSubmit()
  if (!file || !sealed) return
  const digest = await sha256OfFile(file)
  checked[kept] = digest === sealed.sha256[kept]
  line.textContent = checked[kept] ? m('sealer.checked') : m('sealer.checkFailed', { sha256: digest })
  line.className = checked[kept] ? 'ok' : 'error'
  line.dataset.checked = String(checked[kept])
  if (checked[kept]) input.removeAttribute('aria-invalid')
  else input.setAttribute('aria-invalid', 'true')
  updateSubmit()
}

function discardSealed () {
  for (const url of sealed?.urls ?? []) URL.revokeObjectURL(url)
  sealed = null
  window.removeEventListener('beforeunload', guard)
}

// ---- step 4: submit ------------------------------------------------------------------------------

function upload (url: string, body: FormData, idempotencyKey: string): Promise<{ status: number, body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest()
    request.open('POST', url)
    request.setRequestHeader('idempotency-key', idempotencyKey)
    request.setRequestHeader('accept', 'application/json')
    request.upload.onprogress = (event) => { if (event.lengthComputable) progress.value = event.loaded / event.total }
    request.onload = () => {
      let answer: Record<string, unknown> = {}
      try { answer = JSON.parse(request.responseText || '{}') as Record<string, unknown> } catch { /* a proxy's HTML error page */ }
      resolve({ status: request.status, body: answer })
    }
    request.onerror = () => reject(new Error(m('sealer.network')))
    request.send(body)
  })
}

async function submit () {
  const body = new FormData()
  body.append('signature', new Blob([sealed!.signature as Uint8Array<ArrayBuffer>]), 'bid.ohsb.p7s')
  body.append('package', new Blob(sealed!.parts as Array<Uint8Array<ArrayBuffer>>), 'bid.ohsb')
  progress.hidden = false
  progress.value = 0
  say(m('sealer.uploading'))
  // the package's digest names the upload: a retry after a dropped connection is the same bid
  const answer = await upload(`/api/tenders/${form!.dataset.tenderId!}/bids`, body, `web-${sealed!.sha256.package.slice(0, 40)}`)
  if (answer.status !== 200 && answer.status !== 201) {
    throw new Error(messages[`errors.${String(answer.body.code)}`] ?? m('sealer.failed'))
  }
  const receipt = answer.body.receipt as { json: string, cms: string }
  const cms = Uint8Array.from(atob(receipt.cms), (char) => char.charCodeAt(0))
  const item = element('p', { 'data-receipt': String(answer.body.id) })
  const receivedAt = new Date(String(answer.body.receivedAt)).toLocaleString(document.documentElement.lang || 'zh-CN', { timeZone: 'Asia/Shanghai' })
  item.textContent = `${m('sealer.receipt')} ${String(answer.body.sha256)} · ${receivedAt}`
  const links = [['bid.ohsb.receipt.p7s', cms, 'application/pkcs7-signature'], ['receipt.json', receipt.json, 'application/json']] as const
  result.replaceChildren(item, ...links.flatMap(([name, content, type]) => {
    const link = element('a') as HTMLAnchorElement
    link.textContent = name
    offerDownload(link, name, [content as BlobPart], type)
    return [link, ' ']
  }))
  window.removeEventListener('beforeunload', guard)
  for (const input of form!.querySelectorAll<HTMLInputElement>('[data-check]')) input.disabled = true
  $<HTMLButtonElement>('[data-action="restart"]').hidden = true
  const button = $<HTMLButtonElement>('[data-action="submit"]')
  button.textContent = m('sealer.submitted')
  button.dataset.submitted = 'true'
  say(m('sealer.done'), 'ok')
}

// ---- wiring --------------------------------------------------------------------------------------

function busy (work: () => Promise<void>, button: HTMLButtonElement) {
  button.disabled = true
  work().catch((error: unknown) => {
    say(error instanceof Error ? error.message : String(error), 'error')
    button.disabled = false
  })
}

function wire () {
  form!.addEventListener('submit', (event) => {
    event.preventDefault()
    if (draft || sealed) return
    readDraft().then((read) => {
      if (!read) return
      draft = read
      say('')
      drawReview(read.opening, read.files)
      show('review')
      $('#bid-review-title').focus()
    }).catch((error: unknown) => { say(error instanceof Error ? error.message : String(error), 'error') })
  })

  $('[data-action="edit"]').addEventListener('click', () => {
    draft = null
    show('fill')
    $<HTMLInputElement>('input[name^="opening."]').focus()
  })

  $('[data-action="seal"]').addEventListener('click', (event) => {
    const button = event.currentTarget as HTMLButtonElement
    busy(async () => {
      say(m('sealer.sealing'))
      sealed = await seal(draft!)
      window.addEventListener('beforeunload', guard)
      drawSaved()
      say(m('sealer.sealed'), 'ok')
      show('save')
      button.disabled = false
      $('#bid-save-title').focus()
    }, button)
  })

  for (const input of form!.querySelectorAll<HTMLInputElement>('[data-check]')) {
    input.addEventListener('change', () => {
      const kept = input.dataset.check as Kept
      checkSaved(kept, input).catch((error: unknown) => { say(error instanceof Error ? error.message : String(error), 'error') })
    })
  }

  $('[data-action="restart"]').addEventListener('click', () => {
    discardSealed()
    draft = null
    say('')
    show('fill')
  })

  $('[data-action="submit"]').addEventListener('click', (event) => {
    const button = event.currentTarget as HTMLButtonElement
    if (!checked.package || !checked.secret) return
    show('submit')
    busy(submit, button)
  })
}

if (form) wire()
