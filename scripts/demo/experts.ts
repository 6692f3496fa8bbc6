/**
 * Demo expert pool and drawings: two dozen experts over the specialties the demo tenders need
 * (expert.li and expert.wang among them, with the facts recusal reads: one works for a bidder,
 * one for the tenderer, one is suspended, one is away), a small office-furniture purchase
 * (not mandatory tendering, so its bid deadline may be tomorrow) whose drawing the hall has
 * approved and the supervisor can run at once, and a drawing request for the school building
 * tender waiting for the hall's approval.
 */
import type { FastifyInstance } from 'fastify'
import { Readable } from 'node:stream'
import type { Actor } from '../../src/lib/actor.ts'
import { shanghaiDate } from '../../src/lib/working-days.ts'
import type { CreateExpert } from '../../src/modules/experts/experts.schemas.ts'
import { actorFor } from './actor.ts'
import { DEMO_PASSWORD, demoCreditCode } from './county.ts'

const FURNITURE_PROJECT = '县政务服务中心办公家具采购'
const SCHOOL_PROJECT = '县第一中学教学综合楼建设工程'

const EMPLOYERS = [
  { name: '县建筑设计院有限公司', code: demoCreditCode('330100', 'MC1D2E3F') },
  { name: '省建设工程质量检测中心', code: demoCreditCode('330100', 'MC4G5H6J') },
  { name: '恒信会计师事务所', code: demoCreditCode('330100', 'MC7K8L9M') },
  { name: '县职业技术学校', code: demoCreditCode('330100', 'MD1N2P3Q') },
  { name: '华东家具研究所', code: demoCreditCode('330100', 'MD4R5T6U') }
]
const JIANYE = { name: '建业建设工程有限公司', code: demoCreditCode('330100', 'MA2B3C4D') }
const SCHOOL = { name: '县第一中学', code: demoCreditCode('330100', 'MB4P5Q6R') }

const SURNAMES = '赵钱孙周吴郑冯陈褚卫蒋沈韩杨朱秦许何吕施张孔曹严'
/** Specialties of the demo pool: the school tender's works and cost, the purchase's furniture and audit. */
const GROUPS = [
  { specialties: ['A010101'], count: 6, title: 'senior' as const },
  { specialties: ['A050101'], count: 5, title: 'associate_senior' as const },
  { specialties: ['B040101'], count: 6, title: 'senior' as const },
  { specialties: ['C040102', 'A050101'], count: 5, title: 'intermediate' as const }
]

export async function seedExperts (app: FastifyInstance, admin: Actor): Promise<string[]> {
  const { accounts, experts, drawings, projects, tenders } = app.services
  const account = async (username: string) => (await accounts.listAccounts({ q: username, limit: 1, offset: 0 })).items.find((item) => item.username === username)
  const agency = actorFor((await account('zhaobiao'))!)
  if ((await projects.listProjects(agency, { limit: 200 })).some((project) => project.name === FURNITURE_PROJECT)) return []
  const today = shanghaiDate(app.clock.now())

  // expert.li and expert.wang exist as accounts (county.ts); the others are made here
  const people: Array<{ username: string, input: Omit<CreateExpert, 'account'> }> = [
    { username: 'expert.li', input: { fullName: '李建国', title: 'senior', practiceSince: 1998, regionCode: '330102', specialties: ['A010101', 'B040101'], employment: { organisationName: EMPLOYERS[0]!.name, creditCode: EMPLOYERS[0]!.code, fromDate: '2010-03-01' } } },
    { username: 'expert.wang', input: { fullName: '王丽华', title: 'senior', practiceSince: 2004, regionCode: '330106', specialties: ['A050101', 'C040102'], employment: { organisationName: EMPLOYERS[2]!.name, creditCode: EMPLOYERS[2]!.code, fromDate: '2012-07-01' } } }
  ]
  let n = 0
  for (const group of GROUPS) {
    for (let i = 0; i < group.count; i++, n++) {
      const employer = n === 3 ? JIANYE : n === 7 ? SCHOOL : EMPLOYERS[n % EMPLOYERS.length]!
      people.push({
        username: `expert.${String(n + 1).padStart(2, '0')}`,
        input: {
          fullName: `${SURNAMES[n % SURNAMES.length]}${['志强', '秀英', '建华', '海燕', '立新', '晓明'][n % 6]}`,
          title: group.title,
          practiceSince: 1995 + (n * 3) % 25,
          regionCode: n % 5 === 4 ? '330200' : '330102',
          specialties: group.specialties,
          employment: { organisationName: employer.name, creditCode: employer.code, fromDate: `${2008 + n % 12}-0${1 + n % 9}-01` }
        }
      })
    }
  }
  const created = new Map<string, string>()
  for (const person of people) {
    const existing = await account(person.username)
    const accountInput = existing
      ? { accountId: existing.id }
      : { username: person.username, phone: `1390000${String(1000 + created.size).padStart(4, '0')}`, password: DEMO_PASSWORD }
    const { expert } = await experts.createExpert(admin, { account: accountInput, ...person.input })
    created.set(person.username, expert.id)
  }
  await experts.recordPenalty(admin, created.get('expert.05')!, { kind: 'suspension', reason: '评标中无正当理由迟到早退（演示）', fromDate: today })
  await experts.recordRelation(admin, created.get('expert.12')!, { kind: 'relative', organisationName: JIANYE.name, creditCode: JIANYE.code, note: '配偶在该公司任职（演示）' })

  // the small purchase: a deadline tomorrow morning, the evaluation an hour later, so the lead time has begun
  const now = app.clock.now()
  const tomorrow = new Date(`${shanghaiDate(new Date(now.getTime() + 24 * 3_600_000))}T09:30:00+08:00`)
  const bidDeadline = tomorrow.getTime() - now.getTime() < 3 * 3_600_000 ? new Date(tomorrow.getTime() + 24 * 3_600_000) : tomorrow
  const venues = await projects.listVenues()
  const project = await projects.registerProject(agency, {
    tradeType: 'procurement_goods',
    name: FURNITURE_PROJECT,
    tendererName: '县政务服务中心',
    tendererCreditCode: demoCreditCode('330100', 'MD7W8X9Y'),
    agencyName: '诚信招标代理有限公司',
    estimateFen: 48_000_000,
    priceCeilingFen: 48_000_000,
    fundingSource: '财政资金',
    mandatoryTendering: false,
    details: { method: 'inquiry', budgetReference: '县财政 2026 年度办公设备预算', deliveryPlace: '县政务服务中心' }
  })
  await projects.decideProject(admin, project.id, {
    decision: 'accept',
    slot: { venueId: venues[1]?.id ?? venues[0]!.id, startsAt: bidDeadline.toISOString(), endsAt: new Date(bidDeadline.getTime() + 2 * 3_600_000).toISOString() }
  })
  const tender = await tenders.createTender(agency, {
    projectId: project.id,
    title: `${FURNITURE_PROJECT}（询价）`,
    announcement: '县政务服务中心办公家具采购项目资金已落实，现采用电子方式公开询价，欢迎符合条件的供应商参加。投标文件须加密并签名后递交。',
    documentsFrom: now.toISOString(),
    saleUntil: new Date(bidDeadline.getTime() - 3_600_000).toISOString(),
    bidDeadline: bidDeadline.toISOString(),
    openingFields: [{ key: 'priceFen', label: '投标报价', kind: 'fen', required: true }],
    evaluationMethod: { method: 'lowest_evaluated_price', note: '最低评标价法' }
  })
  await tenders.issueDocument(agency, tender.id, { kind: 'tender_documents', title: '采购文件' }, { name: '采购文件.txt', stream: Readable.from([Buffer.from('县政务服务中心办公家具采购文件（演示）\n')]) })
  await tenders.publish(agency, tender.id)
  const evaluationAt = new Date(bidDeadline.getTime() + 3_600_000)
  const furniture = await drawings.requestDrawing(agency, tender.id, {
    committeeSize: 3,
    tendererRepresentatives: 0,
    lines: [{ specialtyCode: 'B040101', side: 'technical', count: 2, reserves: 2 }, { specialtyCode: 'C040102', side: 'economic', count: 1, reserves: 1 }],
    evaluationAt: evaluationAt.toISOString(),
    evaluationPlace: '县公共资源交易中心第二评标室',
    regionsInclude: [],
    regionsExclude: []
  })
  await drawings.approve(admin, furniture.id)

  // the school building tender (trading.ts): a request the hall has still to approve
  const school = (await tenders.listTenders(agency.principal, { mine: true, limit: 50 })).find((item) => item.title.startsWith(SCHOOL_PROJECT))
  if (school) {
    await drawings.requestDrawing(agency, school.id, {
      committeeSize: 5,
      tendererRepresentatives: 0,
      lines: [{ specialtyCode: 'A010101', side: 'technical', count: 3, reserves: 2 }, { specialtyCode: 'A050101', side: 'economic', count: 2, reserves: 1 }],
      evaluationAt: new Date(new Date(school.bidDeadline).getTime() + 2 * 3_600_000).toISOString(),
      evaluationPlace: '县公共资源交易中心第一评标室',
      regionsInclude: ['3301'],
      regionsExclude: []
    })
  }
  return [
    `Expert pool: ${created.size} experts (expert.li, expert.wang, expert.01 … expert.${String(n).padStart(2, '0')}, password ${DEMO_PASSWORD})`,
    `Expert drawing for "${FURNITURE_PROJECT}" is approved: sign in as supervisor, open 专家抽取 and give the nonce; the drawn experts confirm under 抽取邀请`
  ]
}
