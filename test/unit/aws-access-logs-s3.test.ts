import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type AccessLogCheckpoint,
  accessLogKeyTime,
  parseAccessLogCheckpoint,
  S3AccessLogSource,
} from '../../functions/aws/access-logs-s3.js';
import { MemoryObjectStore } from '../../shared/analyzer/memory.js';
import type { AccessLogSource } from '../../shared/ports/index.js';
import { WriteConflictError } from '../../shared/ports/index.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { s3Body } from './aws-fakes.js';

const s3 = mockClient(S3Client);
beforeEach(() => s3.reset());

/**
 * A log line as S3 writes it, with the request id given: the S3 User Guide's example line
 * (LogFormat.md, "Log record example", current 27-token form).
 */
const line = (id: string) =>
  `79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be ${id} REST.GET.VERSIONING - "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com TLSV1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes us-east-1`;

interface LogObject {
  body: string;
  /** Last-Modified, ISO; omitted: the listing leaves the field out. */
  lm?: string;
}
/**
 * The log bucket: ListObjectsV2 in key order after StartAfter, two keys a page with continuation
 * tokens, each entry with its LastModified; GetObject bodies as streams.
 */
function fakeLogBucket(objects: Map<string, LogObject>) {
  s3.on(ListObjectsV2Command).callsFake(async (input) => {
    const after = input.ContinuationToken ?? input.StartAfter ?? '';
    const keys = [...objects.keys()].filter((k) => k.startsWith(input.Prefix ?? '') && k > after).sort();
    const page = keys.slice(0, 2);
    const more = keys.length > 2;
    return {
      Contents: page.map((Key) => ({
        Key,
        Size: objects.get(Key)!.body.length,
        ...(objects.get(Key)!.lm ? { LastModified: new Date(objects.get(Key)!.lm!) } : {}),
      })),
      KeyCount: page.length,
      IsTruncated: more,
      ...(more ? { NextContinuationToken: page.at(-1) } : {}),
    };
  });
  s3.on(GetObjectCommand).callsFake(async (input) => {
    const o = objects.get(input.Key!);
    if (!o) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
    return { ETag: '"e"', Body: s3Body([o.body]) };
  });
}

const ids = (lines: string[]) => `${lines.map(line).join('\n')}\n`;
async function drain(src: AccessLogSource, checkpoint: string | null, since: Date) {
  const out: { key: string; ids: string[]; checkpoint: string }[] = [];
  for await (const b of src.readSince(checkpoint, since))
    out.push({
      key: b.origin.replace('s3://logs-bucket/', ''),
      ids: b.records.map((r) => r.requestId ?? ''),
      checkpoint: b.checkpoint,
    });
  return out;
}
const client = () => new S3Client({ region: 'us-east-1' });

describe('S3AccessLogSource, simple prefix', () => {
  it('reads the objects modified since `since`, oldest first, one batch each, dropping repeated request ids', async () => {
    fakeLogBucket(
      new Map<string, LogObject>([
        ['logs/2026-11-25-08-00-00-0A0A0A0A0A0A0A0A', { body: ids(['OLD1']), lm: '2026-11-25T08:00:01Z' }],
        [
          'logs/2026-11-25-10-05-00-E568B2907131C0C0',
          { body: ids(['ID1', 'ID2']), lm: '2026-11-25T10:05:02Z' },
        ],
        // Named a second later, but its upload finished first.
        [
          'logs/2026-11-25-10-05-01-1B2C3D4E5F607182',
          { body: ids(['ID2', 'ID3']), lm: '2026-11-25T10:05:01Z' },
        ],
        ['logs/2026-11-25-10-10-00-9F8E7D6C5B4A3928', { body: ids(['ID4']), lm: '2026-11-25T10:10:01Z' }],
      ]),
    );
    const src = new S3AccessLogSource(client(), 'logs-bucket', 'logs/');
    const out = await drain(src, null, new Date('2026-11-25T09:00:00Z'));
    expect(out.map((b) => [b.key, b.ids])).toEqual([
      ['logs/2026-11-25-10-05-01-1B2C3D4E5F607182', ['ID2', 'ID3']],
      ['logs/2026-11-25-10-05-00-E568B2907131C0C0', ['ID1']],
      ['logs/2026-11-25-10-10-00-9F8E7D6C5B4A3928', ['ID4']],
    ]);
    // Listed from an hour before `since` (names and Last-Modified differ by seconds, not hours).
    expect(s3.commandCalls(ListObjectsV2Command)[0]!.args[0].input).toMatchObject({
      Prefix: 'logs/',
      StartAfter: 'logs/2026-11-25-08-00-00',
    });
    const last = JSON.parse(out.at(-1)!.checkpoint) as AccessLogCheckpoint;
    expect(last.hwm).toBe('2026-11-25T10:10:01.000Z');
    expect(Object.keys(last.done)).toHaveLength(3);
  });

  it('after a checkpoint, reads an object named before the last one read (same second, or a slow upload), and nothing twice', async () => {
    const objects = new Map<string, LogObject>([
      ['logs/2026-11-25-10-05-00-E568B2907131C0C0', { body: ids(['ID1']), lm: '2026-11-25T10:05:02Z' }],
    ]);
    fakeLogBucket(objects);
    const src = new S3AccessLogSource(client(), 'logs-bucket', 'logs/');
    const first = await drain(src, null, new Date('2026-11-25T10:00:00Z'));
    const cp = first.at(-1)!.checkpoint;
    // Delivered in the same second with a key that sorts first; and one named earlier, uploaded later.
    objects.set('logs/2026-11-25-10-05-00-0000000000000001', {
      body: ids(['ID2']),
      lm: '2026-11-25T10:05:03Z',
    });
    objects.set('logs/2026-11-25-10-04-58-7A7A7A7A7A7A7A7A', {
      body: ids(['ID3']),
      lm: '2026-11-25T10:05:09Z',
    });
    const second = await drain(src, cp, new Date('2026-11-25T10:00:00Z'));
    expect(second.map((b) => b.ids)).toEqual([['ID2'], ['ID3']]);
    expect(await drain(src, second.at(-1)!.checkpoint, new Date(0))).toEqual([]);
  });

  it('uses the name time when a listing leaves LastModified out, and accepts a checkpoint of earlier versions', async () => {
    fakeLogBucket(
      new Map<string, LogObject>([
        ['logs/2026-11-25-10-00-00-AAAAAAAAAAAAAAAA', { body: ids(['ID0']), lm: '2026-11-25T10:00:01Z' }],
        ['logs/2026-11-25-10-05-00-BBBBBBBBBBBBBBBB', { body: ids(['ID1']) }],
      ]),
    );
    const src = new S3AccessLogSource(client(), 'logs-bucket', 'logs/');
    // An earlier version stored the last key read.
    const out = await drain(src, 'logs/2026-11-25-10-00-00-AAAAAAAAAAAAAAAA', new Date(0));
    expect(out.map((b) => b.ids)).toEqual([['ID1']]);
    expect(accessLogKeyTime('logs/2026-11-25-10-05-00-BBBBBBBBBBBBBBBB')).toBe(
      Date.parse('2026-11-25T10:05:00Z'),
    );
    expect(parseAccessLogCheckpoint('{"v":9}')).toBeNull();
    expect(parseAccessLogCheckpoint('not a key')).toBeNull();
  });

  it('counts bad lines and keeps the good ones', async () => {
    fakeLogBucket(
      new Map<string, LogObject>([
        [
          'logs/2026-11-25-10-05-00-E568B2907131C0C0',
          { body: `${line('ID1')}\nnot a log line\n\n${line('ID2')}`, lm: '2026-11-25T10:05:02Z' },
        ],
      ]),
    );
    const rejects = new RejectCounter();
    const out = await drain(
      new S3AccessLogSource(client(), 'logs-bucket', 'logs/', { rejects }),
      null,
      new Date('2026-11-25T10:00:00Z'),
    );
    expect(out[0]?.ids).toEqual(['ID1', 'ID2']);
    expect(rejects.count).toBe(1);
  });

  it('fails naming the prefix when the listing keeps failing', async () => {
    s3.on(ListObjectsV2Command).rejects(
      Object.assign(new Error('We encountered an internal error. Please try again.'), {
        name: 'InternalError',
        $metadata: { httpStatusCode: 500, attempts: 5 },
      }),
    );
    await expect(
      drain(new S3AccessLogSource(client(), 'logs-bucket', 'logs/'), null, new Date('2026-11-25T10:00:00Z')),
    ).rejects.toThrow('S3 ListObjectsV2 s3://logs-bucket/logs/ failed: InternalError');
  });
});

describe('S3AccessLogSource, partitioned prefix', () => {
  const base = 'logs/123456789012/us-east-1/amzn-s3-demo-bucket1/';
  const part = { accountId: '123456789012', region: 'us-east-1', sourceBucket: 'amzn-s3-demo-bucket1' };

  it('EventTime: relists the recent day folders and reads a late object for a past day', async () => {
    const objects = new Map<string, LogObject>([
      [
        `${base}2026/11/24/2026-11-24-00-00-00-5D5D5D5D5D5D5D5D`,
        { body: ids(['D24A']), lm: '2026-11-24T23:50:00Z' },
      ],
      [
        `${base}2026/11/25/2026-11-25-00-00-00-FFFFFFFFFFFFFFFF`,
        { body: ids(['D25A']), lm: '2026-11-25T00:20:00Z' },
      ],
    ]);
    fakeLogBucket(objects);
    const clock = () => new Date('2026-11-25T01:00:00Z');
    const src = new S3AccessLogSource(client(), 'logs-bucket', 'logs/', { partitioned: part, clock });
    const first = await drain(src, null, new Date('2026-11-24T12:00:00Z'));
    expect(first.map((b) => b.ids)).toEqual([['D24A'], ['D25A']]);
    // Day folders from two days before the window start to today.
    expect(
      s3.commandCalls(ListObjectsV2Command).map((c) => [c.args[0].input.Prefix, c.args[0].input.StartAfter]),
    ).toEqual([
      [`${base}2026/11/22/`, undefined],
      [`${base}2026/11/23/`, undefined],
      [`${base}2026/11/24/`, undefined],
      [`${base}2026/11/25/`, undefined],
    ]);
    // Every key of a day has the same name time: a late record of the 24th sorts before the one read.
    objects.set(`${base}2026/11/24/2026-11-24-00-00-00-0000000000000000`, {
      body: ids(['D24B']),
      lm: '2026-11-25T00:40:00Z',
    });
    const second = await drain(src, first.at(-1)!.checkpoint, new Date(0));
    expect(second.map((b) => b.ids)).toEqual([['D24B']]);
  });

  it('DeliveryTime: lists day folders from the checkpoint day, in the first after the checkpoint less slack and margin', async () => {
    fakeLogBucket(
      new Map<string, LogObject>([
        [
          `${base}2026/11/24/2026-11-24-23-55-00-AAAAAAAAAAAAAAAA`,
          { body: ids(['A']), lm: '2026-11-24T23:55:01Z' },
        ],
        [
          `${base}2026/11/25/2026-11-25-00-05-00-BBBBBBBBBBBBBBBB`,
          { body: ids(['B']), lm: '2026-11-25T00:05:01Z' },
        ],
      ]),
    );
    const src = new S3AccessLogSource(client(), 'logs-bucket', 'logs/', {
      partitioned: { ...part, dateSource: 'DeliveryTime' },
      clock: () => new Date('2026-11-25T01:00:00Z'),
    });
    const out = await drain(src, `${base}2026/11/24/2026-11-24-23-50-00-ZZZZZZZZZZZZZZZZ`, new Date(0));
    expect(out.map((b) => b.ids)).toEqual([['A'], ['B']]);
    expect(
      s3.commandCalls(ListObjectsV2Command).map((c) => [c.args[0].input.Prefix, c.args[0].input.StartAfter]),
    ).toEqual([
      [`${base}2026/11/24/`, `${base}2026/11/24/2026-11-24-22-35-00`],
      [`${base}2026/11/25/`, undefined],
    ]);
  });
});

describe('S3AccessLogSource, checkpoint and crashes', () => {
  /**
   * The analyzer's contract, reduced: per batch, store each record's result under its request id
   * (a rerun overwrites, never adds), then store the checkpoint with a conditional write once every
   * result is stored. `crashAt` throws at a point, as a Lambda timeout or an out-of-memory would.
   */
  async function run(
    src: AccessLogSource,
    store: MemoryObjectStore,
    crashAt?: { batch: number; when: 'after-read' | 'after-store' },
  ): Promise<number> {
    const cur = await store.getJson<{ checkpoint: string | null }>('state/access-log-checkpoint.json');
    let checkpoint = cur?.value.checkpoint ?? null;
    let n = 0;
    let read = 0;
    for await (const batch of src.readSince(checkpoint, new Date('2026-11-25T10:00:00Z'))) {
      n++;
      read += batch.records.length;
      if (crashAt?.batch === n && crashAt.when === 'after-read') throw new Error('crash');
      for (const r of batch.records)
        await store.putJson(`results/${r.requestId}.json`, { origin: batch.origin });
      if (crashAt?.batch === n && crashAt.when === 'after-store') throw new Error('crash');
      checkpoint = batch.checkpoint;
    }
    if (n > 0)
      await store.putJson(
        'state/access-log-checkpoint.json',
        { checkpoint },
        cur ? { ifMatch: cur.etag } : { ifNoneMatch: '*' },
      );
    return read;
  }
  const results = (store: MemoryObjectStore) =>
    [...store.objects.keys()].filter((k) => k.startsWith('results/')).sort();

  it('a crash between reading and storing the checkpoint loses nothing and counts nothing twice', async () => {
    const objects = new Map<string, LogObject>([
      ['logs/2026-11-25-10-05-00-AAAAAAAAAAAAAAAA', { body: ids(['R1', 'R2']), lm: '2026-11-25T10:05:01Z' }],
      ['logs/2026-11-25-10-06-00-BBBBBBBBBBBBBBBB', { body: ids(['R3']), lm: '2026-11-25T10:06:01Z' }],
      ['logs/2026-11-25-10-07-00-CCCCCCCCCCCCCCCC', { body: ids(['R2', 'R4']), lm: '2026-11-25T10:07:01Z' }],
    ]);
    fakeLogBucket(objects);
    const store = new MemoryObjectStore();
    const src = new S3AccessLogSource(client(), 'logs-bucket', 'logs/');

    // Run 1 dies after storing the second object's results, before any checkpoint is stored.
    await expect(run(src, store, { batch: 2, when: 'after-store' })).rejects.toThrow('crash');
    expect(results(store)).toEqual(['results/R1.json', 'results/R2.json', 'results/R3.json']);
    expect(await store.getJson('state/access-log-checkpoint.json')).toBeNull();

    // Run 2 dies after reading the third object, before storing its results.
    await expect(run(src, store, { batch: 3, when: 'after-read' })).rejects.toThrow('crash');

    // Run 3 completes: everything is there once (R2, repeated by S3 in two objects, once).
    expect(await run(src, store)).toBe(4);
    expect(results(store)).toEqual([
      'results/R1.json',
      'results/R2.json',
      'results/R3.json',
      'results/R4.json',
    ]);

    // New deliveries after the checkpoint are read; nothing before it is read again.
    objects.set('logs/2026-11-25-10-08-00-DDDDDDDDDDDDDDDD', {
      body: ids(['R5']),
      lm: '2026-11-25T10:08:01Z',
    });
    expect(await run(src, store)).toBe(1);
    expect(await run(src, store)).toBe(0);
    expect(results(store)).toHaveLength(5);
  });

  it('two overlapping runs: one checkpoint write loses its race instead of overwriting the other', async () => {
    fakeLogBucket(
      new Map<string, LogObject>([
        ['logs/2026-11-25-10-05-00-AAAAAAAAAAAAAAAA', { body: ids(['R1']), lm: '2026-11-25T10:05:01Z' }],
      ]),
    );
    const store = new MemoryObjectStore();
    const src = new S3AccessLogSource(client(), 'logs-bucket', 'logs/');
    const settled = await Promise.allSettled([run(src, store), run(src, store)]);
    const lost = settled.filter((s) => s.status === 'rejected');
    expect(lost).toHaveLength(1);
    expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(WriteConflictError);
    expect(results(store)).toEqual(['results/R1.json']);
    expect(await run(src, store)).toBe(0);
  });
});
