/**
 * The real-traffic audit: beyond probes, every presigned request (`authenticationType`
 * QueryString) in the monitored buckets' access logs is classified like a probe's, and the
 * requests that did not come through a VPC endpoint are reported, grouped by remote IP, Host
 * header and user agent, with counts and first/last seen. This finds the app that presigns with
 * the legacy global endpoint or Transfer Acceleration, whoever it is.
 */
import { type AccessLogRecord, emptyAccessLogRecord } from '../access-logs/types.js';
import type { PathDecision } from '../classify/types.js';
import { redactText } from '../endpoints/redact.js';

export interface RealTrafficGroup {
  remoteIp: string | null;
  hostHeader: string | null;
  userAgent: string | null;
  path: string;
  /** The classifier rule and facts (the first request of the group). */
  reason: string;
  count: number;
  firstSeen: string | null;
  lastSeen: string | null;
  buckets: string[];
  /** The first few object keys requested (in key order), for finding the application. */
  sampleKeys: string[];
}

export interface RealTrafficReport {
  /** Presigned (QueryString) requests seen in the monitored buckets, each request once. */
  presignedRequests: number;
  /** Those requests by path (`gateway-endpoint`, `public`, ..., `unknown`). */
  byPath: Record<string, number>;
  /** Requests that did not come through an endpoint (`private` false). */
  nonPrivateRequests: number;
  /** Non-private requests grouped by remote IP, Host header and user agent, most first. */
  nonPrivate: RealTrafficGroup[];
  /** Requests whose group was not kept because `maxGroups` was reached (counted in the totals). */
  droppedGroupRequests: number;
  /** Earliest and latest request time seen. */
  window: { from: string | null; to: string | null };
}

export interface RealTrafficOptions {
  monitoredBuckets: readonly string[];
  classify: (r: AccessLogRecord) => PathDecision | null;
  /**
   * Object key prefixes to leave out, such as the probes' own (`pathguard/probes/`): probe
   * requests are judged by the verdict engine, not counted as application traffic.
   */
  excludeKeyPrefixes?: readonly string[];
  /** Most groups kept; bounded so a scan of many logs keeps bounded memory. @default 1000 */
  maxGroups?: number;
}

const SAMPLE_KEYS = 3;

/** Presigned requests a query engine counted as one group (see {@link RealTrafficAudit.addGroup}). */
export interface RealTrafficAggregate {
  remoteIp: string | null;
  hostHeader: string | null;
  userAgent: string | null;
  bucket: string;
  /** Distinct requests in the group. */
  requests: number;
  /** ISO 8601 times of the first and last request. */
  firstSeen: string | null;
  lastSeen: string | null;
  /** The first keys of the group in key order (at most three are kept). */
  sampleKeys: string[];
}

/**
 * Streaming audit: `add` each access-log record, then `report()`. Memory is bounded by the
 * number of groups (and the request ids used to drop duplicate deliveries).
 *
 * @example
 * const audit = new RealTrafficAudit({ monitoredBuckets: ['data'], classify: (r) => classifyAccessLogRecord(r, idx) });
 * for await (const batch of readAccessLogRecords(file, { rejects })) for (const r of batch) audit.add(r);
 * audit.report().nonPrivate[0]; // { remoteIp: '198.51.100.7', hostHeader: 'data.s3.amazonaws.com', count: 12, ... }
 */
export class RealTrafficAudit {
  private readonly buckets: ReadonlySet<string>;
  private readonly seen = new Set<string>();
  private readonly groups = new Map<string, RealTrafficGroup>();
  private readonly byPath: Record<string, number> = {};
  private presigned = 0;
  private nonPrivateCount = 0;
  private dropped = 0;
  private from: string | null = null;
  private to: string | null = null;

  constructor(private readonly opts: RealTrafficOptions) {
    this.buckets = new Set(opts.monitoredBuckets);
  }

  /** Counts one record; returns true when it was a new presigned request of a monitored bucket. */
  add(r: AccessLogRecord): boolean {
    if (r.authenticationType !== 'QueryString' || r.bucket === null || !this.buckets.has(r.bucket))
      return false;
    if (r.key !== null && this.opts.excludeKeyPrefixes?.some((p) => r.key!.startsWith(p))) return false;
    if (r.requestId) {
      // A request id is unique per request; a repeat is a duplicate log delivery.
      if (this.seen.has(r.requestId)) return false;
      this.seen.add(r.requestId);
    }
    this.count(r, {
      requests: 1,
      bucket: r.bucket,
      firstSeen: r.time,
      lastSeen: r.time,
      keys: r.key === null ? [] : [r.key],
    });
    return true;
  }

  /**
   * Counts a group of requests a query engine aggregated (the Athena audit: one row per Remote
   * IP, Host header, User-Agent and bucket, requests already distinct). The classifier reads only
   * the Remote IP and the Host header (shared/classify/access-log.ts), which every request of the
   * group shares, so the group is classified once, as each of its requests would be.
   */
  addGroup(a: RealTrafficAggregate): void {
    if (a.requests <= 0 || !this.buckets.has(a.bucket)) return;
    const sample: AccessLogRecord = {
      ...emptyAccessLogRecord(),
      bucket: a.bucket,
      remoteIp: a.remoteIp,
      hostHeader: a.hostHeader,
      userAgent: a.userAgent,
      authenticationType: 'QueryString',
      time: a.firstSeen,
    };
    this.count(sample, {
      requests: a.requests,
      bucket: a.bucket,
      firstSeen: a.firstSeen,
      lastSeen: a.lastSeen,
      keys: a.sampleKeys,
    });
  }

  private count(
    r: AccessLogRecord,
    n: {
      requests: number;
      bucket: string;
      firstSeen: string | null;
      lastSeen: string | null;
      keys: readonly string[];
    },
  ): void {
    this.presigned += n.requests;
    if (n.firstSeen && (this.from === null || n.firstSeen < this.from)) this.from = n.firstSeen;
    if (n.lastSeen && (this.to === null || n.lastSeen > this.to)) this.to = n.lastSeen;
    const d = this.opts.classify(r);
    const path = d?.path ?? 'unknown';
    this.byPath[path] = (this.byPath[path] ?? 0) + n.requests;
    if (d?.private !== false) return;
    this.nonPrivateCount += n.requests;
    const key = `${r.remoteIp}\u0000${r.hostHeader}\u0000${r.userAgent}`;
    let g = this.groups.get(key);
    if (!g) {
      if (this.groups.size >= (this.opts.maxGroups ?? 1000)) {
        this.dropped += n.requests;
        return;
      }
      g = {
        remoteIp: r.remoteIp,
        hostHeader: r.hostHeader,
        userAgent: r.userAgent,
        path,
        reason: d.reason,
        count: 0,
        firstSeen: n.firstSeen,
        lastSeen: n.lastSeen,
        buckets: [],
        sampleKeys: [],
      };
      this.groups.set(key, g);
    }
    g.count += n.requests;
    if (n.firstSeen && (!g.firstSeen || n.firstSeen < g.firstSeen)) g.firstSeen = n.firstSeen;
    if (n.lastSeen && (!g.lastSeen || n.lastSeen > g.lastSeen)) g.lastSeen = n.lastSeen;
    if (!g.buckets.includes(n.bucket)) g.buckets.push(n.bucket);
    for (const k of n.keys) {
      if (g.sampleKeys.includes(k)) continue;
      // The first keys in key order, so the report does not depend on the order logs arrive in.
      g.sampleKeys.push(k);
      g.sampleKeys.sort();
      if (g.sampleKeys.length > SAMPLE_KEYS) g.sampleKeys.pop();
    }
  }

  /** The report so far, groups most requests first (ties by remote IP, host, user agent). Redacted. */
  report(): RealTrafficReport {
    const nonPrivate = [...this.groups.values()]
      .map((g) => ({
        ...g,
        userAgent: g.userAgent === null ? null : redactText(g.userAgent),
        reason: redactText(g.reason),
        buckets: [...g.buckets].sort(),
        sampleKeys: g.sampleKeys.map(redactText),
      }))
      .sort(
        (a, b) =>
          b.count - a.count ||
          String(a.remoteIp).localeCompare(String(b.remoteIp)) ||
          String(a.hostHeader).localeCompare(String(b.hostHeader)) ||
          String(a.userAgent).localeCompare(String(b.userAgent)),
      );
    const byPath: Record<string, number> = {};
    for (const k of Object.keys(this.byPath).sort()) byPath[k] = this.byPath[k]!;
    return {
      presignedRequests: this.presigned,
      byPath,
      nonPrivateRequests: this.nonPrivateCount,
      nonPrivate,
      droppedGroupRequests: this.dropped,
      window: { from: this.from, to: this.to },
    };
  }
}

/**
 * Audits a list of access-log records at once.
 *
 * @example
 * const report = realTrafficReport(records, cfg.monitoredBuckets, (r) => classifiers.access(r));
 */
export function realTrafficReport(
  records: Iterable<AccessLogRecord>,
  monitoredBuckets: readonly string[],
  classify: (r: AccessLogRecord) => PathDecision | null,
  opts: Omit<RealTrafficOptions, 'monitoredBuckets' | 'classify'> = {},
): RealTrafficReport {
  const audit = new RealTrafficAudit({ ...opts, monitoredBuckets, classify });
  for (const r of records) audit.add(r);
  return audit.report();
}
