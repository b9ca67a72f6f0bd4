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
  const max = opts.maxEventBytes ?? 1024 * 1024;
  // Container stack: true for object, false for array; never deeper than MAX_JSON_DEPTH.
  const stack: boolean[] = [];
  // Levels opened beyond the cap (only counted: their kind no longer matters).
  let overflow = 0;
  let capTooDeep = false;
  let inString = false;
  let escaped = false;
  let expectKey = false;
  let keyBytes: number[] | null = null;
  let depth1Key = '';
  // The string value of a top-level object's `messageType` (a subscription payload), as read.
  let valueBytes: number[] | null = null;
  let messageType = '';
  // Set while the `logEvents` of a payload that is not a DATA_MESSAGE go by unread.
  let skipEvents = false;
  // Capture of the current candidate event object.
  let capDepth = -1;
  let capParts: Uint8Array[] = [];
  let capStart = 0;
  let capBytes = 0;
  let capTooBig = false;
  let eventNo = 0;
  // Set while skipping text outside any JSON value, up to the end of its line.
  let junk = false;
  const out: Item[] = [];

  const reject = (code: 'BAD_JSON' | 'NOT_A_RECORD', message: string): void => {
    eventNo++;
    opts.rejects.add(opts.source, eventNo, parseError(code, message));
  };

  const finish = (raw: string | null): void => {
    eventNo++;
    if (capTooDeep) {
      capTooDeep = false;
      opts.rejects.add(opts.source, eventNo, tooDeep());
      return;
    }
    if (raw === null) {
      opts.rejects.add(
        opts.source,
        eventNo,
        parseError('LINE_TOO_LONG', `event object larger than ${max} bytes`),
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
      const payload = awslogsData(ev.awslogs as { data?: unknown }, nested);
      if (Buffer.isBuffer(payload)) out.push({ payload, eventNo });
      else opts.rejects.add(opts.source, eventNo, payload);
      return;
    }
    if (typeof ev.message !== 'string') {
      opts.rejects.add(opts.source, eventNo, parseError('NOT_A_RECORD', 'event has no string "message"'));
      return;
    }
    out.push({
      message: ev.message,
      timestamp: typeof ev.timestamp === 'number' ? ev.timestamp : null,
      logStreamName: typeof ev.logStreamName === 'string' ? ev.logStreamName : null,
    });
  };

  for await (const chunk of chunks) {
    const n = chunk.length;
    capStart = 0;
    for (let i = 0; i < n; i++) {
      const c = chunk[i]!;
      if (junk) {
        if (c === LF) {
          junk = false;
          reject('BAD_JSON', 'text outside any JSON object');
        }
        continue;
      }
      if (inString) {
        if (c === LF) {
          // A raw newline cannot be inside a JSON string: the string was never closed.
          inString = false;
          escaped = false;
          keyBytes = null;
          if (capDepth === 0) {
            // One broken NDJSON event: drop it and start afresh on the next line.
            stack.length = 0;
            overflow = 0;
            capTooDeep = false;
            capDepth = -1;
            capParts = [];
            depth1Key = '';
            reject('BAD_JSON', 'string not closed at the end of its line');
          }
          // Inside a document the captured event now holds a raw newline and fails JSON.parse.
          continue;
        }
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) {
          inString = false;
          if (keyBytes !== null) {
            depth1Key = Buffer.from(keyBytes).toString('utf8');
            keyBytes = null;
          }
          if (valueBytes !== null) {
            messageType = Buffer.from(valueBytes).toString('utf8');
            valueBytes = null;
          }
        } else if (keyBytes !== null && keyBytes.length < 64) keyBytes.push(c);
        else if (valueBytes !== null && valueBytes.length < 64) valueBytes.push(c);
        continue;
      }
      if (overflow > 0) {
        // Beyond the cap: follow strings and brackets only, to find where the deep value ends.
        if (c === QUOTE) {
          inString = true;
          keyBytes = null;
        } else if (c === LBRACE || c === LBRACKET) overflow++;
        else if (c === RBRACE || c === RBRACKET) overflow--;
        continue;
      }
      if (stack.length === 0 && c !== LBRACE && c !== LBRACKET) {
        if (c !== SP && c !== TAB && c !== LF && c !== CR) junk = true;
        continue;
      }
      if ((c === LBRACE || c === LBRACKET) && stack.length >= MAX_JSON_DEPTH) {
        overflow = 1;
        if (capDepth !== -1) {
          // The event being captured is the deep value: drop its bytes now, reject it at its end.
          capTooDeep = true;
          capTooBig = true;
          capParts = [];
        } else {
          eventNo++;
          opts.rejects.add(opts.source, eventNo, tooDeep());
        }
        continue;
      }
      switch (c) {
        case QUOTE:
          inString = true;
          keyBytes = stack.length === 1 && stack[0] === true && expectKey ? [] : null;
          valueBytes =
            stack.length === 1 && stack[0] === true && !expectKey && depth1Key === 'messageType' ? [] : null;
          break;
        case LBRACE: {
          const depth = stack.length;
          // A top-level object (NDJSON event, or a document), an object in a top-level array, or
          // an object inside a top-level "events" array is a candidate event.
          const candidate =
            depth === 0 ||
            (depth === 1 && stack[0] === false) ||
            (depth === 2 && stack[1] === false && isEventsKey(depth1Key) && !skipEvents);
          if (candidate && capDepth === -1) {
            capDepth = depth;
            capParts = [];
            capStart = i;
            capBytes = 0;
            capTooBig = false;
          }
          stack.push(true);
          expectKey = true;
          break;
        }
        case LBRACKET:
          // The top-level object turned out to be a filter-log-events document or a subscription
          // payload: stop capturing it and capture its events instead.
          if (stack.length === 1 && capDepth === 0 && isEventsKey(depth1Key)) {
            capDepth = -1;
            if (depth1Key === 'logEvents' && messageType !== '' && messageType !== DATA_MESSAGE) {
              // Health checks carry no log data; any other type is not one AWS sends.
              skipEvents = true;
              if (messageType === CONTROL_MESSAGE) opts.rejects.skip('CONTROL_MESSAGE');
              else reject('NOT_A_RECORD', 'subscription payload whose messageType is not DATA_MESSAGE');
            }
          }
          stack.push(false);
          expectKey = false;
          break;
        case RBRACE:
        case RBRACKET: {
          stack.pop();
          const depth = stack.length;
          if (c === RBRACE && depth === capDepth) {
            let raw: string | null = null;
            if (!capTooBig) {
              capParts.push(chunk.subarray(capStart, i + 1));
              raw = Buffer.concat(capParts).toString('utf8');
            }
            capDepth = -1;
            capParts = [];
            finish(raw);
          }
          expectKey = false;
          if (depth === 0) {
            depth1Key = '';
            messageType = '';
            skipEvents = false;
          } else if (depth === 1 && c === RBRACKET) skipEvents = false;
          break;
        }
        case COLON:
          expectKey = false;
          break;
        case COMMA:
          expectKey = stack[stack.length - 1] === true;
          break;
        default:
          break;
      }
    }
    if (capDepth !== -1 && !capTooBig) {
      const part = chunk.subarray(capStart, n);
      capBytes += part.length;
      // A Lambda subscription event is one object holding a whole batch: it gets Lambda's limit.
      const limit = capDepth === 0 && depth1Key === 'awslogs' && !nested ? MAX_AWSLOGS_EVENT_BYTES : max;
      if (capBytes > limit) {
        capTooBig = true;
        capParts = [];
      } else capParts.push(Buffer.from(part));
    }
    const items = out.splice(0, out.length);
    for (const item of items) {
      if ('payload' in item) {
        yield* readEvents(
          [item.payload],
          { ...opts, source: `${opts.source} awslogs of event ${item.eventNo}` },
          true,
        );
      } else yield item;
    }
  }
  if (junk) reject('BAD_JSON', 'text outside any JSON object');
  if (capTooDeep) {
    // The deep event never closed: one reject, for its depth.
    opts.rejects.add(opts.source, eventNo + 1, tooDeep());
  } else if (capDepth !== -1 || stack.length > 0 || inString || overflow > 0) {
    opts.rejects.add(opts.source, eventNo + 1, parseError('BAD_JSON', 'input ends inside a JSON value'));
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
