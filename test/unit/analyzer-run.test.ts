import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAccessLogRecords } from '../../functions/lib/read-access-logs.js';
import { readCloudTrailRecords } from '../../functions/lib/read-cloudtrail.js';
import { readFlowRecords } from '../../functions/lib/read-flow.js';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import { bindEnvironment } from '../../shared/analyzer/environment-ports.js';
import { MemoryObjectStore, RecordingAlertSink } from '../../shared/analyzer/memory.js';
import {
  ACCESS_CHECKPOINT_KEY,
  ALERT_STATE_KEY,
  type AnalyzerDeps,
  runAnalyzer,
} from '../../shared/analyzer/run.js';
import type { CloudTrailRecord } from '../../shared/cloudtrail/types.js';
import { validateConfig } from '../../shared/config/index.js';
import { validateEnvironment } from '../../shared/env/schema.js';
import { flowAddressFilter } from '../../shared/evidence/flow-queries.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import {
  type AccessLogBatch,
  type AccessLogSource,
  type AlertSink,
  type FlowQuery,
  type PutCondition,
  type RenderedAlert,
  WriteConflictError,
} from '../../shared/ports/index.js';
import type { Observation, Probe } from '../../shared/probes/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';

// The monitoring run of test/fixtures/analyze (README there), driven through the ports.
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
const probes = ndjson<Probe>('probes.ndjson');
const observations = ndjson<Observation>('observations.ndjson');
const bound = bindEnvironment(env);
const sha256 = (t: string) => createHash('sha256').update(t).digest('hex');
const at = (iso: string) => () => new Date(iso);

let flows: FlowRecord[] = [];
let access: AccessLogRecord[] = [];
let trail: CloudTrailRecord[] = [];
beforeAll(async () => {
  const rejects = new RejectCounter();
  for await (const b of readFlowRecords(`${F}/flow.log`, { rejects })) flows.push(...b);
  for await (const b of readAccessLogRecords(`${F}/access.log`, { rejects })) access.push(...b);
  for await (const b of readCloudTrailRecords(`${F}/cloudtrail.json`, { rejects })) trail.push(...b);
  flows = [...flows];
  access = [...access];
  trail = [...trail];
});

/** Access logs as log objects delivered over time; `readSince` resumes after a checkpoint like the S3 reader. */
function accessObjects(objects: AccessLogRecord[][]): AccessLogSource & { reads: (string | null)[] } {
  const reads: (string | null)[] = [];
  return {
    name: 'memory-access',
    reads,
    async *readSince(checkpoint: string | null): AsyncIterable<AccessLogBatch> {
      reads.push(checkpoint);
      for (let i = 0; i < objects.length; i++) {
        const key = `logs/2026-11-25-10-${String(i).padStart(2, '0')}-00-ABCDEF`;
        if (checkpoint !== null && key <= checkpoint) continue;
        yield { records: objects[i]!, checkpoint: key, origin: key };
      }
    },
  };
}

function deps(over: Partial<AnalyzerDeps> = {}): AnalyzerDeps {
  return {
    store: new MemoryObjectStore(),
    sink: new RecordingAlertSink(),
    clock: at('2026-11-25T10:30:00Z'),
    sha256,
    classify: bound.classify,
    earlyFacts: bound.facts,
    flowSource: {
      name: 'memory-flow',
      async *findFlows() {
        yield flows;
      },
    },
    accessLogSource: accessObjects([access]),
    cloudTrailSource: {
      name: 'memory-trail',
      async *findEvents() {
        yield trail;
      },
    },
    ...over,
  };
}

const verdicts = (r: Awaited<ReturnType<typeof runAnalyzer>>) =>
  Object.fromEntries(r.results.map((x) => [x.probe.probeId.slice(-2), x.verdict.verdict]));

describe('analyzer run through ports', () => {
  it('asks a source that reads a window whole once for every vantage, with the same verdicts', async () => {
    const asked: FlowQuery[][] = [[], []];
    const source = (i: 0 | 1, readsWholeWindow: boolean) => ({
      name: 'memory-flow',
      readsWholeWindow,
      async *findFlows(q: FlowQuery) {
        asked[i]!.push(q);
        yield flows;
      },
    });
    const perVantage = await runAnalyzer(
      { cfg, env, probes, observations, runId: 'analyze-1' },
      deps({ flowSource: source(0, false) }),
    );
    const whole = await runAnalyzer(
      { cfg, env, probes, observations, runId: 'analyze-1' },
      deps({ flowSource: source(1, true) }),
    );
    expect(asked[0]!.length).toBeGreaterThan(1);
    expect(asked[1]).toHaveLength(1);
    expect(asked[1]![0]!.addresses).toEqual([...new Set(asked[0]!.flatMap((q) => q.addresses))].sort());
    expect(verdicts(whole)).toEqual(verdicts(perVantage));
    expect(whole.results.map((x) => x.verdict.evidence.length)).toEqual(
      perVantage.results.map((x) => x.verdict.evidence.length),
    );
  });

  it('counts the records a source passed over as read, with the same verdicts and evidence', async () => {
    const whole = {
      name: 'memory-flow',
      readsWholeWindow: true,
      async *findFlows() {
        yield flows;
      },
    };
    let kept = 0;
    const filtering = {
      ...whole,
      // What the analyze function's flow workers hand back: records that may match, and a count.
      async *findFlows(q: FlowQuery) {
        const batch = flows.filter(flowAddressFilter(q.addresses));
        kept = batch.length;
        yield { passedOver: flows.length - batch.length };
        yield batch;
      },
    };
    const a = await runAnalyzer(
      { cfg, env, probes, observations, runId: 'analyze-1' },
      deps({ flowSource: whole }),
    );
    const b = await runAnalyzer(
      { cfg, env, probes, observations, runId: 'analyze-1' },
      deps({ flowSource: filtering }),
    );
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(flows.length);
    expect(b.records).toEqual(a.records);
    expect(b.records.flow).toBe(flows.length);
    expect(b.results.map((x) => x.verdict)).toEqual(a.results.map((x) => x.verdict));
  });

  it('writes a bundle per probe, publishes the alerts, stores the state and advances the checkpoint', async () => {
    const d = deps();
    const r = await runAnalyzer({ cfg, env, probes, observations, runId: 'analyze-1' }, d);
    expect(verdicts(r)).toEqual({
      P1: 'private',
      P2: 'left-path',
      P3: 'pending',
      P4: 'blocked',
      P5: 'left-path',
      P6: 'private',
      P7: 'left-path',
      P8: 'no-evidence',
    });
    expect(r.errors).toEqual([]);
    expect(r.bundlesWritten).toHaveLength(8);
    expect(r.alerts.sent).toHaveLength(4);
    const store = d.store as MemoryObjectStore;
    const state = (await store.getJson<{ open: Record<string, unknown> }>(ALERT_STATE_KEY))!.value;
    expect(Object.keys(state.open).sort()).toEqual(r.alerts.sent.map((s) => s.alert.dedupKey).sort());
    expect((await store.getJson<{ checkpoint: string }>(ACCESS_CHECKPOINT_KEY))?.value.checkpoint).toBe(
      'logs/2026-11-25-10-00-00-ABCDEF',
    );
    expect(r.realTrafficKey).toBe('reports/real-traffic/2026/11/25/analyze-1.json');
    const everything = JSON.stringify([...store.objects.values()].map((o) => o.body));
    expect(everything).not.toContain('5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7');
    expect(everything).not.toContain('ASIAIOSFODNN7EXAMPLE');
  });

  it('is idempotent: a second run over the same data writes nothing and sends nothing', async () => {
    const d = deps();
    const first = await runAnalyzer({ cfg, env, probes, observations, runId: 'analyze-1' }, d);
    const again = await runAnalyzer({ cfg, env, probes, observations, runId: 'analyze-2' }, d);
    expect(verdicts(again)).toEqual(verdicts(first));
    expect(again.bundlesWritten).toEqual([]);
    expect(again.alerts.sent).toEqual([]);
    // Five minutes on, only what time changes changes: the CloudTrail deadline of P3 passed.
    const later = await runAnalyzer(
      { cfg, env, probes, observations, runId: 'analyze-3' },
      { ...d, clock: at('2026-11-25T10:35:00Z') },
    );
    expect(verdicts(later)).toEqual(verdicts(first));
    expect(later.bundlesWritten).toEqual(['evidence/2026/11/25/01JDQ7ZT0000000000000000P3.json']);
    expect(later.alerts.sent).toEqual([]);
    // The access logs were behind the checkpoint: the evidence came from the stored bundles.
    expect((d.accessLogSource as ReturnType<typeof accessObjects>).reads).toEqual([
      null,
      'logs/2026-11-25-10-00-00-ABCDEF',
      'logs/2026-11-25-10-00-00-ABCDEF',
    ]);
    expect(again.records.access).toBe(0);
    expect(again.results.find((x) => x.probe.probeId.endsWith('P1'))!.verdict.evidence.length).toBe(4);
  });

  it('records an alert as sent only once the sink accepted it, and retries it next run', async () => {
    let fail = true;
    const accepted: RenderedAlert[] = [];
    const flaky: AlertSink = {
      async publish(a) {
        if (fail && a.dedupKey.endsWith('vpc-legacy|left-path')) throw new Error('Throttling: Rate exceeded');
        accepted.push(a);
        return { messageId: String(accepted.length) };
      },
    };
    const d = deps({ sink: flaky });
    const first = await runAnalyzer({ cfg, env, probes, observations, runId: 'analyze-1' }, d);
    expect(first.alerts.failed.map((f) => [f.alert.dedupKey, f.error])).toEqual([
      ['example-data-bucket|regional|vpc-legacy|left-path', 'Throttling: Rate exceeded'],
    ]);
    expect(first.alerts.sent).toHaveLength(3);
    expect(first.alertState.open['example-data-bucket|regional|vpc-legacy|left-path']).toBeUndefined();
    fail = false;
    const second = await runAnalyzer(
      { cfg, env, probes, observations, runId: 'analyze-2' },
      { ...d, clock: at('2026-11-25T10:35:00Z') },
    );
    expect(second.alerts.sent.map((s) => s.alert.dedupKey)).toEqual([
      'example-data-bucket|regional|vpc-legacy|left-path',
    ]);
  });

  it('a late access-log object decides a pending probe; its history records the change', async () => {
    const objects: AccessLogRecord[][] = [access];
    const d = deps({ accessLogSource: accessObjects(objects) });
    await runAnalyzer({ cfg, env, probes, observations, runId: 'analyze-1' }, d);
    // S3 delivers the interface-endpoint probe's record hours later, in a new log object.
    const p3 = probes.find((p) => p.probeId.endsWith('P3'))!;
    objects.push([
      {
        ...access[0]!,
        requestId: '9D2E4F6A8B0C1D3E',
        key: p3.key,
        remoteIp: '10.0.3.24',
        hostHeader: p3.urlHost,
        time: '2026-11-25T10:00:02.000Z',
      },
    ]);
    const later = await runAnalyzer(
      { cfg, env, probes, observations, runId: 'analyze-2' },
      { ...d, clock: at('2026-11-25T13:00:00Z') },
    );
    const r3 = later.results.find((x) => x.probe.probeId.endsWith('P3'))!;
    expect(r3.verdict).toMatchObject({ verdict: 'private', path: 'interface-endpoint' });
    expect(r3.history.map((h) => h.verdict)).toEqual(['pending', 'private']);
    expect(later.bundlesWritten).toContain('evidence/2026/11/25/01JDQ7ZT0000000000000000P3.json');
  });

  it('replays its sent alerts on a state changed meanwhile by another run', async () => {
    const store = new MemoryObjectStore();
    const put = store.putJson.bind(store);
    let raced = false;
    store.putJson = async (key: string, value: unknown, condition?: PutCondition) => {
      if (key === ALERT_STATE_KEY && !raced) {
        raced = true;
        // another run stored its own state first
        await put(ALERT_STATE_KEY, {
          schemaVersion: 1,
          open: {
            'drift|X|rtb-1': {
              kind: 'posture-drift',
              severity: 'warning',
              openedAt: 'a',
              lastSentAt: 'a',
              sentCount: 1,
              probeId: null,
            },
          },
        });
        throw new WriteConflictError(key);
      }
      return put(key, value, condition);
    };
    const r = await runAnalyzer({ cfg, env, probes, observations, runId: 'analyze-1' }, deps({ store }));
    const state = (await store.getJson<{ open: Record<string, unknown> }>(ALERT_STATE_KEY))!.value;
    expect(Object.keys(state.open)).toHaveLength(r.alerts.sent.length + 1);
    expect(state.open['drift|X|rtb-1']).toBeDefined();
  });

  it('goes on when one source fails, and keeps the checkpoint when a bundle could not be stored', async () => {
    const store = new MemoryObjectStore();
    const put = store.putJson.bind(store);
    store.putJson = async (key: string, value: unknown, condition?: PutCondition) => {
      if (key.endsWith('P6.json')) throw new Error('SlowDown');
      return put(key, value, condition);
    };
    const r = await runAnalyzer(
      { cfg, env, probes, observations, runId: 'analyze-1' },
      deps({
        store,
        flowSource: {
          name: 'broken',
          findFlows: () => {
            throw new Error('ThrottlingException');
          },
        },
      }),
    );
    expect(new Set(r.errors.map((e) => e.source))).toEqual(new Set(['flow', 'store']));
    expect(verdicts(r).P7).toBe('left-path');
    expect(await store.getJson(ACCESS_CHECKPOINT_KEY)).toBeNull();
  });
});
