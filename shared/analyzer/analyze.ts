/**
 * One analyzer pass over data already in memory: correlate each probe's evidence, decide its
 * verdict, extend its history, plan alerts and audit real presigned traffic. Pure. The ports-wired
 * run (shared/analyzer/run.ts) streams its sources into the same {@link evaluateProbes}.
 */
import { type AlertIntent, type AlertState, type DriftItem, planAlerts } from '../alerts/state.js';
import { hostScopeOf } from '../classify/host-scope.js';
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
import { clockFinding, fetchClock } from '../verdicts/clock.js';
import {
  appendHistory,
  decideVerdict,
  type ExpectedSource,
  expectedSources,
  isRouteDerived,
  isSettled,
  type ProbeVerdict,
  runnerDeadline,
  type VerdictHistoryEntry,
} from '../verdicts/engine.js';
import { bindEnvironment } from './environment-ports.js';
import { type EnvironmentTimeline, requestEnvironment } from './request-environment.js';

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
  /** The environment the probe's records were judged against and what is known of its routes since. */
  routes: { observedAt: string | null; change: string | null };
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
  /**
   * The dated environment snapshots known (shared/analyzer/request-environment.ts). Without them
   * only the probes' plan-time readings can show the tables of a request, and route-derived
   * records decide nothing alone. `current` and `currentDigest` default to `env`.
   */
  timeline?: Partial<EnvironmentTimeline>;
}

/** Classifiers and early facts per environment: the run's own as given, others bound once. */
function binder(input: Pick<EvaluateInput, 'env' | 'classify' | 'facts'>) {
  const bound = new Map<Environment, Pick<EvaluateInput, 'classify' | 'facts'>>([
    [input.env, { classify: input.classify, facts: input.facts }],
  ]);
  return (env: Environment) => {
    let b = bound.get(env);
    if (!b) {
      b = bindEnvironment(env);
      bound.set(env, b);
    }
    return b;
  };
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
  const bind = binder(input);
  const timeline: EnvironmentTimeline = {
    snapshots: input.timeline?.snapshots ?? [],
    current: input.timeline?.current ?? input.env,
    ...(input.timeline?.currentDigest ? { currentDigest: input.timeline.currentDigest } : {}),
  };
  return targets.map(({ probe, observation, facts }) => {
    const obs = observation && {
      ...observation,
      remoteAddress: observation.remoteAddress === null ? null : normalizeIp(observation.remoteAddress),
    };
    const before = input.histories?.get(probe.probeId) ?? [];
    const matched = input.correlator.matches(probe.probeId);
    // The runner's clock against S3's record of the request and the analyzer's times.
    const clock = obs
      ? fetchClock(probe, obs, {
          now,
          s3Time: s3LoggedAt([...(input.previousEvidence?.get(probe.probeId) ?? []), ...matched]),
        })
      : null;
    const finding = obs ? clockFinding(obs.runnerId, clock) : null;
    // Records are judged against the tables in force at request time (issue 10 §1.3).
    const atRequest = requestEnvironment(probe, timeline, now, {
      history: before,
      requestAt: clock ? new Date(clock.startMs) : null,
    });
    const judge = bind(atRequest.environment);
    const evidence = [
      ...(input.previousEvidence?.get(probe.probeId) ?? []),
      ...classifyMatches(matched, judge.classify, hostScopeOf(probe.style)),
    ];
    const change = atRequest.window.change;
    const early = obs ? earlyVerdict(probe, obs, judge.facts, { routeChange: change }) : null;
    const expected = expectedSources(probe, cfg, obs, early, clock?.startMs);
    const deadline = runnerDeadline(probe, cfg);
    const verdict = decideVerdict({
      probe,
      observation: obs,
      evidence,
      expected,
      runnerDeadline: deadline,
      now,
      early,
      routeWindow: {
        change,
        stable: change === null ? new Set() : stableKeys(evidence, atRequest.candidates, bind),
      },
      findings: finding ? [finding] : [],
    });
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
      routes: { observedAt: atRequest.observedAt, change },
    };
  });
}

/**
 * When S3 logged the probe's request: the time of an access-log or CloudTrail record matched by
 * the request id the runner saw (aws-facts §9.1), else null. Key-and-time matches are left out:
 * their time window rests on the clocks being checked.
 */
function s3LoggedAt(matches: readonly Pick<EvidenceItem, 'source' | 'matchedBy' | 'record'>[]): Date | null {
  for (const m of matches) {
    if (m.matchedBy !== 'request-id') continue;
    const r = m.record as { time?: string | null; eventTime?: string | null };
    const t = Date.parse((m.source === 's3-access' ? r.time : r.eventTime) ?? '');
    if (!Number.isNaN(t)) return new Date(t);
  }
  return null;
}

/**
 * The route-derived flow records whose non-private answer every environment of the window gives
 * (a NAT route before and after an unrelated change still shows NAT). Records of other sources
 * are never route-derived.
 */
function stableKeys(
  evidence: readonly EvidenceItem[],
  candidates: readonly Environment[],
  bind: (env: Environment) => Pick<EvaluateInput, 'classify'>,
): Set<string> {
  const out = new Set<string>();
  if (candidates.length === 0) return out;
  for (const e of evidence) {
    if (e.source !== 'flow' || !isRouteDerived(e) || e.decision.private !== false) continue;
    const agree = candidates.every((env) => {
      const d = bind(env).classify.flow(e.record as Parameters<EvaluateInput['classify']['flow']>[0]);
      return d !== null && d.private === false && d.path === e.decision.path;
    });
    if (agree) out.add(e.dedupKey);
  }
  return out;
}

/** What an analysis shares with an evaluation: the config, the environment and its readers, the probes. */
export interface AnalysisInput
  extends Pick<EvaluateInput, 'cfg' | 'env' | 'classify' | 'facts' | 'probes' | 'observations'> {
  logs: LogRecords;
  now: Date;
  alertState: AlertState;
  /** Posture drift found this run; `null`/absent when not computed (drift alerts stay as they are). */
  drift?: readonly DriftItem[] | null;
  histories?: ReadonlyMap<string, readonly VerdictHistoryEntry[]>;
  previousEvidence?: ReadonlyMap<string, readonly EvidenceItem[]>;
  /** The dated environment snapshots known (see {@link EvaluateInput.timeline}). */
  timeline?: Partial<EnvironmentTimeline>;
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
