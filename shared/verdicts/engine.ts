import type { EvidenceSource, PathKind } from '../classify/types.js';
import type { PathGuardConfig } from '../config/index.js';
import type { EvidenceItem } from '../evidence/types.js';
import type { Observation, PathVerdict, Probe } from '../probes/types.js';

/** What an observation alone says before logs arrive (see shared/probes/early-verdict.ts). */
export interface EarlyVerdict {
  verdict: PathVerdict | null;
  path: PathKind | null;
  reason: string;
}

export interface ProbeVerdict {
  probeId: string;
  verdict: PathVerdict;
  path: PathKind | null;
  /** One line: the rule that decided and the facts it used. */
  reason: string;
  /** The evidence that decided, when one record did. */
  deciding: EvidenceItem | null;
  evidence: EvidenceItem[];
  /** Sources that should have spoken and did not (for `no-evidence`). */
  silentSources: EvidenceSource[];
  /** Sources still inside their delivery deadline with nothing yet. */
  awaiting: { source: EvidenceSource; deadline: string }[];
}

export interface ExpectedSource {
  source: EvidenceSource;
  deadline: Date;
}

/**
 * The log sources that should carry a probe, with their deadlines. VPC runners: every enabled
 * source. On-prem runners: S3 access logs and CloudTrail; flow logs only when the request should
 * enter the VPC through an interface endpoint (traffic that never enters the VPC is not in its
 * flow logs).
 */
export function expectedSources(probe: Probe, cfg: PathGuardConfig): ExpectedSource[] {
  const created = Date.parse(probe.createdAt);
  const at = (min: number) => new Date(created + min * 60_000);
  const ev = cfg.evidence;
  const out: ExpectedSource[] = [];
  const flowExpected = probe.vantage.kind === 'vpc' || probe.expectedPath === 'interface-endpoint';
  if (ev.flowLogs.enabled && flowExpected)
    out.push({ source: 'flow', deadline: at(ev.flowLogs.deadlineMinutes) });
  if (ev.accessLogs.enabled) out.push({ source: 's3-access', deadline: at(ev.accessLogs.deadlineMinutes) });
  if (ev.cloudTrail.enabled) out.push({ source: 'cloudtrail', deadline: at(ev.cloudTrail.deadlineMinutes) });
  return out;
}

/** How long a runner has to report before it counts as silent: two schedule intervals. */
export function runnerDeadline(probe: Probe, cfg: PathGuardConfig): Date {
  return new Date(Date.parse(probe.createdAt) + 2 * cfg.scheduleMinutes * 60_000);
}

const SOURCE_RANK: Record<EvidenceSource, number> = { 's3-access': 0, cloudtrail: 1, flow: 2 };

/**
 * Decides one probe's verdict. In order:
 * 1. no observation: `pending` until the runner deadline, then `no-evidence` (runner silent);
 * 2. 403 AccessDenied: `blocked` (a preventive control such as `aws:SourceVpce` worked);
 * 3. any evidence that the request left the endpoint path: `left-path`;
 * 4. an early verdict of `left-path` from the observation (on-prem connected to a non-endpoint
 *    address): `left-path` now, logs confirm later;
 * 5. private evidence from at least one log source and nothing contrary: `private`;
 * 6. an expected source still inside its deadline: `pending`;
 * 7. otherwise `no-evidence`, naming the silent sources. Never `private` without positive evidence.
 * Deterministic: the same inputs give the same verdict whatever their order.
 */
export function decideVerdict(input: {
  probe: Probe;
  observation: Observation | null;
  evidence: readonly EvidenceItem[];
  expected: readonly ExpectedSource[];
  runnerDeadline: Date;
  now: Date;
  early?: EarlyVerdict | null;
}): ProbeVerdict {
  const { probe, observation: obs, now } = input;
  const evidence = [...input.evidence].sort(
    (a, b) =>
      SOURCE_RANK[a.source] - SOURCE_RANK[b.source] ||
      (a.dedupKey < b.dedupKey ? -1 : a.dedupKey > b.dedupKey ? 1 : 0),
  );
  const base = {
    probeId: probe.probeId,
    evidence,
    silentSources: [] as EvidenceSource[],
    awaiting: [] as ProbeVerdict['awaiting'],
  };

  if (!obs) {
    if (now < input.runnerDeadline) {
      return {
        ...base,
        verdict: 'pending',
        path: null,
        reason: `PENDING_RUNNER: ${probe.vantage.id} has not reported yet`,
        deciding: null,
      };
    }
    return {
      ...base,
      verdict: 'no-evidence',
      path: null,
      reason: `RUNNER_SILENT: runner ${probe.vantage.id} did not report an observation by ${input.runnerDeadline.toISOString()}`,
      deciding: null,
    };
  }
  if (obs.httpStatus === 403 && obs.s3ErrorCode === 'AccessDenied') {
    return {
      ...base,
      verdict: 'blocked',
      path: null,
      reason: 'BLOCKED: S3 answered 403 AccessDenied (a bucket or endpoint policy refused the request)',
      deciding: null,
    };
  }
  const contrary = evidence.find((e) => e.decision.private === false);
  if (contrary) {
    return {
      ...base,
      verdict: 'left-path',
      path: contrary.decision.path,
      reason: `LEFT_PATH: ${contrary.source} record shows ${contrary.decision.path} (${contrary.decision.reason})`,
      deciding: contrary,
    };
  }
  if (input.early?.verdict === 'left-path') {
    return {
      ...base,
      verdict: 'left-path',
      path: input.early.path,
      reason: `LEFT_PATH_OBSERVED: ${input.early.reason}`,
      deciding: null,
    };
  }
  const priv = evidence.find((e) => e.decision.private === true);
  if (priv) {
    return {
      ...base,
      verdict: 'private',
      path: priv.decision.path,
      reason: `PRIVATE: ${priv.source} record shows ${priv.decision.path} (${priv.decision.reason})`,
      deciding: priv,
    };
  }
  const spoke = new Set(evidence.map((e) => e.source));
  const awaiting = input.expected
    .filter((x) => !spoke.has(x.source) && now < x.deadline)
    .map((x) => ({ source: x.source, deadline: x.deadline.toISOString() }));
  const silent = input.expected.filter((x) => !spoke.has(x.source) && now >= x.deadline).map((x) => x.source);
  if (awaiting.length > 0) {
    return {
      ...base,
      awaiting,
      silentSources: silent,
      verdict: 'pending',
      path: null,
      reason: `PENDING_EVIDENCE: waiting for ${awaiting.map((a) => `${a.source} until ${a.deadline}`).join(', ')}`,
      deciding: null,
    };
  }
  const undecided = evidence.length > 0 ? `; ${evidence.length} matched record(s) did not decide a path` : '';
  const failed = obs.error ? `; the fetch failed (${obs.error.code})` : '';
  return {
    ...base,
    silentSources: silent,
    verdict: 'no-evidence',
    path: null,
    reason:
      silent.length > 0
        ? `NO_EVIDENCE: no matching record from ${silent.join(', ')} after the deadline${undecided}${failed}`
        : `NO_EVIDENCE: no source decided the path${undecided}${failed}`,
    deciding: null,
  };
}
