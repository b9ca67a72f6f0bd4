/**
 * The analyzer use case wired through ports: what the analyze Lambda, the lab and
 * `pathguard analyze` all call. It reads each evidence source narrowly (flow logs by the runners'
 * addresses and the fetch windows, access logs from a checkpoint, CloudTrail by probe keys),
 * decides every probe's verdict, writes the evidence bundles that changed, publishes the alerts
 * and records each as sent only after the sink accepted it, then stores the alert state and the
 * access-log checkpoint with conditional writes.
 *
 * Failure isolation: one failing source, bundle write or publish never stops the others; it is
 * reported in the result. At-least-once: the access-log checkpoint advances only when every
 * bundle was stored, so records are never lost (a record read twice counts once).
 */
import { type ReportLocation, renderAlert } from '../alerts/render.js';
import {
  type AlertIntent,
  type AlertState,
  type DriftItem,
  planAlerts,
  readAlertState,
  recordSent,
} from '../alerts/state.js';
import type { PathGuardConfig } from '../config/index.js';
import type { Environment } from '../env/types.js';
import {
  buildBundle,
  bundleKey,
  configDigest,
  type EvidenceBundle,
  environmentDigest,
  readBundle,
  type Sha256Text,
  sameBundleContent,
} from '../evidence/bundle.js';
import { canonicalJson } from '../evidence/canonical.js';
import { EvidenceCorrelator } from '../evidence/correlate.js';
import { mergeFlowQueries } from '../evidence/flow-queries.js';
import type { Classifiers, EvidenceItem } from '../evidence/types.js';
import type {
  AccessLogSource,
  AlertSink,
  Clock,
  CloudTrailSource,
  FlowLogSource,
  ObjectStore,
  ProbeObjectRemover,
  RenderedAlert,
} from '../ports/index.js';
import { WriteConflictError } from '../ports/index.js';
import type { EarlyFacts } from '../probes/early-verdict.js';
import { methodOf, type Observation, type Probe } from '../probes/types.js';
import { RealTrafficAudit, type RealTrafficReport } from '../reports/real-traffic.js';
import type { VerdictHistoryEntry } from '../verdicts/engine.js';
import { correlationTargets, evaluateProbes, type ProbeResult } from './analyze.js';
import { type EnvironmentSnapshot, readSnapshot, SNAPSHOT_PREFIX } from './request-environment.js';

/** Store key of the alert state document. */
export const ALERT_STATE_KEY = 'state/alerts.json';
/** Store key of the access-log checkpoint document. */
export const ACCESS_CHECKPOINT_KEY = 'state/access-log-checkpoint.json';

export interface AnalyzerDeps {
  store: ObjectStore;
  sink: AlertSink;
  clock: Clock;
  /** Hex SHA-256 of a text (config and environment digests). */
  sha256: Sha256Text;
  /** Classifiers bound to `env` (shared/classify over an EnvironmentIndex). */
  classify: Classifiers;
  /** Early-verdict facts of `env`. */
  earlyFacts: EarlyFacts;
  flowSource?: FlowLogSource | null;
  accessLogSource?: AccessLogSource | null;
  cloudTrailSource?: CloudTrailSource | null;
  /**
   * Deletes the objects upload probes (`put`, `post`) created once their verdict is settled; the
   * probe buckets' lifecycle rule expires whatever is left. Absent: nothing is deleted.
   */
  probeObjects?: ProbeObjectRemover | null;
}

export interface AnalyzerRunInput {
  cfg: PathGuardConfig;
  env: Environment;
  /** The open probes to (re-)examine. */
  probes: readonly Probe[];
  observations: readonly Observation[] | ReadonlyMap<string, Observation>;
  /** Posture drift found this run; null/absent when not computed. */
  drift?: readonly DriftItem[] | null;
  /** The analyzer run id; a key alerts at most once per run id. @default `analyze-<now, to the minute>` */
  runId?: string;
  /** Time to read access logs from when there is no checkpoint yet. @default the earliest probe minus one hour */
  accessSince?: Date;
  /** The day's evidence report, named in every alert (the analyze function writes it there). */
  report?: ReportLocation;
}

export interface SourceError {
  source:
    | 'flow'
    | 's3-access'
    | 'cloudtrail'
    | 'store'
    | 'state'
    | 'checkpoint'
    | 'environment'
    /** Deleting an upload probe's object. */
    | 'cleanup';
  message: string;
}

export interface AnalyzerRunResult {
  runId: string;
  now: string;
  results: ProbeResult[];
  /** Bundles written this run (content changed). */
  bundlesWritten: string[];
  /** `bucket/key` of the upload probes' objects deleted this run (their verdicts settled). */
  uploadsDeleted: string[];
  alerts: {
    sent: { alert: RenderedAlert; messageId: string }[];
    failed: { alert: RenderedAlert; error: string }[];
    /** Alerts closed without a message (a blind spot superseded by a decided verdict). */
    closed: string[];
  };
  alertState: AlertState;
  realTraffic: RealTrafficReport;
  /** The posture drift this run was given (what the evidence report lists). */
  drift: readonly DriftItem[];
  /** Where the real-traffic report was stored, when there was traffic to report. */
  realTrafficKey: string | null;
  /** Records read per source, and how many matched a probe. */
  records: { flow: number; access: number; cloudtrail: number; matched: number };
  accessCheckpoint: string | null;
  errors: SourceError[];
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Runs the analyzer once.
 *
 * @example
 * const r = await runAnalyzer({ cfg, env, probes, observations }, { store, sink, clock, sha256, classify, earlyFacts, flowSource, accessLogSource });
 * r.results.map((x) => x.verdict.verdict); // ['private', 'left-path', ...]
 */
export async function runAnalyzer(input: AnalyzerRunInput, deps: AnalyzerDeps): Promise<AnalyzerRunResult> {
  const { cfg, env } = input;
  const { store } = deps;
  const now = deps.clock();
  const runId = input.runId ?? `analyze-${now.toISOString().slice(0, 16)}`;
  const errors: SourceError[] = [];
  const observations =
    input.observations instanceof Map
      ? (input.observations as ReadonlyMap<string, Observation>)
      : new Map((input.observations as readonly Observation[]).map((o) => [o.probeId, o]));

  const previous = await readPreviousBundles(store, input.probes, errors);
  const snapshots = await loadSnapshots(store, input.probes, errors);
  const targets = correlationTargets(env, input.probes, observations);
  const correlator = new EvidenceCorrelator(targets);
  const records = { flow: 0, access: 0, cloudtrail: 0, matched: 0 };
  const audit = new RealTrafficAudit({
    monitoredBuckets: cfg.monitoredBuckets,
    classify: (r) => deps.classify.access(r),
    excludeKeyPrefixes: [`${cfg.probePrefix}/probes/`],
  });
  const reading: EvidenceReading = { correlator, records, errors };

  await readFlowLogs(deps, cfg, reading);
  const access = await readAccessLogs(deps, input, now, audit, reading);
  await readCloudTrail(deps, cfg, reading);

  const histories = new Map<string, readonly VerdictHistoryEntry[]>();
  const previousEvidence = new Map<string, readonly EvidenceItem[]>();
  for (const [id, b] of previous) {
    histories.set(id, b.history);
    previousEvidence.set(id, b.evidence);
  }
  const envDigest = environmentDigest(env, deps.sha256);
  const results = evaluateProbes({
    cfg,
    env,
    classify: deps.classify,
    facts: deps.earlyFacts,
    probes: targets.map((t) => t.probe),
    observations,
    correlator,
    now,
    histories,
    previousEvidence,
    timeline: { snapshots, current: env, currentDigest: envDigest },
  });

  const digests = { configDigest: configDigest(cfg, deps.sha256), environmentDigest: envDigest };
  const bundles = await writeBundles(store, results, previous, digests, now, errors);
  const uploadsDeleted = await deleteSettledUploads(results, cfg, deps.probeObjects ?? null, errors);
  const alerts = await publishAlerts(input, deps, results, now, runId, errors);
  if (access.advanced && bundles.allStored && access.checkpoint !== null) {
    await storeCheckpoint(store, access.checkpoint, access.doc, now, errors);
  }
  const realTraffic = audit.report();
  const realTrafficKey = await storeRealTraffic(store, realTraffic, now, runId, errors);

  return {
    runId,
    now: now.toISOString(),
    results,
    bundlesWritten: bundles.written,
    uploadsDeleted,
    alerts: { sent: alerts.sent, failed: alerts.failed, closed: alerts.closed },
    alertState: alerts.state,
    realTraffic,
    drift: input.drift ?? [],
    realTrafficKey,
    records,
    accessCheckpoint: access.checkpoint,
    errors,
  };
}

/** What reading an evidence source feeds: the correlator, the record counts, the errors. */
interface EvidenceReading {
  readonly correlator: EvidenceCorrelator;
  readonly records: AnalyzerRunResult['records'];
  readonly errors: SourceError[];
}

/**
 * Earlier runs' bundles: histories and the evidence they matched (the access logs they read are
 * behind the checkpoint now, so their matches live only in the bundles).
 */
async function readPreviousBundles(
  store: ObjectStore,
  probes: readonly Probe[],
  errors: SourceError[],
): Promise<Map<string, EvidenceBundle>> {
  const previous = new Map<string, EvidenceBundle>();
  for (const p of probes) {
    try {
      const got = await store.getJson<unknown>(bundleKey(p));
      const b = got ? readBundle(got.value) : null;
      if (b) previous.set(p.probeId, b);
    } catch (e) {
      errors.push({ source: 'store', message: `reading ${bundleKey(p)}: ${message(e)}` });
    }
  }
  return previous;
}

/** Flow records by the correlator's queries (runner addresses and fetch windows); each query fails alone. */
async function readFlowLogs(
  deps: AnalyzerDeps,
  cfg: PathGuardConfig,
  reading: EvidenceReading,
): Promise<void> {
  const src = deps.flowSource;
  if (!src || !cfg.evidence.flowLogs.enabled) return;
  const { correlator, records, errors } = reading;
  const queries = correlator.flowQueries();
  const merged = src.readsWholeWindow ? mergeFlowQueries(queries) : null;
  for (const q of merged ? [merged] : queries) {
    try {
      for await (const batch of src.findFlows(q)) {
        if (!Array.isArray(batch)) {
          records.flow += batch.passedOver;
          continue;
        }
        for (const r of batch) {
          records.flow++;
          if (correlator.addFlow(r, src.name).length > 0) records.matched++;
        }
      }
    } catch (e) {
      errors.push({ source: 'flow', message: message(e) });
    }
  }
}

/** Where the access-log read stopped, and the checkpoint document it started from. */
interface AccessLogProgress {
  doc: { value: { checkpoint: string | null }; etag: string } | null;
  checkpoint: string | null;
  /** Whether any batch moved the checkpoint. */
  advanced: boolean;
}

/** Access logs from the stored checkpoint (else from before the earliest probe), into the correlator and the audit. */
async function readAccessLogs(
  deps: AnalyzerDeps,
  input: AnalyzerRunInput,
  now: Date,
  audit: RealTrafficAudit,
  { correlator, records, errors }: EvidenceReading,
): Promise<AccessLogProgress> {
  const progress: AccessLogProgress = { doc: null, checkpoint: null, advanced: false };
  const src = deps.accessLogSource;
  if (!src || !input.cfg.evidence.accessLogs.enabled) return progress;
  try {
    progress.doc = await deps.store.getJson<{ checkpoint: string | null }>(ACCESS_CHECKPOINT_KEY);
    progress.checkpoint = progress.doc?.value?.checkpoint ?? null;
    const earliest = Math.min(
      ...input.probes.map((p) => Date.parse(p.createdAt)).filter((t) => !Number.isNaN(t)),
    );
    const since =
      input.accessSince ??
      new Date(Number.isFinite(earliest) ? earliest - 3_600_000 : now.getTime() - 86_400_000);
    for await (const batch of src.readSince(progress.checkpoint, since)) {
      for (const r of batch.records) {
        records.access++;
        if (correlator.addAccessLog(r, batch.origin).length > 0) records.matched++;
        audit.add(r);
      }
      for (const g of batch.aggregates ?? []) audit.addGroup(g);
      progress.checkpoint = batch.checkpoint;
      progress.advanced = true;
    }
  } catch (e) {
    errors.push({ source: 's3-access', message: message(e) });
  }
  return progress;
}

/** CloudTrail events by the correlator's queries (probe keys); each query fails alone. */
async function readCloudTrail(
  deps: AnalyzerDeps,
  cfg: PathGuardConfig,
  reading: EvidenceReading,
): Promise<void> {
  const src = deps.cloudTrailSource;
  if (!src || !cfg.evidence.cloudTrail.enabled) return;
  const { correlator, records, errors } = reading;
  for (const q of correlator.cloudTrailQueries()) {
    try {
      for await (const batch of src.findEvents(q)) {
        for (const r of batch) {
          records.cloudtrail++;
          if (correlator.addCloudTrail(r, src.name).length > 0) records.matched++;
        }
      }
    } catch (e) {
      errors.push({ source: 'cloudtrail', message: message(e) });
    }
  }
}

/** Writes the bundles whose content changed; `allStored` is false when any write failed. */
async function writeBundles(
  store: ObjectStore,
  results: readonly ProbeResult[],
  previous: ReadonlyMap<string, EvidenceBundle>,
  digests: { configDigest: string; environmentDigest: string },
  now: Date,
  errors: SourceError[],
): Promise<{ written: string[]; allStored: boolean }> {
  const written: string[] = [];
  let allStored = true;
  for (const r of results) {
    const key = bundleKey(r.probe);
    const prev = previous.get(r.probe.probeId) ?? null;
    const bundle = buildBundle(
      {
        probe: r.probe,
        observations: r.observation ? [r.observation] : [],
        verdict: r.verdict,
        history: r.history,
        ...digests,
        facts: r.facts,
        settled: r.settled,
        routes: r.routes,
      },
      now,
    );
    if (sameBundleContent(prev, bundle)) continue;
    try {
      await store.putJson(key, bundle);
      written.push(key);
    } catch (e) {
      allStored = false;
      errors.push({ source: 'store', message: `writing ${key}: ${message(e)}` });
    }
  }
  return { written, allStored };
}

/** Alerts: decided from the stored state, published, each recorded only once the sink accepted it. */
async function publishAlerts(
  input: AnalyzerRunInput,
  deps: AnalyzerDeps,
  results: readonly ProbeResult[],
  now: Date,
  runId: string,
  errors: SourceError[],
): Promise<AnalyzerRunResult['alerts'] & { state: AlertState }> {
  const { store } = deps;
  let stored: { value: unknown; etag: string } | null = null;
  try {
    stored = await store.getJson<unknown>(ALERT_STATE_KEY);
  } catch (e) {
    errors.push({ source: 'state', message: `reading ${ALERT_STATE_KEY}: ${message(e)}` });
  }
  const initial = readAlertState(stored?.value);
  let state = initial;
  const applied: AlertIntent[] = [];
  const sent: AnalyzerRunResult['alerts']['sent'] = [];
  const failed: AnalyzerRunResult['alerts']['failed'] = [];
  const closed: string[] = [];
  const reminder = input.cfg.alerts.reminderMinutes;
  const intents = planAlerts(state, results, input.drift ?? null, now, reminder, { runId });
  const byProbe = new Map(results.map((r) => [r.probe.probeId, r]));
  for (const intent of intents) {
    if (intent.reason === 'close') {
      state = recordSent(state, intent, now, runId);
      applied.push(intent);
      closed.push(intent.dedupKey);
      continue;
    }
    const r = intent.probe ? byProbe.get(intent.probe.probeId) : undefined;
    const alert = renderAlert(
      { ...intent, observation: r?.observation ?? null, facts: r?.facts ?? null },
      {
        now,
        ...(intent.probe ? { bundleKey: bundleKey(intent.probe) } : {}),
        ...(input.report ? { report: input.report } : {}),
      },
    );
    try {
      const { messageId } = await deps.sink.publish(alert);
      state = recordSent(state, intent, now, runId);
      applied.push(intent);
      sent.push({ alert, messageId });
    } catch (e) {
      failed.push({ alert, error: message(e) });
    }
  }
  if (applied.length > 0) {
    state = await writeState(store, stored, initial, state, applied, now, runId, errors);
  }
  return { sent, failed, closed, state };
}

/** Advances the access-log checkpoint with a conditional write on the document it was read from. */
async function storeCheckpoint(
  store: ObjectStore,
  checkpoint: string,
  doc: AccessLogProgress['doc'],
  now: Date,
  errors: SourceError[],
): Promise<void> {
  try {
    await store.putJson(
      ACCESS_CHECKPOINT_KEY,
      { checkpoint, updatedAt: now.toISOString() },
      doc ? { ifMatch: doc.etag } : { ifNoneMatch: '*' },
    );
  } catch (e) {
    errors.push({ source: 'checkpoint', message: message(e) });
  }
}

/** Stores the real-traffic report when presigned requests were seen; its key, or null. */
async function storeRealTraffic(
  store: ObjectStore,
  realTraffic: RealTrafficReport,
  now: Date,
  runId: string,
  errors: SourceError[],
): Promise<string | null> {
  if (realTraffic.presignedRequests <= 0) return null;
  const d = now.toISOString();
  const key = `reports/real-traffic/${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/${runId}.json`;
  try {
    await store.putJson(key, { schemaVersion: 1, runId, generatedAt: d, ...realTraffic });
    return key;
  } catch (e) {
    errors.push({ source: 'store', message: `writing the real-traffic report: ${message(e)}` });
    return null;
  }
}

/**
 * The dated environment snapshots a run's probes need: the latest one captured at or before the
 * earliest probe was planned, and every later one. Keys sort by capture time
 * (`environment/snapshots/<ISO time>-<digest>.json`), so only those are read. A snapshot that
 * cannot be read is reported and left out: its probes then lack proof of their tables, which
 * makes route-derived records decide less, never more.
 */
async function loadSnapshots(
  store: ObjectStore,
  probes: readonly Probe[],
  errors: SourceError[],
): Promise<EnvironmentSnapshot[]> {
  const created = probes.map((p) => p.createdAt).filter((t) => !Number.isNaN(Date.parse(t)));
  if (created.length === 0) return [];
  const earliest = new Date(Math.min(...created.map((t) => Date.parse(t)))).toISOString();
  const keys: string[] = [];
  try {
    for await (const key of store.list(SNAPSHOT_PREFIX)) keys.push(key);
  } catch (e) {
    errors.push({ source: 'environment', message: `listing ${SNAPSHOT_PREFIX}: ${message(e)}` });
    return [];
  }
  keys.sort();
  const timeOf = (k: string) => k.slice(SNAPSHOT_PREFIX.length, SNAPSHOT_PREFIX.length + 24);
  let first = 0;
  for (let i = 0; i < keys.length; i++) if (timeOf(keys[i]!) <= earliest) first = i;
  const out: EnvironmentSnapshot[] = [];
  for (const key of keys.slice(first)) {
    try {
      const s = readSnapshot((await store.getJson<unknown>(key))?.value);
      if (s) out.push(s);
      else errors.push({ source: 'environment', message: `${key}: not an environment snapshot` });
    } catch (e) {
      errors.push({ source: 'environment', message: `reading ${key}: ${message(e)}` });
    }
  }
  return out;
}

/**
 * Stores the alert state with a conditional write. When another run changed it meanwhile, the
 * intents applied here are replayed on the fresher state (they are facts: "this was sent") and
 * the write retried, so neither run's record is lost.
 */
async function writeState(
  store: ObjectStore,
  stored: { value: unknown; etag: string } | null,
  initial: AlertState,
  state: AlertState,
  applied: readonly AlertIntent[],
  now: Date,
  runId: string,
  errors: SourceError[],
): Promise<AlertState> {
  let base = stored;
  let next = state;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (canonicalJson(next) === canonicalJson(base ? readAlertState(base.value) : initial) && base)
      return next;
    try {
      await store.putJson(ALERT_STATE_KEY, next, base ? { ifMatch: base.etag } : { ifNoneMatch: '*' });
      return next;
    } catch (e) {
      if (!(e instanceof WriteConflictError)) {
        errors.push({ source: 'state', message: `writing ${ALERT_STATE_KEY}: ${message(e)}` });
        return next;
      }
      try {
        base = await store.getJson<unknown>(ALERT_STATE_KEY);
      } catch (e2) {
        errors.push({ source: 'state', message: `re-reading ${ALERT_STATE_KEY}: ${message(e2)}` });
        return next;
      }
      next = applied.reduce((s, i) => recordSent(s, i, now, runId), readAlertState(base?.value));
    }
  }
  errors.push({
    source: 'state',
    message: `writing ${ALERT_STATE_KEY}: gave up after repeated write conflicts`,
  });
  return next;
}

/**
 * Deletes the object of every upload probe whose verdict is settled (nothing can change it any
 * more; the verdict never depended on the object, which the runner created and nobody reads).
 * Only keys under the config's probe prefix in a target bucket are touched, whatever a stored
 * probe record says. A failure is reported and left to the probe buckets' lifecycle rule.
 */
async function deleteSettledUploads(
  results: readonly ProbeResult[],
  cfg: PathGuardConfig,
  remover: ProbeObjectRemover | null,
  errors: SourceError[],
): Promise<string[]> {
  if (!remover) return [];
  const buckets = new Set(cfg.targets.map((t) => t.bucket));
  // The shape probeKey() gives: `<prefix>/probes/YYYY/MM/DD/<probe id>.bin`, nothing else.
  const probeKeyShape = new RegExp(
    `^${cfg.probePrefix.replace(/[.]/g, '\\.')}/probes/\\d{4}/\\d{2}/\\d{2}/[0-9A-HJKMNP-TV-Z]{26}\\.bin$`,
  );
  const deleted: string[] = [];
  for (const r of results) {
    const p = r.probe;
    if (!r.settled || methodOf(p) === 'get') continue;
    if (!buckets.has(p.bucket) || !probeKeyShape.test(p.key)) continue;
    try {
      await remover.deleteProbeObject(p.bucket, p.key);
      deleted.push(`${p.bucket}/${p.key}`);
    } catch (e) {
      errors.push({ source: 'cleanup', message: `deleting s3://${p.bucket}/${p.key}: ${message(e)}` });
    }
  }
  return deleted;
}
