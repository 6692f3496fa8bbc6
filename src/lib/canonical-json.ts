/**
 * Canonical JSON (RFC 8785 style): object keys sorted by UTF-16 code units, no whitespace,
 * ECMAScript number formatting. Everything that is hashed or signed goes through here so that a
 * verifier in any language can reproduce the bytes.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

export function canonicalJson (value: unknown): string {
  try {
    return serialise(value)
  } catch (error) {
    if (!(error instanceof Unserialisable)) throw error
    throw new TypeError(`canonical JSON: $${error.path.join('')} ${error.problem}`)
  }
}

/** Carries the path outwards as the walk unwinds: a path built for every value on the way in cost more than the serialising. */
class Unserialisable extends Error {
  readonly path: string[] = []
  constructor (readonly problem: string) { super(problem) }
}

function serialise (value: unknown): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false'
    case 'number':
      if (!Number.isFinite(value)) throw new Unserialisable('is not a finite number')
      return JSON.stringify(value)
    case 'string':
      return JSON.stringify(value)
    case 'object': {
      // a list of strings (a drawing's pool: tens of thousands) is written as JSON writes it, the same bytes at a fraction of the cost
      if (Array.isArray(value)) return value.every((item) => typeof item === 'string') ? JSON.stringify(value) : `[${value.map((item, index) => member(item, index)).join(',')}]`
      if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) throw new Unserialisable('is not a plain object')
      const record = value as Record<string, unknown>
      let text = ''
      for (const key of Object.keys(record).sort()) {
        if (record[key] !== undefined) text += `${text ? ',' : ''}${JSON.stringify(key)}:${member(record[key], key)}`
      }
      return `{${text}}`
    }
    default:
      throw new Unserialisable(`has unsupported type ${typeof value}`)
  }
}

function member (value: unknown, at: string | number): string {
  try {
    return serialise(value)
  } catch (error) {
    if (error instanceof Unserialisable) error.path.unshift(typeof at === 'number' ? `[${at}]` : `.${at}`)
    throw error
  }
}
