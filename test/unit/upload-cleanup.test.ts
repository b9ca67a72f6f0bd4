import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DeleteObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { S3ProbeObjects } from '../../functions/aws/probe-objects-s3.js';
import { bindEnvironment } from '../../shared/analyzer/environment-ports.js';
import { MemoryObjectStore, RecordingAlertSink } from '../../shared/analyzer/memory.js';
import { runAnalyzer } from '../../shared/analyzer/run.js';
import { validateConfig } from '../../shared/config/index.js';
import { validateEnvironment } from '../../shared/env/schema.js';
import type { ProbeObjectRemover } from '../../shared/ports/index.js';
import type { Observation, Probe } from '../../shared/probes/types.js';

// The monitoring run of test/fixtures/analyze (README there), some of its probes made uploads.
const F = 'test/fixtures/analyze';
const json = (f: string) => JSON.parse(readFileSync(`${F}/${f}`, 'utf8'));
const ndjson = <T>(f: string) =>
  readFileSync(`${F}/${f}`, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
const cfgR = validateConfig(json('config.json'));
const envR = validateEnvironment(json('env.json'));
if (!cfgR.ok || !envR.ok) throw new Error('fixtures invalid');
const cfg = cfgR.value;
const env = envR.value;
const bound = bindEnvironment(env);
const sha256 = (t: string) => createHash('sha256').update(t).digest('hex');

const base = ndjson<Probe>('probes.ndjson');
const byId = (suffix: string) => base.find((p) => p.probeId.endsWith(suffix))!;
/** P1 a PUT, P6 a POST; two POST records forged to name objects outside the probe prefix and buckets. */
const probes: Probe[] = [
  ...base.map((p) =>
    p.probeId.endsWith('P1')
      ? { ...p, method: 'put' as const }
      : p.probeId.endsWith('P6')
        ? { ...p, method: 'post' as const }
        : p,
  ),
  { ...byId('P6'), probeId: '01JDQ7ZT0000000000000000P9', method: 'post', key: 'data/customers.csv' },
  { ...byId('P6'), probeId: '01JDQ7ZT0000000000000000PA', method: 'post', bucket: 'someone-elses-bucket' },
];
const observations = ndjson<Observation>('observations.ndjson');

/** Records each deletion; a key listed in `failing` fails like an S3 fault. */
function remover(failing: string[] = []): ProbeObjectRemover & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async deleteProbeObject(bucket, key) {
      calls.push(`${bucket}/${key}`);
      if (failing.some((f) => key.includes(f)))
        throw new Error('S3 DeleteObject failed: SlowDown: Please reduce your request rate.');
    },
  };
}

const run = (now: string, probeObjects: ProbeObjectRemover) =>
  runAnalyzer(
    { cfg, env, probes, observations, runId: 'analyze-1' },
    {
      store: new MemoryObjectStore(),
      sink: new RecordingAlertSink(),
      clock: () => new Date(now),
      sha256,
      classify: bound.classify,
      earlyFacts: bound.facts,
      probeObjects,
    },
  );

describe('the analyzer deletes upload probes’ objects once their verdicts settle', () => {
  it('deletes nothing while verdicts can still change (evidence deadlines ahead)', async () => {
    const r = remover();
    const result = await run('2026-11-25T10:30:00Z', r);
    expect(result.results.some((x) => x.settled)).toBe(false);
    expect(r.calls).toEqual([]);
    expect(result.uploadsDeleted).toEqual([]);
  });

  it('deletes the settled PUT and POST objects, never a GET probe object nor a key outside the probe prefix of a target bucket', async () => {
    const r = remover();
    const result = await run('2026-11-26T10:00:00Z', r);
    expect(result.results.filter((x) => x.settled).length).toBeGreaterThan(2);
    expect(r.calls.sort()).toEqual([
      'example-data-bucket/pathguard/probes/2026/11/25/01JDQ7ZT0000000000000000P1.bin',
      'example-data-bucket/pathguard/probes/2026/11/25/01JDQ7ZT0000000000000000P6.bin',
    ]);
    expect(result.uploadsDeleted.sort()).toEqual(r.calls);
    expect(result.errors).toEqual([]);
  });

  it('reports a failed deletion and goes on with the others (the lifecycle rule expires what is left)', async () => {
    const r = remover(['P1']);
    const result = await run('2026-11-26T10:00:00Z', r);
    expect(r.calls).toHaveLength(2);
    expect(result.uploadsDeleted).toEqual([
      'example-data-bucket/pathguard/probes/2026/11/25/01JDQ7ZT0000000000000000P6.bin',
    ]);
    expect(result.errors).toEqual([
      {
        source: 'cleanup',
        message:
          'deleting s3://example-data-bucket/pathguard/probes/2026/11/25/01JDQ7ZT0000000000000000P1.bin: S3 DeleteObject failed: SlowDown: Please reduce your request rate.',
      },
    ]);
    expect(result.bundlesWritten.length).toBe(probes.length);
  });
});

describe('S3ProbeObjects (aws-sdk-client-mock)', () => {
  const s3 = mockClient(S3Client);
  afterEach(() => s3.reset());
  const KEY = 'pathguard/probes/2026/12/03/01KBKZ0000000000000000000.bin';

  it('sends DeleteObject for exactly the bucket and key', async () => {
    s3.on(DeleteObjectCommand).resolves({ $metadata: { httpStatusCode: 204 } });
    await new S3ProbeObjects(new S3Client({ region: 'us-east-1' })).deleteProbeObject(
      'example-data-bucket',
      KEY,
    );
    const calls = s3.commandCalls(DeleteObjectCommand);
    expect(calls.map((c) => c.args[0].input)).toEqual([{ Bucket: 'example-data-bucket', Key: KEY }]);
  });

  it.each([
    ['AccessDenied', 403, 'client'],
    ['SlowDown', 503, 'server'],
    ['InternalError', 500, 'server'],
  ] as const)(
    'turns a %s fault into an AwsCallError naming the object and the AWS code',
    async (name, status, fault) => {
      s3.on(DeleteObjectCommand).rejects(
        new S3ServiceException({
          name,
          $fault: fault,
          $metadata: { httpStatusCode: status, requestId: 'REQ123' },
          message: `${name} message`,
        }),
      );
      const err = await new S3ProbeObjects(new S3Client({ region: 'us-east-1' }))
        .deleteProbeObject('example-data-bucket', KEY)
        .catch((e: unknown) => e);
      expect(err).toMatchObject({
        name: 'AwsCallError',
        code: 'AWS_CALL_FAILED',
        awsCode: name,
        httpStatus: status,
        requestId: 'REQ123',
        retryable: status >= 500,
      });
      expect((err as Error).message).toContain(
        `S3 DeleteObject s3://example-data-bucket/${KEY} failed: ${name}`,
      );
    },
  );

  it('a network failure is an AwsCallError too, never an unnamed crash', async () => {
    s3.on(DeleteObjectCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    await expect(
      new S3ProbeObjects(new S3Client({ region: 'us-east-1' })).deleteProbeObject('example-data-bucket', KEY),
    ).rejects.toMatchObject({ code: 'AWS_CALL_FAILED', retryable: true });
  });
});
