/**
 * Notices: everyone reads what is addressed to them (live); publishers write and withdraw. The
 * publishing form refuses in place (form-problems.ts); withdrawing takes a notice away from every
 * reader for good, so the publisher reads what follows and confirms (confirm.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { actorOf } from '../../lib/actor.ts'
import { StrictObject, Uuid } from '../../lib/http-schemas.ts'
import { mayAttempt, ROLES, type Principal } from '../../lib/policy.ts'
import { NoticeNotFound } from '../../modules/notices/notices.errors.ts'
import { PublishNoticeSchema, type NoticeView } from '../../modules/notices/notices.schemas.ts'
import { mayWithdraw } from '../../modules/notices/notices.rules.ts'
import { ConfirmField, isConfirmed, showConfirmation } from '../confirm.ts'
import { assertNoProblems, formErrors, keptValues, refusalProblems, type FormErrors } from '../form-problems.ts'
import { checked } from '../forms.ts'
import { pageContext, renderPage } from '../render.ts'

const statusOf = (error: unknown) => (error as { statusCode: number }).statusCode

export const noticesPages: FastifyPluginAsyncTypebox = async (app) => {
  const { notices } = app.services

  async function showNotices (request: FastifyRequest, reply: FastifyReply, extra: Partial<FormErrors> & { values?: Record<string, string | string[]> } = {}) {
    const principal = request.principal
    const canPublish = principal !== null && mayAttempt(principal, 'notices.publish')
    return renderPage(request, reply, 'notices', {
      titleKey: 'notices.title',
      notices: await notices.listVisible(principal, 100),
      canPublish,
      withdrawable: (notice: NoticeView) => canPublish && mayWithdraw(principal, notice.publishedBy),
      roles: ROLES,
      values: {},
      ...extra
    })
  }

  app.get('/notices', { config: { policy: 'public' } }, async (request, reply) => showNotices(request, reply))

  app.post('/notices', {
    config: { policy: 'notices.publish' },
    schema: {
      body: StrictObject({
        title: Type.String({ maxLength: 1000 }),
        body: Type.String({ maxLength: 16_000 }),
        public: Type.Optional(Type.Literal('true')),
        roles: Type.Optional(Type.Union([Type.String({ maxLength: 20 }), Type.Array(Type.String({ maxLength: 20 }), { maxItems: 11 })]))
      })
    }
  }, async (request, reply) => {
    try {
      const { t } = pageContext(request)
      const title = request.body.title.trim()
      const body = request.body.body.trim()
      const roles = [request.body.roles ?? []].flat()
      const audience = request.body.public ? { public: true as const } : { roles }
      assertNoProblems([
        ...(title && title.length <= 120 ? [] : [{ field: 'notice-title', message: t('notices.error.title') }]),
        ...(body && body.length <= 4000 ? [] : [{ field: 'notice-body', message: t('notices.error.body') }]),
        ...(request.body.public || (roles.length > 0 && roles.every((role) => (ROLES as readonly string[]).includes(role))) ? [] : [{ field: 'notice-audience', message: t('errors.NOTICE_AUDIENCE_EMPTY') }])
      ])
      await notices.publish(actorOf(request), checked(PublishNoticeSchema, { title, body, audience }))
      return reply.redirect('/notices')
    } catch (error) {
      const problems = refusalProblems(request, error, { NOTICE_AUDIENCE_EMPTY: 'notice-audience' })
      reply.code(statusOf(error))
      return showNotices(request, reply, { ...formErrors(problems, 'publish'), values: keptValues(request.body) })
    }
  })

  /** The notice as its publisher may withdraw it; another's, or one already gone, is not found. */
  async function withdrawable (principal: Principal, noticeId: string): Promise<NoticeView> {
    const notice = (await notices.listVisible(principal, 500)).find((candidate) => candidate.id === noticeId)
    if (!notice || !mayWithdraw(principal, notice.publishedBy)) throw new NoticeNotFound(noticeId)
    return notice
  }

  app.post('/notices/:noticeId/withdraw', {
    config: { policy: 'notices.publish' },
    schema: { params: StrictObject({ noticeId: Uuid }), body: Type.Optional(StrictObject({ ...ConfirmField })) }
  }, async (request, reply) => {
    const { noticeId } = request.params
    try {
      if (!isConfirmed(request.body)) {
        const { t, time } = pageContext(request)
        const notice = await withdrawable(actorOf(request).principal, noticeId)
        const isPublic = 'public' in notice.audience
        const roles = 'public' in notice.audience ? [] : (notice.audience.roles ?? []).map((role) => t(`role.${role}`))
        const audience = isPublic ? t('notices.public') : roles.length > 0 ? roles.join('、') : t('notices.someAccounts')
        return showConfirmation(request, reply, {
          title: t('notices.withdrawConfirm.title'),
          facts: [[t('notices.noticeTitle'), notice.title], [t('notices.published'), time(notice.publishedAt)], [t('notices.audience'), audience]],
          consequences: [
            t('notices.withdrawConfirm.effect', { title: notice.title }),
            ...(isPublic ? [t('notices.withdrawConfirm.public')] : []),
            t('notices.withdrawConfirm.final')
          ],
          action: `/notices/${noticeId}/withdraw`,
          fields: {},
          confirmLabel: t('notices.withdrawConfirm.button'),
          backHref: '/notices',
          destructive: true
        })
      }
      await notices.withdraw(actorOf(request), noticeId)
      return reply.redirect('/notices')
    } catch (error) {
      const problems = refusalProblems(request, error, {})
      reply.code(statusOf(error))
      return showNotices(request, reply, formErrors(problems, 'withdraw'))
    }
  })
}
