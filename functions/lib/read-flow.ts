import type { Readable } from 'node:stream';
import { UserInputError } from '../../shared/errors.js';
import { type FlowFormat, FlowLogStreamParser, parseFlowFormat } from '../../shared/flow-logs/index.js';
import type { FlowParquetReader } from '../../shared/flow-logs/parquet.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import type { RejectCounter } from '../../shared/text/rejects.js';
import { readCloudWatchEvents } from './cloudwatch-export.js';
import {
  collectParquetBytes,
  FLOW_PARQUET_CODECS,
  openParquetFile,
  ParquetTooLargeError,
} from './flow-parquet.js';
import { InputReadError, type OpenedInput, openInput } from './input.js';

export interface ReadFlowOptions {
  /** A format (`${a} ${b}` or plain names) that wins over a header line. */
  readonly format?: string | FlowFormat;
  /** Standard input, read when `input` is `-`. @default process.stdin */
  readonly stdin?: Readable;
  readonly rejects: RejectCounter;
  readonly maxLineBytes?: number;
  /**
   * Build records with only these keys (`srcaddr`, `trafficPath`, …); every field is still
   * checked. Building the 10 fields classification reads instead of all 29 of v5 took 0.84 CPU
   * seconds against 1.03 for 2M records. Default: every field of the format.
   */
  readonly fields?: readonly string[];
}

const OPEN_BRACE = 0x7b;
/** `P`, the first byte of a Parquet file (`PAR1`); no text flow log starts with it. */
const LETTER_P = 0x50;
const BATCH_BYTES = 64 * 1024;

/** Resolves a user-given format, throwing a UserInputError (exit 2) when it is malformed. */
export function resolveFlowFormat(format: string | FlowFormat | undefined): FlowFormat | undefined {
  if (format === undefined || typeof format !== 'string') return format;
  const f = parseFlowFormat(format);
  if (!f.ok) throw new UserInputError('BAD_FLOW_FORMAT', `--format: ${f.error.message}`);
  return f.value;
}

function* drain(batch: FlowRecord[]): Generator<FlowRecord[]> {
  if (batch.length > 0) yield batch.splice(0, batch.length);
}

/** True when an input is to be read as Parquet: its first byte says so, or its name does. */
function isParquetInput(opened: OpenedInput): boolean {
  if (opened.firstByte === LETTER_P) return true;
  if (/\.parquet$/i.test(opened.name))
    throw new InputReadError(
      opened.name,
      'named .parquet but not a Parquet file (it does not start with PAR1)',
    );
  return false;
}

/**
 * The records of a Parquet input (detected by its `PAR1` magic): read whole (the footer is at the
 * end), then decoded row group by row group. The columns name the fields, so a `--format` does not
 * apply. A damaged file throws InputReadError after the records before the damage, as a truncated
 * gzip does; bad rows go to `rejects`.
 */
async function* readParquetInput(
  opened: OpenedInput,
  opts: ReadFlowOptions,
  countOnly: boolean,
): AsyncGenerator<FlowRecord[], number> {
  // hyparquet loads here, for Parquet inputs only: text inputs (and the CLI's start) skip its
  // 68 modules, about 40 ms of CPU.
  const { FlowParquetReader, hasParquetMagic } = await import('../../shared/flow-logs/parquet.js');
  const onDisk = await openParquetOnDisk(opened);
  if (onDisk !== null) {
    try {
      return yield* decodeParquet(
        new FlowParquetReader(onDisk.bytes, parquetOptions(opened, opts, countOnly)),
        opened,
      );
    } finally {
      await onDisk.close();
    }
  }
  let bytes: Buffer;
  try {
    bytes = await collectParquetBytes(opened.chunks);
  } catch (e) {
    if (e instanceof ParquetTooLargeError) throw new InputReadError(opened.name, e.message);
    throw e;
  }
  if (!hasParquetMagic(bytes)) {
    // A text input that merely starts with `P`: parse it as text (it is already in memory).
    const batch: FlowRecord[] = [];
    const parser = new FlowLogStreamParser({
      source: opened.name,
      rejects: opts.rejects,
      countOnly,
      ...(opts.fields ? { fields: opts.fields } : {}),
      onRecord: (r) => batch.push(r),
    });
    parser.push(bytes);
    parser.end();
    yield* drain(batch);
    return parser.records;
  }
  return yield* decodeParquet(new FlowParquetReader(bytes, parquetOptions(opened, opts, countOnly)), opened);
}

function parquetOptions(opened: OpenedInput, opts: ReadFlowOptions, countOnly: boolean) {
  return {
    source: opened.name,
    rejects: opts.rejects,
    compressors: FLOW_PARQUET_CODECS,
    countOnly,
    ...(opts.fields ? { fields: opts.fields } : {}),
  };
}

/** A plain Parquet file on disk, opened for ranged reads (the input's own stream is closed), or null. */
async function openParquetOnDisk(opened: OpenedInput) {
  if (opened.name === '-' || opened.encoding !== 'plain') return null;
  let file: Awaited<ReturnType<typeof openParquetFile>>;
  try {
    file = await openParquetFile(opened.name);
  } catch {
    return null; // read as a stream, which reports what is wrong
  }
  if (file !== null) await (opened.chunks as AsyncGenerator<Buffer>).return?.(undefined);
  return file;
}

async function* decodeParquet(
  reader: FlowParquetReader,
  opened: OpenedInput,
): AsyncGenerator<FlowRecord[], number> {
  yield* reader.batches();
  if (reader.failure)
    throw new InputReadError(
      opened.name,
      `${reader.failure.row > 0 ? `row ${reader.failure.row}: ` : ''}${reader.failure.error.message}`,
    );
  return reader.records;
}

/**
 * Streams the flow-log records of one input (a file or `-`), plain or gzip, text, Parquet (by its
 * `PAR1` magic) or a CloudWatch Logs export (`filter-log-events` JSON or NDJSON events, detected
 * by a leading `{`), in batches; text with constant memory. Bad lines go to `rejects`; an
 * unreadable or truncated input throws InputReadError naming it.
 */
export async function* readFlowRecords(input: string, opts: ReadFlowOptions): AsyncGenerator<FlowRecord[]> {
  const format = resolveFlowFormat(opts.format);
  // The parser copies what it keeps of a chunk (a line cut by the chunk end), so buffers can be reused.
  const opened = await openInput(input, opts.stdin, { reuseBuffers: true });
  if (isParquetInput(opened)) {
    yield* readParquetInput(opened, opts, false);
    return;
  }
  const batch: FlowRecord[] = [];
  const parser = new FlowLogStreamParser({
    ...(format ? { format } : {}),
    source: opened.name,
    rejects: opts.rejects,
    ...(opts.maxLineBytes ? { maxLineBytes: opts.maxLineBytes } : {}),
    ...(opts.fields ? { fields: opts.fields } : {}),
    onRecord: (r) => batch.push(r),
  });
  if (opened.firstByte === OPEN_BRACE) {
    for await (const ev of readCloudWatchEvents(opened.chunks, {
      source: opened.name,
      rejects: opts.rejects,
    })) {
      parser.pushLine(ev.message);
      if (batch.length >= 4096) yield* drain(batch);
    }
  } else {
    for await (const chunk of opened.chunks) {
      // Hand records out every 64 KiB of input (about 260 v5 records), not once per 1 MiB read:
      // a batch that outlives a young-generation GC gets copied and promoted. Building 2M
      // records from a file took 1.8-1.9 CPU seconds in 1 MiB batches, 1.3 in 256 KiB, 1.22 in
      // 64 KiB and 1.2 in 16 KiB batches.
      for (let i = 0; i < chunk.length; i += BATCH_BYTES) {
        parser.push(chunk.subarray(i, Math.min(chunk.length, i + BATCH_BYTES)));
        yield* drain(batch);
      }
    }
    parser.end();
  }
  yield* drain(batch);
}

/**
 * Where {@link pipeFlowRecords} delivers an input's records, in input order: lines the compiled
 * fast path accepted are offered to `line` first, in place, and reach `record` only when it
 * declines (see FlowStreamOptions.onLine); every other record goes to `record`.
 */
export interface FlowRecordSink {
  readonly line: (
    b: Buffer,
    start: number,
    end: number,
    format: FlowFormat,
    spans: Int32Array | null,
  ) => boolean;
  /** Checks and consumes a line in one pass before the parser checks it (FlowStreamOptions.onLineRender). */
  readonly render?: (b: Buffer, start: number, format: FlowFormat, maxBytes: number) => number;
  /** Keys whose places `line` receives in `spans` (FlowStreamOptions.lineFields). */
  readonly lineFields?: readonly string[];
  /** Told of each region of input before its lines are offered to `line` (FlowStreamOptions.onRegion). */
  readonly region: (b: Buffer, from: number, to: number) => void;
  readonly record: (r: FlowRecord) => void;
  /** Called after each piece of input; a promise returned is awaited (output backpressure). */
  readonly flush: () => Promise<void> | undefined;
}

/**
 * Streams the records of one input into `sink` (inputs as {@link readFlowRecords} reads them)
 * and returns how many there were. For output that needs no record object: `parse flow` writes
 * NDJSON straight from the line bytes.
 */
export async function pipeFlowRecords(
  input: string,
  opts: ReadFlowOptions,
  sink: FlowRecordSink,
): Promise<number> {
  const format = resolveFlowFormat(opts.format);
  // The parser copies what it keeps of a chunk (a line cut by the chunk end), so buffers can be reused.
  const opened = await openInput(input, opts.stdin, { reuseBuffers: true });
  if (isParquetInput(opened)) {
    const it = readParquetInput(opened, opts, false);
    for (;;) {
      const r = await it.next();
      if (r.done) return r.value;
      for (const rec of r.value) sink.record(rec);
      await sink.flush();
    }
  }
  const parser = new FlowLogStreamParser({
    ...(format ? { format } : {}),
    source: opened.name,
    rejects: opts.rejects,
    ...(opts.maxLineBytes ? { maxLineBytes: opts.maxLineBytes } : {}),
    onRecord: sink.record,
    onLine: sink.line,
    ...(sink.render ? { onLineRender: sink.render } : {}),
    ...(sink.lineFields ? { lineFields: sink.lineFields } : {}),
    onRegion: sink.region,
  });
  if (opened.firstByte === OPEN_BRACE) {
    for await (const ev of readCloudWatchEvents(opened.chunks, {
      source: opened.name,
      rejects: opts.rejects,
    })) {
      parser.pushLine(ev.message);
      await sink.flush();
    }
  } else {
    for await (const chunk of opened.chunks) {
      parser.push(chunk);
      await sink.flush();
    }
    parser.end();
  }
  await sink.flush();
  return parser.records;
}

/** Counts valid records without building them (the `--count` path). */
export async function countFlowRecords(input: string, opts: ReadFlowOptions): Promise<number> {
  const format = resolveFlowFormat(opts.format);
  // The parser copies what it keeps of a chunk (a line cut by the chunk end), so buffers can be reused.
  const opened = await openInput(input, opts.stdin, { reuseBuffers: true });
  if (isParquetInput(opened)) {
    const it = readParquetInput(opened, opts, true);
    for (;;) {
      const r = await it.next();
      if (r.done) return r.value;
    }
  }
  const parser = new FlowLogStreamParser({
    ...(format ? { format } : {}),
    source: opened.name,
    rejects: opts.rejects,
    countOnly: true,
    ...(opts.maxLineBytes ? { maxLineBytes: opts.maxLineBytes } : {}),
  });
  if (opened.firstByte === OPEN_BRACE) {
    for await (const ev of readCloudWatchEvents(opened.chunks, {
      source: opened.name,
      rejects: opts.rejects,
    })) {
      parser.pushLine(ev.message);
    }
  } else {
    for await (const chunk of opened.chunks) parser.push(chunk);
    parser.end();
  }
  return parser.records;
}
