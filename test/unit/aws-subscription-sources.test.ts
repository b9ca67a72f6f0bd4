import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3AccessLogSource } from '../../functions/aws/access-logs-s3.js';
import { S3CloudTrailSource } from '../../functions/aws/cloudtrail-s3.js';
import { S3FlowLogSource } from '../../functions/aws/flow-logs-s3.js';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import type { CloudTrailRecord } from '../../shared/cloudtrail/types.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { connReset, s3Body } from './aws-fakes.js';

// The analyze function's S3 sources read the same shapes as `parse`: CloudWatch Logs subscription
// payloads a Firehose stream wrote (test/fixtures/subscription, from the AWS Lambda and CloudWatch
// Logs guides' examples), CloudTrail Insights events (the CloudTrail guide's example), beside the
// formats they read before.

const s3 = mockClient(S3Client);
beforeEach(() => s3.reset());
const fx = (n: string) => readFileSync(new URL(`../fixtures/${n}`, import.meta.url));

/** Serves each key's body once per GET; the listing names every key under the asked prefix. */
function bucket(objects: Record<string, Buffer>, lastModified = new Date('2026-11-25T10:05:02Z')) {
  s3.on(ListObjectsV2Command).callsFake(async (input) => ({
    Contents: Object.keys(objects)
      .filter((k) => k.startsWith(input.Prefix ?? '') && k > (input.StartAfter ?? ''))
      .map((Key) => ({ Key, LastModified: lastModified })),
  }));
  s3.on(GetObjectCommand).callsFake(async (input) => ({ ETag: '"e"', Body: s3Body([objects[input.Key!]!]) }));
}

describe('S3FlowLogSource', () => {
  it('reads an object of Firehose-written subscription payloads (gzip members), skipping the CONTROL_MESSAGE', async () => {
    const day = 'app/AWSLogs/123456789012/vpcflowlogs/us-east-1/2014/12/14/';
    const key = `${day}123456789012_vpcflowlogs_us-east-1_fl-0s3000000000000b1_20141214T0405Z_fe123456.log.gz`;
    bucket({ [key]: fx('subscription/firehose-flow.gz') });
    const rejects = new RejectCounter();
    const src = new S3FlowLogSource(
      new S3Client({}),
      { bucket: 'flow-logs-bucket', prefix: 'app/', accountId: '123456789012', region: 'us-east-1' },
      rejects,
    );
    const out: FlowRecord[] = [];
    for await (const b of src.findFlows({
      window: { from: new Date('2014-12-14T04:06:50Z'), to: new Date('2014-12-14T04:07:50Z') },
      addresses: [],
    }))
      out.push(...b);
    expect(out.map((r) => r.srcport)).toEqual([20641, 49761, null, null, 34892]);
    expect(rejects.count).toBe(0);
    expect(rejects.skippedBy).toEqual({ CONTROL_MESSAGE: 1 });
  });
});

describe('S3AccessLogSource', () => {
  const read = async (objects: Record<string, Buffer>, rejects: RejectCounter) => {
    bucket(objects);
    const src = new S3AccessLogSource(new S3Client({}), 'logs-bucket', 'firehose/', { rejects });
    const out: AccessLogRecord[] = [];
    for await (const b of src.readSince(null, new Date('2026-11-25T10:00:00Z'))) out.push(...b.records);
    return out;
  };

  it('reads gzip Firehose objects of subscription payloads: JSON records and text lines', async () => {
    const rejects = new RejectCounter();
    const out = await read(
      {
        'firehose/2026/11/25/10/s3-access-1-2026-11-25-10-05-00-0a1b': gzipSync(
          fx('subscription/firehose-access.json'),
        ),
      },
      rejects,
    );
    const json = fx('access-logs/cloudwatch-records.ndjson').toString('utf8').trim().split('\n').length;
    expect(out).toHaveLength(json + 3);
    expect(out.at(-1)).toMatchObject({ requestId: 'DD6CC733AEXAMPLE', operation: 'REST.PUT.OBJECT' });
    expect(rejects.count).toBe(0);
    expect(rejects.skippedBy).toEqual({ CONTROL_MESSAGE: 1 });
  });

  it('counts a damaged gzip object, keeps the records before the damage and reads the next object', async () => {
    const whole = gzipSync(fx('subscription/firehose-access.json'));
    const rejects = new RejectCounter();
    const out = await read(
      {
        'firehose/2026-11-25-10-05-00-a': whole.subarray(0, whole.length - 40),
        'firehose/2026-11-25-10-06-00-b': fx('access-logs/aws-doc-2023.log'),
      },
      rejects,
    );
    expect(rejects.byCode).toMatchObject({ BAD_ENCODING: 1 });
    expect(out.slice(-3).map((r) => r.requestId)).toEqual([
      '3E57427F3EXAMPLE',
      'A1206F460EXAMPLE',
      'DD6CC733AEXAMPLE',
    ]);
  });
});

describe('S3CloudTrailSource', () => {
  const loc = { bucket: 'trail-bucket', prefix: '', accountId: '123456789012', region: 'us-east-1' };
  const dayOf = (d: string) => `AWSLogs/123456789012/CloudTrail/us-east-1/${d}/`;
  const window = { from: new Date('2026-01-15T10:00:00Z'), to: new Date('2026-01-15T10:30:00Z') };
  const collect = async (src: S3CloudTrailSource) => {
    const out: CloudTrailRecord[] = [];
    for await (const b of src.findEvents({ window })) out.push(...b);
    return out;
  };

  it('skips an Insights event in a trail log file, apart from rejects (regression: NOT_A_RECORD)', async () => {
    const trail = JSON.parse(fx('cloudtrail/trail-log-file.json').toString('utf8')) as { Records: unknown[] };
    const insight = (
      JSON.parse(fx('cloudtrail/aws-doc-insights.json').toString('utf8')) as { Records: unknown[] }
    ).Records[0];
    const key = `${dayOf('2026/01/15')}123456789012_CloudTrail_us-east-1_20260115T1020Z_AbCdEfGh12345678.json.gz`;
    bucket({ [key]: gzipSync(JSON.stringify({ Records: [...trail.Records, insight] })) });
    const rejects = new RejectCounter();
    const out = await collect(new S3CloudTrailSource(new S3Client({}), loc, rejects));
    expect(out.map((r) => r.eventName)).toContain('GetObject');
    expect(rejects.count).toBe(0);
    expect(rejects.skippedBy).toEqual({ NOT_PATH_EVENT: 2, INSIGHT_EVENT: 1 });
  });

  it('reads an object of subscription payloads and resumes it after a broken download', async () => {
    const key = `${dayOf('2026/01/15')}123456789012_CloudTrail_us-east-1_20260115T1020Z_FhFirehose000001.json.gz`;
    const body = fx('subscription/firehose-cloudtrail.json.gz');
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: key }] });
    let tries = 0;
    s3.on(GetObjectCommand).callsFake(async () =>
      ++tries === 1
        ? { ETag: '"f"', Body: s3Body([body.subarray(0, 100)], connReset()) }
        : { ETag: '"f"', Body: s3Body([body.subarray(100)]) },
    );
    const rejects = new RejectCounter();
    const out = await collect(
      new S3CloudTrailSource(new S3Client({}), loc, rejects, { sleep: async () => {} }),
    );
    expect(out.map((r) => r.requestId)).toEqual(['7Q4W9E2R8T5Y1U3I', '9K3L5M7N1P2Q4R6S', '2B4D6F8H0J1K3M5N']);
    expect(rejects.count).toBe(0);
    expect(rejects.skippedBy).toEqual({ CONTROL_MESSAGE: 1, NOT_PATH_EVENT: 2, INSIGHT_EVENT: 1 });
  });
});
