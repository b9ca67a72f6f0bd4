import { type FileHandle, open } from 'node:fs/promises';
import {
  type FlowFormat,
  FlowLogStreamParser,
  type FlowStreamOptions,
} from '../../shared/flow-logs/index.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import type { RejectCounter } from '../../shared/text/rejects.js';
import { InputReadError } from './input.js';

/**
 * Bytes `[start, end)` of a plain-text flow-log file, starting at the beginning of a line and
 * ending after a newline (or at the end of the file): a piece one thread reads of a file that
 * several threads share.
 */
export interface FlowByteRange {
  readonly start: number;
  readonly end: number;
}

export interface FlowRangeOptions {
  /** A format given by the user: wins over header lines, as for a whole file. */
  readonly format?: FlowFormat;
  /** The format in force where the range starts (a header line before it); a header in it still switches. */
  readonly startFormat?: FlowFormat;
  readonly rejects: RejectCounter;
  /** Validate only, build no records. */
  readonly countOnly?: boolean;
  /** Build records with only these keys; every field is still checked. */
  readonly fields?: readonly string[];
  /** As FlowStreamOptions.onLine and lineFields: lines offered in place before any record is built. */
  readonly onLine?: FlowStreamOptions['onLine'];
  readonly lineFields?: readonly string[];
  /** Receives the records every 64 KiB of input (not called in countOnly mode). */
  readonly onBatch?: (records: FlowRecord[]) => void;
}

/** What a range held: its valid records, its lines (for the line numbers after it), the format at its end. */
export interface FlowRangeResult {
  readonly records: number;
  readonly lines: number;
  readonly format: FlowFormat;
}

/** 1 MiB reads into two buffers taking turns, as whole plain files are read (functions/lib/input.ts). */
const READ_BYTES = 1024 * 1024;
/** Records are handed out every 64 KiB of input, as whole files are (functions/lib/read-flow.ts). */
const BATCH_BYTES = 64 * 1024;

/** The read buffers of this thread, reused from range to range; null while a range holds them. */
let spare: [Buffer, Buffer] | null = null;

/**
 * Parses the lines of a byte range of a plain (not gzip) flow-log file, as the stream parser
 * parses a whole file but with line numbers counted from the range's first line: reject samples
 * carry those, and the caller adds the lines of the ranges before. An unreadable file, or one
 * shorter than the range, throws InputReadError naming it.
 */
export async function parseFlowRange(
  file: string,
  range: FlowByteRange,
  opts: FlowRangeOptions,
): Promise<FlowRangeResult> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw new InputReadError(file, (e as Error).message);
  }
  const batch: FlowRecord[] = [];
  const onBatch = opts.onBatch;
  const parser = new FlowLogStreamParser({
    source: file,
    rejects: opts.rejects,
    ...(opts.format ? { format: opts.format } : {}),
    ...(opts.startFormat ? { startFormat: opts.startFormat } : {}),
    ...(opts.fields ? { fields: opts.fields } : {}),
    ...(opts.onLine ? { onLine: opts.onLine } : {}),
    ...(opts.lineFields ? { lineFields: opts.lineFields } : {}),
    ...(opts.countOnly ? { countOnly: true } : { onRecord: (r: FlowRecord) => batch.push(r) }),
  });
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
      // The next read fills the other buffer while this one is parsed.
      pending = pos < range.end ? readAt(other) : null;
      const chunk = cur.subarray(0, n);
      // Counting builds nothing to hand out: the whole read at once, as whole files are counted.
      const step = onBatch === undefined ? n : BATCH_BYTES;
      for (let i = 0; i < n; i += step) {
        parser.push(chunk.subarray(i, Math.min(n, i + step)));
        if (onBatch !== undefined && batch.length > 0) onBatch(batch.splice(0, batch.length));
      }
      [cur, other] = [other, cur];
    }
    parser.end();
    if (onBatch !== undefined && batch.length > 0) onBatch(batch.splice(0, batch.length));
  } finally {
    // Never close the file, or reuse a buffer, with a read still in flight into it.
    await (pending as Promise<unknown> | null)?.catch(() => undefined);
    await fh.close().catch(() => undefined);
    spare = bufs;
  }
  return { records: parser.records, lines: parser.lineCount, format: parser.format };
}
