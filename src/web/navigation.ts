/**
 * The navigation of the web shell. Each module's pages add their entries here; an entry shows
 * only to principals who may attempt its action (the same policy the routes enforce).
 */
import { mayAttempt, type Action, type Principal } from '../lib/policy.ts'

export interface NavItem {
  href: string
  labelKey: string
  /** shown to everyone when absent; to signed-in users with a permitted role otherwise */
  actions?: Action[]
  /** shown to every signed-in user */
  signedIn?: true
}

export const NAVIGATION: NavItem[] = [
  { href: '/', labelKey: 'nav.home' },
  { href: '/notices', labelKey: 'nav.notices' },
  { href: '/guide', labelKey: 'catalogue.nav.guide' },
  { href: '/progress', labelKey: 'approvals.nav.progress' },
  { href: '/tenders', labelKey: 'nav.tenders' },
  { href: '/fees', labelKey: 'nav.fees' },
  { href: '/bidder', labelKey: 'nav.bidder', actions: ['tenders.participate'] },
  { href: '/agency', labelKey: 'nav.agency', actions: ['tenders.manage'] },
  { href: '/hall/projects', labelKey: 'nav.hallProjects', actions: ['projects.accept'] },
  { href: '/hall/drawings', labelKey: 'drawings.nav.hall', actions: ['drawings.operate'] },
  { href: '/supervise/drawings', labelKey: 'drawings.nav.supervise', actions: ['drawings.supervise'] },
  { href: '/my/invitations', labelKey: 'drawings.nav.invitations', actions: ['experts.self'] },
  { href: '/my/cases', labelKey: 'approvals.nav.mine', actions: ['cases.apply'] },
  { href: '/workbench', labelKey: 'approvals.nav.workbench', actions: ['cases.read'] },
  { href: '/supervision', labelKey: 'approvals.nav.supervision', actions: ['supervision.read'] },
  { href: '/hall/experts', labelKey: 'experts.nav.pool', actions: ['experts.read'] },
  { href: '/my/expert', labelKey: 'experts.nav.mine', actions: ['experts.self'] },
  { href: '/messages', labelKey: 'nav.messages', signedIn: true },
  { href: '/account/payments', labelKey: 'nav.myPayments', signedIn: true },
  { href: '/account/certificates', labelKey: 'nav.certificates', signedIn: true },
  { href: '/cashier', labelKey: 'nav.cashier', actions: ['payments.collect'] },
  { href: '/finance', labelKey: 'nav.finance', actions: ['finance.read'] },
  { href: '/admin/fees', labelKey: 'nav.feeItems', actions: ['fees.manage'] },
  { href: '/admin/catalogue', labelKey: 'catalogue.nav.admin', actions: ['catalogue.draft'] },
  { href: '/admin/catalogue/changes', labelKey: 'catalogue.nav.changes', actions: ['catalogue.approve'] },
  { href: '/admin/accounts', labelKey: 'nav.accounts', actions: ['accounts.read'] },
  { href: '/admin/sign-in-throttles', labelKey: 'nav.throttles', actions: ['accounts.throttles'] },
  { href: '/admin/registrations', labelKey: 'nav.registrations', actions: ['registrations.review'] },
  { href: '/admin/departments', labelKey: 'nav.departments', actions: ['departments.manage', 'windows.manage'] },
  { href: '/admin/calendar', labelKey: 'nav.calendar', actions: ['calendar.manage'] },
  { href: '/admin/trust', labelKey: 'nav.trust', actions: ['trust.manage'] },
  { href: '/audit', labelKey: 'nav.audit', actions: ['audit.read'] },
  { href: '/docs', labelKey: 'nav.docs' }
]

export function navigationFor (principal: Principal | null): NavItem[] {
  return NAVIGATION.filter((item) => {
    if (item.signedIn) return principal !== null
    return !item.actions || (principal !== null && item.actions.some((action) => mayAttempt(principal, action)))
  })
}
