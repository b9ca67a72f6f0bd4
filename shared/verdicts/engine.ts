/**
 * The verdict of one probe from what its runner saw and the log records matched to it. Pure and
 * deterministic: the same probe, observation, evidence (in any order) and time give the same
 * verdict, so the analyzer can re-examine open probes on every run.
 */
import { FLOW_RULES } from '../classify/flow.js';
import type { EvidenceSource, PathKind } from '../classify/types.js';
import type { PathGuardConfig } from '../config/index.js';
import type { EvidenceItem } from '../evidence/types.js';
import type { FetchErrorCode, Observation, PathVerdict, Probe } from '../probes/types.js';
import { type RefusalCode, refusalOf } from './refusal.js';

/** What an observation alone says before logs arrive (see shared/probes/early-verdict.ts). */
export interface EarlyVerdict {
  verdict: PathVerdict | null;
  path: PathKind | null;
  reason: string;
}

/** Stable id of the rule that decided a verdict; `reason` starts with it. */
export type VerdictCode =
  | 'BLOCKED'
  | 'LEFT_PATH'
  | 'LEFT_PATH_OBSERVED'
  | 'PENDING_RUNNER'
  | 'RUNNER_SILENT'
  | 'FETCH_FAILED'
  | 'PRIVATE'
  | 'PENDING_EVIDENCE'
  | 'SOURCE_SILENT'
  | 'UNDECIDED'
  | 'ROUTE_CHANGED'
  | 'NO_SOURCE';

/**
 * Why the probe's fetch did not read its object: the refusal behind a 403 that names no
 * network-conditioned control (shared/verdicts/refusal.ts), or the runner's coded fetch error. The
 * verdict still judges the path from the evidence, but a failed probe never resolves an alert.
 */
export interface ProbeFailure {
  code: RefusalCode | FetchErrorCode;
  cause: string;
}

/** Something the runner's report shows that is wrong with the runner itself (not the path). */
export interface ObservationFinding {
  /** UPPER_SNAKE, e.g. `RUNNER_CLOCK_SKEW`. */
  code: string;
  severity: 'warning' | 'info';
  message: string;
}

export interface ProbeVerdict {
  probeId: string;
  verdict: PathVerdict;
  code: VerdictCode;
  path: PathKind | null;
  /** One line: the rule that decided (its code first) and the facts it used. */
  reason: string;
  /** The evidence that decided, when one record did. */
  deciding: EvidenceItem | null;
  /** Every matched record, the deciding one included, in a stable order. */
  evidence: EvidenceItem[];
  /** Expected sources whose deadline passed without a matching record. */
  silentSources: EvidenceSource[];
  /** Expected sources whose deadline passed with records that did not decide a path. */
  undecidedSources: EvidenceSource[];
  /** Expected sources still inside their delivery deadline without a deciding record. */
  awaiting: { source: EvidenceSource; deadline: string }[];
  /** What the observation alone said, when there was one. */
  early: EarlyVerdict | null;
  /** Why the probe failed, when it did (a 403 that names no network control, a fetch error). */
  failure?: ProbeFailure | null;
  /** What is wrong with the runner's report (e.g. its clock), whatever the verdict. */
  findings?: ObservationFinding[];
}

/**
 * The rules whose answer rests on the route table of the record's subnet alone (aws-facts §5.2:
 * longest prefix match decides, so a route added or removed later flips the answer). They show
 * the path of a past request only while the table in force then is known.
 */
export const ROUTE_DERIVED_RULES: ReadonlySet<string> = new Set([FLOW_RULES.ROUTE_TABLE]);

/** True when a record's path was read from a route table rather than seen in the record. */
export function isRouteDerived(e: Pick<EvidenceItem, 'decision'>): boolean {
  return ROUTE_DERIVED_RULES.has(e.decision.rule);
}

/**
 * What is known of the route tables between a probe's request and its analysis
 * (shared/analyzer/request-environment.ts). `change` null: the tables in force at request time are
 * known and nothing route-relevant changed since. Otherwise it names the change (or that no
 * snapshot shows the tables at request time); route-derived records then cannot prove `private`,
 * and a route-derived non-private record counts only when listed in `stable` (every environment
 * of the window gives it the same answer).
 */
export interface RouteWindow {
  change: string | null;
  /** `dedupKey`s of route-derived records whose answer is the same in every known environment of the window. */
  stable?: ReadonlySet<string>;
}

export interface ExpectedSource {
  source: EvidenceSource;
  deadline: Date;
}

/**
 * The log sources that should carry a probe, with their deadlines counted from the fetch (or, with
 * no observation yet, from the probe's creation). The analyzer passes the fetch time corrected
 * for the runner's clock (the later of the runner's and its own, shared/verdicts/clock.ts). VPC runners: every enabled source. On-prem
 * runners: S3 access logs and CloudTrail when enabled; flow logs only when the request entered
 * the VPC through an interface endpoint (traffic that never enters the VPC is in none of its flow
 * logs): the runner connected to an interface-endpoint address or, before it reported, the
 * probe's expected path is the interface endpoint.
 *
 * @example
 * expectedSources(probe, cfg, obs, early); // [{ source: 'flow', deadline }, { source: 's3-access', deadline }]
 */
export function expectedSources(
  probe: Probe,
  cfg: PathGuardConfig,
  observation: Observation | null = null,
  early: EarlyVerdict | null = null,
  /** When the fetch started on the analyzer's terms (shared/verdicts/clock.ts `startMs`), if known. */
  fetchedAtMs?: number,
): ExpectedSource[] {
  const fetched =
    fetchedAtMs !== undefined ? fetchedAtMs : observation ? Date.parse(observation.startedAt) : Number.NaN;
  const from = Number.isNaN(fetched) ? Date.parse(probe.createdAt) : fetched;
  const at = (min: number) => new Date(from + min * 60_000);
  const ev = cfg.evidence;
  const out: ExpectedSource[] = [];
  let flowExpected = probe.vantage.kind === 'vpc';
  if (probe.vantage.kind === 'onprem') {
    flowExpected = observation?.remoteAddress
      ? early?.path === 'interface-endpoint'
      : probe.expectedPath === 'interface-endpoint';
  }
  if (ev.flowLogs.enabled && flowExpected)
    out.push({ source: 'flow', deadline: at(ev.flowLogs.deadlineMinutes) });
  if (ev.accessLogs.enabled) out.push({ source: 's3-access', deadline: at(ev.accessLogs.deadlineMinutes) });
  if (ev.cloudTrail.enabled) out.push({ source: 'cloudtrail', deadline: at(ev.cloudTrail.deadlineMinutes) });
  return out;
}

/**
 * How long a runner has to report before it counts as silent: two schedule intervals after the
 * probe was planned, and never before its URL expires (an on-prem runner may fetch late in the
 * URL's life).
 */
export function runnerDeadline(probe: Probe, cfg: PathGuardConfig): Date {
  const twoRuns = Date.parse(probe.createdAt) + 2 * cfg.scheduleMinutes * 60_000;
  const expiry = Date.parse(probe.expiresAt);
  return new Date(Number.isNaN(expiry) ? twoRuns : Math.max(twoRuns, expiry));
}

const SOURCE_RANK: Record<EvidenceSource, number> = { 's3-access': 0, cloudtrail: 1, flow: 2 };
const MATCH_RANK = { 'request-id': 0, 'key-and-time': 1, 'flow-window': 2 } as const;

function compareEvidence(a: EvidenceItem, b: EvidenceItem): number {
  return (
    MATCH_RANK[a.matchedBy] - MATCH_RANK[b.matchedBy] ||
    SOURCE_RANK[a.source] - SOURCE_RANK[b.source] ||
    (a.dedupKey < b.dedupKey ? -1 : a.dedupKey > b.dedupKey ? 1 : 0)
  );
}

/** The items once each (by source and dedupe key), strongest match first. */
export function normalizeEvidence(items: readonly EvidenceItem[]): EvidenceItem[] {
  const seen = new Set<string>();
  const out: EvidenceItem[] = [];
  for (const e of [...items].sort(compareEvidence)) {
    const k = `${e.source}\u0000${e.dedupKey}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(e);
  }
  return out;
}

function describe(e: EvidenceItem): string {
  return `${e.source} record (${e.matchedBy}) shows ${e.decision.path}: ${e.decision.reason}`;
}

/**
 * Decides one probe's verdict. In order:
 * 1. a network-conditioned control refused the request (S3's 403 names an explicit deny in a
 *    resource-based or VPC endpoint policy, or CloudTrail logged `VpceAccessDenied`;
 *    aws-facts §10.1): `blocked`, naming the path the evidence shows. Any other 403 (expired,
 *    signature, identity policy, no policy named) is a probe failure (`failure`) and the path is
 *    judged from the evidence like for any request;
 * 2. any log record classified as not private: `left-path` (`LEFT_PATH`);
 * 3. an early `left-path` from the observation (an on-prem runner connected to an address that is
 *    not an interface endpoint's; a VPC runner whose route table sends the address to NAT/IGW):
 *    `left-path` now (`LEFT_PATH_OBSERVED`), logs confirm later;
 * 4. no observation: `pending` until the runner deadline, then `no-evidence` (`RUNNER_SILENT`);
 * 5. the fetch failed before connecting (DNS, refused, timeout): `no-evidence` (`FETCH_FAILED`),
 *    since no log can ever show a request that was never sent;
 * 6. private evidence from at least one log source and nothing contrary: `private`;
 * 7. an expected source without a deciding record still inside its deadline: `pending`;
 * 8. otherwise `no-evidence`: `SOURCE_SILENT` naming the sources that had no record,
 *    `ROUTE_CHANGED` when route-derived records were set aside because the route tables changed
 *    (see below), `UNDECIDED` when records came but none decided the path, `NO_SOURCE` when no
 *    source is expected at all. Never `private` without positive evidence from a log.
 *
 * Route-derived records (a flow record without `traffic-path` 7/8 read through the subnet's route
 * table) decide only while `routeWindow.change` is null: when the tables changed between request
 * and analysis, or no snapshot shows them at request time, a route-derived "private" needs
 * corroboration from a record that shows the endpoint itself (`traffic-path` 7, an access-log
 * Remote IP from the VPC, a CloudTrail `vpcEndpointId`), and a route-derived non-private answer
 * counts only when every environment of the window agrees (`routeWindow.stable`).
 *
 * @example
 * const v = decideVerdict({ probe, observation, evidence, expected, runnerDeadline, now, early });
 * v.verdict; // 'pending'
 */
export function decideVerdict(input: {
  probe: Probe;
  observation: Observation | null;
  evidence: readonly EvidenceItem[];
  expected: readonly ExpectedSource[];
  runnerDeadline: Date;
  now: Date;
  early?: EarlyVerdict | null;
  /** What is known of the route tables between request and analysis. @default tables known and unchanged */
  routeWindow?: RouteWindow | null;
  /** Findings about the runner's report, carried into the verdict. */
  findings?: readonly ObservationFinding[];
}): ProbeVerdict {
  const { probe, observation: obs, now } = input;
  const early = input.early ?? null;
  const evidence = normalizeEvidence(input.evidence);
  const { change, setAside, contrary, priv, asideText } = weighEvidence(evidence, input.routeWindow);
  const refusal = refusalOf(obs, evidence);
  const failure = failureOf(refusal, obs);
  const base = {
    probeId: probe.probeId,
    evidence,
    silentSources: [] as EvidenceSource[],
    undecidedSources: [] as EvidenceSource[],
    awaiting: [] as ProbeVerdict['awaiting'],
    early,
    failure,
    findings: [...(input.findings ?? [])],
  };
  const failed = failure ? `; the probe failed: ${failure.cause}` : '';
  const verdict = (
    v: PathVerdict,
    code: VerdictCode,
    path: PathKind | null,
    text: string,
    deciding: EvidenceItem | null = null,
  ): ProbeVerdict => ({ ...base, verdict: v, code, path, reason: `${code}: ${text}`, deciding });

  if (refusal?.blocks) {
    const shown = contrary ?? priv ?? null;
    const via = shown ? `; the request travelled ${shown.decision.path}` : '';
    return verdict(
      'blocked',
      'BLOCKED',
      shown?.decision.path ?? null,
      `a network-conditioned control refused the request: ${refusal.cause}${via}`,
      shown,
    );
  }
  if (contrary)
    return verdict(
      'left-path',
      'LEFT_PATH',
      contrary.decision.path,
      `${describe(contrary)}${failed}`,
      contrary,
    );
  if (early?.verdict === 'left-path') {
    return verdict(
      'left-path',
      'LEFT_PATH_OBSERVED',
      early.path,
      `${early.reason} (logs will confirm)${failed}`,
    );
  }
  if (!obs) {
    if (now < input.runnerDeadline) {
      return verdict('pending', 'PENDING_RUNNER', null, `runner ${probe.vantage.id} has not reported yet`);
    }
    return verdict(
      'no-evidence',
      'RUNNER_SILENT',
      null,
      `runner ${probe.vantage.id} did not report an observation by ${input.runnerDeadline.toISOString()}`,
    );
  }
  if (obs.remoteAddress === null && obs.error) {
    return verdict(
      'no-evidence',
      'FETCH_FAILED',
      null,
      `the runner could not send the request (${obs.error.code}), so no log can show its path`,
    );
  }
  if (priv) return verdict('private', 'PRIVATE', priv.decision.path, `${describe(priv)}${failed}`, priv);

  const spoke = new Set(evidence.map((e) => e.source));
  const awaiting = input.expected
    .filter((x) => now < x.deadline)
    .map((x) => ({ source: x.source, deadline: x.deadline.toISOString() }));
  const due = input.expected.filter((x) => now >= x.deadline);
  const silent = due.filter((x) => !spoke.has(x.source)).map((x) => x.source);
  const undecided = due.filter((x) => spoke.has(x.source)).map((x) => x.source);
  if (awaiting.length > 0) {
    return {
      ...verdict(
        'pending',
        'PENDING_EVIDENCE',
        null,
        `waiting for ${awaiting.map((a) => `${a.source} until ${a.deadline}`).join(', ')}${
          early?.verdict ? `; the observation suggests ${early.verdict}: ${early.reason}` : ''
        }${asideText}${failed}`,
      ),
      awaiting,
      silentSources: silent,
      undecidedSources: undecided,
    };
  }
  if (input.expected.length === 0) {
    return verdict('no-evidence', 'NO_SOURCE', null, `no log source is enabled for this vantage${failed}`);
  }
  if (silent.length > 0) {
    const more =
      undecided.length > 0 ? `; ${undecided.join(', ')} had records that did not decide a path` : '';
    return {
      ...verdict(
        'no-evidence',
        'SOURCE_SILENT',
        null,
        `no matching record from ${silent.join(', ')} by the deadline${more}${asideText}${failed}`,
      ),
      silentSources: silent,
      undecidedSources: undecided,
    };
  }
  if (setAside.length > 0) {
    return {
      ...verdict(
        'no-evidence',
        'ROUTE_CHANGED',
        null,
        `only route-derived records matched and the route tables of the request are not known: ${change}; ${setAside
          .map((e) => `${e.source} showed ${e.decision.path}`)
          .join(', ')}${failed}`,
      ),
      undecidedSources: undecided,
    };
  }
  return {
    ...verdict(
      'no-evidence',
      'UNDECIDED',
      null,
      `${evidence.length} matched record(s) from ${undecided.join(', ')} did not decide a path${failed}`,
    ),
    undecidedSources: undecided,
  };
}

/**
 * The records that decide and those set aside: a route-derived record decides only while the
 * tables of the request are known (see above). The most specific private record decides (an
 * endpoint named beats "some endpoint").
 */
function weighEvidence(evidence: readonly EvidenceItem[], window: RouteWindow | null | undefined) {
  const change = window?.change ?? null;
  const stable = window?.stable;
  const counts = (e: EvidenceItem) =>
    change === null ||
    !isRouteDerived(e) ||
    (e.decision.private === false && stable !== undefined && stable.has(e.dedupKey));
  const setAside = evidence.filter(
    (e) => !counts(e) && e.decision.private !== null && e.decision.private !== undefined,
  );
  const decisive = evidence.filter(counts);
  const contrary = decisive.find((e) => e.decision.private === false);
  const priv =
    decisive.find((e) => e.decision.private === true && e.decision.path !== 'vpc-endpoint') ??
    decisive.find((e) => e.decision.private === true);
  const asideText =
    setAside.length > 0
      ? `; ${setAside.length} route-derived record(s) set aside (${setAside
          .map((e) => `${e.source} showed ${e.decision.path}`)
          .join(', ')}): ${change}`
      : '';
  return { change, setAside, contrary, priv, asideText };
}

/** How the probe failed, if it did. A blocked request is the control working, not a failed probe. */
function failureOf(refusal: ReturnType<typeof refusalOf>, obs: Observation | null): ProbeFailure | null {
  if (refusal) return refusal.blocks ? null : { code: refusal.code, cause: refusal.cause };
  return obs?.error ? { code: obs.error.code, cause: `${obs.error.code}: ${obs.error.message}` } : null;
}

/** One entry of a probe's verdict history. */
export interface VerdictHistoryEntry {
  at: string;
  verdict: PathVerdict;
  code: VerdictCode;
  path: PathKind | null;
  reason: string;
}

/**
 * The history with the new verdict appended when it differs (verdict, rule or path) from the
 * last entry. Re-evaluating without change appends nothing, so histories stay stable across runs.
 *
 * @example
 * history = appendHistory(history, verdict, now);
 */
export function appendHistory(
  history: readonly VerdictHistoryEntry[],
  v: ProbeVerdict,
  now: Date,
): VerdictHistoryEntry[] {
  const last = history[history.length - 1];
  if (last && last.verdict === v.verdict && last.path === v.path && last.code === v.code) return [...history];
  return [
    ...history,
    { at: now.toISOString(), verdict: v.verdict, code: v.code, path: v.path, reason: v.reason },
  ];
}

/**
 * True once nothing can change the verdict any more: a final verdict and every expected source's
 * deadline (and the runner's) passed. Open probes are re-examined on each run; settled ones are not.
 */
export function isSettled(
  v: ProbeVerdict,
  expected: readonly ExpectedSource[],
  runnerDeadlineAt: Date,
  now: Date,
): boolean {
  if (v.verdict === 'pending') return false;
  if (now < runnerDeadlineAt && v.code !== 'BLOCKED' && v.code !== 'FETCH_FAILED') return false;
  return expected.every((x) => now >= x.deadline);
}
