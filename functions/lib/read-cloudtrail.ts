import type { Readable } from 'node:stream';
import { parseCloudTrailEvent, parseCloudTrailJson } from '../../shared/cloudtrail/parser.js';
import type { CloudTrailRecord } from '../../shared/cloudtrail/types.js';
import { type ParseError, parseError } from '../../shared/result.js';
import type { RejectCounter } from '../../shared/text/rejects.js';
import { MAX_JSON_DEPTH, readCloudWatchEvents } from './cloudwatch-export.js';
import { openInput } from './input.js';
import { isCloudWatchExportKey, peekFirstJsonKey } from './json-peek.js';

/**
 * Counts kept alongside the records: how many events were read. Events passed over (Insights
 * events, events of other kinds) are counted in `rejects.skipped`, by reason.
 */
export interface CloudTrailReadStats {
  /** Events seen, whatever became of them. */
  events: number;
}

export interface ReadCloudTrailOptions {
  /** Standard input, read when `input` is `-`. @default process.stdin */
  readonly stdin?: Readable;
  /** Receives every rejected event with its line number and coded reason. */
  readonly rejects: RejectCounter;
  /** Updated as the input is read. */
  readonly stats?: CloudTrailReadStats;
  /** Largest single event accepted, in bytes. @default 1 MiB (CloudTrail events are far smaller) */
  readonly maxEventBytes?: number;
}

const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;

/**
 * Streams the S3 data events and network-activity events of one input (a file, or `-`), plain or
 * gzip, as flattened records in batches. Reads CloudTrail log files (`{"Records": [...]}`, any
 * whitespace), one event per line (as CloudWatch Logs holds them), pretty-printed or concatenated
 * events, a JSON array of events, `aws cloudtrail lookup-events` output (`{"Events": [...]}` whose
 * `CloudTrailEvent` holds the event as text), and CloudWatch Logs exports (`aws logs
 * filter-log-events` output, or its event objects one per line) and CloudWatch Logs subscription
 * payloads (Firehose's concatenated DATA_MESSAGE objects, or a Lambda `awslogs` event) whose
 * messages are events. Events are cut out of the byte stream one at a time, so memory stays
 * bounded by the largest event, not the file. Insights events and other events are counted as
 * skipped (`opts.rejects.skip`); malformed ones go to `opts.rejects`.
 *
 * Throws InputReadError (naming the input) when it cannot be read to its end.
 *
 * @example
 * const rejects = new RejectCounter();
 * for await (const batch of readCloudTrailRecords('trail.json.gz', { rejects })) out.push(...batch);
 */
export async function* readCloudTrailRecords(
  input: string,
  opts: ReadCloudTrailOptions,
): AsyncGenerator<CloudTrailRecord[]> {
  const opened = await openInput(input, opts.stdin);
  yield* readCloudTrailChunks(opened.name, opened.chunks, { ...opts, firstByte: opened.firstByte });
}

/**
 * {@link readCloudTrailRecords} over bytes already opened and decompressed (an S3 object), named
 * `name` in reject samples. `firstByte`, the first non-space byte when known, saves a look at the
 * first key of input that is not JSON.
 */
export async function* readCloudTrailChunks(
  name: string,
  source: AsyncIterable<Buffer>,
  opts: Omit<ReadCloudTrailOptions, 'stdin'> & { readonly firstByte?: number },
): AsyncGenerator<CloudTrailRecord[]> {
  const stats = opts.stats ?? { events: 0 };
  const rejects = opts.rejects;
  let batch: CloudTrailRecord[] = [];
  let chunks: AsyncIterable<Buffer> = source;
  if (opts.firstByte === undefined || opts.firstByte === 0x7b || opts.firstByte === 0x5b) {
    const peeked = await peekFirstJsonKey(source);
    chunks = peeked.chunks;
    if (isCloudWatchExportKey(peeked.key)) {
      let eventNo = 0;
      for await (const ev of readCloudWatchEvents(chunks, { source: name, rejects })) {
        eventNo++;
        stats.events++;
        const r = parseCloudTrailJson(ev.message);
        if (!r.ok) rejects.add(name, eventNo, r.error);
        else if (r.value === null) rejects.skip(r.skip);
        else batch.push(r.value);
        if (batch.length >= 4096) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
      return;
    }
  }

  const handle = (value: unknown, line: number, ordinal: number): void => {
    stats.events++;
    const r = parseCloudTrailEvent(value);
    if (!r.ok) rejects.add(name, line, numbered(r.error, ordinal));
    else if (r.value === null) rejects.skip(r.skip);
    else batch.push(r.value);
  };
  const scanner = new JsonEventScanner(opts.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES, {
    onEvent(text, line, ordinal, wrapped) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        stats.events++;
        rejects.add(name, line, numbered(parseError('BAD_JSON', 'not valid JSON'), ordinal));
        return;
      }
      if (wrapped && isObject(value) && typeof value.CloudTrailEvent === 'string') {
        try {
          value = JSON.parse(value.CloudTrailEvent);
        } catch {
          stats.events++;
          rejects.add(
            name,
            line,
            numbered(parseError('BAD_JSON', 'CloudTrailEvent is not valid JSON'), ordinal),
          );
          return;
        }
      }
      handle(value, line, ordinal);
    },
    onReject(error, line, ordinal) {
      stats.events++;
      rejects.add(name, line, numbered(error, ordinal));
    },
  });
  for await (const chunk of chunks) {
    scanner.push(chunk);
    if (batch.length > 0) {
      yield batch;
      batch = [];
    }
  }
  scanner.end();
  if (batch.length > 0) yield batch;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function numbered(error: ParseError, ordinal: number): ParseError {
  return { ...error, message: `event ${ordinal}: ${error.message}` };
}

interface ScannerSink {
  /** One event's JSON text; `wrapped` when it is an element of a lookup-events `Events` array. */
  onEvent(text: string, line: number, ordinal: number, wrapped: boolean): void;
  onReject(error: ParseError, line: number, ordinal: number): void;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LF = 0x0a;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;
const COLON = 0x3a;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

const RECORDS_KEY = Buffer.from('Records');
const EVENTS_KEY = Buffer.from('Events');

/**
 * Cuts events out of a JSON byte stream without parsing the whole document. It tracks nesting and
 * strings byte by byte; an event is a top-level object (one-per-line or concatenated events), an
 * object directly inside a top-level array, or an object directly inside the array under a
 * top-level object's `Records` (or `Events`) key. Each event's bytes are decoded and handed over
 * alone, so a 1 GB log file costs no more memory than its largest event. Text outside any JSON
 * value is rejected line by line.
 */
class JsonEventScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private line = 1;
  private ordinal = 0;
  /** Depth whose direct object children are events: 0 top level, 1 or 2 inside an array, -1 none. */
  private parentDepth = 0;
  /** Whether events are lookup-events wrappers (`Events` key). */
  private wrapped = false;
  /** The event (or top-level object) being cut out: chunk parts and bytes held. */
  private parts: Buffer[] = [];
  private held = 0;
  private capturing = false;
  private discarding = false;
  /** The event being cut out went deeper than MAX_JSON_DEPTH (its bytes are dropped). */
  private tooDeep = false;
  private eventLine = 0;
  /** Key tracking at depth 1 of a top-level object, to spot `"Records": [`. */
  private keyStart = -1;
  private keyParts: Buffer[] = [];
  private lastKey: 'records' | 'events' | 'other' = 'other';
  private afterColon = false;
  /** Skipping stray text until the end of its line. */
  private stray = false;
  private lineStart = true;

  constructor(
    private readonly maxEventBytes: number,
    private readonly sink: ScannerSink,
  ) {}

  push(chunk: Buffer): void {
    let captureFrom = this.capturing ? 0 : -1;
    const len = chunk.length;
    for (let i = 0; i < len; i++) {
      const c = chunk[i]!;
      if (c === LF) {
        this.line++;
        this.stray = false;
        this.lineStart = true;
        continue;
      }
      if (this.lineStart) {
        this.lineStart = false;
        // `{` opening a line while a top-level value is still open: a broken line of one-event-per-
        // line input. JSON strings cannot hold a raw line break, so give up on the open value
        // rather than let it swallow the events that follow.
        if (c === OPEN_OBJ && this.parentDepth === 0 && (this.depth > 0 || this.inString)) {
          this.abandon();
          captureFrom = -1;
        }
      }
      if (this.stray) continue;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) {
          this.inString = false;
          if (this.keyStart !== -1) this.endKey(chunk, i);
        }
        continue;
      }
      if (isSpace(c)) continue;
      const depth = this.depth;
      if (depth === 0 && c !== OPEN_OBJ && c !== OPEN_ARR) {
        this.ordinal++;
        this.sink.onReject(parseError('BAD_JSON', 'text outside any JSON object'), this.line, this.ordinal);
        this.stray = true;
        continue;
      }
      if ((c === OPEN_OBJ || c === OPEN_ARR) && depth === MAX_JSON_DEPTH) this.crossDepthCap();
      switch (c) {
        case QUOTE:
          this.inString = true;
          // A string directly inside a top-level object, not after a colon, is a key.
          if (depth === 1 && this.parentDepth === 0 && !this.afterColon) {
            this.keyStart = i + 1;
            this.keyParts = [];
          }
          break;
        case COLON:
          if (depth === 1) {
            this.afterColon = true;
            continue;
          }
          break;
        case OPEN_ARR:
          if (depth === 0) {
            this.parentDepth = 1;
            this.wrapped = false;
          } else if (depth === 1 && this.afterColon && this.parentDepth === 0 && this.lastKey !== 'other') {
            // `"Records": [` — stop holding the container and cut its elements out one by one.
            this.parentDepth = 2;
            this.wrapped = this.lastKey === 'events';
            this.dropCapture();
            captureFrom = -1;
          }
          this.depth = depth + 1;
          break;
        case OPEN_OBJ:
          if (depth === this.parentDepth) {
            this.startCapture();
            captureFrom = i;
          }
          this.depth = depth + 1;
          break;
        case CLOSE_OBJ:
        case CLOSE_ARR:
          this.depth = depth - 1;
          if (c === CLOSE_OBJ && this.capturing && depth - 1 === this.parentDepth) {
            this.finishCapture(chunk, captureFrom, i + 1);
            captureFrom = -1;
          }
          if (this.depth === 0) {
            this.parentDepth = 0;
            this.wrapped = false;
            this.lastKey = 'other';
          } else if (c === CLOSE_ARR && this.depth === this.parentDepth - 1) {
            // The events array closed inside its container; what follows there is not events.
            this.parentDepth = -1;
          }
          break;
      }
      this.afterColon = false;
    }
    if (this.capturing && captureFrom !== -1) this.hold(chunk, captureFrom, len);
    if (this.keyStart !== -1) {
      this.keyParts.push(Buffer.from(chunk.subarray(this.keyStart, len)));
      this.keyStart = 0;
    }
  }

  /** Reports an event cut off by the end of the input. */
  end(): void {
    if (this.capturing || this.depth > 0) {
      this.ordinal++;
      const line = this.capturing ? this.eventLine : this.line;
      this.sink.onReject(parseError('BAD_JSON', 'input ended inside a JSON value'), line, this.ordinal);
    }
    this.dropCapture();
  }

  private abandon(): void {
    this.ordinal++;
    this.sink.onReject(
      parseError('BAD_JSON', 'JSON value not closed at the end of its line'),
      this.eventLine,
      this.ordinal,
    );
    this.dropCapture();
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.keyStart = -1;
    this.keyParts = [];
    this.lastKey = 'other';
    this.afterColon = false;
  }

  /**
   * Nesting goes past MAX_JSON_DEPTH: the event being cut out is rejected at its end (its bytes
   * are dropped now), or, outside any event, the deep value is rejected once. Depth is a counter
   * here, so reading on costs no memory.
   */
  private crossDepthCap(): void {
    if (this.capturing) {
      this.tooDeep = true;
      this.discarding = true;
      this.parts = [];
      return;
    }
    this.ordinal++;
    this.sink.onReject(
      parseError('TOO_DEEP', `JSON nested deeper than ${MAX_JSON_DEPTH} levels`),
      this.line,
      this.ordinal,
    );
  }

  private endKey(chunk: Buffer, i: number): void {
    const tail = chunk.subarray(this.keyStart, i);
    const key = this.keyParts.length === 0 ? tail : Buffer.concat([...this.keyParts, tail]);
    this.lastKey = key.equals(RECORDS_KEY) ? 'records' : key.equals(EVENTS_KEY) ? 'events' : 'other';
    this.keyStart = -1;
    this.keyParts = [];
  }

  private startCapture(): void {
    this.capturing = true;
    this.discarding = false;
    this.parts = [];
    this.held = 0;
    this.eventLine = this.line;
  }

  private hold(chunk: Buffer, from: number, to: number): void {
    if (this.discarding) return;
    this.held += to - from;
    if (this.held > this.maxEventBytes) {
      this.parts = [];
      this.discarding = true;
      return;
    }
    // Copy: the chunk's memory may be reused once push() returns.
    this.parts.push(Buffer.from(chunk.subarray(from, to)));
  }

  private finishCapture(chunk: Buffer, from: number, to: number): void {
    this.hold(chunk, from === -1 ? 0 : from, to);
    this.ordinal++;
    if (this.tooDeep) {
      this.sink.onReject(
        parseError('TOO_DEEP', `event nested deeper than ${MAX_JSON_DEPTH} levels`),
        this.eventLine,
        this.ordinal,
      );
    } else if (this.discarding) {
      this.sink.onReject(
        parseError('LINE_TOO_LONG', `event is longer than ${this.maxEventBytes} bytes`),
        this.eventLine,
        this.ordinal,
      );
    } else {
      const bytes = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
      this.sink.onEvent(bytes.toString('utf8'), this.eventLine, this.ordinal, this.wrapped);
    }
    this.dropCapture();
  }

  private dropCapture(): void {
    this.capturing = false;
    this.discarding = false;
    this.tooDeep = false;
    this.parts = [];
    this.held = 0;
  }
}
