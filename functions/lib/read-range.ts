import { type FileHandle, open } from 'node:fs/promises';
import { InputReadError } from './input-error.js';

/**
 * Bytes `[start, end)` of a plain-text file, starting at the beginning of a line and ending after
 * a newline (or at the end of the file): a piece one thread reads of a file that several threads
 * share.
 */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** 1 MiB reads into two buffers taking turns, as whole plain files are read (functions/lib/input.ts). */
const READ_BYTES = 1024 * 1024;

/** The read buffers of this thread, reused from range to range; null while a range holds them. */
let spare: [Buffer, Buffer] | null = null;

/**
 * Reads `range` of `file` and hands each read to `onChunk` in order; a chunk's memory is reused
 * once `onChunk` returns, or once the promise it returns settles (the next read fills the other
 * buffer meanwhile: a consumer that is behind holds the reading back). An unreadable
 * file, or one shorter than the range, throws InputReadError naming it.
 */
export async function readFileRange(
  file: string,
  range: ByteRange,
  onChunk: (chunk: Buffer) => unknown,
): Promise<void> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw new InputReadError(file, (e as Error).message);
  }
  const bufs = spare ?? [Buffer.allocUnsafeSlow(READ_BYTES), Buffer.allocUnsafeSlow(READ_BYTES)];
  spare = null;
  let [cur, other] = bufs;
  let pos = range.start;
  const readAt = (into: Buffer) => fh.read(into, 0, Math.min(READ_BYTES, range.end - pos), pos);
  let pending = pos < range.end ? readAt(cur) : null;
  try {
    while (pending !== null) {
      const n = await pending.then(
        (r) => r.bytesRead,
        (e: Error) => {
          pending = null;
          throw new InputReadError(file, e.message);
        },
      );
      if (n === 0)
        throw new InputReadError(file, 'ended before the range being read (it changed while read)');
      pos += n;
      // The next read fills the other buffer while this one is handed out.
      pending = pos < range.end ? readAt(other) : null;
      const wait = onChunk(cur.subarray(0, n));
      if (wait instanceof Promise) await wait;
      [cur, other] = [other, cur];
    }
  } finally {
    // Never close the file, or reuse a buffer, with a read still in flight into it.
    await (pending as Promise<unknown> | null)?.catch(() => undefined);
    await fh.close().catch(() => undefined);
    spare = bufs;
  }
}
