import type { AccessLogRecord } from '../access-logs/types.js';
import type { PathDecision } from '../classify/types.js';

export interface RealTrafficGroup {
  remoteIp: string | null;
  hostHeader: string | null;
  userAgent: string | null;
  path: string;
  reason: string;
  count: number;
  firstSeen: string | null;
  lastSeen: string | null;
  buckets: string[];
}

export interface RealTrafficReport {
  /** Presigned (QueryString) requests seen in the monitored buckets. */
  presignedRequests: number;
  byPath: Record<string, number>;
  /** Non-private requests grouped by remote IP, Host header and user agent, most first. */
  nonPrivate: RealTrafficGroup[];
}

/**
 * Audits real traffic: every presigned request (`authenticationType` QueryString) to a monitored
 * bucket is classified like a probe's; requests that did not come through an endpoint are
 * grouped by source, Host header and user agent with counts and first/last seen. Duplicate log
 * records (same request id) count once.
 */
export function realTrafficReport(
  records: Iterable<AccessLogRecord>,
  monitoredBuckets: readonly string[],
  classify: (r: AccessLogRecord) => PathDecision,
): RealTrafficReport {
  const buckets = new Set(monitoredBuckets);
  const seen = new Set<string>();
  const groups = new Map<string, RealTrafficGroup>();
  const byPath: Record<string, number> = {};
  let presigned = 0;
  for (const r of records) {
    if (r.authenticationType !== 'QueryString' || !r.bucket || !buckets.has(r.bucket)) continue;
    if (r.requestId) {
      if (seen.has(r.requestId)) continue;
      seen.add(r.requestId);
    }
    presigned++;
    const d = classify(r);
    byPath[d.path] = (byPath[d.path] ?? 0) + 1;
    if (d.private !== false) continue;
    const key = `${r.remoteIp}\u0000${r.hostHeader}\u0000${r.userAgent}`;
    let g = groups.get(key);
    if (!g) {
      g = {
        remoteIp: r.remoteIp,
        hostHeader: r.hostHeader,
        userAgent: r.userAgent,
        path: d.path,
        reason: d.reason,
        count: 0,
        firstSeen: r.time,
        lastSeen: r.time,
        buckets: [],
      };
      groups.set(key, g);
    }
    g.count++;
    if (r.time && (!g.firstSeen || r.time < g.firstSeen)) g.firstSeen = r.time;
    if (r.time && (!g.lastSeen || r.time > g.lastSeen)) g.lastSeen = r.time;
    if (!g.buckets.includes(r.bucket)) g.buckets.push(r.bucket);
  }
  const nonPrivate = [...groups.values()].sort(
    (a, b) => b.count - a.count || String(a.remoteIp).localeCompare(String(b.remoteIp)),
  );
  return { presignedRequests: presigned, byPath, nonPrivate };
}
