/**
 * Rendering pages: every template receives the layout context (language, translator, the
 * signed-in principal, navigation, current path) plus its own data. Eta escapes by default.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { hasMessage, LANGUAGE_COOKIE, pickLanguage, translator, type Language, type Translate } from './i18n.ts'
import { assetUrl } from './assets.ts'
import { navigationFor } from './navigation.ts'

export interface PageContext {
  lang: Language
  t: Translate
  principal: FastifyRequest['principal']
  nav: ReturnType<typeof navigationFor>
  path: string
  /** formats an instant in the hall's time zone */
  time: (value: string | Date | null | undefined) => string
  /** a deadline that ends a hall day (the instant of midnight after it), printed as that day */
  lastDay: (value: string | Date | null | undefined) => string
  /** the content-addressed address of one of the site's assets (assets.ts) */
  asset: (name: string) => string
}

const FORMATTERS: Record<Language, Intl.DateTimeFormat> = {
  'zh-CN': new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', dateStyle: 'medium', timeStyle: 'medium' }),
  en: new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', dateStyle: 'medium', timeStyle: 'medium' })
}
const DAY_FORMATTERS: Record<Language, Intl.DateTimeFormat> = {
  'zh-CN': new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', dateStyle: 'medium' }),
  en: new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', dateStyle: 'medium' })
}

export function pageContext (request: FastifyRequest): PageContext {
  const lang = pickLanguage(request.cookies[LANGUAGE_COOKIE], request.headers['accept-language'])
  return {
    lang,
    t: translator(lang),
    principal: request.principal,
    nav: navigationFor(request.principal),
    path: request.url.split('?')[0] ?? '/',
    time: (value) => (value ? FORMATTERS[lang].format(new Date(value)) : ''),
    lastDay: (value) => (value ? DAY_FORMATTERS[lang].format(new Date(new Date(value).getTime() - 1)) : ''),
    asset: assetUrl
  }
}

export async function renderPage (request: FastifyRequest, reply: FastifyReply, view: string, data: Record<string, unknown> = {}) {
  reply.header('cache-control', 'no-store')
  // the layout's inbox entry carries the count of unread messages
  return reply.view(view, { ...pageContext(request), unreadMessages: await unreadMessages(request), ...data })
}

/** The signed-in reader's unread messages; 0 when the inbox cannot be read (the page still renders). */
async function unreadMessages (request: FastifyRequest): Promise<number> {
  const notifier = request.server.services.notifier
  if (!request.principal || !notifier) return 0
  try {
    return await notifier.unreadCount(request.principal.accountId)
  } catch {
    return 0
  }
}

/** A user-facing message for a coded error, in the page's language. */
export function messageFor (request: FastifyRequest, error: { code?: string, message: string }): string {
  const { t } = pageContext(request)
  return error.code && hasMessage(`errors.${error.code}`) ? t(`errors.${error.code}`) : error.message
}
