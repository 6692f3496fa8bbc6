/**
 * Certificate sign-in in a page (bidders attending an opening): the key file is imported into
 * WebCrypto as non-extractable and signs the platform's one-time challenge (CMS, the same code the
 * server verifies with); only the signature leaves the page. The session then lives in the
 * page's cookie like any other.
 *
 * The same proof serves other pages through the form's data: `data-endpoint` (where the signed
 * challenge goes; the sign-in by default; the organisation's activation on its registration page),
 * `data-next` (where to go once accepted; the same page by default) and `data-errors` (a refusal's
 * code → the page's words for it, with `data-msg-failed` for any other).
 */
import { createSignedData } from '../../lib/cms/index.ts'
import { webCrypto, webSigner } from '../../lib/pki/web-crypto.ts'
import { pemBlocks } from './pem.ts'

const form = document.querySelector<HTMLFormElement>('#certificate-sign-in')
const status = form?.querySelector<HTMLElement>('[data-sign-in-status]')

async function signIn () {
  const certificateFile = form!.querySelector<HTMLInputElement>('[name=certificate]')!.files?.[0]
  const keyFile = form!.querySelector<HTMLInputElement>('[name=key]')!.files?.[0]
  if (!certificateFile || !keyFile) throw new Error(form!.dataset.msgMissing)
  const [certificate] = pemBlocks(await certificateFile.text(), 'CERTIFICATE')
  const [pkcs8] = pemBlocks(await keyFile.text(), 'PRIVATE KEY')
  if (!certificate || !pkcs8) throw new Error(form!.dataset.msgPem)
  const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign'])
  const challenge = await (await fetch('/api/pki/challenges', { method: 'POST' })).json() as { challengeId: string, challenge: string }
  const signature = await createSignedData({ provider: webCrypto, signer: webSigner(certificate, privateKey), content: new TextEncoder().encode(challenge.challenge), detached: false })
  const response = await fetch(form!.dataset.endpoint ?? '/login/certificate', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ challengeId: challenge.challengeId, signature: btoa(Array.from(signature, (byte) => String.fromCharCode(byte)).join('')) })
  })
  if (!response.ok) throw new Error(await refusal(response))
  // read to its end: a navigation while the answer is still arriving aborts it (the browser reports a failed request)
  await response.arrayBuffer()
  if (form!.dataset.next) location.assign(form!.dataset.next)
  else location.reload()
}

/** A refusal in the page's words when the page gave them, else the server's. */
async function refusal (response: Response): Promise<string> {
  const problem = await response.json().catch(() => ({})) as { code?: string, detail?: string }
  const words = form!.dataset.errors ? JSON.parse(form!.dataset.errors) as Record<string, string> : {}
  return (problem.code ? words[problem.code] : undefined) ?? form!.dataset.msgFailed ?? problem.detail ?? String(response.status)
}

form?.addEventListener('submit', (event) => {
  event.preventDefault()
  signIn().catch((error: unknown) => {
    status!.textContent = error instanceof Error ? error.message : String(error)
    status!.className = 'error'
  })
})
