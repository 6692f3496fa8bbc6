/**
 * Issuing a result with the department's seal (电子印章) in the page: the seal certificate and
 * its key are read from files the official picks, the key is imported into WebCrypto as
 * non-extractable, and the result JSON from the result draft is signed — detached CMS, the same
 * code the server verifies with, the issuing CA certificate included so anyone holding the
 * platform root can check the seal. Only the signature leaves the page.
 */
import { createSignedData } from '../../lib/cms/index.ts'
import { webCrypto, webSigner } from '../../lib/pki/web-crypto.ts'
import { pemBlocks } from './pem.ts'

const form = document.querySelector<HTMLFormElement>('#seal-result')
const status = form?.querySelector<HTMLElement>('[data-seal-status]')
const preview = form?.querySelector<HTMLElement>('[data-seal-draft]')
const messages: Record<string, string> = form ? JSON.parse(form.dataset.messages ?? '{}') as Record<string, string> : {}
const say = (key: string, fallback = key) => messages[`approvals.seal.${key}`] ?? fallback

async function importKey (pkcs8: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  try {
    return await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign'])
  } catch {
    return crypto.subtle.importKey('pkcs8', pkcs8, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])
  }
}

async function json<T> (response: Response): Promise<T> {
  const body = await response.json().catch(() => ({})) as T & { detail?: string, code?: string }
  if (!response.ok) throw new Error((body.code && messages[`approvals.errors.${body.code}`]) || body.detail || String(response.status))
  return body
}

async function issue () {
  const caseId = form!.dataset.caseId!
  const certificateFile = form!.querySelector<HTMLInputElement>('[name=certificate]')!.files?.[0]
  const keyFile = form!.querySelector<HTMLInputElement>('[name=key]')!.files?.[0]
  if (!certificateFile || !keyFile) throw new Error(say('missingFiles'))
  const [certificate] = pemBlocks(await certificateFile.text(), 'CERTIFICATE')
  const [pkcs8] = pemBlocks(await keyFile.text(), 'PRIVATE KEY')
  if (!certificate || !pkcs8) throw new Error(say('pem'))
  const privateKey = await importKey(pkcs8)

  status!.textContent = say('loading')
  const draft = await json<{ json: string, sha256: string }>(await fetch(`/api/cases/${caseId}/result-draft`, { headers: { accept: 'application/json' }, cache: 'no-store' }))
  const content = new TextEncoder().encode(draft.json)
  // what is signed is what the server will verify: the digest must match the draft's
  const digest = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', content)), (byte) => byte.toString(16).padStart(2, '0')).join('')
  if (digest !== draft.sha256) throw new Error(say('digestMismatch'))
  preview!.textContent = JSON.stringify(JSON.parse(draft.json), null, 2)
  preview!.hidden = false

  const ca = await json<{ issuing: string }>(await fetch('/api/pki/ca', { headers: { accept: 'application/json' } }))
  status!.textContent = say('signing')
  const signature = await createSignedData({
    provider: webCrypto, signer: webSigner(certificate, privateKey), content, detached: true, extraCertificates: pemBlocks(ca.issuing, 'CERTIFICATE')
  })
  await json(await fetch(`/api/cases/${caseId}/result`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ signature: btoa(Array.from(signature, (byte) => String.fromCharCode(byte)).join('')) })
  }))
  status!.textContent = say('issued')
  location.assign(`/workbench/cases/${caseId}?done=issued`)
}

form?.addEventListener('submit', (event) => {
  event.preventDefault()
  const button = form.querySelector<HTMLButtonElement>('button[type=submit]')!
  button.disabled = true
  status!.className = ''
  issue().catch((error: unknown) => {
    status!.textContent = error instanceof Error ? error.message : String(error)
    status!.className = 'error'
    button.disabled = false
  })
})
