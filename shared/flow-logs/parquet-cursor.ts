import { isAscii } from 'node:buffer';
import type { ColumnMetaData, Compressors, DecodedArray, FileMetaData } from 'hyparquet';
import { readPage } from 'hyparquet/src/column.js';
import { convert, DEFAULT_PARSERS } from 'hyparquet/src/convert.js';
import { decompressPage } from 'hyparquet/src/datapage.js';
import { readPlain } from 'hyparquet/src/plain.js';
import { getMaxDefinitionLevel, getMaxRepetitionLevel, getSchemaPath } from 'hyparquet/src/schema.js';
import type { ColumnDecoder, PageHeader } from 'hyparquet/src/types.js';
import type { RawPage } from './parquet-pages.js';
import { HybridRuns } from './parquet-runs.js';

/**
 * The values of one column chunk, decoded a slice of rows at a time: a row group is read in
 * slices, with at most one slice of decoded values per column alive at once.
 *
 * hyparquet decodes a page whole (its levels, its values, then their conversion, each an array of
 * the page's length), and a writer may put a whole row group's column in one page: 100,000 rows
 * of 29 columns held about 45 MB of decoded values that lived through many scavenges and were
 * promoted, and V8 let the old generation grow to four times that (peak RSS 344 MB counting
 * 500,000 rows). So the pages of a flat column in the encodings flow logs use (PLAIN, dictionary)
 * are decoded here a slice at a time from the inflated page, reading levels and dictionary indices
 * with a resumable run reader and values with hyparquet's own PLAIN reader and converter; any
 * other page goes through hyparquet's page decoder (`readPage`) whole. Pages come from a
 * {@link PageSource} (./parquet-pages.ts reads them from the file by range and checks each):
 * {@link PageCursor.fill} reads what the next rows need, {@link PageCursor.take} decodes them.
 */
export class PageCursor {
  private readonly isFlat: boolean;
  /** BYTE_ARRAY values hyparquet would convert to strings (flow logs' string columns). */
  private readonly isText: boolean;
  private dictionary: DecodedArray | undefined;
  private page: PageValues = EMPTY;
  /** Pages read and checked, not yet decoded, and the rows they hold. */
  private readonly queue: RawPage[] = [];
  private queued = 0;

  constructor(
    private readonly pages: PageSource,
    private readonly decoder: ColumnDecoder,
  ) {
    this.isFlat =
      decoder.schemaPath.length === 2 &&
      getMaxRepetitionLevel(decoder.schemaPath) === 0 &&
      getMaxDefinitionLevel(decoder.schemaPath) <= 1 &&
      STREAMED_TYPES.has(decoder.type);
    this.isText = this.isFlat && isUtf8Text(decoder);
  }

  /** True when {@link take} of `n` needs no more pages read. */
  has(n: number): boolean {
    return this.page.left + this.queued >= n || this.pages.done;
  }

  /** Reads pages until the next `n` values are at hand (or the chunk ends). */
  async fill(n: number): Promise<void> {
    while (this.page.left + this.queued < n && !this.pages.done) {
      const p = await this.pages.next();
      this.queue.push(p);
      this.queued += rowsOf(p.header);
    }
  }

  /** After the group's last row: refuses values beyond its rows, checking the pages left (if any). */
  async finish(): Promise<void> {
    if (this.page.left > 0 || this.queued > 0) throw new Error('column chunk holds more values than rows');
    while (!this.pages.done) await this.pages.next();
  }

  /** The next `n` values, from pages already read ({@link fill}). Throws when they are not there. */
  take(n: number): DecodedArray {
    while (this.page.left === 0) this.nextPage();
    // Within one page (the common case: pages hold thousands of rows): one read, no copy.
    if (this.page.left >= n) return this.page.read(n);
    const out: unknown[] = new Array(n);
    let i = 0;
    while (i < n) {
      while (this.page.left === 0) this.nextPage();
      const part = this.page.read(Math.min(n - i, this.page.left));
      for (let j = 0; j < part.length; j++) out[i + j] = part[j];
      i += part.length;
    }
    return out as DecodedArray;
  }

  private nextPage(): void {
    const raw = this.queue.shift();
    if (raw === undefined) throw new Error('column chunk ends before its rows do');
    const { header, body } = raw;
    this.queued -= rowsOf(header);
    if (this.isFlat && header.type !== 'DICTIONARY_PAGE') {
      const streamed = this.streamPage(header, body);
      if (streamed) {
        this.page = streamed;
        return;
      }
    }
    if (header.type === 'DICTIONARY_PAGE' && this.isText) {
      const n = header.dictionary_page_header?.num_values;
      if (n === undefined) throw new Error('parquet dictionary page header is undefined');
      const { codec, compressors } = this.decoder;
      this.dictionary = textValues(decompressPage(body, header.uncompressed_page_size, codec, compressors))(
        n,
      );
      return;
    }
    const reader = { view: new DataView(body.buffer, body.byteOffset, body.byteLength), offset: 0 };
    const r = readPage(reader, header, this.decoder, this.dictionary, undefined, 0);
    if (header.type === 'DICTIONARY_PAGE') {
      if (r.data) this.dictionary = convert(r.data, this.decoder);
      return;
    }
    this.page = new WholePage(r.data ?? []);
  }

  /**
   * A data page (v1 or v2) of a flat column read a slice at a time, or null when its encodings
   * are not ones read here (hyparquet then decodes it whole). Leaves the reader past the page.
   */
  private streamPage(header: PageHeader, body: Uint8Array): PageValues | null {
    const { codec, compressors } = this.decoder;
    const optional = getMaxDefinitionLevel(this.decoder.schemaPath) === 1;
    let rows: number;
    let defs: HybridRuns | null = null;
    let values: Uint8Array;
    let encoding: string;
    const v1 = header.data_page_header;
    const v2 = header.data_page_header_v2;
    if (header.type === 'DATA_PAGE' && v1) {
      if (optional && v1.definition_level_encoding !== 'RLE') return null;
      rows = v1.num_values;
      encoding = v1.encoding;
      if (!VALUE_ENCODINGS.has(encoding)) return null;
      const page = decompressPage(body, header.uncompressed_page_size, codec, compressors);
      let off = 0;
      if (optional) {
        if (page.length < 4) throw new Error('definition levels cut short');
        const len = new DataView(page.buffer, page.byteOffset, 4).getUint32(0, true);
        if (4 + len > page.length) throw new Error('definition levels overrun the page');
        defs = new HybridRuns(page, 4, 4 + len, 1);
        off = 4 + len;
      }
      values = page.subarray(off);
    } else if (header.type === 'DATA_PAGE_V2' && v2) {
      rows = v2.num_values;
      encoding = v2.encoding;
      if (!VALUE_ENCODINGS.has(encoding)) return null;
      const levels = v2.repetition_levels_byte_length;
      const defEnd = levels + v2.definition_levels_byte_length;
      if (optional) defs = new HybridRuns(body, levels, defEnd, 1);
      const size = header.uncompressed_page_size - defEnd;
      const rest = body.subarray(defEnd);
      values = v2.is_compressed !== false && size > 0 ? decompressPage(rest, size, codec, compressors) : rest;
    } else return null;
    const read =
      encoding === 'PLAIN'
        ? this.isText
          ? textValues(values)
          : plainValues(values, this.decoder)
        : dictionaryValues(values, this.dictionary, header.type === 'DATA_PAGE');
    return new StreamedPage(rows, defs, read);
  }
}

/** Where a cursor's pages come from: ./parquet-pages.ts reads them from the file by range, checked. */
export interface PageSource {
  readonly done: boolean;
  next(): Promise<RawPage>;
}

/** Rows of a data page of a flat column (a dictionary page has none). */
function rowsOf(h: PageHeader): number {
  return h.data_page_header?.num_values ?? h.data_page_header_v2?.num_values ?? 0;
}

/** Physical types flow-log columns have (aws-facts §1.3), read a slice at a time. */
const STREAMED_TYPES = new Set(['INT32', 'INT64', 'BYTE_ARRAY', 'FIXED_LEN_BYTE_ARRAY']);
const VALUE_ENCODINGS = new Set(['PLAIN', 'PLAIN_DICTIONARY', 'RLE_DICTIONARY']);

/** The rest of a page's values: `left` of them, `read(k)` the next k (k <= left). */
interface PageValues {
  readonly left: number;
  read(k: number): DecodedArray;
}

const EMPTY: PageValues = { left: 0, read: () => [] };

/** A page hyparquet decoded whole. */
class WholePage implements PageValues {
  private at = 0;
  constructor(private readonly values: DecodedArray) {}
  get left(): number {
    return this.values.length - this.at;
  }
  read(k: number): DecodedArray {
    const out = this.values.slice(this.at, this.at + k);
    this.at += k;
    return out;
  }
}

/** A data page read a slice at a time: its definition levels (nullable columns), then its values. */
class StreamedPage implements PageValues {
  private levels = new Uint8Array(0);
  constructor(
    public left: number,
    private readonly defs: HybridRuns | null,
    private readonly values: (m: number) => DecodedArray,
  ) {}

  read(k: number): DecodedArray {
    this.left -= k;
    if (this.defs === null) return this.values(k);
    if (this.levels.length < k) this.levels = new Uint8Array(k);
    const levels = this.levels;
    this.defs.read(levels, k);
    let m = 0;
    for (let i = 0; i < k; i++) if (levels[i] === 1) m++;
    const present = this.values(m);
    if (m === k) return present;
    // A flat column: a value where the level is 1, a null elsewhere (as hyparquet assembles it).
    const out: unknown[] = new Array(k);
    for (let i = 0, j = 0; i < k; i++) out[i] = levels[i] === 1 ? present[j++] : null;
    return out as DecodedArray;
  }
}

/** PLAIN values read `m` at a time by hyparquet's reader, then converted (strings decoded) by it. */
function plainValues(page: Uint8Array, decoder: ColumnDecoder): (m: number) => DecodedArray {
  const reader = { view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 };
  const width = decoder.type === 'INT32' ? 4 : decoder.type === 'INT64' ? 8 : 0;
  return (m) => {
    if (m === 0) return [];
    // hyparquet's fixed-width reader views the page's buffer without a bound of its own.
    if (reader.offset + m * width > page.byteLength) throw new Error('values overrun the page');
    const raw = readPlain(reader, decoder.type, m, decoder.element.type_length);
    if (reader.offset > page.byteLength) throw new Error('values overrun the page');
    return convert(raw, decoder);
  };
}

/**
 * True when hyparquet's `convert` turns the column's BYTE_ARRAY values into strings by decoding
 * them as UTF-8 (what it does for flow logs' string columns, annotated UTF8 or STRING), so
 * {@link textValues} may decode them instead: the same strings.
 */
function isUtf8Text(decoder: ColumnDecoder): boolean {
  const { element, parsers } = decoder;
  const ctype = element.converted_type;
  const ltype = element.logical_type?.type;
  return (
    decoder.type === 'BYTE_ARRAY' &&
    parsers === DEFAULT_PARSERS &&
    decoder.utf8 !== false &&
    element.name !== 'inline' &&
    (ctype === undefined || ctype === 'UTF8') &&
    (ltype === undefined || ltype === 'STRING') &&
    !decoder.schemaPath.some((s) => s.element.logical_type?.type === 'VARIANT')
  );
}

const utf8 = new TextDecoder();

/** A Buffer's undocumented but long-standing Latin-1 slice (as in ../access-logs/parser.ts). */
type Latin1Bytes = Buffer & { latin1Slice(start: number, end: number): string };

/**
 * PLAIN BYTE_ARRAY values read `m` at a time straight into strings, the strings hyparquet's reader
 * and converter give (a UTF-8 TextDecoder). hyparquet first makes a Uint8Array view per value: on
 * a dictionary page of a million-row group (250,000 distinct addresses per address column), those
 * views lived through the whole page's decoding and were promoted, 142 MB of old generation for
 * 1,000,000 rows counted. A page whose bytes are all ASCII (lengths included) is read as Latin-1,
 * the same characters; any other page value by value with the TextDecoder hyparquet uses.
 */
function textValues(page: Uint8Array): (m: number) => string[] {
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  const ascii = isAscii(page);
  // Node's own Latin-1 slice: Buffer#toString parses its arguments on every call.
  const bytes = ascii ? (Buffer.from(page.buffer, page.byteOffset, page.byteLength) as Latin1Bytes) : null;
  const end = page.byteLength;
  let off = 0;
  return (m) => {
    const out: string[] = new Array(m);
    for (let i = 0; i < m; i++) {
      if (off + 4 > end) throw new Error('values overrun the page');
      const length = view.getUint32(off, true);
      const at = off + 4;
      off = at + length;
      if (off > end) throw new Error('values overrun the page');
      out[i] = bytes !== null ? bytes.latin1Slice(at, off) : utf8.decode(page.subarray(at, off));
    }
    return out;
  };
}

/**
 * Dictionary indices read `m` at a time, each replaced by its dictionary value. An index past the
 * dictionary, or a dictionary-encoded page without a dictionary, is damage: it throws, where
 * hyparquet would give `undefined` (read as a null) or the bare index.
 */
function dictionaryValues(
  page: Uint8Array,
  dictionary: DecodedArray | undefined,
  isV1: boolean,
): (m: number) => DecodedArray {
  let runs: HybridRuns | null = null;
  let indices = new Uint32Array(0);
  return (m) => {
    if (m === 0) return [];
    if (!dictionary) throw new Error('a dictionary-encoded page without a dictionary');
    if (runs === null) {
      if (page.length === 0) throw new Error('dictionary indices missing');
      const width = page[0]!;
      // A v1 page of bit width 0 holds no runs: every index is 0 (hyparquet reads it so).
      runs = width === 0 && isV1 ? null : new HybridRuns(page, 1, page.length, width);
      if (runs === null) {
        if (dictionary.length === 0) throw new Error('dictionary index 0 past an empty dictionary');
        return new Array(m).fill(dictionary[0]) as DecodedArray;
      }
    }
    if (indices.length < m) indices = new Uint32Array(m);
    runs.read(indices, m);
    const out: unknown[] = new Array(m);
    const size = dictionary.length;
    for (let i = 0; i < m; i++) {
      const j = indices[i]!;
      if (j >= size) throw new Error(`dictionary index ${j} past the dictionary's ${size} values`);
      out[i] = dictionary[j];
    }
    return out as DecodedArray;
  };
}

/** What hyparquet's page decoder needs to know of a flat column. */
export function columnDecoder(
  metadata: FileMetaData,
  meta: ColumnMetaData,
  compressors: Compressors,
): ColumnDecoder {
  const schemaPath = getSchemaPath(metadata.schema, meta.path_in_schema);
  return {
    pathInSchema: meta.path_in_schema,
    type: meta.type,
    element: schemaPath[schemaPath.length - 1]!.element,
    schemaPath,
    codec: meta.codec,
    compressors,
    parsers: DEFAULT_PARSERS,
  };
}
