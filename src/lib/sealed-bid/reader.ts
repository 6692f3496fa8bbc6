/** Reads exact byte counts from an async iterable of arbitrarily sized pieces (a network or file stream). */
export class ByteReader {
  private readonly iterator: AsyncIterator<Uint8Array>
  private pieces: Uint8Array[] = []
  private buffered = 0
  private done = false
  consumed = 0

  constructor (source: AsyncIterable<Uint8Array>) {
    this.iterator = source[Symbol.asyncIterator]()
  }

  private async fill (wanted: number): Promise<void> {
    while (this.buffered < wanted && !this.done) {
      const next = await this.iterator.next()
      if (next.done) {
        this.done = true
        break
      }
      if (next.value.length === 0) continue
      this.pieces.push(next.value)
      this.buffered += next.value.length
    }
  }

  /** Exactly `length` bytes, or null when the stream ends first. */
  async read (length: number): Promise<Uint8Array | null> {
    await this.fill(length)
    if (this.buffered < length) return null
    let out: Uint8Array
    const first = this.pieces[0]!
    if (first.length >= length) {
      out = first.subarray(0, length)
      if (first.length === length) this.pieces.shift()
      else this.pieces[0] = first.subarray(length)
    } else {
      out = new Uint8Array(length)
      let offset = 0
      while (offset < length) {
        const piece = this.pieces[0]!
        const take = Math.min(piece.length, length - offset)
        out.set(piece.subarray(0, take), offset)
        offset += take
        if (take === piece.length) this.pieces.shift()
        else this.pieces[0] = piece.subarray(take)
      }
    }
    this.buffered -= length
    this.consumed += length
    return out
  }

  /** Up to `length` bytes (fewer only at the end of the stream). */
  async readUpTo (length: number): Promise<Uint8Array> {
    await this.fill(length)
    return (await this.read(Math.min(length, this.buffered))) ?? new Uint8Array()
  }

  /** True when no byte is left. */
  async atEnd (): Promise<boolean> {
    await this.fill(1)
    return this.buffered === 0
  }

  /** Gives up on the rest of the source (lets a file or socket close). */
  async cancel (): Promise<void> {
    await this.iterator.return?.()
  }
}
