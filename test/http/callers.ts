/**
 * The callers the HTTP fuzzers send requests as: anonymous, one account per role, and (for the
 * bank routes) a registered bank signing its requests. Each operation is paired with the callers
 * its policy admits, so most runs get past the route check and reach validation and the service.
 */
import fc from 'fast-check'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { ROLES } from '../../src/lib/policy.ts'
import { anonymousAllowed, rolesAllowed, type RouteEntry } from '../../scripts/access-matrix/route-table.ts'
import { TEST_PASSWORD, type TestUser } from '../factories/accounts.ts'
import { registerBank, signedBankRequest, type TestBank } from '../factories/fees.ts'
import { oneOfEachRole, type RoleCast } from '../factories/roles.ts'
import { routeUrlOf, type Operation } from './openapi.ts'

export interface Caller {
  name: string
  /** null: anonymous; 'bank': signed by the registered bank */
  user: TestUser | null | 'bank'
}

export interface Cast extends RoleCast { bank: TestBank, callers: Caller[] }

export async function fuzzCast (app: FastifyInstance): Promise<Cast> {
  const cast = await oneOfEachRole(app)
  const bank = await registerBank(app, cast.admin)
  return { ...cast, bank, callers: [{ name: 'anonymous', user: null }, ...ROLES.map((role) => ({ name: role, user: cast.byRole[role] }))] }
}

/**
 * The callers to fuzz an operation as: every caller, those its policy admits three times as
 * often; a bank route is sent signed by the bank or unsigned.
 */
export function callersFor (cast: Cast, routes: readonly RouteEntry[], operation: Operation): fc.Arbitrary<Caller> {
  const route = routes.find(({ method, url }) => method === operation.method && url === routeUrlOf(operation.path))
  if (route?.policy === 'bank') return fc.oneof({ arbitrary: fc.constant<Caller>({ name: 'bank', user: 'bank' }), weight: 3 }, { arbitrary: fc.constant(cast.callers[0]!), weight: 1 })
  const admitted = (caller: Caller) => caller.user === null ? anonymousAllowed(route?.policy) : rolesAllowed(route?.policy).some((role) => role === caller.name)
  return fc.oneof(...cast.callers.map((caller) => ({ arbitrary: fc.constant(caller), weight: admitted(caller) ? 3 : 1 })))
}

/** Sends a request as the caller; afterwards a caller whose session the request ended (sign-out) signs in again. */
export async function sendAs (app: FastifyInstance, cast: Cast, caller: Caller, request: InjectOptions & { method: string, url: string }): Promise<LightMyRequestResponse> {
  if (caller.user === 'bank') {
    const signed = signedBankRequest(cast.bank, request.method as 'GET' | 'POST', request.url, request.payload)
    return app.inject({ ...signed, headers: { ...signed.headers, ...request.headers } } as InjectOptions)
  }
  const user = caller.user
  const response = await app.inject({ ...request, headers: { ...request.headers, ...user?.headers } } as InjectOptions)
  if (user) await keepSignedIn(app, user)
  return response
}

/** Signs the user in again when a request (sign-out, revoking a session) ended their session. */
export async function keepSignedIn (app: FastifyInstance, user: TestUser): Promise<void> {
  if (await app.auth.resolveToken(user.token)) return
  // from an address of its own: the fuzzers' failed sign-ins from 127.0.0.1 throttle that one
  const session = await app.services.sessions.signIn({ username: user.username, password: TEST_PASSWORD, ip: '127.0.0.2', userAgent: 'test', requestId: 'fuzz' })
  user.token = session.token
  user.headers.authorization = `Bearer ${session.token}`
}

/** What a well-behaved answer looks like: no 5xx, and every refusal problem+json (a page's: an HTML page). */
export function misbehaviour (response: LightMyRequestResponse, page = false): string | null {
  if (response.statusCode >= 500) return `${response.statusCode} ${response.body.slice(0, 200)}`
  // a page's refusal is a page; a URL that matches no route at all (dot segments) is the API's 404
  const type = String(response.headers['content-type'])
  const fine = type.startsWith('application/problem+json') || (page && type.startsWith('text/html'))
  if (response.statusCode >= 400 && !fine) {
    return `${response.statusCode} as ${String(response.headers['content-type'])}: ${response.body.slice(0, 120)}`
  }
  return null
}

/**
 * Distinct findings: one example per operation and kind of misbehaviour, so a defect that shows
 * on every request of an operation does not hide another one behind it.
 */
export class Findings {
  readonly #seen = new Map<string, string>()
  add (operation: string, kind: string, example: string) {
    // the router's own refusals (FST_ERR_*) come before any route: one finding for all of them
    const key = `${/FST_ERR_/.test(kind) ? 'any route' : operation} ⇒ ${kind}`
    if (!this.#seen.has(key)) this.#seen.set(key, `${key}: ${example}`)
  }

  get list (): string[] { return [...this.#seen.values()] }
}

/** The kind of a misbehaving answer: its status and code (or media type). */
export function kindOf (response: LightMyRequestResponse): string {
  const type = String(response.headers['content-type'])
  if (type.startsWith('application/json') || type.startsWith('application/problem+json')) {
    const body = response.json() as { code?: string }
    return `${response.statusCode} ${body.code ?? ''}`
  }
  return `${response.statusCode} ${type}`
}

/** A request, shortened for a report. */
export const describeRequest = (caller: Caller, request: { method: string, url: string, payload?: unknown }) =>
  `${caller.name} ${request.method} ${request.url.length > 160 ? `${request.url.slice(0, 160)}…` : request.url}${request.payload === undefined ? '' : ` ${(typeof request.payload === 'string' || Buffer.isBuffer(request.payload) ? String(request.payload) : JSON.stringify(request.payload)).slice(0, 160)}`}`
