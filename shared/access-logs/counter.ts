import type { ParseError } from '../result.js';
import { LineCarry } from '../text/line-carry.js';
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
 * 220-260 ns. Larger blocks measured slower: 256 KiB (past V8's largest young-generation object,
 * so each block is a large object on fresh pages) 1.8x the counting time, whole 1 MiB chunks
 * (strings over about 1 MB become external strings, copied into memory outside the heap) 1.2x the
 * process's CPU time and twice its peak RSS.
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
  private readonly carry: LineCarry;
  private lineNo = 0;

  constructor(options: AccessLogCounterOptions) {
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_ACCESS_LOG_LINE_BYTES;
    this.onReject = options.onReject;
    this.carry = new LineCarry(this.maxLineBytes);
  }

  /** Counts the complete lines of `chunk`; its bytes are not kept once this returns. */
  push(chunk: Uint8Array): void {
    const b = asNodeBytes(chunk);
    const len = b.length;
    let pos = 0;
    if (this.carry.isHolding) {
      pos = this.carry.continueWith(b);
      if (pos < 0) return;
      this.flushCarry();
    }
    const last = b.lastIndexOf(LF);
    while (pos <= last) {
      // Blocks end at a line break; a line longer than a block is a block of its own.
      let stop = last;
      if (last - pos > BLOCK_BYTES) {
        stop = b.lastIndexOf(LF, pos + BLOCK_BYTES);
        if (stop < pos) stop = b.indexOf(LF, pos + BLOCK_BYTES);
      }
      this.countBlock(b, pos, stop);
      pos = stop + 1;
    }
    if (pos < len) this.carry.append(b, pos, len);
  }

  /** Lines read so far, blank and rejected ones included (the last line number given). */
  get lines(): number {
    return this.lineNo;
  }

  /** Counts a last line that has no line break. */
  end(): void {
    if (this.carry.isHolding) this.flushCarry();
  }

  private flushCarry(): void {
    // One spare line feed after the line: blocks are followed by their line break (countBlock).
    const { bytes, length } = this.carry.take(1);
    if (bytes === null) {
      this.lineNo++;
      this.onReject(this.lineNo, lineTooLongError(length, this.maxLineBytes));
    } else {
      this.countBlock(asNodeBytes(bytes), 0, length);
    }
  }

  /**
   * Counts the lines of `b[start, stop)`, split at `\n`, where `b[stop]` is a line feed: the
   * checks read a line's bytes up to its end and the byte after it without a bounds test.
   */
  private countBlock(b: NodeBytes, start: number, stop: number): void {
    const text = b.latin1Slice(start, stop);
    const bytes = b.subarray(start, stop + 1);
    setBytes(bytes);
    const scan = this.scan;
    scan.space = -1;
    scan.quote = -1;
    scan.bracket = -1;
    scan.backslash = -1;
    const max = this.maxLineBytes;
    const n = text.length;
    let a = 0;
    for (;;) {
      let nl = text.indexOf('\n', a);
      if (nl === -1) nl = n;
      this.lineNo++;
      const cr = nl > a && bytes[nl - 1] === CR;
      const e = cr ? nl - 1 : nl;
      if (nl - a > max && !(nl - a === max + 1 && cr)) {
        this.onReject(this.lineNo, lineTooLongError(nl - a, max));
      } else if (isPlainRecord(text, bytes, a, e, scan)) {
        this.records++;
      } else if (!isBlank(bytes, a, e)) {
        // A blank line is no record and no reject; isPlainRecord is false for it (no time field).
        const error = checkAccessLogRange(text, a, e, scan);
        if (error === null) this.records++;
        else this.onReject(this.lineNo, error);
      }
      if (nl === n) return;
      a = nl + 1;
    }
  }
}

function asNodeBytes(buf: Uint8Array): NodeBytes {
  const b = buf instanceof Buffer ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return b as NodeBytes;
}

function isBlank(bytes: Uint8Array, a: number, e: number): boolean {
  let s = a;
  while (s < e) {
    const c = bytes[s];
    if (c !== 0x20 && c !== 0x09) return false;
    s++;
  }
  return true;
}

const SPACE = 0x20;
const QUOTE = 0x22;
const DASH = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
/** `[` + `dd/Mon/yyyy:HH:MM:SS +hhmm` + `]`. */
const TIME_FIELD_LENGTH = 28;
/** 15 digits stay below 2^53: the generic check takes no longer number. */
const MAX_DIGITS = 15;
// The bytes of the block being read, where a time field is compared four bytes at a time: a
// character at a time measured 15% more counting time.
let byteView: DataView = new DataView(new ArrayBuffer(0));
// The last time accepted, as the words of its 26 bytes (24 in six 32-bit words, 2 in a 16-bit
// one); -1 for none, which no word read as unsigned equals. Most lines repeat the previous line's
// second.
const lastTime = new Float64Array(7).fill(-1);

function setBytes(bytes: Uint8Array): void {
  byteView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const PLAIN = 0;
const TIME = 1;
const QUOTED = 2;
const NUMBER = 3;
/** The fields through User-Agent, as AWS writes them. */
const AWS_SHAPE = new Uint8Array([
  PLAIN, // bucket owner
  PLAIN, // bucket
  TIME,
  PLAIN, // remote IP
  PLAIN, // requester
  PLAIN, // request ID
  PLAIN, // operation
  PLAIN, // key
  QUOTED, // Request-URI
  NUMBER, // HTTP status
  PLAIN, // error code
  NUMBER, // bytes sent
  NUMBER, // object size
  NUMBER, // total time
  NUMBER, // turn-around time
  QUOTED, // Referer
  QUOTED, // User-Agent
]);
if (AWS_SHAPE.length !== MIN_ACCESS_LOG_FIELDS)
  throw new Error('AWS_SHAPE must list the fields a record needs');
/** Fields a line may have after User-Agent. */
const TAIL_ROOM = MAX_ACCESS_LOG_FIELDS - MIN_ACCESS_LOG_FIELDS;

/**
 * True when the line `text[a, e)` is certainly a record, read the way the generic check would, in
 * the shape AWS writes: single spaces, the time in brackets, Request-URI, Referer and User-Agent
 * quoted without escapes, numbers as digits or `-`, no quote after User-Agent. Anything else is
 * false, and the generic check decides (and names the error). One pass, each field read by what it
 * must be and the numbers as they are scanned, no tokens stored.
 *
 * Delimiters are found in the decoded text with `String#indexOf` (a builtin that skips to the next
 * one natively); single characters are read from `bytes`, the bytes the text was decoded from
 * (with `String#charCodeAt`, which dispatches on the string's representation at each read, the
 * counting took 1.15x the time). One function with the positions in locals, the fields read by a
 * loop over AWS_SHAPE: a call per field took 6-26% more (not every call was inlined), the loop
 * about 4% more than the fields written out one by one.
 *
 * Updates `scan` only when it returns true, so the generic check of a line it fails on starts from
 * a state that holds for the whole line.
 */
function isPlainRecord(
  text: string,
  bytes: Uint8Array,
  a: number,
  e: number,
  scan: AccessLogScanState,
): boolean {
  let space = scan.space;
  let quote = scan.quote;
  let backslash = scan.backslash;
  // Where the next field must start; a field that starts with a space is a second space in a row.
  let p = a;
  for (let f = 0; f < AWS_SHAPE.length; f++) {
    if (p >= e) return false;
    const c = bytes[p]!;
    const kind = AWS_SHAPE[f];
    if (kind === PLAIN) {
      // A quote would open a quoted field, which the generic check reads.
      if (c === SPACE || c === QUOTE) return false;
      if (space <= p) space = indexOrEnd(text, ' ', p + 1);
      if (space >= e) return false;
      p = space + 1;
    } else if (kind === QUOTED) {
      // Closed by the first `"` followed by a space or the end of the line, as the generic check
      // reads it; a backslash inside may escape a quote, and the generic check reads those.
      if (c !== QUOTE) return false;
      const s = p + 1;
      if (quote < s) quote = indexOrEnd(text, '"', s);
      while (quote + 1 < e && bytes[quote + 1] !== SPACE) quote = indexOrEnd(text, '"', quote + 1);
      if (quote >= e) return false;
      if (backslash < s) backslash = indexOrEnd(text, '\\', s);
      if (backslash < quote) return false;
      // Past the space after it, or past the end of the line (only User-Agent may end there).
      p = quote + 2;
    } else if (kind === NUMBER) {
      // `-` or 1 to 15 digits, then a space. The digits stop at the latest at `bytes[e]`, the
      // line's `\r` or line feed, which is not a space either.
      let q = p + 1;
      if (c !== DASH) {
        if (c < ZERO || c > NINE) return false;
        while (bytes[q]! >= ZERO && bytes[q]! <= NINE) q++;
        if (q - p > MAX_DIGITS) return false;
      }
      if (bytes[q] !== SPACE) return false;
      p = q + 1;
    } else {
      // `[dd/Mon/yyyy:HH:MM:SS +hhmm]`, a real time. A valid time holds no `]`, so the bracket
      // closes where the generic check would close it.
      const end = p + TIME_FIELD_LENGTH;
      if (end >= e || c !== OPEN_BRACKET || bytes[end - 1] !== CLOSE_BRACKET || bytes[end] !== SPACE)
        return false;
      if (!isLastTime(p + 1)) {
        if (parseLogTime(text.slice(p + 1, end - 1)) === null) return false;
        rememberTime(p + 1);
      }
      p = end + 1;
    }
  }
  // What follows User-Agent: nothing, or plain fields (no quote) within the field limit.
  if (p < e) {
    if (quote < p) quote = indexOrEnd(text, '"', p);
    if (quote < e || !isTailWithinLimit(text, bytes, p, e)) return false;
  }
  scan.space = space;
  scan.quote = quote;
  scan.backslash = backslash;
  return true;
}

/** Whether the time at `o` is the last one accepted; the seconds' word first, where times differ. */
function isLastTime(o: number): boolean {
  const v = byteView;
  return (
    v.getUint32(o + 16) === lastTime[4] &&
    v.getUint32(o + 12) === lastTime[3] &&
    v.getUint32(o) === lastTime[0] &&
    v.getUint32(o + 4) === lastTime[1] &&
    v.getUint32(o + 8) === lastTime[2] &&
    v.getUint32(o + 20) === lastTime[5] &&
    v.getUint16(o + 24) === lastTime[6]
  );
}

function rememberTime(o: number): void {
  const v = byteView;
  for (let k = 0; k < 6; k++) lastTime[k] = v.getUint32(o + 4 * k);
  lastTime[6] = v.getUint16(o + 24);
}

/**
 * Whether the plain fields of `text[p, e)` are at most TAIL_ROOM. A stretch of `k` characters
 * holds at most `ceil(k / 2)` fields, so fields are counted only until the rest is too short to
 * go over: two or three on a 250-character tail, none on a shorter one.
 */
function isTailWithinLimit(text: string, bytes: Uint8Array, p: number, e: number): boolean {
  let fields = 0;
  let r = p;
  for (;;) {
    while (r < e && bytes[r] === SPACE) r++;
    if (fields + ((e - r + 1) >> 1) <= TAIL_ROOM) return true;
    if (++fields > TAIL_ROOM) return false;
    r = indexOrEnd(text, ' ', r + 1);
  }
}

function indexOrEnd(text: string, ch: string, from: number): number {
  const i = text.indexOf(ch, from);
  return i < 0 ? text.length : i;
}
