import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3AccessLogSource } from '../../functions/aws/access-logs-s3.js';
import { formatAccessLogRecord } from '../../shared/access-logs/index.js';

const s3 = mockClient(S3Client);
beforeEach(() => {
  s3.reset();
});

describe('S3AccessLogSource', () => {
  const line = (id: string) =>
    formatAccessLogRecord({
      bucketOwner: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be',
      bucket: 'example-data-bucket',
      time: '2026-11-25T10:00:03.000Z',
      remoteIp: '10.0.1.77',
      requester: null,
      requestId: id,
      operation: 'REST.GET.OBJECT',
      key: 'pathguard/probes/x.bin',
      requestUri: 'GET /pathguard/probes/x.bin HTTP/1.1',
      httpStatus: 200,
      errorCode: null,
      bytesSent: 64,
      objectSize: 64,
      totalTime: 5,
      turnAroundTime: 4,
      referer: null,
      userAgent: 'pathguard/0.1.0',
      versionId: null,
      hostId: 'h',
      signatureVersion: 'SigV4',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      authenticationType: 'QueryString',
      hostHeader: 'example-data-bucket.s3.us-east-1.amazonaws.com',
      tlsVersion: 'TLSv1.3',
      accessPointArn: null,
      aclRequired: null,
      extra: [],
    });

  it('reads only objects after the checkpoint, one batch per object, dropping repeated request ids', async () => {
    s3.on(ListObjectsV2Command)
      .resolvesOnce({
        Contents: [{ Key: 'logs/2026-11-25-10-05-00-AAAA' }],
        IsTruncated: true,
        NextContinuationToken: 'c',
      })
      .resolvesOnce({ Contents: [{ Key: 'logs/2026-11-25-10-10-00-BBBB' }], IsTruncated: false });
    s3.on(GetObjectCommand, { Key: 'logs/2026-11-25-10-05-00-AAAA' }).resolves({
      Body: { transformToByteArray: async () => Buffer.from(`${line('ID1')}\n${line('ID2')}\n`) } as never,
    });
    s3.on(GetObjectCommand, { Key: 'logs/2026-11-25-10-10-00-BBBB' }).resolves({
      Body: { transformToByteArray: async () => Buffer.from(`${line('ID2')}\n${line('ID3')}\n`) } as never,
    });
    const src = new S3AccessLogSource(new S3Client({ region: 'us-east-1' }), 'logs-bucket', 'logs/');
    const batches = [];
    for await (const b of src.readSince('logs/2026-11-25-10-00-00-ZZZZ', new Date(0))) batches.push(b);
    expect(batches.map((b) => [b.checkpoint, b.records.map((r) => r.requestId)])).toEqual([
      ['logs/2026-11-25-10-05-00-AAAA', ['ID1', 'ID2']],
      ['logs/2026-11-25-10-10-00-BBBB', ['ID3']],
    ]);
    expect(s3.commandCalls(ListObjectsV2Command)[0]!.args[0].input.StartAfter).toBe(
      'logs/2026-11-25-10-00-00-ZZZZ',
    );
  });

  it('starts at the since time without a checkpoint, and retries a SlowDown on read', async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'logs/2026-11-25-10-05-00-AAAA' }] });
    s3.on(GetObjectCommand)
      .rejectsOnce(
        Object.assign(new Error('Please reduce your request rate.'), {
          name: 'SlowDown',
          $metadata: { httpStatusCode: 503 },
        }),
      )
      .resolves({ Body: { transformToByteArray: async () => Buffer.from(`${line('ID9')}\n`) } as never });
    const src = new S3AccessLogSource(new S3Client({ region: 'us-east-1' }), 'logs-bucket', 'logs/');
    const batches = [];
    for await (const b of src.readSince(null, new Date('2026-11-25T09:00:00Z'))) batches.push(b);
    expect(s3.commandCalls(ListObjectsV2Command)[0]!.args[0].input.StartAfter).toBe(
      'logs/2026-11-25-09-00-00',
    );
    expect(batches[0]?.records.map((r) => r.requestId)).toEqual(['ID9']);
  });
});

describe('S3CloudTrailSource', () => {
  it('reads the window days and keeps data events on the queried keys', async () => {
    const { S3CloudTrailSource } = await import('../../functions/aws/cloudtrail-s3.js');
    const { gzipSync } = await import('node:zlib');
    const event = (key: string, time: string) => ({
      eventVersion: '1.09',
      eventTime: time,
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      eventCategory: 'Data',
      awsRegion: 'us-east-1',
      sourceIPAddress: '10.0.1.77',
      vpcEndpointId: 'vpce-0gw0000000000000a',
      requestParameters: {
        bucketName: 'example-data-bucket',
        key,
        Host: 'example-data-bucket.s3.us-east-1.amazonaws.com',
      },
      requestID: 'REQ1',
      eventID: `e-${key}`,
      resources: [{ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::example-data-bucket/${key}` }],
    });
    s3.on(ListObjectsV2Command).resolves({
      Contents: [{ Key: 'AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/25/x.json.gz' }],
    });
    s3.on(GetObjectCommand).resolves({
      Body: {
        transformToByteArray: async () =>
          gzipSync(
            JSON.stringify({
              Records: [
                event('p/probes/a.bin', '2026-11-25T10:00:05Z'),
                event('other', '2026-11-25T10:00:06Z'),
                event('p/probes/a.bin', '2026-11-24T10:00:05Z'),
              ],
            }),
          ),
      } as never,
    });
    const src = new S3CloudTrailSource(new S3Client({ region: 'us-east-1' }), {
      bucket: 'trail',
      prefix: '',
      accountId: '123456789012',
      region: 'us-east-1',
    });
    const out = [];
    for await (const b of src.findEvents({
      window: { from: new Date('2026-11-25T09:00:00Z'), to: new Date('2026-11-25T11:00:00Z') },
      keys: ['p/probes/a.bin'],
    }))
      out.push(...b);
    expect(out.map((r) => [r.key, r.vpcEndpointId])).toEqual([['p/probes/a.bin', 'vpce-0gw0000000000000a']]);
  });
});

describe('S3AccessLogSource, partitioned prefix', () => {
  it('lists day folders from the checkpoint day to today, after the checkpoint within its day', async () => {
    s3.on(ListObjectsV2Command).callsFake(async (input) => ({
      Contents: String(input.Prefix).endsWith('2026/11/24/')
        ? [{ Key: 'logs/123456789012/us-east-1/example-data-bucket/2026/11/24/2026-11-24-23-55-00-AAAA' }]
        : [{ Key: `${input.Prefix}2026-11-25-00-05-00-BBBB` }],
    }));
    s3.on(GetObjectCommand).resolves({
      Body: { transformToByteArray: async () => Buffer.from('') } as never,
    });
    const src = new S3AccessLogSource(
      new S3Client({ region: 'us-east-1' }),
      'logs-bucket',
      'logs/',
      undefined,
      { accountId: '123456789012', region: 'us-east-1', sourceBucket: 'example-data-bucket' },
      () => new Date('2026-11-25T01:00:00Z'),
    );
    const batches = [];
    for await (const b of src.readSince(
      'logs/123456789012/us-east-1/example-data-bucket/2026/11/24/2026-11-24-23-50-00-ZZZZ',
      new Date(0),
    ))
      batches.push(b.checkpoint);
    const calls = s3
      .commandCalls(ListObjectsV2Command)
      .map((c) => [c.args[0].input.Prefix, c.args[0].input.StartAfter]);
    expect(calls).toEqual([
      [
        'logs/123456789012/us-east-1/example-data-bucket/2026/11/24/',
        'logs/123456789012/us-east-1/example-data-bucket/2026/11/24/2026-11-24-23-50-00-ZZZZ',
      ],
      [
        'logs/123456789012/us-east-1/example-data-bucket/2026/11/25/',
        'logs/123456789012/us-east-1/example-data-bucket/2026/11/25/1970-01-01-00-00-00',
      ],
    ]);
    expect(batches.at(-1)).toBe(
      'logs/123456789012/us-east-1/example-data-bucket/2026/11/25/2026-11-25-00-05-00-BBBB',
    );
  });
});
