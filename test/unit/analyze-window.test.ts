import { readFileSync } from 'node:fs';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../functions/aws/store-s3.js';
import { findProbe, runAnalysis } from '../../functions/lib/analyze-run.js';
import { RecordingAlertSink } from '../../shared/analyzer/memory.js';
import { validateConfig } from '../../shared/config/index.js';
import { validateEnvironment } from '../../shared/env/schema.js';
import { probeIdTime, probeIdTimePrefix } from '../../shared/probes/plan.js';
import { observationKey, probeListings, probeRecordKey } from '../../shared/probes/results-keys.js';
import type { Observation, Probe } from '../../shared/probes/types.js';
import { fakeS3 } from './fake-s3.js';

// The monitoring run of test/fixtures/analyze, stored in a results bucket behind a real S3
// client, with a history of older probes beside it.
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
const BUCKET = cfg.resultsBucket;

/** A real probe id carries its creation time: the fixture's ids get theirs, suffixes kept. */
function realId(id: string, createdAt: string): string {
  return probeIdTimePrefix(Date.parse(createdAt)) + id.slice(10);
}
const idMap = new Map<string, string>();
const windowProbes = ndjson<Probe>('probes.ndjson').map((p) => {
  const probeId = realId(p.probeId, p.createdAt);
  idMap.set(p.probeId, probeId);
  return { ...p, probeId };
});
const windowObservations = ndjson<Observation>('observations.ndjson').map((o) => ({
  ...o,
  probeId: idMap.get(o.probeId) ?? o.probeId,
}));
const now = new Date(Date.parse(windowProbes[0]!.createdAt) + 30 * 60_000);

const s3 = fakeS3();
afterAll(() => s3.mock.restore());

/** A results bucket with the window's run and `old` probes (and their observations) from earlier days. */
function seed(old: number): void {
  s3.buckets.clear();
  for (const p of windowProbes) s3.put(BUCKET, probeRecordKey(p), JSON.stringify(p));
  for (const o of windowObservations) {
    const runId = windowProbes.find((p) => p.probeId === o.probeId)!.runId;
    s3.put(BUCKET, observationKey(runId, o.probeId), JSON.stringify(o));
  }
  const template = windowProbes[0]!;
  for (let i = 0; i < old; i++) {
    // Spread over the 34 days before the window's day, a probe every few minutes.
    const created = new Date(now.getTime() - 86_400_000 - i * ((34 * 86_400_000) / Math.max(old, 1)));
    const probeId = probeIdTimePrefix(created.getTime()) + String(i).padStart(16, '0');
    const runId = `run-${created.toISOString().replace(/[-:]/g, '').slice(0, 13)}`;
    const p = { ...template, probeId, runId, createdAt: created.toISOString() };
    s3.put(BUCKET, probeRecordKey(p), JSON.stringify(p));
    s3.put(BUCKET, observationKey(runId, probeId), JSON.stringify({ ...windowObservations[0], probeId }));
  }
}

async function analyzeOnce() {
  s3.resetCalls();
  const summary = await runAnalysis({
    cfg,
    store: new S3ObjectStore(new S3Client({ region: 'us-east-1' }), BUCKET),
    sink: new RecordingAlertSink(),
    now,
    discover: async () => ({ environment: env }),
  });
  const byOp: Record<string, number> = {};
  for (const c of s3.calls) byOp[c.op] = (byOp[c.op] ?? 0) + 1;
  return { summary, calls: s3.count(), byOp };
}

describe('analysis reads only the window', () => {
  it('makes as many S3 calls with 10,000 stored old probes as with 10', async () => {
    seed(10);
    const ten = await analyzeOnce();
    seed(10_000);
    expect(s3.keys(BUCKET).filter((k) => k.startsWith('probes/')).length).toBe(10_000 + windowProbes.length);
    const many = await analyzeOnce();
    expect(many.summary.results.map((r) => r.probe.probeId).sort()).toEqual(
      windowProbes.map((p) => p.probeId).sort(),
    );
    expect(many.calls).toBe(ten.calls);
    expect(many.byOp).toEqual(ten.byOp);
    // The figures the issue asks for, printed for the record.
    process.stdout.write(
      `S3 calls of one analysis: ${ten.calls} with 10 old probes ${JSON.stringify(ten.byOp)}, ${many.calls} with 10,000 ${JSON.stringify(many.byOp)}\n`,
    );
  });

  it('finds every probe created inside the window and none before it, across midnight', () => {
    const keys = [
      '2026-12-02T23:59:59.999Z',
      '2026-12-03T00:00:00.000Z',
      '2026-12-03T21:59:59.999Z',
      '2026-12-03T22:00:00.000Z',
      '2026-12-03T22:00:00.001Z',
      '2026-12-04T03:00:00.000Z',
    ].map((t) =>
      probeRecordKey({ probeId: `${probeIdTimePrefix(Date.parse(t))}0000000000000000`, createdAt: t }),
    );
    const listed = (from: string, to: string) =>
      keys.filter((k) =>
        probeListings(new Date(from), new Date(to)).some(
          (l) => k.startsWith(l.prefix) && (!l.startAfter || k > l.startAfter),
        ),
      );
    expect(listed('2026-12-03T22:00:00.000Z', '2026-12-04T04:00:00.000Z')).toEqual(keys.slice(3));
    expect(listed('2026-12-02T23:00:00.000Z', '2026-12-03T01:00:00.000Z')).toEqual(keys.slice(0, 5));
  });

  it('explains a probe from its id alone with one GET, however long the history', async () => {
    seed(1_000);
    s3.resetCalls();
    const store = new S3ObjectStore(new S3Client({ region: 'us-east-1' }), BUCKET);
    const wanted = windowProbes[3]!;
    expect(probeIdTime(wanted.probeId)).toBe(Date.parse(wanted.createdAt));
    expect((await findProbe(store, wanted.probeId))?.probeId).toBe(wanted.probeId);
    expect(s3.calls.map((c) => c.op)).toEqual(['GetObject']);
    expect(await findProbe(store, '01KBK0000000000000000000ZZ')).toBeNull();
    expect(await findProbe(store, 'not-a-probe-id')).toBeNull();
  });
});
