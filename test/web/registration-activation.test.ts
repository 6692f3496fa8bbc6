/**
 * An organisation's registration page (inject): after registering, the page offers to activate
 * the account with the organisation's certificate (the browser's certificate client, pointed at the
 * activation API, with the refusals in the page's words); the page can be opened again by its
 * address until the registration is decided, and then says what became of it.
 */
import t from 'tap'
import { demoCreditCode } from '../../scripts/demo/county.ts'
import { derToPem } from '../../src/lib/pki/x509-parts.ts'
import { TEST_PASSWORD, hallAdmin } from '../factories/accounts.ts'
import { buildTestApp } from '../helper.ts'
import { createAuthority, issueLeaf, opensslSign, rsaKey, workDirectory, writePem } from '../support/pki.ts'

t.test('a registered organisation is offered certificate activation, and its page follows the registration', async (t) => {
  const { app } = await buildTestApp(t)
  const code = demoCreditCode('330100', 'MA7C8D9E')
  const registered = await app.inject({
    method: 'POST',
    url: '/register/organisation',
    payload: { displayName: '远航建设有限公司', creditCode: code, role: 'bidder', username: 'yuanhang', password: TEST_PASSWORD }
  })
  t.equal(registered.statusCode, 200)
  const id = /data-endpoint="\/api\/registrations\/organisation\/([0-9a-f-]{36})\/certificate"/.exec(registered.body)?.[1]
  t.ok(id, 'the certificate client posts to this registration\'s activation')
  t.match(registered.body, /<h2 id="activate-title">用单位数字证书激活<\/h2>/)
  t.match(registered.body, /<form id="certificate-sign-in"[^>]*data-next="\/login\?done=activated"/, 'and goes on to the sign-in once active')
  t.match(registered.body, /<label for="activate-certificate">证书文件（PEM）<\/label>/)
  t.match(registered.body, /<input type="file" id="activate-key" name="key"[^>]*aria-describedby="activate-key-hint">/)
  t.match(registered.body, /<script type="module" src="\/assets\/bundles\/certificate-sign-in.js"><\/script>/)
  const errors = JSON.parse(/data-errors="([^"]*)"/.exec(registered.body)![1]!.replaceAll('&quot;', '"').replaceAll('&#39;', '\'').replaceAll('&amp;', '&')) as Record<string, string>
  t.equal(errors.CERTIFICATE_SUBJECT_MISMATCH, '该证书载明的不是本单位的统一社会信用代码，不能用于激活。', 'refusals in the page\'s words')
  t.equal(errors.REGISTRATION_DECIDED, '该注册已经处理，无需再激活，请直接登录。')
  t.match(registered.body, /<code>yuanhang<\/code>/, 'the user name once more, right after sending')
  t.match(registered.body, new RegExp(`<a href="/register/organisation/${id}" data-registration-link>`))
  t.equal((await app.inject({ method: 'GET', url: '/assets/bundles/certificate-sign-in.js' })).statusCode, 200)

  const later = await app.inject({ method: 'GET', url: `/register/organisation/${id}` })
  t.equal(later.statusCode, 200, 'the page opens again by its address')
  t.match(later.body, /data-state="pending"/)
  t.match(later.body, /data-activate/)
  t.notMatch(later.body, /yuanhang/, 'without the user name')
  t.equal((await app.inject({ method: 'GET', url: '/register/organisation/00000000-0000-4000-8000-000000000000' })).statusCode, 404)
  t.equal((await app.inject({ method: 'GET', url: '/register/organisation/not-an-id' })).statusCode, 400)

  // the certificate proves the organisation (here through the API, as the page's script does)
  const admin = await hallAdmin(app)
  const authority = createAuthority('天威诚信 Test CA')
  await app.inject({ method: 'POST', url: '/api/pki/authorities', headers: admin.headers, payload: { certificate: derToPem(authority.root), role: 'root' } })
  const dir = workDirectory(t)
  const key = rsaKey()
  const leaf = issueLeaf(authority, { key, subject: [['C', 'CN'], ['O', '远航建设有限公司'], ['serialNumber', code], ['CN', '远航建设']] })
  const challenge = (await app.inject({ method: 'POST', url: '/api/pki/challenges' })).json()
  const signature = opensslSign(dir, { content: Buffer.from(challenge.challenge), certificate: writePem(dir, 'leaf.pem', leaf), key: writePem(dir, 'leaf.key', key), chain: writePem(dir, 'chain.pem', authority.intermediate) })
  const activated = await app.inject({ method: 'POST', url: `/api/registrations/organisation/${id}/certificate`, payload: { challengeId: challenge.challengeId, signature: Buffer.from(signature).toString('base64') } })
  t.equal(activated.statusCode, 200, activated.body)

  const decided = await app.inject({ method: 'GET', url: `/register/organisation/${id}` })
  t.match(decided.body, /data-state="activated"/)
  t.match(decided.body, /“远航建设有限公司”已通过数字证书确认身份，账户已启用，请登录。/)
  t.notMatch(decided.body, /data-activate/, 'nothing left to activate')
  const login = await app.inject({ method: 'GET', url: '/login?done=activated' })
  t.match(login.body, /data-login-done>单位账户已通过数字证书启用。/)
})
