/**
 * The demo county: departments, windows and one user of every role, so a newcomer can click
 * through every flow. Idempotent: running it again changes nothing. Later modules add their
 * own demo data next to this file (scripts/demo/<domain>.ts) and register it in index.ts.
 */
import type { FastifyInstance } from 'fastify'
import type { Actor } from '../../src/lib/actor.ts'
import { creditCodeCheckCharacter } from '../../src/lib/credit-code.ts'
import type { Role } from '../../src/lib/policy.ts'

export const DEMO_PASSWORD = 'Demo-Hall-2026!'

/** A valid unified social credit code for a made-up organisation (both check characters computed). */
export function demoCreditCode (region: string, body8: string): string {
  const alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY'
  const weights = [3, 7, 9, 10, 5, 8, 4, 2]
  const sum = [...body8].reduce((total, char, i) => total + alphabet.indexOf(char) * weights[i]!, 0)
  const check = 11 - (sum % 11)
  const orgCode = body8 + (check === 10 ? 'X' : check === 11 ? '0' : String(check))
  const first17 = `91${region}${orgCode}`
  return first17 + creditCodeCheckCharacter(first17)
}

const DEPARTMENTS = [
  { code: 'SCJGJ', name: '县市场监督管理局', nameEn: 'County Market Supervision Bureau' },
  { code: 'ZRZYJ', name: '县自然资源局', nameEn: 'County Natural Resources Bureau' },
  { code: 'ZJJ', name: '县住房和城乡建设局', nameEn: 'County Housing and Construction Bureau' },
  { code: 'CZJ', name: '县财政局', nameEn: 'County Finance Bureau' },
  { code: 'DAJ', name: '县档案局', nameEn: 'County Archives Bureau' },
  { code: 'QXJ', name: '县气象局', nameEn: 'County Meteorological Bureau' }
] as const

const WINDOWS = [
  { code: 'SCJG-01', name: '市场监管 1 号窗口', kind: 'department', department: 'SCJGJ' },
  { code: 'ZRZY-01', name: '自然资源 1 号窗口', kind: 'department', department: 'ZRZYJ' },
  { code: 'ZJJ-01', name: '住建 1 号窗口', kind: 'department', department: 'ZJJ' },
  { code: 'YH-01', name: '银行收费窗口', kind: 'department', department: 'CZJ' },
  { code: 'ZHDL-01', name: '综合代理窗口', kind: 'agency', department: null },
  { code: 'ZDXM-01', name: '重大项目窗口', kind: 'major_project', department: null }
] as const

interface DemoUser {
  username: string
  displayName: string
  kind: 'person' | 'organisation'
  creditCode?: string
  role: Role
  scope: { department: string } | { window: string } | 'hall'
}

const USERS: DemoUser[] = [
  { username: 'supervisor', displayName: '周监督（县纪委监委派驻）', kind: 'person', role: 'supervisor', scope: 'hall' },
  { username: 'hall.deputy', displayName: '钱副主任（政务服务中心）', kind: 'person', role: 'hall_admin', scope: 'hall' },
  { username: 'zrzy.admin', displayName: '孙管理（自然资源局）', kind: 'person', role: 'dept_admin', scope: { department: 'ZRZYJ' } },
  { username: 'zrzy.clerk', displayName: '赵窗口（自然资源 1 号窗口）', kind: 'person', role: 'clerk', scope: { window: 'ZRZY-01' } },
  { username: 'scjg.admin', displayName: '吴管理（市场监管局）', kind: 'person', role: 'dept_admin', scope: { department: 'SCJGJ' } },
  { username: 'scjg.chief', displayName: '郑首代（市场监管局首席代表）', kind: 'person', role: 'chief_rep', scope: { department: 'SCJGJ' } },
  { username: 'scjg.clerk', displayName: '王窗口（市场监管 1 号窗口）', kind: 'person', role: 'clerk', scope: { window: 'SCJG-01' } },
  { username: 'agency.clerk', displayName: '冯代理（综合代理窗口）', kind: 'person', role: 'clerk', scope: { window: 'ZHDL-01' } },
  { username: 'cashier', displayName: '陈收费（银行收费窗口）', kind: 'person', role: 'cashier', scope: 'hall' },
  { username: 'zhang.san', displayName: '张三', kind: 'person', role: 'applicant', scope: 'hall' },
  { username: 'jianye', displayName: '建业建设工程有限公司', kind: 'organisation', creditCode: demoCreditCode('330100', 'MA2B3C4D'), role: 'bidder', scope: 'hall' },
  { username: 'hongda', displayName: '宏达路桥集团有限公司', kind: 'organisation', creditCode: demoCreditCode('330100', 'MA5E6F7G'), role: 'bidder', scope: 'hall' },
  { username: 'tianyi', displayName: '天一市政工程有限公司', kind: 'organisation', creditCode: demoCreditCode('330100', 'MA8H9J0K'), role: 'bidder', scope: 'hall' },
  { username: 'zhaobiao', displayName: '诚信招标代理有限公司', kind: 'organisation', creditCode: demoCreditCode('330100', 'MA1L2M3N'), role: 'agency', scope: 'hall' },
  { username: 'county.school', displayName: '县第一中学', kind: 'organisation', creditCode: demoCreditCode('330100', 'MB4P5Q6R'), role: 'tenderer', scope: 'hall' },
  { username: 'expert.li', displayName: '李专家（高级工程师）', kind: 'person', role: 'expert', scope: 'hall' },
  { username: 'expert.wang', displayName: '王专家（造价工程师）', kind: 'person', role: 'expert', scope: 'hall' }
]

export async function seedCounty (app: FastifyInstance, actor: Actor): Promise<Array<{ username: string, role: Role, displayName: string }>> {
  const { departments, accounts, notices } = app.services
  const existingDepartments = new Map((await departments.listDepartments()).map((d) => [d.code, d.id]))
  for (const department of DEPARTMENTS) {
    if (!existingDepartments.has(department.code)) {
      existingDepartments.set(department.code, (await departments.createDepartment(actor, department)).id)
    }
  }
  const existingWindows = new Map((await departments.listWindows()).map((w) => [w.code, w.id]))
  for (const window of WINDOWS) {
    if (!existingWindows.has(window.code)) {
      const created = await departments.createWindow(actor, {
        code: window.code, name: window.name, kind: window.kind, departmentId: window.department ? existingDepartments.get(window.department)! : null
      })
      existingWindows.set(window.code, created.id)
    }
  }
  const existingUsers = new Set((await accounts.listAccounts({ limit: 200, offset: 0 })).items.map((a) => a.username))
  for (const user of USERS) {
    if (existingUsers.has(user.username)) continue
    const scope = user.scope === 'hall'
      ? { scopeType: 'hall' as const, scopeId: null }
      : 'department' in user.scope
        ? { scopeType: 'department' as const, scopeId: existingDepartments.get(user.scope.department)! }
        : { scopeType: 'window' as const, scopeId: existingWindows.get(user.scope.window)! }
    await accounts.createAccount(actor, {
      kind: user.kind,
      username: user.username,
      displayName: user.displayName,
      creditCode: user.creditCode,
      password: DEMO_PASSWORD,
      grants: [{ role: user.role, ...scope }]
    })
  }
  if ((await notices.listVisible(null, 1)).length === 0) {
    await notices.publish(actor, {
      title: '欢迎使用 OpenHall 演示县',
      body: '这是演示数据：各角色的演示账户见启动时打印的清单。',
      audience: { public: true }
    })
    await notices.publish(actor, {
      title: '窗口工作人员请注意',
      body: '本周五 17:00 起系统维护 30 分钟，请提前完成当日办件。',
      audience: { roles: ['clerk', 'chief_rep', 'dept_admin', 'cashier'] }
    })
  }
  return USERS.map(({ username, role, displayName }) => ({ username, role, displayName }))
}
