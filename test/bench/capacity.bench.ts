// Capacity (issue 15 §3): one analyze run, in memory, over 10, 100 and 1,000 VPC vantages x 10
// probes each x one hour of runs (12 runs, 5 minutes apart), with the flow-log and access-log
// records those probes leave (capacity-data.ts: each vantage its own subnet, ENI and address, each
// probe its own connection and request id). Records are parsed before timing, by the product's
// readers. Reports run time, CPU time, heap growth and peak RSS, the evidence bytes one run reads,
// and the bundles it writes (records and bytes per bundle); docs/scale.md turns these into
// vantages per function and cost per vantage-month. The default is 10 and 100 vantages;
// PATHGUARD_BENCH_VANTAGES=10,100,1000 asks for the largest too (minutes on a shared machine).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAnalysis } from '../../functions/lib/analyze-run.js';
import { readAccessLogRecords } from '../../functions/lib/read-access-logs.js';
import { readFlowRecords } from '../../functions/lib/read-flow.js';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import { type MemoryObjectStore, RecordingAlertSink } from '../../shared/analyzer/memory.js';
import { validateConfig } from '../../shared/config/index.js';
import { validateEnvironment } from '../../shared/env/schema.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import type { AccessLogSource, FlowLogSource } from '../../shared/ports/index.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { generate, PROBES_PER_VANTAGE, RUN_MS, RUNS } from './capacity-data.js';

async function parse(dir: string, flowText: string, accessText: string) {
  writeFileSync(join(dir, 'flow.log'), flowText);
  writeFileSync(join(dir, 'access.log'), accessText);
  const flows: FlowRecord[] = [];
  const access: AccessLogRecord[] = [];
  const rejects = new RejectCounter();
  for await (const b of readFlowRecords(join(dir, 'flow.log'), { rejects })) flows.push(...b);
  for await (const b of readAccessLogRecords(join(dir, 'access.log'), { rejects })) access.push(...b);
  if (rejects.count > 0) throw new Error(`generated records rejected: ${rejects.count}`);
  return { flows, access };
}

/** Records and bytes of the evidence bundles a run wrote, and its verdicts by kind. */
function bundleStats(store: MemoryObjectStore) {
  let n = 0;
  let records = 0;
  let maxRecords = 0;
  let bytes = 0;
  let maxBytes = 0;
  const verdicts: Record<string, number> = {};
  for (const [key, o] of store.objects) {
    if (!key.startsWith('evidence/')) continue;
    const body = String(o.body);
    const b = JSON.parse(body) as { evidence: unknown[]; verdict: { verdict: string } };
    n++;
    records += b.evidence.length;
    maxRecords = Math.max(maxRecords, b.evidence.length);
    bytes += Buffer.byteLength(body);
    maxBytes = Math.max(maxBytes, Buffer.byteLength(body));
    verdicts[b.verdict.verdict] = (verdicts[b.verdict.verdict] ?? 0) + 1;
  }
  return { n, records: records / n, maxRecords, kb: bytes / n / 1024, maxKb: maxBytes / 1024, verdicts };
}

const fmt = (x: number) => x.toLocaleString('en');

export default async function bench(): Promise<void> {
  const now = new Date(Date.parse('2026-11-25T10:00:00.000Z') + RUNS * RUN_MS);
  console.log(
    `one analyze run over ${PROBES_PER_VANTAGE} probes per vantage x ${RUNS} runs (one hour at 5 minutes), in memory; CPU: user+system of the process during the run; memory: heap growth during the run and the process's peak RSS`,
  );
  console.log(
    '\n| vantages | probes | flow records | access records | run ms | CPU ms | CPU ms per probe | heap MB | peak RSS MB | flow MB | access MB | records per bundle (max) | KB per bundle (max) |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  const verdictLines: string[] = [];
  for (const vantages of (process.env.PATHGUARD_BENCH_VANTAGES ?? '10,100').split(',').map(Number)) {
    const dir = mkdtempSync(join(tmpdir(), 'pg-capacity-'));
    try {
      const g = generate(vantages);
      const { flows, access } = await parse(dir, g.flowText, g.accessText);
      const cfgR = validateConfig(g.cfgDoc);
      if (!cfgR.ok) throw cfgR.error;
      const envR = validateEnvironment(g.envDoc);
      if (!envR.ok) throw new Error('generated environment invalid');
      const env = envR.value;
      // Like S3 delivery, the generated log is read whole: the analyzer asks once for all vantages.
      const flowSource: FlowLogSource = {
        name: 'memory-flow',
        readsWholeWindow: true,
        async *findFlows() {
          yield flows;
        },
      };
      const accessSource: AccessLogSource = {
        name: 'memory-access',
        async *readSince() {
          yield { records: access, checkpoint: 'k', origin: 'generated' };
        },
      };
      globalThis.gc?.();
      const heap0 = process.memoryUsage().heapUsed;
      const cpu0 = process.cpuUsage();
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
      const cpu = process.cpuUsage(cpu0);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      const heap = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
      if (r.results.length !== g.probes)
        throw new Error(`expected ${g.probes} results, got ${r.results.length}`);
      const rss = process.resourceUsage().maxRSS / 1024;
      const b = bundleStats(g.store);
      console.log(
        `| ${fmt(vantages)} | ${fmt(g.probes)} | ${fmt(flows.length)} | ${fmt(access.length)} | ${ms.toFixed(0)} | ${cpuMs.toFixed(0)} | ${(cpuMs / g.probes).toFixed(3)} | ${heap.toFixed(0)} | ${rss.toFixed(0)} | ${(Buffer.byteLength(g.flowText) / 2 ** 20).toFixed(2)} | ${(Buffer.byteLength(g.accessText) / 2 ** 20).toFixed(2)} | ${b.records.toFixed(1)} (${b.maxRecords}) | ${b.kb.toFixed(1)} (${b.maxKb.toFixed(1)}) |`,
      );
      verdictLines.push(
        `${fmt(vantages)} vantages: ${fmt(b.n)} bundles, verdicts ${JSON.stringify(b.verdicts)}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(`\n${verdictLines.join('\n')}`);
}
