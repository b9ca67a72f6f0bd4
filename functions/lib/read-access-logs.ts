import type { Readable } from 'node:stream';
import { parseCloudWatchAccessLogJson } from '../../shared/access-logs/cloudwatch.js';
import { AccessLogRecordCounter } from '../../shared/access-logs/counter.js';
import {
  AccessLogLineParser,
  DEFAULT_MAX_ACCESS_LOG_LINE_BYTES,
  parseAccessLogString,
} from '../../shared/access-logs/parser.js';
import { redactAccessLogRecord } from '../../shared/access-logs/redact.js';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import { ok, type ParseError, parseError, type Result } from '../../shared/result.js';
import { LineSplitter } from '../../shared/text/line-splitter.js';
import type { RejectCounter } from '../../shared/text/rejects.js';
import { readCloudWatchEvents } from './cloudwatch-export.js';
import { type OpenedInput, openInput } from './input.js';
import { isCloudWatchExportKey, peekFirstJsonKey } from './json-peek.js';

export interface ReadAccessLogOptions {
  /** Standard input, read when `input` is `-`. @default process.stdin */
  readonly stdin?: Readable;
  /** Receives every rejected line with its line number and coded reason. */
  readonly rejects: RejectCounter;
  /** Longest line accepted, in bytes. @default 65536 */
  readonly maxLineBytes?: number;
  /**
   * Records for output: presigned-URL secrets removed from every string field as lines are
   * read, one check per line for a line with nothing to remove. @default false
   */
  readonly redact?: boolean;
}

const OPEN_BRACE = 0x7b;

/**
 * Streams the S3 server access log records of one input (a file, or `-` for standard input),
 * plain or gzip, in batches (one per chunk read), with constant memory. Bad lines go to
 * `opts.rejects` and reading goes on; blank lines are skipped.
 *
 * When the first non-space byte is `{`, the input is CloudWatch Logs JSON: either the records S3
 * delivers to CloudWatch Logs, one JSON object per line (a line that does not start with `{` is
 * read as a text-format line), or a CloudWatch Logs export (`aws logs filter-log-events` output, or
 * its event objects one per line) or subscription payloads (Firehose's concatenated DATA_MESSAGE
 * objects, a Lambda `awslogs` event) whose messages are such JSON records or text-format lines; in
 * an export, reject line numbers count events.
 *
 * Throws InputReadError (naming the input) when it cannot be read to its end, for example a
 * missing file or truncated gzip.
 *
 * @example
 * const rejects = new RejectCounter();
 * for await (const batch of readAccessLogRecords('logs/2026-01-15-10-00-00-ABCDEF', { rejects })) {
 *   for (const r of batch) console.log(r.remoteIp);
 * }
 */
export async function* readAccessLogRecords(
  input: string,
  opts: ReadAccessLogOptions,
): AsyncGenerator<AccessLogRecord[]> {
  yield* readOpened(await openInput(input, opts.stdin), opts);
}

/**
 * {@link readAccessLogRecords} over bytes already opened and decompressed (an S3 object), given
 * its name for reject samples and its first non-space byte (`sniffFirstByte`).
 */
export async function* readAccessLogChunks(
  opened: Pick<OpenedInput, 'name' | 'firstByte' | 'chunks'>,
  opts: Omit<ReadAccessLogOptions, 'stdin'>,
): AsyncGenerator<AccessLogRecord[]> {
  yield* readOpened(opened, opts);
}

async function* readOpened(
  opened: Pick<OpenedInput, 'name' | 'firstByte' | 'chunks'>,
  opts: Omit<ReadAccessLogOptions, 'stdin'>,
): AsyncGenerator<AccessLogRecord[]> {
  const name = opened.name;
  const rejects = opts.rejects;
  const maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_ACCESS_LOG_LINE_BYTES;
  const parser = new AccessLogLineParser({ maxLineBytes });
  const redact = opts.redact === true;
  let json = false;
  let chunks: AsyncIterable<Buffer> = opened.chunks;
  if (opened.firstByte === OPEN_BRACE) {
    json = true;
    const peeked = await peekFirstJsonKey(opened.chunks);
    chunks = peeked.chunks;
    if (isCloudWatchExportKey(peeked.key)) {
      yield* readExport(name, chunks, rejects, maxLineBytes, redact);
      return;
    }
  }
  let batch: AccessLogRecord[] = [];

  const onLine = (buf: Uint8Array, start: number, end: number, lineNo: number): void => {
    if (isBlank(buf, start, end)) return;
    let r: Result<AccessLogRecord>;
    if (json && firstNonBlank(buf, start) === OPEN_BRACE) {
      r = parseCloudWatchAccessLogJson(
        Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8', start, end),
      );
      if (redact && r.ok) r = ok(redactAccessLogRecord(r.value));
    } else {
      r = redact ? parser.parseRedacted(buf, start, end) : parser.parse(buf, start, end);
    }
    if (r.ok) batch.push(r.value);
    else rejects.add(name, lineNo, r.error);
  };
  const splitter = new LineSplitter(onLine, {
    maxLineBytes,
    onTooLong: (lineNo, bytes) => rejects.add(name, lineNo, tooLong(bytes, maxLineBytes)),
  });
  for await (const chunk of chunks) {
    splitter.push(chunk);
    if (batch.length > 0) {
      yield batch;
      batch = [];
    }
  }
  splitter.end();
  if (batch.length > 0) yield batch;
}

/** Records from the messages of a CloudWatch Logs export, one batch per 4096 records. */
async function* readExport(
  name: string,
  chunks: AsyncIterable<Buffer>,
  rejects: RejectCounter,
  maxLineBytes: number,
  redact: boolean,
): AsyncGenerator<AccessLogRecord[]> {
  let batch: AccessLogRecord[] = [];
  let eventNo = 0;
  for await (const ev of readCloudWatchEvents(chunks, { source: name, rejects })) {
    eventNo++;
    const message = ev.message.trim();
    if (message === '') continue;
    const r =
      message.charCodeAt(0) === OPEN_BRACE
        ? parseCloudWatchAccessLogJson(message)
        : parseAccessLogString(message, { maxLineBytes });
    if (r.ok) batch.push(redact ? redactAccessLogRecord(r.value) : r.value);
    else rejects.add(name, eventNo, r.error);
    if (batch.length >= 4096) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * Counts the records of one input without building them (the `--count` path): every line is
 * checked exactly as {@link readAccessLogRecords} parses it, with the same rejects, but no field
 * is copied out and nothing is redacted (nothing is output; reject messages never quote a value).
 * CloudWatch Logs JSON input is parsed in full.
 *
 * @example
 * const n = await countAccessLogRecords('access.log.gz', { rejects });
 */
export async function countAccessLogRecords(input: string, opts: ReadAccessLogOptions): Promise<number> {
  // The counter copies what it keeps of a chunk (a line cut by the chunk's end), so a plain file
  // is read into two buffers that take turns.
  const opened = await openInput(input, opts.stdin, { reuseBuffers: true });
  if (opened.firstByte === OPEN_BRACE) {
    // The JSON readers may hold a chunk while the next is read: give them their own copies.
    const own = { ...opened, chunks: copied(opened.chunks) };
    let n = 0;
    for await (const batch of readOpened(own, opts)) n += batch.length;
    return n;
  }
  const name = opened.name;
  const rejects = opts.rejects;
  const counter = new AccessLogRecordCounter({
    ...(opts.maxLineBytes !== undefined ? { maxLineBytes: opts.maxLineBytes } : {}),
    onReject: (lineNo, error) => rejects.add(name, lineNo, error),
  });
  for await (const chunk of opened.chunks) counter.push(chunk);
  counter.end();
  return counter.records;
}

async function* copied(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) yield Buffer.from(chunk);
}

function firstNonBlank(buf: Uint8Array, start: number): number | undefined {
  let s = start;
  while (buf[s] === 0x20 || buf[s] === 0x09) s++;
  return buf[s];
}

function isBlank(buf: Uint8Array, start: number, end: number): boolean {
  let s = start;
  while (s < end && (buf[s] === 0x20 || buf[s] === 0x09)) s++;
  return s === end;
}

function tooLong(bytes: number, max: number): ParseError {
  return parseError('LINE_TOO_LONG', `line is ${bytes} bytes, longer than ${max}`);
}
