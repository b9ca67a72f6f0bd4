// VPC Flow Logs in Parquet against the text parser, on the same records in the same run: the
// generated v5 records of flow-logs.bench.ts written once as S3-delivered text (header line) and
// once as AWS writes Parquet (GZIP pages, 100,000-row groups), then read through
// `readFlowRecords` (what parse, classify and analyze use) and `countFlowRecords`.
//
// BENCH_FLOW_LINES (default 2,000,000) sets the input size; BENCH_FLOW_RUNS (default 3) the runs
// per row (the median is printed). Writing the 2M-row Parquet input takes minutes (hyparquet-writer):
// BENCH_FLOW_DIR names a folder that keeps both inputs (v5.log, v5.log.parquet) between runs.
// The last rows measure the meaning checks (shared/flow-logs/meaning.ts): each reader with the
// checks on and off, on the same input.

import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFlowParquetFile } from '../../functions/lab/flow-parquet-writer.js';
import { FLOW_PARQUET_CODECS } from '../../functions/lib/flow-parquet.js';
import { countFlowRecords, readFlowRecords } from '../../functions/lib/read-flow.js';
import { FLOW_CLASSIFICATION_FIELDS } from '../../shared/classify/index.js';
import { FlowLogStreamParser, flowFormatOf, parseFlowLogText } from '../../shared/flow-logs/index.js';
import { FlowParquetReader } from '../../shared/flow-logs/parquet.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { flowLine, rng, V5_FIELDS, writeFlowFile } from './flow-data.js';

const LINES = Number(process.env.BENCH_FLOW_LINES ?? 2_000_000);
const RUNS = Number(process.env.BENCH_FLOW_RUNS ?? 3);
const GROUP = 100_000;
/** Every 65,536th record lands here, so no engine can prove the records unused. */
const sink: unknown[] = [];

interface Row {
  readonly seconds: number;
  readonly cpu: number;
  readonly records: number;
}

async function timed(f: () => Promise<number>): Promise<Row> {
  const t = performance.now();
  const c = process.cpuUsage();
  const records = await f();
  const u = process.cpuUsage(c);
  return { seconds: (performance.now() - t) / 1000, cpu: (u.user + u.system) / 1e6, records };
}

async function repeat(f: () => Promise<number>): Promise<Row> {
  const rows: Row[] = [];
  for (let i = 0; i < RUNS; i++) rows.push(await timed(f));
  return [...rows].sort((a, b) => a.seconds - b.seconds)[Math.floor(rows.length / 2)]!;
}

function print(label: string, row: Row, base?: Row): void {
  const rate = Math.round(row.records / row.seconds).toLocaleString('en-US');
  const vs = base ? `${(row.seconds / base.seconds).toFixed(2)}x` : '1.00x';
  console.log(`| ${label} | ${row.seconds.toFixed(3)} | ${row.cpu.toFixed(3)} | ${rate} | ${vs} |`);
}

/** The same records flow-data's writeFlowFile writes, in batches of one row group. */
function* batches(): Generator<FlowRecord[]> {
  const r = rng();
  const t0 = 1_764_000_000;
  for (let i = 0; i < LINES; i += GROUP) {
    let text = `${V5_FIELDS}\n`;
    for (let j = i; j < Math.min(LINES, i + GROUP); j++) text += `${flowLine(r, t0 + ((j / 2000) | 0))}\n`;
    yield parseFlowLogText(text, { rejects: new RejectCounter() });
  }
}

const read = (file: string, fields?: readonly string[]) => async () => {
  let n = 0;
  for await (const b of readFlowRecords(file, {
    rejects: new RejectCounter(),
    ...(fields ? { fields } : {}),
  })) {
    n += b.length;
    if ((n & 0xffff) < b.length) sink.push(b[0]);
  }
  return n;
};

/** Every record of the text file through the stream parser, meaning checks on or off. */
const parseText = (file: string, skipMeaningChecks: boolean) => async () => {
  let n = 0;
  const p = new FlowLogStreamParser({
    source: file,
    rejects: new RejectCounter(),
    skipMeaningChecks,
    onRecord: (r) => {
      if ((++n & 0xffff) === 0) sink.push(r);
    },
  });
  for await (const c of createReadStream(file, { highWaterMark: 256 * 1024 })) p.push(c as Buffer);
  p.end();
  return p.records;
};

/** Every row of the Parquet file through the reader, meaning checks on or off. */
const parseParquet = (file: string, skipMeaningChecks: boolean) => async () => {
  const r = new FlowParquetReader(readFileSync(file), {
    source: file,
    rejects: new RejectCounter(),
    compressors: FLOW_PARQUET_CODECS,
    skipMeaningChecks,
  });
  for await (const b of r.batches()) sink.push(b[0]);
  return r.records;
};

export default async function bench(): Promise<void> {
  const keep = process.env.BENCH_FLOW_DIR;
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'pg-bench-parquet-'));
  if (keep) mkdirSync(keep, { recursive: true });
  try {
    const plain = join(dir, 'v5.log');
    const parquet = join(dir, 'v5.log.parquet');
    const bytes = keep && existsSync(plain) ? statSync(plain).size : await writeFlowFile(plain, LINES);
    const written =
      keep && existsSync(parquet)
        ? { seconds: Number.NaN, cpu: Number.NaN, records: LINES }
        : await timed(async () =>
            writeFlowParquetFile(parquet, flowFormatOf(V5_FIELDS.split(' ')), batches()),
          );
    const size = statSync(parquet).size;
    console.log(
      `input: the same ${LINES.toLocaleString('en-US')} v5 records (29 fields) as text (${(bytes / 1e6).toFixed(0)} MB, header line) ` +
        `and as Parquet (${(size / 1e6).toFixed(0)} MB, GZIP pages, ${GROUP.toLocaleString('en-US')}-row groups, written in ` +
        `${written.seconds.toFixed(0)} s); median of ${RUNS} runs; CPU = user + system seconds of this process`,
    );
    console.log('\n| what | seconds | CPU s | records/s | time vs text |\n|---|---:|---:|---:|---:|');
    const text = await repeat(read(plain));
    print('text: `readFlowRecords`, all 29 fields (plain file, baseline)', text);
    print('Parquet: `readFlowRecords`, all 29 columns', await repeat(read(parquet)), text);
    const fields = FLOW_CLASSIFICATION_FIELDS;
    const textTen = await repeat(read(plain, fields));
    print('text: `readFlowRecords`, 10 fields built (every field still scanned)', textTen, text);
    print(
      'Parquet: `readFlowRecords`, 10 fields kept (projection: 16 of 29 columns decoded, the 6 meaning-rule ones too)',
      await repeat(read(parquet, fields)),
      text,
    );
    const textCount = await repeat(() => countFlowRecords(plain, { rejects: new RejectCounter() }));
    print('text: `countFlowRecords`', textCount, text);
    print(
      'Parquet: `countFlowRecords` (every column decoded and checked)',
      await repeat(() => countFlowRecords(parquet, { rejects: new RejectCounter() })),
      text,
    );
    const textParser = await repeat(parseText(plain, false));
    print('text parser, meaning checks on', textParser, text);
    print('text parser, meaning checks off', await repeat(parseText(plain, true)), text);
    print('Parquet reader, meaning checks on', await repeat(parseParquet(parquet, false)), text);
    print('Parquet reader, meaning checks off', await repeat(parseParquet(parquet, true)), text);
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
    sink.length = 0;
  }
}
