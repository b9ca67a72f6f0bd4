import { createHash } from 'node:crypto';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { s3Body } from './aws-fakes.js';

/**
 * Every S3Client answered by an in-memory S3 (aws-sdk-client-mock): buckets of objects,
 * ListObjectsV2 in pages of 1,000 with StartAfter and continuation tokens, GetObject 404
 * NoSuchKey, PutObject with If-None-Match `*` / If-Match (412). Each call is counted by
 * operation and bucket, so a test can show how many requests a run makes.
 */
export function fakeS3() {
  const buckets = new Map<string, Map<string, { body: Buffer; etag: string; lastModified: Date }>>();
  const calls: { op: string; bucket: string; key?: string; prefix?: string }[] = [];
  /** Injected faults: the first that returns an error for a call fails it. */
  const faults: ((op: string, bucket: string, key: string) => Error | undefined)[] = [];
  const fault = (op: string, bucket: string, key: string) => {
    for (const f of faults) {
      const e = f(op, bucket, key);
      if (e) throw e;
    }
  };
  const bucket = (name: string) => {
    const b = buckets.get(name) ?? new Map();
    buckets.set(name, b);
    return b;
  };
  const put = (name: string, key: string, body: string | Uint8Array, lastModified = new Date()) => {
    const buf = Buffer.from(body);
    const etag = `"${createHash('md5').update(buf).digest('hex')}"`;
    bucket(name).set(key, { body: buf, etag, lastModified });
    return etag;
  };
  const mock = mockClient(S3Client);
  mock
    .on(ListObjectsV2Command)
    .callsFake(
      (input: { Bucket: string; Prefix?: string; StartAfter?: string; ContinuationToken?: string }) => {
        calls.push({ op: 'ListObjectsV2', bucket: input.Bucket, prefix: input.Prefix ?? '' });
        fault('ListObjectsV2', input.Bucket, input.Prefix ?? '');
        const after = input.ContinuationToken ?? input.StartAfter ?? '';
        const keys = [...bucket(input.Bucket).keys()]
          .filter((k) => k.startsWith(input.Prefix ?? '') && k > after)
          .sort();
        const page = keys.slice(0, 1000);
        const truncated = page.length < keys.length;
        return {
          Contents: page.map((Key) => ({ Key, LastModified: bucket(input.Bucket).get(Key)!.lastModified })),
          KeyCount: page.length,
          IsTruncated: truncated,
          ...(truncated ? { NextContinuationToken: page.at(-1) } : {}),
        };
      },
    );
  mock.on(GetObjectCommand).callsFake((input: { Bucket: string; Key: string }) => {
    calls.push({ op: 'GetObject', bucket: input.Bucket, key: input.Key });
    fault('GetObject', input.Bucket, input.Key);
    const o = bucket(input.Bucket).get(input.Key);
    if (!o) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
    return {
      ETag: o.etag,
      LastModified: o.lastModified,
      ContentLength: o.body.length,
      Body: s3Body([o.body]),
    };
  });
  mock.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
    calls.push({ op: 'PutObject', bucket: input.Bucket!, key: input.Key! });
    fault('PutObject', input.Bucket!, input.Key!);
    const cur = bucket(input.Bucket!).get(input.Key!);
    if ((input.IfNoneMatch === '*' && cur) || (input.IfMatch !== undefined && input.IfMatch !== cur?.etag)) {
      throw Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {
        name: 'PreconditionFailed',
        $metadata: { httpStatusCode: 412 },
      });
    }
    const body = input.Body;
    return {
      ETag: put(input.Bucket!, input.Key!, typeof body === 'string' ? body : Buffer.from(body as Uint8Array)),
    };
  });
  return {
    mock,
    buckets,
    calls,
    faults,
    put,
    keys: (name: string) => [...bucket(name).keys()].sort(),
    count: (op?: string) => calls.filter((c) => !op || c.op === op).length,
    resetCalls: () => {
      calls.length = 0;
    },
  };
}
