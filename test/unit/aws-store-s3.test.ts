import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3ObjectStore, updateJson } from '../../functions/aws/store-s3.js';
import { WriteConflictError } from '../../shared/ports/index.js';

const s3 = mockClient(S3Client);

// The part of the SDK's streaming body the store uses.
function body(text: string) {
  return { transformToString: async () => text } as never;
}
function s3Error(name: string, status: number) {
  return new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });
}

beforeEach(() => {
  s3.reset();
});

describe('S3ObjectStore', () => {
  it('maps 412 PreconditionFailed and 409 ConditionalRequestConflict to WriteConflictError', async () => {
    const store = new S3ObjectStore(new S3Client({ region: 'us-east-1' }), 'results');
    s3.on(PutObjectCommand)
      .rejectsOnce(s3Error('PreconditionFailed', 412))
      .rejectsOnce(s3Error('ConditionalRequestConflict', 409));
    await expect(store.putJson('state/alerts.json', {}, { ifMatch: '"a"' })).rejects.toBeInstanceOf(
      WriteConflictError,
    );
    await expect(store.putJson('state/alerts.json', {}, { ifNoneMatch: '*' })).rejects.toBeInstanceOf(
      WriteConflictError,
    );
  });

  it('lists every page, continuing with the continuation token', async () => {
    const store = new S3ObjectStore(new S3Client({ region: 'us-east-1' }), 'results');
    s3.on(ListObjectsV2Command)
      .resolvesOnce({
        Contents: [{ Key: 'a/1' }, { Key: 'a/2' }],
        IsTruncated: true,
        NextContinuationToken: 't1',
      })
      .resolvesOnce({ Contents: [{ Key: 'a/3' }], IsTruncated: false });
    const keys: string[] = [];
    for await (const k of store.list('a/', 'a/0')) keys.push(k);
    expect(keys).toEqual(['a/1', 'a/2', 'a/3']);
    expect(s3.commandCalls(ListObjectsV2Command)[0]!.args[0].input.StartAfter).toBe('a/0');
    expect(s3.commandCalls(ListObjectsV2Command)[1]!.args[0].input.ContinuationToken).toBe('t1');
  });

  it('never loses an update when two runs race on the same object', async () => {
    // A bucket that enforces ETags like S3 conditional writes do.
    let current: { text: string; etag: string } | null = null;
    let version = 0;
    s3.on(GetObjectCommand).callsFake(async () => {
      if (!current) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' });
      return { Body: body(current.text), ETag: current.etag };
    });
    s3.on(PutObjectCommand).callsFake(async (input) => {
      const exists = current !== null;
      if ((input.IfNoneMatch === '*' && exists) || (input.IfMatch && input.IfMatch !== current?.etag))
        throw s3Error('PreconditionFailed', 412);
      current = {
        text: String(input.Body instanceof Uint8Array ? Buffer.from(input.Body).toString() : input.Body),
        etag: `"v${++version}"`,
      };
      return { ETag: current.etag };
    });
    const store = new S3ObjectStore(new S3Client({ region: 'us-east-1' }), 'results');
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        updateJson<string[]>(store, 'state/checkpoint.json', (cur) => [...(cur ?? []), `run-${i}`], {
          retries: 20,
        }),
      ),
    );
    expect(JSON.parse(current!.text).sort()).toEqual(['run-0', 'run-1', 'run-2', 'run-3', 'run-4', 'run-5']);
  });
});
