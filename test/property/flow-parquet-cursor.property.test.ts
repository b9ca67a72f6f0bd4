import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { ColumnMetaData, Compressors, DecodedArray, FileMetaData } from 'hyparquet';
import { parquetHeader, readPage } from 'hyparquet/src/column.js';
import { convert } from 'hyparquet/src/convert.js';
import type { ColumnDecoder } from 'hyparquet/src/types.js';
import { ByteWriter } from 'hyparquet-writer';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js';
import { writePlain } from 'hyparquet-writer/src/plain.js';
import { describe, expect, it } from 'vitest';
import { columnDecoder, PageCursor } from '../../shared/flow-logs/parquet-cursor.js';
import { ChunkPages } from '../../shared/flow-logs/parquet-pages.js';

// The page cursor decodes the pages of a flat column a slice at a time (its own run reader, and
// hyparquet's PLAIN reader on part of a page); hyparquet's page decoder reads each page whole.
// Both must give the same values, for data pages v1 (what Java writers write by default) and v2
// (what hyparquet-writer writes), PLAIN and dictionary encodings, nullable or not, compressed or
// not, whatever the slices. The v1 pages are built here: no writer at hand writes them.

const deep = process.env.PATHGUARD_DEEP === '1';
const seed = process.env.PATHGUARD_SEED ? Number(process.env.PATHGUARD_SEED) : undefined;
const runs = (n: number) => ({ numRuns: deep ? n * 10 : n, ...(seed === undefined ? {} : { seed }) });

/** ASCII: BYTE_ARRAY strings of ASCII only, pages the cursor reads as Latin-1 (the others as UTF-8). */
type Kind = 'INT32' | 'INT64' | 'BYTE_ARRAY' | 'ASCII';
const physical = (k: Kind) => (k === 'ASCII' ? 'BYTE_ARRAY' : k);
type Cell = number | bigint | string | null;

interface Column {
  readonly kind: Kind;
  readonly optional: boolean;
  readonly dictionary: boolean;
  readonly v1: boolean;
  readonly gzip: boolean;
  /** Rows of each data page. */
  readonly pages: readonly (readonly Cell[])[];
}

const COMPRESSORS: Compressors = { GZIP: (input) => new Uint8Array(gunzipSync(input)) };

function bytesOf(write: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter();
  write(w);
  return new Uint8Array(w.getBytes());
}

/** A page header (hyparquet's shape: its parser's output is written back) and the page's bytes. */
function header(w: ByteWriter, h: object, body: Uint8Array): void {
  // hyparquet-writer types the header with its own copy of hyparquet's types.
  writePageHeader(w, h as Parameters<typeof writePageHeader>[1]);
  w.appendBytes(body);
}

/** A column chunk: a dictionary page (dictionary encoding), then one data page per `pages` entry. */
function chunkOf(c: Column): Uint8Array {
  const zip = (b: Uint8Array) => (c.gzip ? new Uint8Array(gzipSync(b)) : b);
  const dict = [...new Set(c.pages.flat().filter((v) => v !== null))];
  const w = new ByteWriter();
  if (c.dictionary) {
    const plain = bytesOf((p) => writePlain(p, dict as DecodedArray, physical(c.kind), undefined));
    const body = zip(plain);
    header(
      w,
      {
        type: 'DICTIONARY_PAGE',
        uncompressed_page_size: plain.length,
        compressed_page_size: body.length,
        dictionary_page_header: { num_values: dict.length, encoding: 'PLAIN' },
      },
      body,
    );
  }
  for (const rows of c.pages) {
    const present = rows.filter((v) => v !== null);
    const values = c.dictionary
      ? bytesOf((p) => {
          const indices = present.map((v) => dict.indexOf(v));
          const width = Math.ceil(Math.log2(Math.max(...indices, 0) + 1));
          p.appendUint8(width);
          if (width > 0 || !c.v1) writeRleBitPackedHybrid(p, indices, width);
        })
      : bytesOf((p) => writePlain(p, present as DecodedArray, physical(c.kind), undefined));
    const levels = c.optional
      ? bytesOf((p) =>
          writeRleBitPackedHybrid(
            p,
            rows.map((v) => (v === null ? 0 : 1)),
            1,
          ),
        )
      : new Uint8Array(0);
    const encoding = c.dictionary ? 'RLE_DICTIONARY' : 'PLAIN';
    if (c.v1) {
      const plain = bytesOf((p) => {
        if (c.optional) {
          p.appendUint32(levels.length);
          p.appendBytes(levels);
        }
        p.appendBytes(values);
      });
      const body = zip(plain);
      header(
        w,
        {
          type: 'DATA_PAGE',
          uncompressed_page_size: plain.length,
          compressed_page_size: body.length,
          data_page_header: {
            num_values: rows.length,
            encoding,
            definition_level_encoding: 'RLE',
            repetition_level_encoding: 'RLE',
          },
        },
        body,
      );
    } else {
      const packed = zip(values);
      header(
        w,
        {
          type: 'DATA_PAGE_V2',
          uncompressed_page_size: levels.length + values.length,
          compressed_page_size: levels.length + packed.length,
          data_page_header_v2: {
            num_values: rows.length,
            num_nulls: rows.length - present.length,
            num_rows: rows.length,
            encoding,
            definition_levels_byte_length: levels.length,
            repetition_levels_byte_length: 0,
            is_compressed: c.gzip,
          },
        },
        Uint8Array.from([...levels, ...packed]),
      );
    }
  }
  return new Uint8Array(w.getBytes());
}

function decoderOf(c: Column): ColumnDecoder {
  const element = {
    name: 'c',
    type: physical(c.kind),
    repetition_type: c.optional ? 'OPTIONAL' : 'REQUIRED',
    ...(physical(c.kind) === 'BYTE_ARRAY' ? { converted_type: 'UTF8' } : {}),
  } as const;
  const metadata = { schema: [{ name: 'root', num_children: 1 }, element] } as unknown as FileMetaData;
  const meta = { type: physical(c.kind), path_in_schema: ['c'], codec: c.gzip ? 'GZIP' : 'UNCOMPRESSED' };
  return columnDecoder(metadata, meta as unknown as ColumnMetaData, COMPRESSORS);
}

/** Every value of the chunk as hyparquet's page decoder gives it, page by page, whole. */
function wholeValues(chunk: Uint8Array, decoder: ColumnDecoder): unknown[] {
  const reader = { view: new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength), offset: 0 };
  let dictionary: DecodedArray | undefined;
  const out: unknown[] = [];
  while (reader.offset < chunk.length) {
    const h = parquetHeader(reader);
    const r = readPage(reader, h, decoder, dictionary, undefined, 0);
    if (h.type === 'DICTIONARY_PAGE') dictionary = r.data && convert(r.data, decoder);
    else out.push(...(r.data ?? []));
  }
  return out.map((v) => v ?? null);
}

/**
 * The chunk's pages as the reader gets them: read from the "file" (the chunk, at an offset) by
 * range, `readAhead` bytes ahead, each read a copy (as from a file).
 */
function pagesOf(chunk: Uint8Array, decoder: ColumnDecoder, rows: number, readAhead: number): ChunkPages {
  const at = 1000;
  const read = async (start: number, end: number) => {
    expect(start).toBeGreaterThanOrEqual(at);
    expect(end).toBeLessThanOrEqual(at + chunk.length);
    return chunk.slice(start - at, end - at);
  };
  const span = { column: 'c', start: at, end: at + chunk.length };
  const optional = decoder.element.repetition_type !== 'REQUIRED';
  return new ChunkPages(read, span, 0, rows, decoder.codec, optional, COMPRESSORS, readAhead);
}

/** The chunk's values through the cursor, in slices of the given sizes (cycled). */
async function slicedValues(
  chunk: Uint8Array,
  decoder: ColumnDecoder,
  rows: number,
  sizes: number[],
  readAhead = 64 * 1024,
): Promise<unknown[]> {
  const cursor = new PageCursor(pagesOf(chunk, decoder, rows, readAhead), decoder);
  const out: unknown[] = [];
  for (let i = 0; out.length < rows; i++) {
    const n = Math.min(sizes[i % sizes.length]!, rows - out.length);
    if (!cursor.has(n)) await cursor.fill(n);
    const got = cursor.take(n);
    expect(got.length).toBe(n);
    out.push(...Array.from(got as ArrayLike<unknown>));
  }
  await cursor.finish();
  return out.map((v) => v ?? null);
}

const cellOf = (kind: Kind): fc.Arbitrary<Cell> =>
  kind === 'INT32'
    ? fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })
    : kind === 'INT64'
      ? fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
      : kind === 'ASCII'
        ? fc.string({ maxLength: 140, unit: 'binary-ascii' })
        : fc.oneof(fc.string({ maxLength: 12, unit: 'grapheme' }), fc.constant('\ufeffbom'));

/** A column: values drawn from a pool of 1 to 300 (long runs when few), nulls only when nullable, 1 to 3 pages. */
const columnArb: fc.Arbitrary<Column> = fc
  .record({
    kind: fc.constantFrom<Kind>('INT32', 'INT64', 'BYTE_ARRAY', 'ASCII'),
    optional: fc.boolean(),
    dictionary: fc.boolean(),
    v1: fc.boolean(),
    gzip: fc.boolean(),
  })
  .chain((c) =>
    fc.array(cellOf(c.kind), { minLength: 1, maxLength: 300 }).chain((pool) => {
      const cell = fc.constantFrom(...pool);
      const row = c.optional ? fc.option(cell, { nil: null, freq: 4 }) : cell;
      return fc.record({
        kind: fc.constant(c.kind),
        optional: fc.constant(c.optional),
        dictionary: fc.constant(c.dictionary),
        v1: fc.constant(c.v1),
        gzip: fc.constant(c.gzip),
        pages: fc.array(fc.array(row, { minLength: 1, maxLength: 1500 }), { minLength: 1, maxLength: 3 }),
      });
    }),
  );

describe('Parquet page cursor', () => {
  it('gives the values hyparquet decodes from whole chunks, whatever the slices and reads', async () => {
    await fc.assert(
      fc.asyncProperty(
        columnArb,
        fc.array(fc.integer({ min: 1, max: 2100 }), { minLength: 1, maxLength: 5 }),
        // Read-ahead windows that cut headers and pages anywhere, and ones that hold whole chunks.
        fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 20_000 })),
        async (column, sizes, readAhead) => {
          const chunk = chunkOf(column);
          const decoder = decoderOf(column);
          const rows = column.pages.reduce((n, p) => n + p.length, 0);
          const whole = wholeValues(chunk, decoder);
          expect(whole).toHaveLength(rows);
          expect(await slicedValues(chunk, decoder, rows, sizes, readAhead)).toEqual(whole);
        },
      ),
      runs(150),
    );
  });

  it('refuses a dictionary index past the dictionary, which hyparquet would read as a null', async () => {
    const column: Column = {
      kind: 'BYTE_ARRAY',
      optional: true,
      dictionary: true,
      v1: true,
      gzip: false,
      pages: [['a', 'b', 'a', 'b', 'c', null, 'a', 'b', 'c']],
    };
    const chunk = chunkOf(column);
    const decoder = decoderOf(column);
    // The dictionary page's header now says 2 values: index 2 ('c') points past it.
    const reader = { view: new DataView(chunk.buffer), offset: 0 };
    const h = parquetHeader(reader);
    expect(h.dictionary_page_header?.num_values).toBe(3);
    const end = reader.offset + h.compressed_page_size;
    const damaged = Uint8Array.from([
      ...bytesOf((w) =>
        header(
          w,
          { ...h, dictionary_page_header: { ...h.dictionary_page_header!, num_values: 2 } },
          chunk.subarray(reader.offset, end),
        ),
      ),
      ...chunk.subarray(end),
    ]);
    await expect(slicedValues(damaged, decoder, 9, [9])).rejects.toThrow(/dictionary index 2 past/);
    expect(await slicedValues(chunk, decoder, 9, [4])).toEqual([
      'a',
      'b',
      'a',
      'b',
      'c',
      null,
      'a',
      'b',
      'c',
    ]);
  });

  it('stops at runs that end before the page has all its values', async () => {
    const column: Column = {
      kind: 'INT32',
      optional: true,
      dictionary: false,
      v1: true,
      gzip: false,
      pages: [[1, null, 3, 4, null, 6, 7, 8, 9, 10]],
    };
    const chunk = chunkOf(column);
    const decoder = decoderOf(column);
    // The page claims 4,000 values; its definition levels hold 10.
    const reader = { view: new DataView(chunk.buffer), offset: 0 };
    const h = parquetHeader(reader);
    const body = chunk.subarray(reader.offset);
    const liar = bytesOf((w) =>
      header(w, { ...h, data_page_header: { ...h.data_page_header!, num_values: 4000 } }, body),
    );
    await expect(slicedValues(liar, decoder, 4000, [2048])).rejects.toThrow(/runs end|bit-packed run ends/);
  });
});
