/**
 * CSV import of experts (README "Expert import format"): every row is checked — alone by the
 * pure rules, then against the file (login names twice) and the database (unknown specialty
 * codes, login names taken) — and any problem refuses the whole file with a report of every
 * wrong row (422 EXPERT_IMPORT_INVALID). Otherwise all rows are written in one transaction with
 * their audit entries and an `expert_imports` row: nothing is ever half imported.
 */
import { Readable } from 'node:stream'
import { shanghaiDate } from '../../lib/working-days.ts'
import { readCsv } from '../../lib/csv.ts'
import { sha256Hex } from '../../lib/crypto-bits.ts'
import type { Actor } from '../../lib/actor.ts'
import { auditRecord } from '../../plugins/audit.ts'
import { ImportEmpty, ImportHeaderInvalid, ImportNotUtf8, ImportRowsInvalid, ImportTooLarge } from './experts.errors.ts'
import * as repo from './experts.repository.ts'
import {
  MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, duplicateUsernames, expertCode, readImportHeader, rowProblem, rowReferences, sortProblems, validateImportRow,
  type ImportRow, type RowProblem
} from './experts.rules.ts'
import type { ImportView } from './experts.schemas.ts'
import type { PoolContext } from './experts.service.ts'

/** At most this many problems are reported: enough to show what is wrong with a file, bounded in size. */
const MAX_REPORTED = 500
const INSERT_BATCH = 1000

/** The refusal, carrying every wrong row as `details` (the error handler sends them as `errors`). */
export function importRefusal (problems: readonly RowProblem[]) {
  const sorted = sortProblems(problems)
  const rows = new Set(sorted.map((problem) => problem.row)).size
  const error = new ImportRowsInvalid(rows) as InstanceType<typeof ImportRowsInvalid> & { details: unknown[] }
  error.details = sorted.slice(0, MAX_REPORTED).map((problem) => ({ path: `/rows/${problem.row}/${problem.field}`, ...problem }))
  return error
}

function decodeUtf8 (file: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(file)
  } catch {
    throw new ImportNotUtf8()
  }
}

export function createExpertImport ({ db, audit, clock, accounts }: PoolContext) {
  /** Reads and checks the file; the rows when every one is right, else throws the refusal. */
  async function checkFile (file: Uint8Array): Promise<ImportRow[]> {
    if (file.byteLength > MAX_IMPORT_BYTES) throw new ImportTooLarge(`more than ${MAX_IMPORT_BYTES / 1024 / 1024} MB`)
    const text = decodeUtf8(file)
    const records = []
    // readCsv drops a leading byte order mark (spreadsheets save "CSV UTF-8" with one)
    for await (const record of readCsv(Readable.from([text]), { maxLineBytes: 8192 })) {
      if ('fields' in record && record.fields.length === 1 && record.fields[0]!.trim() === '') continue
      records.push(record)
      if (records.length > MAX_IMPORT_ROWS + 1) throw new ImportTooLarge(`more than ${MAX_IMPORT_ROWS} rows`)
    }
    const [header, ...data] = records
    if (!header) throw new ImportEmpty()
    if ('error' in header) throw new ImportHeaderInvalid(header.error)
    const read = readImportHeader(header.fields)
    if ('problem' in read) throw new ImportHeaderInvalid(read.problem)
    if (data.length === 0) throw new ImportEmpty()

    const today = shanghaiDate(clock.now())
    const problems: RowProblem[] = []
    const rows: ImportRow[] = []
    const references: Array<{ line: number, username: string | null, specialties: string[] }> = []
    for (const record of data) {
      if ('error' in record) { problems.push(rowProblem(record.line, 'row', 'MALFORMED', record.error)); continue }
      const checked = validateImportRow(record.line, record.fields, read.columns, header.fields.length, today)
      if ('problems' in checked) problems.push(...checked.problems)
      else rows.push(checked.row)
      if (record.fields.length === header.fields.length) references.push({ line: record.line, ...rowReferences(record.fields, read.columns) })
    }
    // the file's and the database's checks cover every row, so one report lists every mistake
    problems.push(...duplicateUsernames(references))
    const known = await repo.knownLevel3(db, [...new Set(references.flatMap((row) => row.specialties))])
    for (const row of references) {
      const unknown = row.specialties.filter((code) => !known.has(code))
      if (unknown.length > 0) problems.push(rowProblem(row.line, 'specialties', 'SPECIALTY_UNKNOWN', unknown.join(' ').slice(0, 60)))
    }
    const taken = await accounts.takenUsernames(db, references.flatMap((row) => row.username ?? []))
    for (const row of references) if (row.username !== null && taken.has(row.username)) problems.push(rowProblem(row.line, 'username', 'USERNAME_TAKEN'))
    if (problems.length > 0) throw importRefusal(problems)
    return rows
  }

  async function importExperts (actor: Actor, file: Uint8Array): Promise<ImportView> {
    const rows = await checkFile(file)
    const fileSha256 = sha256Hex(file)
    const now = clock.now()
    return db.transaction(async (tx) => {
      const first = await repo.nextExpertNumber(tx)
      const accountIds: string[] = []
      const lost: RowProblem[] = []
      for (const row of rows) {
        const account = await accounts.create(tx, actor, { username: row.username, displayName: row.fullName, phone: row.phone, passwordHash: null, mustChangePassword: false })
        // taken since the check (another import or a registration): the whole file is refused, as it would have been
        if (!account) lost.push(rowProblem(row.line, 'username', 'USERNAME_TAKEN'))
        else accountIds.push(account.id)
      }
      if (lost.length > 0) throw importRefusal(lost)

      const created: repo.ExpertRow[] = []
      for (let i = 0; i < rows.length; i += INSERT_BATCH) {
        created.push(...await repo.insertExperts(tx, rows.slice(i, i + INSERT_BATCH).map((row, j) => ({
          accountId: accountIds[i + j]!,
          code: expertCode(first + i + j),
          fullName: row.fullName,
          title: row.title,
          practiceSince: row.practiceSince,
          regionCode: row.regionCode,
          createdBy: actor.principal.accountId,
          createdAt: now,
          updatedAt: now
        }))))
      }
      const byAccount = new Map(created.map((expert) => [expert.accountId, expert]))
      const experts = rows.map((row, index) => ({ row, expert: byAccount.get(accountIds[index]!)! }))
      const specialties = experts.flatMap(({ row, expert }) => row.specialties.map((specialtyCode) => ({ expertId: expert.id, specialtyCode })))
      for (let i = 0; i < specialties.length; i += INSERT_BATCH) await repo.insertSpecialties(tx, specialties.slice(i, i + INSERT_BATCH))
      const employments = experts.filter(({ row }) => row.employment).map(({ row, expert }) => ({ expertId: expert.id, ...row.employment! }))
      for (let i = 0; i < employments.length; i += INSERT_BATCH) await repo.insertEmployments(tx, employments.slice(i, i + INSERT_BATCH))

      const record = await repo.insertImport(tx, { importedBy: actor.principal.accountId, fileSha256, rows: rows.length, importedAt: now })
      for (const { row, expert } of experts) {
        await audit.append(tx, auditRecord(actor, 'expert.imported', 'expert', expert.id, {
          importId: record.id, line: row.line, code: expert.code, accountId: expert.accountId, specialties: row.specialties, employer: row.employment?.creditCode ?? null
        }))
      }
      await audit.append(tx, auditRecord(actor, 'expert_import.completed', 'expert_import', record.id, { fileSha256, rows: rows.length }))
      return {
        id: record.id,
        rows: rows.length,
        fileSha256,
        importedAt: record.importedAt.toISOString(),
        experts: experts.map(({ row, expert }) => ({ id: expert.id, code: expert.code, fullName: expert.fullName, username: row.username }))
      }
    })
  }

  return { importExperts }
}
