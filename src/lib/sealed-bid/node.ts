/** Node adapters for the sealed-bid format: files as byte sources and sinks, bounded memory. */
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import type { FileSink } from './open.ts'

export async function * fileSource (file: string, chunkBytes = 1024 * 1024): AsyncGenerator<Uint8Array> {
  for await (const piece of createReadStream(file, { highWaterMark: chunkBytes })) yield piece as Buffer
}

/** Writes an opened bid's files below `directory` (names are already checked to be safe relative paths). */
export function directorySink (directory: string) {
  return async (file: { name: string }): Promise<FileSink> => {
    const target = path.join(directory, file.name)
    await mkdir(path.dirname(target), { recursive: true })
    const stream = createWriteStream(target)
    return {
      write: (piece) => new Promise<void>((resolve, reject) => {
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
}
