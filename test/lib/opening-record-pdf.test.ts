/** The opening record prints in Chinese with the embedded font; pdftotext reads the prices back. */
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { renderOpeningRecordPdf, type OpeningRecordDocument } from '../../src/lib/pdf/index.ts'

const run = promisify(execFile)

const record: OpeningRecordDocument = {
  hallName: '示范县公共资源交易中心',
  tenderCode: 'GC-2026-00017-01',
  tenderTitle: '示范县第一中学教学楼建设工程施工招标',
  tendererName: '示范县教育局',
  venueName: '第一开标室',
  openedAt: new Date('2026-12-17T01:30:00Z'),
  fields: [
    { key: 'priceFen', label: '投标报价', kind: 'fen' },
    { key: 'durationDays', label: '工期', kind: 'days' },
    { key: 'quality', label: '质量标准', kind: 'text' }
  ],
  rows: [
    { bidderName: '建业建设工程有限公司', bond: '已缴纳', outcome: '已解密', fields: { priceFen: '1288800000', durationDays: 300, quality: '合格' } },
    { bidderName: '宏达路桥集团有限公司', bond: '保函', outcome: '已解密', fields: { priceFen: '1277700050', durationDays: 280, quality: '优良' } },
    { bidderName: '天一市政工程有限公司', bond: '未缴纳', outcome: '视为撤销（未在规定时间内解密）', fields: { priceFen: null, durationDays: null, quality: null } }
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
