/**
 * Demo fees: fee standards of two departments and of the trading centre (approved four-eyes),
 * notices for the demo payers — some paid through the simulated bank, one bid bond refund
 * pending — so the cashier, payer and finance pages have something to show. Idempotent.
 */
import type { FastifyInstance } from 'fastify'
import type { Actor } from '../../src/lib/actor.ts'
import type { CreateFeeItem } from '../../src/modules/fees/fees.schemas.ts'
import { actorFor } from './actor.ts'

const FISCAL = '示范县财政局非税收入汇缴结算户 3301 0000 0000 1234'
const CUSTODY = '示范县公共资源交易中心保证金专户 3301 0000 0000 5678'

function items (departments: Map<string, string>, validFrom: string): CreateFeeItem[] {
  const common = { validFrom, receivingAccount: FISCAL }
  return [
    {
      code: 'BDC-DJ-ZZ',
      category: 'non_tax',
      departmentId: departments.get('ZRZYJ'),
      version: { ...common, name: '不动产登记费（住宅）', basis: 'fixed', amountFen: 8000, legalBasis: '《不动产登记暂行条例》第二十二条', standardDocument: '发改价格规〔2016〕2559号' }
    },
    {
      code: 'BDC-DJ-FZZ',
      category: 'non_tax',
      departmentId: departments.get('ZRZYJ'),
      version: { ...common, name: '不动产登记费（非住宅）', basis: 'fixed', amountFen: 55000, legalBasis: '《不动产登记暂行条例》第二十二条', standardDocument: '发改价格规〔2016〕2559号' }
    },
    {
      code: 'DL-WJXF',
      category: 'non_tax',
      departmentId: departments.get('ZJJ'),
      version: { ...common, name: '城市道路占用挖掘修复费', basis: 'per_unit', unitPriceFen: 12000, unitName: '平方米', quantityScale: 2, legalBasis: '《城市道路管理条例》第三十四条', standardDocument: '示价〔2019〕12号' }
    },
    {
      code: 'JY-FWF',
      category: 'non_tax',
      version: {
        ...common,
        name: '公共资源交易服务费（工程建设）',
        basis: 'formula',
        formula: 'max(500, progressive(price, 1000000, 0.0015, 5000000, 0.0008, 0.0004))',
        parameters: [{ name: 'price', label: '中标金额', unit: '元', scale: 2, min: '0' }],
        legalBasis: '《公共资源交易平台管理暂行办法》',
        standardDocument: '示发改〔2020〕8号（差额定率累进）'
      }
    },
    {
      code: 'TB-BZJ',
      category: 'deposit',
      version: {
        ...common,
        receivingAccount: CUSTODY,
        name: '投标保证金',
        basis: 'formula',
        formula: 'amount',
        parameters: [{ name: 'amount', label: '招标文件规定的保证金', unit: '元', scale: 2, min: '1', max: '800000' }],
        legalBasis: '《招标投标法实施条例》第二十六条、第五十七条',
        standardDocument: '招标文件',
        refundWorkingDays: 5
      }
    }
  ]
}

export async function seedFees (app: FastifyInstance, admin: Actor): Promise<string[]> {
  const { accounts, departments, fees, payments, refunds, simulatedBank } = app.services
  const account = async (username: string) => actorFor((await accounts.listAccounts({ q: username, limit: 1, offset: 0 })).items[0]!)
  const deputy = await account('hall.deputy')
  const landAdmin = await account('zrzy.admin')
  const existing = new Set((await fees.listManaged(admin)).map((item) => item.code))
  if (existing.has('BDC-DJ-ZZ')) return []
  const departmentIds = new Map((await departments.listDepartments()).map((d) => [d.code, d.id]))
  for (const item of items(departmentIds, app.calendar.today())) {
    // four eyes: the department or the deputy proposes, the hall administrator approves
    const proposer = item.departmentId === departmentIds.get('ZRZYJ') ? landAdmin : deputy
    const created = await fees.createItem(proposer, item)
    await fees.decideVersion(admin, created.versions[0]!.id, { decision: 'approve', note: '演示：已核准' })
  }
  if (!simulatedBank) return ['(the simulated bank is off: no demo payments)']

  const payer = async (username: string) => (await accounts.listAccounts({ q: username, limit: 1, offset: 0 })).items[0]!
  const zhang = await payer('zhang.san')
  const jianye = await payer('jianye')
  const hongda = await payer('hongda')
  const clerk = await account('zrzy.clerk')
  const land = departmentIds.get('ZRZYJ')
  const landWindow = (await departments.listWindows()).find((window) => window.code === 'ZRZY-01')?.id
  const paidRegistration = await payments.createNotice(clerk, { purpose: 'case', reference: 'case:2026-ZRZY-000101', departmentId: land, windowId: landWindow, payer: { accountId: zhang.id, name: zhang.displayName }, lines: [{ code: 'BDC-DJ-ZZ' }] })
  await simulatedBank.pay({ paymentCode: paidRegistration.code, payerAccountNo: '6222 0202 0011 2233 445', payerAccountName: '张三' })
  const open = await payments.createNotice(clerk, { purpose: 'case', reference: 'case:2026-ZRZY-000102', departmentId: land, windowId: landWindow, payer: { accountId: zhang.id, name: zhang.displayName }, lines: [{ code: 'BDC-DJ-FZZ' }] })
  const bonds: Array<{ id: string }> = []
  for (const [bidder, account] of [[jianye, '3301 0400 0000 1111'], [hongda, '3301 0400 0000 2222']] as const) {
    const bond = await payments.createNotice(admin, { purpose: 'bid_bond', reference: 'tender:2026-GC-0007', payer: { accountId: bidder.id, name: bidder.displayName, idNumber: bidder.creditCode ?? undefined }, lines: [{ code: 'TB-BZJ', parameters: { amount: '20000' } }] })
    await simulatedBank.pay({ paymentCode: bond.code, payerAccountNo: account, payerAccountName: bidder.displayName })
    bonds.push(bond)
  }
  await refunds.refund(admin, { noticeId: bonds[1]!.id, trigger: 'award_notice', triggeredAt: new Date().toISOString(), reason: '未中标：中标结果公示期满后退还（演示）' })
  return [
    `Payment codes: ${open.code} (unpaid, 张三 — pay it at /cashier as "cashier" or at /simulated-bank), ${paidRegistration.code} (paid)`,
    'Bid bonds of tender:2026-GC-0007 paid by 建业 and 宏达; the refund to 宏达 is pending at /finance'
  ]
}
