import { createHash } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { awsClientConfig } from '../../functions/aws/retry.js';
import { S3ObjectStore, updateJson } from '../../functions/aws/store-s3.js';
import type { ObjectStore } from '../../shared/ports/index.js';
import { WriteConflictError } from '../../shared/ports/index.js';
import {
  type FakeAnswer,
  type FakeRequest,
  fakeHttp,
  s3ErrorBody,
  TEST_CREDENTIALS,
  underFakeClock,
} from './aws-fakes.js';

/**
 * A results bucket behind a real S3 client: GetObject/PutObject/ListObjectsV2 with S3's
 * conditional-write rules (If-None-Match `*` → 412 when the key exists, If-Match → 412 when the
 * ETag differs, 404 NoSuchKey) and XML errors as S3 sends them. [S3 API Reference: PutObject
 * "Conditional writes", ListObjectsV2, Error responses]
 */
function fakeBucket(opts: { pageSize?: number; fault?: (r: FakeRequest) => FakeAnswer | null } = {}) {
  const objects = new Map<string, { body: string; etag: string }>();
  const http = fakeHttp((r) => {
    const injected = opts.fault?.(r);
    if (injected) return injected;
    const key = decodeURIComponent(r.path.replace(/^\//, ''));
    if (r.method === 'GET' && r.query['list-type'] === '2') {
      const prefix = String(r.query.prefix ?? '');
      const after = String(r.query['continuation-token'] ?? r.query['start-after'] ?? '');
      const keys = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
      const page = keys.slice(0, opts.pageSize ?? 1000);
      const truncated = page.length < keys.length;
      return {
        status: 200,
        headers: { 'content-type': 'application/xml' },
        body: `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>results</Name><Prefix>${prefix}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>${truncated}</IsTruncated>${page.map((k) => `<Contents><Key>${k}</Key><Size>${objects.get(k)!.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`).join('')}${truncated ? `<NextContinuationToken>${page.at(-1)}</NextContinuationToken>` : ''}</ListBucketResult>`,
      };
    }
    if (r.method === 'GET') {
      const o = objects.get(key);
      if (!o) return { status: 404, body: s3ErrorBody('NoSuchKey', 'The specified key does not exist.') };
      return { status: 200, headers: { 'content-type': 'application/json', etag: o.etag }, body: o.body };
    }
    if (r.method === 'PUT') {
      const cur = objects.get(key);
      const ifNone = r.headers['if-none-match'];
      const ifMatch = r.headers['if-match'];
      if ((ifNone === '*' && cur) || (ifMatch !== undefined && ifMatch !== cur?.etag)) {
        return {
          status: 412,
          body: s3ErrorBody(
            'PreconditionFailed',
            'At least one of the pre-conditions you specified did not hold',
          ),
        };
      }
      const etag = `"${createHash('md5').update(r.body).digest('hex')}"`;
      objects.set(key, { body: r.body, etag });
      return { status: 200, headers: { etag } };
    }
    return { status: 405, body: s3ErrorBody('MethodNotAllowed', 'not here') };
  });
  const client = new S3Client({
    region: 'us-east-1',
    credentials: TEST_CREDENTIALS,
    ...awsClientConfig({ maxAttempts: 3 }),
    requestHandler: http.handler,
  });
  return { objects, requests: http.requests, store: new S3ObjectStore(client, 'results') };
}

describe('S3ObjectStore', () => {
  it('returns the ETag with the value, and null for a missing key', async () => {
    const { store } = fakeBucket();
    expect(await store.getJson('state/alerts.json')).toBeNull();
    const { etag } = await store.putJson('state/alerts.json', { open: ['a'] });
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(await store.getJson('state/alerts.json')).toEqual({ value: { open: ['a'] }, etag });
  });

  it('sends If-None-Match / If-Match and maps 412 PreconditionFailed to WriteConflictError', async () => {
    const { store, requests } = fakeBucket();
    const first = await store.putJson('state/checkpoint.json', { at: 1 }, { ifNoneMatch: '*' });
    expect(requests.at(-1)?.headers['if-none-match']).toBe('*');
    await expect(
      store.putJson('state/checkpoint.json', { at: 2 }, { ifNoneMatch: '*' }),
    ).rejects.toBeInstanceOf(WriteConflictError);
    await store.putJson('state/checkpoint.json', { at: 2 }, { ifMatch: first.etag });
    expect(requests.at(-1)?.headers['if-match']).toBe(first.etag);
    await expect(
      store.putJson('state/checkpoint.json', { at: 3 }, { ifMatch: first.etag }),
    ).rejects.toBeInstanceOf(WriteConflictError);
    expect((await store.getJson('state/checkpoint.json'))?.value).toEqual({ at: 2 });
  });

  it('maps 409 ConditionalRequestConflict to WriteConflictError', async () => {
    const { store } = fakeBucket({
      fault: (r) =>
        r.method === 'PUT'
          ? {
              status: 409,
              body: s3ErrorBody(
                'ConditionalRequestConflict',
                'A conflicting operation occurred. If using PutObject you can retry the request.',
              ),
            }
          : null,
    });
    await expect(store.putJson('state/alerts.json', {}, { ifNoneMatch: '*' })).rejects.toBeInstanceOf(
      WriteConflictError,
    );
  });

  it('surfaces a persistent 5xx as a clear error, not as a lost race', async () => {
    const { store, requests } = fakeBucket({
      fault: () => ({ status: 503, body: s3ErrorBody('SlowDown', 'Please reduce your request rate.') }),
    });
    const err = await underFakeClock(() => store.putJson('state/alerts.json', {})).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(WriteConflictError);
    expect((err as Error).message).toMatch(
      /^S3 PutObject s3:\/\/results\/state\/alerts\.json failed: SlowDown: Please reduce your request rate\. \(HTTP 503, after 3 attempts/,
    );
    expect(requests).toHaveLength(3);
  });

  it('refuses an object that is not JSON, naming it', async () => {
    const { store, objects } = fakeBucket();
    objects.set('state/alerts.json', { body: '{"open": [', etag: '"x"' });
    await expect(store.getJson('state/alerts.json')).rejects.toThrow(
      's3://results/state/alerts.json is not JSON',
    );
  });

  it('lists every page in key order, after startAfter, under its own prefix', async () => {
    const { store, objects, requests } = fakeBucket({ pageSize: 2 });
    for (const k of ['a/3', 'a/1', 'a/2', 'a/0', 'b/1']) objects.set(k, { body: '{}', etag: '"e"' });
    const keys: string[] = [];
    for await (const k of store.list('a/', 'a/0')) keys.push(k);
    expect(keys).toEqual(['a/1', 'a/2', 'a/3']);
    expect(requests.map((r) => [r.query['start-after'], r.query['continuation-token']])).toEqual([
      ['a/0', undefined],
      [undefined, 'a/2'],
    ]);
  });
});

describe('updateJson', () => {
  /** Lets every updater read before any writes: the worst interleaving, deterministically. */
  function readBarrier(store: ObjectStore, readers: number): ObjectStore {
    let waiting: (() => void)[] = [];
    let first = true;
    return {
      getJson: async <T>(key: string) => {
        const v = await store.getJson<T>(key);
        if (first) {
          await new Promise<void>((r) => {
            waiting.push(r);
            if (waiting.length === readers) {
              first = false;
              for (const w of waiting) w();
              waiting = [];
            }
          });
        }
        return v;
      },
      putJson: (k, v, c) => store.putJson(k, v, c),
      putBytes: (k, b, t) => store.putBytes(k, b, t),
      list: (p, a) => store.list(p, a),
    };
  }
  const noSleep = { sleep: async () => {} };

  it('two runs that read the same version both land: the loser re-reads and re-applies', async () => {
    const { store, objects, requests } = fakeBucket();
    await store.putJson('state/alerts.json', { sent: [] });
    const racing = readBarrier(store, 2);
    const add = (id: string) => (cur: { sent: string[] } | null) => ({ sent: [...(cur?.sent ?? []), id] });
    await Promise.all([
      updateJson(racing, 'state/alerts.json', add('run-a'), noSleep),
      updateJson(racing, 'state/alerts.json', add('run-b'), noSleep),
    ]);
    expect(JSON.parse(objects.get('state/alerts.json')!.body).sent.sort()).toEqual(['run-a', 'run-b']);
    // One of the two conditional PUTs lost (412) and was retried after a fresh read.
    expect(requests.filter((r) => r.method === 'PUT')).toHaveLength(4);
  });

  it('creates the object once when it does not exist yet, under a race', async () => {
    const { store, objects } = fakeBucket();
    const racing = readBarrier(store, 3);
    await Promise.all(
      ['a', 'b', 'c'].map((id) =>
        updateJson<string[]>(racing, 'state/checkpoint.json', (cur) => [...(cur ?? []), id], noSleep),
      ),
    );
    expect(JSON.parse(objects.get('state/checkpoint.json')!.body).sort()).toEqual(['a', 'b', 'c']);
  });

  it('gives up after its retries with the WriteConflictError', async () => {
    const { store } = fakeBucket({
      fault: (r) =>
        r.method === 'PUT'
          ? {
              status: 412,
              body: s3ErrorBody(
                'PreconditionFailed',
                'At least one of the pre-conditions you specified did not hold',
              ),
            }
          : null,
    });
    let calls = 0;
    await expect(
      updateJson(store, 'state/alerts.json', () => ++calls, { retries: 2, sleep: async () => {} }),
    ).rejects.toBeInstanceOf(WriteConflictError);
    expect(calls).toBe(3);
  });

  it('many concurrent updaters never lose an update', async () => {
    const { store, objects } = fakeBucket();
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        updateJson<string[]>(store, 'state/checkpoint.json', (cur) => [...(cur ?? []), `run-${i}`], {
          retries: 30,
          sleep: async () => {},
        }),
      ),
    );
    expect(JSON.parse(objects.get('state/checkpoint.json')!.body).sort()).toEqual([
      'run-0',
      'run-1',
      'run-2',
      'run-3',
      'run-4',
      'run-5',
    ]);
  });
});
