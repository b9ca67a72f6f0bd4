/**
 * One analyzer pass over data already in memory: correlate each probe's evidence, decide its
 * verdict, extend its history, plan alerts and audit real presigned traffic. Pure. The ports-wired
 * run (shared/analyzer/run.ts) streams its sources into the same {@link evaluateProbes}.
 */
import { type AlertIntent, type AlertState, type DriftItem, planAlerts } from '../alerts/state.js';
import type { PathGuardConfig } from '../config/index.js';
import type { Environment } from '../env/types.js';
import {
  type CorrelationTarget,
  classifyMatches,
  EvidenceCorrelator,
  foreignEniIds,
  type LogRecords,
  normalizeIp,
  type VantageFacts,
  vantageFacts,
} from '../evidence/correlate.js';
import type { Classifiers, EvidenceItem } from '../evidence/types.js';
import { type EarlyFacts, earlyVerdict } from '../probes/early-verdict.js';
import type { Observation, Probe } from '../probes/types.js';
import { type RealTrafficReport, realTrafficReport } from '../reports/real-traffic.js';
import {
  appendHistory,
  decideVerdict,
  type ExpectedSource,
  expectedSources,
  isSettled,
  type ProbeVerdict,
  runnerDeadline,
  type VerdictHistoryEntry,
} from '../verdicts/engine.js';

export interface ProbeResult {
  probe: Probe;
  observation: Observation | null;
  verdict: ProbeVerdict;
  /** Verdict history with this run's verdict appended when it changed. */
  history: VerdictHistoryEntry[];
  /** The history grew this run. */
  changed: boolean;
  facts: VantageFacts;
  expected: ExpectedSource[];
  /** Nothing can change the verdict any more. */
  settled: boolean;
}

export interface EvaluateInput {
  cfg: PathGuardConfig;
  env: Environment;
  classify: Classifiers;
  facts: EarlyFacts;
  probes: readonly Probe[];
  observations: ReadonlyMap<string, Observation>;
  /** Matches of this run (fed from the logs). */
  correlator: EvidenceCorrelator;
  now: Date;
  /** Verdict histories from earlier runs, by probe id. */
  histories?: ReadonlyMap<string, readonly VerdictHistoryEntry[]>;
  /** Evidence matched and classified by earlier runs (kept as decided then), by probe id. */
  previousEvidence?: ReadonlyMap<string, readonly EvidenceItem[]>;
}

/** The correlation targets of the probes: each with its observation and its vantage's facts. */
export function correlationTargets(
  env: Environment,
  probes: readonly Probe[],
  observations: ReadonlyMap<string, Observation>,
): (CorrelationTarget & { observation: Observation | null })[] {
  const byVantage = new Map<string, { facts: VantageFacts; foreignEnis: ReadonlySet<string> }>();
  return sortProbes(probes).map((probe) => {
    let v = byVantage.get(probe.vantage.id);
    if (!v) {
      const facts = vantageFacts(env, probe.vantage);
      v = { facts, foreignEnis: foreignEniIds(env, facts.vpcId) };
      byVantage.set(probe.vantage.id, v);
    }
    return { probe, observation: observations.get(probe.probeId) ?? null, ...v };
  });
}

function sortProbes(probes: readonly Probe[]): Probe[] {
  return [...probes].sort((a, b) => (a.probeId < b.probeId ? -1 : a.probeId > b.probeId ? 1 : 0));
}

/**
 * Verdicts for every probe from the correlator's matches plus earlier evidence. Evidence matched
 * in an earlier run keeps the decision it got then; a record matched again counts once.
 *
 * @example
 * const results = evaluateProbes({ cfg, env, classify, facts, probes, observations, correlator, now });
 */
export function evaluateProbes(input: EvaluateInput): ProbeResult[] {
  const { cfg, now } = input;
  const targets = correlationTargets(input.env, input.probes, input.observations);
  return targets.map(({ probe, observation, facts }) => {
    const obs = observation && {
      ...observation,
      remoteAddress: observation.remoteAddress === null ? null : normalizeIp(observation.remoteAddress),
    };
    const evidence = [
      ...(input.previousEvidence?.get(probe.probeId) ?? []),
      ...classifyMatches(input.correlator.matches(probe.probeId), input.classify),
    ];
    const early = obs ? earlyVerdict(probe, obs, input.facts) : null;
    const expected = expectedSources(probe, cfg, obs, early);
    const deadline = runnerDeadline(probe, cfg);
    const verdict = decideVerdict({
      probe,
      observation: obs,
      evidence,
      expected,
      runnerDeadline: deadline,
      now,
      early,
    });
    const before = input.histories?.get(probe.probeId) ?? [];
    const history = appendHistory(before, verdict, now);
    return {
      probe,
      observation,
      verdict,
      history,
      changed: history.length !== before.length,
      facts,
      expected,
      settled: isSettled(verdict, expected, deadline, now),
    };
  });
}

export interface AnalysisInput {
  cfg: PathGuardConfig;
  env: Environment;
  classify: Classifiers;
  facts: EarlyFacts;
  probes: readonly Probe[];
  observations: ReadonlyMap<string, Observation>;
  logs: LogRecords;
  now: Date;
  alertState: AlertState;
  /** Posture drift found this run; `null`/absent when not computed (drift alerts stay as they are). */
  drift?: readonly DriftItem[] | null;
  histories?: ReadonlyMap<string, readonly VerdictHistoryEntry[]>;
  previousEvidence?: ReadonlyMap<string, readonly EvidenceItem[]>;
  /** The analyzer run id (a key alerts at most once per run). */
  runId?: string;
}

export interface AnalysisResult {
  results: ProbeResult[];
  alerts: AlertIntent[];
  realTraffic: RealTrafficReport;
}

/**
 * One analyzer pass, pure: running it twice over the same data gives the same verdicts, the same
 * histories and (once the first alerts are recorded as sent) no second alert.
 *
 * @example
 * const { results, alerts } = analyze({ cfg, env, classify, facts, probes, observations, logs, now, alertState });
 */
export function analyze(input: AnalysisInput): AnalysisResult {
  const { cfg, env, now } = input;
  const correlator = new EvidenceCorrelator(correlationTargets(env, input.probes, input.observations));
  for (const r of input.logs.access) correlator.addAccessLog(r);
  for (const r of input.logs.cloudtrail) correlator.addCloudTrail(r);
  for (const r of input.logs.flows) correlator.addFlow(r);
  const results = evaluateProbes({ ...input, correlator });
  const alerts = planAlerts(input.alertState, results, input.drift ?? null, now, cfg.alerts.reminderMinutes, {
    ...(input.runId !== undefined ? { runId: input.runId } : {}),
  });
  const realTraffic = realTrafficReport(
    input.logs.access,
    cfg.monitoredBuckets,
    (r) => input.classify.access(r),
    {
      excludeKeyPrefixes: [`${cfg.probePrefix}/probes/`],
    },
  );
  return { results, alerts, realTraffic };
}
