/**
 * The real-traffic audit: beyond probes, every presigned request (`authenticationType`
 * QueryString) in the monitored buckets' access logs is classified like a probe's, and the
 * requests that did not come through a VPC endpoint are reported, grouped by remote IP, Host
 * header and user agent, with counts and first/last seen. This finds the app that presigns with
 * the legacy global endpoint or Transfer Acceleration, whoever it is.
 */
import type { AccessLogRecord } from '../access-logs/types.js';
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
    this.presigned++;
    if (r.time) {
      if (this.from === null || r.time < this.from) this.from = r.time;
      if (this.to === null || r.time > this.to) this.to = r.time;
    }
    const d = this.opts.classify(r);
    const path = d?.path ?? 'unknown';
    this.byPath[path] = (this.byPath[path] ?? 0) + 1;
    if (d?.private !== false) return true;
    this.nonPrivateCount++;
    const key = `${r.remoteIp}\u0000${r.hostHeader}\u0000${r.userAgent}`;
    let g = this.groups.get(key);
    if (!g) {
      if (this.groups.size >= (this.opts.maxGroups ?? 1000)) {
        this.dropped++;
        return true;
      }
      g = {
        remoteIp: r.remoteIp,
        hostHeader: r.hostHeader,
        userAgent: r.userAgent,
        path,
        reason: d.reason,
        count: 0,
        firstSeen: r.time,
        lastSeen: r.time,
        buckets: [],
        sampleKeys: [],
      };
      this.groups.set(key, g);
    }
    g.count++;
    if (r.time && (!g.firstSeen || r.time < g.firstSeen)) g.firstSeen = r.time;
    if (r.time && (!g.lastSeen || r.time > g.lastSeen)) g.lastSeen = r.time;
    if (!g.buckets.includes(r.bucket)) g.buckets.push(r.bucket);
    if (r.key !== null && !g.sampleKeys.includes(r.key)) {
      // The first keys in key order, so the report does not depend on the order logs arrive in.
      g.sampleKeys.push(r.key);
      g.sampleKeys.sort();
      if (g.sampleKeys.length > SAMPLE_KEYS) g.sampleKeys.pop();
    }
    return true;
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
