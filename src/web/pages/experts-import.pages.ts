/**
 * Importing experts from a spreadsheet (CSV, README "Expert import format"). The file is read
 * whole (at most 2 MB) and handed to the pool's import, which writes every row or none: a file
 * with wrong rows comes back with a table of them (line, column, what to fix) and the words
 * "nothing was imported"; a good file with the list of experts created.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { actorOf } from '../../lib/actor.ts'
import { ImportTooLarge } from '../../modules/experts/experts.errors.ts'
import { IMPORT_COLUMNS, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, TITLE_WORDS, type RowProblem } from '../../modules/experts/experts.rules.ts'
import type { ImportView } from '../../modules/experts/experts.schemas.ts'
import { assertNoProblems, formErrors, refusalProblems, type FormErrors } from '../form-problems.ts'
import { pageContext, renderPage } from '../render.ts'

const statusOf = (error: unknown) => (error as { statusCode?: number }).statusCode ?? 500

/** Every refusal of the import belongs to the file field. */
const FILE_FIELDS: Record<string, string> = Object.fromEntries([
  'EXPERT_IMPORT_INVALID', 'EXPERT_IMPORT_EMPTY', 'EXPERT_IMPORT_HEADER_INVALID', 'EXPERT_IMPORT_TOO_LARGE', 'EXPERT_IMPORT_NOT_UTF8', 'UNSUPPORTED_MEDIA_TYPE'
].map((code) => [code, 'import-file']))

export const expertsImportPages: FastifyPluginAsyncTypebox = async (app) => {
  const experts = app.services.experts

  async function showImport (request: FastifyRequest, reply: FastifyReply, extra: Partial<FormErrors> & { report?: RowProblem[], imported?: ImportView } = {}) {
    return renderPage(request, reply, 'experts/import', {
      titleKey: 'experts.import.title',
      columns: IMPORT_COLUMNS,
      titleWords: Object.keys(TITLE_WORDS),
      maxRows: MAX_IMPORT_ROWS,
      maxMegabytes: MAX_IMPORT_BYTES / 1024 / 1024,
      report: [],
      ...extra
    })
  }

  app.get('/hall/experts/import', { config: { policy: 'experts.manage' } }, async (request, reply) => showImport(request, reply))

  app.post('/hall/experts/import', { config: { policy: 'experts.manage' } }, async (request, reply) => {
    try {
      const { t } = pageContext(request)
      let file: Buffer | null = null
      for await (const part of request.parts({ limits: { files: 1, fields: 2, fileSize: MAX_IMPORT_BYTES } })) {
        if (part.type !== 'file') continue
        if (!part.filename) { part.file.resume(); continue }
        try {
          file = await part.toBuffer()
        } catch (error) {
          if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw new ImportTooLarge(`${MAX_IMPORT_BYTES / 1024 / 1024} MB`)
          throw error
        }
      }
      assertNoProblems(file && file.length > 0 ? [] : [{ field: 'import-file', message: t('experts.import.chooseFile') }])
      const imported = await experts.importExperts(actorOf(request), file!)
      return showImport(request, reply, { imported })
    } catch (error) {
      const problems = refusalProblems(request, error, FILE_FIELDS)
      const details = (error as { code?: string, details?: unknown }).code === 'EXPERT_IMPORT_INVALID' ? (error as { details: RowProblem[] }).details : []
      reply.code(statusOf(error))
      return showImport(request, reply, { ...formErrors(problems), report: details })
    }
  })
}
