import { isAscii } from 'node:buffer';
import { redactRecord } from '../evidence/redact-deep.js';
import type { FlowFormat } from './format.js';
import { type FusedRenderer, fusedRenderer, integerCopy } from './ndjson-fused.js';
import type { FlowRecord } from './types.js';

/**
 * NDJSON of flow-log records, written as bytes into large output chunks. Each line is exactly
 * `JSON.stringify(redactRecord(record))` followed by LF (a property test holds the two equal),
 * produced one of two ways:
 *
 * - {@link FlowNdjsonWriter.line}: straight from the bytes of a line the compiled fast path has
 *   accepted, with no record, string or JSON built. Keys are rendered once per format; an integer
 *   is copied digit by digit (leading zeros dropped, as a number prints); a string is copied
 *   between quotes when every byte of it is one that needs no JSON escape and cannot start a
 *   secret (below); `-` becomes `null`. Anything else declines, and the caller hands over the
 *   record instead.
 * - {@link FlowNdjsonWriter.render}: the same output for a line the parser has not checked yet,
 *   checked and rendered in one walk (./ndjson-fused.ts); what it declines takes the other two.
 * - {@link FlowNdjsonWriter.record}: the record path, for every line the first one declines.
 *
 * Redaction is kept, not skipped: a string field is copied only if it holds none of `"` `%` `:`
 * `=` `>` `@` `\`, no byte under 0x21 and no byte over 0x7e. Without those, `mayHoldSecret` is
 * false for it (no separator a name could precede, no escape, no user info), so `redactText`
 * returns it unchanged: the copy is what redaction would print. An address field (FLOW_ADDRESS)
 * may also hold `:` (IPv6) when it is made only of hex digits, `.` and `:`: no secret-carrying
 * name can be spelt from hex digits alone. Both claims are property tests against the ungated
 * scanner (test/property/flow-ndjson.property.test.ts).
 *
 * Measured on 2M generated 29-field v5 records (CPU seconds of the whole `parse flow` to
 * /dev/null): see docs/benchmarks.md, issue 16.
 *
 * @example
 * const w = new FlowNdjsonWriter();
 * if (!w.line(buf, start, end, format)) w.record(record);
 * for (const chunk of w.take()) stdout.write(chunk);
 */
export class FlowNdjsonWriter {
  private out: Buffer;
  private outView: DataView;
  private o = 0;
  private full: Buffer[] = [];
  private readonly src = new SourceScan();
  private format: FlowFormat | null = null;
  private layout: Layout | null = null;
  /** Where the fused renderer leaves the end of the line it rendered. */
  private readonly res = new Int32Array(1);

  /**
   * @param chunkBytes size of the output chunks handed out by {@link take} @default 1 MiB
   * @param spare chunks given back once written (their memory no longer read by anyone), taken
   *   before allocating: a writer whose output crosses threads reuses the same few megabytes
   *   instead of leaving garbage for a thread that rarely collects. Default: always allocate.
   */
  constructor(
    private readonly chunkBytes = 1 << 20,
    private readonly spare: Buffer[] | null = null,
  ) {
    this.out = Buffer.allocUnsafe(chunkBytes);
    this.outView = viewOf(this.out);
  }

  /**
   * Writes the record of the line `b[start, end)` (no line terminator) of `format` from its bytes.
   * Meant for lines the compiled fast path accepted; on any other it declines rather than guess.
   * Returns false, having written nothing, when it cannot be sure of the output: the line then
   * goes through {@link record}.
   */
  line(b: Uint8Array, start: number, end: number, format: FlowFormat): boolean {
    // The format changes only at a header line: one comparison instead of a map lookup per line.
    if (format !== this.format) {
      this.format = format;
      this.layout = layoutOf(format);
    }
    const layout = this.layout;
    if (layout === null) return false;
    // Worst case: every 2 input bytes (`- `) become 4 (`null`), plus 2 quotes per field.
    const room = layout.keyBytes + 2 * (end - start) + 2 * layout.n + 8;
    if (this.out.length - this.o < room) this.rotate(room);
    const src = this.src;
    const o = src.isClean(b, start, end)
      ? layout.clean(src.view, start, end, this.out, this.outView, this.o)
      : renderLine(layout, b, start, end, this.out, this.o);
    if (o < 0) return false;
    this.o = o;
    return true;
  }

  /**
   * Checks and writes the line starting at `b[start]` in one walk (./ndjson-fused.ts), for a
   * parser that has not checked it yet: returns the end of the line's content (its CR or LF), or
   * -1 having written nothing, and the line then goes the usual way ({@link line} after the
   * parser's check, or {@link record}). Only in an announced region ({@link region}), only for a
   * line of at most `maxBytes` bytes that holds no byte the writer may not copy.
   */
  render(b: Uint8Array, start: number, format: FlowFormat, maxBytes: number): number {
    if (format !== this.format) {
      this.format = format;
      this.layout = layoutOf(format);
    }
    const layout = this.layout;
    if (layout === null) return -1;
    const limit = Math.min(this.src.cleanUntil(b, start), start + maxBytes);
    if (limit <= start) return -1;
    // As in line(), for the longest line it may accept: the input up to `limit`.
    const room = layout.keyBytes + 2 * (limit - start) + 2 * layout.n + 8;
    if (this.out.length - this.o < room) this.rotate(room);
    const o = layout.fused(b, this.src.view, start, limit, this.out, this.outView, this.o, this.res);
    if (o < 0) return -1;
    this.o = o;
    return this.res[0]!;
  }

  /**
   * Announces the input region `b[from, to)` whose lines {@link line} is about to be given; its
   * content must not change until the next call. Without one, lines take the byte-by-byte path.
   */
  region(b: Uint8Array, from: number, to: number): void {
    this.src.region(b, from, to);
  }

  /** Writes one record through redaction and `JSON.stringify` (the general path). */
  record(r: FlowRecord): void {
    const s = `${JSON.stringify(redactRecord(r))}\n`;
    // UTF-16 code unit → at most 3 UTF-8 bytes.
    const room = 3 * s.length;
    if (this.out.length - this.o < room) this.rotate(room);
    this.o += this.out.write(s, this.o, 'utf8');
  }

  /** The output chunks filled so far, in order; each is handed out once. */
  take(): Buffer[] {
    const full = this.full;
    this.full = [];
    return full;
  }

  /** Every byte not yet handed out: the filled chunks and the partial one. */
  finish(): Buffer[] {
    this.rotate(0);
    return this.take();
  }

  private rotate(room: number): void {
    if (this.o > 0) this.full.push(this.out.subarray(0, this.o));
    // A fresh chunk each time, or one given back: a chunk handed out may still sit in a stream's queue.
    const size = Math.max(this.chunkBytes, room);
    const reused = this.spare?.pop();
    this.out = reused !== undefined && reused.length >= size ? reused : Buffer.allocUnsafe(size);
    this.outView = viewOf(this.out);
    this.o = 0;
  }
}

const viewOf = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/**
 * The bytes a copied string may not hold (see FlowNdjsonWriter), found in a whole input buffer by
 * native `indexOf` rather than byte by byte in JavaScript: in a clean buffer each is looked for
 * once, so a line is known clean by one comparison.
 */
const UNSAFE = Buffer.from('"%:=>@\\\x7f', 'latin1');

/**
 * Where the next byte of UNSAFE is in the current input region, kept as lines advance. A region
 * is announced by the caller ({@link FlowNdjsonWriter.region}), never inferred from the buffer
 * object: readers reuse buffers, and positions found in old content must not vouch for new.
 */
class SourceScan {
  view: DataView = new DataView(new ArrayBuffer(0));
  private buf: Uint8Array | null = null;
  private from = 0;
  private to = 0;
  private ascii = false;
  /** Per UNSAFE byte: its next position at or after the last line asked about; Infinity for none. */
  private readonly next = new Float64Array(UNSAFE.length);
  private nearest = -1;
  private last = 0;

  region(b: Uint8Array, from: number, to: number): void {
    this.buf = b;
    this.view = viewOf(b);
    this.from = from;
    this.to = to;
    // Native and about 30 GB/s (simdutf): a byte over 0x7e is then only DEL, one of UNSAFE.
    this.ascii = isAscii(b.subarray(from, to));
    this.next.fill(-1);
    this.nearest = -1;
    this.last = from;
  }

  /**
   * True when `b[start, end)` lies in the announced region and holds only ASCII and no UNSAFE
   * byte. Lines are asked in order; a step back starts the bookkeeping over.
   */
  isClean(b: Uint8Array, start: number, end: number): boolean {
    if (b !== this.buf || !this.ascii || start < this.from || end > this.to) return false;
    if (start < this.last) {
      this.next.fill(-1);
      this.nearest = -1;
    }
    this.last = start;
    if (this.nearest < start) this.advance(b, start);
    return this.nearest >= end;
  }

  /**
   * How far from `start` the bytes are all ASCII and none of UNSAFE: the first UNSAFE byte at or
   * after `start`, or the region's end; -1 outside the region or in a region that is not ASCII.
   */
  cleanUntil(b: Uint8Array, start: number): number {
    if (b !== this.buf || !this.ascii || start < this.from || start >= this.to) return -1;
    if (start < this.last) {
      this.next.fill(-1);
      this.nearest = -1;
    }
    this.last = start;
    if (this.nearest < start) this.advance(b, start);
    return Math.min(this.nearest, this.to);
  }

  private advance(b: Uint8Array, start: number): void {
    const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    let nearest = Number.POSITIVE_INFINITY;
    for (let k = 0; k < UNSAFE.length; k++) {
      let at = this.next[k]!;
      if (at < start) {
        at = buf.indexOf(UNSAFE[k]!, start);
        // Past the region counts as none: lines beyond it are not clean anyway.
        if (at < 0 || at >= this.to) at = Number.POSITIVE_INFINITY;
        this.next[k] = at;
      }
      if (at < nearest) nearest = at;
    }
    this.nearest = nearest;
  }
}

/** What renders one format's lines: the pre-rendered key prefixes and each field's kind. */
interface Layout {
  readonly n: number;
  /** `{"version":`, `,"accountId":`, … concatenated; field i's prefix is keys[keyAt[i], keyAt[i + 1]). */
  readonly keys: Uint8Array;
  readonly keyAt: Int32Array;
  readonly keyBytes: number;
  readonly kind: Uint8Array;
  /** The renderer of clean lines, generated for this layout (see {@link generateClean}). */
  clean: CleanRenderer;
  /** Check and render in one walk (./ndjson-fused.ts). */
  fused: FusedRenderer;
}

const INTEGER = 0;
const TEXT = 1;
const ADDRESS = 2;

/**
 * Byte classes of string fields: 0 copied as is, 1 ends the field (a separator or line end), 2
 * declines the line. TEXT copies `!`–`~` except `"` `%` `:` `=` `>` `@` `\`; ADDRESS only hex
 * digits, `.` and `:`.
 */
const TEXT_CLASS = new Uint8Array(256).fill(2);
const ADDRESS_CLASS = new Uint8Array(256).fill(2);
for (let c = 0; c <= 0x20; c++) {
  TEXT_CLASS[c] = 1;
  ADDRESS_CLASS[c] = 1;
}
for (let c = 0x21; c <= 0x7e; c++) if (!'"%:=>@\\'.includes(String.fromCharCode(c))) TEXT_CLASS[c] = 0;
for (const ch of '0123456789abcdefABCDEF.:') ADDRESS_CLASS[ch.charCodeAt(0)] = 0;

const KEY = /^[A-Za-z][A-Za-z0-9]*$/;
const layouts = new WeakMap<FlowFormat, Layout | null>();
/**
 * Layouts by what they are made of, so that equal formats held as different objects (a header
 * line's and a task's) share one generated renderer in a thread: each one V8 compiles costs
 * 0.1-0.4 s of CPU. Bounded: a file of ever-new header lines cannot grow it.
 */
const layoutsByFields = new Map<string, Layout | null>();
const MAX_SHARED_LAYOUTS = 64;
const fieldsKey = (format: FlowFormat) =>
  format.fields.map((f) => `${f.name}/${f.key}/${f.integer ? 1 : 0}/${f.rule ?? ''}`).join(' ');

/**
 * The layout of a format, or null when its records cannot be rendered from bytes: a key that is
 * not a plain identifier (JSON.stringify would order or escape it differently) or a key twice.
 */
function layoutOf(format: FlowFormat): Layout | null {
  let layout = layouts.get(format);
  if (layout !== undefined) return layout;
  const shared = fieldsKey(format);
  layout = layoutsByFields.get(shared);
  if (layout === undefined) {
    layout = newLayout(format);
    if (layoutsByFields.size < MAX_SHARED_LAYOUTS) layoutsByFields.set(shared, layout);
  }
  layouts.set(format, layout);
  return layout;
}

function newLayout(format: FlowFormat): Layout | null {
  let layout: Layout | null;
  const keys = format.fields.map((f) => f.key);
  const ok = keys.length > 0 && keys.every((k) => KEY.test(k)) && new Set(keys).size === keys.length;
  layout = null;
  if (ok) {
    const prefixes = keys.map((k, i) => Buffer.from(`${i === 0 ? '{' : ','}${JSON.stringify(k)}:`, 'latin1'));
    const keyAt = new Int32Array(keys.length + 1);
    prefixes.forEach((b, i) => {
      keyAt[i + 1] = keyAt[i]! + b.length;
    });
    const keyBytes = Buffer.concat(prefixes);
    layout = {
      n: keys.length,
      keys: keyBytes,
      keyAt,
      keyBytes: keyAt[keys.length]!,
      kind: Uint8Array.from(format.fields, (f) =>
        f.integer ? INTEGER : f.rule === 'FLOW_ADDRESS' ? ADDRESS : TEXT,
      ),
      clean: () => -1,
      fused: fusedRenderer(format, keyBytes, keyAt),
    };
    layout.clean = new Function(
      `return function renderCleanLine(src, start, end, out, ov, o) {\n${generateClean(layout)}\n};`,
    )() as CleanRenderer;
  }
  return layout;
}

type CleanRenderer = (
  src: DataView,
  start: number,
  end: number,
  out: Uint8Array,
  ov: DataView,
  o: number,
) => number;
/**
 * Source of {@link renderLine} for a line known to hold only ASCII and no UNSAFE byte (so every
 * string field may be copied as it is), unrolled per format as the parser's fast path is: each
 * key prefix is a run of constant 32-bit stores; a field's end is found four bytes at a time with
 * the word-wide test for a byte under 0x21 (`(w - 0x21212121) & ~w & 0x80808080`, exact for the
 * first such byte of ASCII text); strings are copied as 32-bit words. A copy may write up to 3
 * bytes past a value, which what follows overwrites (the caller's room covers it). Only numbers
 * reach the code: key bytes as word constants, lengths, kinds.
 */
function generateClean(L: Layout): string {
  let body = 'let p = start, q = 0, w = 0, t = 0, s = 0, c = 0;\nconst size = src.byteLength;\n';
  for (let i = 0; i < L.n; i++) {
    const prefix = L.keys.subarray(L.keyAt[i]!, L.keyAt[i + 1]!);
    const padded = Buffer.alloc(Math.ceil(prefix.length / 4) * 4);
    padded.set(prefix);
    for (let j = 0; j < padded.length; j += 4)
      body += `ov.setInt32(o + ${j}, ${padded.readInt32LE(j)}, true); `;
    body += `o += ${prefix.length};
q = p;
for (;;) {
  if (q + 4 > size) { while (q < size && src.getUint8(q) > 32) q++; break; }
  w = src.getInt32(q, true); t = (w - 0x21212121) & ~w & 0x80808080;
  if (t !== 0) { q += (31 - Math.clz32(t & -t)) >> 3; break; }
  q += 4;
}
if (q === p) return -1;
if (q - p === 1 && src.getUint8(p) === 45) { ov.setInt32(o, ${NULL_WORD}, true); o += 4; }
`;
    if (L.kind[i] === INTEGER) {
      // The integer check and word copy shared with the one-walk renderer (./ndjson-fused.ts).
      body += `else {
${integerCopy((i) => `src.getUint8(${i})`)}}
`;
    } else {
      body += `else {
  out[o++] = 34;
  for (s = p; s + 4 <= q; s += 4, o += 4) ov.setInt32(o, src.getInt32(s, true), true);
  for (; s < q; s++) out[o++] = src.getUint8(s);
  out[o++] = 34;
}
`;
    }
    body +=
      i < L.n - 1
        ? 'if (q >= size || src.getUint8(q) !== 32) return -1;\np = q + 1;\n'
        : 'if (q !== end) return -1;\n';
  }
  return `${body}out[o] = 125; out[o + 1] = 10;\nreturn o + 2;`;
}

const NULL_WORD = 0x6c6c756e; // `null`, little-endian

/**
 * Renders `b[start, end)` into `out` from `o` (room checked by the caller); returns the new
 * offset, or -1 to decline. Checks the layout itself (one space between fields, the field count,
 * digits of at most 15), so a line it was not meant for is declined, never mis-rendered.
 */
function renderLine(
  L: Layout,
  b: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  o: number,
): number {
  const { n, keys, keyAt, kind } = L;
  let p = start;
  for (let i = 0; i < n; i++) {
    for (let k = keyAt[i]!, e = keyAt[i + 1]!; k < e; k++) out[o++] = keys[k]!;
    let c = b[p]!;
    if (c === 0x2d && !(b[p + 1]! > 0x20)) {
      // `-`: AWS's "no value", null in the record.
      out[o] = 0x6e;
      out[o + 1] = 0x75;
      out[o + 2] = 0x6c;
      out[o + 3] = 0x6c;
      o += 4;
      p++;
    } else if (kind[i] === INTEGER) {
      const a = p;
      // Leading zeros are not part of the number the record holds.
      while (c === 0x30 && b[p + 1]! >= 0x30 && b[p + 1]! <= 0x39) c = b[++p]!;
      while (c >= 0x30 && c <= 0x39) {
        out[o++] = c;
        c = b[++p]!;
      }
      // More than 15 digits may not be exact as a number: the record path decides.
      if (p === a || p - a > 15) return -1;
    } else {
      const cls = kind[i] === ADDRESS ? ADDRESS_CLASS : TEXT_CLASS;
      const a = p;
      out[o++] = 0x22;
      let k = cls[c]!;
      while (k === 0) {
        out[o++] = c;
        c = b[++p]!;
        k = cls[c]!;
      }
      // A field ends at a separator, or at `end` (where the buffer may end too: `k` undefined).
      if (p === a || (k !== 1 && p !== end)) return -1;
      out[o++] = 0x22;
    }
    if (i < n - 1) {
      if (b[p] !== 0x20) return -1;
      p++;
    } else if (p !== end) return -1;
  }
  out[o++] = 0x7d;
  out[o++] = 0x0a;
  return o;
}
