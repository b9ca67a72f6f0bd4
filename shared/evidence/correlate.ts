/**
 * Finding a probe's own request in the logs. Each source is joined the strongest way it allows:
 *
 * - S3 server access logs and CloudTrail by the request id S3 returned to the runner, else by the
 *   probe's object key within the URL's lifetime (keyed-match.ts).
 * - VPC Flow Logs by addresses, ports and time (flow-match.ts).
 *
 * Logs repeat records, so every match carries a dedupe key per source and counts once
 * (dedup-keys.ts).
 */
import type { AccessLogRecord } from '../access-logs/types.js';
import { type HostScope, hostScopeOf } from '../classify/host-scope.js';
import type { EvidenceSource } from '../classify/types.js';
import type { CloudTrailRecord } from '../cloudtrail/types.js';
import type { Environment } from '../env/types.js';
import type { FlowRecord } from '../flow-logs/types.js';
import type { CloudTrailQuery, FlowQuery } from '../ports/index.js';
import { methodOf, type Observation, type Probe } from '../probes/types.js';
import { accessLogDedupKey, cloudTrailDedupKey, flowDedupKey } from './dedup-keys.js';
import { type FlowSide, flowAddresses, flowMatches, flowSide, NO_ENIS } from './flow-match.js';
import {
  accessLogKeys,
  cloudTrailKeys,
  type KeyedRecord,
  type KeySide,
  PROBE_REQUESTS,
} from './keyed-match.js';
import type { Classifiers, EvidenceItem, MatchedRecord } from './types.js';
import { type VantageFacts, vantageFacts } from './vantage-facts.js';

export { accessLogDedupKey } from './dedup-keys.js';
export { normalizeIp, type VantageFacts, vantageFacts } from './vantage-facts.js';

/** Order sources are listed in everywhere (evidence lists, reasons, bundles). */
const SOURCE_ORDER: readonly EvidenceSource[] = ['s3-access', 'cloudtrail', 'flow'];

/** A probe to find in the logs, with what its runner saw and the facts of its vantage. */
export interface CorrelationTarget {
  probe: Probe;
  observation: Observation | null;
  facts: VantageFacts;
  /**
   * ENIs the environment lists outside the runner's VPC ({@link foreignEniIds}). A record on one of
   * them is never the runner's: formats without `vpc-id`/`subnet-id` (the default v2) name only
   * the interface, and overlapping VPCs reuse the runner's address.
   */
  foreignEnis?: ReadonlySet<string>;
}

/**
 * The ENIs `env` lists (hosts, NAT gateways) in subnets outside VPC `vpcId`; empty when the VPC is
 * unknown (an on-prem runner: its records are matched by its own address and port).
 */
export function foreignEniIds(env: Environment, vpcId: string | null): Set<string> {
  const out = new Set<string>();
  if (vpcId === null) return out;
  const vpcOf = new Map((env.subnets ?? []).map((s) => [s.subnetId, s.vpcId] as const));
  const foreign = (subnetId: string) => vpcOf.get(subnetId) !== vpcId;
  for (const n of env.networkInterfaces ?? []) if (foreign(n.subnetId)) out.add(n.eniId);
  for (const n of env.natGateways ?? []) if (foreign(n.subnetId)) for (const e of n.eniIds ?? []) out.add(e);
  return out;
}

export interface CorrelateOptions {
  /**
   * Seconds a flow record's interval may lie outside the fetch and still match: AWS records a
   * flow's start up to 60 s after the packet, plus clock differences. @default 120
   */
  flowSlackSeconds?: number;
  /** Seconds around the URL's lifetime in which a record found by key alone is accepted. @default 300 */
  keySlackSeconds?: number;
  /**
   * Seconds after the fetch ended that the flow query window extends, to cover a 10-minute
   * aggregation interval and late starts. @default 720
   */
  flowQueryTailSeconds?: number;
}

/**
 * Matches log records to probes as they stream by and keeps each probe's matches deduplicated.
 * Feed it any number of batches from any sources, in any order; `matches(probeId)` is the same
 * whatever the order or repetition.
 *
 * @example
 * const c = new EvidenceCorrelator(targets);
 * for await (const batch of flowSource.findFlows(q)) for (const r of batch) c.addFlow(r, 'cwl');
 * c.matches(probe.probeId); // [{ source: 'flow', matchedBy: 'flow-window', ... }]
 */
export class EvidenceCorrelator {
  private readonly found = new Map<string, Map<string, MatchedRecord>>();
  private readonly byRequestId = new Map<string, string[]>();
  private readonly byObjectKey = new Map<string, KeySide[]>();
  /**
   * Flow sides by `remote local` address pair; by remote alone only the sides with no local
   * address (matched by ENI or subnet). Every probe to a regional endpoint connects to the same few
   * S3 addresses, so a remote-only index made each record try every probe of the window: 30
   * vantages x 10 probes x 12 runs spent 83 of 92 s in this join (capacity bench, before).
   */
  private readonly flowsByPair = new Map<string, FlowSide[]>();
  private readonly flowsByRemote = new Map<string, FlowSide[]>();
  private readonly targets: readonly CorrelationTarget[];
  private readonly flowSlack: number;
  private readonly flowTail: number;

  constructor(targets: readonly CorrelationTarget[], opts: CorrelateOptions = {}) {
    this.targets = targets;
    this.flowSlack = opts.flowSlackSeconds ?? 120;
    this.flowTail = opts.flowQueryTailSeconds ?? 720;
    const keySlackMs = (opts.keySlackSeconds ?? 300) * 1000;
    for (const { probe, observation: obs, facts, foreignEnis } of targets) {
      this.found.set(probe.probeId, new Map());
      if (obs?.requestId) push(this.byRequestId, obs.requestId, probe.probeId);
      const created = Date.parse(probe.createdAt);
      const fetchEnd = obs ? fetchEndMs(obs) : Number.NaN;
      const until = Math.max(Date.parse(probe.expiresAt) || created, Number.isNaN(fetchEnd) ? 0 : fetchEnd);
      push(this.byObjectKey, `${probe.bucket}/${probe.key}`, {
        probeId: probe.probeId,
        bucket: probe.bucket,
        key: probe.key,
        method: methodOf(probe),
        fromMs: created - keySlackMs,
        toMs: until + keySlackMs,
      });
      const side = flowSide(probe, obs, facts, this.flowSlack, foreignEnis ?? NO_ENIS);
      if (side && side.localIps.size === 0) push(this.flowsByRemote, side.remote, side);
      else if (side) for (const l of side.localIps) push(this.flowsByPair, `${side.remote} ${l}`, side);
    }
  }

  /** Adds earlier matches (e.g. from a stored evidence bundle) so they count with the new ones. */
  seed(probeId: string, matches: readonly MatchedRecord[]): void {
    const m = this.found.get(probeId);
    if (!m) return;
    for (const x of matches) if (!m.has(x.dedupKey)) m.set(x.dedupKey, x);
  }

  /** Matches one access-log record; returns the ids of the probes it matched. */
  addAccessLog(r: AccessLogRecord, origin: string | null = null): string[] {
    const dedupKey = accessLogDedupKey(r);
    return this.matchKeyed(accessLogKeys(r), 'accessLog', (matchedBy) => ({
      source: 's3-access',
      dedupKey,
      matchedBy,
      origin,
      record: r,
    }));
  }

  /** Matches one CloudTrail record; returns the ids of the probes it matched. */
  addCloudTrail(r: CloudTrailRecord, origin: string | null = null): string[] {
    const dedupKey = cloudTrailDedupKey(r);
    return this.matchKeyed(cloudTrailKeys(r), 'cloudTrail', (matchedBy) => ({
      source: 'cloudtrail',
      dedupKey,
      matchedBy,
      origin,
      record: r,
    }));
  }

  /**
   * The one matcher of the request-logging sources: by request id when S3 returned one to the
   * runner, else by the probe's object key, operation and time window.
   */
  private matchKeyed(
    k: KeyedRecord,
    operations: 'accessLog' | 'cloudTrail',
    matched: (by: 'request-id' | 'key-and-time') => MatchedRecord,
  ): string[] {
    const hits: string[] = [];
    const byId = k.requestId ? this.byRequestId.get(k.requestId) : undefined;
    if (byId) {
      for (const probeId of byId) {
        this.keep(probeId, matched('request-id'));
        hits.push(probeId);
      }
      return hits;
    }
    if (k.operation === null || k.bucket === null || k.key === null) return hits;
    const t = k.time ? Date.parse(k.time) : Number.NaN;
    for (const side of this.keySides(k.bucket, k.key)) {
      if (!PROBE_REQUESTS[side.method][operations].includes(k.operation)) continue;
      if (Number.isNaN(t) || t < side.fromMs || t > side.toMs) continue;
      this.keep(side.probeId, matched('key-and-time'));
      hits.push(side.probeId);
    }
    return hits;
  }

  /** Matches one flow record; returns the ids of the probes it matched. */
  addFlow(r: FlowRecord, origin: string | null = null): string[] {
    const hits: string[] = [];
    const addrs = flowAddresses(r);
    if (addrs.length === 0) return hits;
    let dedupKey: string | undefined;
    const seen = new Set<FlowSide>();
    // A side with local addresses matches only a record holding its remote and one of them.
    const candidates = (a: string) => [
      ...(this.flowsByRemote.get(a) ?? []),
      ...addrs.flatMap((l) => this.flowsByPair.get(`${a} ${l}`) ?? []),
    ];
    for (const a of addrs) {
      for (const side of candidates(a)) {
        if (seen.has(side)) continue;
        seen.add(side);
        if (!flowMatches(r, side)) continue;
        dedupKey ??= flowDedupKey(r);
        this.keep(side.probeId, { source: 'flow', dedupKey, matchedBy: 'flow-window', origin, record: r });
        hits.push(side.probeId);
      }
    }
    return hits;
  }

  /** The probe's matches, each record once, in a stable order (source, then identity). */
  matches(probeId: string): MatchedRecord[] {
    const m = this.found.get(probeId);
    if (!m) return [];
    return [...m.values()].sort(compareMatches);
  }

  /**
   * The flow-log queries that cover every probe: one per vantage, the union of the addresses and
   * ENIs to look for, over a window from the first fetch to the last plus the aggregation tail.
   */
  flowQueries(): FlowQuery[] {
    const byVantage = new Map<
      string,
      { addresses: Set<string>; enis: Set<string>; from: number; to: number }
    >();
    for (const t of this.targets) {
      const side = flowSide(t.probe, t.observation, t.facts, this.flowSlack, NO_ENIS);
      if (!side) continue;
      const id = t.facts.vantageId;
      let q = byVantage.get(id);
      if (!q) {
        q = { addresses: new Set(), enis: new Set(), from: side.fromSec, to: side.toSec };
        byVantage.set(id, q);
      }
      q.addresses.add(side.remote);
      for (const ip of side.localIps) q.addresses.add(ip);
      for (const e of side.localEnis) q.enis.add(e);
      q.from = Math.min(q.from, side.fromSec);
      q.to = Math.max(q.to, side.toSec);
    }
    return [...byVantage.keys()].sort().map((id) => {
      const q = byVantage.get(id)!;
      return {
        window: { from: new Date(q.from * 1000), to: new Date((q.to + this.flowTail) * 1000) },
        addresses: [...q.addresses].sort(),
        ...(q.enis.size > 0 ? { eniIds: [...q.enis].sort() } : {}),
      };
    });
  }

  /** CloudTrail queries, one per bucket: the probes' keys over their lifetimes. */
  cloudTrailQueries(): CloudTrailQuery[] {
    const byBucket = new Map<string, { keys: Set<string>; from: number; to: number }>();
    for (const sides of this.byObjectKey.values()) {
      for (const s of sides) {
        let q = byBucket.get(s.bucket);
        if (!q) {
          q = { keys: new Set(), from: s.fromMs, to: s.toMs };
          byBucket.set(s.bucket, q);
        }
        q.keys.add(s.key);
        q.from = Math.min(q.from, s.fromMs);
        q.to = Math.max(q.to, s.toMs);
      }
    }
    return [...byBucket.keys()].sort().map((bucket) => {
      const q = byBucket.get(bucket)!;
      return { window: { from: new Date(q.from), to: new Date(q.to) }, bucket, keys: [...q.keys].sort() };
    });
  }

  private keySides(bucket: string, key: string): KeySide[] {
    const direct = this.byObjectKey.get(`${bucket}/${key}`);
    if (direct) return direct;
    // Access logs write the key URL-encoded; probe keys are plain, so decode once and retry.
    if (!key.includes('%')) return [];
    try {
      return this.byObjectKey.get(`${bucket}/${decodeURIComponent(key)}`) ?? [];
    } catch {
      return [];
    }
  }

  private keep(probeId: string, m: MatchedRecord): void {
    const found = this.found.get(probeId);
    if (found && !found.has(m.dedupKey)) found.set(m.dedupKey, m);
  }
}

/**
 * Correlates whole record lists at once (tests, the CLI, small runs).
 *
 * @example
 * const byProbe = correlate(targets, { flows, accessLogs, cloudTrail: [] });
 */
export function correlate(
  targets: readonly CorrelationTarget[],
  records: {
    flows?: Iterable<FlowRecord>;
    accessLogs?: Iterable<AccessLogRecord>;
    cloudTrail?: Iterable<CloudTrailRecord>;
  },
  opts: CorrelateOptions = {},
): Map<string, MatchedRecord[]> {
  const c = new EvidenceCorrelator(targets, opts);
  for (const r of records.accessLogs ?? []) c.addAccessLog(r);
  for (const r of records.cloudTrail ?? []) c.addCloudTrail(r);
  for (const r of records.flows ?? []) c.addFlow(r);
  return new Map(targets.map((t) => [t.probe.probeId, c.matches(t.probe.probeId)]));
}

/**
 * Attaches the classifier's path to each match. Flow records that carry nothing to classify
 * (NODATA, SKIPDATA) are left out: they name no path.
 *
 * @example
 * const items = classifyMatches(correlator.matches(id), classifiers);
 */
export function classifyMatches(
  matches: readonly MatchedRecord[],
  classify: Classifiers,
  scope?: HostScope,
): EvidenceItem[] {
  const out: EvidenceItem[] = [];
  for (const m of matches) {
    const decision =
      m.source === 'flow'
        ? classify.flow(m.record, scope)
        : m.source === 's3-access'
          ? classify.access(m.record)
          : classify.cloudtrail(m.record);
    if (decision) out.push({ ...m, decision });
  }
  return out;
}

/** The log records of one run, already read. */
export interface LogRecords {
  flows: readonly FlowRecord[];
  access: readonly AccessLogRecord[];
  cloudtrail: readonly CloudTrailRecord[];
}

/**
 * Finds and classifies the log records of one probe (a one-probe {@link EvidenceCorrelator}):
 * access logs and CloudTrail by request id else key and time, flow records by the runner's
 * addresses, the remote address and port and the fetch window. Each record counts once.
 *
 * @example
 * const items = correlateProbe(probe, obs, { flows, access, cloudtrail: [] }, env, classifiers);
 */
export function correlateProbe(
  probe: Probe,
  obs: Observation | null,
  logs: LogRecords,
  env: Environment,
  classify: Classifiers,
  opts: CorrelateOptions = {},
): EvidenceItem[] {
  const facts = vantageFacts(env, probe.vantage);
  const byProbe = correlate(
    [{ probe, observation: obs, facts, foreignEnis: foreignEniIds(env, facts.vpcId) }],
    { flows: logs.flows, accessLogs: logs.access, cloudTrail: logs.cloudtrail },
    opts,
  );
  return classifyMatches(byProbe.get(probe.probeId) ?? [], classify, hostScopeOf(probe.style));
}

function compareMatches(a: MatchedRecord, b: MatchedRecord): number {
  const s = SOURCE_ORDER.indexOf(a.source) - SOURCE_ORDER.indexOf(b.source);
  if (s !== 0) return s;
  return a.dedupKey < b.dedupKey ? -1 : a.dedupKey > b.dedupKey ? 1 : 0;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** When the fetch ended, in epoch ms (NaN when the start time is unreadable). */
function fetchEndMs(obs: Observation): number {
  return Date.parse(obs.startedAt) + Math.max(0, obs.timingsMs?.total ?? 0);
}
