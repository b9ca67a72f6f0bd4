import {
  type AsyncBuffer,
  type Compressors,
  type FileMetaData,
  parquetMetadata,
  parquetMetadataAsync,
  type SchemaElement,
} from 'hyparquet';
import { fail, ok, type ParseError, parseError, type Result } from '../result.js';
import type { RejectCounter } from '../text/rejects.js';
import { type FlowFieldSpec, fieldSpec } from './fields.js';
import { type FlowFormat, flowFormatOf } from './format.js';
import { columnDecoder, PageCursor } from './parquet-cursor.js';
import { ChunkPages, chunkSpans, describe, guarded, isCount } from './parquet-pages.js';
import {
  checkStartEndColumns,
  type FlowCell,
  type FlowRowBuilder,
  flowRowBuilder,
  normalizeColumn,
} from './parquet-values.js';
import type { FlowMeaningOption } from './parser.js';
import type { FlowRecord } from './types.js';

export { MAX_PARQUET_PAGE_BYTES } from './parquet-pages.js';

/**
 * VPC Flow Logs delivered to S3 as Apache Parquet (aws-facts §1.6, §10.3), decoded into the same
 * records as the text parser: the same keys, integers as numbers, absent values as `null`.
 *
 * What AWS writes: one column per field of the flow log's format, in its order, named by the field
 * with `_` for `-` (`pkt_dstaddr`, `end`, …); INT_32 for `version`, ports, `protocol`, `tcp-flags`
 * and `traffic-path`, INT_64 for `packets`, `bytes`, `start` and `end`, strings for the rest
 * (aws-facts §1.3); nulls where text has `-`; pages compressed with Gzip ("Parquet format with
 * Gzip compression", VPC user guide, flow-logs-s3-path). AWS's own Athena DDL reads `protocol`
 * as bigint, so either integer width is accepted for every integer field.
 *
 * This module decodes bytes already in memory (hyparquet is pure JavaScript, no I/O); reading the
 * file or the S3 object, and the codecs, are the caller's (functions/lib/flow-parquet.ts).
 * A damaged file is a {@link ParseError}, never an exception.
 */

/** `PAR1`: the 4 bytes a Parquet file starts and ends with. */
export const PARQUET_MAGIC: Uint8Array = Uint8Array.of(0x50, 0x41, 0x52, 0x31);

/** True when the bytes start with the Parquet magic `PAR1`. */
export function hasParquetMagic(head: Uint8Array): boolean {
  return (
    head.length >= 4 &&
    head[0] === PARQUET_MAGIC[0] &&
    head[1] === PARQUET_MAGIC[1] &&
    head[2] === PARQUET_MAGIC[2] &&
    head[3] === PARQUET_MAGIC[3]
  );
}

/** The flow-log field a Parquet column holds: `pkt_dstaddr` → `pkt-dstaddr` (aws-facts §10.3). */
export function flowFieldOfColumn(column: string): string {
  return column.replaceAll('_', '-');
}

/** The Parquet column AWS names a field: `pkt-dstaddr` → `pkt_dstaddr`. */
export function flowColumnOf(field: string): string {
  return field.replaceAll('-', '_');
}

const COLUMN_NAME = /^[a-z][a-z0-9_-]*$/;

/** One column the reader decodes: where it comes from and how its values are checked. */
interface ColumnPlan {
  readonly column: string;
  readonly spec: FlowFieldSpec;
  /** Nullable (OPTIONAL): its pages carry definition levels. */
  readonly optional: boolean;
}

/** A Parquet flow-log file's layout: its format (fields in column order) and row count. */
export interface FlowParquetLayout {
  readonly format: FlowFormat;
  readonly rows: number;
  readonly rowGroups: number;
  readonly codecs: readonly string[];
}

export interface FlowParquetOptions extends FlowMeaningOption {
  /** Input name for reject samples. */
  readonly source: string;
  readonly rejects: RejectCounter;
  /**
   * Records carry only these keys (`srcaddr`, `trafficPath`, …): column projection. Columns that
   * are neither wanted nor covered by a meaning rule are not decoded (unlike text, where every
   * field is scanned anyway), so their shape goes unchecked. Default: every column.
   */
  readonly fields?: readonly string[];
  /** Page decompressors by codec (SNAPPY is built in); each is guarded by {@link MAX_PARQUET_PAGE_BYTES}. */
  readonly compressors?: Compressors;
  /** Check every value, build no records (the `--count` path). */
  readonly countOnly?: boolean;
}

/** Where a file stopped being readable, and the row it had reached. */
export interface FlowParquetFailure {
  readonly row: number;
  readonly error: ParseError;
}

/**
 * A Parquet file's bytes, read by range on demand: a file on disk, an object in memory. The
 * reader asks for the first 4 bytes, the footer, then each column chunk's pages as its cursor
 * reaches them (64 KB read ahead, a larger page whole), so neither the file nor a row group is
 * ever held whole unless it already is in memory.
 */
export interface ParquetBytes {
  readonly byteLength: number;
  /** Bytes `[start, end)`, all of them (a short read is an error). */
  read(start: number, end: number): Promise<Uint8Array>;
}

/** Bytes already in memory as {@link ParquetBytes}: ranges are views, not copies. */
export function parquetBytesOf(bytes: Uint8Array): ParquetBytes {
  const n = bytes.byteLength;
  return {
    byteLength: n,
    read: async (start, end) =>
      bytes.subarray(Math.max(0, Math.min(start, n)), Math.max(0, Math.min(end, n))),
  };
}

/** A {@link ParquetBytes} as the AsyncBuffer hyparquet reads its footer from. */
function asyncBufferOf(src: ParquetBytes): AsyncBuffer {
  return {
    byteLength: src.byteLength,
    slice: async (start: number, end?: number) => {
      const b = await src.read(start, end ?? src.byteLength);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    },
  };
}

/**
 * Most bytes of column chunks one row group may need at once. AWS closes a flow-log file at 75
 * MB (flow-logs-s3-path), so its row groups are smaller; this bounds the memory of a reader
 * whatever a file claims.
 */
export const MAX_PARQUET_GROUP_BYTES = 96 * 1024 * 1024;
/**
 * Rows decoded and built at once (./parquet-cursor.ts decodes pages a slice at a time). Smaller
 * slices leave less in flight when the young generation is collected, so less is promoted and the
 * old generation grows less between full collections: peak RSS of `parse flow` NDJSON and
 * `classify --summary` on 500,000 rows in 100,000-row groups was 180-214 MB at 4,096 rows,
 * 120-164 MB at 2,048 and no lower at 1,024, at the same CPU time.
 */
const SLICE_ROWS = 2048;

const INTEGER_TYPES = new Set(['INT32', 'INT64']);
const STRING_TYPES = new Set(['BYTE_ARRAY', 'FIXED_LEN_BYTE_ARRAY', 'INT32', 'INT64']);

/**
 * Reads and checks a Parquet file's footer: a flat schema of flow-log columns (a group, a list or
 * a type no flow-log field has is refused, as is a name that is not a field name).
 */
export function readFlowParquetLayout(bytes: Uint8Array): Result<ParquetHead> {
  try {
    return readHead(bytes);
  } catch (e) {
    // A footer that decodes into shapes the checks below do not expect is damage too.
    return fail(parseError('BAD_ENCODING', `damaged Parquet footer: ${describe(e)}`));
  }
}

interface ParquetHead {
  readonly layout: FlowParquetLayout;
  readonly metadata: FileMetaData;
  readonly plans: ColumnPlan[];
}

function readHead(bytes: Uint8Array): Result<ParquetHead> {
  if (!hasParquetMagic(bytes))
    return fail(parseError('BAD_FORMAT', 'not a Parquet file: it does not start with PAR1'));
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(bytes, { geoparquet: false });
  } catch (e) {
    return fail(unreadableFooter(e));
  }
  return layoutOf(metadata);
}

const unreadableFooter = (e: unknown) =>
  parseError('BAD_ENCODING', `unreadable Parquet footer (truncated or damaged): ${describe(e)}`);

/** {@link readFlowParquetLayout} of a file read by range: its first 4 bytes, then its footer. */
async function readHeadFrom(src: ParquetBytes): Promise<Result<ParquetHead>> {
  try {
    if (!hasParquetMagic(await src.read(0, 4)))
      return fail(parseError('BAD_FORMAT', 'not a Parquet file: it does not start with PAR1'));
    let metadata: FileMetaData;
    try {
      metadata = await parquetMetadataAsync(asyncBufferOf(src), { geoparquet: false });
    } catch (e) {
      return fail(unreadableFooter(e));
    }
    return layoutOf(metadata);
  } catch (e) {
    return fail(parseError('BAD_ENCODING', `damaged Parquet footer: ${describe(e)}`));
  }
}

function layoutOf(metadata: FileMetaData): Result<ParquetHead> {
  const [root, ...elements] = metadata.schema;
  if (!root || elements.length === 0 || root.num_children !== elements.length)
    return fail(parseError('BAD_FORMAT', 'Parquet schema is not a flat list of flow-log columns'));
  const plans: ColumnPlan[] = [];
  const seen = new Set<string>();
  for (const el of elements) {
    const bad = columnProblem(el, seen);
    if (bad) return fail(parseError('BAD_FORMAT', bad));
    seen.add(el.name);
    plans.push({
      column: el.name,
      spec: fieldSpec(flowFieldOfColumn(el.name)),
      optional: el.repetition_type !== 'REQUIRED',
    });
  }
  const rows = Number(metadata.num_rows);
  if (!Number.isSafeInteger(rows) || rows < 0)
    return fail(parseError('BAD_FORMAT', `Parquet footer claims ${String(metadata.num_rows)} rows`));
  let total = 0;
  for (const group of metadata.row_groups) {
    const n = Number(group.num_rows);
    if (!isCount(n))
      return fail(parseError('BAD_ENCODING', `a row group claims ${String(group.num_rows)} rows`));
    total += n;
  }
  if (total !== rows)
    return fail(parseError('BAD_ENCODING', `row groups hold ${total} rows, the footer claims ${rows}`));
  const used = [
    ...new Set(metadata.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec ?? '?'))),
  ];
  return ok({
    layout: {
      format: flowFormatOf(plans.map((p) => p.spec.name)),
      rows,
      rowGroups: metadata.row_groups.length,
      codecs: used,
    },
    metadata,
    plans,
  });
}

function columnProblem(el: SchemaElement, seen: ReadonlySet<string>): string | null {
  if (typeof el.name !== 'string') return 'a Parquet column without a name';
  const name = el.name.slice(0, 60);
  if (!COLUMN_NAME.test(el.name)) return `Parquet column '${name}' is not a flow-log field name`;
  if (seen.has(el.name)) return `Parquet column '${name}' appears twice`;
  if (el.num_children || el.type === undefined) return `Parquet column '${name}' is a group, not a value`;
  if (el.repetition_type === 'REPEATED') return `Parquet column '${name}' is a list, not a value`;
  const spec = fieldSpec(flowFieldOfColumn(el.name));
  const types = spec.integer ? INTEGER_TYPES : STRING_TYPES;
  if (!types.has(el.type))
    return `Parquet column '${name}' is ${el.type}; the field is ${spec.integer ? 'an integer' : 'a string'}`;
  return null;
}

/**
 * Decodes a Parquet flow-log file held in memory, one row group at a time, into batches of
 * records (the text parser's records: same keys in column order, same types). A bad row is
 * counted in `rejects` with its 1-based row number and a coded reason; a file that cannot be
 * decoded (not Parquet, damaged footer, a schema that is not a flow log, a damaged page) stops
 * with {@link FlowParquetReader.failure} set after the rows before the damage. Never throws.
 *
 * @example
 * const reader = new FlowParquetReader(bytes, { source: key, rejects, compressors });
 * for await (const batch of reader.batches()) use(batch);
 * if (reader.failure) rejects.add(key, reader.failure.row, reader.failure.error);
 */
export class FlowParquetReader {
  /** Rows that became records (or passed every check, in countOnly mode). */
  records = 0;
  /** Set when the file stopped being readable. */
  failure: FlowParquetFailure | null = null;
  /** The file's layout, once its footer has been read. */
  layout: FlowParquetLayout | null = null;

  constructor(
    private readonly bytes: Uint8Array | ParquetBytes,
    private readonly opts: FlowParquetOptions,
  ) {}

  async *batches(): AsyncGenerator<FlowRecord[]> {
    const codecs = guarded(this.opts.compressors);
    const src = this.bytes instanceof Uint8Array ? parquetBytesOf(this.bytes) : this.bytes;
    const head =
      this.bytes instanceof Uint8Array ? readFlowParquetLayout(this.bytes) : await readHeadFrom(src);
    if (!head.ok) {
      this.failure = { row: 0, error: head.error };
      return;
    }
    const { metadata, plans } = head.value;
    this.layout = head.value.layout;
    const plan = planColumns(plans, this.opts);
    const checked = new Map(plan.decode.map((p) => [p.column, p.optional]));
    let first = 0;
    for (const [g, group] of metadata.row_groups.entries()) {
      const n = Number(group.num_rows);
      const cursors = this.openGroup(src, metadata, g, checked, codecs, plan);
      if (typeof cursors === 'string') {
        this.failure = { row: first + 1, error: parseError('BAD_ENCODING', cursors) };
        return;
      }
      for (let s = 0; s < n; s += SLICE_ROWS) {
        const k = Math.min(SLICE_ROWS, n - s);
        const unread = await fillColumns(cursors, k, false);
        if (unread !== null) {
          this.failure = { row: first + s + 1, error: parseError('BAD_ENCODING', unread) };
          return;
        }
        const bad: (ParseError | undefined)[] = new Array(k);
        const cols = decodeRows(cursors, plan, first + s, k, bad);
        if (!Array.isArray(cols)) {
          this.failure = { row: first + s + 1, error: cols };
          return;
        }
        const batch: FlowRecord[] = [];
        for (let i = 0; i < k; i++) {
          const problem = bad[i];
          if (problem !== undefined) {
            this.opts.rejects.add(this.opts.source, first + s + i + 1, problem);
            continue;
          }
          this.records++;
          if (!this.opts.countOnly) batch.push(plan.build(cols, i));
        }
        if (batch.length > 0) yield batch;
      }
      const extra = await fillColumns(cursors, 0, true);
      if (extra !== null) {
        this.failure = { row: first + n + 1, error: parseError('BAD_ENCODING', extra) };
        return;
      }
      first += n;
    }
  }

  /**
   * A page cursor per planned column of row group `g` (in plan order), reading its chunk's pages
   * by range as it needs them (./parquet-pages.ts checks each as it is read), or why the group
   * cannot be read.
   */
  private openGroup(
    src: ParquetBytes,
    metadata: FileMetaData,
    g: number,
    checked: ReadonlyMap<string, boolean>,
    codecs: Compressors,
    plan: ReadPlan,
  ): PageCursor[] | string {
    const group = metadata.row_groups[g]!;
    const spans = chunkSpans(group, g, checked, src.byteLength);
    if (typeof spans === 'string') return spans;
    let total = 0;
    for (const s of spans.values()) total += s.end - s.start;
    if (total > MAX_PARQUET_GROUP_BYTES)
      return `row group ${g} holds ${total} bytes of the columns read, more than ${MAX_PARQUET_GROUP_BYTES}`;
    const cursors: PageCursor[] = [];
    const rows = Number(group.num_rows);
    const read = (start: number, end: number) => src.read(start, end);
    for (const p of plan.decode) {
      const span = spans.get(p.column)!;
      try {
        const pages = new ChunkPages(read, span, g, rows, span.meta.codec, p.optional, codecs);
        cursors.push(new PageCursor(pages, columnDecoder(metadata, span.meta, codecs)));
      } catch (e) {
        return `column ${span.column} of row group ${g}: ${describe(e)}`;
      }
    }
    return cursors;
  }
}

/**
 * Reads the pages the planned columns need for their next `n` rows (`done`: the group's rows are
 * all taken, so every column must end there), or says why it cannot.
 */
async function fillColumns(cursors: readonly PageCursor[], n: number, done: boolean): Promise<string | null> {
  try {
    if (done) for (const c of cursors) await c.finish();
    else for (const c of cursors) if (!c.has(n)) await c.fill(n);
    return null;
  } catch (e) {
    return describe(e);
  }
}

/** Which columns a read decodes, which it checks for meaning, and how a row becomes a record. */
interface ReadPlan {
  /** In the file's column order, so a row's first problem is the one a text line would give. */
  readonly decode: readonly ColumnPlan[];
  readonly meaning: boolean;
  /** Indices into `decode` of `start` and `end` (-1: absent, or meaning checks off). */
  readonly startAt: number;
  readonly endAt: number;
  readonly build: FlowRowBuilder;
}

/**
 * The columns to decode: the wanted ones, and, unless meaning checks are off, every column a
 * meaning rule covers (addresses, ports, protocol, `action`, `log-status`, `start` and `end`)
 * even when not wanted: a projection must not let through a row the text parser, which checks
 * every field whatever it keeps, would reject. Other unwanted columns are neither decoded nor
 * checked. With nothing to decode, the first column is decoded anyway: it gives the rows.
 */
function planColumns(plans: readonly ColumnPlan[], opts: FlowParquetOptions): ReadPlan {
  const meaning = opts.skipMeaningChecks !== true;
  const wanted = opts.fields === undefined ? null : new Set(opts.fields);
  const isWanted = (p: ColumnPlan) => wanted === null || wanted.has(p.spec.key);
  const isRuled = (p: ColumnPlan) =>
    meaning && (p.spec.rule !== null || p.spec.name === 'start' || p.spec.name === 'end');
  let decode = plans.filter((p) => isWanted(p) || isRuled(p));
  if (decode.length === 0) decode = plans.slice(0, 1);
  const kept = decode.flatMap((p, j) => (isWanted(p) ? [j] : []));
  const startAt = meaning ? decode.findIndex((p) => p.spec.name === 'start') : -1;
  const endAt = meaning ? decode.findIndex((p) => p.spec.name === 'end') : -1;
  return {
    decode,
    meaning,
    startAt,
    endAt,
    build: flowRowBuilder(
      kept.map((j) => decode[j]!.spec.key),
      kept,
    ),
  };
}

/** Decodes and checks the next `n` rows (from row `rowStart`) of the planned columns, or says why it cannot. */
function decodeRows(
  cursors: readonly PageCursor[],
  plan: ReadPlan,
  rowStart: number,
  n: number,
  bad: (ParseError | undefined)[],
): FlowCell[][] | ParseError {
  try {
    const cols = cursors.map((c, j) => {
      const values = c.take(n);
      if (values.length !== n)
        throw new Error(`column ${plan.decode[j]!.column} has ${values.length} of ${n} rows`);
      return normalizeColumn(values, plan.decode[j]!.spec, bad, plan.meaning);
    });
    if (plan.startAt >= 0 && plan.endAt >= 0)
      checkStartEndColumns(cols[plan.startAt]!, cols[plan.endAt]!, bad);
    return cols;
  } catch (e) {
    return parseError('BAD_ENCODING', `damaged Parquet data from row ${rowStart + 1}: ${describe(e)}`);
  }
}

/** Decodes a whole Parquet flow-log file (tests, small inputs); a file failure becomes a reject. */
export async function parseFlowParquet(
  bytes: Uint8Array,
  opts: Omit<FlowParquetOptions, 'source'> & { source?: string },
): Promise<FlowRecord[]> {
  const source = opts.source ?? '-';
  const reader = new FlowParquetReader(bytes, { ...opts, source });
  const out: FlowRecord[] = [];
  for await (const b of reader.batches()) out.push(...b);
  if (reader.failure) opts.rejects.add(source, reader.failure.row, reader.failure.error);
  return out;
}
