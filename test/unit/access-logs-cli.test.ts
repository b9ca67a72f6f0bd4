import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { countAccessLogRecords, readAccessLogRecords } from '../../functions/lib/read-access-logs.js';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { runCli } from './run-cli.js';

const fixture = (name: string) => new URL(`../fixtures/access-logs/${name}`, import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'pathguard-sal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const records = (ndjson: string) =>
  ndjson
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AccessLogRecord);

describe('pathguard parse s3-access', () => {
  it('prints one JSON record per line for the AWS documentation examples', async () => {
    const r = await runCli(['parse', 's3-access', fixture('aws-doc-2023.log'), fixture('aws-doc-2014.log')]);
    expect(r.code).toBe(0);
    const out = records(r.stdout);
    expect(out).toHaveLength(8);
    expect(out[0]).toMatchObject({
      requestId: '3E57427F3EXAMPLE',
      time: '2019-02-06T00:00:38.000Z',
      key: null,
    });
    expect(out[7]).toMatchObject({ bucket: 'mybucket', objectSize: 4406583, versionId: null, hostId: null });
    expect(r.stderr).toBe('rejected 0\n');
  });

  it('counts records and rejects, and names each reject with line and code on stderr', async () => {
    const r = await runCli(['parse', 's3-access', '--count', fixture('bad.log')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('records 2 rejected 4\n');
    const name = fixture('bad.log');
    expect(r.stderr.split('\n')).toEqual([
      'rejected 4 (WRONG_FIELD_COUNT 1, BAD_TIME 1, BAD_NUMBER 1, BAD_QUOTING 1)',
      `  ${name}:2: WRONG_FIELD_COUNT: expected at least 17 fields, got 7`,
      `  ${name}:3: BAD_TIME: time is not [dd/Mon/yyyy:HH:MM:SS +hhmm]`,
      `  ${name}:5: BAD_NUMBER: httpStatus is not a non-negative integer or -`,
      `  ${name}:6: BAD_QUOTING: quoted field opened with " but never closed`,
      '',
    ]);
  });

  it('reads standard input when given - or no file', async () => {
    const text = readFileSync(fixture('aws-doc-current.log'), 'utf8');
    for (const args of [
      ['parse', 's3-access', '-'],
      ['parse', 's3-access'],
    ]) {
      const r = await runCli(args, text);
      expect(r.code).toBe(0);
      expect(records(r.stdout).map((x) => x.extra)).toEqual([['us-east-1']]);
    }
  });

  it('reads gzip by content, whatever the name, including CRLF line ends', async () => {
    const text = readFileSync(fixture('aws-doc-2023.log'), 'utf8').replace(/\n/g, '\r\n');
    const file = join(dir, 'access.log');
    writeFileSync(file, gzipSync(text));
    const r = await runCli(['parse', 's3-access', '--count', file]);
    expect(r).toMatchObject({ code: 0, stdout: 'records 3 rejected 0\n' });
  });

  it('reads CloudWatch Logs JSON records, one per line', async () => {
    const r = await runCli(['parse', 's3-access', fixture('cloudwatch-records.ndjson')]);
    expect(r.code).toBe(0);
    expect(records(r.stdout).map((x) => [x.requestId, x.time, x.httpStatus])).toEqual([
      ['7Q4W9E2R8T5Y1U3I', '2026-01-15T10:15:02.117Z', 200],
      ['8H2J5K7L9Z1X3C4V', '2026-01-15T10:15:04.502Z', 403],
    ]);
  });

  it('reads filter-log-events exports whose messages are JSON records or text lines', async () => {
    const json = await runCli(['parse', 's3-access', fixture('cloudwatch-export-json.json')]);
    expect(json.code).toBe(0);
    expect(records(json.stdout).map((x) => x.requestId)).toEqual(['7Q4W9E2R8T5Y1U3I', '8H2J5K7L9Z1X3C4V']);
    const text = await runCli(['parse', 's3-access', '--count', fixture('cloudwatch-export-text.json')]);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe('records 3 rejected 1\n');
    expect(text.stderr).toContain(`${fixture('cloudwatch-export-text.json')}:4: WRONG_FIELD_COUNT`);
  });

  it('reads the events of an export one per line, gzip or not', async () => {
    const doc = JSON.parse(readFileSync(fixture('cloudwatch-export-text.json'), 'utf8')) as {
      events: object[];
    };
    const file = join(dir, 'events.ndjson.gz');
    writeFileSync(file, gzipSync(doc.events.map((e) => JSON.stringify(e)).join('\n')));
    const r = await runCli(['parse', 's3-access', file]);
    expect(records(r.stdout).map((x) => x.requestId)).toEqual([
      '3E57427F3EXAMPLE',
      'A1206F460EXAMPLE',
      'DD6CC733AEXAMPLE',
    ]);
  });

  it('exits 1 naming the file on a truncated gzip, after reporting what it read', async () => {
    const full = gzipSync(readFileSync(fixture('aws-doc-2023.log')));
    const file = join(dir, 'cut.gz');
    writeFileSync(file, full.subarray(0, full.length - 12));
    const r = await runCli(['parse', 's3-access', '--count', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`pathguard parse s3-access: ${file}: truncated gzip data`);
  });

  it('exits 1 naming a missing file', async () => {
    const missing = join(dir, 'nope.log');
    const r = await runCli(['parse', 's3-access', missing]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${missing}: no such file`);
  });

  it('rejects an over-long line without holding it, and goes on', async () => {
    const [good] = readFileSync(fixture('aws-doc-2023.log'), 'utf8').split('\n');
    const file = join(dir, 'long.log');
    writeFileSync(file, `${good}\n${'x'.repeat(200_000)}\n${good}\n`);
    const r = await runCli(['parse', 's3-access', '--count', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('records 2 rejected 1\n');
    expect(r.stderr).toContain(`${file}:2: LINE_TOO_LONG`);
  });

  it('removes presigned-URL secrets from what it prints', async () => {
    const r = await runCli(['parse', 's3-access', fixture('composed-variants.log')]);
    expect(r.code).toBe(0);
    const [presigned] = records(r.stdout);
    expect(presigned!.requestUri).toBe(
      'GET /probes/2026/01/15/p-7f3a.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED%2F20260115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260115T101500Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=REDACTED HTTP/1.1',
    );
    expect(r.stdout).not.toMatch(/AKIAIOSFODNN7EXAMPLE|5d672d79c15b/);
  });

  it('prints help', async () => {
    const r = await runCli(['parse', 's3-access', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: pathguard parse s3-access [--count] [--jobs N] [FILE...|-]');
  });
});

describe('readAccessLogRecords', () => {
  it('yields batches across chunk boundaries with constant line numbering', async () => {
    const text = readFileSync(fixture('bad.log'));
    // One byte per chunk: every line straddles chunks.
    const stdin = Readable.from(Array.from(text, (b) => Buffer.from([b])));
    const rejects = new RejectCounter();
    const got: AccessLogRecord[] = [];
    for await (const batch of readAccessLogRecords('-', { stdin, rejects })) got.push(...batch);
    expect(got.map((r) => r.requestId)).toEqual(['3E57427F3EXAMPLE', 'DD6CC733AEXAMPLE']);
    expect(rejects.samples.map((s) => [s.line, s.code])).toEqual([
      [2, 'WRONG_FIELD_COUNT'],
      [3, 'BAD_TIME'],
      [5, 'BAD_NUMBER'],
      [6, 'BAD_QUOTING'],
    ]);
  });

  it('counts without building records, with the same rejects, across chunk boundaries', async () => {
    const text = readFileSync(fixture('bad.log'));
    const stdin = Readable.from(Array.from(text, (b) => Buffer.from([b])));
    const rejects = new RejectCounter();
    expect(await countAccessLogRecords('-', { stdin, rejects })).toBe(2);
    expect(rejects.samples.map((s) => [s.line, s.code])).toEqual([
      [2, 'WRONG_FIELD_COUNT'],
      [3, 'BAD_TIME'],
      [5, 'BAD_NUMBER'],
      [6, 'BAD_QUOTING'],
    ]);
  });

  it('recognises an export even when its first key arrives one byte at a time', async () => {
    const text = readFileSync(fixture('cloudwatch-export-json.json'));
    const stdin = Readable.from(Array.from(text, (b) => Buffer.from([b])));
    const rejects = new RejectCounter();
    const got: AccessLogRecord[] = [];
    for await (const batch of readAccessLogRecords('-', { stdin, rejects })) got.push(...batch);
    expect(got.map((r) => r.httpStatus)).toEqual([200, 403]);
    expect(rejects.count).toBe(0);
  });

  it('reads a text line inside CloudWatch JSON input as a text record', async () => {
    const json = readFileSync(fixture('cloudwatch-records.ndjson'), 'utf8');
    const text = readFileSync(fixture('aws-doc-current.log'), 'utf8');
    const stdin = Readable.from([Buffer.from(`${json}${text}{"request_time":"bad"}\n`)]);
    const rejects = new RejectCounter();
    const got: AccessLogRecord[] = [];
    for await (const batch of readAccessLogRecords('-', { stdin, rejects })) got.push(...batch);
    expect(got.map((r) => r.bucket)).toEqual([
      'probe-bucket-111122223333',
      'probe-bucket-111122223333',
      'amzn-s3-demo-bucket1',
    ]);
    expect(rejects.samples.map((s) => [s.line, s.code])).toEqual([[4, 'BAD_TIME']]);
  });
});
