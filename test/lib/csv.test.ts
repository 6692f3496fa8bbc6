import fc from 'fast-check'
import t from 'tap'
import { readCsv, type CsvOptions, type CsvRecord } from '../../src/lib/csv.ts'

async function * chunksOf (chunks: Iterable<Buffer | string>): AsyncGenerator<Buffer | string> {
  yield * chunks
}

async function collect (source: AsyncIterable<Buffer | string>, options?: CsvOptions): Promise<CsvRecord[]> {
  const records: CsvRecord[] = []
  for await (const record of readCsv(source, options)) records.push(record)
  return records
}

const parse = (text: string | Buffer, options?: CsvOptions) => collect(chunksOf([text]), options)

/** `bytes` cut at the given offsets (any order, repeats and out-of-range ones ignored). */
function splitAt (bytes: Buffer, cuts: number[]): Buffer[] {
  const offsets = [...new Set(cuts.filter((cut) => cut > 0 && cut < bytes.length))].sort((a, b) => a - b)
  return [0, ...offsets].map((start, index) => bytes.subarray(start, offsets[index] ?? bytes.length))
}

t.test('fields, quotes and line endings', async (t) => {
  t.same(await parse('a,b,c\n1,2,3\n'), [{ line: 1, fields: ['a', 'b', 'c'] }, { line: 2, fields: ['1', '2', '3'] }])
  t.same(await parse('a,b\r\n1,2\r\n'), [{ line: 1, fields: ['a', 'b'] }, { line: 2, fields: ['1', '2'] }], 'CRLF')
  t.same(await parse('a,b\r\n1,2'), [{ line: 1, fields: ['a', 'b'] }, { line: 2, fields: ['1', '2'] }], 'no newline after the last record')
  t.same(await parse('"x, y","he said ""hi""","",plain\n'), [{ line: 1, fields: ['x, y', 'he said "hi"', '', 'plain'] }])
  t.same(await parse('"a\nb","c\r\nd"\r\nnext\n'), [{ line: 1, fields: ['a\nb', 'c\r\nd'] }, { line: 4, fields: ['next'] }],
    'a quoted newline continues the record and keeps its exact line ending')
  t.same(await parse(',,\n , x \n'), [{ line: 1, fields: ['', '', ''] }, { line: 2, fields: [' ', ' x '] }], 'empty fields and spaces are kept')
  t.same(await parse('a\r\n\n\r\n""\nb\n\n'), [{ line: 1, fields: ['a'] }, { line: 4, fields: [''] }, { line: 5, fields: ['b'] }],
    'blank lines are skipped but counted; "" is a record with one empty field')
  t.same(await parse('a\rb,c\r\n'), [{ line: 1, fields: ['a\rb', 'c'] }], 'a lone CR is data')
  t.same(await parse('"a"\r\n"b"'), [{ line: 1, fields: ['a'] }, { line: 2, fields: ['b'] }])
  t.same(await parse('a;"b;c"\n', { delimiter: ';' }), [{ line: 1, fields: ['a', 'b;c'] }])
  t.same(await parse('a\t"b\tc"\n', { delimiter: '\t' }), [{ line: 1, fields: ['a', 'b\tc'] }])
  t.same(await parse(''), [])
  t.same(await parse('\n\r\n'), [])
})

t.test('a UTF-8 byte order mark at the start is dropped, elsewhere it is data', async (t) => {
  const bom = Buffer.from([0xef, 0xbb, 0xbf])
  t.same(await parse(Buffer.concat([bom, Buffer.from('户名,金额\n')])), [{ line: 1, fields: ['户名', '金额'] }])
  t.same(await collect(chunksOf([bom.subarray(0, 1), bom.subarray(1), Buffer.from('a\n')])), [{ line: 1, fields: ['a'] }], 'split across chunks')
  t.same(await parse('\uFEFFa\n'), [{ line: 1, fields: ['a'] }], 'a string source too')
  t.same(await collect(chunksOf(['', '\uFEFFa\n'])), [{ line: 1, fields: ['a'] }], 'after an empty chunk')
  t.same(await parse('a\n\uFEFFb\n'), [{ line: 1, fields: ['a'] }, { line: 2, fields: ['\uFEFFb'] }])
})

t.test('malformed records become error records and reading goes on', async (t) => {
  t.same(await parse('ok,1\nab"c,2\nok,3\n'), [
    { line: 1, fields: ['ok', '1'] }, { line: 2, error: 'quote inside unquoted field 1' }, { line: 3, fields: ['ok', '3'] }
  ])
  t.same(await parse('"ab"c,2\nx,"y"z\nok\n'), [
    { line: 1, error: 'text after the closing quote of field 1' }, { line: 2, error: 'text after the closing quote of field 2' }, { line: 3, fields: ['ok'] }
  ])
  t.same(await parse('ok\n"never closed,1\n2\n3'), [{ line: 1, fields: ['ok'] }, { line: 2, error: 'unterminated quoted field 1' }],
    'an unterminated quote runs to the end of the input')
  t.same(await parse('x,"a\nb"c\nnext\n'), [{ line: 1, error: 'text after the closing quote of field 2' }, { line: 3, fields: ['next'] }],
    'the line of an error record is where the record starts')
  t.same(await parse(Buffer.from([0x61, 0xff, 0x2c, 0x62, 0x0a])), [{ line: 1, fields: ['a\uFFFD', 'b'] }], 'invalid UTF-8 is replaced, not thrown')
})

t.test('records longer than maxLineBytes are reported and skipped', async (t) => {
  const options = { maxLineBytes: 10 }
  t.same(await parse('0123456789\n01234567890\nok\n', options), [
    { line: 1, fields: ['0123456789'] }, { line: 2, error: 'record longer than 10 bytes' }, { line: 3, fields: ['ok'] }
  ], 'the limit is inclusive and excludes the line ending')
  t.same(await parse('0123456789\r\n', options), [{ line: 1, fields: ['0123456789'] }], 'CR is part of the line ending')
  t.same(await parse('张三四\n张三四五\n', options), [{ line: 1, fields: ['张三四'] }, { line: 2, error: 'record longer than 10 bytes' }],
    'bytes, not characters: 9 bytes fit, 12 do not')
  t.same(await parse('"a\nlong quoted\nfield",1\nok\n', options), [{ line: 1, error: 'record longer than 10 bytes' }, { line: 4, fields: ['ok'] }],
    'resynchronises at the first newline outside quotes')
  t.same(await parse('"a long quoted field that is never closed\nx\n', options), [{ line: 1, error: 'record longer than 10 bytes' }])
  const long = 'x'.repeat(100)
  t.same(await collect(chunksOf(['ok\n', long, long, '"', long, ',', long, '\nafter\n']), options), [
    { line: 1, fields: ['ok'] }, { line: 2, error: 'record longer than 10 bytes' }, { line: 3, fields: ['after'] }
  ], 'a long record across many chunks, with a stray quote inside, is one error')
})

t.test('the same records however the bytes are split into chunks', async (t) => {
  const document = Buffer.from([
    '\uFEFF日期,户名,金额,摘要\r\n',
    '2026-01-05,"张三",1200.00,"学费, 第一期"\r\n',
    '\r\n',
    '2026-01-06,李四,88.5,"说明 ""加急""\n第二行"\n',
    '2026-01-07,王五𝄞,3,bad"quote\n',
    '2026-01-08,"赵六"x,4,\n',
    '2026-01-09,' + '长'.repeat(20) + ',5,\n',
    '2026-01-10,"跨行\n' + '很长'.repeat(10) + '",6\n',
    '2026-01-11,孙七,7,end'
  ].join(''))
  const options = { maxLineBytes: 64 }
  const expected: CsvRecord[] = [
    { line: 1, fields: ['日期', '户名', '金额', '摘要'] },
    { line: 2, fields: ['2026-01-05', '张三', '1200.00', '学费, 第一期'] },
    { line: 4, fields: ['2026-01-06', '李四', '88.5', '说明 "加急"\n第二行'] },
    { line: 6, error: 'quote inside unquoted field 4' },
    { line: 7, error: 'text after the closing quote of field 2' },
    { line: 8, error: 'record longer than 64 bytes' },
    { line: 9, error: 'record longer than 64 bytes' },
    { line: 11, fields: ['2026-01-11', '孙七', '7', 'end'] }
  ]
  t.same(await collect(chunksOf([document]), options), expected)
  const differentAt: number[] = []
  for (let cut = 1; cut < document.length; cut++) {
    const records = await collect(chunksOf(splitAt(document, [cut])), options)
    if (JSON.stringify(records) !== JSON.stringify(expected)) differentAt.push(cut)
  }
  t.same(differentAt, [], `split in two at each of the ${document.length - 1} byte offsets`)
  t.same(await collect(chunksOf(splitAt(document, [...document.keys()])), options), expected, 'one byte at a time')
  t.same(await collect(chunksOf([...document.toString('utf8')])), await collect(chunksOf([document])), 'one character at a time as strings')
})

const fieldText = fc.string({ unit: fc.constantFrom('a', 'b', '1', ' ', '"', ',', '\n', '\r', '张', '𝄞', 'é'), maxLength: 12 })

t.test('written records read back, across random chunks', async (t) => {
  const record = fc.array(fc.tuple(fieldText, fc.boolean()), { minLength: 1, maxLength: 6 })
  await fc.assert(fc.asyncProperty(
    fc.array(record, { maxLength: 12 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 20 }),
    async (records, crlf, cuts) => {
      const lines = records.map((fields) => fields.map(([text, quoteAnyway]) =>
        quoteAnyway || /[",\r\n]/.test(text) || fields.length === 1 ? `"${text.replaceAll('"', '""')}"` : text).join(','))
      const bytes = Buffer.from(lines.map((text) => text + (crlf ? '\r\n' : '\n')).join(''))
      const read = await collect(chunksOf(splitAt(bytes, cuts.map((cut) => cut % (bytes.length + 1)))))
      return JSON.stringify(read.map((r) => 'fields' in r ? r.fields : r)) === JSON.stringify(records.map((fields) => fields.map(([text]) => text)))
    }))
})

t.test('any input, however malformed, reads the same in any chunks', async (t) => {
  await fc.assert(fc.asyncProperty(
    fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', '张', '𝄞'), maxLength: 200 }), fc.integer({ min: 1, max: 24 }),
    fc.array(fc.nat(), { maxLength: 40 }),
    async (text, maxLineBytes, cuts) => {
      const bytes = Buffer.from(text)
      const whole = await collect(chunksOf([bytes]), { maxLineBytes })
      const chunked = await collect(chunksOf(splitAt(bytes, cuts.map((cut) => cut % (bytes.length + 1)))), { maxLineBytes })
      const lines = whole.map((record) => record.line)
      const increasing = lines.every((line, index) => index === 0 ? line >= 1 : line > lines[index - 1]!)
      return increasing && JSON.stringify(whole) === JSON.stringify(chunked)
    }), { numRuns: 1000 })
})

t.test('the source’s own errors propagate; an early stop closes the source', async (t) => {
  async function * failing () {
    yield 'a,1\n'
    throw new Error('connection reset')
  }
  const seen: CsvRecord[] = []
  await t.rejects(async () => { for await (const record of readCsv(failing())) seen.push(record) }, { message: 'connection reset' })
  t.same(seen, [{ line: 1, fields: ['a', '1'] }], 'records before the failure were delivered')

  let closed = false
  async function * endless () {
    try {
      for (let i = 1; ; i++) yield `${i}\n`
    } finally {
      closed = true
    }
  }
  for await (const record of readCsv(endless())) if (record.line === 3) break
  t.ok(closed)
})

t.test('options are checked', async (t) => {
  await t.rejects(parse('a', { delimiter: '"' }), RangeError)
  await t.rejects(parse('a', { delimiter: ',,' }), RangeError)
  await t.rejects(parse('a', { delimiter: '\n' }), RangeError)
  await t.rejects(parse('a', { maxLineBytes: 0 }), RangeError)
})

t.test('memory stays bounded on large inputs', async (t) => {
  async function * statement () {
    for (let i = 1; i <= 200_000; i++) yield `${i},2026-01-05,"张三 ${i}",${i}.50,"学费, 第${i}期"\n`
  }
  let count = 0
  let last: CsvRecord | undefined
  for await (const record of readCsv(statement())) {
    count++
    last = record
  }
  t.equal(count, 200_000)
  t.same(last, { line: 200_000, fields: ['200000', '2026-01-05', '张三 200000', '200000.50', '学费, 第200000期'] })

  // 64 MiB without a newline, from one reused buffer: a reader that buffered it would hold it all
  const block = Buffer.alloc(64 * 1024, 'x')
  let peak = 0
  async function * endlessLine () {
    const before = process.memoryUsage().heapUsed
    for (let i = 0; i < 1024; i++) {
      if (i % 16 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - before)
      yield block
    }
    yield '\nafter\n'
  }
  t.same(await collect(endlessLine()), [{ line: 1, error: 'record longer than 4096 bytes' }, { line: 2, fields: ['after'] }])
  t.ok(peak < 32 * 1024 * 1024, `heap grew by ${Math.round(peak / 1024 / 1024)} MiB while reading 64 MiB`)
})
