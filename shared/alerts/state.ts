import type { AlertSeverity } from '../ports/index.js';
import type { Probe } from '../probes/types.js';
import type { ProbeVerdict } from '../verdicts/engine.js';

export type AlertKind = 'left-path' | 'no-evidence' | 'runner-silent' | 'posture-drift' | 'recovered';

/** A posture change found by comparing environment snapshots. */
export interface DriftItem {
  code: string;
  severity: 'critical' | 'warning' | 'info';
  message: string;
  resource: string;
}

export interface OpenAlert {
  kind: Exclude<AlertKind, 'recovered'>;
  severity: AlertSeverity;
  openedAt: string;
  lastSentAt: string;
  probeId: string | null;
}

/** Alert state, stored between runs (with conditional writes). */
export interface AlertState {
  schemaVersion: 1;
  open: Record<string, OpenAlert>;
}

export const EMPTY_ALERT_STATE: AlertState = { schemaVersion: 1, open: {} };

/** One alert to send this run. */
export interface AlertIntent {
  dedupKey: string;
  kind: AlertKind;
  severity: AlertSeverity;
  /** `new`, `reminder` or `recovery`. */
  reason: 'new' | 'reminder' | 'recovery';
  probe: Probe | null;
  verdict: ProbeVerdict | null;
  drift: DriftItem | null;
  /** For recovery: the open alerts it closes. */
  closes: string[];
}

/** `bucket|style|vantage|kind`: one alert per target, style, vantage and kind. */
export function alertKey(probe: Probe, kind: string): string {
  return `${probe.bucket}|${probe.style}|${probe.vantage.id}|${kind}`;
}

function kindOf(v: ProbeVerdict): Exclude<AlertKind, 'recovered' | 'posture-drift'> | null {
  if (v.verdict === 'left-path') return 'left-path';
  if (v.verdict === 'no-evidence')
    return v.reason.startsWith('RUNNER_SILENT') ? 'runner-silent' : 'no-evidence';
  return null;
}

const PROBE_KINDS = ['left-path', 'no-evidence', 'runner-silent'] as const;

/**
 * Decides the alerts of one run from the latest verdict per (target, style, vantage): a new
 * alert on a transition into left-path (critical), no-evidence or runner-silent (warning); a
 * reminder while one stays open past the reminder interval; a recovery (info) when the group is
 * private again. Drift items alert the same way. Never more than one alert per key per run. The
 * state changes only through `recordSent`, after the sink accepted the alert.
 */
export function planAlerts(
  state: AlertState,
  latest: readonly { probe: Probe; verdict: ProbeVerdict }[],
  drift: readonly DriftItem[],
  now: Date,
  reminderMinutes: number,
): AlertIntent[] {
  const out = new Map<string, AlertIntent>();
  const due = (o: OpenAlert) => now.getTime() - Date.parse(o.lastSentAt) >= reminderMinutes * 60_000;
  // Latest verdict per group wins (by probe creation time, then id).
  const groups = new Map<string, { probe: Probe; verdict: ProbeVerdict }>();
  for (const x of latest) {
    const g = `${x.probe.bucket}|${x.probe.style}|${x.probe.vantage.id}`;
    const cur = groups.get(g);
    if (
      !cur ||
      x.probe.createdAt > cur.probe.createdAt ||
      (x.probe.createdAt === cur.probe.createdAt && x.probe.probeId > cur.probe.probeId)
    ) {
      groups.set(g, x);
    }
  }
  for (const { probe, verdict } of [...groups.values()].sort((a, b) =>
    a.probe.probeId < b.probe.probeId ? -1 : 1,
  )) {
    const kind = kindOf(verdict);
    if (kind) {
      const key = alertKey(probe, kind);
      const open = state.open[key];
      if (!open)
        out.set(key, {
          dedupKey: key,
          kind,
          severity: kind === 'left-path' ? 'critical' : 'warning',
          reason: 'new',
          probe,
          verdict,
          drift: null,
          closes: [],
        });
      else if (due(open))
        out.set(key, {
          dedupKey: key,
          kind,
          severity: open.severity,
          reason: 'reminder',
          probe,
          verdict,
          drift: null,
          closes: [],
        });
    } else if (verdict.verdict === 'private') {
      const closes = PROBE_KINDS.map((k) => alertKey(probe, k)).filter((key) => state.open[key]);
      if (closes.length > 0) {
        const rkey = alertKey(probe, 'recovered');
        out.set(rkey, {
          dedupKey: rkey,
          kind: 'recovered',
          severity: 'info',
          reason: 'recovery',
          probe,
          verdict,
          drift: null,
          closes,
        });
      }
    }
  }
  for (const d of drift) {
    const key = `drift|${d.code}|${d.resource}`;
    const open = state.open[key];
    const severity: AlertSeverity = d.severity === 'critical' ? 'critical' : 'warning';
    if (!open)
      out.set(key, {
        dedupKey: key,
        kind: 'posture-drift',
        severity,
        reason: 'new',
        probe: null,
        verdict: null,
        drift: d,
        closes: [],
      });
    else if (due(open))
      out.set(key, {
        dedupKey: key,
        kind: 'posture-drift',
        severity,
        reason: 'reminder',
        probe: null,
        verdict: null,
        drift: d,
        closes: [],
      });
  }
  return [...out.values()];
}

/** The state after an alert was accepted by the sink. */
export function recordSent(state: AlertState, intent: AlertIntent, now: Date): AlertState {
  const open = { ...state.open };
  if (intent.kind === 'recovered') {
    for (const k of intent.closes) delete open[k];
  } else {
    const prev = open[intent.dedupKey];
    open[intent.dedupKey] = {
      kind: intent.kind,
      severity: intent.severity,
      openedAt: prev?.openedAt ?? now.toISOString(),
      lastSentAt: now.toISOString(),
      probeId: intent.probe?.probeId ?? null,
    };
  }
  return { schemaVersion: 1, open };
}
