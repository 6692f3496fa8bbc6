/**
 * The web shell: server-rendered pages (Eta through @fastify/view, escaping by default), assets
 * served by OpenHall itself (Pico CSS from node_modules, small ES modules), zh-CN first with an
 * English switch. Page routes use the same policy layer as the API; their failures become pages
 * (or a redirect to sign in) instead of problem+json.
 */
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import compress from '@fastify/compress'
import fastifyStatic from '@fastify/static'
import view from '@fastify/view'
import { Eta } from 'eta'
import type { FastifyError, FastifyPluginAsync } from 'fastify'
import { RETRY_AFTER_SECONDS, toProblem } from '../plugins/errors.ts'
import { assetRoutes } from './assets.ts'
import { hasMessage } from './i18n.ts'
import { adminPages } from './pages/admin.pages.ts'
import { messagesPages } from './pages/messages.pages.ts'
import { registrationPages } from './pages/registration.pages.ts'
import { approvalsPages } from './pages/approvals.pages.ts'
import { approvalsRatingsPages } from './pages/approvals-ratings.pages.ts'
import { supervisionCasesPages } from './pages/supervision-cases.pages.ts'
import { auditPages } from './pages/audit.pages.ts'
import { cataloguePages } from './pages/catalogue.pages.ts'
import { delegationsPages } from './pages/delegations.pages.ts'
import { expertsPages } from './pages/experts.pages.ts'
import { feesPages } from './pages/fees.pages.ts'
import { financePages } from './pages/finance.pages.ts'
import { noticesPages } from './pages/notices.pages.ts'
import { paymentsPages } from './pages/payments.pages.ts'
import { pkiPages } from './pages/pki.pages.ts'
import { shellPages } from './pages/shell.pages.ts'
import { simulatedBankPages } from './pages/simulated-bank.pages.ts'
import { openingsPages } from './pages/openings.pages.ts'
import { drawingsConsolePages } from './pages/drawings-console.pages.ts'
import { drawingsRequestPages } from './pages/drawings-request.pages.ts'
import { drawingsInvitationsPages } from './pages/drawings-invitations.pages.ts'
import { drawingsRecordPages } from './pages/drawings-record.pages.ts'
import { tradingPages } from './pages/trading.pages.ts'
import { throttlesPages } from './pages/throttles.pages.ts'
import { pageContext, renderPage } from './render.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const picoCss = path.dirname(createRequire(import.meta.url).resolve('@picocss/pico/css/pico.min.css'))

export interface WebOptions {
  secureCookie: boolean
  signInPerMinute: number
  production: boolean
  /** the address users reach (for links printed in instructions) */
  publicUrl: string
}

/** The heading of an error page: what happened in words, never the status code. */
function errorTitle (status: number): string {
  if (status === 404) return 'error.notFoundTitle'
  if (status === 403) return 'error.forbiddenTitle'
  if (status === 503) return 'error.unavailableTitle'
  return 'error.title'
}

export const webModule: FastifyPluginAsync<WebOptions> = async (app, options) => {
  const views = path.join(here, 'views')
  await app.register(view, {
    engine: { eta: new Eta({ views, cache: options.production, autoEscape: true }) },
    root: views,
    production: options.production
  })
  // pages, bundles and assets reach browsers compressed (the API's JSON goes as it is); request
  // bodies are never inflated: a small compressed body must not become a large one past the limits
  await app.register(compress, { globalDecompression: false, encodings: ['br', 'gzip'] })
  await app.register(assetRoutes, { production: options.production })
  // the plain addresses stay for pages cached before the content-addressed ones (assets.ts)
  await app.register(fastifyStatic, { root: path.join(here, 'assets'), prefix: '/assets/', index: false, maxAge: 0 })
  await app.register(fastifyStatic, { root: picoCss, prefix: '/assets/vendor/', decorateReply: false, index: false, maxAge: 0 })

  app.setErrorHandler(async function renderPageError (error: FastifyError, request, reply) {
    const problem = toProblem(error, request)
    if (['AUTH_REQUIRED', 'SESSION_INVALID', 'SESSION_EXPIRED'].includes(problem.code)) {
      return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`)
    }
    if (problem.code === 'PASSWORD_CHANGE_REQUIRED') return reply.redirect('/account/password')
    if (problem.status === 503) request.log.warn({ code: problem.code, err: error }, 'page refused while degraded')
    else if (problem.status >= 500) request.log.error({ err: error }, 'page failed')
    else request.log.info({ code: problem.code, status: problem.status }, 'page refused')
    const { t } = pageContext(request)
    // a code with words in the catalogue speaks the reader's language; the service's detail is English
    const known = `errors.${problem.code}`
    const message = problem.status === 404
      ? t('error.notFound')
      : problem.status === 403
        ? t('error.forbidden')
        : hasMessage(known) ? t(known) : problem.status >= 500 ? t('error.internal', { requestId: problem.requestId }) : problem.detail
    if (problem.status === 503) reply.header('retry-after', String(RETRY_AFTER_SECONDS))
    reply.code(problem.status)
    return renderPage(request, reply, 'error', { titleKey: errorTitle(problem.status), message })
  })

  // a dead link, in the site's layout (the API keeps problem+json: src/plugins/errors.ts)
  app.notFoundPage.render = async (request, reply) => {
    const html = await app.view('error', { ...pageContext(request), titleKey: errorTitle(404), message: pageContext(request).t('error.notFound') })
    return reply.code(404).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html)
  }

  await app.register(shellPages, { cookieName: app.auth.cookieName, secureCookie: options.secureCookie, signInPerMinute: options.signInPerMinute })
  await app.register(adminPages)
  await app.register(throttlesPages)
  await app.register(registrationPages, { perMinute: options.signInPerMinute })
  await app.register(messagesPages)
  await app.register(auditPages)
  await app.register(noticesPages)
  await app.register(pkiPages)
  await app.register(feesPages)
  await app.register(cataloguePages)
  await app.register(paymentsPages, { publicUrl: options.publicUrl })
  await app.register(financePages)
  await app.register(tradingPages, { production: options.production })
  await app.register(openingsPages, { production: options.production })
  await app.register(drawingsConsolePages, { production: options.production })
  await app.register(drawingsRequestPages)
  await app.register(drawingsInvitationsPages)
  await app.register(drawingsRecordPages)
  await app.register(approvalsPages, { production: options.production, queriesPerMinute: options.signInPerMinute })
  await app.register(approvalsRatingsPages)
  await app.register(supervisionCasesPages)
  await app.register(delegationsPages)
  await app.register(expertsPages)
  // the simulated bank exists only when configured (SIMULATED_BANK=true, never in production)
  const simulatedBank = app.services.simulatedBank
  if (simulatedBank) await app.register(simulatedBankPages, { service: simulatedBank })
}
