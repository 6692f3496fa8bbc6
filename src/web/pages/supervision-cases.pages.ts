/**
 * The cases behind a count of the supervision dashboard: one column (awaiting acceptance, green,
 * yellow, red, paused; every open case without one) of a department, of a receiving window, or of
 * the whole supervised scope.
 * The cases service lists them in the caller's supervised departments only, with the same
 * conditions the dashboard counts by, so the list and the count agree.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { DASHBOARD_COLUMNS } from '../../modules/cases/cases.repository.ts'
import type { CaseView } from '../../modules/cases/cases.schemas.ts'
import { pageContext, renderPage } from '../render.ts'

/** The badge of a case's clock, as on the workbench: its colour while it runs, `paused` while a pause holds it. */
function clockBadge (view: CaseView): 'green' | 'yellow' | 'red' | 'paused' | null {
  if (!view.clock) return null
  return view.clock.paused ? 'paused' : view.clock.colour
}

export const supervisionCasesPages: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/supervision/cases', {
    config: { policy: 'supervision.read' },
    schema: { querystring: StrictObject({ column: Type.Optional(Type.Enum(DASHBOARD_COLUMNS)), departmentId: Type.Optional(Uuid), windowId: Type.Optional(Uuid) }) }
  }, async (request, reply) => {
    const { column, departmentId, windowId } = request.query
    const { departments, cases } = app.services
    const { lang } = pageContext(request)
    const [all, windows, found] = await Promise.all([
      departments.listDepartments(),
      departments.listWindows(),
      cases.casesBehindCount(actorOf(request).principal, { ...(column ? { column } : {}), ...(departmentId ? { departmentId } : {}), ...(windowId ? { windowId } : {}) })
    ])
    const names: Record<string, string> = {}
    for (const department of all) names[department.id] = (lang === 'en' && department.nameEn) || department.name
    for (const window of windows) names[window.id] = window.name
    return renderPage(request, reply, 'approvals/supervision-cases', {
      titleKey: `approvals.behind.title.${column ?? 'all'}`,
      column: column ?? 'all',
      where: (departmentId && names[departmentId]) ?? (windowId && names[windowId]) ?? '',
      cases: found,
      names,
      clockBadge
    })
  })
}
