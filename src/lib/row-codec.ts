/**
 * One table's rows read and written with hand-written SQL, for the few statements every step of a
 * busy module runs. drizzle's query builder spends more CPU assembling a wide select or update
 * (an entity check per column, per chunk) than PostgreSQL spends running it; measured in
 * `npm run bench -- cases`, building the case steps' statements was a quarter of the app's CPU.
 * A codec is built once per table and maps values exactly as drizzle does, through each column's
 * own mappers: result rows (snake_case names, driver values) to the table's row type, and values
 * to a `SET` list.
 */
import { getTableColumns, sql, type InferInsertModel, type InferSelectModel, type SQL, type Table } from 'drizzle-orm'
import { toSnakeCase } from 'drizzle-orm/casing'

export interface RowCodec<T extends Table> {
  /** every column, in the table's order, for `select ${codec.columns} from …` */
  readonly columns: SQL
  /** a result row of `codec.columns` as drizzle would have returned it */
  read (raw: Record<string, unknown>): InferSelectModel<T>
  /** `column = value, …` for the defined values */
  assignments (values: Partial<InferInsertModel<T>>): SQL
}

export function rowCodec<T extends Table> (table: T): RowCodec<T> {
  // the app's drizzle instance names columns in snake_case unless a column is named explicitly
  const columns = Object.entries(getTableColumns(table)).map(([key, column]) => ({
    key, column, name: column.keyAsName ? toSnakeCase(column.name) : column.name
  }))
  const byKey = new Map(columns.map((entry) => [entry.key, entry]))
  const quoted = (name: string) => `"${name}"`
  return {
    columns: sql.raw(columns.map((entry) => quoted(entry.name)).join(', ')),
    read (raw) {
      const row: Record<string, unknown> = {}
      for (const { key, column, name } of columns) {
        const value = raw[name]
        row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value)
      }
      return row as InferSelectModel<T>
    },
    assignments (values) {
      const parts: SQL[] = []
      for (const [key, value] of Object.entries(values)) {
        if (value === undefined) continue // as drizzle's update: an undefined value is left alone
        const entry = byKey.get(key)
        if (!entry) throw new Error(`${key} is not a column`)
        parts.push(sql`${sql.raw(quoted(entry.name))} = ${value === null ? null : entry.column.mapToDriverValue(value)}`)
      }
      if (parts.length === 0) throw new Error('nothing to set')
      return sql.join(parts, sql`, `)
    }
  }
}
