import { createHash } from 'node:crypto';
import type { ReportLocation } from '../../shared/alerts/render.js';
import { bindEnvironment } from '../../shared/analyzer/environment-ports.js';
import { type AnalyzerRunResult, runAnalyzer } from '../../shared/analyzer/run.js';
import type { PathGuardConfig } from '../../shared/config/index.js';
import { detectDrift, type FlowLogFacts } from '../../shared/env/drift.js';
import type { Environment } from '../../shared/env/types.js';
import { environmentDigest } from '../../shared/evidence/bundle.js';
import type {
  AccessLogSource,
  AlertSink,
  CloudTrailSource,
  FlowLogSource,
  ObjectStore,
  ProbeObjectRemover,
} from '../../shared/ports/index.js';
import { observationKey, probeListings, probeRecordKeyOf } from '../../shared/probes/results-keys.js';
import type { Observation, Probe } from '../../shared/probes/types.js';

export interface AnalyzeRunDeps {
  cfg: PathGuardConfig;
  store: ObjectStore;
  sink: AlertSink;
  /** Fresh environment (EC2 discovery in AWS, the scenario in the lab), with flow logs and endpoint states when known. */
  discover: () => Promise<{
    environment: Environment;
    flowLogs?: FlowLogFacts[];
    endpointStates?: Record<string, string>;
  }>;
  flows?: FlowLogSource;
  access?: AccessLogSource;
  /** CloudTrail data (and network-activity) events, when enabled: read under the same deadline rules. */
  cloudTrail?: CloudTrailSource;
  /** Deletes upload probes' objects once their verdicts settle (S3 DeleteObject; the lab's endpoint). */
  probeObjects?: ProbeObjectRemover;
  now: Date;
  /** Probes created after this are examined. @default now minus the longest evidence deadline and two intervals */
  since?: Date;
  /** The day's evidence report, named in the alerts. */
  report?: ReportLocation;
}

/**
 * The probe records created in [since, now]: only the window's day folders are listed, the
 * first from the window's start, so the calls do not grow with the history kept.
 */
export async function loadWindowProbes(store: ObjectStore, since: Date, now: Date): Promise<Probe[]> {
  const out: Probe[] = [];
  for (const l of probeListings(since, now)) {
    for await (const key of store.list(l.prefix, l.startAfter)) {
      const v = await store.getJson<Probe>(key);
      if (v && Date.parse(v.value.createdAt) >= since.getTime()) out.push(v.value);
    }
  }
  return out;
}

/**
 * The probes' observations, by probe id: one GET each at its known key (a GET costs a twelfth of
 * the LIST a folder per run would take, and a missing observation is simply absent).
 */
export async function loadObservations(
  store: ObjectStore,
  probes: readonly Probe[],
): Promise<Map<string, Observation>> {
  const observations = new Map<string, Observation>();
  for (const p of probes) {
    const o = await store.getJson<Observation>(observationKey(p.runId, p.probeId));
    if (o) observations.set(p.probeId, o.value);
  }
  return observations;
}

/** A probe's record, found from its id alone (the id's time names the record). */
export async function findProbe(store: ObjectStore, probeId: string): Promise<Probe | null> {
  const key = probeRecordKeyOf(probeId);
  if (!key) return null;
  return (await store.getJson<Probe>(key))?.value ?? null;
}

/**
 * The analyze function's job around the domain's analyzer run: refresh and store the environment
 * snapshot, load the open probes and their runners' observations from the results store, then
 * run the analyzer through the ports (sources, store, alert sink).
 */
export async function runAnalysis(deps: AnalyzeRunDeps): Promise<AnalyzerRunResult> {
  const { cfg, store, now } = deps;
  const ev = cfg.evidence;
  const longest = Math.max(
    ev.flowLogs.deadlineMinutes,
    ev.accessLogs.deadlineMinutes,
    ev.cloudTrail.deadlineMinutes,
  );
  const since = deps.since ?? new Date(now.getTime() - (longest + 2 * cfg.scheduleMinutes) * 60_000);
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  const found = await deps.discover();
  const env = found.environment;
  const prev = (await store.getJson<Environment>('environment/latest.json'))?.value ?? null;
  const drift = detectDrift(prev, env, {
    runnerSubnetIds: cfg.vantages.flatMap((v) => (v.kind === 'vpc' ? [v.subnetId] : [])),
    ...(found.flowLogs ? { flowLogs: found.flowLogs } : {}),
    ...(found.endpointStates ? { endpointStates: found.endpointStates } : {}),
  });
  // The snapshot the verdicts were judged against: latest for the probe function, plus a dated
  // copy (time and digest) whenever it changed, for auditors.
  const digest = environmentDigest(env, sha256);
  if (!prev || environmentDigest(prev, sha256) !== digest) {
    await store.putJson(`environment/snapshots/${now.toISOString()}-${digest.slice(0, 12)}.json`, {
      capturedAt: now.toISOString(),
      digest,
      environment: env,
    });
  }
  await store.putJson('environment/latest.json', env);
  const probes = await loadWindowProbes(store, since, now);
  const observations = await loadObservations(store, probes);
  const bound = bindEnvironment(env);
  return runAnalyzer(
    { cfg, env, probes, observations, drift, ...(deps.report ? { report: deps.report } : {}) },
    {
      store,
      sink: deps.sink,
      clock: () => now,
      sha256,
      classify: bound.classify,
      earlyFacts: bound.facts,
      ...(deps.flows ? { flowSource: deps.flows } : {}),
      ...(deps.access ? { accessLogSource: deps.access } : {}),
      ...(deps.cloudTrail ? { cloudTrailSource: deps.cloudTrail } : {}),
      ...(deps.probeObjects ? { probeObjects: deps.probeObjects } : {}),
    },
  );
}
