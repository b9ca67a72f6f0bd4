import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { parquetMetadata } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { type ColumnSource, parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { writeFlowParquet } from '../../functions/lab/flow-parquet-writer.js';
import {
  COLLECT_ABOVE_RSS_BYTES,
  collectAboveBytes,
  FLOW_PARQUET_CODECS,
  INFLATE_CHUNK_MAX_BYTES,
  InflateCollector,
} from '../../functions/lib/flow-parquet.js';
import { countFlowRecords } from '../../functions/lib/read-flow.js';
import {
  DEFAULT_FLOW_FORMAT,
  type FlowFormat,
  parseFlowFormat,
  parseFlowLogText,
} from '../../shared/flow-logs/index.js';
import {
  FlowParquetReader,
  flowColumnOf,
  flowFieldOfColumn,
  hasParquetMagic,
  type ParquetBytes,
  parseFlowParquet,
} from '../../shared/flow-logs/parquet.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';

const fixture = (n: string) => new URL(`../fixtures/flow-logs/${n}`, import.meta.url);
/** The v5 format of the AWS "EC2 to Amazon S3 through an internet gateway" example. */
const IGW_V5 = parseFlowFormat(
  'version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status',
);
if (!IGW_V5.ok) throw new Error('format');

function text(name: string, format: FlowFormat): FlowRecord[] {
  const rejects = new RejectCounter();
  const out = parseFlowLogText(readFileSync(fixture(name), 'utf8'), { rejects, format });
  expect(rejects.count).toBe(0);
  return out;
}

async function decode(bytes: Uint8Array, opts: { fields?: readonly string[]; countOnly?: boolean } = {}) {
  const rejects = new RejectCounter();
  const reader = new FlowParquetReader(bytes, {
    source: 'f.parquet',
    rejects,
    compressors: FLOW_PARQUET_CODECS,
    ...opts,
  });
  const records: FlowRecord[] = [];
  for await (const b of reader.batches()) records.push(...b);
  return { records, rejects, failure: reader.failure, reader };
}

/** A Parquet file of the given columns, Gzip pages (as AWS writes). */
function file(columnData: ColumnSource[]): Uint8Array {
  return new Uint8Array(
    parquetWriteBuffer({ columnData, codec: 'GZIP', compressors: { GZIP: (b) => gzipSync(b) } }),
  );
}

describe('Parquet flow logs', () => {
  it('decodes the AWS documentation examples into the records the text parser makes, key order included', async () => {
    // Fixtures: the verbatim examples of the VPC user guide "Flow log record examples"
    // (aws-doc-default.log, aws-doc-igw-s3-v5.log) written as AWS delivers Parquet.
    for (const [name, format] of [
      ['aws-doc-default.log', DEFAULT_FLOW_FORMAT],
      ['aws-doc-igw-s3-v5.log', IGW_V5.value],
    ] as const) {
      const want = text(name, format);
      const got = await decode(new Uint8Array(readFileSync(fixture(`${name}.parquet`))));
      expect(got.failure).toBeNull();
      expect(got.rejects.count).toBe(0);
      expect(JSON.stringify(got.records)).toBe(JSON.stringify(want));
      expect(got.reader.layout?.format.spec).toBe(format.spec);
      expect(got.reader.layout?.codecs).toEqual(['GZIP']);
    }
  });

  it('writes the column names and types AWS writes: _ for -, INT_32, INT_64, strings, nullable', () => {
    const records = text('aws-doc-igw-s3-v5.log', IGW_V5.value);
    const md = parquetMetadata(writeFlowParquet(records, IGW_V5.value));
    const schema = Object.fromEntries(md.schema.slice(1).map((e) => [e.name, e]));
    expect(Object.keys(schema)).toEqual(IGW_V5.value.fields.map((f) => flowColumnOf(f.name)));
    expect(schema.pkt_dst_aws_service).toMatchObject({ type: 'BYTE_ARRAY', converted_type: 'UTF8' });
    for (const c of ['version', 'srcport', 'dstport', 'protocol', 'tcp_flags', 'traffic_path'])
      expect(schema[c]?.type, c).toBe('INT32');
    for (const c of ['packets', 'bytes', 'start', 'end']) expect(schema[c]?.type, c).toBe('INT64');
    expect(md.schema.slice(1).every((e) => e.repetition_type === 'OPTIONAL')).toBe(true);
    expect(md.row_groups[0]?.columns.map((c) => c.meta_data?.codec)).toContain('GZIP');
    expect(flowFieldOfColumn('pkt_dst_aws_service')).toBe('pkt-dst-aws-service');
  });

  it('reads only the columns asked for and those meaning rules cover (column projection): fewer pages inflated', async () => {
    const bytes = new Uint8Array(readFileSync(fixture('aws-doc-igw-s3-v5.log.parquet')));
    let pages = 0;
    const counting = {
      GZIP: (input: Uint8Array, n: number) => {
        pages++;
        return FLOW_PARQUET_CODECS.GZIP!(input, n);
      },
    };
    const read = async (fields?: string[], skipMeaningChecks = false) => {
      pages = 0;
      const r = new FlowParquetReader(bytes, {
        source: 'x',
        rejects: new RejectCounter(),
        compressors: counting,
        skipMeaningChecks,
        ...(fields ? { fields } : {}),
      });
      const out: FlowRecord[] = [];
      for await (const b of r.batches()) out.push(...b);
      return { out, pages };
    };
    const all = await read();
    const two = await read(['srcaddr', 'trafficPath']);
    expect(two.out).toEqual([
      { srcaddr: '52.95.128.179', trafficPath: null },
      { srcaddr: '10.0.0.71', trafficPath: 8 },
    ]);
    // 12 of the 29 columns: the two wanted, and the ten meaning rules cover (addresses, ports,
    // protocol, start, end, action, log-status), which text checks whatever it keeps.
    expect(two.pages).toBeLessThan(all.pages / 2);
    const bare = await read(['srcaddr', 'trafficPath'], true);
    expect(bare.out).toEqual(two.out);
    expect(bare.pages).toBeLessThan(all.pages / 5);
    // A projection the file has no column for still gives one (empty) record per row.
    expect((await read(['ecsTaskId'])).out).toEqual([{}, {}]);
  });

  it('accepts either integer width for every integer field and "-" as null, as Athena reads them', async () => {
    const got = await decode(
      file([
        { name: 'version', type: 'INT64', data: [5n, 5n] },
        { name: 'srcport', type: 'INT64', data: [443n, null] },
        { name: 'protocol', type: 'INT64', data: [6n, 6n] },
        { name: 'start', type: 'INT32', data: [1616729292, 1616729292] },
        { name: 'pkt_dst_aws_service', type: 'STRING', data: ['S3', '-'] },
        { name: 'encryption_status', type: 'INT32', data: [1, null] },
      ]),
    );
    expect(got.failure).toBeNull();
    expect(got.records).toEqual([
      {
        version: 5,
        srcport: 443,
        protocol: 6,
        start: 1616729292,
        pktDstAwsService: 'S3',
        encryptionStatus: '1',
      },
      {
        version: 5,
        srcport: null,
        protocol: 6,
        start: 1616729292,
        pktDstAwsService: null,
        encryptionStatus: null,
      },
    ]);
  });

  it('rejects, with a coded reason and the row number, values a text record could not carry', async () => {
    const got = await decode(
      file([
        { name: 'srcport', type: 'INT32', data: [443, -1, 443, 443, 443] },
        { name: 'bytes', type: 'INT64', data: [1n, 1n, 2n ** 60n, 1n, 1n] },
        { name: 'srcaddr', type: 'STRING', data: ['10.0.0.1', '10.0.0.1', '10.0.0.1', '10.0 .1', ''] },
      ]),
    );
    expect(got.failure).toBeNull();
    expect(got.records).toEqual([{ srcport: 443, bytes: 1, srcaddr: '10.0.0.1' }]);
    expect(got.rejects.byCode).toEqual({ BAD_NUMBER: 2, BAD_VALUE: 2 });
    expect(got.rejects.samples.map((s) => [s.line, s.code])).toEqual([
      [2, 'BAD_NUMBER'],
      [3, 'BAD_NUMBER'],
      [4, 'BAD_VALUE'],
      [5, 'BAD_VALUE'],
    ]);
  });

  it('refuses a file that is not a flow log: a wrong type, a nested column, a name that is no field name', async () => {
    const cases: [ColumnSource[], RegExp][] = [
      [
        [{ name: 'srcport', type: 'STRING', data: ['443'] }],
        /srcport' is BYTE_ARRAY; the field is an integer/,
      ],
      [[{ name: 'action', type: 'BOOLEAN', data: [true] }], /action' is BOOLEAN; the field is a string/],
      [[{ name: 'Src Addr', type: 'STRING', data: ['x'] }], /not a flow-log field name/],
      [[{ name: 'srcaddr', type: 'VARIANT', data: [{ a: 1 }] }], /flat list/],
    ];
    for (const [cols, message] of cases) {
      const got = await decode(file(cols));
      expect(got.records).toEqual([]);
      expect(got.failure?.error.code).toBe('BAD_FORMAT');
      expect(got.failure?.error.message).toMatch(message);
    }
  });

  it('stops with BAD_ENCODING on a damaged file, keeping the row groups before the damage', async () => {
    const records = text('aws-doc-default.log', DEFAULT_FLOW_FORMAT);
    const many = Array.from({ length: 40 }, (_, i) => records[i % records.length]!);
    const bytes = writeFlowParquet(many, DEFAULT_FLOW_FORMAT, { rowGroupSize: 10 });
    expect(hasParquetMagic(bytes)).toBe(true);
    expect((await decode(bytes.subarray(0, bytes.length - 1))).failure?.error).toMatchObject({
      code: 'BAD_ENCODING',
      message: expect.stringMatching(/unreadable Parquet footer/),
    });
    expect(
      (await decode(new TextEncoder().encode('2 1 eni-1 - - - - - - - 1 2 - NODATA\n'))).failure?.error,
    ).toMatchObject({ code: 'BAD_FORMAT', message: 'not a Parquet file: it does not start with PAR1' });
    // Garble the pages of the third row group: its gzip check fails, the first two are kept.
    const md = parquetMetadata(bytes);
    const third = md.row_groups[2]!.columns.map((c) => Number(c.meta_data!.data_page_offset));
    const broken = Uint8Array.from(bytes);
    for (const at of third) for (let i = 40; i < 48; i++) broken[at + i] = (broken[at + i]! + 77) & 0xff;
    const got = await decode(broken);
    expect(got.records).toHaveLength(20);
    expect(got.failure).toMatchObject({ row: expect.any(Number), error: { code: 'BAD_ENCODING' } });
  });

  it('counts Parquet files on disk without leaving a file open', async () => {
    // The count path opens a file for its first bytes, then reopens a Parquet file for ranged
    // reads: the first handle was left to the garbage collector (a warning on stderr per file).
    const dir = mkdtempSync(join(tmpdir(), 'pg-parquet-fd-'));
    try {
      const file = join(dir, 'fl.parquet');
      const records = text('aws-doc-default.log', DEFAULT_FLOW_FORMAT);
      writeFileSync(file, writeFlowParquet(records, DEFAULT_FLOW_FORMAT));
      const open = () => readdirSync('/proc/self/fd').length;
      const before = open();
      for (let i = 0; i < 3; i++)
        expect(await countFlowRecords(file, { rejects: new RejectCounter() })).toBe(records.length);
      expect(open()).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a file by range, one row group at a time, into the records it gives in memory', async () => {
    const records = text('aws-doc-default.log', DEFAULT_FLOW_FORMAT);
    // Groups of 9,000 rows: more than one slice of rows each, the last slice short.
    const many = Array.from({ length: 30_000 }, (_, i) => records[i % records.length]!);
    const bytes = writeFlowParquet(many, DEFAULT_FLOW_FORMAT, { rowGroupSize: 9_000 });
    const groups = parquetMetadata(bytes).row_groups;
    expect(groups).toHaveLength(4);
    const reads: number[] = [];
    const ranged: ParquetBytes = {
      byteLength: bytes.length,
      read: async (start, end) => {
        reads.push(end - start);
        return Uint8Array.from(bytes.subarray(start, end));
      },
    };
    const rejects = new RejectCounter();
    const reader = new FlowParquetReader(ranged, { source: 'r', rejects, compressors: FLOW_PARQUET_CODECS });
    const got: FlowRecord[] = [];
    for await (const b of reader.batches()) got.push(...b);
    expect(reader.failure).toBeNull();
    expect(got).toEqual((await decode(bytes)).records);
    expect(got).toHaveLength(many.length);
    // The magic, the footer, then one read per column chunk, never two groups at once.
    const chunks = groups.flatMap((g) => g.columns.map((c) => Number(c.meta_data!.total_compressed_size)));
    expect(reads.slice(2)).toEqual(chunks);
    // Reads failing from the third row group on: the failure names its first row, the rows before stay.
    let left = 2 + 2 * DEFAULT_FLOW_FORMAT.fields.length;
    const short: ParquetBytes = {
      byteLength: bytes.length,
      read: async (start, end) => {
        if (left-- <= 0) throw new Error('gone');
        return bytes.subarray(start, end);
      },
    };
    const cut = new FlowParquetReader(short, { source: 'r', rejects, compressors: FLOW_PARQUET_CODECS });
    let n = 0;
    for await (const b of cut.batches()) n += b.length;
    expect(n).toBe(18_000);
    expect(cut.failure).toMatchObject({ row: 18_001, error: { code: 'BAD_ENCODING' } });
  });

  it('refuses page headers and run lengths that lie before hyparquet expands them (regressions from fuzzing)', async () => {
    const records = text('aws-doc-default.log', DEFAULT_FLOW_FORMAT);
    const bytes = writeFlowParquet(records, DEFAULT_FLOW_FORMAT);
    const md = parquetMetadata(bytes);
    const col = (name: string) =>
      md.row_groups[0]!.columns.find((c) => c.meta_data!.path_in_schema[0] === name)!.meta_data!;
    // 1. A data page header whose counts are gone made hyparquet read runs from garbage without end.
    const header = Uint8Array.from(bytes);
    const at = Number(col('srcaddr').data_page_offset);
    // Compact protocol: field 8 (data_page_header_v2) after field 3 is delta 5, type struct: 0x5c.
    const v2 = header.indexOf(0x5c, at);
    expect(v2).toBeGreaterThan(at);
    expect(v2).toBeLessThan(at + pageHeaderLength(bytes, at));
    header[v2 + 1] = 0x00; // end the struct at once: no num_values, num_rows, num_nulls
    expect((await decode(header)).failure?.error.message).toMatch(
      /missing or inconsistent counts|unreadable page/,
    );
    // 2. A definition-level run of 2^33 values: V8 aborted the whole process growing the array.
    const run = Uint8Array.from(bytes);
    const page = Number(col('srcaddr').data_page_offset);
    const body = page + pageHeaderLength(bytes, page);
    run.set([0x80, 0x80, 0x80, 0x80, 0x40], body); // varint 2^34: an RLE run of 2^33
    const got = await decode(run);
    expect(got.failure?.error).toMatchObject({ code: 'BAD_ENCODING' });
    expect(got.failure?.error.message).toMatch(/definition levels|run/);
  });

  it('counts without building records, checking every column', async () => {
    const bytes = new Uint8Array(readFileSync(fixture('aws-doc-default.log.parquet')));
    const got = await decode(bytes, { countOnly: true });
    expect(got.records).toEqual([]);
    expect(got.reader.records).toBe(5);
    expect(got.failure).toBeNull();
  });

  it('parseFlowParquet counts a file failure as one reject', async () => {
    const rejects = new RejectCounter();
    expect(await parseFlowParquet(Uint8Array.of(1, 2, 3), { rejects })).toEqual([]);
    expect(rejects.byCode).toEqual({ BAD_FORMAT: 1 });
  });
});

/** Length of the thrift page header at `at`. */
function pageHeaderLength(bytes: Uint8Array, at: number): number {
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset + at), offset: 0 };
  parquetHeader(reader);
  return reader.offset;
}

describe('InflateCollector', () => {
  it('collects once per 8 MB of inflated pages, only while the process is over its budget', () => {
    let rss = 100;
    const runs: number[] = [];
    const c = new InflateCollector(
      () => rss,
      () => runs.push(rss),
      8,
      128,
    );
    expect([3, 4].map((n) => c.count(n))).toEqual([3, 4]);
    expect(runs).toEqual([]);
    c.count(1); // 8 counted, under the budget: the count starts again, nothing collected
    expect(runs).toEqual([]);
    rss = 130;
    c.count(7);
    expect(runs).toEqual([]);
    c.count(1);
    expect(runs).toEqual([130]);
    c.count(20); // one page past the step: one collection, not one per step
    expect(runs).toEqual([130, 130]);
    c.count(-5); // a negative claim counts as nothing
    c.count(7);
    expect(runs).toEqual([130, 130]);
  });

  it('collects above 128 MiB in the CLI, above half the memory of a larger Lambda function', () => {
    const MiB = 1024 * 1024;
    expect(collectAboveBytes({})).toBe(COLLECT_ABOVE_RSS_BYTES);
    expect(COLLECT_ABOVE_RSS_BYTES).toBe(128 * MiB);
    expect(collectAboveBytes({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128' })).toBe(128 * MiB);
    expect(collectAboveBytes({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1769' })).toBe(884 * MiB);
    expect(collectAboveBytes({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '10240' })).toBe(5120 * MiB);
    for (const junk of ['', 'abc', '-512', 'Infinity', '0'])
      expect(collectAboveBytes({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: junk })).toBe(128 * MiB);
  });

  it('allocates what a page holds, not what a lying header claims', () => {
    const page = Buffer.from('y'.repeat(1000));
    for (const [codec, packed] of [
      ['GZIP', gzipSync(page)],
      ['BROTLI', brotliCompressSync(page)],
    ] as const) {
      const out = FLOW_PARQUET_CODECS[codec]!(packed, 128 * 1024 * 1024);
      expect(Buffer.from(out).equals(page)).toBe(true);
      expect(out.buffer.byteLength).toBeLessThanOrEqual(INFLATE_CHUNK_MAX_BYTES + 64);
    }
  });

  it('leaves what the codecs inflate unchanged', () => {
    const page = Buffer.from('x'.repeat(100_000));
    const out = FLOW_PARQUET_CODECS.GZIP!(gzipSync(page), page.length);
    expect(Buffer.from(out).equals(page)).toBe(true);
  });
});
