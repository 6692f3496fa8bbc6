/** Node adapters for the sealed-bid format: files as byte sources and sinks, bounded memory. */
import { randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import { mkdir, rename, rm, rmdir } from 'node:fs/promises'
import path from 'node:path'
import { openBid, type FileSink, type OpenedBid, type OpenInput } from './open.ts'

export async function * fileSource (file: string, chunkBytes = 1024 * 1024): AsyncGenerator<Uint8Array> {
  for await (const piece of createReadStream(file, { highWaterMark: chunkBytes })) yield piece as Buffer
}

/** A write stream as a sink: waits for drain (bounded memory) and reports a failed write or open. */
function streamSink (stream: WriteStream): FileSink {
  // kept from the start: an error before the first write (the open) must reject, not crash
  let failure: Error | null = null
  stream.on('error', (error) => { failure = error })
  return {
    write: (piece) => new Promise<void>((resolve, reject) => {
      if (failure) {
        reject(failure)
        return
      }
      if (stream.write(piece)) {
        resolve()
        return
      }
      const onError = (error: Error) => { stream.off('drain', onDrain); reject(error) }
      const onDrain = () => { stream.off('error', onError); resolve() }
      stream.once('drain', onDrain).once('error', onError)
    }),
    close: () => new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())))
  }
}

/**
 * Writes an opened bid's files below `directory` as they are decrypted (names are already checked
 * to be safe relative paths). What it wrote stays if the package fails later: for a scratch
 * directory only; a person's output goes through openBidToDirectory.
 */
export function directorySink (directory: string) {
  return async (file: { name: string }): Promise<FileSink> => {
    const target = path.join(directory, file.name)
    await mkdir(path.dirname(target), { recursive: true })
    return streamSink(createWriteStream(target))
  }
}

/**
 * Opens a bid into `directory`, all or nothing. Each file is decrypted into a temporary file
 * beside its destination (same directory, so the move is a rename) and moved into place only
 * once openBid has verified the whole package: every chunk's tag, each file against the
 * manifest's SHA-256, the commitment and the inner signature. A package that fails at a later
 * chunk leaves no partial or unverified file, and no directory this call made.
 */
export async function openBidToDirectory (input: Omit<OpenInput, 'onFile'> & { directory: string }): Promise<OpenedBid> {
  const { directory, ...open } = input
  const staged: Array<{ temporary: string, target: string, stream: WriteStream, moved: boolean }> = []
  const created: string[] = []
  try {
    const opened = await openBid({
      ...open,
      onFile: async (file) => {
        const target = path.join(directory, file.name)
        const parent = path.dirname(target)
        const first = await mkdir(parent, { recursive: true })
        // mkdir names the outermost directory it made; the ones below it, down to parent, are new too
        if (first) for (let made = parent; made.length >= first.length; made = path.dirname(made)) created.push(made)
        const temporary = path.join(parent, `.${path.basename(target)}.${randomUUID()}.partial`)
        // 'wx': a temporary name never takes over a file that is already there
        const stream = createWriteStream(temporary, { flags: 'wx' })
        staged.push({ temporary, target, stream, moved: false })
        return streamSink(stream)
      }
    })
    for (const file of staged) {
      await rename(file.temporary, file.target)
      file.moved = true
    }
    return opened
  } catch (error) {
    await discard(staged, created)
    throw error
  }
}

async function discard (staged: Array<{ temporary: string, target: string, stream: WriteStream, moved: boolean }>, created: string[]) {
  for (const file of staged) {
    if (!file.stream.closed) {
      // close before removing: a pending open would otherwise create the file after the removal
      const closed = new Promise<void>((resolve) => file.stream.once('close', () => resolve()))
      file.stream.destroy()
      await closed
    }
    // a move that happened before a later one failed is undone too: all or nothing
    await rm(file.moved ? file.target : file.temporary, { force: true })
  }
  for (const made of [...new Set(created)].sort((a, b) => b.length - a.length)) {
    await rmdir(made).catch(() => {}) // not empty: something else is in it now, and it stays
  }
}
