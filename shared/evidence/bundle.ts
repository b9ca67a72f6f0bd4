import { redactText } from '../endpoints/redact.js';
import type { Observation, Probe } from '../probes/types.js';
import type { ProbeVerdict } from '../verdicts/engine.js';

export const BUNDLE_SCHEMA_VERSION = 1;

/** One entry of a probe's verdict history: appended only when the verdict or path changes. */
export interface VerdictHistoryEntry {
  at: string;
  verdict: ProbeVerdict['verdict'];
  path: ProbeVerdict['path'];
  reason: string;
}

/**
 * Everything an auditor needs about one probe, as one JSON document: the config and environment
 * it was judged against (by digest, plus the facts used), the URL reading, what the runner saw,
 * the matched log records with the path each shows, and how the verdict moved. No secret: every
 * string is passed through redaction before it is stored.
 */
export interface EvidenceBundle {
  schemaVersion: typeof BUNDLE_SCHEMA_VERSION;
  probe: Probe;
  configDigest: string;
  environment: { digest: string; facts: Record<string, unknown> };
  observations: Observation[];
  verdict: ProbeVerdict;
  history: VerdictHistoryEntry[];
  generatedAt: string;
}

/** The history with the new verdict appended if it differs from the last entry (idempotent). */
export function appendHistory(
  history: readonly VerdictHistoryEntry[],
  v: ProbeVerdict,
  now: Date,
): VerdictHistoryEntry[] {
  const last = history[history.length - 1];
  if (last && last.verdict === v.verdict && last.path === v.path) return [...history];
  return [...history, { at: now.toISOString(), verdict: v.verdict, path: v.path, reason: v.reason }];
}

/** Deep copy with every string redacted (presigned-URL secrets can hide in any field). */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redactText(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v);
    return out as T;
  }
  return value;
}

export function buildBundle(
  input: Omit<EvidenceBundle, 'schemaVersion' | 'generatedAt'>,
  now: Date,
): EvidenceBundle {
  return redactDeep({ schemaVersion: BUNDLE_SCHEMA_VERSION, ...input, generatedAt: now.toISOString() });
}

/** Store key of a probe's bundle: `evidence/YYYY/MM/DD/<probeId>.json` by probe creation date. */
export function bundleKey(probe: Probe): string {
  const d = probe.createdAt;
  return `evidence/${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/${probe.probeId}.json`;
}
