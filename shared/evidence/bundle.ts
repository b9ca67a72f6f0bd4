/**
 * The evidence bundle: everything an auditor needs about one probe as one versioned JSON document
 * in the results bucket. It names the config and environment the probe was judged against (by
 * digest, plus the facts actually used: route table, endpoint ids, addresses), the URL's reading,
 * what the runner saw, every matched log record with its source and the path it shows, and how the
 * verdict moved over time. Nothing in it is a secret: every string passes through redaction.
 */
import type { PathGuardConfig } from '../config/index.js';
import type { Environment } from '../env/types.js';
import type { Observation, Probe } from '../probes/types.js';
import {
  appendHistory,
  type ProbeVerdict,
  type VerdictCode,
  type VerdictHistoryEntry,
} from '../verdicts/engine.js';
import { canonicalJson } from './canonical.js';
import type { VantageFacts } from './correlate.js';
import { redactDeep } from './redact-deep.js';
import type { EvidenceItem } from './types.js';

export { appendHistory, redactDeep, type VerdictHistoryEntry };

/** Version of the bundle layout; readers reject other versions instead of guessing. */
export const BUNDLE_SCHEMA_VERSION = 1;

/** The verdict as the bundle keeps it: the deciding record by reference, the records once, at top level. */
export interface BundleVerdict {
  verdict: ProbeVerdict['verdict'];
  code: VerdictCode;
  path: ProbeVerdict['path'];
  reason: string;
  /** `dedupKey` of the deciding record in `evidence`, or null. */
  decidingKey: string | null;
  silentSources: ProbeVerdict['silentSources'];
  undecidedSources: ProbeVerdict['undecidedSources'];
  awaiting: ProbeVerdict['awaiting'];
  early: ProbeVerdict['early'];
  /** Why the probe failed (a 403 that names no network control, a fetch error), when it did. */
  failure?: ProbeVerdict['failure'];
  /** What is wrong with the runner's report (e.g. `RUNNER_CLOCK_SKEW`). */
  findings?: ProbeVerdict['findings'];
}

export interface EvidenceBundle {
  schemaVersion: typeof BUNDLE_SCHEMA_VERSION;
  /** The probe as planned, with the redacted URL and its inspect-url reading. */
  probe: Probe;
  /** SHA-256 (hex) of the canonical JSON of the validated config. */
  configDigest: string;
  environment: {
    /** SHA-256 (hex) of the canonical JSON of the environment snapshot. */
    digest: string;
    region: string;
    /** The facts of the probe's vantage the verdict used. */
    facts: VantageFacts;
    /**
     * The environment the probe's records were judged against: when that reading of the route
     * tables was observed (null: this run's, no earlier one known) and, when route-derived
     * records could not decide, why (the tables changed between request and analysis, or no
     * snapshot shows them).
     */
    atRequest?: { observedAt: string | null; change: string | null };
  };
  observations: Observation[];
  /**
   * The matched log records with their source, how they matched and the path they show: all of
   * them up to {@link MAX_BUNDLE_EVIDENCE}, else the kept ones ({@link capEvidence}).
   */
  evidence: EvidenceItem[];
  /** Matched records left out of `evidence` by the cap, counted by source; absent when none were. */
  evidenceOmitted?: EvidenceOmitted;
  verdict: BundleVerdict;
  /** Verdict changes, oldest first; appended only on change. */
  history: VerdictHistoryEntry[];
  /** No further evidence can change the verdict (every deadline passed). */
  settled: boolean;
  /** When the content last changed. */
  updatedAt: string;
}

/** What the cap left out of a bundle. */
export interface EvidenceOmitted {
  count: number;
  bySource: Partial<Record<EvidenceItem['source'], number>>;
}

/**
 * Records one bundle keeps. A probe's own request leaves a handful (the capacity benchmark's
 * bundles hold 2 to 7), but a runner ENI shared with busy traffic to the same S3 address can
 * match every flow of the fetch window: without a bound, one bundle (rewritten each run until it
 * settles) grows with someone else's traffic. At about 1.7 KB a record, 50 keep a bundle under
 * about 100 KB.
 */
export const MAX_BUNDLE_EVIDENCE = 50;

/**
 * The records a bundle keeps when there are more than `max`: the deciding record, then the first
 * of each kind the verdict weighs (source, private or not, path, rule), then the strongest of the
 * rest in the verdict engine's order (`evidence` arrives normalised: request id before key and
 * time before flow window). So every kind of record that could decide a later run stays; the rest
 * is counted, never dropped silently.
 *
 * @example capEvidence(v.evidence, v.deciding?.dedupKey ?? null) // { kept, omitted: null } when few
 */
export function capEvidence(
  evidence: readonly EvidenceItem[],
  decidingKey: string | null,
  max = MAX_BUNDLE_EVIDENCE,
): { kept: EvidenceItem[]; omitted: EvidenceOmitted | null } {
  if (evidence.length <= max) return { kept: [...evidence], omitted: null };
  const keep = new Set<EvidenceItem>();
  const deciding = evidence.find((e) => e.dedupKey === decidingKey);
  if (deciding) keep.add(deciding);
  const kinds = new Set<string>();
  for (const e of evidence) {
    const kind = `${e.source}\u0000${String(e.decision?.private)}\u0000${e.decision?.path}\u0000${e.decision?.rule}`;
    if (kinds.has(kind)) continue;
    kinds.add(kind);
    if (keep.size < max) keep.add(e);
  }
  for (const e of evidence) {
    if (keep.size >= max) break;
    keep.add(e);
  }
  const omitted: EvidenceOmitted = { count: 0, bySource: {} };
  for (const e of evidence) {
    if (keep.has(e)) continue;
    omitted.count++;
    omitted.bySource[e.source] = (omitted.bySource[e.source] ?? 0) + 1;
  }
  return { kept: evidence.filter((e) => keep.has(e)), omitted };
}

/** Hex SHA-256 of a text (node:crypto in functions/, kept out of the pure domain). */
export type Sha256Text = (text: string) => string;

/** Digest of a JSON value that is the same whatever its key order. */
export function jsonDigest(value: unknown, sha256: Sha256Text): string {
  return sha256(canonicalJson(value));
}

/** Digest of the config (the settings a verdict depends on). */
export function configDigest(cfg: PathGuardConfig, sha256: Sha256Text): string {
  return jsonDigest(cfg, sha256);
}

/** Digest of an environment snapshot. */
export function environmentDigest(env: Environment, sha256: Sha256Text): string {
  return jsonDigest(env, sha256);
}

export interface BundleInput {
  probe: Probe;
  observations: readonly Observation[];
  verdict: ProbeVerdict;
  history: readonly VerdictHistoryEntry[];
  configDigest: string;
  environmentDigest: string;
  facts: VantageFacts;
  settled: boolean;
  /** See {@link EvidenceBundle.environment.atRequest}. */
  routes?: { observedAt: string | null; change: string | null };
}

/**
 * Builds a probe's bundle, redacted. `now` becomes `updatedAt`; compare bundles with
 * {@link sameBundleContent} to write only when something changed.
 *
 * @example
 * const b = buildBundle({ probe, observations: [obs], verdict, history, configDigest, environmentDigest, facts, settled: false }, now);
 * await store.putJson(bundleKey(probe), b);
 */
export function buildBundle(input: BundleInput, now: Date): EvidenceBundle {
  const v = input.verdict;
  const decidingKey = v.deciding?.dedupKey ?? null;
  const { kept, omitted } = capEvidence(v.evidence, decidingKey);
  return redactDeep({
    schemaVersion: BUNDLE_SCHEMA_VERSION,
    probe: input.probe,
    configDigest: input.configDigest,
    environment: {
      digest: input.environmentDigest,
      region: input.facts.environmentRegion,
      facts: input.facts,
      ...(input.routes ? { atRequest: input.routes } : {}),
    },
    observations: [...input.observations],
    evidence: kept,
    ...(omitted ? { evidenceOmitted: omitted } : {}),
    verdict: {
      verdict: v.verdict,
      code: v.code,
      path: v.path,
      reason: v.reason,
      decidingKey,
      silentSources: v.silentSources,
      undecidedSources: v.undecidedSources,
      awaiting: v.awaiting,
      early: v.early,
      ...(v.failure ? { failure: v.failure } : {}),
      ...(v.findings && v.findings.length > 0 ? { findings: v.findings } : {}),
    },
    history: [...input.history],
    settled: input.settled,
    updatedAt: now.toISOString(),
  });
}

/** True when two bundles say the same thing (only `updatedAt` may differ). */
export function sameBundleContent(a: EvidenceBundle | null, b: EvidenceBundle): boolean {
  if (!a) return false;
  const { updatedAt: _a, ...ra } = a;
  const { updatedAt: _b, ...rb } = b;
  return canonicalJson(ra) === canonicalJson(rb);
}

/**
 * A stored bundle, or null when the document is missing, of another schema version or not a
 * bundle (a foreign object must never crash the analyzer or be mistaken for evidence).
 */
export function readBundle(doc: unknown): EvidenceBundle | null {
  if (!doc || typeof doc !== 'object') return null;
  const b = doc as Partial<EvidenceBundle>;
  if (b.schemaVersion !== BUNDLE_SCHEMA_VERSION) return null;
  if (!b.probe || !Array.isArray(b.evidence) || !Array.isArray(b.history) || !b.verdict) return null;
  return b as EvidenceBundle;
}

/** Store key of a probe's bundle: `evidence/YYYY/MM/DD/<probeId>.json` by probe creation date. */
export function bundleKey(probe: Pick<Probe, 'createdAt' | 'probeId'>): string {
  const d = probe.createdAt;
  return `evidence/${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/${probe.probeId}.json`;
}
