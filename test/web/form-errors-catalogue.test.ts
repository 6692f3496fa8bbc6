/**
 * Errors where they happen on the catalogue and fee-standard pages: a department's new item, its
 * draft and change requests, the hall's queue, the administrators' fee items and versions and
 * their decisions, and the public quote. Bad input — also input a browser would have stopped —
 * comes back with the error summary linking to the field, the message beside it, the field marked
 * (aria-invalid, aria-describedby), what was typed kept, in plain Chinese saying what to do.
 */
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildTestApp } from '../helper.ts'
import { createUser } from '../factories/accounts.ts'
import { catalogueDesk, itemContent, publishedItem } from '../factories/catalogue.ts'
import { createDepartment } from '../factories/departments.ts'
import { approvedFee, feeDesk } from '../factories/fees.ts'
import { pageHeaders } from '../factories/fees-pages.ts'
import { addCalendarDays } from '../../src/lib/working-days.ts'
import type { ItemContent } from '../../src/modules/catalogue/catalogue.content.ts'
import { leaksIn } from './plain-words.ts'

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The refusal of one field: in the summary, beside the field, on the field. */
function fieldError (t: Test, response: LightMyRequestResponse, id: string, message: string | RegExp) {
  const body = response.body
  const words = typeof message === 'string' ? escape(message) : message.source
  t.match(body, new RegExp(`data-error-summary[\\s\\S]*<a href="#${escape(id)}">${words}</a>`), `${id}: the summary links to the field`)
  t.match(body, new RegExp(`<p id="${escape(id)}-error" class="error field-error">${words}</p>`), `${id}: the message beside the field`)
  const element = new RegExp(`<(?:input|textarea|select)[^>]*\\bid="${escape(id)}"[^>]*>`).exec(body)?.[0] ?? ''
  t.match(element, /aria-invalid="true"/, `${id}: marked invalid`)
  t.match(element, new RegExp(`aria-describedby="[^"]*\\b${escape(id)}-error\\b`), `${id}: described by its message`)
  t.same(leaksIn(body), [], 'in plain Chinese')
}

t.test('a new item: code, department and content beside their fields, in words, what was typed kept', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await createUser(app, { grants: [{ role: 'hall_admin', scopeType: 'hall' }] })
  const market = await createDepartment(app, admin.id, '县市场监督管理局')
  const other = await createDepartment(app, admin.id, '县卫生健康局')
  const desk = await catalogueDesk(app, market.id)
  const dept = pageHeaders(app, desk.drafter)

  const broken = '{\n  "name": "食品经营许可",\n  "type" "licence"\n}'
  const everything = await app.inject({ method: 'POST', url: '/admin/catalogue', headers: dept, payload: { code: '甲', departmentId: other.id, content: broken } })
  t.equal(everything.statusCode, 400)
  t.notMatch(everything.body, /data-confirm/)
  fieldError(t, everything, 'new-code', '事项编码只能用字母、数字和连字符，2–32 位，以字母或数字开头，例如 SCJG-001。')
  fieldError(t, everything, 'new-department', '请选择实施部门。')
  fieldError(t, everything, 'new-content', '事项内容不是有效的 JSON：第 3 行第 10 个字符附近有误，请检查引号是否成对、逗号是否多余或缺少、括号是否配对。')
  t.match(everything.body, /id="new-code"[^>]*value="甲"/, 'the code typed is kept')
  t.match(everything.body, /<textarea id="new-content"[^>]*>\{\n {2}&quot;name&quot;: &quot;食品经营许可&quot;,\n {2}&quot;type&quot; &quot;licence&quot;\n\}<\/textarea>/, 'and the content, as typed')
  t.match(everything.body, /<details open>/, 'the form stays open')

  // the schema's findings, each named by the field's words and its key, saying what to write
  const nameless: Partial<ItemContent> = itemContent()
  delete nameless.name
  const shape = { ...nameless, visitsNeeded: 'one', colour: 'red', materials: [{ code: 'M 1', name: '申请书', form: 'paper', copies: 1, required: true }] }
  const shaped = await app.inject({ method: 'POST', url: '/admin/catalogue', headers: dept, payload: { code: 'SCJG-001', departmentId: market.id, content: JSON.stringify(shape) } })
  t.equal(shaped.statusCode, 400)
  fieldError(t, shaped, 'new-content', '事项内容缺少“事项名称”（name），请参照示例补上。')
  for (const words of [
    '事项内容中的“colour”不是可以填写的字段，请删除或改正拼写。',
    '“到现场次数”（visitsNeeded）须填整数，不加引号，例如 5。',
    '“申请材料”（materials）第 1 项的“材料编号”（code）只能用字母、数字、下划线和连字符，以字母或数字开头，不超过 32 位，例如 M1。',
    '“申请材料”（materials）第 1 项的“材料形式”（form）的取值不在可选范围内，请填写“填写说明”中列出的取值之一。'
  ]) t.match(shaped.body, `<a href="#new-content">${words}</a>`, 'each finding in the summary')
  t.match(shaped.body, /data-content-guide[\s\S]*<code>original_and_copy<\/code> 原件和复印件/, 'the guide beside the box lists the values to choose from')
  t.notMatch(/data-error-summary[\s\S]*?<\/div>/.exec(shaped.body)?.[0] ?? '', /must|schema|\/visitsNeeded|[A-Za-z]{3,} [A-Za-z]{3,}/, 'never the schema\'s own words')

  const ruled = await app.inject({ method: 'POST', url: '/admin/catalogue', headers: dept, payload: { code: 'SCJG-001', departmentId: market.id, content: JSON.stringify(itemContent({ promisedWorkingDays: 30 })) } })
  t.equal(ruled.statusCode, 422)
  fieldError(t, ruled, 'new-content', '承诺时限（promisedWorkingDays）不能超过法定时限（statutoryWorkingDays），请缩短承诺时限。')
  const unknownFee = await app.inject({ method: 'POST', url: '/admin/catalogue', headers: dept, payload: { code: 'SCJG-001', departmentId: market.id, content: JSON.stringify(itemContent({ fees: [{ feeCode: 'NO-FEE' }], feeStandard: '按标准' })) } })
  t.equal(unknownFee.statusCode, 422)
  fieldError(t, unknownFee, 'new-content', '收费项目（fees）中的 NO-FEE 今天没有执行中的收费标准：请核对代码，或待该收费标准批准生效后再提交。')

  await publishedItem(app, { departmentId: market.id, code: 'SCJG-001', desk })
  const taken = await app.inject({ method: 'POST', url: '/admin/catalogue', headers: dept, payload: { code: 'scjg-001', departmentId: market.id, content: JSON.stringify(itemContent()) } })
  t.equal(taken.statusCode, 409)
  fieldError(t, taken, 'new-code', '该事项编码已被使用。')
  // past the browser's maxlength and required: the same words beside the fields, not an error page
  const bypassed = await app.inject({ method: 'POST', url: '/admin/catalogue', headers: dept, payload: { code: 'A'.repeat(40), departmentId: market.id, content: '  ' } })
  t.equal(bypassed.statusCode, 400)
  fieldError(t, bypassed, 'new-code', '事项编码只能用字母、数字和连字符，2–32 位，以字母或数字开头，例如 SCJG-001。')
  fieldError(t, bypassed, 'new-content', '请填写事项内容（可从示例改起）。')
})

t.test('an item\'s draft, its requests and the hall\'s queue: each form\'s problems beside its own fields', async (t) => {
  const { app } = await buildTestApp(t)
  const admin = await createUser(app, { grants: [{ role: 'hall_admin', scopeType: 'hall' }] })
  const market = await createDepartment(app, admin.id, '县市场监督管理局')
  const desk = await catalogueDesk(app, market.id)
  const dept = pageHeaders(app, desk.drafter)
  const created = await app.inject({ method: 'POST', url: '/api/service-items', headers: desk.drafter.headers, payload: { code: 'SCJG-002', departmentId: market.id, content: itemContent() } })
  const draftId = created.json().id as string

  const draft = await app.inject({ method: 'POST', url: `/admin/catalogue/${draftId}/draft`, headers: dept, payload: { draft: JSON.stringify(itemContent({ mode: 'instant' })) } })
  t.equal(draft.statusCode, 422)
  fieldError(t, draft, 'draft-content', '办理方式为即办件（instant）时，承诺时限（promisedWorkingDays）须填 0。')
  t.match(draft.body, /<textarea id="draft-content"[^>]*>\{&quot;name&quot;/, 'the draft as typed, not the saved one')
  const noReason = await app.inject({ method: 'POST', url: `/admin/catalogue/${draftId}/changes`, headers: dept, payload: { kind: 'publish', reason: '   ' } })
  t.equal(noReason.statusCode, 400)
  fieldError(t, noReason, 'publish-reason', '请填写申请理由。')
  t.match(noReason.body, /<textarea id="draft-content"[^>]*>\{\n {2}&quot;[^<]*&quot;promisedWorkingDays&quot;: 5,/, 'the draft box keeps the saved draft')

  const item = await publishedItem(app, { departmentId: market.id, desk })
  const itemUrl = `/admin/catalogue/${item.id}/changes`
  const same = await app.inject({ method: 'POST', url: itemUrl, headers: dept, payload: { kind: 'amend', reason: '压缩时限', content: JSON.stringify(itemContent()) } })
  t.equal(same.statusCode, 422)
  fieldError(t, same, 'amend-content', '申请的内容与现行版本相同：请先修改内容，再申请变更。')
  t.match(same.body, /id="amend-reason"[^>]*value="压缩时限"/, 'the reason typed is kept')
  t.notMatch(same.body, /id="retire-reason"[^>]*value="压缩时限"/, 'in its own form only')
  const long = await app.inject({ method: 'POST', url: itemUrl, headers: dept, payload: { kind: 'retire', reason: '长'.repeat(1001) } })
  t.equal(long.statusCode, 400, 'a reason past the maxlength is answered beside the field')
  fieldError(t, long, 'retire-reason', '理由不能超过 1000 字，请精简。')
  const noRetireReason = await app.inject({ method: 'POST', url: itemUrl, headers: dept, payload: { kind: 'retire', reason: '' } })
  fieldError(t, noRetireReason, 'retire-reason', '请填写取消理由。')

  // the queue: a rejection without a note, a note too long, one's own request
  const amended = await app.inject({ method: 'POST', url: itemUrl, headers: dept, payload: { kind: 'amend', reason: '压缩时限', content: JSON.stringify(itemContent({ promisedWorkingDays: 3 })) } })
  t.equal(amended.statusCode, 302)
  const hall = pageHeaders(app, desk.approver)
  const changeId = /data-change="([0-9a-f-]{36})"/.exec((await app.inject({ method: 'GET', url: '/admin/catalogue/changes', headers: hall })).body)![1]!
  const decisionUrl = `/admin/catalogue/changes/${changeId}/decision`
  const bare = await app.inject({ method: 'POST', url: decisionUrl, headers: hall, payload: { decision: 'reject', note: ' ' } })
  t.equal(bare.statusCode, 422)
  fieldError(t, bare, `note-${changeId}`, '驳回时必须填写理由。')
  t.match(bare.body, new RegExp(`id="note-${changeId}"[^>]*aria-describedby="note-hint-${changeId} note-${changeId}-error"`), 'described by its hint and its message')
  const wordy = await app.inject({ method: 'POST', url: decisionUrl, headers: hall, payload: { decision: 'approve', note: '意'.repeat(1001) } })
  fieldError(t, wordy, `note-${changeId}`, '审批意见不能超过 1000 字，请精简。')
  t.match(wordy.body, new RegExp(`<textarea id="note-${changeId}"[^>]*>意{1001}</textarea>`), 'the note is kept')
  // the hall's own request: refused in the summary (it belongs to no field), nothing asked
  const other = await publishedItem(app, { departmentId: market.id, desk })
  const ownRequest = await app.inject({ method: 'POST', url: `/api/service-items/${other.id}/changes`, headers: desk.approver.headers, payload: { kind: 'retire', reason: '合并' } })
  const self = await app.inject({ method: 'POST', url: `/admin/catalogue/changes/${ownRequest.json().id as string}/decision`, headers: hall, payload: { decision: 'approve' } })
  t.equal(self.statusCode, 409)
  t.notMatch(self.body, /data-confirm/)
  t.match(self.body, /data-error-summary[\s\S]*<li>不能批准自己提交的申请，须由另一名管理员批准。<\/li>/)
  t.same(leaksIn(self.body), [])
})

t.test('fee items and versions: every field of the form beside itself, what was typed kept', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await feeDesk(app)
  const proposer = pageHeaders(app, desk.proposer)
  const today = app.calendar.today()
  const yesterday = addCalendarDays(today, -1)
  const blank = { unitPrice: '', unitName: '', quantityScale: '0', formula: '', parameters: '', legalBasis: '', standardDocument: '', receivingAccount: '', refundWorkingDays: '' }
  const form = { ...blank, code: '', category: 'tax', departmentId: '00000000-0000-4000-8000-000000000000', name: '  ', basis: 'fixed', amount: '八十', validFrom: yesterday, validTo: addCalendarDays(today, -5) }
  const all = await app.inject({ method: 'POST', url: '/admin/fees', headers: proposer, payload: form })
  t.equal(all.statusCode, 400)
  fieldError(t, all, 'new-code', '请填写收费项目代码，例如 BDC-DJ-01。')
  fieldError(t, all, 'new-category', '请选择类别。')
  fieldError(t, all, 'new-department', '请选择执收部门。')
  fieldError(t, all, 'new-name', '请填写项目名称。')
  fieldError(t, all, 'new-amount', '金额须为以元为单位、最多两位小数的正数，例如 80 或 80.50。')
  fieldError(t, all, 'new-legalBasis', '请填写收费依据（设立该收费的法律法规）。')
  fieldError(t, all, 'new-standardDocument', '请填写标准文件的文号，例如 发改价格〔2015〕299号。')
  fieldError(t, all, 'new-receivingAccount', '请填写收款账户。')
  fieldError(t, all, 'new-validFrom', `生效日期不能早于今天（${today}）：标准不溯及既往。`)
  fieldError(t, all, 'new-validTo', '失效日期须晚于生效日期；长期有效请留空。')
  t.match(all.body, /id="new-amount"[^>]*value="八十"[^>]*aria-invalid="true" aria-describedby="new-yuan-hint new-amount-error"/, 'kept, marked and described by its hint and its message')
  t.match(all.body, new RegExp(`id="new-validFrom"[^>]*value="${yesterday}"`))
  t.match(all.body, /<details open>/)

  const formula = { ...form, code: 'jy-01', category: 'deposit', departmentId: '', name: '交易保证金', basis: 'formula', amount: '', formula: 'max(price * 0.01, 500', parameters: 'price | 成交价 | 元 | 2', legalBasis: '《办法》', standardDocument: '县发改〔2026〕1号', receivingAccount: '保证金专户', refundWorkingDays: '99', validFrom: today, validTo: '' }
  const badFormula = await app.inject({ method: 'POST', url: '/admin/fees', headers: proposer, payload: formula })
  t.equal(badFormula.statusCode, 400)
  fieldError(t, badFormula, 'new-formula', /计算公式第 \d+ 个字符附近有误：请检查括号是否配对、用到的参数是否都已在“公式参数”中声明、函数名是否拼写正确。/)
  fieldError(t, badFormula, 'new-refundWorkingDays', '退还时限须为 1 到 60 之间的整数（工作日）；不填为 5 个工作日。')
  t.match(badFormula.body, /<textarea id="new-formula"[^>]*>max\(price \* 0\.01, 500<\/textarea>/)
  const twice = await app.inject({ method: 'POST', url: '/admin/fees', headers: proposer, payload: { ...formula, formula: 'price * 0.01', parameters: 'price | 成交价\nprice | 底价', refundWorkingDays: '' } })
  fieldError(t, twice, 'new-parameters', '第 2 行的参数名称 price 与前面重复，每个参数只写一行。')
  const unknownParameter = await app.inject({ method: 'POST', url: '/admin/fees', headers: proposer, payload: { ...formula, formula: 'area * 2', refundWorkingDays: '' } })
  fieldError(t, unknownParameter, 'new-formula', /计算公式第 1 个字符附近有误：[^<]+/)

  // a new version of an item in force: the same words, ids of its own form
  const fee = await approvedFee(app, desk, { code: 'BDC-01' })
  const next = { name: '不动产登记费（住宅）', basis: 'per_unit', amount: '', unitPrice: '2.5', unitName: '', quantityScale: '9', formula: '', parameters: '', legalBasis: '《条例》', standardDocument: '文件', receivingAccount: 'x'.repeat(201), refundWorkingDays: '', validFrom: 'soon', validTo: '' }
  const badNext = await app.inject({ method: 'POST', url: `/admin/fees/${fee.id}/versions`, headers: proposer, payload: next })
  t.equal(badNext.statusCode, 400)
  fieldError(t, badNext, 'next-unitName', '请填写计量单位，例如 平方米。')
  fieldError(t, badNext, 'next-quantityScale', '请选择数量最多小数位（0 到 4）。')
  fieldError(t, badNext, 'next-receivingAccount', '不能超过 200 字，请精简。')
  fieldError(t, badNext, 'next-validFrom', '请选择生效日期。')
  t.match(badNext.body, /id="next-unitPrice"[^>]*value="2\.5"/, 'what was typed is kept')
  const proposed = await app.inject({ method: 'POST', url: `/admin/fees/${fee.id}/versions`, headers: proposer, payload: { ...next, unitName: '平方米', quantityScale: '2', receivingAccount: '账户', validFrom: today } })
  t.equal(proposed.statusCode, 302, proposed.body)

  // a rejection states its reason, beside the note of that version, on either page
  const approver = pageHeaders(app, desk.approver)
  const versionId = /action="\/admin\/fee-versions\/([0-9a-f-]{36})\/decision"/.exec((await app.inject({ method: 'GET', url: '/admin/fees', headers: approver })).body)![1]!
  const fromList = await app.inject({ method: 'POST', url: `/admin/fee-versions/${versionId}/decision`, headers: approver, payload: { decision: 'reject', note: '' } })
  t.equal(fromList.statusCode, 422)
  fieldError(t, fromList, `note-${versionId}`, '驳回时请在审批意见中说明理由。')
  t.notMatch(fromList.body, /<details open>/, 'the new-item form stays closed')
  const fromItem = await app.inject({ method: 'POST', url: `/admin/fee-versions/${versionId}/decision`, headers: approver, payload: { decision: 'approve', note: '同'.repeat(1001), feeItemId: fee.id } })
  fieldError(t, fromItem, `note-${versionId}`, '审批意见不能超过 1000 字，请精简。')
  t.match(fromItem.body, /data-version="2" data-status="proposed"/, 'the item page, nothing decided')
})

t.test('the public quote: the day, the fee, the quantity and the parameters beside their fields', async (t) => {
  const { app } = await buildTestApp(t)
  const desk = await feeDesk(app)
  await approvedFee(app, desk, { code: 'CH-02', version: { name: '房产测绘费', basis: 'per_unit', amountFen: undefined, unitPriceFen: 250, unitName: '平方米', quantityScale: 2 } })
  await approvedFee(app, desk, { code: 'JY-03', version: { name: '土地交易服务费', basis: 'formula', amountFen: undefined, formula: 'price * 0.01', parameters: [{ name: 'price', label: '成交价', unit: '元', scale: 2, min: '1', max: '100000000' }] } })

  const day = await app.inject({ method: 'GET', url: '/fees?on=2026-02-30' })
  t.equal(day.statusCode, 400)
  fieldError(t, day, 'fees-on', '日期格式不正确：请选择查询日期（年-月-日）。下面先显示今日执行的标准。')
  t.match(day.body, /id="fees-on"[^>]*value="2026-02-30"/, 'the day typed is kept')
  t.match(day.body, /今日执行的收费标准（2 项）/, 'and today\'s standards are shown')
  const none = await app.inject({ method: 'GET', url: '/fees?code=NOPE&calculate=1' })
  t.equal(none.statusCode, 422)
  fieldError(t, none, 'quote-code', /收费项目 NOPE 在 \d{4}-\d{2}-\d{2} 没有执行中的标准，请从列表中选择收费项目。/)

  const quantity = await app.inject({ method: 'GET', url: '/fees?code=CH-02&quantity=1.234&calculate=1' })
  t.equal(quantity.statusCode, 422)
  fieldError(t, quantity, 'quote-quantity', '数量须为正数，最多 2 位小数，例如 120.5。')
  t.match(quantity.body, /id="quote-quantity"[^>]*value="1\.234"[^>]*aria-describedby="quote-quantity-hint quote-quantity-error"/)
  t.notMatch(quantity.body, /data-quote-result/)
  fieldError(t, await app.inject({ method: 'GET', url: '/fees?code=CH-02&quantity=&calculate=1' }), 'quote-quantity', '请填写数量（平方米）。')
  fieldError(t, await app.inject({ method: 'GET', url: '/fees?code=JY-03&param_price=0.5&calculate=1' }), 'quote-price', '成交价须在 1 到 100000000元 之间。')
  fieldError(t, await app.inject({ method: 'GET', url: '/fees?code=JY-03&param_price=12.345&calculate=1' }), 'quote-price', '成交价最多 2 位小数。')
  fieldError(t, await app.inject({ method: 'GET', url: '/fees?code=JY-03&param_price=%E5%8D%81&calculate=1' }), 'quote-price', '成交价须为数字，例如 12 或 0.5。')
  t.match((await app.inject({ method: 'GET', url: '/fees?code=JY-03&param_price=200&calculate=1' })).body, /data-quote-total>¥2\.00</, 'a good value is priced')
})
