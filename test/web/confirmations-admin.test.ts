/**
 * Administration actions that lock someone out or cannot be taken back ask once more, without
 * JavaScript: revoking a role, disabling an account, resetting its password, no longer trusting
 * a CA, revoking one's certificate, recording a delegation (which ends the one in force). The
 * first post answers with a page naming what is acted upon and what will happen, carrying the
 * same fields with confirm=1 and a way back; nothing changes until that page is posted.
 * Enabling an account gives back and acts at once.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { buildTestApp } from '../helper.ts'
import { createUser, hallAdmin } from '../factories/accounts.ts'
import { approvalsDesk, delegatedItem, setClock } from '../factories/cases.ts'
import { createDepartment } from '../factories/departments.ts'
import { pageHeaders } from '../factories/fees-pages.ts'
import { leaksIn } from './plain-words.ts'

/** A urlencoded form post, as a browser sends it (an empty form included). */
function post (app: FastifyInstance, url: string, headers: Record<string, string>, fields: Array<[string, string]> | Record<string, string> = {}) {
  return app.inject({ method: 'POST', url, payload: new URLSearchParams(fields).toString(), headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' } })
}

/** The confirmation page: its heading, what is acted upon, what will happen, what it posts where, the way back. */
function confirmation (response: LightMyRequestResponse) {
  const body = response.body
  const text = (pattern: RegExp) => pattern.exec(body)?.[1]?.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ') ?? ''
  return {
    title: /<h1 id="confirm-title">([^<]+)<\/h1>/.exec(body)?.[1] ?? '',
    facts: text(/data-confirm-facts>([\s\S]*?)<\/dl>/),
    consequences: text(/data-confirm-consequences>([\s\S]*?)<\/div>/),
    action: /<form method="post" action="([^"]+)">/.exec(body)?.[1] ?? '',
    hidden: [...body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((match): [string, string] => [match[1]!, match[2]!]),
    button: /<button type="submit"([^>]*) data-confirm-button>([^<]+)<\/button>/.exec(body)?.slice(1) ?? [],
    back: /<a href="([^"]+)" role="button" class="secondary outline" data-confirm-cancel>/.exec(body)?.[1] ?? ''
  }
}

t.test('an account: revoking a role, disabling it, a new one-time password', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = pageHeaders(app, await hallAdmin(app))
  const department = await createDepartment(app, (await hallAdmin(app)).id, '县自然资源局')
  const clerk = await createUser(app, { username: 'li.clerk', grants: [{ role: 'clerk', scopeType: 'department', scopeId: department.id }] })
  const own = pageHeaders(app, clerk)
  const url = `/admin/accounts/${clerk.id}`
  const account = () => app.services.accounts.getAccount(clerk.id)
  const grantId = (await account()).grants[0]!.id

  const page = await app.inject({ method: 'GET', url, headers: admin })
  t.match(page.body, new RegExp(`action="${url}/grants/${grantId}/revoke" class="inline">\\s*<button type="submit" class="secondary outline compact" aria-label="撤销「窗口人员」角色">`), 'each revoke button names its role')

  const revoking = await post(app, `${url}/grants/${grantId}/revoke`, admin)
  t.equal(revoking.statusCode, 200)
  const revoke = confirmation(revoking)
  t.equal(revoke.title, '确认撤销角色')
  t.match(revoke.facts, /姓名 \/ 单位名称 Test li\.clerk 用户名 li\.clerk/)
  t.match(revoke.facts, /窗口人员/)
  t.match(revoke.facts, /部门 · 县自然资源局/)
  t.match(revoke.consequences, /Test li\.clerk将不再拥有「窗口人员」角色（部门 · 县自然资源局）：依靠这一角色的操作立即不能再做/)
  t.match(revoke.consequences, /如需恢复，须重新授予/)
  t.equal(revoke.action, `${url}/grants/${grantId}/revoke`)
  t.same(revoke.hidden, [['confirm', '1']])
  t.same(revoke.button, [' class="contrast"', '确认撤销'], 'the button names the action and looks destructive')
  t.equal(revoke.back, url)
  t.same(leaksIn(revoking.body), [], 'in plain Chinese')
  t.equal((await account()).grants.length, 1, 'the role is still held')
  t.equal((await post(app, revoke.action, admin, revoke.hidden)).headers.location, url)
  t.equal((await account()).grants.length, 0, 'revoked once confirmed')

  const disabling = await post(app, `${url}/status`, admin, { status: 'disabled' })
  t.equal(disabling.statusCode, 200)
  const disable = confirmation(disabling)
  t.equal(disable.title, '确认停用账户')
  t.match(disable.consequences, /Test li\.clerk（li\.clerk）的全部登录会话立即结束，此后不能再登录/)
  t.match(disable.consequences, /需要时可以重新启用/)
  t.same(disable.hidden, [['status', 'disabled'], ['confirm', '1']])
  t.same(leaksIn(disabling.body), [])
  t.equal((await account()).status, 'active', 'nothing is disabled yet')
  t.equal((await app.inject({ method: 'GET', url: '/account', headers: own })).statusCode, 200, 'and the account\'s session still works')
  t.equal((await post(app, disable.action, admin, disable.hidden)).headers.location, url)
  t.equal((await account()).status, 'disabled')
  t.equal((await app.inject({ method: 'GET', url: '/account', headers: own })).headers.location, '/login?next=%2Faccount', 'its session ended')
  const enabled = await post(app, `${url}/status`, admin, { status: 'active' })
  t.equal(enabled.headers.location, url, 'enabling gives back and acts at once')
  t.equal((await account()).status, 'active')

  const again = await createUser(app, { username: 'wang.wu' })
  const resetUrl = `/admin/accounts/${again.id}/password-reset`
  const resetting = await post(app, resetUrl, admin)
  t.equal(resetting.statusCode, 200)
  const reset = confirmation(resetting)
  t.equal(reset.title, '确认重置密码')
  t.match(reset.consequences, /Test wang\.wu（wang\.wu）现用的密码立即失效，全部登录会话立即结束/)
  t.match(reset.consequences, /下一页显示一个一次性密码，只显示一次/)
  t.notMatch(resetting.body, /data-one-time-password/, 'no password yet')
  t.same(leaksIn(resetting.body), [])
  t.equal((await app.inject({ method: 'GET', url: '/account', headers: pageHeaders(app, again) })).statusCode, 200, 'the session still works')
  const done = await post(app, reset.action, admin, reset.hidden)
  t.equal(done.statusCode, 200)
  t.match(done.body, /data-one-time-password>[^<]{12,}</, 'the one-time password, once confirmed')
  t.equal((await app.inject({ method: 'GET', url: '/account', headers: pageHeaders(app, again) })).statusCode, 302, 'the sessions ended')
})

t.test('no longer trusting a CA, revoking one\'s certificate', async (t) => {
  const { app } = await buildTestApp(t)
  const { createCsr } = await import('../../src/lib/pki/issuance.ts')
  const { encodeName } = await import('../../src/lib/pki/names.ts')
  const { derToPem } = await import('../../src/lib/pki/x509-parts.ts')
  const { createAuthority, rsaKey } = await import('../support/pki.ts')
  const admin = pageHeaders(app, await hallAdmin(app))
  t.equal((await post(app, '/admin/trust', admin, { certificate: derToPem(createAuthority('县测试证书中心').root), role: 'root' })).statusCode, 302)
  const [authority] = await app.services.pki.listTrustedAuthorities()
  const removeUrl = `/admin/trust/${authority!.fingerprint}/remove`

  const removing = await post(app, removeUrl, admin)
  t.equal(removing.statusCode, 200)
  const remove = confirmation(removing)
  t.equal(remove.title, '确认停止信任该CA')
  t.match(remove.facts, /县测试证书中心 Root/)
  t.match(remove.facts, authority!.fingerprint)
  t.match(remove.consequences, /签发的证书不再被平台接受：持证人不能再用这些证书登录或签名/)
  t.match(remove.consequences, /可重新添加该CA证书/)
  t.same(remove.hidden, [['confirm', '1']])
  t.equal(remove.back, '/admin/trust')
  t.same(leaksIn(removing.body), [])
  t.equal((await app.services.pki.listTrustedAuthorities())[0]!.active, true, 'still trusted')
  t.equal((await post(app, remove.action, admin, remove.hidden)).headers.location, '/admin/trust')
  t.equal((await app.services.pki.listTrustedAuthorities())[0]!.active, false, 'no longer trusted once confirmed')
  const twice = await post(app, removeUrl, admin)
  t.equal(twice.statusCode, 404, 'a CA no longer trusted is not offered again')
  t.notMatch(twice.body, /data-confirm/)

  const bidder = await createUser(app, { username: 'zhang.san', grants: [{ role: 'bidder', scopeType: 'hall' }] })
  const headers = pageHeaders(app, bidder)
  const csr = derToPem(createCsr(rsaKey(), encodeName([['CN', 'zhang']])), 'CERTIFICATE REQUEST')
  t.equal((await post(app, '/account/certificates', headers, { csr, profile: 'person' })).statusCode, 200)
  const [certificate] = await app.db.$client<Array<{ id: string, serialHex: string }>>`select id, serial_hex as "serialHex" from certificates where account_id = ${bidder.id}`
  const revoking = await post(app, `/account/certificates/${certificate!.id}/revoke`, headers)
  t.equal(revoking.statusCode, 200)
  const revoke = confirmation(revoking)
  t.equal(revoke.title, '确认吊销证书')
  t.match(revoke.facts, certificate!.serialHex)
  t.match(revoke.facts, /个人证书/)
  t.match(revoke.consequences, /立即吊销并列入平台的证书吊销列表，不能撤回/)
  t.match(revoke.consequences, /须重新申请证书/)
  t.equal(revoke.back, '/account/certificates')
  t.same(leaksIn(revoking.body), [])
  const revokedAt = async () => (await app.db.$client<Array<{ revoked_at: Date | null }>>`select revoked_at from certificates where id = ${certificate!.id}`)[0]!.revoked_at
  t.equal(await revokedAt(), null, 'nothing is revoked yet')
  t.equal((await post(app, revoke.action, headers, revoke.hidden)).headers.location, '/account/certificates')
  t.ok(await revokedAt(), 'revoked once confirmed')
})

t.test('recording a delegation says who decides what from when, and which delegation it ends', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await approvalsDesk(app)
  const item = await delegatedItem(app, desk)
  setClock(app, '2026-03-02T01:00:00.000Z') // Mon 2 Mar, 09:00 in the hall
  const headers = pageHeaders(app, desk.admin)
  const url = `/admin/departments/${desk.department.id}/delegations`
  const references = async () => (await app.db.$client<Array<{ reference: string }>>`select reference from delegations where department_id = ${desk.department.id} order by valid_from`).map((row) => row.reference)
  const before = await references()
  const running = before.at(-1)

  const asked = await post(app, url, headers, [['chiefRepId', desk.chief.id], ['itemCodes', item.code.toLowerCase()], ['decisions', 'approve'], ['decisions', 'deny'], ['reference', '市监授〔2026〕7号'], ['validFrom', '2026-03-02T10:00'], ['validUntil', '']])
  t.equal(asked.statusCode, 200)
  const page = confirmation(asked)
  t.equal(page.title, '确认登记授权')
  t.match(page.facts, new RegExp(`${item.code}`))
  t.match(page.facts, /准予许可、不予许可/)
  t.match(page.facts, /市监授〔2026〕7号/)
  t.match(page.consequences, /授权登记后不能删除或修改；如需变更，须再登记一份新的授权/)
  t.match(page.consequences, new RegExp(`自2026年3月2日 10:00:00起，Test \\S+可对下列事项作出准予许可、不予许可决定：${item.code}`))
  t.match(page.consequences, new RegExp(`现行授权「${running!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}」于2026年3月2日 10:00:00终止`), 'the delegation in force is named, and when it ends')
  t.same(page.hidden, [['chiefRepId', desk.chief.id], ['itemCodes', item.code], ['decisions', 'approve'], ['decisions', 'deny'], ['reference', '市监授〔2026〕7号'], ['validFrom', '2026-03-02T10:00'], ['confirm', '1']])
  t.same(page.button, ['', '确认登记'])
  t.equal(page.back, url)
  t.same(leaksIn(asked.body), [])
  t.same(await references(), before, 'nothing is recorded yet')
  t.equal((await post(app, page.action, headers, page.hidden)).headers.location, `${url}?done=recorded`)
  t.same(await references(), [...before, '市监授〔2026〕7号'], 'recorded once confirmed')
})
