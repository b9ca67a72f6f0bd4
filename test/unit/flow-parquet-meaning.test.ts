import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { writeFlowParquet } from '../../functions/lab/flow-parquet-writer.js';
import { FLOW_PARQUET_CODECS } from '../../functions/lib/flow-parquet.js';
import {
  DEFAULT_FLOW_FORMAT,
  type FlowFormat,
  flowFormatOf,
  formatFlowRecord,
  parseFlowLogText,
} from '../../shared/flow-logs/index.js';
import { FlowParquetReader } from '../../shared/flow-logs/parquet.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';

// The AWS VPC user guide's default-format examples ("Flow log record examples"), read as text.
const AWS_DOC = parseFlowLogText(
  readFileSync(new URL('../fixtures/flow-logs/aws-doc-default.log', import.meta.url), 'utf8'),
  { rejects: new RejectCounter() },
);
const ACCEPTED = AWS_DOC[0]!;

/**
 * Rows with the shape of a flow record and no meaning: each is the AWS accepted example with one
 * value a wrong writer (or a swapped column) would put there.
 */
const NONSENSE: [FlowRecord, string, string][] = [
  [{ ...ACCEPTED, srcaddr: '123456789010' }, 'BAD_ADDRESS', 'srcaddr: not an IP address (FLOW_ADDRESS)'],
  [{ ...ACCEPTED, dstaddr: '172.31.16.256' }, 'BAD_ADDRESS', 'dstaddr: not an IP address'],
  [{ ...ACCEPTED, srcport: 70000 }, 'OUT_OF_RANGE', 'srcport: 70000 is above 65535 (FLOW_PORT)'],
  [{ ...ACCEPTED, protocol: 300 }, 'OUT_OF_RANGE', 'protocol: 300 is above 255 (FLOW_PROTOCOL)'],
  [{ ...ACCEPTED, action: 'OK' }, 'BAD_VALUE', "action: 'OK' is not one of ACCEPT, REJECT"],
  [{ ...ACCEPTED, logStatus: 'ACCEPT' }, 'BAD_VALUE', "log-status: 'ACCEPT' is not one of OK"],
  [
    { ...ACCEPTED, start: ACCEPTED.end, end: ACCEPTED.start },
    'BAD_TIME',
    'start 1418530070 is after end 1418530010 (FLOW_START_END)',
  ],
];

async function readParquet(
  bytes: Uint8Array,
  opts: { fields?: readonly string[]; countOnly?: boolean; skipMeaningChecks?: boolean } = {},
) {
  const rejects = new RejectCounter(100);
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

function readText(records: readonly FlowRecord[], format: FlowFormat) {
  const rejects = new RejectCounter(100);
  const text = `${records.map((r) => formatFlowRecord(r, format)).join('\n')}\n`;
  return { records: parseFlowLogText(text, { rejects, format }), rejects };
}

const samples = (r: RejectCounter) => r.samples.map((s) => [s.line, s.code, s.message]);

describe('meaning checks on Parquet rows (the text parser checks, one implementation)', () => {
  it('rejects rows whose values make no flow-log sense, with the codes and messages text gives', async () => {
    // Prepare: the nonsense rows between the AWS examples, written as AWS writes Parquet.
    const rows = [...AWS_DOC, ...NONSENSE.map(([r]) => r)];
    const bytes = writeFlowParquet(rows, DEFAULT_FLOW_FORMAT, { rowGroupSize: 4 });
    // Act
    const parquet = await readParquet(bytes);
    const text = readText(rows, DEFAULT_FLOW_FORMAT);
    // Assess: the AWS examples pass, every nonsense row is rejected for its own reason.
    expect(parquet.failure).toBeNull();
    expect(parquet.records).toEqual(AWS_DOC);
    expect(parquet.rejects.count).toBe(NONSENSE.length);
    NONSENSE.forEach(([, code, message], k) => {
      const s = parquet.rejects.samples[k]!;
      expect(s.line).toBe(AWS_DOC.length + k + 1);
      expect(s.code).toBe(code);
      expect(s.message).toContain(message);
    });
    expect(parquet.rejects.byCode).toEqual(text.rejects.byCode);
    expect(samples(parquet.rejects)).toEqual(samples(text.rejects));
    expect(text.records).toEqual(parquet.records);
  });

  it('rejects the same rows when counting and when a projection leaves the broken column out', async () => {
    const rows = [ACCEPTED, ...NONSENSE.map(([r]) => r)];
    const bytes = writeFlowParquet(rows, DEFAULT_FLOW_FORMAT);
    const counted = await readParquet(bytes, { countOnly: true });
    expect(counted.reader.records).toBe(1);
    expect(samples(counted.rejects)).toEqual(samples((await readParquet(bytes)).rejects));
    // Only srcaddr is wanted: the port, protocol, action, status and time columns are still checked.
    const projected = await readParquet(bytes, { fields: ['srcaddr'] });
    expect(projected.records).toEqual([{ srcaddr: ACCEPTED.srcaddr }]);
    expect(samples(projected.rejects)).toEqual(samples(counted.rejects));
  });

  it('reports the first broken field in column order, as a text line in that order would', async () => {
    const format = flowFormatOf(['action', 'srcport', 'srcaddr', 'start', 'end']);
    const rows: FlowRecord[] = [
      { action: 'NOPE', srcport: 99999, srcaddr: 'x', start: 2, end: 1 },
      { action: 'ACCEPT', srcport: 99999, srcaddr: 'x', start: 2, end: 1 },
      { action: 'ACCEPT', srcport: 1, srcaddr: 'x', start: 2, end: 1 },
      { action: 'ACCEPT', srcport: 1, srcaddr: '::1', start: 2, end: 1 },
      { action: null, srcport: null, srcaddr: null, start: null, end: 1 },
    ];
    const parquet = await readParquet(writeFlowParquet(rows, format));
    expect(parquet.rejects.samples.map((s) => s.code)).toEqual([
      'BAD_VALUE',
      'OUT_OF_RANGE',
      'BAD_ADDRESS',
      'BAD_TIME',
    ]);
    expect(samples(parquet.rejects)).toEqual(samples(readText(rows, format).rejects));
    expect(parquet.records).toEqual([rows[4]]);
  });

  it('accepts the nonsense rows only when meaning checks are switched off (the benchmark baseline)', async () => {
    const rows = NONSENSE.map(([r]) => r);
    const got = await readParquet(writeFlowParquet(rows, DEFAULT_FLOW_FORMAT), { skipMeaningChecks: true });
    expect(got.rejects.count).toBe(0);
    expect(got.records).toEqual(rows);
  });
});
