import { isAscii } from 'node:buffer';
import { mayHoldSecret } from '../endpoints/secret-gate.js';
import { redactRecord } from '../evidence/redact-deep.js';
import { fail, ok, type ParseError, parseError, type Result } from '../result.js';
import {
  type AccessLogScanState,
  type AccessLogTokens,
  createAccessLogTokens,
  type TOKEN_BRACKETED,
  type TOKEN_PLAIN,
  type TOKEN_QUOTED_ESCAPED,
  TOKENIZE_TOO_MANY_FIELDS,
  TOKENIZE_UNTERMINATED_BRACKET,
  type TokenizeStatus,
  tokenizeAccessLogLine,
  tokenizeAccessLogRange,
} from './tokenizer.js';
import type { AccessLogRecord } from './types.js';

/** The named fields of an S3 server access log record, in the order AWS writes them. */
export const ACCESS_LOG_FIELDS = [
  'bucketOwner',
  'bucket',
  'time',
  'remoteIp',
  'requester',
  'requestId',
  'operation',
  'key',
  'requestUri',
  'httpStatus',
  'errorCode',
  'bytesSent',
  'objectSize',
  'totalTime',
  'turnAroundTime',
  'referer',
  'userAgent',
  'versionId',
  'hostId',
  'signatureVersion',
  'cipherSuite',
  'authenticationType',
  'hostHeader',
  'tlsVersion',
  'accessPointArn',
  'aclRequired',
] as const satisfies readonly (keyof AccessLogRecord)[];

/**
 * Fewest fields a line may have: through User-Agent. Records logged before S3 added Version Id and
 * the later fields end there; anything shorter is not an access log line.
 */
export const MIN_ACCESS_LOG_FIELDS = 17;

/** Longest line accepted by default, in bytes (the line splitter's default cap). */
export const DEFAULT_MAX_ACCESS_LOG_LINE_BYTES = 65536;

export interface AccessLogParseOptions {
  /** Longest line accepted, in bytes; longer lines are LINE_TOO_LONG. @default 65536 */
  readonly maxLineBytes?: number;
}

/** Buffer's unchecked slice decoders: no encoding switch or argument coercion per call. */
interface NodeBytes extends Uint8Array {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

function asNodeBytes(buf: Uint8Array): NodeBytes {
  const b = buf instanceof Buffer ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return b as unknown as NodeBytes;
}

// Scratch space reused by every call: parsing is synchronous, so calls never overlap.
const tokens: AccessLogTokens = createAccessLogTokens();

const DASH = 0x2d;
const ZERO = 0x30;
// Private copies of the token kinds for the hot paths (imported bindings are not folded into
// constants); the annotations make the compiler check they equal the tokenizer's.
const K_PLAIN: typeof TOKEN_PLAIN = 0;
const K_ESCAPED: typeof TOKEN_QUOTED_ESCAPED = 2;
const K_BRACKETED: typeof TOKEN_BRACKETED = 3;

const F_TIME = 2;
const F_HTTP_STATUS = 9;
const F_BYTES_SENT = 11;
const F_OBJECT_SIZE = 12;
const F_TOTAL_TIME = 13;
const F_TURN_AROUND_TIME = 14;

/**
 * Parses one S3 server access log line, `buf[start, end)` without its line break. Never throws: a
 * bad line comes back as a coded error (WRONG_FIELD_COUNT, BAD_TIME, BAD_NUMBER, BAD_QUOTING,
 * LINE_TOO_LONG). Error messages name the field but never quote its value, because a Request-URI
 * can hold a presigned URL's signature.
 *
 * The line is decoded once and fields are substrings of it. UTF-8 decoding in V8 has an ASCII fast
 * path, and when the decoded length equals the byte length every byte became one character, so
 * character offsets are byte offsets. Otherwise (multi-byte characters) the line is scanned in its
 * latin1 form, where offsets are bytes, and each emitted field is decoded from its bytes as UTF-8.
 *
 * @example
 * const r = parseAccessLogLine(buf, 0, buf.length);
 * if (r.ok) console.log(r.value.remoteIp, r.value.time);
 */
export function parseAccessLogLine(
  buf: Uint8Array,
  start: number,
  end: number,
  options?: AccessLogParseOptions,
): Result<AccessLogRecord> {
  const max = options?.maxLineBytes ?? DEFAULT_MAX_ACCESS_LOG_LINE_BYTES;
  if (end - start > max) return fail(lineTooLongError(end - start, max));
  const b = asNodeBytes(buf);
  const decoded = b.utf8Slice(start, end);
  if (decoded.length === end - start) return parseDecoded(decoded, null, 0, undefined);
  return parseDecoded(b.latin1Slice(start, end), b, start, undefined);
}

/**
 * {@link parseAccessLogLine} for a stream of lines cut from larger chunks (as the line splitter
 * hands them out). It learns two facts once per chunk instead of once per line, which measured
 * 4% faster on 700-byte lines: whether the whole chunk is ASCII (then every line is decoded
 * as latin1 without a UTF-8 check) and where its next backslash is (lines before it need no escape
 * handling). A chunk is recognised by identity, so its bytes must not change while its lines are
 * parsed, as is the case for chunks read from a stream.
 *
 * @example
 * const p = new AccessLogLineParser();
 * const splitter = new LineSplitter((buf, s, e, n) => { const r = p.parse(buf, s, e); ... });
 */
export class AccessLogLineParser {
  private chunk: Uint8Array | null = null;
  private ascii = false;
  private nextBackslash = 0;
  private readonly maxLineBytes: number;

  constructor(options?: AccessLogParseOptions) {
    this.maxLineBytes = options?.maxLineBytes ?? DEFAULT_MAX_ACCESS_LOG_LINE_BYTES;
  }

  /** Parses `buf[start, end)`; same results as {@link parseAccessLogLine}. */
  parse(buf: Uint8Array, start: number, end: number): Result<AccessLogRecord> {
    return this.read(buf, start, end, false);
  }

  /**
   * {@link parse} for output: the record with presigned-URL secrets removed from every string
   * field (as {@link redactAccessLogRecord} does), at the cost of one {@link mayHoldSecret} check of
   * the line when it has nothing to remove. Every string field is a piece of the line (decoded
   * from its bytes, `\"` unescaped), or made of digits, so a line the check passes has no field to
   * redact; a line it does not pass goes through the field-by-field redaction.
   */
  parseRedacted(buf: Uint8Array, start: number, end: number): Result<AccessLogRecord> {
    return this.read(buf, start, end, true);
  }

  private read(buf: Uint8Array, start: number, end: number, redact: boolean): Result<AccessLogRecord> {
    if (end - start > this.maxLineBytes) return fail(lineTooLongError(end - start, this.maxLineBytes));
    const b = this.learn(buf, start);
    const hasBackslash = this.nextBackslash < end;
    let line = this.ascii ? b.latin1Slice(start, end) : b.utf8Slice(start, end);
    let bytes: NodeBytes | null = null;
    if (line.length !== end - start) {
      line = b.latin1Slice(start, end);
      bytes = b;
    }
    const r = parseDecoded(line, bytes, start, hasBackslash);
    // The gate reads the latin1 form when fields are decoded as UTF-8: what it looks for is ASCII,
    // and ASCII bytes read the same in both forms.
    return redact && r.ok && mayHoldSecret(line) ? ok(redactRecord(r.value)) : r;
  }

  /**
   * Checks `buf[start, end)` as {@link parse} would, without building the record (the `--count`
   * path): null for a record, else the same error `parse` returns.
   */
  check(buf: Uint8Array, start: number, end: number): ParseError | null {
    if (end - start > this.maxLineBytes) return lineTooLongError(end - start, this.maxLineBytes);
    const b = this.learn(buf, start);
    // Delimiters, time and numbers are ASCII: the latin1 form has them at the same offsets.
    return checkDecoded(b.latin1Slice(start, end), this.nextBackslash < end);
  }

  private learn(buf: Uint8Array, start: number): NodeBytes {
    const b = asNodeBytes(buf);
    if (buf !== this.chunk) {
      this.chunk = buf;
      this.ascii = isAscii(buf);
      this.nextBackslash = -1;
    }
    if (this.nextBackslash < start) {
      const i = b.indexOf(0x5c, start);
      this.nextBackslash = i < 0 ? buf.length : i;
    }
    return b;
  }
}

/**
 * Parses one access log line given as a string (tests, the local lab, CloudWatch messages). Same
 * rules and errors as {@link parseAccessLogLine}; a trailing line break is ignored.
 *
 * @example
 * const r = parseAccessLogString('79a5... DOC-EXAMPLE-BUCKET1 [06/Feb/2019:00:00:38 +0000] ...');
 */
export function parseAccessLogString(line: string, options?: AccessLogParseOptions): Result<AccessLogRecord> {
  let end = line.length;
  if (end > 0 && line.charCodeAt(end - 1) === 0x0a) end--;
  if (end > 0 && line.charCodeAt(end - 1) === 0x0d) end--;
  const s = end === line.length ? line : line.slice(0, end);
  const max = options?.maxLineBytes ?? DEFAULT_MAX_ACCESS_LOG_LINE_BYTES;
  // A character is 1 to 3 UTF-8 bytes: count bytes only when the length alone cannot decide.
  if (s.length > max || (s.length * 3 > max && Buffer.byteLength(s, 'utf8') > max)) {
    return fail(lineTooLongError(Buffer.byteLength(s, 'utf8'), max));
  }
  // Delimiters are ASCII, so a JS string can be scanned as it is; offsets are then characters.
  return parseDecoded(s, null, 0, undefined);
}

/** The LINE_TOO_LONG error of a line of `bytes` bytes (without its line break) over `max`. */
export function lineTooLongError(bytes: number, max: number): ParseError {
  return parseError('LINE_TOO_LONG', `line is ${bytes} bytes, longer than ${max}`);
}

// Values found while checking a line, read back when the record is built (one check, no copies).
const checkedNumbers = new Float64Array(5);
let checkedTime: string | null = null;

/**
 * Tokenizes and checks a decoded line: field count, quoting, time and numbers. Null when the line
 * is a record; the time and numbers are then in `checkedTime` and `checkedNumbers` (NaN for `-`).
 */
function checkDecoded(line: string, hasBackslash: boolean | undefined): ParseError | null {
  return checkTokens(line, tokenizeAccessLogLine(line, tokens, hasBackslash));
}

/**
 * Checks the line `text[from, to)` of a block of lines decoded as latin1 (every character one
 * byte), as {@link AccessLogLineParser.check} checks the same bytes: null for a record, else the
 * same error. Lines of one text go in order with one `scan` state (see
 * {@link tokenizeAccessLogRange}). Fields after User-Agent are not located when the rest of the
 * line cannot fail, since counting reads none of them.
 */
export function checkAccessLogRange(
  text: string,
  from: number,
  to: number,
  scan: AccessLogScanState,
): ParseError | null {
  return checkTokens(text, tokenizeAccessLogRange(text, from, to, tokens, scan, MIN_ACCESS_LOG_FIELDS));
}

/** The checks after tokenizing: field count, quoting, time and numbers. */
function checkTokens(line: string, status: TokenizeStatus): ParseError | null {
  if (status !== 0) {
    if (status === TOKENIZE_TOO_MANY_FIELDS) {
      return parseError('WRONG_FIELD_COUNT', `more than ${tokens.starts.length} fields`);
    }
    return status === TOKENIZE_UNTERMINATED_BRACKET
      ? parseError('BAD_QUOTING', 'time field opened with [ but never closed', 'time')
      : parseError('BAD_QUOTING', 'quoted field opened with " but never closed');
  }
  const t = tokens;
  if (t.count < MIN_ACCESS_LOG_FIELDS) {
    return parseError(
      'WRONG_FIELD_COUNT',
      `expected at least ${MIN_ACCESS_LOG_FIELDS} fields, got ${t.count}`,
    );
  }
  const time = timeField(line, t);
  if (typeof time !== 'string' && time !== null) return time;
  checkedTime = time;
  const nums = checkedNumbers;
  let v = numberField(line, t, F_HTTP_STATUS);
  if (v === BAD) return badNumber(F_HTTP_STATUS);
  nums[0] = v ?? Number.NaN;
  v = numberField(line, t, F_BYTES_SENT);
  if (v === BAD) return badNumber(F_BYTES_SENT);
  nums[1] = v ?? Number.NaN;
  v = numberField(line, t, F_OBJECT_SIZE);
  if (v === BAD) return badNumber(F_OBJECT_SIZE);
  nums[2] = v ?? Number.NaN;
  v = numberField(line, t, F_TOTAL_TIME);
  if (v === BAD) return badNumber(F_TOTAL_TIME);
  nums[3] = v ?? Number.NaN;
  v = numberField(line, t, F_TURN_AROUND_TIME);
  if (v === BAD) return badNumber(F_TURN_AROUND_TIME);
  nums[4] = v ?? Number.NaN;
  return null;
}

function checkedNumber(k: number): number | null {
  const v = checkedNumbers[k]!;
  return Number.isNaN(v) ? null : v;
}

/**
 * Parses a decoded line. With `bytes` null, fields are substrings of `line`; otherwise `line` is
 * the latin1 form of `bytes[base, ...)` and fields are decoded from the bytes as UTF-8.
 */
function parseDecoded(
  line: string,
  bytes: NodeBytes | null,
  base: number,
  hasBackslash: boolean | undefined,
): Result<AccessLogRecord> {
  const error = checkDecoded(line, hasBackslash);
  if (error !== null) return fail(error);
  const t = tokens;
  const n = t.count;
  // Object literal with every key in one fixed order: all records share one hidden class.
  const record: AccessLogRecord = {
    bucketOwner: text(line, bytes, base, t, 0),
    bucket: text(line, bytes, base, t, 1),
    time: checkedTime,
    remoteIp: text(line, bytes, base, t, 3),
    requester: text(line, bytes, base, t, 4),
    requestId: text(line, bytes, base, t, 5),
    operation: text(line, bytes, base, t, 6),
    key: text(line, bytes, base, t, 7),
    requestUri: text(line, bytes, base, t, 8),
    httpStatus: checkedNumber(0),
    errorCode: text(line, bytes, base, t, 10),
    bytesSent: checkedNumber(1),
    objectSize: checkedNumber(2),
    totalTime: checkedNumber(3),
    turnAroundTime: checkedNumber(4),
    referer: text(line, bytes, base, t, 15),
    userAgent: text(line, bytes, base, t, 16),
    versionId: n > 17 ? text(line, bytes, base, t, 17) : null,
    hostId: n > 18 ? text(line, bytes, base, t, 18) : null,
    signatureVersion: n > 19 ? text(line, bytes, base, t, 19) : null,
    cipherSuite: n > 20 ? text(line, bytes, base, t, 20) : null,
    authenticationType: n > 21 ? text(line, bytes, base, t, 21) : null,
    hostHeader: n > 22 ? text(line, bytes, base, t, 22) : null,
    tlsVersion: n > 23 ? text(line, bytes, base, t, 23) : null,
    accessPointArn: n > 24 ? text(line, bytes, base, t, 24) : null,
    aclRequired: n > 25 ? text(line, bytes, base, t, 25) : null,
    extra: n > 26 ? extraFields(line, bytes, base, t) : [],
  };
  return ok(record);
}

function raw(line: string, bytes: NodeBytes | null, base: number, t: AccessLogTokens, i: number): string {
  const s = t.starts[i]!;
  const e = t.ends[i]!;
  const v = bytes === null ? line.slice(s, e) : bytes.utf8Slice(base + s, base + e);
  return t.kinds[i] === K_ESCAPED ? unescapeQuoted(v) : v;
}

function text(
  line: string,
  bytes: NodeBytes | null,
  base: number,
  t: AccessLogTokens,
  i: number,
): string | null {
  const s = t.starts[i]!;
  // `-` and `"-"` both mean "no value".
  if (t.ends[i]! - s === 1 && line.charCodeAt(s) === DASH) return null;
  return raw(line, bytes, base, t, i);
}

function extraFields(line: string, bytes: NodeBytes | null, base: number, t: AccessLogTokens): string[] {
  const out: string[] = [];
  for (let i = 26; i < t.count; i++) out.push(raw(line, bytes, base, t, i));
  return out;
}

/** `\"` → `"` and `\\` → `\`; a backslash before anything else is kept as logged. */
export function unescapeQuoted(s: string): string {
  let out = '';
  let from = 0;
  let i = s.indexOf('\\');
  while (i !== -1 && i + 1 < s.length) {
    const next = s.charCodeAt(i + 1);
    if (next === 0x22 || next === 0x5c) {
      out += s.slice(from, i);
      from = i + 1;
      i = s.indexOf('\\', i + 2);
    } else {
      i = s.indexOf('\\', i + 1);
    }
  }
  return from === 0 ? s : out + s.slice(from);
}

const BAD = -1;

/** Non-negative integer field: the value, `null` for `-`, or BAD. */
function numberField(line: string, t: AccessLogTokens, i: number): number | null {
  if (t.kinds[i] !== K_PLAIN) return BAD;
  const s = t.starts[i]!;
  const e = t.ends[i]!;
  if (e - s === 1 && line.charCodeAt(s) === DASH) return null;
  // 15 digits stay below 2^53; longer values are not plausible byte counts or milliseconds.
  if (e - s > 15) return BAD;
  let v = 0;
  for (let p = s; p < e; p++) {
    const d = line.charCodeAt(p) - ZERO;
    if (d < 0 || d > 9) return BAD;
    v = v * 10 + d;
  }
  return v;
}

function badNumber(i: number): ParseError {
  const field = ACCESS_LOG_FIELDS[i]!;
  return parseError('BAD_NUMBER', `${field} is not a non-negative integer or -`, field);
}

// Last time seen (its character codes) and its ISO form: a log object is written in time order,
// so most lines repeat the previous line's second and skip the date arithmetic.
const TIME_LENGTH = 26;
const lastTime = new Int32Array(TIME_LENGTH).fill(-1);
let lastTimeIso = '';

const BAD_TIME_MESSAGE = 'time is not [dd/Mon/yyyy:HH:MM:SS +hhmm]';

/** The time field as ISO 8601 UTC, `null` for `-`, or a BAD_TIME error. */
function timeField(line: string, t: AccessLogTokens): string | null | ParseError {
  const s = t.starts[F_TIME]!;
  const e = t.ends[F_TIME]!;
  if (t.kinds[F_TIME] !== K_BRACKETED) {
    if (e - s === 1 && line.charCodeAt(s) === DASH && t.kinds[F_TIME] === K_PLAIN) return null;
    return parseError('BAD_TIME', BAD_TIME_MESSAGE, 'time');
  }
  if (e - s === TIME_LENGTH) {
    // Compared in place from the seconds backwards, where times differ first: slicing to compare
    // strings measured 80 ns per line, this a fraction of it.
    let k = TIME_LENGTH - 7;
    while (k >= 0 && line.charCodeAt(s + k) === lastTime[k]) k--;
    if (k < 0) {
      k = TIME_LENGTH - 6;
      while (k < TIME_LENGTH && line.charCodeAt(s + k) === lastTime[k]) k++;
      if (k === TIME_LENGTH) return lastTimeIso;
    }
  }
  const iso = parseLogTime(line.slice(s, e));
  if (iso === null) return parseError('BAD_TIME', BAD_TIME_MESSAGE, 'time');
  for (let k = 0; k < TIME_LENGTH; k++) lastTime[k] = line.charCodeAt(s + k);
  lastTimeIso = iso;
  return iso;
}

const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';
const MONTH_NUMBERS = ['01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12'];
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digits2(s: string, p: number): number {
  const a = s.charCodeAt(p) - ZERO;
  const c = s.charCodeAt(p + 1) - ZERO;
  if (!(a >= 0 && a <= 9 && c >= 0 && c <= 9)) return -1;
  return a * 10 + c;
}

/**
 * `dd/Mon/yyyy:HH:MM:SS +hhmm` (strftime `%d/%b/%Y:%H:%M:%S %z`, the brackets removed) to ISO
 * 8601 UTC with milliseconds, honouring the offset; `null` when it is not a real time.
 *
 * @example
 * parseLogTime('06/Feb/2019:00:00:38 +0000'); // '2019-02-06T00:00:38.000Z'
 */
export function parseLogTime(s: string): string | null {
  if (s.length !== 26) return null;
  if (s[2] !== '/' || s[6] !== '/' || s[11] !== ':' || s[14] !== ':' || s[17] !== ':' || s[20] !== ' ') {
    return null;
  }
  const m = MONTHS.indexOf(s.slice(3, 6));
  const day = digits2(s, 0);
  const y1 = digits2(s, 7);
  const y2 = digits2(s, 9);
  const hour = digits2(s, 12);
  const minute = digits2(s, 15);
  const second = digits2(s, 18);
  const sign = s[21];
  const offH = digits2(s, 22);
  const offM = digits2(s, 24);
  if (m < 0 || m % 3 !== 0 || y1 < 0 || y2 < 0 || hour < 0 || minute < 0 || second < 0) return null;
  if (offH < 0 || offM < 0) return null;
  const month = m / 3;
  const year = y1 * 100 + y2;
  // Date.UTC maps years 0-99 to 1900-1999; S3 did not exist before 2006 anyway.
  if (year < 1970) return null;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const maxDay = month === 1 && leap ? 29 : DAYS_IN_MONTH[month]!;
  if (day < 1 || day > maxDay || hour > 23 || minute > 59 || second > 59) return null;
  if ((sign !== '+' && sign !== '-') || offH > 23 || offM > 59) return null;
  if (offH === 0 && offM === 0) {
    // UTC, as S3 writes it: rearranging the digits took 106 ns, going through Date 574 ns.
    return `${s.slice(7, 11)}-${MONTH_NUMBERS[month]}-${s.slice(0, 2)}T${s.slice(12, 20)}.000Z`;
  }
  const offsetMs = (sign === '+' ? 1 : -1) * (offH * 60 + offM) * 60_000;
  return new Date(Date.UTC(year, month, day, hour, minute, second) - offsetMs).toISOString();
}
