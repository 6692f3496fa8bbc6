/**
 * The service catalogue in pages: the public guide (办事指南) — search, and one item with its ten
 * publics and materials, linking to the online application — and the officials' catalogue:
 * departments draft items and request changes, the hall administrator approves or rejects them
 * (never their own). Item content is edited as the JSON the API takes, checked by the same schema.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { Value } from 'typebox/value'
import { actorOf } from '../../lib/actor.ts'
import { createError, isClientError } from '../../lib/errors.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { canAccess, mayAttempt } from '../../lib/policy.ts'
import { ITEM_TYPES, ItemContentSchema, type ItemContent } from '../../modules/catalogue/catalogue.content.ts'
import { ItemCode } from '../../modules/catalogue/catalogue.schemas.ts'
import { FormInvalid, optional } from '../forms.ts'
import { hasMessage } from '../i18n.ts'
import { pageContext, renderPage } from '../render.ts'
import type { ShownError } from './page-errors.ts'

const FormText = (maxLength: number) => Type.Optional(Type.String({ maxLength }))
const PAGE_SIZE = 20
const ContentJsonInvalid = createError<'CATALOGUE_JSON_INVALID', 400, [string]>('CATALOGUE_JSON_INVALID', 'The content is not valid JSON: %s', 400)
const ContentShapeInvalid = createError('CATALOGUE_CONTENT_SHAPE', 'The content does not have the shape of an item', 400)

/** Refusals whose service detail says which rule or which reference (shown beneath the message). */
const DETAILED = new Set(['ITEM_CONTENT_INVALID', 'ITEM_FEE_UNKNOWN', 'ITEM_JOINT_DEPARTMENT_UNKNOWN', 'CATALOGUE_JSON_INVALID'])

/** A filled-in example for a new item: officials start from a valid content, not a blank box. */
export function exampleContent (): ItemContent {
  return {
    name: '事项名称',
    type: 'licence',
    legalBasis: '《法律法规名称》第 X 条',
    procedure: [{ title: '申请' }, { title: '受理' }, { title: '审查' }, { title: '决定' }, { title: '送达' }],
    conditions: ['申请条件一'],
    materials: [{ code: 'M1', name: '申请书', form: 'original', copies: 1, required: true }],
    statutoryWorkingDays: 20,
    promisedWorkingDays: 10,
    progress: '可凭办件编号和查询码在线查询办理进度',
    fees: [],
    feeStandard: '不收费',
    feeBasis: '无',
    payBeforeResult: false,
    mode: 'promised',
    jointDepartments: [],
    agencyWindow: false,
    visitsNeeded: 1,
    resultKind: 'certificate'
  }
}

const pretty = (content: unknown) => JSON.stringify(content, null, 2)

/** The textarea's JSON as an item content, or a refusal naming the fields at fault. */
function contentFromJson (text: string): ItemContent {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new ContentJsonInvalid((error as Error).message)
  }
  if (!Value.Check(ItemContentSchema, value)) {
    const refusal = new ContentShapeInvalid() as Error & { details?: Array<{ path: string, message: string }> }
    refusal.details = [...Value.Errors(ItemContentSchema, value)].slice(0, 8).map((problem) => ({ path: problem.instancePath || '/', message: problem.message }))
    throw refusal
  }
  return value
}

export const cataloguePages: FastifyPluginAsyncTypebox = async (app) => {
  const { catalogue, departments, accounts } = app.services

  async function departmentNames (request: FastifyRequest): Promise<Record<string, string>> {
    const { lang } = pageContext(request)
    return Object.fromEntries((await departments.listDepartments()).map((department) => [department.id, (lang === 'en' && department.nameEn) || department.name]))
  }

  async function accountNames (ids: Iterable<string | null>): Promise<Record<string, string>> {
    const names: Record<string, string> = {}
    for (const id of new Set(ids)) if (id) names[id] = (await accounts.getAccount(id).catch(() => null))?.displayName ?? id
    return names
  }

  function shownError (request: FastifyRequest, error: Error & { code?: string }): ShownError {
    const { t } = pageContext(request)
    const key = `catalogue.errors.${error.code ?? ''}`
    const shown: ShownError = { error: hasMessage(key) ? t(key) : hasMessage(`errors.${error.code ?? ''}`) ? t(`errors.${error.code ?? ''}`) : error.message }
    if (error.code && DETAILED.has(error.code)) shown.errorDetail = error.message
    const details = (error as { details?: Array<{ path: string, message: string }> }).details
    if (details) shown.lineErrors = details.map((detail) => ({ line: detail.path, message: detail.message }))
    return shown
  }

  async function orShow (request: FastifyRequest, reply: FastifyReply, error: unknown, show: (shown: ShownError) => unknown) {
    if (!isClientError(error)) throw error
    reply.code(error.statusCode)
    return show(shownError(request, error))
  }

  // the public guide ----------------------------------------------------------------------------

  app.get('/guide', {
    config: { policy: 'public' },
    schema: { querystring: StrictObject({ q: FormText(100), departmentId: FormText(36), type: FormText(20), page: FormText(6) }) }
  }, async (request, reply) => {
    const q = optional(request.query.q)
    const departmentId = optional(request.query.departmentId)
    const type = optional(request.query.type)
    const page = Math.max(1, Math.min(10_000, Number.parseInt(request.query.page ?? '1', 10) || 1))
    const filter = {
      ...(q ? { q } : {}),
      ...(departmentId && Value.Check(Uuid, departmentId) ? { departmentId } : {}),
      ...(type && (ITEM_TYPES as readonly string[]).includes(type) ? { type: type as ItemContent['type'] } : {}),
      limit: PAGE_SIZE,
      offset: (page - 1) * PAGE_SIZE
    }
    const result = await catalogue.listPublished(filter)
    const names = await departmentNames(request)
    const query = (more: Record<string, string | number>) => new URLSearchParams(Object.entries({ q: q ?? '', departmentId: filter.departmentId ?? '', type: filter.type ?? '', ...more }).filter(([, value]) => value !== '').map(([key, value]) => [key, String(value)])).toString()
    return renderPage(request, reply, 'catalogue/guide', {
      titleKey: 'catalogue.guide.title',
      items: result.items,
      total: result.total,
      page,
      pages: Math.max(1, Math.ceil(result.total / PAGE_SIZE)),
      filter: { q: q ?? '', departmentId: filter.departmentId ?? '', type: filter.type ?? '' },
      departments: Object.entries(names).map(([id, name]) => ({ id, name })),
      departmentNames: names,
      types: ITEM_TYPES,
      pageHref: (number: number) => `/guide?${query({ page: number })}`
    })
  })

  app.get('/guide/:code', {
    config: { policy: 'public' },
    schema: { params: StrictObject({ code: Type.String({ maxLength: 32 }) }), querystring: StrictObject({ version: FormText(6) }) }
  }, async (request, reply) => {
    const code = request.params.code.toUpperCase()
    const found = Value.Check(ItemCode, code) ? await catalogue.findByCode(code) : null
    const version = request.query.version ? Number.parseInt(request.query.version, 10) : null
    if (!found) return notFound(request, reply)
    let item
    try {
      item = version ? await catalogue.publicVersion(found.id, version) : await catalogue.publicItem(found.id)
    } catch (error) {
      if (isClientError(error) && error.statusCode === 404) return notFound(request, reply)
      throw error
    }
    return renderPage(request, reply, 'catalogue/item', {
      title: item.content.name,
      item,
      c: item.content,
      inForce: item.status === 'published' && item.version === item.latestVersion,
      departmentNames: await departmentNames(request)
    })
  })

  function notFound (request: FastifyRequest, reply: FastifyReply) {
    reply.code(404)
    return renderPage(request, reply, 'error', { titleKey: 'error.notFoundTitle', message: pageContext(request).t('catalogue.guide.notFound') })
  }

  // the officials' catalogue --------------------------------------------------------------------

  async function draftableDepartments (request: FastifyRequest) {
    const actor = actorOf(request)
    return (await departments.listDepartments()).filter((department) => canAccess(actor.principal, 'catalogue.draft', { departmentId: department.id }))
  }

  async function showItems (request: FastifyRequest, reply: FastifyReply, extra: Partial<ShownError> & { values?: Record<string, string> } = {}) {
    const actor = actorOf(request)
    const items = await catalogue.listManaged(actor)
    return renderPage(request, reply, 'catalogue/admin-items', {
      titleKey: 'catalogue.admin.title',
      items,
      departmentNames: await departmentNames(request),
      departments: await draftableDepartments(request),
      canApprove: mayAttempt(actor.principal, 'catalogue.approve'),
      pendingCount: items.filter((item) => item.pendingChange).length,
      values: extra.values ?? { content: pretty(exampleContent()) },
      ...extra
    })
  }

  async function showItem (request: FastifyRequest, reply: FastifyReply, itemId: string, extra: Partial<ShownError> & { values?: Record<string, string>, done?: string } = {}) {
    const actor = actorOf(request)
    const item = await catalogue.getManaged(actor, itemId)
    const history = await catalogue.listChanges(actor, { itemId })
    return renderPage(request, reply, 'catalogue/admin-item', {
      title: `${item.code} · ${item.name}`,
      item,
      history,
      names: await accountNames(history.flatMap((change) => [change.requestedBy, change.decidedBy])),
      departmentNames: await departmentNames(request),
      canApprove: mayAttempt(actor.principal, 'catalogue.approve'),
      me: actor.principal.accountId,
      kinds: item.status === 'draft' ? ['publish'] : item.status === 'published' ? ['amend', 'retire'] : [],
      values: extra.values ?? { draft: pretty(item.draft ?? item.current ?? exampleContent()), content: pretty(item.draft ?? item.current ?? exampleContent()) },
      ...extra
    })
  }

  app.get('/admin/catalogue', { config: { policy: 'catalogue.draft' } }, async (request, reply) => showItems(request, reply))

  app.post('/admin/catalogue', {
    config: { policy: 'catalogue.draft' },
    schema: { body: StrictObject({ code: Type.String({ maxLength: 32 }), departmentId: Type.String({ maxLength: 36 }), content: Type.String({ maxLength: 200_000 }) }) }
  }, async (request, reply) => {
    const { code, departmentId, content } = request.body
    try {
      const normalised = code.trim().toUpperCase()
      if (!Value.Check(ItemCode, normalised) || !Value.Check(Uuid, departmentId)) throw new FormInvalid()
      const item = await catalogue.createItem(actorOf(request), { code: normalised, departmentId, content: contentFromJson(content) })
      return reply.redirect(`/admin/catalogue/${item.id}?done=created`)
    } catch (error) {
      return orShow(request, reply, error, (shown) => showItems(request, reply, { ...shown, values: request.body }))
    }
  })

  // the hall administrator's queue (declared before /:itemId so the static path is clear to readers)
  app.get('/admin/catalogue/changes', {
    config: { policy: 'catalogue.approve' },
    schema: { querystring: StrictObject({ done: Type.Optional(Type.Enum(['approved', 'rejected'])) }) }
  }, async (request, reply) => showQueue(request, reply, { done: request.query.done }))

  async function showQueue (request: FastifyRequest, reply: FastifyReply, extra: Partial<ShownError> & { done?: string } = {}) {
    const actor = actorOf(request)
    const pending = await catalogue.listChanges(actor, { status: 'pending' })
    const current = new Map<string, ItemContent | null>()
    for (const change of pending) current.set(change.itemId, (await catalogue.getManaged(actor, change.itemId)).current)
    return renderPage(request, reply, 'catalogue/changes', {
      titleKey: 'catalogue.changes.title',
      pending,
      current,
      pretty,
      names: await accountNames(pending.map((change) => change.requestedBy)),
      departmentNames: await departmentNames(request),
      me: actor.principal.accountId,
      ...extra
    })
  }

  app.post('/admin/catalogue/changes/:changeId/decision', {
    config: { policy: 'catalogue.approve' },
    schema: {
      params: StrictObject({ changeId: Uuid }),
      body: StrictObject({ decision: Type.Enum(['approve', 'reject']), note: FormText(1000) })
    }
  }, async (request, reply) => {
    const { decision, note } = request.body
    try {
      const noteText = optional(note)
      await catalogue.decideChange(actorOf(request), request.params.changeId, { approve: decision === 'approve', ...(noteText ? { note: noteText } : {}) })
      return reply.redirect(`/admin/catalogue/changes?done=${decision === 'approve' ? 'approved' : 'rejected'}`)
    } catch (error) {
      return orShow(request, reply, error, (shown) => showQueue(request, reply, shown))
    }
  })

  const ItemParams = StrictObject({ itemId: Uuid })

  app.get('/admin/catalogue/:itemId', {
    config: { policy: 'catalogue.draft' },
    schema: { params: ItemParams, querystring: StrictObject({ done: Type.Optional(Type.Enum(['created', 'saved', 'requested'])) }) }
  }, async (request, reply) => showItem(request, reply, request.params.itemId, { done: request.query.done }))

  app.post('/admin/catalogue/:itemId/draft', {
    config: { policy: 'catalogue.draft' },
    schema: { params: ItemParams, body: StrictObject({ draft: Type.String({ maxLength: 200_000 }) }) }
  }, async (request, reply) => {
    const { itemId } = request.params
    try {
      await catalogue.updateDraft(actorOf(request), itemId, contentFromJson(request.body.draft))
      return reply.redirect(`/admin/catalogue/${itemId}?done=saved`)
    } catch (error) {
      return orShow(request, reply, error, (shown) => showItem(request, reply, itemId, { ...shown, values: { draft: request.body.draft, content: request.body.draft } }))
    }
  })

  app.post('/admin/catalogue/:itemId/changes', {
    config: { policy: 'catalogue.draft' },
    schema: {
      params: ItemParams,
      body: StrictObject({ kind: Type.Enum(['publish', 'amend', 'retire']), reason: Type.String({ maxLength: 1000 }), content: FormText(200_000) })
    }
  }, async (request, reply) => {
    const { itemId } = request.params
    const { kind, reason, content } = request.body
    try {
      const text = optional(reason)
      if (!text) throw new FormInvalid()
      // a publication takes the saved draft; an amendment the edited content; a retirement none
      const input = kind === 'amend' ? { kind, reason: text, content: contentFromJson(content ?? '') } : { kind, reason: text }
      await catalogue.requestChange(actorOf(request), itemId, input)
      return reply.redirect(`/admin/catalogue/${itemId}?done=requested`)
    } catch (error) {
      return orShow(request, reply, error, (shown) => showItem(request, reply, itemId, { ...shown, values: { draft: content ?? '', content: content ?? '', reason } }))
    }
  })
}
