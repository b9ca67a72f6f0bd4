import { gunzipSync } from 'node:zlib';
import { type ParseError, parseError } from '../../shared/result.js';
import type { RejectCounter } from '../../shared/text/rejects.js';

/** One CloudWatch Logs event as exported: its message is one log record. */
export interface CloudWatchEvent {
  message: string;
  timestamp: number | null;
  logStreamName: string | null;
}

export interface CloudWatchReadOptions {
  /** Input name for reject samples. */
  readonly source: string;
  readonly rejects: RejectCounter;
  /** Largest single event object accepted, bytes. @default 1 MiB */
  readonly maxEventBytes?: number;
}

/**
 * Largest Lambda subscription event (`{"awslogs":{"data":…}}`) read: 6 MiB is Lambda's largest
 * invocation payload, so no event CloudWatch Logs sends a function is larger.
 */
export const MAX_AWSLOGS_EVENT_BYTES = 6 * 1024 * 1024;

/**
 * Largest decoded `awslogs.data`. A subscription batch holds at most 1 MiB of log events (the
 * PutLogEvents batch limit) plus its JSON framing; the cap keeps a gzip bomb from costing memory.
 */
export const MAX_AWSLOGS_DECODED_BYTES = 16 * 1024 * 1024;

/** The `messageType` values of subscription payloads (aws-facts §10.4). */
const DATA_MESSAGE = 'DATA_MESSAGE';
const CONTROL_MESSAGE = 'CONTROL_MESSAGE';

/** What a captured value turned into: an event, or a Lambda subscription event's decoded data. */
type Item = CloudWatchEvent | { readonly payload: Buffer; readonly eventNo: number };

/**
 * Deepest JSON nesting read. A CloudWatch Logs export is 3 levels deep (document, `events`, event);
 * a CloudTrail event about 6. Without a cap, `[` repeated 10^8 times (300 KB of gzip) grows the
 * container stack until V8 dies (exit 133 at about 1.9 GB); past the cap only a counter moves, and
 * `JSON.parse` never sees a value deeper than this.
 */
export const MAX_JSON_DEPTH = 64;

const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const TAB = 0x09;

/**
 * Streams the events of CloudWatch Logs exports with constant memory: the JSON document that
 * `aws logs filter-log-events` prints (`{"events":[…],"searchedLogStreams":[…],"nextToken":…}`,
 * several of them back to back when paginated output was saved), and NDJSON of event objects.
 * Only one event object is buffered at a time, so a multi-GB export costs no more memory than a
 * small one. Written by hand (a ~150-line byte state machine) rather than adding a streaming JSON
 * dependency: we need exactly one path (`events[*]`) and bounded buffering per event.
 *
 * It also reads the shapes CloudWatch Logs subscriptions deliver (aws-facts §10.4): the decoded
 * payloads `{"messageType":"DATA_MESSAGE",…,"logEvents":[{id,timestamp,message}]}` that Firehose
 * writes to S3 back to back with no separator (a gzip member each, or one gzip: the caller
 * decompresses), whose `logEvents` are read like `events`; `CONTROL_MESSAGE` payloads, which are
 * health checks, are counted as skipped (`rejects.skip`), not rejected; and the Lambda subscription
 * event `{"awslogs":{"data":"<base64 of gzip>"}}`, whose data is decoded (at most
 * {@link MAX_AWSLOGS_DECODED_BYTES}) and read the same way, one level deep.
 *
 * Each event's position (`source:N`, N counting events) is used in reject samples. Events may
 * also come as a top-level JSON array (`jq .events` output). Text outside any JSON value is
 * rejected once per line, and an NDJSON line whose string is never closed is rejected at its end
 * (JSON strings cannot hold a raw newline), so one broken line never swallows the lines after it.
 */
export async function* readCloudWatchEvents(
  chunks: AsyncIterable<Uint8Array>,
  opts: CloudWatchReadOptions,
): AsyncGenerator<CloudWatchEvent> {
  yield* readEvents(chunks, opts, false);
}

async function* readEvents(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  opts: CloudWatchReadOptions,
  nested: boolean,
): AsyncGenerator<CloudWatchEvent> {
  const scanner = new EventScanner(opts, nested);
  for await (const chunk of chunks) {
    scanner.feed(chunk);
    for (const item of scanner.take()) {
      if ('payload' in item) {
        yield* readEvents(
          [item.payload],
          { ...opts, source: `${opts.source} awslogs of event ${item.eventNo}` },
          true,
        );
      } else yield item;
    }
  }
  scanner.end();
}

/**
 * The byte state machine of {@link readCloudWatchEvents}: fed chunk by chunk, it captures each
 * candidate event object, turns it into an {@link Item} or a reject, and tracks just enough JSON
 * structure (container kinds, the top-level key, `messageType`) to know which objects are events.
 */
class EventScanner {
  private readonly max: number;
  // Container stack: true for object, false for array; never deeper than MAX_JSON_DEPTH.
  private readonly stack: boolean[] = [];
  // Levels opened beyond the cap (only counted: their kind no longer matters).
  private overflow = 0;
  private capTooDeep = false;
  private inString = false;
  private escaped = false;
  private expectKey = false;
  private keyBytes: number[] | null = null;
  private depth1Key = '';
  // The string value of a top-level object's `messageType` (a subscription payload), as read.
  private valueBytes: number[] | null = null;
  private messageType = '';
  // Set while the `logEvents` of a payload that is not a DATA_MESSAGE go by unread.
  private skipEvents = false;
  // Capture of the current candidate event object.
  private capDepth = -1;
  private capParts: Uint8Array[] = [];
  private capStart = 0;
  private capBytes = 0;
  private capTooBig = false;
  private eventNo = 0;
  // Set while skipping text outside any JSON value, up to the end of its line.
  private junk = false;
  private out: Item[] = [];

  constructor(
    private readonly opts: CloudWatchReadOptions,
    private readonly nested: boolean,
  ) {
    this.max = opts.maxEventBytes ?? 1024 * 1024;
  }

  /** The events and payloads finished so far, handed over once. */
  take(): Item[] {
    const items = this.out;
    this.out = [];
    return items;
  }

  feed(chunk: Uint8Array): void {
    const n = chunk.length;
    this.capStart = 0;
    for (let i = 0; i < n; i++) {
      const c = chunk[i]!;
      if (this.junk) this.junkByte(c);
      else if (this.inString) this.stringByte(c);
      else if (this.overflow > 0) this.overflowByte(c);
      else this.valueByte(chunk, i, c);
    }
    if (this.capDepth !== -1 && !this.capTooBig) {
      const part = chunk.subarray(this.capStart, n);
      this.capBytes += part.length;
      // A Lambda subscription event is one object holding a whole batch: it gets Lambda's limit.
      const limit =
        this.capDepth === 0 && this.depth1Key === 'awslogs' && !this.nested
          ? MAX_AWSLOGS_EVENT_BYTES
          : this.max;
      if (this.capBytes > limit) {
        this.capTooBig = true;
        this.capParts = [];
      } else this.capParts.push(Buffer.from(part));
    }
  }

  /** Rejects what the input left open. */
  end(): void {
    if (this.junk) this.reject('BAD_JSON', 'text outside any JSON object');
    if (this.capTooDeep) {
      // The deep event never closed: one reject, for its depth.
      this.opts.rejects.add(this.opts.source, this.eventNo + 1, tooDeep());
    } else if (this.capDepth !== -1 || this.stack.length > 0 || this.inString || this.overflow > 0) {
      this.opts.rejects.add(
        this.opts.source,
        this.eventNo + 1,
        parseError('BAD_JSON', 'input ends inside a JSON value'),
      );
    }
  }

  private reject(code: 'BAD_JSON' | 'NOT_A_RECORD', message: string): void {
    this.eventNo++;
    this.opts.rejects.add(this.opts.source, this.eventNo, parseError(code, message));
  }

  /** Text outside any JSON value: skipped up to the end of its line, then rejected once. */
  private junkByte(c: number): void {
    if (c === LF) {
      this.junk = false;
      this.reject('BAD_JSON', 'text outside any JSON object');
    }
  }

  private stringByte(c: number): void {
    if (c === LF) {
      this.unclosedString();
      return;
    }
    if (this.escaped) this.escaped = false;
    else if (c === BACKSLASH) this.escaped = true;
    else if (c === QUOTE) {
      this.inString = false;
      if (this.keyBytes !== null) {
        this.depth1Key = Buffer.from(this.keyBytes).toString('utf8');
        this.keyBytes = null;
      }
      if (this.valueBytes !== null) {
        this.messageType = Buffer.from(this.valueBytes).toString('utf8');
        this.valueBytes = null;
      }
    } else if (this.keyBytes !== null && this.keyBytes.length < 64) this.keyBytes.push(c);
    else if (this.valueBytes !== null && this.valueBytes.length < 64) this.valueBytes.push(c);
  }

  /** A raw newline cannot be inside a JSON string: the string was never closed. */
  private unclosedString(): void {
    this.inString = false;
    this.escaped = false;
    this.keyBytes = null;
    if (this.capDepth === 0) {
      // One broken NDJSON event: drop it and start afresh on the next line.
      this.stack.length = 0;
      this.overflow = 0;
      this.capTooDeep = false;
      this.capDepth = -1;
      this.capParts = [];
      this.depth1Key = '';
      this.reject('BAD_JSON', 'string not closed at the end of its line');
    }
    // Inside a document the captured event now holds a raw newline and fails JSON.parse.
  }

  /** Beyond the cap: follow strings and brackets only, to find where the deep value ends. */
  private overflowByte(c: number): void {
    if (c === QUOTE) {
      this.inString = true;
      this.keyBytes = null;
    } else if (c === LBRACE || c === LBRACKET) this.overflow++;
    else if (c === RBRACE || c === RBRACKET) this.overflow--;
  }

  private valueByte(chunk: Uint8Array, i: number, c: number): void {
    const stack = this.stack;
    if (stack.length === 0 && c !== LBRACE && c !== LBRACKET) {
      if (c !== SP && c !== TAB && c !== LF && c !== CR) this.junk = true;
      return;
    }
    if ((c === LBRACE || c === LBRACKET) && stack.length >= MAX_JSON_DEPTH) {
      this.tooDeepOpened();
      return;
    }
    switch (c) {
      case QUOTE: {
        this.inString = true;
        const topObject = stack.length === 1 && stack[0] === true;
        this.keyBytes = topObject && this.expectKey ? [] : null;
        this.valueBytes = topObject && !this.expectKey && this.depth1Key === 'messageType' ? [] : null;
        break;
      }
      case LBRACE:
        this.openObject(i);
        break;
      case LBRACKET:
        this.openArray();
        break;
      case RBRACE:
      case RBRACKET:
        this.close(chunk, i, c);
        break;
      case COLON:
        this.expectKey = false;
        break;
      case COMMA:
        this.expectKey = stack[stack.length - 1] === true;
        break;
      default:
        break;
    }
  }

  /** A container opened at the depth cap: its bytes are followed, not kept. */
  private tooDeepOpened(): void {
    this.overflow = 1;
    if (this.capDepth !== -1) {
      // The event being captured is the deep value: drop its bytes now, reject it at its end.
      this.capTooDeep = true;
      this.capTooBig = true;
      this.capParts = [];
    } else {
      this.eventNo++;
      this.opts.rejects.add(this.opts.source, this.eventNo, tooDeep());
    }
  }

  private openObject(i: number): void {
    const stack = this.stack;
    const depth = stack.length;
    // A top-level object (NDJSON event, or a document), an object in a top-level array, or
    // an object inside a top-level "events" array is a candidate event.
    const candidate =
      depth === 0 ||
      (depth === 1 && stack[0] === false) ||
      (depth === 2 && stack[1] === false && isEventsKey(this.depth1Key) && !this.skipEvents);
    if (candidate && this.capDepth === -1) {
      this.capDepth = depth;
      this.capParts = [];
      this.capStart = i;
      this.capBytes = 0;
      this.capTooBig = false;
    }
    stack.push(true);
    this.expectKey = true;
  }

  private openArray(): void {
    // The top-level object turned out to be a filter-log-events document or a subscription
    // payload: stop capturing it and capture its events instead.
    if (this.stack.length === 1 && this.capDepth === 0 && isEventsKey(this.depth1Key)) {
      this.capDepth = -1;
      const type = this.messageType;
      if (this.depth1Key === 'logEvents' && type !== '' && type !== DATA_MESSAGE) {
        // Health checks carry no log data; any other type is not one AWS sends.
        this.skipEvents = true;
        if (type === CONTROL_MESSAGE) this.opts.rejects.skip('CONTROL_MESSAGE');
        else this.reject('NOT_A_RECORD', 'subscription payload whose messageType is not DATA_MESSAGE');
      }
    }
    this.stack.push(false);
    this.expectKey = false;
  }

  private close(chunk: Uint8Array, i: number, c: number): void {
    this.stack.pop();
    const depth = this.stack.length;
    if (c === RBRACE && depth === this.capDepth) {
      let raw: string | null = null;
      if (!this.capTooBig) {
        this.capParts.push(chunk.subarray(this.capStart, i + 1));
        raw = Buffer.concat(this.capParts).toString('utf8');
      }
      this.capDepth = -1;
      this.capParts = [];
      this.finish(raw);
    }
    this.expectKey = false;
    if (depth === 0) {
      this.depth1Key = '';
      this.messageType = '';
      this.skipEvents = false;
    } else if (depth === 1 && c === RBRACKET) this.skipEvents = false;
  }

  /** A captured event object (null: too big to keep) becomes an event, a payload or a reject. */
  private finish(raw: string | null): void {
    const { opts } = this;
    const eventNo = ++this.eventNo;
    if (this.capTooDeep) {
      this.capTooDeep = false;
      opts.rejects.add(opts.source, eventNo, tooDeep());
      return;
    }
    if (raw === null) {
      opts.rejects.add(
        opts.source,
        eventNo,
        parseError('LINE_TOO_LONG', `event object larger than ${this.max} bytes`),
      );
      return;
    }
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (e) {
      opts.rejects.add(opts.source, eventNo, parseError('BAD_JSON', (e as Error).message.slice(0, 120)));
      return;
    }
    const ev = v as { message?: unknown; timestamp?: unknown; logStreamName?: unknown; awslogs?: unknown };
    if (ev.message === undefined && typeof ev.awslogs === 'object' && ev.awslogs !== null) {
      const payload = awslogsData(ev.awslogs as { data?: unknown }, this.nested);
      if (Buffer.isBuffer(payload)) this.out.push({ payload, eventNo });
      else opts.rejects.add(opts.source, eventNo, payload);
      return;
    }
    if (typeof ev.message !== 'string') {
      opts.rejects.add(opts.source, eventNo, parseError('NOT_A_RECORD', 'event has no string "message"'));
      return;
    }
    this.out.push({
      message: ev.message,
      timestamp: typeof ev.timestamp === 'number' ? ev.timestamp : null,
      logStreamName: typeof ev.logStreamName === 'string' ? ev.logStreamName : null,
    });
  }
}

/** `events` (filter-log-events output) or `logEvents` (a subscription payload): an events array. */
function isEventsKey(key: string): boolean {
  return key === 'events' || key === 'logEvents';
}

/**
 * The decoded JSON of a Lambda subscription event's `awslogs.data` (base64 of gzip, aws-facts
 * §10.4; the AWS Lambda guide's example is base64 of the JSON itself, so gzip is taken when its
 * magic bytes are there), or why it cannot be read. Never throws.
 */
function awslogsData(awslogs: { data?: unknown }, nested: boolean): Buffer | ParseError {
  if (nested) return parseError('NOT_A_RECORD', 'awslogs event inside decoded awslogs data');
  const data = awslogs.data;
  if (typeof data !== 'string') return parseError('NOT_A_RECORD', 'awslogs has no string "data"');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0)
    return parseError('BAD_ENCODING', 'awslogs.data is not base64');
  const raw = Buffer.from(data, 'base64');
  if (raw.length < 2 || raw[0] !== 0x1f || raw[1] !== 0x8b) return raw;
  try {
    return gunzipSync(raw, { maxOutputLength: MAX_AWSLOGS_DECODED_BYTES });
  } catch (e) {
    return (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
      ? parseError('LINE_TOO_LONG', `awslogs.data decodes to more than ${MAX_AWSLOGS_DECODED_BYTES} bytes`)
      : parseError('BAD_ENCODING', 'awslogs.data is not readable gzip');
  }
}

function tooDeep() {
  return parseError('TOO_DEEP', `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
}
