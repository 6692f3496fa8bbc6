/**
 * The service catalogue in pages: the public guide (办事指南) — search, and one item with its ten
 * publics and materials, linking to the online application — and the officials' catalogue
 * (catalogue-admin.pages.ts): departments draft items and request changes, the hall administrator
 * approves or rejects them (never their own).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { Value } from 'typebox/value'
import { isClientError } from '../../lib/errors.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { ITEM_TYPES, type ItemContent } from '../../modules/catalogue/catalogue.content.ts'
import { ItemCode } from '../../modules/catalogue/catalogue.schemas.ts'
import { optional } from '../forms.ts'
import { pageContext, renderPage } from '../render.ts'
import { catalogueAdminPages } from './catalogue-admin.pages.ts'

const FormText = (maxLength: number) => Type.Optional(Type.String({ maxLength }))
const PAGE_SIZE = 20

export const cataloguePages: FastifyPluginAsyncTypebox = async (app) => {
  const { catalogue, departments } = app.services

  async function departmentNames (request: FastifyRequest): Promise<Record<string, string>> {
    const { lang } = pageContext(request)
    return Object.fromEntries((await departments.listDepartments()).map((department) => [department.id, (lang === 'en' && department.nameEn) || department.name]))
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

  await app.register(catalogueAdminPages)
}
