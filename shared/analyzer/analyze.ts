import type { AlertIntent, AlertState, DriftItem } from '../alerts/state.js';
import { planAlerts } from '../alerts/state.js';
import type { PathGuardConfig } from '../config/index.js';
import type { Environment } from '../env/types.js';
import { appendHistory, type VerdictHistoryEntry } from '../evidence/bundle.js';
import { correlateProbe, type LogRecords } from '../evidence/correlate.js';
import type { Classifiers } from '../evidence/types.js';
import { type EarlyFacts, earlyVerdict } from '../probes/early-verdict.js';
import type { Observation, Probe } from '../probes/types.js';
import { type RealTrafficReport, realTrafficReport } from '../reports/real-traffic.js';
import { decideVerdict, expectedSources, type ProbeVerdict, runnerDeadline } from '../verdicts/engine.js';

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
  drift?: readonly DriftItem[];
  /** Verdict histories from earlier runs, by probe id. */
  histories?: ReadonlyMap<string, readonly VerdictHistoryEntry[]>;
}

export interface ProbeResult {
  probe: Probe;
  observation: Observation | null;
  verdict: ProbeVerdict;
  history: VerdictHistoryEntry[];
}

export interface AnalysisResult {
  results: ProbeResult[];
  alerts: AlertIntent[];
  realTraffic: RealTrafficReport;
}

/**
 * One analyzer pass, pure: correlate each probe's evidence, decide its verdict, plan alerts and
 * audit real presigned traffic. Running it twice over the same data gives the same verdicts, the
 * same histories and (once the first alerts are recorded as sent) no second alert.
 */
export function analyze(input: AnalysisInput): AnalysisResult {
  const { cfg, env, now } = input;
  const results: ProbeResult[] = [];
  const probes = [...input.probes].sort((a, b) =>
    a.probeId < b.probeId ? -1 : a.probeId > b.probeId ? 1 : 0,
  );
  for (const probe of probes) {
    const observation = input.observations.get(probe.probeId) ?? null;
    const evidence = correlateProbe(probe, observation, input.logs, env, input.classify);
    const verdict = decideVerdict({
      probe,
      observation,
      evidence,
      expected: expectedSources(probe, cfg),
      runnerDeadline: runnerDeadline(probe, cfg),
      now,
      early: observation ? earlyVerdict(probe, observation, input.facts) : null,
    });
    const history = appendHistory(input.histories?.get(probe.probeId) ?? [], verdict, now);
    results.push({ probe, observation, verdict, history });
  }
  const alerts = planAlerts(
    input.alertState,
    results.map((r) => ({ probe: r.probe, verdict: r.verdict })),
    input.drift ?? [],
    now,
    cfg.alerts.reminderMinutes,
  );
  const realTraffic = realTrafficReport(input.logs.access, cfg.monitoredBuckets, (r) =>
    input.classify.access(r),
  );
  return { results, alerts, realTraffic };
}
