import { isAscii as isAsciiNative } from 'node:buffer';
import { fail, ok, parseError, type Result } from '../result.js';
import type { RejectCounter } from '../text/rejects.js';
import { type CompiledFlowFormat, compileFlowFormat, type ScanEnd } from './compiled-format.js';
import { DEFAULT_FLOW_FORMAT, type FlowFormat, looksLikeFlowHeader, parseFlowFormat } from './format.js';
import { FlowLineParser, type FlowMeaningOption } from './line-parser.js';
import type { FlowRecord } from './types.js';

// The general line parser and the compiled fast path live in their own modules; this one streams
// bytes through them. Re-exported so importers of the parser keep one entry point.
export { type CompiledFlowFormat, compileFlowFormat, type ScanEnd } from './compiled-format.js';
export { FlowLineParser, type FlowMeaningOption } from './line-parser.js';

const SPACE = 0x20;
const LF = 0x0a;
const CR = 0x0d;

/** Longest record line accepted. The longest v8 record with every ECS ARN is about 2 KB. */
export const DEFAULT_MAX_FLOW_LINE_BYTES = 16 * 1024;

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
   * Offered each line the compiled fast path accepts, in place (`b[start, end)`, no terminator),
   * before any record is built; returning false has the record built and given to `onRecord`.
   * Lines the fast path declines always reach `onRecord`. Records arrive in input order either way.
   * Not with `fields` (a line is the whole record).
   */
  readonly onLine?: (
    b: Buffer,
    start: number,
    end: number,
    format: FlowFormat,
    spans: Int32Array | null,
  ) => boolean;
  /**
   * With `onLine`: keys whose values' places the fast path leaves in the `spans` it passes
   * (CompiledFlowFormat.spanValues), found in the same pass that checks the line.
   */
  readonly lineFields?: readonly string[];
  /**
   * With `onLine` (and no `lineFields`): offered each line before the compiled check runs, to
   * check and consume it in one pass (`b[start]` its first byte, `maxBytes` the line cap): returns
   * the end of the line's content (its CR or LF) when it took the line, having applied the
   * compiled check's rules or stricter ones, or -1, and the line then goes the usual way. Not
   * offered lines that may be headers (a lower-case first byte) or formats with no compiled check.
   */
  readonly onLineRender?: (b: Buffer, start: number, format: FlowFormat, maxBytes: number) => number;
  /**
   * With `onLine`: told of each region of bytes before its lines are offered (`b[from, to)`, whole
   * lines); its content stays as it is until the next call.
   */
  readonly onRegion?: (b: Buffer, from: number, to: number) => void;
  /**
   * Build records with only these keys (e.g. `['srcaddr', 'dstaddr', 'trafficPath']`); every
   * field is still checked. Default: all fields of the format.
   */
  readonly fields?: readonly string[];
  /**
   * The format in force where this input starts when it is a piece of a longer one (a byte range
   * of a file whose header line came before it). Unlike `format`, a header line still switches it.
   */
  readonly startFormat?: FlowFormat;
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
  /** The fast path that finds `lineFields` (null without them). */
  private lineFast: CompiledFlowFormat | null;
  private readonly keys: readonly string[] | undefined;
  private readonly explicit: boolean;
  private readonly maxLine: number;
  private readonly countOnly: boolean;
  private readonly onRecord: ((r: FlowRecord) => void) | undefined;
  private readonly onLine: FlowStreamOptions['onLine'];
  private readonly onLineRender: FlowStreamOptions['onLineRender'];
  private readonly st: ScanEnd = { end: 0 };
  private lineNo = 0;
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private discarding = false;

  constructor(private readonly opts: FlowStreamOptions) {
    this.explicit = opts.format !== undefined;
    this.parser = generalParser(opts.format ?? opts.startFormat ?? DEFAULT_FLOW_FORMAT, opts);
    this.keys = opts.fields;
    this.fast = compileFlowFormat(this.parser.format, this.keys, opts);
    this.maxLine = opts.maxLineBytes ?? DEFAULT_MAX_FLOW_LINE_BYTES;
    this.countOnly = opts.countOnly ?? false;
    this.onRecord = opts.onRecord;
    this.onLine = opts.fields === undefined ? opts.onLine : undefined;
    this.onLineRender =
      this.onLine !== undefined && opts.lineFields === undefined ? opts.onLineRender : undefined;
    this.lineFast = this.lineFastFor(this.parser.format);
  }

  private lineFastFor(format: FlowFormat): CompiledFlowFormat | null {
    const keys = this.opts.lineFields;
    return this.onLine === undefined || keys === undefined
      ? null
      : compileFlowFormat(format, keys, this.opts);
  }

  /** The format in force now. */
  get format(): FlowFormat {
    return this.parser.format;
  }

  /** Lines read so far, blank and header lines included: the number of the last one. */
  get lineCount(): number {
    return this.lineNo;
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
    const onLine = this.onLine;
    const render = this.onLineRender;
    if (onLine !== undefined) this.opts.onRegion?.(buf, from, to);
    let fast = this.fast;
    let lineFast = this.lineFast;
    let p = from;
    while (p < to) {
      const c0 = buf[p]!;
      let end = -1;
      let rec: FlowRecord | null = null;
      // Blank lines and lines with leading blanks go straight to the general path.
      if (c0 > SPACE) {
        if (render !== undefined && fast.check !== null && !(c0 >= 0x61 && c0 <= 0x7a)) {
          // Checked and rendered in one walk; a line it declines is checked below as any other.
          const e = render(buf, p, fast.format, max);
          if (e >= 0) {
            this.lineNo++;
            this.records++;
            p = buf[e] === CR ? e + 2 : e + 1;
            continue;
          }
        }
        if (lineFast?.spans) {
          end = lineFast.spans(buf, p, -1);
        } else if (countOnly || onLine !== undefined) {
          if (fast.check !== null) end = fast.check(buf, p, -1);
        } else if (fast.build !== null) {
          rec = fast.build(buf, p, -1, enc, st);
          if (rec !== null) end = st.end;
        }
      }
      this.lineNo++;
      if (end >= 0 && end - p <= max && !(c0 >= 0x61 && c0 <= 0x7a && this.headerAt(buf, p, end, enc))) {
        if (
          onLine === undefined ||
          onLine(buf, p, end, fast.format, lineFast?.spanValues ?? null) ||
          this.buildAt(buf, p, end, enc)
        ) {
          this.records++;
          if (rec !== null && onRecord !== undefined) onRecord(rec);
          p = buf[end] === CR ? end + 2 : end + 1;
          continue;
        }
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
        lineFast = this.lineFast;
      }
      p = nl + 1;
    }
  }

  /**
   * The record of a line `onLine` declined, built by the fast path and given to `onRecord`; false
   * when the fast path cannot build it (a non-ASCII line), which then takes the general path.
   */
  private buildAt(buf: Buffer, p: number, end: number, enc: 'latin1' | 'utf8'): boolean {
    const rec = this.fast.build === null ? null : this.fast.build(buf, p, end, enc, this.st);
    if (rec === null) return false;
    this.onRecord?.(rec);
    return true;
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
        this.lineFast = this.lineFastFor(f.value);
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
