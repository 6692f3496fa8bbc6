/** The opening record prints in Chinese with the embedded font; pdftotext reads the prices back. */
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { renderOpeningRecordPdf, type OpeningRecordDocument } from '../../src/lib/pdf/index.ts'
import type { TestContext } from '../helper.ts'

const run = promisify(execFile)

async function textOf (t: TestContext, pdf: Buffer): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'openhall-record-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'record.pdf')
  await writeFile(file, pdf)
  return (await run('pdftotext', ['-layout', file, '-'])).stdout
}

const record: OpeningRecordDocument = {
  hallName: '示范县公共资源交易中心',
  tenderCode: 'GC-2026-00017-01',
  tenderTitle: '示范县第一中学教学楼建设工程施工招标',
  tendererName: '示范县教育局',
  venueName: '第一开标室',
  bidDeadline: new Date('2026-12-17T01:00:00Z'),
  openedAt: new Date('2026-12-17T01:30:00Z'),
  fields: [
    { key: 'priceFen', label: '投标报价', kind: 'fen' },
    { key: 'durationDays', label: '工期', kind: 'days' },
    { key: 'quality', label: '质量标准', kind: 'text' }
  ],
  rows: [
    { bidderName: '建业建设工程有限公司', bond: 'paid', outcome: 'opened', fields: { priceFen: '1288800000', durationDays: 300, quality: '合格' } },
    { bidderName: '宏达路桥集团有限公司', bond: 'guaranteed', outcome: 'opened', fields: { priceFen: '1277700050', durationDays: 280, quality: '优良' } },
    { bidderName: '天一市政工程有限公司', bond: 'missing', outcome: 'deemed_revoked', fields: { priceFen: null, durationDays: null, quality: null } },
    { bidderName: '长青园林绿化有限公司', bond: 'not_required', outcome: 'deemed_withdrawn', fields: { priceFen: null, durationDays: null, quality: null } },
    { bidderName: '恒信安装工程有限公司', bond: 'paid', outcome: 'withdrawn', fields: { priceFen: null, durationDays: null, quality: null } }
  ],
  priceCeiling: '14,800,000.00',
  referencePrice: null,
  remarks: ['下浮系数 K = 0.97（承诺值于开标前公布，监督人随机数 7391，可用 npm run verify-draw 复算）'],
  recordUrl: 'https://hall.example.gov.cn/openings/GC-2026-00017-01/record',
  contentSha256: 'a3f1c2d4e5b60718293a4b5c6d7e8f90112233445566778899aabbccddeeff00',
  signerSubject: 'CN=示范县公共资源交易中心 文书签名'
}

t.test('the record is Chinese text a reader can extract, with every price', async (t) => {
  const pdf = await renderOpeningRecordPdf(record)
  const dir = await mkdtemp(path.join(os.tmpdir(), 'openhall-record-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'record.pdf')
  await writeFile(file, pdf)
  const { stdout: text } = await run('pdftotext', ['-layout', file, '-'])
  t.match(text, /开标记录表/)
  t.match(text, /建业建设工程有限公司/)
  t.match(text, /12,888,000\.00/, 'prices print in yuan with grouping')
  t.match(text, /12,777,000\.50/)
  t.match(text, /300 天/)
  t.match(text, /视为撤销/)
  t.match(text, /a3f1c2d4e5b60718293a4b5c6d7e8f90112233445566778899aabbccddeeff00/, 'the signed JSON\'s digest is printed whole')
  const { stdout: fonts } = await run('pdffonts', [file])
  t.match(fonts, /WenQuanYi/, 'the CJK font is embedded')
  t.same(await renderOpeningRecordPdf(record), pdf, 'the same record renders to the same bytes')
})

t.test('开标时间 is the bid deadline, and bond and outcome print in words, never as codes', async (t) => {
  const text = await textOf(t, await renderOpeningRecordPdf(record))
  t.match(text, /开标时间\s+2026年12月17日 09:00/, 'the deadline (09:00 Beijing time), as the law makes it the opening time')
  t.notMatch(text, /09:30/, 'not when decryption began')
  for (const words of ['已缴纳', '保函', '未缴纳', '无需缴纳', '视为撤销', '视为撤回', '已撤回']) t.ok(text.includes(words), `prints ${words}`)
  t.notMatch(text, /not_required|guaranteed|missing|deemed_|withdrawn|\bpaid\b|\bopened\b/, 'no internal code reaches the page')
  const unknown = await textOf(t, await renderOpeningRecordPdf({ ...record, rows: [{ ...record.rows[0]!, bond: 'waived_by_rule', outcome: 'pending' }] }))
  t.notMatch(unknown, /waived_by_rule|pending/, 'a state without words is not printed as its code either')
})
