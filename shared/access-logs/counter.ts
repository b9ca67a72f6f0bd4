import type { ParseError } from '../result.js';
import {
  checkAccessLogRange,
  DEFAULT_MAX_ACCESS_LOG_LINE_BYTES,
  lineTooLongError,
  MIN_ACCESS_LOG_FIELDS,
  parseLogTime,
} from './parser.js';
import { type AccessLogScanState, createAccessLogScanState, MAX_ACCESS_LOG_FIELDS } from './tokenizer.js';

export interface AccessLogCounterOptions {
  /** Longest line accepted, in bytes; longer lines are LINE_TOO_LONG. @default 65536 */
  readonly maxLineBytes?: number;
  /** Receives every rejected line with its 1-based line number and coded reason. */
  readonly onReject: (lineNo: number, error: ParseError) => void;
}

/** Buffer's unchecked latin1 decoder: no encoding switch or argument coercion per call. */
interface NodeBytes extends Buffer {
  latin1Slice(start: number, end: number): string;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Bytes decoded per block. A block is one latin1 string whose lines are found with
 * `String#indexOf` and checked in place: a string per line, each line found with `Buffer#indexOf`
 * (a native call) as the line splitter does, measured 330-400 ns per 700-byte line; 64 KiB blocks
 * 220-260 ns. Blocks of 1 MiB (large-object space, fresh pages each time) were 20-40% slower.
 */
const BLOCK_BYTES = 64 * 1024;

/**
 * Counts the S3 server access log records of a byte stream without building them (the `--count`
 * path): the same lines as a {@link LineSplitter} feeding {@link AccessLogLineParser.check} (line
 * numbers, blank lines skipped, a `\r` before `\n` dropped, lines over the cap LINE_TOO_LONG
 * without being held), with the same errors, but whole blocks of lines are decoded at once and
 * scanned in place. Constant memory: only a line cut by a chunk's end is copied.
 *
 * @example
 * const c = new AccessLogRecordCounter({ onReject: (n, e) => rejects.add(name, n, e) });
 * for await (const chunk of chunks) c.push(chunk);
 * c.end();
 * console.log(c.records);
 */
export class AccessLogRecordCounter {
  /** Records counted so far. */
  records = 0;
  private readonly maxLineBytes: number;
  private readonly onReject: (lineNo: number, error: ParseError) => void;
  private readonly scan: AccessLogScanState = createAccessLogScanState();
  private carry: Uint8Array[] = [];
  private carryBytes = 0;
  private discarding = false;
  private lineNo = 0;

  constructor(options: AccessLogCounterOptions) {
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_ACCESS_LOG_LINE_BYTES;
    this.onReject = options.onReject;
  }

  /** Counts the complete lines of `chunk`; its bytes are not kept once this returns. */
  push(chunk: Uint8Array): void {
    const b = asNodeBytes(chunk);
    const len = b.length;
    let pos = 0;
    if (this.carryBytes > 0 || this.discarding) {
      const nl = b.indexOf(LF);
      if (nl === -1) {
        this.appendCarry(b, 0, len);
        return;
      }
      this.appendCarry(b, 0, nl);
      this.flushCarry();
      pos = nl + 1;
    }
    const last = b.lastIndexOf(LF);
    while (pos <= last) {
      // Blocks end at a line break; a line longer than a block is a block of its own.
      let stop = last;
      if (last - pos > BLOCK_BYTES) {
        stop = b.lastIndexOf(LF, pos + BLOCK_BYTES);
        if (stop < pos) stop = b.indexOf(LF, pos + BLOCK_BYTES);
      }
      this.countBlock(b.latin1Slice(pos, stop));
      pos = stop + 1;
    }
    if (pos < len) this.appendCarry(b, pos, len);
  }

  /** Counts a last line that has no line break. */
  end(): void {
    if (this.carryBytes > 0 || this.discarding) this.flushCarry();
  }

  /** Lines of `text`, split at `\n`; the last one runs to the end of the text. */
  private countBlock(text: string): void {
    const scan = this.scan;
    scan.space = -1;
    scan.quote = -1;
    scan.bracket = -1;
    scan.backslash = -1;
    const n = text.length;
    let a = 0;
    for (;;) {
      let nl = text.indexOf('\n', a);
      if (nl === -1) nl = n;
      this.countLine(text, a, nl);
      if (nl === n) return;
      a = nl + 1;
    }
  }

  private countLine(text: string, a: number, nl: number): void {
    this.lineNo++;
    const max = this.maxLineBytes;
    const lineLen = nl - a;
    const cr = nl > a && text.charCodeAt(nl - 1) === CR;
    if (lineLen > max && !(lineLen === max + 1 && cr)) {
      this.onReject(this.lineNo, lineTooLongError(lineLen, max));
      return;
    }
    const e = cr ? nl - 1 : nl;
    if (isBlank(text, a, e)) return;
    if (isPlainRecord(text, a, e, this.scan)) {
      this.records++;
      return;
    }
    const error = checkAccessLogRange(text, a, e, this.scan);
    if (error === null) this.records++;
    else this.onReject(this.lineNo, error);
  }

  private appendCarry(b: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (this.discarding) {
      this.carryBytes += n;
      return;
    }
    if (this.carryBytes + n > this.maxLineBytes + 1) {
      // Over the cap: drop what is held and only count bytes until the next line break.
      this.carry = [];
      this.discarding = true;
      this.carryBytes += n;
      return;
    }
    // A copy: the caller may reuse the chunk's memory after push() returns.
    if (n > 0) this.carry.push(Uint8Array.prototype.slice.call(b, from, to));
    this.carryBytes += n;
  }

  private flushCarry(): void {
    if (this.discarding) {
      this.lineNo++;
      this.onReject(this.lineNo, lineTooLongError(this.carryBytes, this.maxLineBytes));
    } else {
      // The line alone is a block (its line break was not carried).
      const line = asNodeBytes(this.carry.length === 1 ? this.carry[0]! : Buffer.concat(this.carry));
      this.countBlock(line.latin1Slice(0, line.length));
    }
    this.carry = [];
    this.carryBytes = 0;
    this.discarding = false;
  }
}

function asNodeBytes(buf: Uint8Array): NodeBytes {
  const b = buf instanceof Buffer ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return b as NodeBytes;
}

function isBlank(text: string, a: number, e: number): boolean {
  let s = a;
  while (s < e) {
    const c = text.charCodeAt(s);
    if (c !== 0x20 && c !== 0x09) return false;
    s++;
  }
  return true;
}

const SPACE = 0x20;
const QUOTE = 0x22;
const DASH = 0x2d;
const ZERO = 0x30;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
/** `[` + `dd/Mon/yyyy:HH:MM:SS +hhmm` + `]`. */
const TIME_FIELD_LENGTH = 28;
/** Where the number fields are among the first 17: HTTP status, bytes sent, object size, times. */
const IS_NUMBER_FIELD = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 0, 0];
const IS_QUOTED_FIELD = [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1];

const TIME_LENGTH = TIME_FIELD_LENGTH - 2;
// The last time accepted (its character codes; -1 for none): most lines repeat the previous
// line's second.
const lastTime = new Int32Array(TIME_LENGTH).fill(-1);

/**
 * Whether the time at `s` is the last one accepted. Compared from the seconds backwards, where
 * times differ first: `startsWith` measured 150 ns a line, this about half.
 */
function isLastTime(text: string, s: number): boolean {
  let k = TIME_LENGTH - 7;
  while (k >= 0 && text.charCodeAt(s + k) === lastTime[k]) k--;
  if (k >= 0) return false;
  for (k = TIME_LENGTH - 6; k < TIME_LENGTH; k++) if (text.charCodeAt(s + k) !== lastTime[k]) return false;
  return true;
}

/**
 * True when `text[a, e)` is certainly a record, read the way the generic check would, in the
 * shape AWS writes: single spaces, the time in brackets, Request-URI, Referer and User-Agent quoted
 * without escapes, numbers as digits or `-`, no quote after User-Agent. Anything else is false,
 * and the generic check decides (and names the error). One pass with the number fields read as
 * they are scanned, no tokens stored: a block of 700-byte lines measured 760-790 ns a line this
 * way against 1,030-1,050 ns through the generic check alone (same run, loaded 2-core machine). Updates `scan` only when it returns true, so the generic check of a line it
 * passes on starts from a state that holds for the whole line.
 */
function isPlainRecord(text: string, a: number, e: number, scan: AccessLogScanState): boolean {
  let nextSpace = scan.space;
  let nextQuote = scan.quote;
  let nextBackslash = scan.backslash;
  let p = a;
  for (let i = 0; i < MIN_ACCESS_LOG_FIELDS; i++) {
    if (i > 0) {
      // One space between fields; a run of them, or none, is for the generic check.
      if (p >= e || text.charCodeAt(p) !== SPACE) return false;
      p++;
    }
    if (p >= e) return false;
    const c = text.charCodeAt(p);
    if (c === SPACE) return false;
    if (IS_NUMBER_FIELD[i] === 1) {
      if (c === DASH) {
        p++;
        continue;
      }
      let q = p;
      while (q < e) {
        const d = text.charCodeAt(q) - ZERO;
        if (d < 0 || d > 9) break;
        q++;
      }
      // 15 digits at most, as the generic check takes; a number ends at a space.
      if (q === p || q - p > 15) return false;
      p = q;
    } else if (IS_QUOTED_FIELD[i] === 1) {
      if (c !== QUOTE) return false;
      const s = p + 1;
      if (nextQuote < s) nextQuote = indexOrEnd(text, '"', s);
      let q = nextQuote;
      while (q + 1 < e && text.charCodeAt(q + 1) !== SPACE) {
        nextQuote = indexOrEnd(text, '"', q + 1);
        q = nextQuote;
      }
      if (q >= e) return false;
      if (nextBackslash < s) nextBackslash = indexOrEnd(text, '\\', s);
      // A backslash inside may escape a quote: the generic check reads those.
      if (nextBackslash < q) return false;
      p = q + 1;
    } else if (i === 2) {
      if (c !== OPEN_BRACKET || p + TIME_FIELD_LENGTH > e) return false;
      if (text.charCodeAt(p + TIME_FIELD_LENGTH - 1) !== CLOSE_BRACKET) return false;
      // A valid time holds no `]`, so the bracket closes where the generic check would close it.
      if (!isLastTime(text, p + 1)) {
        const time = text.slice(p + 1, p + TIME_FIELD_LENGTH - 1);
        if (parseLogTime(time) === null) return false;
        for (let k = 0; k < TIME_LENGTH; k++) lastTime[k] = time.charCodeAt(k);
      }
      p += TIME_FIELD_LENGTH;
    } else {
      // A quote would open a quoted field, which the generic check reads.
      if (c === QUOTE) return false;
      if (nextSpace <= p) nextSpace = indexOrEnd(text, ' ', p + 1);
      p = Math.min(nextSpace, e);
    }
  }
  if (p < e) {
    // Without a quote the rest is plain fields: within the limit when too short to hold more
    // (one field per two characters at most), else counted.
    if (nextQuote < p) nextQuote = indexOrEnd(text, '"', p);
    if (nextQuote < e) return false;
    const room = MAX_ACCESS_LOG_FIELDS - MIN_ACCESS_LOG_FIELDS;
    if ((e - p + 1) >> 1 > room) {
      let fields = 0;
      for (let r = p; r < e; ) {
        if (text.charCodeAt(r) === SPACE) {
          r++;
          continue;
        }
        if (++fields > room) return false;
        if (nextSpace <= r) nextSpace = indexOrEnd(text, ' ', r + 1);
        r = nextSpace;
      }
    }
  }
  scan.space = nextSpace;
  scan.quote = nextQuote;
  scan.backslash = nextBackslash;
  return true;
}

function indexOrEnd(text: string, ch: string, from: number): number {
  const i = text.indexOf(ch, from);
  return i < 0 ? text.length : i;
}
