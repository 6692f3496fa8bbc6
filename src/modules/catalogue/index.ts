/**
 * The service catalogue (事项目录): items with the ten publics (十公开) and how their cases run.
 *
 *   draft ──publish──▶ published ──amend──▶ published (version n+1) ──retire──▶ retired
 *
 * A draft is edited freely by its department (or the hall). Every other move is a change request
 * that the hall administrator approves — never the requester — with one open request per item.
 * An approved publication or amendment adds an immutable version and puts it in force; a case
 * keeps the version it was filed under, and every published version stays readable, also after
 * the item is retired.
 */
import type { FastifyPluginAsync } from 'fastify'
import { catalogueRoutes } from './catalogue.routes.ts'
import { createCatalogueService, type CatalogueService } from './catalogue.service.ts'

declare module '../../plugins/services.ts' {
  interface Services { catalogue: CatalogueService }
}

export const catalogueModule: FastifyPluginAsync = async (app) => {
  const { fees, departments } = app.services
  const service = createCatalogueService({
    db: app.db,
    audit: app.audit,
    clock: app.clock,
    references: {
      feeCodesInForce: async () => new Set((await fees.listStandards()).map((standard) => standard.code)),
      departmentIds: async () => new Set((await departments.listDepartments()).map((department) => department.id))
    }
  })
  departments.registerItemCodesCheck(service.unknownItemCodes)
  app.services.catalogue = service
  await app.register(catalogueRoutes, { service })
}
