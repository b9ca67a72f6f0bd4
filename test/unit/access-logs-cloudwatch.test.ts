import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  fromCloudWatchAccessLogRecord,
  parseAccessLogString,
  parseCloudWatchAccessLogJson,
} from '../../shared/access-logs/index.js';

// Composed from the field list of "Log format in CloudWatch Logs"
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/sal-cw-log-format.html); not copied from AWS.
const [getRecord, deniedRecord] = readFileSync(
  new URL('../fixtures/access-logs/cloudwatch-records.ndjson', import.meta.url),
  'utf8',
)
  .split('\n')
  .filter(Boolean);

describe('fromCloudWatchAccessLogRecord', () => {
  it('maps the JSON record onto the fields the text format parses to', () => {
    const r = parseCloudWatchAccessLogJson(getRecord!);
    expect(r).toEqual({
      ok: true,
      value: {
        bucketOwner: '3f1a0c5e9d2b47a88c6e1f0d4b7a29e5c8d1f6a3b0e4c7d2a9f8e1b6c5d4a3f2',
        bucket: 'probe-bucket-111122223333',
        time: '2026-01-15T10:15:02.117Z',
        remoteIp: '10.20.30.40',
        requester: 'arn:aws:sts::111122223333:assumed-role/pathguard-runner/i-0a1b2c3d4e5f60718',
        requestId: '7Q4W9E2R8T5Y1U3I',
        operation: 'REST.GET.OBJECT',
        key: 'probes/2026/01/15/p-7f3a.bin',
        requestUri: 'GET /probes/2026/01/15/p-7f3a.bin HTTP/1.1',
        httpStatus: 200,
        errorCode: null,
        bytesSent: 37,
        objectSize: 37,
        totalTime: 12,
        turnAroundTime: 11,
        referer: null,
        userAgent: 'aws-sdk-js/3.600.0 ua/2.1 os/linux#6.1.0 lang/js md/nodejs#20.11.1',
        versionId: null,
        hostId: 'kR1y7fJ0Qx2mB8vN4cT6hL3sD9aE5gW1zU0iO7pK2jH6fY4xC8vB3nM5qA9sE1dF=',
        signatureVersion: 'SigV4',
        cipherSuite: 'TLS_AES_128_GCM_SHA256',
        authenticationType: 'QueryString',
        hostHeader: 'probe-bucket-111122223333.s3.us-east-1.amazonaws.com',
        tlsVersion: 'TLSv1.3',
        accessPointArn: null,
        aclRequired: null,
        extra: ['us-east-1'],
      },
    });
  });

  it('agrees with the text form of the same request', () => {
    const text =
      '3f1a0c5e9d2b47a88c6e1f0d4b7a29e5c8d1f6a3b0e4c7d2a9f8e1b6c5d4a3f2 probe-bucket-111122223333 [15/Jan/2026:10:15:02 +0000] 10.20.30.40 arn:aws:sts::111122223333:assumed-role/pathguard-runner/i-0a1b2c3d4e5f60718 7Q4W9E2R8T5Y1U3I REST.GET.OBJECT probes/2026/01/15/p-7f3a.bin "GET /probes/2026/01/15/p-7f3a.bin HTTP/1.1" 200 - 37 37 12 11 "-" "aws-sdk-js/3.600.0 ua/2.1 os/linux#6.1.0 lang/js md/nodejs#20.11.1" - kR1y7fJ0Qx2mB8vN4cT6hL3sD9aE5gW1zU0iO7pK2jH6fY4xC8vB3nM5qA9sE1dF= SigV4 TLS_AES_128_GCM_SHA256 QueryString probe-bucket-111122223333.s3.us-east-1.amazonaws.com TLSv1.3 - - us-east-1';
    const fromText = parseAccessLogString(text);
    const fromJson = parseCloudWatchAccessLogJson(getRecord!);
    expect(fromText.ok && fromJson.ok).toBe(true);
    if (fromText.ok && fromJson.ok) {
      // The JSON form carries milliseconds, the text form whole seconds.
      expect({ ...fromJson.value, time: null }).toEqual({ ...fromText.value, time: null });
    }
  });

  it('derives the bucket from its ARN, reads - and null as null, acl_required true as Yes', () => {
    const r = parseCloudWatchAccessLogJson(deniedRecord!);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.bucket).toBe('probe-bucket-111122223333');
    expect(r.value.requester).toBeNull();
    expect(r.value.referer).toBeNull();
    expect(r.value.objectSize).toBeNull();
    expect(r.value.aclRequired).toBe('Yes');
    expect(r.value.extra).toEqual([]);
  });

  it('accepts numbers sent as strings and normalises offsets to UTC', () => {
    const r = fromCloudWatchAccessLogRecord({
      request_time: '2026-01-15T11:15:02.117+01:00',
      http_status: '200',
      bytes_sent: '-',
    });
    expect(r.ok && [r.value.time, r.value.httpStatus, r.value.bytesSent]).toEqual([
      '2026-01-15T10:15:02.117Z',
      200,
      null,
    ]);
  });

  it('rejects with codes: BAD_JSON, NOT_A_RECORD, BAD_TIME, BAD_NUMBER', () => {
    const code = (v: string) => {
      const r = parseCloudWatchAccessLogJson(v);
      return r.ok ? 'OK' : r.error.code;
    };
    expect(code('{"request_time":')).toBe('BAD_JSON');
    expect(code('[1,2]')).toBe('NOT_A_RECORD');
    expect(code('{"eventVersion":"1.09"}')).toBe('NOT_A_RECORD');
    expect(code('{"request_time":"yesterday"}')).toBe('BAD_TIME');
    expect(code('{"request_time":"2026-13-01T00:00:00Z"}')).toBe('BAD_TIME');
    expect(code('{"request_id":"X","http_status":"2OO"}')).toBe('BAD_NUMBER');
    expect(code('{"request_id":"X","bytes_sent":-1}')).toBe('BAD_NUMBER');
    expect(code('{"request_id":"X","total_time":1.5}')).toBe('BAD_NUMBER');
  });
});
