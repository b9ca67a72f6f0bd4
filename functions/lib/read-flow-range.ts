import {
  type FlowFormat,
  FlowLogStreamParser,
  type FlowStreamOptions,
} from '../../shared/flow-logs/index.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import type { RejectCounter } from '../../shared/text/rejects.js';
import { type ByteRange, readFileRange } from './read-range.js';

/** A byte range of a plain-text flow-log file (see ByteRange). */
export type FlowByteRange = ByteRange;

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
  /**
   * Receives each record as it is parsed, in line order with what `onLine` takes (instead of
   * `onBatch`): for output that must keep the order of the lines.
   */
  readonly onRecord?: (record: FlowRecord) => void;
  /** As FlowStreamOptions.onLineRender and onRegion. */
  readonly onLineRender?: FlowStreamOptions['onLineRender'];
  readonly onRegion?: FlowStreamOptions['onRegion'];
  /** Called after each read's lines; a promise returned holds the next read back (output backpressure). */
  readonly onRead?: () => Promise<void> | undefined;
}

/** What a range held: its valid records, its lines (for the line numbers after it), the format at its end. */
export interface FlowRangeResult {
  readonly records: number;
  readonly lines: number;
  readonly format: FlowFormat;
}

/** Records are handed out every 64 KiB of input, as whole files are (functions/lib/read-flow.ts). */
const BATCH_BYTES = 64 * 1024;

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
    ...(opts.onLineRender ? { onLineRender: opts.onLineRender } : {}),
    ...(opts.onRegion ? { onRegion: opts.onRegion } : {}),
    ...(opts.countOnly
      ? { countOnly: true }
      : { onRecord: opts.onRecord ?? ((r: FlowRecord) => batch.push(r)) }),
  });
  // Counting builds nothing to hand out: the whole read at once, as whole files are counted.
  const step = onBatch === undefined ? Number.POSITIVE_INFINITY : BATCH_BYTES;
  await readFileRange(file, range, (chunk) => {
    const n = chunk.length;
    for (let i = 0; i < n; i += step) {
      parser.push(chunk.subarray(i, Math.min(n, i + step)));
      if (onBatch !== undefined && batch.length > 0) onBatch(batch.splice(0, batch.length));
    }
    return opts.onRead?.();
  });
  parser.end();
  if (onBatch !== undefined && batch.length > 0) onBatch(batch.splice(0, batch.length));
  return { records: parser.records, lines: parser.lineCount, format: parser.format };
}
