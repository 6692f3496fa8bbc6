/**
 * A streaming RFC 4180 CSV reader for bank statements of a million lines and more. Memory stays
 * bounded by one source chunk plus one record: a record longer than `maxLineBytes` is reported
 * and skipped instead of buffered, so one missing newline or quote cannot exhaust the server.
 *
 * Malformed content never throws — it becomes an error record carrying the physical line where
 * the record starts, and reading goes on at the next record — because one bad row must not stop
 * the reconciliation of the rest; only errors of the source itself propagate.
 *
 * The same input gives the same records however it is split into chunks: an incomplete record
 * at the end of a chunk is parsed again from its start once more data has arrived.
 */
import { Buffer } from 'node:buffer'

export type CsvRecord = { line: number, fields: string[] } | { line: number, error: string }

export interface CsvOptions {
  /** the longest record accepted, in UTF-8 bytes without its line ending; default 4096 */
  maxLineBytes?: number
  /** one character; default ',' */
  delimiter?: string
}

const QUOTE = 0x22
const CR = 0x0d
const LF = 0x0a
const BOM = 0xfeff

/** Grammar states for skipping an over-long record without keeping it. */
const FIELD_START = 0
const UNQUOTED = 1
const QUOTED = 2
const QUOTE_IN_QUOTED = 3

export async function * readCsv (source: AsyncIterable<Buffer | string>, options: CsvOptions = {}): AsyncGenerator<CsvRecord> {
  const maxLineBytes = options.maxLineBytes ?? 4096
  const delimiter = options.delimiter ?? ','
  if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) throw new RangeError('maxLineBytes must be a positive integer')
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\r' || delimiter === '\n') {
    throw new RangeError('the delimiter must be one character other than a quote or a line break')
  }
  const parser = createParser(maxLineBytes, delimiter)
  // a multi-byte character split between two chunks is held back by the streaming decoder
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true })
  let started = false
  const decoded = (text: string) => {
    if (started || text.length === 0) return text
    started = true
    return text.charCodeAt(0) === BOM ? text.slice(1) : text
  }
  for await (const chunk of source) {
    const text = typeof chunk === 'string' ? decoder.decode() + chunk : decoder.decode(chunk, { stream: true })
    for (const record of parser.records(decoded(text), false)) yield record
  }
  for (const record of parser.records(decoded(decoder.decode()), true)) yield record
}

function createParser (maxLineBytes: number, delimiter: string) {
  const delimiterCode = delimiter.charCodeAt(0)
  const tooLongMessage = `record longer than ${maxLineBytes} bytes`
  /** the unconsumed text, which starts at a record boundary */
  let pending = ''
  /** the physical line number of the start of `pending` */
  let line = 1
  /** set while discarding an over-long record: where it started and where the grammar stands */
  let skipping: { line: number, state: number } | null = null

  function exceeds (text: string, start: number, end: number): boolean {
    const length = end - start
    // a UTF-16 code unit is 1 to 3 UTF-8 bytes, so only the middle range needs counting
    if (length * 3 <= maxLineBytes) return false
    if (length > maxLineBytes) return true
    return Buffer.byteLength(text.slice(start, end)) > maxLineBytes
  }

  /** Follows the record grammar from `from` to the newline that ends the record; -1 when the text ends first. */
  function skipRecord (text: string, from: number, skip: { state: number }): number {
    let state = skip.state
    for (let i = from; i < text.length; i++) {
      const code = text.charCodeAt(i)
      if (code === LF) line++
      if (state === QUOTED) {
        if (code === QUOTE) state = QUOTE_IN_QUOTED
      } else if (code === LF) {
        return i + 1
      } else if (code === QUOTE) {
        state = state === FIELD_START ? QUOTED : state === QUOTE_IN_QUOTED ? QUOTED : UNQUOTED
      } else {
        state = code === delimiterCode ? FIELD_START : UNQUOTED
      }
    }
    skip.state = state
    return -1
  }

  function * records (text: string, atEnd: boolean): Generator<CsvRecord> {
    const data = pending + text
    pending = ''
    let position = 0
    if (skipping) {
      const skipped = skipping
      position = skipRecord(data, 0, skipped)
      if (position < 0) {
        if (atEnd) {
          skipping = null
          yield { line: skipped.line, error: tooLongMessage }
        }
        return
      }
      skipping = null
      yield { line: skipped.line, error: tooLongMessage }
    }

    // next occurrences at or after a position, cached so that no stretch of `data` is searched twice
    let quoteAt = -2
    let newlineAt = -2
    let delimiterAt = -2
    const nextQuote = (from: number) => (quoteAt !== -1 && quoteAt < from ? (quoteAt = data.indexOf('"', from)) : quoteAt)
    const nextNewline = (from: number) => (newlineAt !== -1 && newlineAt < from ? (newlineAt = data.indexOf('\n', from)) : newlineAt)
    const nextDelimiter = (from: number) => (delimiterAt !== -1 && delimiterAt < from ? (delimiterAt = data.indexOf(delimiter, from)) : delimiterAt)
    /** where an unquoted stretch from `from` ends: the next delimiter or newline; -1 if neither is in `data` */
    const unquotedEnd = (from: number) => {
      const newline = nextNewline(from)
      const next = nextDelimiter(from)
      return next < 0 ? newline : newline < 0 ? next : Math.min(next, newline)
    }

    // the outcome of parseRecord, kept in variables rather than an object per record
    let fields: string[] = []
    let error: string | null = null
    let contentEnd = 0
    let recordEnd = 0

    /** Parses the record at `start`; false when `data` ends before the record does. */
    function parseRecord (start: number): boolean {
      fields = []
      error = null
      let i = start
      for (;;) {
        const quoted = data.charCodeAt(i) === QUOTE
        let value = ''
        let fieldEnd: number
        if (quoted) {
          let from = i + 1
          for (;;) {
            const close = nextQuote(from)
            if (close < 0) {
              if (!atEnd) return false
              error ??= `unterminated quoted field ${fields.length + 1}`
              contentEnd = recordEnd = data.length
              return true
            }
            // a quote as the last character may yet be the first half of ""
            if (close + 1 === data.length && !atEnd) return false
            if (data.charCodeAt(close + 1) === QUOTE) {
              value += data.slice(from, close + 1)
              from = close + 2
              continue
            }
            value += data.slice(from, close)
            i = close + 1
            break
          }
          const after = i < data.length ? data.charCodeAt(i) : -1
          if (after === -1 || after === delimiterCode || after === LF) {
            fieldEnd = i
          } else if (after === CR && (i + 1 === data.length || data.charCodeAt(i + 1) === LF)) {
            if (i + 1 === data.length && !atEnd) return false
            fieldEnd = i + 1
          } else {
            error ??= `text after the closing quote of field ${fields.length + 1}`
            fieldEnd = unquotedEnd(i)
          }
        } else {
          fieldEnd = unquotedEnd(i)
          const quote = nextQuote(i)
          if (quote >= 0 && (fieldEnd < 0 || quote < fieldEnd)) error ??= `quote inside unquoted field ${fields.length + 1}`
        }
        if (fieldEnd < 0) {
          if (!atEnd) return false
          fieldEnd = data.length
        }
        const endsRecord = fieldEnd === data.length || data.charCodeAt(fieldEnd) !== delimiterCode
        if (!quoted) value = data.slice(i, endsRecord && fieldEnd > i && data.charCodeAt(fieldEnd - 1) === CR ? fieldEnd - 1 : fieldEnd)
        fields.push(value)
        if (!endsRecord) {
          i = fieldEnd + 1
          continue
        }
        contentEnd = fieldEnd > start && data.charCodeAt(fieldEnd - 1) === CR ? fieldEnd - 1 : fieldEnd
        recordEnd = fieldEnd < data.length ? fieldEnd + 1 : fieldEnd
        return true
      }
    }

    while (position < data.length) {
      const start = position
      const startLine = line
      const newline = nextNewline(start)
      const quote = nextQuote(start)
      if (newline >= 0 && (quote < 0 || quote > newline)) {
        // the common case: a whole line without quotes
        const end = newline > start && data.charCodeAt(newline - 1) === CR ? newline - 1 : newline
        line++
        position = newline + 1
        if (end === start) continue
        if (exceeds(data, start, end)) yield { line: startLine, error: tooLongMessage }
        else yield { line: startLine, fields: data.slice(start, end).split(delimiter) }
        continue
      }
      if ((newline < 0 && !atEnd) || !parseRecord(start)) {
        const end = data.charCodeAt(data.length - 1) === CR ? data.length - 1 : data.length
        if (!exceeds(data, start, end)) {
          pending = data.slice(start)
          return
        }
        const skip = { line: startLine, state: FIELD_START }
        position = skipRecord(data, start, skip)
        if (position < 0) {
          if (atEnd) yield { line: startLine, error: tooLongMessage }
          else skipping = skip
          return
        }
        yield { line: startLine, error: tooLongMessage }
        continue
      }
      for (let at = data.indexOf('\n', start); at >= 0 && at < recordEnd; at = data.indexOf('\n', at + 1)) line++
      position = recordEnd
      if (contentEnd === start) continue
      if (exceeds(data, start, contentEnd)) yield { line: startLine, error: tooLongMessage }
      else if (error !== null) yield { line: startLine, error }
      else yield { line: startLine, fields }
    }
  }

  return { records }
}
