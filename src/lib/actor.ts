import type { Principal } from './policy.ts'

/** Who is acting, as services need it: the principal for policy, ids for the audit entry. */
export interface Actor {
  principal: Principal
  requestId: string
  ip?: string
}

export function actorOf (request: { principal: Principal | null, id: string, ip: string }): Actor {
  if (!request.principal) throw new Error('actorOf called on an unauthenticated request; the route policy must require sign-in')
  return { principal: request.principal, requestId: String(request.id), ip: request.ip }
}
