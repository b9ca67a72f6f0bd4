import type { ColumnMetaData, Compressors, DecodedArray, FileMetaData } from 'hyparquet';
import { parquetHeader, readPage } from 'hyparquet/src/column.js';
import { convert, DEFAULT_PARSERS } from 'hyparquet/src/convert.js';
import { getSchemaPath } from 'hyparquet/src/schema.js';
import type { ColumnDecoder } from 'hyparquet/src/types.js';

/**
 * The values of one column chunk, decoded a page at a time as rows are asked for: a row group is
 * read in slices of rows, with one decoded page per column alive at once instead of whole
 * columns (100,000 rows of 29 columns decoded whole held about 120 MB of heap).
 * hyparquet's own readers return a column chunk's values whole, so pages go through its page
 * decoder (`readPage`) here. The chunk's pages were checked before (./parquet-pages.ts).
 */
export class PageCursor {
  private readonly reader: { view: DataView; offset: number };
  private dictionary: DecodedArray | undefined;
  private page: DecodedArray = [];
  private at = 0;

  constructor(
    chunk: Uint8Array,
    private readonly decoder: ColumnDecoder,
  ) {
    this.reader = { view: new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength), offset: 0 };
  }

  /** The next `n` values. Throws when the chunk ends before them (damage the page checks missed). */
  take(n: number): DecodedArray {
    while (this.at >= this.page.length) this.nextPage();
    // Within one page (the common case: pages hold thousands of rows): a slice, no loop.
    if (this.page.length - this.at >= n) {
      const out = this.page.slice(this.at, this.at + n);
      this.at += n;
      return out;
    }
    const out: unknown[] = new Array(n);
    let i = 0;
    while (i < n) {
      while (this.at >= this.page.length) this.nextPage();
      const m = Math.min(n - i, this.page.length - this.at);
      for (let j = 0; j < m; j++) out[i + j] = this.page[this.at + j];
      i += m;
      this.at += m;
    }
    return out as DecodedArray;
  }

  private nextPage(): void {
    if (this.reader.offset >= this.reader.view.byteLength)
      throw new Error('column chunk ends before its rows do');
    const header = parquetHeader(this.reader);
    const r = readPage(this.reader, header, this.decoder, this.dictionary, undefined, 0);
    if (header.type === 'DICTIONARY_PAGE') {
      if (r.data) this.dictionary = convert(r.data, this.decoder);
      return;
    }
    this.page = r.data ?? [];
    this.at = 0;
  }
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
