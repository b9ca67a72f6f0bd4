import { gzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { cloudTrailFileTime, S3CloudTrailSource } from '../../functions/aws/cloudtrail-s3.js';
import type { CloudTrailRecord } from '../../shared/cloudtrail/types.js';
import type { CloudTrailQuery } from '../../shared/ports/index.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { connReset, s3Body } from './aws-fakes.js';

const s3 = mockClient(S3Client);
beforeEach(() => s3.reset());

const loc = { bucket: 'trail-bucket', prefix: '', accountId: '123456789012', region: 'us-east-1' };
const day = (d: string) => `AWSLogs/123456789012/CloudTrail/us-east-1/${d}/`;
/** File names as CloudTrail writes them. [CloudTrail User Guide, "CloudTrail log file name format"] */
const file = (d: string, stamp: string) =>
  `${day(d)}123456789012_CloudTrail_us-east-1_${stamp}_Mu0KsOhtH1ar15ZZ.json.gz`;

/** An S3 data event: a presigned GetObject through a gateway endpoint (fields per the S3 CloudTrail examples). */
const event = (key: string, time: string, requestID = 'REQ1') => ({
  eventVersion: '1.09',
  userIdentity: { type: 'IAMUser', accountId: '123456789012' },
  eventTime: time,
  eventSource: 's3.amazonaws.com',
  eventName: 'GetObject',
  awsRegion: 'us-east-1',
  sourceIPAddress: '10.0.1.77',
  userAgent: 'pathguard/0.1.0',
  requestParameters: {
    bucketName: 'example-data-bucket',
    key,
    Host: 'example-data-bucket.s3.us-east-1.amazonaws.com',
  },
  additionalEventData: { SignatureVersion: 'SigV4', AuthenticationMethod: 'QueryString', 'x-amz-id-2': 'h' },
  requestID,
  eventID: `e-${key}-${time}`,
  readOnly: true,
  resources: [{ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::example-data-bucket/${key}` }],
  eventType: 'AwsApiCall',
  managementEvent: false,
  recipientAccountId: '123456789012',
  vpcEndpointId: 'vpce-0gw00000000e1f2a3b',
  vpcEndpointAccountId: '123456789012',
  eventCategory: 'Data',
});
const gzJson = (doc: unknown) => gzipSync(JSON.stringify(doc));

async function collect(src: S3CloudTrailSource, q: CloudTrailQuery): Promise<CloudTrailRecord[]> {
  const out: CloudTrailRecord[] = [];
  for await (const b of src.findEvents(q)) out.push(...b);
  return out;
}
const window = { from: new Date('2026-11-25T23:30:00Z'), to: new Date('2026-11-25T23:50:00Z') };

describe('S3CloudTrailSource', () => {
  it('reads the days of the window and its delivery tail, skipping files delivered before it', async () => {
    const files = {
      early: file('2026/11/25', '20261125T2320Z'),
      inWindow: file('2026/11/25', '20261125T2355Z'),
      nextDay: file('2026/11/26', '20261126T0005Z'),
    };
    s3.on(ListObjectsV2Command).callsFake(async (input) => ({
      Contents: Object.values(files)
        .filter((k) => k.startsWith(input.Prefix ?? ''))
        .map((Key) => ({ Key })),
    }));
    s3.on(GetObjectCommand, { Key: files.inWindow }).callsFake(async () => ({
      ETag: '"a"',
      Body: s3Body([
        gzJson({
          Records: [
            event('p/probes/a.bin', '2026-11-25T23:40:05Z'),
            event('other', '2026-11-25T23:40:06Z'),
            event('p/probes/a.bin', '2026-11-25T22:00:00Z'),
          ],
        }),
      ]),
    }));
    s3.on(GetObjectCommand, { Key: files.nextDay }).callsFake(async () => ({
      ETag: '"b"',
      Body: s3Body([gzJson({ Records: [event('p/probes/a.bin', '2026-11-25T23:49:59Z', 'REQ2')] })]),
    }));
    const out = await collect(new S3CloudTrailSource(new S3Client({}), loc), {
      window,
      bucket: 'example-data-bucket',
      keys: ['p/probes/a.bin'],
    });
    expect(out.map((r) => [r.key, r.requestId, r.vpcEndpointId])).toEqual([
      ['p/probes/a.bin', 'REQ1', 'vpce-0gw00000000e1f2a3b'],
      ['p/probes/a.bin', 'REQ2', 'vpce-0gw00000000e1f2a3b'],
    ]);
    expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix)).toEqual([
      day('2026/11/25'),
      day('2026/11/26'),
    ]);
    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key)).toEqual([
      files.inWindow,
      files.nextDay,
    ]);
  });

  it('names the organization-trail folders and reads file times', () => {
    expect(
      S3CloudTrailSource.dayPrefixes(
        { ...loc, prefix: 'ct/', orgId: 'o-a1b2c3d4e5' },
        window.from,
        window.to,
      ),
    ).toEqual(['ct/AWSLogs/o-a1b2c3d4e5/123456789012/CloudTrail/us-east-1/2026/11/25/']);
    expect(
      cloudTrailFileTime('111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz'),
    ).toBe(Date.UTC(2015, 7, 1, 2, 10));
  });

  it('counts a file that is not JSON and goes on; resumes a broken download', async () => {
    const bad = file('2026/11/25', '20261125T2340Z');
    const good = file('2026/11/25', '20261125T2345Z');
    s3.on(ListObjectsV2Command).callsFake(async (input) => ({
      Contents: [bad, good].filter((k) => k.startsWith(input.Prefix ?? '')).map((Key) => ({ Key })),
    }));
    s3.on(GetObjectCommand, { Key: bad }).callsFake(async () => ({
      ETag: '"x"',
      Body: s3Body([gzipSync('{"Records": [')]),
    }));
    const body = gzJson({ Records: [event('p/probes/a.bin', '2026-11-25T23:40:05Z')] });
    let tries = 0;
    s3.on(GetObjectCommand, { Key: good }).callsFake(async () =>
      ++tries === 1
        ? { ETag: '"g"', Body: s3Body([body.subarray(0, 20)], connReset()) }
        : { ETag: '"g"', Body: s3Body([body.subarray(20)]) },
    );
    const rejects = new RejectCounter();
    const src = new S3CloudTrailSource(new S3Client({}), loc, rejects, { sleep: async () => {} });
    const out = await collect(src, { window });
    expect(out).toHaveLength(1);
    expect(rejects.byCode).toEqual({ BAD_JSON: 1 });
    expect(s3.commandCalls(GetObjectCommand).at(-1)!.args[0].input).toMatchObject({
      Range: 'bytes=20-',
      IfMatch: '"g"',
    });
  });

  it('fails naming the folder when listing keeps being throttled', async () => {
    s3.on(ListObjectsV2Command).rejects(
      Object.assign(new Error('Please reduce your request rate.'), {
        name: 'SlowDown',
        $metadata: { httpStatusCode: 503 },
      }),
    );
    await expect(collect(new S3CloudTrailSource(new S3Client({}), loc), { window })).rejects.toThrow(
      `S3 ListObjectsV2 s3://trail-bucket/${day('2026/11/25')} failed: SlowDown`,
    );
  });
});
