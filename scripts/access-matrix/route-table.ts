/**
 * The route table as the policy layer sees it: every route the app registers, with the policy it
 * declares (`config.policy`), and the roles src/lib/policy.ts lets through. The routes are read
 * at registration through Fastify's documented `fastify.initialization` diagnostics channel (an
 * `onRoute` hook added before any plugin), so the table is the app's own, not a copy kept by hand.
 * Used by the access-matrix tests and by `npm run access-matrix`.
 */
import diagnostics from 'node:diagnostics_channel'
import type { FastifyInstance, RouteOptions } from 'fastify'
import { ACTIONS, ROLES, isAction, type Role, type RoutePolicy } from '../../src/lib/policy.ts'

export type RouteKind = 'api' | 'page' | 'websocket' | 'platform'

export interface RouteEntry {
  method: string
  url: string
  /** undefined only if a route escaped the auth plugin's registration check */
  policy: RoutePolicy | undefined
  kind: RouteKind
}

interface Registered { route: RouteOptions }

/**
 * Builds an app while recording the routes it registers. The policy is read after the build,
 * since the auth plugin fills in 'public' for the docs and asset routes it owns.
 */
export async function withRouteTable<T extends FastifyInstance | { app: FastifyInstance }> (build: () => Promise<T>): Promise<{ built: T, routes: RouteEntry[] }> {
  const registered: Registered[] = []
  const onInit = (message: unknown) => {
    const { fastify } = message as { fastify: FastifyInstance }
    fastify.addHook('onRoute', (route) => { registered.push({ route }) })
  }
  diagnostics.subscribe('fastify.initialization', onInit)
  let built: T
  try {
    built = await build()
  } finally {
    diagnostics.unsubscribe('fastify.initialization', onInit)
  }
  const seen = new Set<string>()
  const routes: RouteEntry[] = []
  for (const { route } of registered) {
    // Fastify adds a HEAD twin to every GET; it shares the GET's options and policy
    for (const method of [route.method].flat().filter((name) => name !== 'HEAD')) {
      const key = `${method} ${route.url}`
      if (seen.has(key)) continue
      seen.add(key)
      const config = route.config as { policy?: RoutePolicy } | undefined
      routes.push({ method, url: route.url, policy: config?.policy, kind: kindOf(route) })
    }
  }
  routes.sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method))
  return { built: built!, routes }
}

function kindOf (route: RouteOptions): RouteKind {
  const socket = route as { websocket?: boolean, wsHandler?: unknown }
  if (socket.websocket || socket.wsHandler) return 'websocket'
  if (route.url.startsWith('/api/')) return 'api'
  if (['/health', '/ready'].includes(route.url) || route.url.startsWith('/docs') || route.url.startsWith('/assets/')) return 'platform'
  return 'page'
}

/**
 * Who passes the route-level check of a policy: every caller for 'public', nobody without a
 * bank's signature for 'bank', every signed-in role for 'authenticated', and for an action the
 * roles ACTIONS names (granted in a scope the action accepts; see mayAttempt).
 */
export function rolesAllowed (policy: RoutePolicy | undefined): readonly Role[] {
  if (policy === 'public' || policy === 'authenticated') return ROLES
  if (policy === undefined || policy === 'bank' || !isAction(policy)) return []
  return ACTIONS[policy]
}

export function anonymousAllowed (policy: RoutePolicy | undefined): boolean {
  return policy === 'public'
}

/** The matrix as markdown: one row per route, one column per role (✓ may attempt). */
export function markdownMatrix (routes: readonly RouteEntry[]): string {
  const header = ['route', 'policy', 'anonymous', ...ROLES]
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`]
  for (const route of routes) {
    const allowed = rolesAllowed(route.policy)
    const cells = [
      `\`${route.method} ${route.url}\``,
      route.policy === undefined ? '**none**' : `\`${route.policy}\``,
      route.policy === 'bank' ? 'signed' : anonymousAllowed(route.policy) ? '✓' : '',
      ...ROLES.map((role) => route.policy === 'bank' ? '' : allowed.includes(role) ? '✓' : '')
    ]
    lines.push(`| ${cells.join(' | ')} |`)
  }
  return lines.join('\n')
}
