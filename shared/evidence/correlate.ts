/**
 * Finding a probe's own request in the logs. Each source is joined the strongest way it allows:
 *
 * - S3 server access logs and CloudTrail by the request id S3 returned to the runner
 *   (`x-amz-request-id`, logged as `Request ID` / `requestID`), else by the probe's object key
 *   within the URL's lifetime (probe keys are unique per probe, so the key is a sound fallback).
 * - VPC Flow Logs by addresses and time. A VPC runner is a Lambda function behind Hyperplane ENIs
 *   that translate its traffic: the socket's local address is not what the VPC sees, so the VPC
 *   side is the runner subnet's ENIs and their private IPs (from the environment). The other side
 *   is the remote address the runner connected to, on its port (443). Flow records aggregate 1 to
 *   10 minutes and may start up to a minute late, so a record matches when its interval overlaps
 *   the fetch widened by a slack. An on-prem runner is not translated inside AWS: its flows, when
 *   it uses an interface endpoint, show on the endpoint's ENIs with its own address and port.
 *
 * Logs repeat records (server access logs are best effort and may deliver twice; exports overlap),
 * so every match carries a dedupe key per source and counts once.
 */
import type { AccessLogRecord } from '../access-logs/types.js';
import { type HostScope, hostScopeOf } from '../classify/host-scope.js';
import type { EvidenceSource } from '../classify/types.js';
import type { CloudTrailRecord } from '../cloudtrail/types.js';
import { redactText } from '../endpoints/redact.js';
import type { Environment } from '../env/types.js';
import type { FlowRecord } from '../flow-logs/types.js';
import type { CloudTrailQuery, FlowQuery } from '../ports/index.js';
import { methodOf, type Observation, type Probe, type ProbeMethod } from '../probes/types.js';
import { fetchClock } from '../verdicts/clock.js';
import { canonicalJson } from './canonical.js';
import type { Classifiers, EvidenceItem, MatchedRecord } from './types.js';
import { normalizeIp, type VantageFacts, vantageFacts } from './vantage-facts.js';

export { normalizeIp, type VantageFacts, vantageFacts } from './vantage-facts.js';

/** Order sources are listed in everywhere (evidence lists, reasons, bundles). */
export const SOURCE_ORDER: readonly EvidenceSource[] = ['s3-access', 'cloudtrail', 'flow'];

// --- Dedupe keys ------------------------------------------------------------------------------

/** Access-log identity: S3 logs one record per request, so a repeated Request ID is a duplicate delivery. */
export function accessLogDedupKey(r: AccessLogRecord): string {
  if (r.requestId) return `s3-access:${r.requestId}:${r.operation ?? '-'}:${r.key ?? '-'}`;
  // Redacted: a key may be stored and printed, and the Request-URI of a presigned GET holds its signature.
  return `s3-access:${redactText(canonicalJson(r))}`;
}

/** CloudTrail identity: the event id (unique per event), else the request id and event name. */
export function cloudTrailDedupKey(r: CloudTrailRecord): string {
  if (r.eventId) return `cloudtrail:${r.eventId}`;
  if (r.requestId) return `cloudtrail:${r.requestId}:${r.eventName ?? '-'}`;
  return `cloudtrail:${redactText(canonicalJson(r))}`;
}

/** Flow identity: the whole record (the same flow read from CloudWatch and from S3 is one flow). */
export function flowDedupKey(r: FlowRecord): string {
  return `flow:${canonicalJson(r)}`;
}

/** What the key matcher reads of an access-log or CloudTrail record: the same facts, named apart. */
interface KeyedRecord {
  readonly requestId: string | null;
  readonly operation: string | null;
  readonly bucket: string | null;
  readonly key: string | null;
  readonly time: string | null;
}

function accessLogKeys(r: AccessLogRecord): KeyedRecord {
  return { requestId: r.requestId, operation: r.operation, bucket: r.bucket, key: r.key, time: r.time };
}

function cloudTrailKeys(r: CloudTrailRecord): KeyedRecord {
  return {
    requestId: r.requestId,
    operation: r.eventName,
    bucket: r.bucketName,
    key: r.key,
    time: r.eventTime,
  };
}

// --- Correlation ------------------------------------------------------------------------------

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

interface FlowSide {
  probeId: string;
  remote: string;
  remotePort: number;
  localIps: ReadonlySet<string>;
  localEnis: ReadonlySet<string>;
  /** Subnet to accept when the environment names no runner ENI (VPC runners only). */
  fallbackSubnet: string | null;
  /** The on-prem runner's own port (untranslated), when known. */
  localPort: number | null;
  /** The runner's VPC and its subnets (VPC runners whose subnet the environment lists), else null. */
  vpcId: string | null;
  vpcSubnetIds: ReadonlySet<string> | null;
  foreignEnis: ReadonlySet<string>;
  fromSec: number;
  toSec: number;
}

interface KeySide {
  probeId: string;
  bucket: string;
  key: string;
  /** What the runner did: only a record of that request is the probe's (see {@link PROBE_REQUESTS}). */
  method: ProbeMethod;
  fromMs: number;
  toMs: number;
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

/**
 * The addresses the VPC sees for a probe's runner: for a VPC runner the private IPs of its
 * subnet's ENIs (NAT and endpoint ENIs excluded; a Lambda function's socket address is
 * translated by its Hyperplane ENI), for an on-prem runner the local address it connected from.
 */
export function runnerAddresses(probe: Probe, obs: Observation | null, env: Environment): Set<string> {
  if (probe.vantage.kind === 'vpc') return new Set(vantageFacts(env, probe.vantage).runnerIps);
  return new Set(obs?.localAddress ? [normalizeIp(obs.localAddress)] : []);
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

/** Operations that read the probe object (the planner's own PUT must not count as the fetch). */
/**
 * The records a probe's own request leaves, by method, for the key-and-time fallback: a probe key
 * also sees other requests (the probe function's PutObject that creates a GET probe's object, the
 * analyzer's DeleteObject after an upload's verdict), which are not the runner's. Access-log
 * operations are `REST.<method>.OBJECT` (aws-facts §2.1); a POST form upload is logged as
 * `REST.POST.OBJECT` and its CloudTrail event is accepted as `PostObject` or `PutObject`.
 */
export const PROBE_REQUESTS: Readonly<
  Record<ProbeMethod, { readonly accessLog: readonly string[]; readonly cloudTrail: readonly string[] }>
> = {
  get: { accessLog: ['REST.GET.OBJECT', 'REST.HEAD.OBJECT'], cloudTrail: ['GetObject', 'HeadObject'] },
  put: { accessLog: ['REST.PUT.OBJECT'], cloudTrail: ['PutObject'] },
  post: { accessLog: ['REST.POST.OBJECT'], cloudTrail: ['PostObject', 'PutObject'] },
};

/** When the fetch ended, in epoch ms (NaN when the start time is unreadable). */
export function fetchEndMs(obs: Observation): number {
  return Date.parse(obs.startedAt) + Math.max(0, obs.timingsMs?.total ?? 0);
}

const NO_ENIS: ReadonlySet<string> = new Set();

function flowSide(
  probe: Probe,
  obs: Observation | null,
  facts: VantageFacts,
  slack: number,
  foreignEnis: ReadonlySet<string>,
): FlowSide | null {
  if (!obs || obs.remoteAddress === null) return null;
  // The runner's clock may be off: the window covers its time and the analyzer's (verdicts/clock.ts).
  const clock = fetchClock(probe, obs);
  if (!clock) return null;
  const remote = normalizeIp(obs.remoteAddress);
  const fromSec = Math.floor(clock.windowFromMs / 1000) - slack;
  const toSec = Math.ceil(clock.windowToMs / 1000) + slack;
  if (probe.vantage.kind === 'vpc') {
    return {
      probeId: probe.probeId,
      remote,
      remotePort: obs.remotePort ?? 443,
      localIps: new Set(facts.runnerIps),
      localEnis: new Set(facts.runnerEniIds),
      fallbackSubnet:
        facts.runnerIps.length === 0 && facts.runnerEniIds.length === 0
          ? (facts.subnetId ?? probe.vantage.subnetId ?? null)
          : null,
      localPort: null,
      vpcId: facts.vpcId,
      vpcSubnetIds: facts.vpcId !== null ? new Set(facts.vpcSubnetIds ?? []) : null,
      foreignEnis,
      fromSec,
      toSec,
    };
  }
  if (obs.localAddress === null) return null;
  return {
    probeId: probe.probeId,
    remote,
    remotePort: obs.remotePort ?? 443,
    localIps: new Set([normalizeIp(obs.localAddress)]),
    localEnis: new Set(),
    fallbackSubnet: null,
    localPort: obs.localPort,
    vpcId: null,
    vpcSubnetIds: null,
    foreignEnis: NO_ENIS,
    fromSec,
    toSec,
  };
}

function flowAddresses(r: FlowRecord): string[] {
  const out: string[] = [];
  for (const a of [r.srcaddr, r.dstaddr, r.pktSrcaddr, r.pktDstaddr]) {
    if (typeof a === 'string' && a !== '') {
      const n = normalizeIp(a);
      if (!out.includes(n)) out.push(n);
    }
  }
  return out;
}

function addr(v: string | null | undefined): string | null {
  return typeof v === 'string' && v !== '' ? normalizeIp(v) : null;
}

function portOk(actual: number | null | undefined, expected: number | null): boolean {
  return actual === null || actual === undefined || expected === null || actual === expected;
}

function flowMatches(r: FlowRecord, side: FlowSide): boolean {
  // Time: the record's interval must overlap the (already widened) fetch.
  const start = typeof r.start === 'number' ? r.start : null;
  const end = typeof r.end === 'number' ? r.end : start;
  if (start === null || end === null) return false;
  if (start > side.toSec || end < side.fromSec) return false;
  if (r.protocol !== undefined && r.protocol !== null && r.protocol !== 6) return false;
  // Another VPC's record is never the runner's, even with the runner's address: overlapping VPCs
  // reuse addresses, and the packets a transit gateway carries on show in the next VPC's logs
  // with the runner's address too. The access log's Remote IP still shows where they left.
  if (side.vpcId !== null) {
    if (typeof r.vpcId === 'string' && r.vpcId !== side.vpcId) return false;
    if (typeof r.subnetId === 'string' && side.vpcSubnetIds !== null && !side.vpcSubnetIds.has(r.subnetId))
      return false;
    if (typeof r.interfaceId === 'string' && side.foreignEnis.has(r.interfaceId)) return false;
  }

  const src = [addr(r.srcaddr), addr(r.pktSrcaddr)];
  const dst = [addr(r.dstaddr), addr(r.pktDstaddr)];
  const isLocal = (a: string | null) => a !== null && side.localIps.has(a);
  // The ENI or subnet alone stands in for addresses only when the environment lists none.
  const byEni =
    side.localIps.size === 0 && typeof r.interfaceId === 'string' && side.localEnis.has(r.interfaceId);
  const inFallbackSubnet = side.fallbackSubnet !== null && r.subnetId === side.fallbackSubnet;

  // Runner → remote (egress from the runner, or the same packets seen at a NAT or endpoint ENI).
  if (dst.includes(side.remote) && portOk(r.dstport, side.remotePort)) {
    const localOk = src.some(isLocal) || ((byEni || inFallbackSubnet) && !src.includes(side.remote));
    if (localOk && portOk(r.srcport, side.localPort)) return true;
  }
  // Remote → runner (the replies).
  if (src.includes(side.remote) && portOk(r.srcport, side.remotePort)) {
    const localOk = dst.some(isLocal) || ((byEni || inFallbackSubnet) && !dst.includes(side.remote));
    if (localOk && portOk(r.dstport, side.localPort)) return true;
  }
  return false;
}
