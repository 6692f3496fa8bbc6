import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { problems } from '../../lib/http-schemas.ts'
import {
  ChangeListQuery, ChangeParams, ChangeSchema, CreateItemSchema, DecideChangeSchema, ItemParams, ItemVersionParams, ManagedItemSchema,
  ManagedItemSummarySchema, ManagedListQuery, PublicItemListSchema, PublicItemSchema, PublicListQuery, RequestChangeSchema, UpdateDraftSchema
} from './catalogue.schemas.ts'
import type { CatalogueService } from './catalogue.service.ts'

export const catalogueRoutes: FastifyPluginAsyncTypebox<{ service: CatalogueService }> = async (app, { service }) => {
  const tags = ['catalogue']

  // the public catalogue (办事指南) ------------------------------------------------------------

  app.get('/service-items', {
    config: { policy: 'public' },
    schema: { tags, operationId: 'listServiceItems', summary: 'Published service items, the version in force; search by name, legal basis or code', querystring: PublicListQuery, response: { 200: PublicItemListSchema, ...problems() } }
  }, async (request) => service.listPublished(request.query))

  app.get('/service-items/:itemId', {
    config: { policy: 'public' },
    schema: { tags, operationId: 'getServiceItem', summary: 'The guide of a published item: the ten publics of the version in force', params: ItemParams, response: { 200: PublicItemSchema, ...problems(404) } }
  }, async (request) => service.publicItem(request.params.itemId))

  app.get('/service-items/:itemId/versions/:version', {
    config: { policy: 'public' },
    schema: { tags, operationId: 'getServiceItemVersion', summary: 'Any published version of an item (cases link to theirs)', params: ItemVersionParams, response: { 200: PublicItemSchema, ...problems(404) } }
  }, async (request) => service.publicVersion(request.params.itemId, request.params.version))

  // drafting (the item's department, the hall) --------------------------------------------------

  app.post('/service-items', {
    config: { policy: 'catalogue.draft' },
    schema: { tags, operationId: 'createServiceItem', summary: 'A new item, as a draft', body: CreateItemSchema, response: { 201: ManagedItemSchema, ...problems(401, 403, 404, 409, 422) } }
  }, async (request, reply) => reply.code(201).send(await service.createItem(actorOf(request), request.body)))

  app.put('/service-items/:itemId/draft', {
    config: { policy: 'catalogue.draft' },
    schema: { tags, operationId: 'updateServiceItemDraft', summary: 'Replace the draft (drafts only: a published item changes through a change request)', params: ItemParams, body: UpdateDraftSchema, response: { 200: ManagedItemSchema, ...problems(401, 403, 404, 409, 422) } }
  }, async (request) => service.updateDraft(actorOf(request), request.params.itemId, request.body.content))

  app.get('/managed-service-items', {
    config: { policy: 'catalogue.draft' },
    schema: { tags, operationId: 'listManagedServiceItems', summary: 'Items of the caller\'s departments, drafts included', querystring: ManagedListQuery, response: { 200: Type.Array(ManagedItemSummarySchema), ...problems(401, 403) } }
  }, async (request) => service.listManaged(actorOf(request), request.query))

  app.get('/managed-service-items/:itemId', {
    config: { policy: 'catalogue.draft' },
    schema: { tags, operationId: 'getManagedServiceItem', summary: 'An item with its draft, version in force, versions and open change', params: ItemParams, response: { 200: ManagedItemSchema, ...problems(401, 403, 404) } }
  }, async (request) => service.getManaged(actorOf(request), request.params.itemId))

  app.post('/service-items/:itemId/changes', {
    config: { policy: 'catalogue.draft' },
    schema: { tags, operationId: 'requestServiceItemChange', summary: 'Request a publication, amendment or retirement (one open request per item)', params: ItemParams, body: RequestChangeSchema, response: { 201: ChangeSchema, ...problems(401, 403, 404, 409, 422) } }
  }, async (request, reply) => reply.code(201).send(await service.requestChange(actorOf(request), request.params.itemId, request.body)))

  // change requests and the hall's decision ---------------------------------------------------

  app.get('/item-changes', {
    config: { policy: 'catalogue.draft' },
    schema: { tags, operationId: 'listItemChanges', summary: 'Change requests of the caller\'s departments (all for the hall), newest first', querystring: ChangeListQuery, response: { 200: Type.Array(ChangeSchema), ...problems(401, 403) } }
  }, async (request) => service.listChanges(actorOf(request), request.query))

  app.get('/item-changes/:changeId', {
    config: { policy: 'catalogue.draft' },
    schema: { tags, operationId: 'getItemChange', params: ChangeParams, response: { 200: ChangeSchema, ...problems(401, 403, 404) } }
  }, async (request) => service.getChange(actorOf(request), request.params.changeId))

  app.post('/item-changes/:changeId/decision', {
    config: { policy: 'catalogue.approve' },
    schema: { tags, operationId: 'decideItemChange', summary: 'Approve or reject a change request (never one\'s own)', params: ChangeParams, body: DecideChangeSchema, response: { 200: ChangeSchema, ...problems(401, 403, 404, 409, 422) } }
  }, async (request) => service.decideChange(actorOf(request), request.params.changeId, request.body))
}
