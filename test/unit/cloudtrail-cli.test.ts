import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { type CloudTrailReadStats, readCloudTrailRecords } from '../../functions/lib/read-cloudtrail.js';
import type { CloudTrailRecord } from '../../shared/cloudtrail/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { runCli } from './run-cli.js';

// Composed fixtures; see test/fixtures/cloudtrail/README.md.
const fixture = (name: string) => new URL(`../fixtures/cloudtrail/${name}`, import.meta.url).pathname;
const GZ = '111122223333_CloudTrail_us-east-1_20260115T1020Z_AbCdEfGh12345678.json.gz';
const KEPT = ['7Q4W9E2R8T5Y1U3I', '9K3L5M7N1P2Q4R6S', '2B4D6F8H0J1K3M5N', 'A1B2C3D4E5F6G7H8'];
const dir = mkdtempSync(join(tmpdir(), 'pathguard-ct-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ids = (ndjson: string) =>
  ndjson
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as CloudTrailRecord).requestId);

async function readAll(chunks: Buffer[], maxEventBytes?: number) {
  const rejects = new RejectCounter();
  const stats: CloudTrailReadStats = { events: 0 };
  const records: CloudTrailRecord[] = [];
  const opts = { stdin: Readable.from(chunks), rejects, stats, ...(maxEventBytes ? { maxEventBytes } : {}) };
  for await (const batch of readCloudTrailRecords('-', opts)) records.push(...batch);
  return { records, rejects, stats };
}

describe('pathguard parse cloudtrail', () => {
  it('reads a gzip CloudTrail log file and keeps the S3 data and network-activity events', async () => {
    const r = await runCli(['parse', 'cloudtrail', fixture(GZ)]);
    expect(r.code).toBe(0);
    expect(ids(r.stdout)).toEqual(KEPT);
    expect(r.stderr).toBe(
      'rejected 0\nskipped 2 (2 CloudTrail events other than S3 data and network-activity events)\n',
    );
  });

  it('reads the same events one per line, pretty-printed, and from standard input', async () => {
    for (const name of ['events.ndjson', 'trail-log-file-pretty.json', 'trail-log-file.json']) {
      const r = await runCli(['parse', 'cloudtrail', fixture(name)]);
      expect(ids(r.stdout)).toEqual(KEPT);
    }
    const r = await runCli(
      ['parse', 'cloudtrail', '--count'],
      Readable.from([readFileSync(fixture('events.ndjson'))]),
    );
    expect(r).toMatchObject({ code: 0, stdout: 'records 4 rejected 0\n' });
  });

  it('reads a filter-log-events export whose messages are the events', async () => {
    const r = await runCli(['parse', 'cloudtrail', fixture('cloudwatch-export.json')]);
    expect(r.code).toBe(0);
    expect(ids(r.stdout)).toEqual(KEPT);
    expect(r.stderr).toBe(
      'rejected 0\nskipped 2 (2 CloudTrail events other than S3 data and network-activity events)\n',
    );
  });

  it('exits 1 naming the file on a truncated gzip', async () => {
    const gz = readFileSync(fixture(GZ));
    const file = join(dir, 'cut.json.gz');
    writeFileSync(file, gz.subarray(0, gz.length - 40));
    const r = await runCli(['parse', 'cloudtrail', '--count', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`pathguard parse cloudtrail: ${file}: truncated gzip data`);
  });

  it('reports malformed events with line, event number and code, and goes on', async () => {
    const lines = readFileSync(fixture('events.ndjson'), 'utf8').split('\n').filter(Boolean);
    const file = join(dir, 'mixed.ndjson');
    writeFileSync(
      file,
      [
        lines[0],
        'not json at all',
        '{"eventVersion":"1.11","eventSource":"s3.amazonaws.com"}',
        '{"a":',
        '{"a":1,}',
        lines[2],
      ].join('\n'),
    );
    const r = await runCli(['parse', 'cloudtrail', '--count', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('records 2 rejected 4\n');
    expect(r.stderr.split('\n').slice(1, 5)).toEqual([
      `  ${file}:2: BAD_JSON: event 2: text outside any JSON object`,
      `  ${file}:3: NOT_A_RECORD: event 3: not a CloudTrail event (no eventSource or eventName)`,
      `  ${file}:4: BAD_JSON: event 4: JSON value not closed at the end of its line`,
      `  ${file}:5: BAD_JSON: event 5: not valid JSON`,
    ]);
  });
});

describe('readCloudTrailRecords', () => {
  it('rejects an event nested deeper than the cap as TOO_DEEP and reads the events after it', async () => {
    const ok = readFileSync(fixture('events.ndjson'), 'utf8').split('\n')[0]!;
    const deep = `{"eventVersion":"1.11","x":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`;
    const { records, rejects } = await readAll([Buffer.from(`{"Records":[${deep},${ok}]}`)]);
    expect(records).toHaveLength(1);
    expect(rejects.samples.map((x) => x.code)).toEqual(['TOO_DEEP']);
    expect(rejects.samples[0]!.message).toBe('event 1: event nested deeper than 64 levels');
  });

  it('cuts events out of a Records array across any chunk boundaries', async () => {
    const bytes = readFileSync(fixture('trail-log-file-pretty.json'));
    for (const size of [1, 7, 64, 1000]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      const { records, rejects, stats } = await readAll(chunks);
      expect(records.map((r) => r.requestId)).toEqual(KEPT);
      expect(rejects.count).toBe(0);
      expect(stats).toEqual({ events: 6 });
      expect(rejects.skippedBy).toEqual({ NOT_PATH_EVENT: 2 });
    }
  });

  it('ignores other keys of the log file object, before and after Records', async () => {
    const events = JSON.parse(readFileSync(fixture('trail-log-file.json'), 'utf8')).Records;
    const doc = JSON.stringify({
      before: { Records: [{ x: 1 }] },
      Records: events,
      after: [{ eventName: 'x' }],
    });
    const { records, stats } = await readAll([Buffer.from(doc)]);
    expect(records.map((r) => r.requestId)).toEqual(KEPT);
    expect(stats.events).toBe(6);
  });

  it('reads a JSON array of events and lookup-events output', async () => {
    const events = JSON.parse(readFileSync(fixture('trail-log-file.json'), 'utf8')).Records as object[];
    const array = await readAll([Buffer.from(JSON.stringify(events))]);
    expect(array.records.map((r) => r.requestId)).toEqual(KEPT);
    const lookup = JSON.stringify({
      Events: events.map((e, i) => ({ EventId: String(i), CloudTrailEvent: JSON.stringify(e) })),
      NextToken: 'x',
    });
    const wrapped = await readAll([Buffer.from(lookup)]);
    expect(wrapped.records.map((r) => r.requestId)).toEqual(KEPT);
  });

  it('keeps strings with braces, brackets and escaped quotes intact', async () => {
    const event = JSON.parse(readFileSync(fixture('events.ndjson'), 'utf8').split('\n')[0]!);
    event.userAgent = 'agent "with" {braces} [and] \\ "Records": [';
    const { records } = await readAll([Buffer.from(`${JSON.stringify({ Records: [event, event] })}\n`)]);
    expect(records.map((r) => r.userAgent)).toEqual([event.userAgent, event.userAgent]);
  });

  it('rejects an oversized event and an event cut off at the end, without holding them', async () => {
    const line = readFileSync(fixture('events.ndjson'), 'utf8').split('\n')[0]!;
    const big = JSON.stringify({ ...JSON.parse(line), padding: 'x'.repeat(5000) });
    const { records, rejects } = await readAll([Buffer.from(`${big}\n${line}\n${line.slice(0, 100)}`)], 4096);
    expect(records).toHaveLength(1);
    expect(rejects.samples.map((s) => [s.line, s.code])).toEqual([
      [1, 'LINE_TOO_LONG'],
      [3, 'BAD_JSON'],
    ]);
  });
});
