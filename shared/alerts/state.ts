/**
 * The alert state machine. One alert per dedup key (target bucket, endpoint style, vantage, kind),
 * opened on a transition, reminded while it stays open, resolved on recovery. The state is a small
 * JSON document the caller stores with conditional writes; it changes only through
 * {@link recordSent}, after the channel accepted the alert, so a failed publish is retried on the
 * next run and never lost, and a repeated run over the same data sends nothing new.
 */
import type { VantageFacts } from '../evidence/correlate.js';
import type { AlertSeverity } from '../ports/index.js';
import { type Observation, type Probe, styleAndMethod } from '../probes/types.js';
import type { ProbeVerdict } from '../verdicts/engine.js';

export type AlertKind = 'left-path' | 'no-evidence' | 'runner-silent' | 'posture-drift';

/**
 * What an alert does this run: `new` opens it, `reminder` repeats it while open, `recovery`
 * resolves it with a message (a successful probe proved the path private again, drift gone),
 * `close` resolves a blind spot silently (superseded by a decided verdict: left-path raises its
 * own alert, blocked shows the runner and the request are back).
 */
export type AlertAction = 'new' | 'reminder' | 'recovery' | 'close';

/**
 * A posture change found by comparing environment snapshots (route to the endpoint removed, a
 * more specific route to NAT/IGW, endpoint deleted, private DNS changed, flow-log format lacking
 * fields). Produced by discovery; alerted here.
 */
export interface DriftItem {
  /** UPPER_SNAKE code, e.g. `ENDPOINT_ROUTE_REMOVED`. */
  code: string;
  severity: 'critical' | 'warning' | 'info';
  /** One line for a person: what changed. */
  message: string;
  /** The resource that changed, e.g. `rtb-0b2b2b2b2b2b2b2b2`. */
  resource: string;
  /** What to do about it, when known. */
  fix?: string;
}

export interface OpenAlert {
  kind: AlertKind;
  severity: AlertSeverity;
  openedAt: string;
  lastSentAt: string;
  /** Messages sent for this alert so far (the opening one and reminders). */
  sentCount: number;
  probeId: string | null;
  /** For drift: what changed, so the resolving message can say what was fixed. */
  detail?: string;
}

/** Alert state, stored between runs (with conditional writes). */
export interface AlertState {
  schemaVersion: 1;
  open: Record<string, OpenAlert>;
  /** Keys that sent a message in the latest run, so a repeated run never sends a key twice. */
  lastRun?: { runId: string; keys: string[] };
}

export const EMPTY_ALERT_STATE: AlertState = { schemaVersion: 1, open: {} };

/** One alert decided this run, with what rendering needs. */
export interface AlertIntent {
  dedupKey: string;
  kind: AlertKind;
  severity: AlertSeverity;
  reason: AlertAction;
  probe: Probe | null;
  verdict: ProbeVerdict | null;
  drift: DriftItem | null;
  /** The open alerts it resolves (`recovery`, `close`): its own key. */
  closes: string[];
  /** When the alert opened (reminders and recoveries). */
  openedAt: string | null;
  /** Messages already sent for it. */
  sentCount: number;
  observation?: Observation | null;
  facts?: VantageFacts | null;
  /**
   * For an alert that stands for a whole vantage (a silent runner, silent sources): how many probe
   * groups (target × style) share the condition; `probe` and `verdict` are the newest of them.
   */
  members?: number;
}

/** A probe's latest verdict with what rendering uses. */
export interface VerdictForAlerts {
  probe: Probe;
  verdict: ProbeVerdict;
  observation?: Observation | null;
  facts?: VantageFacts | null;
}

export interface PlanAlertOptions {
  /** The analyzer run; a key sends at most once per run id. */
  runId?: string;
}

const PROBE_KINDS = ['left-path', 'no-evidence', 'runner-silent'] as const;
type ProbeKind = (typeof PROBE_KINDS)[number];

/**
 * `bucket|style|vantage|kind`: one alert per target, style (with its method for uploads:
 * `regional put`, see `styleAndMethod`), vantage and kind. A GET's key is unchanged by uploads, so
 * alerts opened before them still match; a GET's recovery never closes an upload's alert.
 */
export function alertKey(
  probe: Pick<Probe, 'bucket' | 'style' | 'method' | 'vantage'>,
  kind: string,
): string {
  return `${probe.bucket}|${styleAndMethod(probe)}|${probe.vantage.id}|${kind}`;
}

/** `drift|code|resource`. */
export function driftKey(d: DriftItem): string {
  return `drift|${d.code}|${d.resource}`;
}

/** True only for a verdict that proves the path private now: `private` from a probe that read its object. */
export function isRecovery(v: ProbeVerdict): boolean {
  return v.verdict === 'private' && !v.failure;
}

/** Keys of alerts that stand for a whole vantage (a silent runner, silent sources), not one probe group. */
export const GROUP_PREFIX = '*|';

/**
 * The alert key of a condition: per target, style and vantage, except a silent runner (one per
 * vantage: `*|*|vpc-app|runner-silent`) and silent sources (one per vantage and set of sources:
 * `*|flow,s3-access|vpc-app|no-evidence`).
 */
function conditionKey(x: VerdictForAlerts, kind: ProbeKind): string {
  const vantage = x.probe.vantage.id;
  if (kind === 'runner-silent') return `${GROUP_PREFIX}*|${vantage}|runner-silent`;
  if (kind === 'no-evidence' && x.verdict.code === 'SOURCE_SILENT' && x.verdict.silentSources.length > 0) {
    const sources = [...x.verdict.silentSources].sort().join(',');
    return `${GROUP_PREFIX}${sources}|${vantage}|no-evidence`;
  }
  return alertKey(x.probe, kind);
}

/** Whether the probe group of `x` is one the alert `key` speaks for. */
function covers(key: string, x: VerdictForAlerts): boolean {
  const parts = key.split('|');
  if (key.startsWith(GROUP_PREFIX)) return parts[2] === x.probe.vantage.id;
  return key.startsWith(alertKey(x.probe, ''));
}

function kindOf(v: ProbeVerdict): ProbeKind | null {
  if (v.verdict === 'left-path') return 'left-path';
  if (v.verdict === 'no-evidence') return v.code === 'RUNNER_SILENT' ? 'runner-silent' : 'no-evidence';
  return null;
}

function newer(a: VerdictForAlerts, b: VerdictForAlerts): boolean {
  return (
    a.probe.createdAt > b.probe.createdAt ||
    (a.probe.createdAt === b.probe.createdAt && a.probe.probeId > b.probe.probeId)
  );
}

/**
 * Decides the alerts of one run. Per (target, style, vantage) the latest decided verdict (pending
 * ones are skipped: they change nothing) is the group's condition:
 * - `left-path` opens a critical alert; `no-evidence` and a silent runner open warnings;
 * - while the condition holds, a reminder once `reminderMinutes` passed since the last message;
 * - only `private` from a probe that did not fail resolves alerts: every open alert of the group,
 *   with an info message on the same key, so chat threads it with the alert;
 * - nothing else closes an open `left-path`: `blocked` (a refusal says the control works, not
 *   that the path is private), `no-evidence` (not knowing is not a recovery), a probe failure (an
 *   expired URL proves nothing) and `pending` (skipped) leave it open;
 * - `left-path` and `blocked` silently close an open `no-evidence`/runner-silent alert (the
 *   runner reported and the logs decided); `no-evidence` replaces a runner-silent alert and back.
 * Drift items open warnings (critical when the item is), remind, and resolve when they disappear
 * from `drift`; pass `null` when drift was not computed this run so drift alerts stay as they are.
 * A key that already sent a message in `opts.runId` sends nothing more in that run.
 *
 * @example
 * const intents = planAlerts(state, latest, null, now, cfg.alerts.reminderMinutes, { runId });
 */
export function planAlerts(
  state: AlertState,
  latest: readonly VerdictForAlerts[],
  drift: readonly DriftItem[] | null | undefined,
  now: Date,
  reminderMinutes: number,
  opts: PlanAlertOptions = {},
): AlertIntent[] {
  const out: AlertIntent[] = [];
  const sentThisRun = new Set(
    opts.runId !== undefined && state.lastRun?.runId === opts.runId ? state.lastRun.keys : [],
  );
  const due = (o: OpenAlert) => now.getTime() - Date.parse(o.lastSentAt) >= reminderMinutes * 60_000;
  const add = (i: AlertIntent) => {
    if (i.reason !== 'close' && sentThisRun.has(i.dedupKey)) return;
    out.push(i);
  };

  const groups = new Map<string, VerdictForAlerts>();
  for (const x of latest) {
    if (x.verdict.verdict === 'pending') continue;
    const g = alertKey(x.probe, '');
    const cur = groups.get(g);
    if (!cur || newer(x, cur)) groups.set(g, x);
  }
  const ordered = [...groups.keys()].sort().map((g) => groups.get(g)!);
  const contextOf = (x: VerdictForAlerts) => ({
    probe: x.probe,
    verdict: x.verdict,
    drift: null,
    observation: x.observation ?? null,
    facts: x.facts ?? null,
  });

  // The conditions that hold this run, one unit per alert key: a left-path per target, style and
  // vantage; a silent runner per vantage; silent sources per vantage and sources (not per bucket
  // and style: one cause, one alert); any other blind spot per target, style and vantage.
  const units = new Map<string, { kind: ProbeKind; members: VerdictForAlerts[] }>();
  for (const x of ordered) {
    const kind = kindOf(x.verdict);
    if (kind === null) continue;
    const key = conditionKey(x, kind);
    const u = units.get(key);
    if (u) u.members.push(x);
    else units.set(key, { kind, members: [x] });
  }
  for (const key of [...units.keys()].sort()) {
    const { kind, members } = units.get(key)!;
    const newest = members.reduce((a, b) => (newer(b, a) ? b : a));
    const open = state.open[key];
    const scope = key.startsWith(GROUP_PREFIX) ? { members: members.length } : {};
    if (!open) {
      add({
        dedupKey: key,
        kind,
        severity: kind === 'left-path' ? 'critical' : 'warning',
        reason: 'new',
        closes: [],
        openedAt: null,
        sentCount: 0,
        ...contextOf(newest),
        ...scope,
      });
    } else if (due(open)) {
      add({
        dedupKey: key,
        kind,
        severity: open.severity,
        reason: 'reminder',
        closes: [],
        openedAt: open.openedAt,
        sentCount: open.sentCount,
        ...contextOf(newest),
        ...scope,
      });
    }
  }

  // Open alerts whose condition no longer holds, judged by the verdicts of the probes they cover.
  for (const key of Object.keys(state.open).sort()) {
    const open = state.open[key]!;
    if (open.kind === 'posture-drift' || units.has(key)) continue;
    const k = open.kind as ProbeKind;
    const covering = ordered.filter((x) => covers(key, x));
    if (covering.length === 0) continue;
    const x = covering.reduce((a, b) => (newer(b, a) ? b : a));
    const kind = kindOf(x.verdict);
    const recovered = isRecovery(x.verdict);
    const superseded = (kind === 'left-path' || x.verdict.verdict === 'blocked') && k !== 'left-path';
    // A blind spot closes once any covered probe decided otherwise (the runner reported, the
    // sources spoke, or the blind spot is now counted under another key).
    const blindSpotChanged =
      k !== 'left-path' && (kind !== null || covering.some((c) => kindOf(c.verdict) !== k));
    if (recovered || superseded || blindSpotChanged) {
      add({
        dedupKey: key,
        kind: k,
        severity: 'info',
        reason: recovered ? 'recovery' : 'close',
        closes: [key],
        openedAt: open.openedAt,
        sentCount: open.sentCount,
        ...contextOf(x),
      });
    }
  }

  if (drift) for (const i of driftIntents(state, drift, due)) add(i);
  return out;
}

/** Drift alerts: new and due items of `drift`, and recoveries of the open ones it no longer has. */
function driftIntents(
  state: AlertState,
  drift: readonly DriftItem[],
  due: (o: OpenAlert) => boolean,
): AlertIntent[] {
  const out: AlertIntent[] = [];
  const present = new Set<string>();
  for (const d of [...drift].sort((a, b) => (driftKey(a) < driftKey(b) ? -1 : 1))) {
    const key = driftKey(d);
    if (present.has(key)) continue;
    present.add(key);
    const open = state.open[key];
    const context = { probe: null, verdict: null, drift: d, closes: [] };
    if (!open) {
      out.push({
        dedupKey: key,
        kind: 'posture-drift',
        severity: d.severity === 'critical' ? 'critical' : 'warning',
        reason: 'new',
        openedAt: null,
        sentCount: 0,
        ...context,
      });
    } else if (due(open)) {
      out.push({
        dedupKey: key,
        kind: 'posture-drift',
        severity: open.severity,
        reason: 'reminder',
        openedAt: open.openedAt,
        sentCount: open.sentCount,
        ...context,
      });
    }
  }
  for (const key of Object.keys(state.open).sort()) {
    const open = state.open[key]!;
    if (open.kind !== 'posture-drift' || present.has(key)) continue;
    const [, code = '', ...resource] = key.split('|');
    out.push({
      dedupKey: key,
      kind: 'posture-drift',
      severity: 'info',
      reason: 'recovery',
      probe: null,
      verdict: null,
      drift: {
        code,
        severity: 'info',
        message: `no longer found: ${open.detail ?? code}`,
        resource: resource.join('|'),
      },
      closes: [key],
      openedAt: open.openedAt,
      sentCount: open.sentCount,
    });
  }
  return out;
}

/**
 * The state after an intent took effect: for `new` and `reminder` after the channel accepted the
 * message, for `recovery` likewise, for `close` at once (nothing is sent). Pure; `runId` records
 * the key as sent in that run.
 *
 * @example
 * await sink.publish(renderAlert(intent, { now }));
 * state = recordSent(state, intent, now, runId);
 */
export function recordSent(state: AlertState, intent: AlertIntent, now: Date, runId?: string): AlertState {
  const open = { ...state.open };
  if (intent.reason === 'recovery' || intent.reason === 'close') {
    for (const k of intent.closes.length > 0 ? intent.closes : [intent.dedupKey]) delete open[k];
  } else {
    const prev = open[intent.dedupKey];
    open[intent.dedupKey] = {
      kind: intent.kind,
      severity: intent.severity,
      openedAt: prev?.openedAt ?? now.toISOString(),
      lastSentAt: now.toISOString(),
      sentCount: (prev?.sentCount ?? 0) + 1,
      probeId: intent.probe?.probeId ?? null,
      ...(intent.drift ? { detail: intent.drift.message } : {}),
    };
  }
  const next: AlertState = { schemaVersion: 1, open };
  let lastRun = state.lastRun;
  if (runId !== undefined && intent.reason !== 'close') {
    const keys = lastRun?.runId === runId ? lastRun.keys : [];
    lastRun = { runId, keys: keys.includes(intent.dedupKey) ? keys : [...keys, intent.dedupKey].sort() };
  }
  if (lastRun) next.lastRun = lastRun;
  return next;
}

/**
 * Reads a stored state document, tolerating a missing or foreign one (starts empty) so a bad
 * object in the store never stops alerting.
 */
export function readAlertState(doc: unknown): AlertState {
  if (!doc || typeof doc !== 'object') return { schemaVersion: 1, open: {} };
  const d = doc as Partial<AlertState>;
  if (d.schemaVersion !== 1 || !d.open || typeof d.open !== 'object') return { schemaVersion: 1, open: {} };
  const open: Record<string, OpenAlert> = {};
  for (const [k, v] of Object.entries(d.open)) {
    if (!v || typeof v !== 'object' || typeof v.lastSentAt !== 'string') continue;
    open[k] = { ...v, sentCount: typeof v.sentCount === 'number' ? v.sentCount : 1 };
  }
  const out: AlertState = { schemaVersion: 1, open };
  if (d.lastRun && typeof d.lastRun.runId === 'string' && Array.isArray(d.lastRun.keys)) {
    out.lastRun = { runId: d.lastRun.runId, keys: d.lastRun.keys.filter((k) => typeof k === 'string') };
  }
  return out;
}
