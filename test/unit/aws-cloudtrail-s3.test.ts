import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';

const s3 = mockClient(S3Client);
beforeEach(() => {
  s3.reset();
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
