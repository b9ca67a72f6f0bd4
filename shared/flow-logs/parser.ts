import { isAscii as isAsciiNative } from 'node:buffer';
import { fail, ok, type ParseError, parseError, type Result } from '../result.js';
import type { RejectCounter } from '../text/rejects.js';
import { FLOW_RULE_MAX, FLOW_RULE_VALUES, type FlowFieldSpec, type FlowValueRule } from './fields.js';
import { DEFAULT_FLOW_FORMAT, type FlowFormat, looksLikeFlowHeader, parseFlowFormat } from './format.js';
import { checkFlowInteger, checkFlowStartEnd, checkFlowValue, isIpBytes } from './meaning.js';
import type { FlowRecord } from './types.js';

const SPACE = 0x20;
const DASH = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const LF = 0x0a;
const CR = 0x0d;

/** Longest record line accepted. The longest v8 record with every ECS ARN is about 2 KB. */
export const DEFAULT_MAX_FLOW_LINE_BYTES = 16 * 1024;

/**
 * Whether values are checked for meaning (FlowValueRule in ./fields.ts) as well as shape. Off only
 * to measure what the checks cost (test/bench/flow-logs.bench.ts): records that break a rule are
 * then accepted.
 */
export interface FlowMeaningOption {
  readonly skipMeaningChecks?: boolean;
}

/**
 * Parses one record line of a known format, given as a string. This is the general path: it
 * tolerates runs of blanks and reports exactly why a line is rejected: its shape (field count,
 * integers) and the meaning of its values (addresses, port and protocol ranges, `action` and
 * `log-status` values, `start` not after `end`). Lines read from bytes go through the compiled
 * fast path first (`compileFlowFormat`) and reach this class only when the fast path declines
 * them (odd spacing, a bad value, a header line). Never throws.
 */
export class FlowLineParser {
  private readonly keys: string[];
  private readonly integer: boolean[];
  private readonly rules: (FlowValueRule | null)[];
  /** Positions of `start` and `end` in the format (-1: absent, or checks off). */
  private readonly startAt: number;
  private readonly endAt: number;
  private readonly n: number;
  private error: ParseError | null = null;
  private readonly values: (string | number | null)[];
  private readonly build: (values: (string | number | null)[]) => FlowRecord;

  constructor(
    readonly format: FlowFormat,
    options: FlowMeaningOption = {},
  ) {
    const meaning = options.skipMeaningChecks !== true;
    this.keys = format.fields.map((f) => f.key);
    this.integer = format.fields.map((f) => f.integer);
    this.rules = format.fields.map((f) => (meaning ? f.rule : null));
    this.startAt = meaning ? format.fields.findIndex((f) => f.name === 'start') : -1;
    this.endAt = meaning ? format.fields.findIndex((f) => f.name === 'end') : -1;
    this.n = format.fields.length;
    this.values = new Array(this.n).fill(null);
    // A record literal compiled once per format: named properties in a fixed order give every
    // record one hidden class. Assigning computed keys one by one measured 3.9x slower (2M
    // 29-field records: 4.1 s against 1.05 s). Keys are camelCase field names checked against
    // /^[a-z][a-zA-Z0-9]*$/ below and quoted with JSON.stringify, so nothing else reaches the code.
    const safe = this.keys.every((k) => /^[a-z][a-zA-Z0-9]*$/.test(k));
    this.build = safe
      ? (new Function(
          'v',
          `return {${this.keys.map((k, i) => `${JSON.stringify(k)}: v[${i}]`).join(', ')}};`,
        ) as (values: (string | number | null)[]) => FlowRecord)
      : (v) => {
          const rec: FlowRecord = {};
          for (let i = 0; i < v.length; i++) rec[this.keys[i]!] = v[i];
          return rec;
        };
  }

  /** Parses `line[start, end)` into a record. */
  parse(line: string, start = 0, end = line.length): Result<FlowRecord> {
    return this.scan(line, start, end, this.values) ? ok(this.build(this.values)) : fail(this.error!);
  }

  /** Validates `line[start, end)` fully without building a record: the `--count` path. */
  check(line: string, start = 0, end = line.length): ParseError | null {
    return this.scan(line, start, end, null) ? null : this.error;
  }

  private scan(s: string, start: number, end: number, rec: (string | number | null)[] | null): boolean {
    const n = this.n;
    const keys = this.keys;
    const integer = this.integer;
    const rules = this.rules;
    let first: number | null = null;
    let last: number | null = null;
    let pos = start;
    // Tolerate leading blanks and runs of blanks: AWS writes single spaces, hand edits may not.
    while (pos < end && s.charCodeAt(pos) === SPACE) pos++;
    let i = 0;
    while (pos < end) {
      if (i === n) return this.fail('WRONG_FIELD_COUNT', `more than ${n} fields (format has ${n})`);
      let stop: number;
      if (integer[i]) {
        // Integer fields are scanned once, digits and end together (no indexOf first): this
        // loop is the hot path of the --count benchmark.
        let v: number | null = 0;
        let p = pos;
        for (; p < end; p++) {
          const c = s.charCodeAt(p);
          if (c === SPACE) break;
          if (c < ZERO || c > NINE) {
            if (c === DASH && p === pos && (p + 1 === end || s.charCodeAt(p + 1) === SPACE)) {
              v = null;
              continue;
            }
            return this.badNumber(s, pos, p, keys[i]!);
          }
          v = (v as number) * 10 + (c - ZERO);
        }
        stop = p;
        // More than 16 digits cannot be a safe integer; 16 digits can, and are exact up to 2^53
        // (a larger value accumulates to more than MAX_SAFE_INTEGER, never less).
        if (stop - pos > 16 || (v !== null && v > Number.MAX_SAFE_INTEGER))
          return this.fail('BAD_NUMBER', `${keys[i]}: number beyond the safe integer range`, keys[i]);
        const rule = rules[i];
        if (rule) {
          const bad = checkFlowInteger(rule, this.format.fields[i]!.name, v);
          if (bad !== null) return this.failWith(bad);
        }
        if (i === this.startAt) first = v;
        else if (i === this.endAt) last = v;
        if (rec !== null) rec[i] = v;
      } else {
        stop = s.indexOf(' ', pos);
        if (stop === -1 || stop > end) stop = end;
        const rule = rules[i];
        if (rule) {
          const bad = checkFlowValue(rule, this.format.fields[i]!.name, s, pos, stop);
          if (bad !== null) return this.failWith(bad);
        }
        if (rec !== null) rec[i] = stop - pos === 1 && s.charCodeAt(pos) === DASH ? null : s.slice(pos, stop);
      }
      i++;
      pos = stop + 1;
      while (pos < end && s.charCodeAt(pos) === SPACE) pos++;
    }
    if (i !== n) return this.fail('WRONG_FIELD_COUNT', `${i} fields, format has ${n}`);
    const order = checkFlowStartEnd(first, last);
    return order === null ? true : this.failWith(order);
  }

  private badNumber(s: string, a: number, b: number, key: string): false {
    let e = s.indexOf(' ', b);
    if (e === -1) e = s.length;
    return this.fail('BAD_NUMBER', `${key}: not a number: '${s.slice(a, Math.min(e, a + 40))}'`, key);
  }

  private fail(code: ParseError['code'], message: string, field?: string): false {
    this.error = parseError(code, message, field);
    return false;
  }

  private failWith(error: ParseError): false {
    this.error = error;
    return false;
  }
}

/**
 * The byte-level fast path of one format: functions generated once per format that scan a record
 * in place, from the bytes, in one pass, with the field order unrolled.
 *
 * They accept only the strict layout AWS writes (single spaces, no leading blank, every string
 * field free of control bytes, integers of at most 15 digits or `-`), and return a "no" for
 * anything else, which the caller then hands to FlowLineParser for the exact verdict and reason.
 * So they may be stricter than the general path, never looser; a property test holds both equal.
 *
 * Measured on 2M 29-field v5 lines in memory, one core (CPU seconds): the string scanner of
 * FlowLineParser (chunk decoded once, `indexOf` per field) builds records in 1.45 s; this byte
 * scan with per-line decode in 0.86 s; validating without building in 0.55 s (mawk splits the same
 * bytes in 0.75 s). What made the difference, each measured on its own:
 * - reading `Uint8Array` elements instead of `String#charCodeAt` (a bare byte loop 0.70 s, the
 *   same loop over a latin1 string 1.07 s), and no `indexOf` call per field (about 9 ns each);
 * - the field loop unrolled per format, values in locals, one object literal at the end (one
 *   hidden class per format; keyed stores measured 3.9x slower);
 * - the line decoded once after the scan (`toString('latin1')`, 0.86 s) rather than once per
 *   chunk (1.03 s): slices of a short line string are cheap and keep no 256 KiB chunk alive
 *   while a caller holds a record;
 * - the end of the line found by the scan itself, so no line splitter runs first (a native
 *   `indexOf('\n')` per line alone costs 0.08 s over these 2M lines, a sixth of the count path).
 */
export interface CompiledFlowFormat {
  readonly format: FlowFormat;
  /**
   * Builds the record of the line starting at `p`. With `end` >= 0 the line must end exactly
   * there; with `end` < 0 it must end with LF or CRLF, and `st.end` is set to the byte after its
   * content. `enc` decodes its strings: `latin1` for ASCII input, `utf8` otherwise (a line whose
   * decoded length differs from its byte length is declined). Null: not strict, use the general path.
   */
  readonly build:
    | ((b: Uint8Array, p: number, end: number, enc: 'latin1' | 'utf8', st: ScanEnd) => FlowRecord | null)
    | null;
  /** Validates the same way without building anything; returns the content end, or -1. */
  readonly check: ((b: Uint8Array, p: number, end: number) => number) | null;
  /** The keys `build` puts in a record, when only some are wanted; null for all. */
  readonly keys: readonly string[] | null;
}

/** Where the last fast scan stopped (the byte after the record's content). */
export interface ScanEnd {
  end: number;
}

const SAFE_KEY = /^[a-z][a-zA-Z0-9]*$/;
const compiled = new WeakMap<FlowFormat, Map<string, CompiledFlowFormat>>();

/**
 * Compiles (once per format object and key list) the fast path for a format. With `keys`, records
 * carry only those keys (output names such as `srcaddr`, `trafficPath`): every field is still
 * checked, but the others are neither decoded nor stored: for the 10 of v5's 29 fields that
 * classification reads, 0.84 CPU seconds against 1.03 for 2M records.
 *
 * The meaning rules (./meaning.ts) are checked here too, on the bytes: ranges on the integers as
 * they are accumulated, enumerated values by byte comparison, addresses by a dotted-quad scan
 * (IPv6 and anything odd go through the string parser). A value that breaks a rule makes the
 * function decline, and the general path reports the reason.
 *
 * Keys reach the generated code only after matching /^[a-z][a-zA-Z0-9]*$/ and through
 * JSON.stringify, so no input text becomes code; a format with any other key (or none) gets no
 * fast path and uses the general path only.
 */
export function compileFlowFormat(
  format: FlowFormat,
  keys?: readonly string[],
  options: FlowMeaningOption = {},
): CompiledFlowFormat {
  const meaning = options.skipMeaningChecks !== true;
  const id = `${meaning ? '' : '!'}${keys === undefined ? '*' : keys.join(' ')}`;
  let byKeys = compiled.get(format);
  const hit = byKeys?.get(id);
  if (hit) return hit;
  const fields = format.fields;
  const wanted = keys === undefined ? null : new Set(keys);
  const want = (f: FlowFieldSpec) => wanted === null || wanted.has(f.key);
  const safe = fields.length > 0 && fields.length <= 512 && fields.every((f) => SAFE_KEY.test(f.key));
  const c: CompiledFlowFormat = safe
    ? {
        format,
        build: withHelpers(
          ['b', 'p', 'end', 'enc', 'st'],
          generate(fields, true, want, meaning),
        ) as CompiledFlowFormat['build'],
        check: withHelpers(
          ['b', 'p', 'end'],
          generate(fields, false, want, meaning),
        ) as CompiledFlowFormat['check'],
        keys: keys ?? null,
      }
    : { format, build: null, check: null, keys: keys ?? null };
  if (!byKeys) {
    byKeys = new Map();
    compiled.set(format, byKeys);
  }
  byKeys.set(id, c);
  return c;
}

/** The generated function, with the byte check of non-dotted-quad addresses in scope as `ip`. */
function withHelpers(params: string[], body: string): unknown {
  return new Function('ip', `return function (${params.join(', ')}) {\n${body}\n};`)(isIpBytes);
}

/**
 * Code that is true when `b[A, p)` is one of the values of an enumerated rule (or `-`), by byte
 * comparison, from the same table the general path reads (FLOW_RULE_VALUES).
 */
function enumCheck(rule: FlowValueRule, A: string): string {
  const values = [...FLOW_RULE_VALUES[rule]!, '-'];
  return values
    .map(
      (v) =>
        `(p - ${A} === ${v.length}${[...v].map((ch, k) => ` && b[${A} + ${k}] === ${ch.charCodeAt(0)}`).join('')})`,
    )
    .join(' || ');
}

/** Source of one fast-path function (see CompiledFlowFormat). `p` walks; `c` is the byte at `p`. */
function generate(
  fields: FlowFormat['fields'],
  build: boolean,
  want: (f: FlowFieldSpec) => boolean,
  meaning: boolean,
): string {
  const FAIL = build ? 'null' : '-1';
  const n = fields.length;
  const decl: string[] = ['c = 0', 'a = 0', 's = 0'];
  let body = '';
  const startAt = meaning ? fields.findIndex((f) => f.name === 'start') : -1;
  const endAt = meaning ? fields.findIndex((f) => f.name === 'end') : -1;
  const ordered = startAt >= 0 && endAt >= 0 && fields[startAt]!.integer && fields[endAt]!.integer;
  fields.forEach((f, i) => {
    // A field ends at a byte <= 0x20: its separator (space), the line end (LF, or CR of CRLF),
    // or undefined past the buffer, which also compares false and so stops every loop.
    const sep =
      i < n - 1
        ? `if (c !== 32) return ${FAIL}; p++;`
        : `if (end < 0 ? c !== 10 && (c !== 13 || b[p + 1] !== 10) : p !== end) return ${FAIL};`;
    const keep = build && want(f);
    const rule = meaning ? f.rule : null;
    if (f.integer) {
      // Digits are accumulated as they are scanned: no substring, no Number(); at most 15
      // digits so every value is exact (longer ones take the general path). A value a rule
      // bounds, or `start`/`end` when both are there, is accumulated even when not kept.
      const max = rule ? FLOW_RULE_MAX[rule] : undefined;
      const value = keep || max !== undefined || (ordered && (i === startAt || i === endAt));
      if (value) decl.push(`v${i} = 0`);
      body += `a = p; c = b[p];
if (c === 45) { ${value ? `v${i} = null; ` : ''}c = b[++p]; }
else { while (c >= 48 && c <= 57) { ${value ? `v${i} = v${i} * 10 + (c - 48); ` : ''}c = b[++p]; } if (p === a || p - a > 15${max !== undefined ? ` || v${i} > ${max}` : ''}) return ${FAIL}; }
${sep}
`;
    } else {
      if (keep) decl.push(`a${i} = 0`, `e${i} = 0`);
      const start = keep ? `a${i}` : 'a';
      if (rule === 'FLOW_ADDRESS') {
        // FLOW_ADDRESS: a dotted quad is checked as it is scanned, part by part with the digits
        // unrolled (x: the part's value, q: parts read; a part is 1-3 digits, no leading zero,
        // at most 255); anything else (IPv6, `-`, not an address) goes to isIpBytes, which uses
        // the general path's parser. A per-byte loop with counters measured +15% on the count
        // path; this one, about half that.
        if (!decl.includes('x = 0')) decl.push('x = 0', 'q = 0');
        body += `${start} = p; c = b[p]; q = 0;
while (c >= 48 && c <= 57) { x = c - 48; c = b[++p]; if (c >= 48 && c <= 57) { if (x === 0) break; x = x * 10 + (c - 48); c = b[++p]; if (c >= 48 && c <= 57) { x = x * 10 + (c - 48); c = b[++p]; if (x > 255) break; } } q++; if (c !== 46 || q === 4) break; c = b[++p]; }
if (q !== 4 || c > 32) { while (c > 32) c = b[++p]; if ((p - ${start} !== 1 || b[${start}] !== 45) && !ip(b, ${start}, p)) return ${FAIL}; }${keep ? ` e${i} = p;` : ''}
${sep}
`;
      } else {
        const check = rule ? `if (!(${enumCheck(rule, start)})) return ${FAIL};\n` : '';
        body += `${start} = p; c = b[p]; while (c > 32) c = b[++p]; if (p === ${start}) return ${FAIL};${keep ? ` e${i} = p;` : ''}
${check}${sep}
`;
      }
    }
  });
  if (ordered) {
    // FLOW_START_END: null (`-`) on either side says nothing.
    body += `if (v${startAt} !== null && v${endAt} !== null && v${startAt} > v${endAt}) return ${FAIL};\n`;
  }
  if (!build) return `let ${decl.join(', ')};\n${body}return p;`;
  // Decode only the span from the first to the last kept string field.
  const strings = fields.flatMap((f, i) => (!f.integer && want(f) ? [i] : []));
  body += 'st.end = p;\n';
  if (strings.length > 0) {
    const first = strings[0]!;
    const last = strings[strings.length - 1]!;
    body += `s = a${first};
const t = b.toString(enc, s, e${last});
if (t.length !== e${last} - s) return null;
`;
  }
  body += `return {${fields
    .flatMap((f, i) =>
      !want(f)
        ? []
        : f.integer
          ? [`${JSON.stringify(f.key)}: v${i}`]
          : [
              `${JSON.stringify(f.key)}: e${i} - a${i} === 1 && b[a${i}] === 45 ? null : t.slice(a${i} - s, e${i} - s)`,
            ],
    )
    .join(', ')}};`;
  return `let ${decl.join(', ')};\n${body}`;
}

/** The record with only `keys` (those it has), for records built by the general path. */
function project(rec: FlowRecord, keys: readonly string[]): FlowRecord {
  const out: FlowRecord = {};
  for (const k of keys) if (rec[k] !== undefined) out[k] = rec[k];
  return out;
}

const lineParsers = new WeakMap<FlowFormat, FlowLineParser>();
const uncheckedParsers = new WeakMap<FlowFormat, FlowLineParser>();

function generalParser(format: FlowFormat, options: FlowMeaningOption = {}): FlowLineParser {
  const cache = options.skipMeaningChecks === true ? uncheckedParsers : lineParsers;
  let p = cache.get(format);
  if (!p) {
    p = new FlowLineParser(format, options);
    cache.set(format, p);
  }
  return p;
}

/**
 * Parses the record in `buf[start, end)` (no line terminator inside) of the given format: the
 * byte-level fast path, then the general path for anything it declines. Never throws.
 *
 * @example
 * const r = parseFlowLine(chunk, a, b, DEFAULT_FLOW_FORMAT);
 * if (r.ok) use(r.value); else rejects.add(source, lineNo, r.error);
 */
export function parseFlowLine(
  buf: Uint8Array,
  start: number,
  end: number,
  format: FlowFormat,
): Result<FlowRecord> {
  if (start < 0 || end > buf.length || end < start)
    return fail(parseError('NOT_A_RECORD', 'line bounds outside the buffer'));
  const c = compileFlowFormat(format);
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (c.build !== null && end > start) {
    const rec = c.build(b, start, end, 'utf8', { end: 0 });
    if (rec !== null) return ok(rec);
  }
  return generalParser(format).parse(b.toString('utf8', start, end));
}

export interface FlowStreamOptions extends FlowMeaningOption {
  /** A format given by the user: wins over a header line. */
  readonly format?: FlowFormat;
  /** Input name for reject samples. */
  readonly source: string;
  readonly rejects: RejectCounter;
  /** Validate only, build no records (the `--count` path). */
  readonly countOnly?: boolean;
  readonly maxLineBytes?: number;
  /** Receives each record (not called in countOnly mode). */
  readonly onRecord?: (r: FlowRecord) => void;
  /**
   * Build records with only these keys (e.g. `['srcaddr', 'dstaddr', 'trafficPath']`); every
   * field is still checked. Default: all fields of the format.
   */
  readonly fields?: readonly string[];
}

/** 1 for the bytes a header line is made of (`[a-z0-9-]` and space), 0 otherwise. */
const HEADER_BYTE = new Uint8Array(256);
for (const ch of 'abcdefghijklmnopqrstuvwxyz0123456789- ') HEADER_BYTE[ch.charCodeAt(0)] = 1;

/**
 * Streaming flow-log parser over byte chunks with constant memory. The format comes from, first
 * match wins: `options.format`; a header line at the top of the input; the default v2 format.
 * A header line later in the stream (concatenated S3 files) switches the format unless a format
 * was given. Blank lines are skipped; bad lines are counted and sampled in `rejects`.
 *
 * Complete lines are parsed in place in the pushed chunk by the compiled fast path; only a line
 * that straddles two chunks is copied, and a line over the cap is counted, never buffered.
 */
export class FlowLogStreamParser {
  records = 0;
  private parser: FlowLineParser;
  private fast: CompiledFlowFormat;
  private readonly keys: readonly string[] | undefined;
  private readonly explicit: boolean;
  private readonly maxLine: number;
  private readonly countOnly: boolean;
  private readonly onRecord: ((r: FlowRecord) => void) | undefined;
  private readonly st: ScanEnd = { end: 0 };
  private lineNo = 0;
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private discarding = false;

  constructor(private readonly opts: FlowStreamOptions) {
    this.explicit = opts.format !== undefined;
    this.parser = generalParser(opts.format ?? DEFAULT_FLOW_FORMAT, opts);
    this.keys = opts.fields;
    this.fast = compileFlowFormat(this.parser.format, this.keys, opts);
    this.maxLine = opts.maxLineBytes ?? DEFAULT_MAX_FLOW_LINE_BYTES;
    this.countOnly = opts.countOnly ?? false;
    this.onRecord = opts.onRecord;
  }

  /** The format in force now. */
  get format(): FlowFormat {
    return this.parser.format;
  }

  /**
   * Parses the complete lines of a chunk. The chunk is not kept: it may be reused by the caller
   * once this returns.
   */
  push(chunk: Uint8Array): void {
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const last = buf.lastIndexOf(LF);
    if (last === -1) {
      this.hold(buf, 0, buf.length);
      return;
    }
    let from = 0;
    if (this.carryBytes > 0 || this.discarding) {
      const first = buf.indexOf(LF);
      this.hold(buf, 0, first);
      this.flushCarry();
      from = first + 1;
    }
    if (from <= last) this.lines(buf, from, last + 1);
    if (last + 1 < buf.length) this.hold(buf, last + 1, buf.length);
  }

  /** Parses a last line without a newline. */
  end(): void {
    if (this.carryBytes > 0 || this.discarding) this.flushCarry();
  }

  /** Parses one line given as a string (a CloudWatch Logs event message). */
  pushLine(line: string): void {
    this.lineNo++;
    let e = line.length;
    // A message is one record; tolerate the line ending a copy-paste may leave on it.
    if (e > 0 && line.charCodeAt(e - 1) === LF) e--;
    if (e > 0 && line.charCodeAt(e - 1) === CR) e--;
    this.line(line, 0, e);
  }

  /** Parses the lines of `buf[from, to)`, which ends with LF. */
  private lines(buf: Buffer, from: number, to: number): void {
    // Flow logs are ASCII; latin1 is then the cheapest exact decode, and the native ASCII check
    // of the whole region costs about 0.02 ns per byte.
    const enc = isAscii(buf, from, to) ? 'latin1' : 'utf8';
    const st = this.st;
    const max = this.maxLine;
    const onRecord = this.onRecord;
    const countOnly = this.countOnly;
    let fast = this.fast;
    let p = from;
    while (p < to) {
      const c0 = buf[p]!;
      let end = -1;
      let rec: FlowRecord | null = null;
      // Blank lines and lines with leading blanks go straight to the general path.
      if (c0 > SPACE) {
        if (countOnly) {
          if (fast.check !== null) end = fast.check(buf, p, -1);
        } else if (fast.build !== null) {
          rec = fast.build(buf, p, -1, enc, st);
          if (rec !== null) end = st.end;
        }
      }
      this.lineNo++;
      if (end >= 0 && end - p <= max && !(c0 >= 0x61 && c0 <= 0x7a && this.headerAt(buf, p, end, enc))) {
        this.records++;
        if (rec !== null && onRecord !== undefined) onRecord(rec);
        p = buf[end] === CR ? end + 2 : end + 1;
        continue;
      }
      let nl = buf.indexOf(LF, p);
      if (nl === -1 || nl >= to) nl = to - 1;
      let e = nl;
      if (e > p && buf[e - 1] === CR) e--;
      if (e - p > max) this.tooLong(e - p);
      else if (e > p) {
        const s = buf.toString(enc, p, e);
        this.line(s, 0, s.length);
        // A header line may have switched the format.
        fast = this.fast;
      }
      p = nl + 1;
    }
  }

  /**
   * A line the fast path accepted may still be a header when every field of the format is a
   * string: decide with a byte scan first (records almost always hold a byte a header cannot).
   */
  private headerAt(buf: Buffer, p: number, e: number, enc: 'latin1' | 'utf8'): boolean {
    for (let i = p; i < e; i++) if (HEADER_BYTE[buf[i]!] === 0) return false;
    const s = buf.toString(enc, p, e);
    return this.maybeHeader(s, 0, s.length);
  }

  private line(s: string, a: number, b: number): void {
    if (a === b) return;
    if (b - a > this.maxLine) {
      this.tooLong(b - a);
      return;
    }
    const c = s.charCodeAt(a);
    // Header lines start with a lower-case field name; records rarely do (only custom formats
    // that begin with an id such as `eni-…`), so the header test runs only then.
    if (c >= 0x61 && c <= 0x7a && this.maybeHeader(s, a, b)) return;
    if (this.countOnly) {
      const err = this.parser.check(s, a, b);
      if (err === null) this.records++;
      else this.opts.rejects.add(this.opts.source, this.lineNo, err);
      return;
    }
    const r = this.parser.parse(s, a, b);
    if (r.ok) {
      this.records++;
      this.onRecord?.(this.keys === undefined ? r.value : project(r.value, this.keys));
    } else this.opts.rejects.add(this.opts.source, this.lineNo, r.error);
  }

  private maybeHeader(s: string, a: number, b: number): boolean {
    const text = s.slice(a, b);
    if (!looksLikeFlowHeader(text)) return false;
    if (!this.explicit) {
      const f = parseFlowFormat(text);
      if (f.ok) {
        this.parser = generalParser(f.value, this.opts);
        this.fast = compileFlowFormat(f.value, this.keys, this.opts);
      } else this.opts.rejects.add(this.opts.source, this.lineNo, f.error);
    }
    // With a given --format the file's own header is skipped: the user's format wins.
    return true;
  }

  private tooLong(bytes: number): void {
    this.opts.rejects.add(
      this.opts.source,
      this.lineNo,
      parseError('LINE_TOO_LONG', `line is ${bytes} bytes, longer than ${this.maxLine}`),
    );
  }

  private hold(buf: Buffer, from: number, to: number): void {
    const n = to - from;
    if (this.discarding) {
      this.carryBytes += n;
      return;
    }
    if (this.carryBytes + n > this.maxLine + 1) {
      // Over the cap: keep counting bytes to the next newline, never buffering them.
      this.carry = [];
      this.carryBytes += n;
      this.discarding = true;
      return;
    }
    // Copy: the caller may reuse the chunk's memory after push() returns.
    if (n > 0) this.carry.push(Buffer.from(buf.subarray(from, to)));
    this.carryBytes += n;
  }

  private flushCarry(): void {
    if (this.discarding) {
      this.lineNo++;
      this.tooLong(this.carryBytes);
    } else {
      // Terminate the held line with LF so it goes through the same path as any other line.
      this.carry.push(NEWLINE);
      const line = Buffer.concat(this.carry);
      this.lines(line, 0, line.length);
    }
    this.carry = [];
    this.carryBytes = 0;
    this.discarding = false;
  }
}

const NEWLINE = Buffer.from('\n');

function isAscii(buf: Buffer, from: number, to: number): boolean {
  // buffer.isAscii is native (simdutf) in Node 20: ~30 GB/s, negligible next to parsing.
  return isAsciiNative(from === 0 && to === buf.length ? buf : buf.subarray(from, to));
}

/** Parses a whole in-memory text (tests, small inputs). */
export function parseFlowLogText(
  text: string,
  opts: Omit<FlowStreamOptions, 'onRecord' | 'source'> & { source?: string },
): FlowRecord[] {
  const out: FlowRecord[] = [];
  const p = new FlowLogStreamParser({ ...opts, source: opts.source ?? '-', onRecord: (r) => out.push(r) });
  p.push(Buffer.from(text, 'utf8'));
  p.end();
  return out;
}
