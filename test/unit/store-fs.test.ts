import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { updateJson } from '../../functions/aws/store-s3.js';
import { FsObjectStore } from '../../functions/lib/store-fs.js';
import { WriteConflictError } from '../../shared/ports/index.js';

let root = '';
let store: FsObjectStore;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pg-store-'));
  store = new FsObjectStore(root);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const collect = async (it: AsyncIterable<string>) => {
  const out: string[] = [];
  for await (const k of it) out.push(k);
  return out;
};

describe('FsObjectStore', () => {
  it('round-trips JSON with a content ETag and returns null for a missing key', async () => {
    expect(await store.getJson('state/alerts.json')).toBeNull();
    const { etag } = await store.putJson('state/alerts.json', { open: ['a'] });
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect(await store.getJson('state/alerts.json')).toEqual({ value: { open: ['a'] }, etag });
    expect(JSON.parse(readFileSync(join(root, 'state', 'alerts.json'), 'utf8'))).toEqual({ open: ['a'] });
    // Same content, same tag; different content, different tag.
    expect((await store.putJson('other.json', { open: ['a'] })).etag).toBe(etag);
    expect((await store.putJson('other.json', { open: ['b'] })).etag).not.toBe(etag);
  });

  it('honours ifNoneMatch "*" (create once) and ifMatch (optimistic update)', async () => {
    const first = await store.putJson('state/checkpoint.json', { at: 1 }, { ifNoneMatch: '*' });
    await expect(
      store.putJson('state/checkpoint.json', { at: 2 }, { ifNoneMatch: '*' }),
    ).rejects.toBeInstanceOf(WriteConflictError);
    const second = await store.putJson('state/checkpoint.json', { at: 2 }, { ifMatch: first.etag });
    // The first tag is now stale: a writer that read before the update loses.
    await expect(
      store.putJson('state/checkpoint.json', { at: 3 }, { ifMatch: first.etag }),
    ).rejects.toBeInstanceOf(WriteConflictError);
    await expect(store.putJson('missing.json', { at: 1 }, { ifMatch: first.etag })).rejects.toBeInstanceOf(
      WriteConflictError,
    );
    expect(await store.getJson('state/checkpoint.json')).toEqual({ value: { at: 2 }, etag: second.etag });
    expect(await store.getJson('missing.json')).toBeNull();
  });

  it('two interleaved read-modify-write updaters never lose an update', async () => {
    const key = 'state/counter.json';
    const bump = (who: string) => (cur: { n: number; by: string[] } | null) => ({
      n: (cur?.n ?? 0) + 1,
      by: [...(cur?.by ?? []), who],
    });
    const updater = async (who: string, times: number) => {
      for (let i = 0; i < times; i++) await updateJson(store, key, bump(who), { retries: 1000 });
    };
    await Promise.all([updater('a', 25), updater('b', 25)]);
    const got = await store.getJson<{ n: number; by: string[] }>(key);
    expect(got?.value.n).toBe(50);
    expect(got?.value.by.filter((w) => w === 'a')).toHaveLength(25);
    expect(got?.value.by.filter((w) => w === 'b')).toHaveLength(25);
    // No temporary or lock file is left behind.
    expect(readdirSync(join(root, 'state'))).toEqual(['counter.json']);
  });

  it('lets exactly one of many concurrent creators win', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => store.putJson('runs/run-1.json', { i }, { ifNoneMatch: '*' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(
      results.filter((r) => r.status === 'rejected' && r.reason instanceof WriteConflictError),
    ).toHaveLength(7);
  });

  it('lists keys under a prefix in S3 byte order, after startAfter, hiding its own files', async () => {
    const keys = [
      'observations/run-2/01JDQ7ZT0000000000000000AB.json',
      'observations/run-1/01JDQ7ZT0000000000000000AA.json',
      'observations/run-1/01JDQ7ZT0000000000000000AB.json',
      'observations/run-10/01JDQ7ZT0000000000000000AA.json',
      'orders/onprem-dc1/latest.json',
      'observations-other.json',
    ];
    for (const k of keys) await store.putBytes(k, Buffer.from(k), 'application/json');
    // A writer that crashed mid-write leaves a temporary file; list must not show it.
    writeFileSync(join(root, 'observations', 'run-1', '01JDQ7ZT0000000000000000AC.json.pg-tmp-abc123'), '{');
    expect(await collect(store.list('observations/'))).toEqual([
      'observations/run-1/01JDQ7ZT0000000000000000AA.json',
      'observations/run-1/01JDQ7ZT0000000000000000AB.json',
      'observations/run-10/01JDQ7ZT0000000000000000AA.json',
      'observations/run-2/01JDQ7ZT0000000000000000AB.json',
    ]);
    expect(await collect(store.list('observations/run-1'))).toEqual([
      'observations/run-1/01JDQ7ZT0000000000000000AA.json',
      'observations/run-1/01JDQ7ZT0000000000000000AB.json',
      'observations/run-10/01JDQ7ZT0000000000000000AA.json',
    ]);
    expect(
      await collect(store.list('observations/', 'observations/run-1/01JDQ7ZT0000000000000000AB.json')),
    ).toEqual([
      'observations/run-10/01JDQ7ZT0000000000000000AA.json',
      'observations/run-2/01JDQ7ZT0000000000000000AB.json',
    ]);
    expect(await collect(store.list('observations'))).toHaveLength(5);
    expect(await collect(store.list('nothing/here/'))).toEqual([]);
    expect(await collect(store.list(''))).toHaveLength(6);
  });

  it('refuses keys that could leave the root or clash with a folder', async () => {
    for (const bad of ['../escape.json', 'a/../../b', '/abs.json', 'a//b', '', 'a\\b', 'x.pg-lock']) {
      await expect(store.putJson(bad, {})).rejects.toMatchObject({ code: 'STORE_BAD_KEY' });
    }
    await store.putJson('a/b.json', {});
    await expect(store.putJson('a', {})).rejects.toMatchObject({ code: 'STORE_KEY_CLASH' });
    await expect(store.putJson('a/b.json/c', {})).rejects.toMatchObject({ code: 'STORE_KEY_CLASH' });
  });

  it('breaks a lock left by a crashed writer once it is stale', async () => {
    const s = new FsObjectStore(root, { staleLockMs: 1000, lockTimeoutMs: 5000 });
    await s.putJson('state/alerts.json', { v: 1 });
    const lock = join(root, 'state', 'alerts.json.pg-lock');
    writeFileSync(lock, '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    await s.putJson('state/alerts.json', { v: 2 });
    expect((await s.getJson('state/alerts.json'))?.value).toEqual({ v: 2 });
  });
});
