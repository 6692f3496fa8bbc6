/**
 * Demo trading: two opening rooms, a school building project accepted into the schedule, and its
 * tender published with documents and a bid bond, so a newcomer can sign in as `jianye`, obtain
 * the documents and seal a bid in the browser with the demo key under DATA_DIR/demo/pki/.
 */
import type { FastifyInstance } from 'fastify'
import { Readable } from 'node:stream'
import { earliestLawfulTimetable } from '../../src/modules/tenders/tenders.rules.ts'
import type { Actor } from '../../src/lib/actor.ts'
import { actorFor } from './actor.ts'
import { demoCreditCode } from './county.ts'

const PROJECT_NAME = '县第一中学教学综合楼建设工程'

export async function seedTrading (app: FastifyInstance, admin: Actor): Promise<string[]> {
  const { accounts, projects, tenders } = app.services
  const account = async (username: string) => actorFor((await accounts.listAccounts({ q: username, limit: 1, offset: 0 })).items[0]!)
  const agency = await account('zhaobiao')
  if ((await projects.listProjects(agency, { limit: 200 })).some((project) => project.name === PROJECT_NAME)) return []
  const venues = await projects.listVenues()
  const room = venues[0] ?? await projects.createVenue(admin, { code: 'KB-1', name: '第一开标室', seats: 60 })
  if (venues.length < 2) await projects.createVenue(admin, { code: 'KB-2', name: '第二开标室', seats: 30 })

  // lawful timing from today: documents now, 5 days on sale, 20 days to a 09:30 deadline
  const now = app.clock.now()
  const { saleUntil, bidDeadline } = earliestLawfulTimetable(app.calendar.current(), now)

  const project = await projects.registerProject(agency, {
    tradeType: 'construction_works',
    name: PROJECT_NAME,
    tendererName: '县第一中学',
    tendererCreditCode: demoCreditCode('330100', 'MB4P5Q6R'),
    agencyName: '诚信招标代理有限公司',
    estimateFen: 1_500_000_000,
    priceCeilingFen: 1_480_000_000,
    fundingSource: '财政资金',
    mandatoryTendering: true,
    details: { site: '县城东新区学府路 1 号', scale: '教学综合楼 12,000 平方米，地上 5 层', qualification: '建筑工程施工总承包二级及以上', plannedDays: 365 }
  })
  await projects.decideProject(admin, project.id, {
    decision: 'accept',
    slot: { venueId: room.id, startsAt: bidDeadline.toISOString(), endsAt: new Date(bidDeadline.getTime() + 3 * 3_600_000).toISOString() }
  })
  const tender = await tenders.createTender(agency, {
    projectId: project.id,
    title: `${PROJECT_NAME}施工招标`,
    announcement: '本招标项目已由县发展和改革局批准建设，资金来自财政资金，招标人为县第一中学，招标代理机构为诚信招标代理有限公司。项目已具备招标条件，现对该项目的施工进行公开招标，采用电子招标投标方式，投标文件须加密并签名后递交。',
    documentsFrom: now.toISOString(),
    saleUntil: saleUntil.toISOString(),
    bidDeadline: bidDeadline.toISOString(),
    bond: { amountFen: 20_000_000, feeCode: 'TB-BZJ' },
    openingFields: [
      { key: 'priceFen', label: '投标报价', kind: 'fen', required: true },
      { key: 'durationDays', label: '工期（日历天）', kind: 'days', required: true },
      { key: 'quality', label: '质量标准', kind: 'text', required: false }
    ],
    evaluationMethod: { method: 'comprehensive', note: '技术标 40 分、商务标 60 分' }
  })
  const documents = '县第一中学教学综合楼建设工程施工招标文件（演示）\n第一章 招标公告\n第二章 投标人须知\n第三章 评标办法（综合评估法）\n第四章 合同条款\n第五章 工程量清单\n'
  await tenders.issueDocument(agency, tender.id, { kind: 'tender_documents', title: '招标文件' }, { name: '招标文件.txt', stream: Readable.from([Buffer.from(documents)]) })
  await tenders.publish(agency, tender.id)
  await tenders.register(await account('jianye'), tender.id)
  return [`Tender ${tender.code} is open for bids until ${bidDeadline.toISOString()}: sign in as jianye, open /bidder and seal a bid with jianye.pem / jianye.key`]
}
