/**
 * Binding actions are confirmed (STYLE.md: "a binding action shows what will happen and asks once
 * more"), without JavaScript: the action's form posts as usual; the route checks the input and,
 * without `confirm=1`, answers with a page that says exactly what will happen to what, carries
 * the same fields again as hidden inputs with `confirm=1`, and links back. Only that second post
 * acts. The JSON API takes no such step: a client program asks its own user.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { renderPage } from './render.ts'

/** Spread into a page route's body schema: the field the confirmation page posts. */
export const ConfirmField = { confirm: Type.Optional(Type.Literal('1')) }

/** True only for the post of the confirmation page. */
export function isConfirmed (body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { confirm?: unknown }).confirm === '1'
}

export interface Confirmation {
  /** the question, naming the action: 确认撤回投标文件 */
  title: string
  /** what is acted upon, as label and value: 招标项目 → 某某工程施工 */
  facts: Array<[string, string]>
  /** what will happen, one sentence each, the irreversible first */
  consequences: string[]
  /** where the confirmed form posts: the action's own route */
  action: string
  /** the fields posted again (hidden), as the first post carried them */
  fields: Record<string, string | string[] | undefined>
  /** the action's route reads multipart forms (an upload whose file the first post kept aside) */
  multipart?: boolean
  /** the button, naming the action: 确认撤回 */
  confirmLabel: string
  /** back to the page the action started from, nothing done */
  backHref: string
  /** an action that ends or takes away something (withdraw, cancel, deny) looks so */
  destructive?: boolean
}

/** The confirmation page (views/confirm.eta with the shared partial views/_confirm.eta). */
export function showConfirmation (request: FastifyRequest, reply: FastifyReply, confirmation: Confirmation) {
  const hidden = Object.entries(confirmation.fields).flatMap(([name, value]) =>
    value === undefined ? [] : (Array.isArray(value) ? value : [value]).map((one) => ({ name, value: one })))
  return renderPage(request, reply, 'confirm', { title: confirmation.title, confirmation, hidden })
}
