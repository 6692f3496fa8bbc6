/**
 * The one policy layer, as pure data and functions. Every route names an action from ACTIONS
 * (or 'public' / 'authenticated'); the auth plugin enforces the role part before the handler,
 * services call `canAccess` with the resource's scope and answer 404 when it is false, so a
 * resource outside the caller's scope is indistinguishable from one that does not exist.
 */
export const ROLES = [
  'applicant', 'bidder', 'agency', 'tenderer', 'clerk', 'chief_rep',
  'dept_admin', 'hall_admin', 'supervisor', 'expert', 'cashier'
] as const
export type Role = typeof ROLES[number]

export const SCOPE_TYPES = ['hall', 'department', 'window', 'project'] as const
export type ScopeType = typeof SCOPE_TYPES[number]

/** Which scopes each role may be granted in. */
export const ROLE_SCOPES: Record<Role, readonly ScopeType[]> = {
  applicant: ['hall'],
  bidder: ['hall', 'project'],
  agency: ['hall', 'project'],
  tenderer: ['hall', 'project'],
  expert: ['hall', 'project'],
  clerk: ['department', 'window'],
  chief_rep: ['department'],
  dept_admin: ['department'],
  cashier: ['hall', 'window'],
  supervisor: ['hall', 'department', 'project'],
  hall_admin: ['hall']
}

export interface Grant {
  role: Role
  scopeType: ScopeType
  /** null for the hall scope */
  scopeId: string | null
}

/** Where a resource sits; a grant covers it when its scope contains any of these. */
export interface ResourceScope {
  departmentId?: string | null
  windowId?: string | null
  projectId?: string | null
}

export interface Principal {
  accountId: string
  username: string
  displayName: string
  kind: 'person' | 'organisation'
  grants: readonly Grant[]
  sessionId: string
  authMethod: 'password' | 'certificate'
  mustChangePassword: boolean
}

/** Actions and the roles that may perform them (scope is checked per resource). */
export const ACTIONS = {
  'accounts.read': ['hall_admin', 'supervisor'],
  'accounts.manage': ['hall_admin'],
  'accounts.throttles': ['hall_admin'],
  'registrations.review': ['hall_admin'],
  'notifications.deliveries': ['hall_admin'],
  'departments.manage': ['hall_admin'],
  'windows.manage': ['hall_admin', 'dept_admin'],
  'calendar.manage': ['hall_admin'],
  'audit.read': ['hall_admin', 'supervisor'],
  'audit.checkpoint': ['hall_admin', 'supervisor'],
  'notices.publish': ['hall_admin', 'dept_admin', 'supervisor'],
  'certificates.manage': ['hall_admin'],
  'certificates.seal': ['hall_admin', 'dept_admin'],
  'trust.manage': ['hall_admin'],
  'escrows.create': ['hall_admin', 'agency', 'tenderer'],
  'escrows.read': ['hall_admin', 'supervisor', 'agency', 'tenderer'],
  'fees.manage': ['hall_admin', 'dept_admin'],
  'fees.approve': ['hall_admin'],
  'payments.issue': ['hall_admin', 'dept_admin', 'clerk'],
  'payments.read': ['hall_admin', 'dept_admin', 'clerk', 'cashier', 'supervisor'],
  'payments.cancel': ['hall_admin', 'dept_admin', 'clerk'],
  'payments.collect': ['cashier'],
  'refunds.request': ['hall_admin'],
  'refunds.execute': ['cashier', 'hall_admin'],
  'finance.read': ['cashier', 'hall_admin', 'supervisor'],
  'finance.reconcile': ['cashier', 'hall_admin'],
  'banks.manage': ['hall_admin'],
  'projects.register': ['agency', 'tenderer'],
  'projects.read': ['agency', 'tenderer', 'hall_admin', 'supervisor'],
  'projects.accept': ['hall_admin'],
  'venues.manage': ['hall_admin'],
  'tenders.manage': ['agency', 'tenderer'],
  'tenders.supervise': ['hall_admin', 'supervisor'],
  'tenders.participate': ['bidder'],
  'openings.attend': ['bidder', 'agency', 'tenderer', 'supervisor'],
  'openings.reveal': ['bidder'],
  'openings.host': ['agency', 'tenderer'],
  // the host only once the supervisor's nonce is overdue (openings.rules mayGiveNonce)
  'openings.draw': ['supervisor', 'agency', 'tenderer'],
  'openings.supervise': ['supervisor', 'hall_admin'],
  'openings.video': ['agency', 'tenderer', 'hall_admin'],
  'catalogue.draft': ['dept_admin', 'hall_admin'],
  'catalogue.approve': ['hall_admin'],
  'delegations.manage': ['hall_admin', 'dept_admin'],
  // the expert pool: the hall keeps it, supervisors read it, each expert sees and asks to change their own
  'experts.manage': ['hall_admin'],
  'experts.read': ['hall_admin', 'supervisor'],
  'experts.self': ['expert'],
  // expert drawing: the tender's agency or tenderer asks, the hall approves and operates the draw
  // (counts and confirmations only), the supervisor gives the nonce and alone sees the sealed list
  'drawings.request': ['agency', 'tenderer'],
  'drawings.operate': ['hall_admin'],
  'drawings.read': ['agency', 'tenderer', 'hall_admin', 'supervisor'],
  'drawings.supervise': ['supervisor'],
  'cases.apply': ['applicant'],
  'cases.read': ['clerk', 'chief_rep', 'dept_admin', 'hall_admin', 'supervisor'],
  'cases.handle': ['clerk', 'chief_rep'],
  'cases.decide': ['chief_rep'],
  'cases.coordinate': ['hall_admin'],
  'supervision.read': ['supervisor', 'hall_admin', 'dept_admin', 'chief_rep'],
  'supervision.letters': ['supervisor'],
  'supervision.reply': ['dept_admin', 'chief_rep'],
  'rectifications.handle': ['dept_admin', 'chief_rep']
} as const satisfies Record<string, readonly Role[]>
export type Action = keyof typeof ACTIONS

/**
 * Actions over the whole hall's money (every statement, refund payee account and ledger entry):
 * a grant confined to one window or department does not reach them.
 */
const HALL_WIDE_ACTIONS: ReadonlySet<Action> = new Set(['refunds.request', 'refunds.execute', 'finance.read', 'finance.reconcile', 'banks.manage'])

/**
 * What a route declares in `config.policy`. 'bank': a request signed by a registered bank, with
 * no session; the banks module verifies the signature before the body is validated.
 */
export type RoutePolicy = 'public' | 'authenticated' | 'bank' | Action

/** The caller of a 'bank' route once its signature has been verified. */
export interface BankCaller { id: string, code: string, name: string, nonce: string }

export function isAction (value: string): value is Action {
  return Object.hasOwn(ACTIONS, value)
}

export function grantCovers (grant: Grant, scope: ResourceScope): boolean {
  switch (grant.scopeType) {
    case 'hall': return true
    case 'department': return grant.scopeId !== null && grant.scopeId === scope.departmentId
    case 'window': return grant.scopeId !== null && grant.scopeId === scope.windowId
    case 'project': return grant.scopeId !== null && grant.scopeId === scope.projectId
  }
}

/** True when the principal holds a role allowed for the action in some scope (route-level check). */
export function mayAttempt (principal: Principal, action: Action): boolean {
  const roles: readonly Role[] = ACTIONS[action]
  const hallWide = HALL_WIDE_ACTIONS.has(action)
  return principal.grants.some((grant) => roles.includes(grant.role) && (!hallWide || grant.scopeType === 'hall'))
}

/** True when a role allowed for the action is granted in a scope covering the resource. */
export function canAccess (principal: Principal, action: Action, scope: ResourceScope): boolean {
  const roles: readonly Role[] = ACTIONS[action]
  return principal.grants.some((grant) => roles.includes(grant.role) && grantCovers(grant, scope))
}

/**
 * The departments and windows in which a principal may perform an action, for filtering lists
 * in SQL; null when a hall grant covers everything.
 */
export function scopesFor (principal: Principal, action: Action): { departmentIds: string[], windowIds: string[] } | null {
  const roles: readonly Role[] = ACTIONS[action]
  const grants = principal.grants.filter((grant) => roles.includes(grant.role))
  if (grants.some((grant) => grant.scopeType === 'hall')) return null
  const idsOf = (type: ScopeType) => grants.filter((grant) => grant.scopeType === type).map((grant) => grant.scopeId!)
  return { departmentIds: idsOf('department'), windowIds: idsOf('window') }
}

/**
 * A project's own parties: the account that registered it, and agency or tenderer accounts
 * granted on the project. A hall-wide agency grant only allows registering new projects; it
 * does not open other agencies' projects.
 */
export function isProjectParty (principal: Principal, project: { id: string, registeredBy: string }): boolean {
  if (project.registeredBy === principal.accountId) return true
  return principal.grants.some((grant) => (grant.role === 'agency' || grant.role === 'tenderer') && grant.scopeType === 'project' && grant.scopeId === project.id)
}

/** Officials who see every project of the hall (the trading centre, supervisors). */
export function overseesProjects (principal: Principal, project: { id: string }): boolean {
  return principal.grants.some((grant) => (grant.role === 'hall_admin' || grant.role === 'supervisor') && grantCovers(grant, { projectId: project.id }))
}

export function hasRole (principal: Principal, role: Role): boolean {
  return principal.grants.some((grant) => grant.role === role)
}

export function isGrantShapeValid (grant: Grant): boolean {
  if (!ROLE_SCOPES[grant.role].includes(grant.scopeType)) return false
  return grant.scopeType === 'hall' ? grant.scopeId === null : grant.scopeId !== null
}
