import type { ColumnMetaData, Compressors, RowGroup } from 'hyparquet';
import { snappyUncompress } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import type { PageHeader } from 'hyparquet/src/types.js';

/**
 * Integrity checks of a Parquet file's pages, run before hyparquet decodes them: hyparquet trusts
 * page headers and run lengths, and a lying one can make it allocate without bound (see
 * {@link checkRuns}). The checks return why a page is damaged as a string, or null, and never
 * throw; {@link ChunkPages}, which reads a column chunk's pages by range and checks each, throws
 * that reason, which the reader (./parquet.ts) turns into a BAD_ENCODING failure.
 */

/**
 * Largest page a codec may claim to inflate to. AWS writes pages of about 1 MB and files of at
 * most 75 MB (flow-logs-s3-path); a header claiming more is damage, refused before any allocation
 * (a claimed 2 GiB page would otherwise be allocated before the codec finds the lie).
 */
export const MAX_PARQUET_PAGE_BYTES = 128 * 1024 * 1024;

/** Every decompressor refuses a page that claims more than the cap, before allocating it. */
export function guarded(compressors: Compressors | undefined): Compressors {
  const out: Compressors = {
    SNAPPY: (input, length) => {
      const page = new Uint8Array(length);
      snappyUncompress(input, page);
      return page;
    },
    ...compressors,
  };
  for (const [codec, f] of Object.entries(out)) {
    if (!f) continue;
    out[codec as keyof Compressors] = (input: Uint8Array, length: number) => {
      if (!(length >= 0 && length <= MAX_PARQUET_PAGE_BYTES))
        throw new Error(`a ${codec} page claims ${length} bytes, more than ${MAX_PARQUET_PAGE_BYTES}`);
      return f(input, length);
    };
  }
  return out;
}

export function describe(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.length > 160 ? `${m.slice(0, 159)}…` : m;
}

/** A page's bytes as hyparquet will see them, or why they cannot be had. */
function inflate(body: Uint8Array, size: number, codec: string, codecs: Compressors): Uint8Array | string {
  if (codec === 'UNCOMPRESSED') return body;
  const f = codecs[codec as keyof Compressors];
  if (!f) return `codec ${codec} is not supported (AWS writes GZIP)`;
  try {
    const page = f(body, size);
    return page.length === size ? page : `page inflates to ${page.length} bytes, its header says ${size}`;
  } catch (e) {
    return `damaged ${codec} page: ${describe(e)}`;
  }
}

/**
 * Checks the run-length/bit-packed hybrid streams of one decompressed page (definition levels of
 * a data page v1, dictionary indices) before hyparquet expands them: its run expansion writes as
 * many values as a run claims, and one corrupt run length of 2^30 grows an array until V8 aborts
 * the whole process ("invalid size error"), which no try/catch can stop. Found by mutation fuzzing.
 * Every stream is bounded by the page's value count.
 */
function checkRuns(
  page: Uint8Array,
  n: number,
  optional: boolean,
  encoding: string | undefined,
  v1: boolean,
): string | null {
  let off = 0;
  let present = n;
  if (v1 && optional) {
    if (page.length < 4) return 'definition levels cut short';
    const len = new DataView(page.buffer, page.byteOffset, page.byteLength).getUint32(0, true);
    if (4 + len > page.length) return 'definition levels overrun the page';
    const defs = checkHybrid(page, 4, 4 + len, 1, n);
    if (typeof defs === 'string') return `definition levels: ${defs}`;
    present = defs;
    off = 4 + len;
  }
  if (encoding === 'RLE_DICTIONARY' || encoding === 'PLAIN_DICTIONARY') {
    if (off >= page.length) return present === 0 ? null : 'dictionary indices missing';
    const width = page[off]!;
    if (width > 32) return `dictionary index width ${width}`;
    if (width === 0 && v1) return null;
    const bad = checkHybrid(page, off + 1, page.length, width, present);
    if (typeof bad === 'string') return `dictionary indices: ${bad}`;
  }
  return null;
}

/**
 * Walks one hybrid stream: no run may expand past `n` values (bit-packed groups pad to 8).
 * Returns why not, or the number of values equal to 1 (for 1-bit definition levels: the values
 * present, so the page's non-null count).
 */
function checkHybrid(b: Uint8Array, off: number, end: number, width: number, n: number): string | number {
  let seen = 0;
  let ones = 0;
  const bytesPerRle = (width + 7) >> 3;
  while (seen < n) {
    let header = 0;
    let shift = 0;
    for (;;) {
      if (off >= end) return 'runs end before the values do';
      const c = b[off++]!;
      header += (c & 0x7f) * 2 ** shift;
      if ((c & 0x80) === 0) break;
      shift += 7;
      if (shift > 35) return 'run header too long';
    }
    const count = Math.floor(header / 2);
    if (header % 2 === 1) {
      // Bit-packed: groups of 8 values, `width` bytes per group.
      const values = count * 8;
      if (seen + values > n + 7) return `a bit-packed run of ${values} values past ${n}`;
      if (width === 1) {
        const take = Math.min(values, n - seen);
        for (let i = 0; i < take; i++) ones += ((b[off + (i >> 3)] ?? 0) >> (i & 7)) & 1;
      }
      off += count * width;
      seen += values;
    } else {
      if (seen + count > n) return `a run of ${count} values past ${n}`;
      if (width === 1 && b[off] === 1) ones += count;
      off += bytesPerRle;
      seen += count;
    }
  }
  return ones;
}

export const isCount = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const PAGE_TYPES = new Set(['DATA_PAGE', 'DATA_PAGE_V2', 'DICTIONARY_PAGE']);

/** Where a column chunk lies in the file, or why it cannot be read. */
export interface ChunkSpan {
  readonly column: string;
  readonly start: number;
  readonly end: number;
}

/**
 * The bytes of each planned column of a row group, or why the group cannot be read: a chunk
 * without metadata, or one outside the file. Chunks of columns not in `columns` are skipped.
 */
export function chunkSpans(
  group: RowGroup,
  g: number,
  columns: ReadonlyMap<string, boolean>,
  fileBytes: number,
): Map<string, ChunkSpan & { readonly meta: ColumnMetaData }> | string {
  const spans = new Map<string, ChunkSpan & { readonly meta: ColumnMetaData }>();
  for (const chunk of group.columns) {
    const m = chunk.meta_data;
    if (!m) return `row group ${g} has a column chunk without metadata`;
    const name = m.path_in_schema[0] ?? '';
    if (!columns.has(name)) continue;
    const column = m.path_in_schema.join('.').slice(0, 60);
    const start = Number(m.dictionary_page_offset ?? m.data_page_offset);
    const end = start + Number(m.total_compressed_size);
    if (!isCount(start) || !isCount(end) || end <= start || end > fileBytes)
      return `column ${column} of row group ${g} lies outside the file (bytes ${start}-${end} of ${fileBytes})`;
    spans.set(name, { column, start, end, meta: m });
  }
  for (const name of columns.keys())
    if (!spans.has(name)) return `row group ${g} has no chunk of column ${name.slice(0, 60)}`;
  return spans;
}

/**
 * Checks one page of a column chunk (`bytes[off, end)` holds it, `end` the end of what was read)
 * before hyparquet decodes anything, and refuses a page whose header lies: a page that overruns
 * its chunk, a count that is missing or negative, runs that expand past the page's values. Found
 * by mutation fuzzing: one flipped byte in a DATA_PAGE_V2 header dropped its `num_values`, and
 * hyparquet then decoded run lengths from garbage without end. The values of a chunk's data pages
 * must add up to the row group's rows ({@link ChunkPages} checks that at the chunk's end).
 * Returns the page's header, value count, and where its body and the next page start.
 */
function checkPage(
  bytes: Uint8Array,
  off: number,
  end: number,
  codec: string,
  isOptional: boolean,
  codecs: Compressors,
): string | CheckedPage {
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset + off, end - off), offset: 0 };
  let h: ReturnType<typeof parquetHeader>;
  try {
    h = parquetHeader(reader);
  } catch (e) {
    return `unreadable page header: ${describe(e)}`;
  }
  if (h.type === undefined || !PAGE_TYPES.has(h.type)) return `page type ${String(h.type)}`;
  if (!isCount(h.compressed_page_size) || !isCount(h.uncompressed_page_size))
    return 'page sizes missing or negative';
  if (h.uncompressed_page_size > MAX_PARQUET_PAGE_BYTES)
    return `page claims ${h.uncompressed_page_size} bytes, more than ${MAX_PARQUET_PAGE_BYTES}`;
  const next = off + reader.offset + h.compressed_page_size;
  if (next > end) return 'page overruns its column chunk';
  const bodyAt = off + reader.offset;
  const body = bytes.subarray(bodyAt, next);
  if (h.type === 'DATA_PAGE') {
    const v1 = h.data_page_header;
    if (!v1 || !isCount(v1.num_values)) return 'data page without a value count';
    const page = inflate(body, h.uncompressed_page_size, codec, codecs);
    if (typeof page === 'string') return page;
    const runs = checkRuns(page, v1.num_values, isOptional, v1.encoding, true);
    return runs ?? { values: v1.num_values, next, header: h, bodyAt };
  }
  if (h.type === 'DATA_PAGE_V2') {
    const v2 = h.data_page_header_v2;
    if (
      !v2 ||
      !isCount(v2.num_values) ||
      !isCount(v2.num_rows) ||
      !isCount(v2.num_nulls) ||
      v2.num_nulls > v2.num_values ||
      v2.num_rows !== v2.num_values ||
      !isCount(v2.definition_levels_byte_length) ||
      !isCount(v2.repetition_levels_byte_length) ||
      v2.definition_levels_byte_length + v2.repetition_levels_byte_length > h.compressed_page_size
    )
      return 'data page v2 header with missing or inconsistent counts';
    // Levels are stored uncompressed before the values (and outside any codec's checksum).
    const levels = v2.repetition_levels_byte_length;
    const defs = body.subarray(levels, levels + v2.definition_levels_byte_length);
    if (isOptional) {
      const bad = checkHybrid(defs, 0, defs.length, 1, v2.num_values);
      if (typeof bad === 'string') return `definition levels: ${bad}`;
    }
    if (v2.encoding === 'RLE_DICTIONARY' || v2.encoding === 'PLAIN_DICTIONARY') {
      const rest = body.subarray(levels + v2.definition_levels_byte_length);
      const size = h.uncompressed_page_size - levels - v2.definition_levels_byte_length;
      const page = v2.is_compressed !== false && size > 0 ? inflate(rest, size, codec, codecs) : rest;
      if (typeof page === 'string') return page;
      const runs = checkRuns(page, v2.num_values - v2.num_nulls, false, v2.encoding, false);
      if (runs) return runs;
    }
    return { values: v2.num_values, next, header: h, bodyAt };
  }
  if (!isCount(h.dictionary_page_header?.num_values)) return 'dictionary page without a value count';
  return { values: 0, next, header: h, bodyAt };
}

/** A page that passed the checks: its header, its value count, and where its body and the next page start. */
interface CheckedPage {
  readonly header: PageHeader;
  readonly values: number;
  readonly bodyAt: number;
  readonly next: number;
}

/** A checked page's header and compressed body (a view of what was read). */
export interface RawPage {
  readonly header: PageHeader;
  readonly body: Uint8Array;
}

/**
 * Bytes read ahead of a page, so that its header (tens of bytes) and the small pages of
 * low-cardinality columns come in one read; a page larger than this is read whole in one more.
 */
const READ_AHEAD_BYTES = 64 * 1024;

/**
 * The pages of one column chunk, read from the file by range as they are needed rather than the
 * whole chunk at once, each checked ({@link checkPage}) before it is handed out:
 * a row group of 1,000,000 rows held its 24 MB of column chunks, read whole, for the whole group.
 * At most the pages handed out and not yet dropped, and one read-ahead window, are held. Methods
 * throw an Error saying which page is damaged, or that the chunk's values do not add up to its
 * rows (at the chunk's end).
 */
export class ChunkPages {
  private buf: Uint8Array = new Uint8Array(0);
  /** File offset of `buf[0]`. */
  private bufAt: number;
  private pos: number;
  private values = 0;

  constructor(
    private readonly read: (start: number, end: number) => Promise<Uint8Array>,
    private readonly span: ChunkSpan,
    private readonly g: number,
    private readonly groupRows: number,
    private readonly codec: string,
    private readonly isOptional: boolean,
    private readonly codecs: Compressors,
    private readonly readAhead = READ_AHEAD_BYTES,
  ) {
    this.bufAt = span.start;
    this.pos = span.start;
  }

  /** True once every page has been handed out. */
  get done(): boolean {
    return this.pos >= this.span.end;
  }

  /** The next page, checked. Only when not {@link done}. */
  async next(): Promise<RawPage> {
    const { span } = this;
    // Bytes from `pos` wanted in the window: the read-ahead, then what a cut page needs.
    let want = this.readAhead;
    for (;;) {
      const off = this.pos - this.bufAt;
      const bufEnd = this.bufAt + this.buf.length;
      const have = bufEnd - this.pos;
      if (have < want && bufEnd < span.end) {
        await this.fill(Math.min(span.end, this.pos + want));
        continue;
      }
      const r = checkPage(this.buf, off, this.buf.length, this.codec, this.isOptional, this.codecs);
      if (typeof r === 'string') {
        // A header or page cut by the end of the window, not of the chunk: read all of it, then judge.
        if (bufEnd < span.end) {
          const e = pageEnd(this.buf, off, this.buf.length);
          const need = e === null ? 2 * Math.max(want, have) : e - off;
          if (need > have) {
            want = need;
            continue;
          }
        }
        throw new Error(`column ${span.column}, row group ${this.g}, page at byte ${this.pos}: ${r}`);
      }
      this.values += r.values;
      this.pos = this.bufAt + r.next;
      if (this.done && this.values !== this.groupRows)
        throw new Error(
          `column ${span.column} of row group ${this.g} holds ${this.values} values for ${this.groupRows} rows`,
        );
      return { header: r.header, body: this.buf.subarray(r.bodyAt, r.next) };
    }
  }

  /** Reads `[pos, end)` as the new window: the pages handed out keep their own (older) bytes. */
  private async fill(end: number): Promise<void> {
    try {
      this.buf = await this.read(this.pos, end);
    } catch (e) {
      throw new Error(`column ${this.span.column} of row group ${this.g} could not be read: ${describe(e)}`);
    }
    this.bufAt = this.pos;
  }
}

/**
 * Where the page at `off` ends (an offset into `bytes`), from its header alone, or null when the
 * header itself is cut short or unreadable.
 */
function pageEnd(bytes: Uint8Array, off: number, end: number): number | null {
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset + off, end - off), offset: 0 };
  try {
    const h = parquetHeader(reader);
    return isCount(h.compressed_page_size) ? off + reader.offset + h.compressed_page_size : null;
  } catch {
    return null;
  }
}
