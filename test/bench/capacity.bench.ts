// Capacity (issue 15 §3): one analyze run, in memory, over 10, 100 and 1,000 VPC vantages x 10
// probes each x one hour of runs (12 runs, 5 minutes apart), with the flow-log and access-log
// records those probes leave. Inputs are generated from test/fixtures/analyze outside the timed
// code: each synthetic vantage repeats the fixture's vpc-app probes (its four styles cycled over
// ten probe slots) with its own probe ids, and the fixture's flow and access-log lines shifted to
// each run's time and rewritten to those ids; records are parsed before timing, by the product's
// readers. Reports run time, heap growth and peak RSS, and the evidence bytes one run reads
// (docs/scale.md turns these into vantages per function and cost per vantage-month).
// The default is 10 vantages: on this 2-core machine 100 did not finish within five minutes (run
// time grows faster than the evidence, see docs/scale.md); PATHGUARD_BENCH_VANTAGES=10,100,1000
// asks for the larger sizes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAnalysis } from '../../functions/lib/analyze-run.js';
import { readAccessLogRecords } from '../../functions/lib/read-access-logs.js';
import { readFlowRecords } from '../../functions/lib/read-flow.js';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import { MemoryObjectStore, RecordingAlertSink } from '../../shared/analyzer/memory.js';
import { validateConfig } from '../../shared/config/index.js';
import { validateEnvironment } from '../../shared/env/schema.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import type { AccessLogSource, FlowLogSource } from '../../shared/ports/index.js';
import { probeIdTimePrefix } from '../../shared/probes/plan.js';
import { observationKey, probeRecordKey } from '../../shared/probes/results-keys.js';
import type { Observation, Probe } from '../../shared/probes/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';

const F = new URL('../fixtures/analyze/', import.meta.url).pathname;
const lines = (f: string) =>
  readFileSync(`${F}${f}`, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
const PROBES_PER_VANTAGE = 10;
const RUNS = 12;
const RUN_MS = 5 * 60_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `[25/Nov/2026:10:00:01 +0000]` moved by `ms`. */
function shiftAccessTime(line: string, ms: number): string {
  return line.replace(
    /\[(\d\d)\/(\w{3})\/(\d{4}):(\d\d):(\d\d):(\d\d) \+0000\]/,
    (_m, d, mon, y, h, mi, s) => {
      const t = new Date(Date.UTC(+y, MONTHS.indexOf(mon), +d, +h, +mi, +s) + ms);
      const p = (n: number) => String(n).padStart(2, '0');
      return `[${p(t.getUTCDate())}/${MONTHS[t.getUTCMonth()]}/${t.getUTCFullYear()}:${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())} +0000]`;
    },
  );
}

interface Generated {
  store: MemoryObjectStore;
  flows: FlowRecord[];
  access: AccessLogRecord[];
  probes: number;
  flowBytes: number;
  accessBytes: number;
}

async function generate(vantages: number, dir: string): Promise<Generated & { cfgDoc: unknown }> {
  const base = lines('probes.ndjson').map((l) => JSON.parse(l) as Probe);
  const app = base.filter((p) => p.vantage.id === 'vpc-app');
  const obs = new Map(lines('observations.ndjson').map((l) => [(JSON.parse(l) as Observation).probeId, l]));
  const [flowHeader, ...flowLines] = lines('flow.log');
  const accessLines = lines('access.log');
  const start = Date.parse(base[0]!.createdAt);
  const store = new MemoryObjectStore();
  const flowOut: string[] = [flowHeader!];
  const accessOut: string[] = [];
  const cfgDoc = JSON.parse(readFileSync(`${F}config.json`, 'utf8'));
  const subnetId = app[0]!.vantage.kind === 'vpc' ? app[0]!.vantage.subnetId : '';
  cfgDoc.vantages = Array.from({ length: vantages }, (_, v) => ({ id: `v${v}`, kind: 'vpc', subnetId }));
  let n = 0;
  for (let r = 0; r < RUNS; r++) {
    const created = start + r * RUN_MS;
    const runId = `run-${new Date(created).toISOString().replace(/[-:]/g, '').slice(0, 13)}`;
    for (let v = 0; v < vantages; v++) {
      const ids = new Map<string, string>();
      for (let s = 0; s < PROBES_PER_VANTAGE; s++) {
        const b = app[s % app.length]!;
        const probeId = probeIdTimePrefix(created) + String(n++).padStart(16, '0');
        if (s < app.length) ids.set(b.probeId, probeId);
        const rewrite = (text: string) => text.replaceAll(b.probeId, probeId);
        const p = JSON.parse(rewrite(JSON.stringify(b))) as Probe;
        Object.assign(p, {
          runId,
          createdAt: new Date(created).toISOString(),
          vantage: { id: `v${v}`, kind: 'vpc', subnetId },
        });
        store.objects.set(probeRecordKey(p), { body: JSON.stringify(p), etag: '"1"' });
        const o = obs.get(b.probeId);
        if (o) store.objects.set(observationKey(runId, probeId), { body: rewrite(o), etag: '"1"' });
      }
      for (const l of flowLines) {
        const f = l.split(' ');
        f[5] = String(1024 + ((v * 7 + Number(f[5])) % 60_000)); // srcport: one connection per vantage
        f[10] = String(Number(f[10]) + r * 300);
        f[11] = String(Number(f[11]) + r * 300);
        flowOut.push(f.join(' '));
      }
      for (const l of accessLines) {
        let line = shiftAccessTime(l, r * RUN_MS);
        for (const [from, to] of ids) line = line.replaceAll(from, to);
        accessOut.push(line);
      }
    }
  }
  const flowText = `${flowOut.join('\n')}\n`;
  const accessText = `${accessOut.join('\n')}\n`;
  writeFileSync(join(dir, 'flow.log'), flowText);
  writeFileSync(join(dir, 'access.log'), accessText);
  const flows: FlowRecord[] = [];
  const access: AccessLogRecord[] = [];
  const rejects = new RejectCounter();
  for await (const b of readFlowRecords(join(dir, 'flow.log'), { rejects })) flows.push(...b);
  for await (const b of readAccessLogRecords(join(dir, 'access.log'), { rejects })) access.push(...b);
  return {
    cfgDoc,
    store,
    flows,
    access,
    probes: n,
    flowBytes: Buffer.byteLength(flowText),
    accessBytes: Buffer.byteLength(accessText),
  };
}

export default async function bench(): Promise<void> {
  const envR = validateEnvironment(JSON.parse(readFileSync(`${F}env.json`, 'utf8')));
  if (!envR.ok) throw new Error('fixture environment invalid');
  const env = envR.value;
  const now = new Date(Date.parse('2026-11-25T10:00:00.000Z') + RUNS * RUN_MS);
  console.log(
    `one analyze run over ${PROBES_PER_VANTAGE} probes per vantage x ${RUNS} runs (one hour at 5 minutes), in memory; memory: heap growth during the run and the process's peak RSS`,
  );
  console.log(
    '\n| vantages | probes | flow records | access records | run ms | ms per vantage | heap MB | peak RSS MB | flow MB | access MB |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const vantages of (process.env.PATHGUARD_BENCH_VANTAGES ?? '10').split(',').map(Number)) {
    const dir = mkdtempSync(join(tmpdir(), 'pg-capacity-'));
    try {
      const g = await generate(vantages, dir);
      const cfgR = validateConfig(g.cfgDoc);
      if (!cfgR.ok) throw cfgR.error;
      const flowSource: FlowLogSource = {
        name: 'memory-flow',
        async *findFlows() {
          yield g.flows;
        },
      };
      const accessSource: AccessLogSource = {
        name: 'memory-access',
        async *readSince() {
          yield { records: g.access, checkpoint: 'k', origin: 'generated' };
        },
      };
      globalThis.gc?.();
      const heap0 = process.memoryUsage().heapUsed;
      const t = performance.now();
      const r = await runAnalysis({
        cfg: cfgR.value,
        store: g.store,
        sink: new RecordingAlertSink(),
        now,
        discover: async () => ({ environment: env }),
        flows: flowSource,
        access: accessSource,
      });
      const ms = performance.now() - t;
      const heap = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
      if (r.results.length !== g.probes)
        throw new Error(`expected ${g.probes} results, got ${r.results.length}`);
      const rss = process.resourceUsage().maxRSS / 1024;
      console.log(
        `| ${vantages.toLocaleString('en')} | ${g.probes.toLocaleString('en')} | ${g.flows.length.toLocaleString('en')} | ${g.access.length.toLocaleString('en')} | ${ms.toFixed(0)} | ${(ms / vantages).toFixed(2)} | ${heap.toFixed(0)} | ${rss.toFixed(0)} | ${(g.flowBytes / 2 ** 20).toFixed(2)} | ${(g.accessBytes / 2 ** 20).toFixed(2)} |`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
