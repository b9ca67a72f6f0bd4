// Analyze-run time as the window grows: 1, 100 and 1,000 probes in the window (plus a history of
// older probes that must not matter), through the real runAnalysis over an in-memory results
// store, with the fixture run's flow and access-log records as the evidence sources.
import { readFileSync } from 'node:fs';
import { runAnalysis } from '../../functions/lib/analyze-run.js';
import { readAccessLogRecords } from '../../functions/lib/read-access-logs.js';
import { readFlowRecords } from '../../functions/lib/read-flow.js';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import { MemoryObjectStore, RecordingAlertSink } from '../../shared/analyzer/memory.js';
import { validateConfig } from '../../shared/config/index.js';
import { validateEnvironment } from '../../shared/env/schema.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import type { AccessLogSource, FlowLogSource, ObjectStore } from '../../shared/ports/index.js';
import { probeIdTimePrefix } from '../../shared/probes/plan.js';
import { observationKey, probeRecordKey } from '../../shared/probes/results-keys.js';
import type { Observation, Probe } from '../../shared/probes/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';

const F = new URL('../fixtures/analyze/', import.meta.url).pathname;
const ndjson = <T>(f: string) =>
  readFileSync(`${F}${f}`, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
const HISTORY = 10_000;

/** Counts store calls: the figure that must stay flat whatever the history. */
class CountingStore implements ObjectStore {
  calls = 0;
  constructor(private readonly inner: MemoryObjectStore) {}
  getJson<T>(key: string) {
    this.calls++;
    return this.inner.getJson<T>(key);
  }
  putJson(key: string, value: unknown, c?: Parameters<ObjectStore['putJson']>[2]) {
    this.calls++;
    return this.inner.putJson(key, value, c);
  }
  putBytes(key: string, body: Uint8Array) {
    this.calls++;
    return this.inner.putBytes(key, body);
  }
  async *list(prefix: string, startAfter?: string) {
    let n = 0;
    for await (const k of this.inner.list(prefix, startAfter)) {
      if (n++ % 1000 === 0) this.calls++; // one ListObjectsV2 page per 1,000 keys
      yield k;
    }
    if (n === 0) this.calls++;
  }
}

export default async function bench(): Promise<void> {
  const cfgR = validateConfig(JSON.parse(readFileSync(`${F}config.json`, 'utf8')));
  const envR = validateEnvironment(JSON.parse(readFileSync(`${F}env.json`, 'utf8')));
  if (!cfgR.ok || !envR.ok) throw new Error('fixtures invalid');
  const cfg = cfgR.value;
  const env = envR.value;
  const baseProbes = ndjson<Probe>('probes.ndjson');
  const baseObs = ndjson<Observation>('observations.ndjson');
  const flows: FlowRecord[] = [];
  const access: AccessLogRecord[] = [];
  const rejects = new RejectCounter();
  for await (const b of readFlowRecords(`${F}flow.log`, { rejects })) flows.push(...b);
  for await (const b of readAccessLogRecords(`${F}access.log`, { rejects })) access.push(...b);
  const start = Date.parse(baseProbes[0]!.createdAt);
  const now = new Date(start + 30 * 60_000);

  /** `n` probes in the window (the fixture's, repeated over runs 5 minutes apart) and HISTORY older ones. */
  function seed(n: number): MemoryObjectStore {
    const store = new MemoryObjectStore();
    const put = (p: Probe, o: Observation | undefined) => {
      store.objects.set(probeRecordKey(p), { body: JSON.stringify(p), etag: '"1"' });
      if (o) store.objects.set(observationKey(p.runId, p.probeId), { body: JSON.stringify(o), etag: '"1"' });
    };
    for (let i = 0; i < n; i++) {
      const base = baseProbes[i % baseProbes.length]!;
      // One run of the fixture's probes every 2 minutes back from its start: 1,000 probes span
      // about four hours, inside the six-hour window the access-log deadline sets.
      const created = start - Math.floor(i / baseProbes.length) * 120_000;
      const probeId = probeIdTimePrefix(created) + String(i).padStart(16, '0');
      const runId = `run-${new Date(created).toISOString().replace(/[-:]/g, '').slice(0, 13)}`;
      const p = { ...base, probeId, runId, createdAt: new Date(created).toISOString() };
      const o = baseObs.find((x) => x.probeId === base.probeId);
      put(p, o ? { ...o, probeId } : undefined);
    }
    for (let i = 0; i < HISTORY; i++) {
      const created = start - 2 * 86_400_000 - i * 240_000;
      const probeId = probeIdTimePrefix(created) + String(i).padStart(16, '0');
      const runId = `run-${new Date(created).toISOString().replace(/[-:]/g, '').slice(0, 13)}`;
      put({ ...baseProbes[0]!, probeId, runId, createdAt: new Date(created).toISOString() }, undefined);
    }
    return store;
  }
  const flowSource: FlowLogSource = {
    name: 'memory-flow',
    async *findFlows() {
      yield flows;
    },
  };
  const accessSource: AccessLogSource = {
    name: 'memory-access',
    async *readSince() {
      yield { records: access, checkpoint: 'k', origin: 'fixture' };
    },
  };

  console.log(
    `window: probes repeated from test/fixtures/analyze (${baseProbes.length} probes, ${flows.length} flow and ${access.length} access-log records); ${HISTORY.toLocaleString('en')} older probes stored beside them; best of 3 runs on a fresh store each`,
  );
  console.log(
    '\n| probes in the window | analyze run ms | ms per probe | store calls |\n|---:|---:|---:|---:|',
  );
  for (const n of [1, 100, 1000]) {
    let best = Number.POSITIVE_INFINITY;
    let calls = 0;
    for (let i = 0; i < 3; i++) {
      const store = new CountingStore(seed(n));
      const t = performance.now();
      const r = await runAnalysis({
        cfg,
        store,
        sink: new RecordingAlertSink(),
        now,
        discover: async () => ({ environment: env }),
        flows: flowSource,
        access: accessSource,
      });
      const ms = performance.now() - t;
      if (r.results.length !== n) throw new Error(`expected ${n} results, got ${r.results.length}`);
      best = Math.min(best, ms);
      calls = store.calls;
    }
    console.log(
      `| ${n.toLocaleString('en')} | ${best.toFixed(1)} | ${(best / n).toFixed(2)} | ${calls.toLocaleString('en')} |`,
    );
  }
}
