import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  isPathEvidenceEvent,
  parseCloudTrailEvent,
  parseCloudTrailJson,
  toCloudTrailRecord,
} from '../../shared/cloudtrail/index.js';
import type { CloudTrailRecord } from '../../shared/cloudtrail/types.js';

const read = (name: string) =>
  readFileSync(new URL(`../fixtures/cloudtrail/${name}`, import.meta.url), 'utf8');
// Six composed events; see test/fixtures/cloudtrail/README.md for the order.
const [getViaVpce, kmsDecrypt, getViaNat, listBuckets, networkActivity, oldHeadObject] = (
  JSON.parse(read('trail-log-file.json')) as { Records: Record<string, unknown>[] }
).Records;

describe('parseCloudTrailEvent', () => {
  it('flattens an S3 data event through a VPC endpoint', () => {
    expect(parseCloudTrailEvent(getViaVpce)).toEqual({
      ok: true,
      value: {
        eventTime: '2026-01-15T10:15:02Z',
        eventSource: 's3.amazonaws.com',
        eventName: 'GetObject',
        eventCategory: 'Data',
        awsRegion: 'us-east-1',
        sourceIPAddress: '10.20.30.40',
        vpcEndpointId: 'vpce-0a1b2c3d4e5f60718',
        vpcEndpointAccountId: '111122223333',
        bucketName: 'probe-bucket-111122223333',
        key: 'probes/2026/01/15/p-7f3a.bin',
        host: 'probe-bucket-111122223333.s3.us-east-1.amazonaws.com',
        authenticationMethod: 'QueryString',
        signatureVersion: 'SigV4',
        requestId: '7Q4W9E2R8T5Y1U3I',
        hostId: 'kR1y7fJ0Qx2mB8vN4cT6hL3sD9aE5gW1zU0iO7pK2jH6fY4xC8vB3nM5qA9sE1dF=',
        eventId: '0b7c2d4e-1f3a-4b5c-9d6e-7f8a9b0c1d2e',
        userAgent: '[aws-sdk-js/3.600.0 ua/2.1 os/linux#6.1.0 lang/js md/nodejs#20.11.1]',
        errorCode: null,
      } satisfies CloudTrailRecord,
    });
  });

  it('takes the host from tlsDetails when requestParameters has none', () => {
    const r = parseCloudTrailEvent(getViaNat);
    expect(r.ok && r.value).toMatchObject({
      vpcEndpointId: null,
      vpcEndpointAccountId: null,
      sourceIPAddress: '203.0.113.45',
      host: 'probe-bucket-111122223333.s3.amazonaws.com',
      authenticationMethod: 'AuthHeader',
      key: 'probes/2026/01/15/p-7f3c.bin',
    });
  });

  it('keeps network-activity events, denials included', () => {
    const r = parseCloudTrailEvent(networkActivity);
    expect(r.ok && r.value).toMatchObject({
      eventCategory: 'NetworkActivity',
      vpcEndpointId: 'vpce-0a1b2c3d4e5f60718',
      errorCode: 'VpceAccessDenied',
      host: 'other-bucket.s3.us-east-1.amazonaws.com',
      bucketName: null,
      key: null,
      authenticationMethod: null,
    });
  });

  it('reads events older than eventCategory by their S3 object resources', () => {
    const r = parseCloudTrailEvent(oldHeadObject);
    expect(r.ok && r.value).toMatchObject({
      eventName: 'HeadObject',
      eventCategory: null,
      key: 'old/report.csv',
    });
  });

  it('skips management events and other services without rejecting them', () => {
    expect(parseCloudTrailEvent(kmsDecrypt)).toEqual({ ok: true, value: null, skip: 'NOT_PATH_EVENT' });
    expect(parseCloudTrailEvent(listBuckets)).toEqual({ ok: true, value: null, skip: 'NOT_PATH_EVENT' });
    expect(isPathEvidenceEvent({ eventSource: 's3.amazonaws.com', eventCategory: 'Insight' })).toBe(false);
    expect(isPathEvidenceEvent({ eventSource: 's3.amazonaws.com', managementEvent: true })).toBe(false);
    expect(isPathEvidenceEvent({ eventSource: 's3.amazonaws.com', managementEvent: false })).toBe(true);
    expect(isPathEvidenceEvent({ eventSource: 's3.amazonaws.com' })).toBe(false);
  });

  it('rejects what is not a well-formed CloudTrail event, with codes', () => {
    const code = (v: unknown) => {
      const r = parseCloudTrailEvent(v);
      return r.ok ? 'OK' : r.error.code;
    };
    expect(code(null)).toBe('NOT_A_RECORD');
    expect(code([getViaVpce])).toBe('NOT_A_RECORD');
    expect(code({ Records: [] })).toBe('NOT_A_RECORD');
    expect(code({ ...getViaVpce, eventName: 7 })).toBe('NOT_A_RECORD');
    expect(code({ ...getViaVpce, eventTime: 'yesterday' })).toBe('BAD_TIME');
    expect(code({ ...getViaVpce, eventTime: undefined })).toBe('BAD_TIME');
    expect(code({ ...getViaVpce, requestParameters: 'bucket' })).toBe('BAD_VALUE');
    expect(code({ ...getViaVpce, resources: {} })).toBe('BAD_VALUE');
    expect(code({ ...getViaVpce, requestParameters: null })).toBe('OK');
  });
});

describe('toCloudTrailRecord on the AWS presigned ListBuckets example', () => {
  // Source: AWS S3 user guide, cloudtrail-logging-understanding-s3-entries.md (s3-ug@1b918e0).
  it('reads the lower-case host array, SigV2 and QueryString', () => {
    const event = JSON.parse(read('aws-doc-presigned-listbuckets.json')) as Record<string, unknown>;
    expect(toCloudTrailRecord(event)).toMatchObject({
      eventTime: '2019-02-01T03:18:19Z',
      eventName: 'ListBuckets',
      awsRegion: 'us-west-2',
      sourceIPAddress: '127.0.0.1',
      host: 's3.us-west-2.amazonaws.com',
      signatureVersion: 'SigV2',
      authenticationMethod: 'QueryString',
      requestId: '47B8E8D397DCE7A6',
      eventId: 'cdc4b7ed-e171-4cef-975a-ad829d4123e8',
      userAgent: '[]',
      eventCategory: null,
      vpcEndpointId: null,
      bucketName: null,
      key: null,
      hostId: null,
      errorCode: null,
    });
  });
});

describe('parseCloudTrailJson', () => {
  it('parses one event per line and reports BAD_JSON', () => {
    const lines = read('events.ndjson').split('\n').filter(Boolean);
    const kept = lines.map(parseCloudTrailJson).filter((r) => r.ok && r.value !== null);
    expect(kept).toHaveLength(4);
    const bad = parseCloudTrailJson('{"eventVersion":');
    expect(!bad.ok && bad.error.code).toBe('BAD_JSON');
  });
});
