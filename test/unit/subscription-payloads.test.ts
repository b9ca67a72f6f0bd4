import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MAX_AWSLOGS_DECODED_BYTES, readCloudWatchEvents } from '../../functions/lib/cloudwatch-export.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { runCli } from './run-cli.js';

const fx = (n: string) => new URL(`../fixtures/${n}`, import.meta.url).pathname;
const KEPT_TRAIL = ['7Q4W9E2R8T5Y1U3I', '9K3L5M7N1P2Q4R6S', '2B4D6F8H0J1K3M5N', 'A1B2C3D4E5F6G7H8'];
const ACCESS_JSON = readFileSync(fx('access-logs/cloudwatch-records.ndjson'), 'utf8')
  .trim()
  .split('\n').length;

const rows = (ndjson: string) =>
  ndjson
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

async function events(text: string | Buffer) {
  const rejects = new RejectCounter();
  const got: string[] = [];
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  for await (const ev of readCloudWatchEvents(Readable.from([bytes]), { source: 't', rejects }))
    got.push(ev.message);
  return { got, rejects };
}

const payload = (messageType: string, messages: string[]) =>
  JSON.stringify({
    messageType,
    owner: '123456789012',
    logGroup: 'g',
    logStream: 's',
    subscriptionFilters: ['f'],
    logEvents: messages.map((message, i) => ({ id: String(i), timestamp: 1418530010000 + i, message })),
  });
const lambdaEvent = (data: Buffer) => JSON.stringify({ awslogs: { data: data.toString('base64') } });

describe('CloudWatch Logs subscription payloads (regression: a payload was one NOT_A_RECORD)', () => {
  it('parse flow reads the records of Firehose-delivered gzip payloads and skips the CONTROL_MESSAGE', async () => {
    const r = await runCli(['parse', 'flow', fx('subscription/firehose-flow.gz')]);
    expect(r.code).toBe(0);
    const got = rows(r.stdout);
    expect(got).toHaveLength(5);
    expect(got[0]).toMatchObject({ srcaddr: '172.31.16.139', dstport: 22, action: 'ACCEPT' });
    expect(got[4]).toMatchObject({ srcaddr: '2001:db8:1234:a100:8d6e:3477:df66:f105' });
    expect(r.stderr).toBe(
      'rejected 0\nskipped 1 (1 CloudWatch Logs subscription CONTROL_MESSAGE payloads, no log data)\n',
    );
  });

  it('parse flow reads a Lambda subscription event (base64 of gzip)', async () => {
    const r = await runCli(['parse', 'flow', '--count', fx('subscription/lambda-event-flow.json')]);
    expect(r.stdout).toBe('records 5 rejected 0\n');
  });

  it('parse s3-access reads JSON records and text lines from concatenated payloads', async () => {
    const r = await runCli(['parse', 's3-access', fx('subscription/firehose-access.json')]);
    const got = rows(r.stdout);
    expect(got).toHaveLength(ACCESS_JSON + 3);
    expect(got[0]).toMatchObject({ remoteIp: '10.20.30.40', requestId: '7Q4W9E2R8T5Y1U3I' });
    expect(got[ACCESS_JSON]).toMatchObject({ bucket: 'DOC-EXAMPLE-BUCKET1', requestId: '3E57427F3EXAMPLE' });
    expect(r.stderr).toMatch(/^rejected 0\nskipped 1 \(1 CloudWatch Logs subscription CONTROL_MESSAGE/);
  });

  it('parse cloudtrail keeps the S3 events and counts Insights, other events and CONTROL_MESSAGE apart', async () => {
    const r = await runCli(['parse', 'cloudtrail', fx('subscription/firehose-cloudtrail.json.gz')]);
    expect(rows(r.stdout).map((x) => x.requestId)).toEqual(KEPT_TRAIL);
    expect(r.stderr).toBe(
      'rejected 0\nskipped 4 (1 CloudWatch Logs subscription CONTROL_MESSAGE payloads, no log data; ' +
        '2 CloudTrail events other than S3 data and network-activity events; 1 CloudTrail Insights events)\n',
    );
    const lambda = await runCli([
      'parse',
      'cloudtrail',
      '--count',
      fx('subscription/lambda-event-cloudtrail.json'),
    ]);
    expect(lambda.stdout).toBe('records 4 rejected 0\n');
  });

  it('classify reads them too and shows the skipped count in the summary', async () => {
    const r = await runCli([
      'classify',
      '--env',
      fx('env/example-env.json'),
      '--cloudtrail',
      fx('subscription/lambda-event-cloudtrail.json'),
      '--flow',
      fx('subscription/firehose-flow.gz'),
      '--summary',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/cloudtrail\s+\(skipped events\)\s+-\s+3\n/);
    expect(r.stdout).toMatch(/flow\s+\(skipped events\)\s+-\s+1\n/);
    expect(r.stdout).toMatch(/cloudtrail\s+\(rejected\)\s+-\s+0\n/);
    const flowRecords = [...r.stdout.matchAll(/^flow\s+(?!\()\S+\s+\S+\s+(\d+)$/gm)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
    const unclassified = Number(/flow\s+\(unclassified\)\s+-\s+(\d+)/.exec(r.stdout)?.[1]);
    expect(flowRecords + unclassified).toBe(5);
  });
});

describe('readCloudWatchEvents on subscription shapes', () => {
  it('reads DATA_MESSAGE logEvents whatever the key order, and reads nothing of a CONTROL_MESSAGE', async () => {
    const reordered = JSON.stringify({
      owner: '1',
      logGroup: 'g',
      subscriptionFilters: ['[', '{'],
      messageType: 'DATA_MESSAGE',
      logEvents: [{ id: '1', timestamp: 1, message: 'a' }],
    });
    const { got, rejects } = await events(
      `${payload('CONTROL_MESSAGE', ['health'])}${reordered}\n${payload('DATA_MESSAGE', ['b', 'c'])}`,
    );
    expect(got).toEqual(['a', 'b', 'c']);
    expect(rejects.count).toBe(0);
    expect(rejects.skippedBy).toEqual({ CONTROL_MESSAGE: 1 });
  });

  it('rejects a payload of an unknown messageType once and reads none of its events', async () => {
    const { got, rejects } = await events(
      payload('SOMETHING_ELSE', ['x', 'y']) + payload('DATA_MESSAGE', ['z']),
    );
    expect(got).toEqual(['z']);
    expect(rejects.byCode).toEqual({ NOT_A_RECORD: 1 });
  });

  it('decodes awslogs data given as base64 of gzip or of the JSON itself', async () => {
    const json = Buffer.from(payload('DATA_MESSAGE', ['p', 'q']));
    expect((await events(lambdaEvent(gzipSync(json)))).got).toEqual(['p', 'q']);
    expect((await events(lambdaEvent(json))).got).toEqual(['p', 'q']);
  });

  it('rejects awslogs data that is not base64, not gzip, too large decoded, or nested', async () => {
    const bad = await events(
      [
        JSON.stringify({ awslogs: { data: 'not base64!' } }),
        lambdaEvent(Buffer.from([0x1f, 0x8b, 1, 2, 3, 4])),
        lambdaEvent(gzipSync(Buffer.alloc(MAX_AWSLOGS_DECODED_BYTES + 1, 0x20))),
        lambdaEvent(Buffer.from(lambdaEvent(gzipSync(payload('DATA_MESSAGE', ['deep']))))),
        JSON.stringify({ awslogs: { other: 1 } }),
      ].join('\n'),
    );
    expect(bad.got).toEqual([]);
    expect(bad.rejects.byCode).toEqual({ BAD_ENCODING: 2, LINE_TOO_LONG: 1, NOT_A_RECORD: 2 });
  });

  it('reads a Lambda event larger than the 1 MiB event cap, up to the Lambda payload limit', async () => {
    // Random hex compresses to about half: the base64 event is well over 1 MiB.
    const many = Array.from({ length: 40_000 }, (_, i) => `message ${i} ${randomBytes(16).toString('hex')}`);
    const data = gzipSync(payload('DATA_MESSAGE', many));
    expect(data.length * 1.3).toBeGreaterThan(1024 * 1024);
    const { got, rejects } = await events(lambdaEvent(data));
    expect(rejects.count).toBe(0);
    expect(got).toHaveLength(40_000);
  });
});
