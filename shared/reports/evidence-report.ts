/**
 * The evidence report's model: what one page shows an auditor and an on-call engineer, computed
 * from the evidence bundles of a period (and the environment, posture drift and real-traffic
 * audit beside them). Pure: data in, data out; shared/reports/render-report.ts turns it into HTML.
 *
 * Blind spots are counted as prominently as violations: a `no-evidence` probe, a source that
 * stayed silent past its deadline, a runner that never reported are not compliance.
 */
import type { AccessLogRecord } from '../access-logs/types.js';
import type { DriftItem } from '../alerts/state.js';
import type { CloudTrailRecord } from '../cloudtrail/types.js';
import type { Environment } from '../env/types.js';
import type { EvidenceBundle } from '../evidence/bundle.js';
import type { FlowRecord } from '../flow-logs/types.js';
import type { PathVerdict } from '../probes/types.js';
import type { RealTrafficReport } from './real-traffic.js';

/** One stored evidence bundle and the SHA-256 (hex) of its bytes as stored (`sha256sum` checks it). */
export interface ReportBundle {
  /** Where it was read: the store key or the file path relative to the folder. */
  key: string;
  sha256: string;
  bundle: EvidenceBundle;
}

export interface EvidenceReportInput {
  /** When the report was made (ISO 8601). */
  generatedAt: string;
  /** The period asked for; a null end is taken from the probes. Probes are kept by creation time. */
  since: string | null;
  until: string | null;
  /** Where the data came from, shown in the header (a folder, `s3://bucket`). */
  source: string;
  bundles: readonly ReportBundle[];
  /** The latest environment document, when the folder has one (routes of the path diagrams). */
  environment: Environment | null;
  /** SHA-256 (hex) of the canonical JSON of `environment`. */
  environmentDigest: string | null;
  /** Target and vantage order from the config, when known (the matrix follows it). */
  order?: { vantages: readonly string[]; styles: readonly string[] } | null;
  drift: readonly DriftItem[];
  realTraffic: readonly RealTrafficReport[];
  /** Problems met reading the input (a bundle that is not one, an unreadable file): shown, never hidden. */
  notes: readonly string[];
}

/** Worst first: the order counts, legends and timeline cells use. */
export const VERDICT_ORDER: readonly PathVerdict[] = [
  'left-path',
  'no-evidence',
  'pending',
  'blocked',
  'private',
];

/** Label and one-letter mark of each verdict: colour never carries the meaning alone. */
export const VERDICT_MARK: Readonly<Record<PathVerdict, { mark: string; letter: string }>> = {
  'left-path': { mark: '✗', letter: 'L' },
  'no-evidence': { mark: '?', letter: 'N' },
  pending: { mark: '…', letter: 'W' },
  blocked: { mark: '⊘', letter: 'B' },
  private: { mark: '✓', letter: 'P' },
};

/** A matrix column: the probe fields that tell targets apart (bucket, style, and a method when probes carry one). */
export interface MatrixColumn {
  key: string;
  bucket: string;
  style: string;
  method: string | null;
}

export interface MatrixCell {
  vantage: string;
  column: string;
  bundle: ReportBundle;
}

export interface TimelineRow {
  vantage: string;
  /** One entry per bin: probes per verdict. */
  bins: Partial<Record<PathVerdict, number>>[];
}

export interface EvidenceReportModel {
  input: EvidenceReportInput;
  /** Bundles in the period, ordered by vantage, column, then creation time. */
  bundles: ReportBundle[];
  period: { from: string | null; to: string | null };
  scope: {
    accounts: string[];
    regions: string[];
    vpcs: string[];
    vantages: string[];
    buckets: string[];
  };
  /** Environment digests the verdicts were judged against, with how many probes each. */
  environmentDigests: { digest: string; probes: number }[];
  counts: Record<PathVerdict, number>;
  privateShare: { vantage: string; private: number; total: number }[];
  blindSpots: {
    noEvidence: ReportBundle[];
    /** Per source: probes whose deadline passed with no record from it. */
    silentSources: { source: string; probes: number }[];
    /** Runners with probes they never reported on. */
    silentRunners: { vantage: string; probes: number }[];
  };
  violations: ReportBundle[];
  columns: MatrixColumn[];
  vantages: string[];
  /** The latest probe of each (vantage, column). */
  matrix: Map<string, MatrixCell>;
  timeline: { from: number; to: number; binMs: number; rows: TimelineRow[] };
  drift: readonly DriftItem[];
  realTraffic: RealTrafficReport | null;
}

/** Most timeline bins: narrow enough for a letter in each on an A4 page. */
const MAX_BINS = 48;

/** The field that splits targets beyond bucket and style, when probes carry it (upload probes: `method`). */
export function probeMethod(b: EvidenceBundle): string | null {
  const m = (b.probe as unknown as Record<string, unknown>).method;
  return typeof m === 'string' && m !== '' ? m : null;
}

export function columnOf(b: EvidenceBundle): MatrixColumn {
  const method = probeMethod(b);
  return {
    key: `${b.probe.bucket}\u0000${b.probe.style}\u0000${method ?? ''}`,
    bucket: b.probe.bucket,
    style: b.probe.style,
    method,
  };
}

export function cellKey(vantage: string, column: string): string {
  return `${vantage}\u0001${column}`;
}

function inPeriod(createdAt: string, since: number, until: number): boolean {
  const t = Date.parse(createdAt);
  return !Number.isNaN(t) && t >= since && t <= until;
}

function accountsOf(b: EvidenceBundle): string[] {
  const out: string[] = [];
  for (const e of b.evidence) {
    if (e.source === 'flow') {
      const a = (e.record as FlowRecord).accountId;
      if (a) out.push(a);
    } else if (e.source === 'cloudtrail') {
      const a = (e.record as CloudTrailRecord).vpcEndpointAccountId;
      if (a) out.push(a);
    } else {
      const m = /^arn:[^:]+:(?:sts|iam)::(\d{12}):/.exec((e.record as AccessLogRecord).requester ?? '');
      if (m) out.push(m[1]!);
    }
  }
  return out;
}

const sorted = (s: Iterable<string>) => [...s].sort();

/**
 * The report's model: the bundles of the period, the summary, the matrix of the latest probe per
 * vantage and target, the timeline bins. Never throws on odd bundles: a bundle without a time
 * falls outside every period and is named in the notes by the reader that loaded it.
 *
 * @example
 * const m = buildEvidenceReport({ generatedAt, since: null, until: null, source: 'lab', bundles, ... });
 * m.counts['left-path']; // 4
 */
export function buildEvidenceReport(input: EvidenceReportInput): EvidenceReportModel {
  const since = input.since ? Date.parse(input.since) : Number.NEGATIVE_INFINITY;
  const until = input.until ? Date.parse(input.until) : Number.POSITIVE_INFINITY;
  const inside = input.bundles.filter((b) => inPeriod(b.bundle.probe.createdAt, since, until));

  const vantageOrder = input.order?.vantages ?? [];
  const styleOrder = input.order?.styles ?? [];
  const rankOf = (list: readonly string[], x: string) => {
    const i = list.indexOf(x);
    return i === -1 ? list.length : i;
  };
  const vantages = [...new Set(inside.map((b) => b.bundle.probe.vantage.id))].sort(
    (a, b) => rankOf(vantageOrder, a) - rankOf(vantageOrder, b) || a.localeCompare(b),
  );
  const columnMap = new Map<string, MatrixColumn>();
  for (const b of inside) {
    const c = columnOf(b.bundle);
    if (!columnMap.has(c.key)) columnMap.set(c.key, c);
  }
  const columns = [...columnMap.values()].sort(
    (a, b) =>
      a.bucket.localeCompare(b.bucket) ||
      rankOf(styleOrder, a.style) - rankOf(styleOrder, b.style) ||
      a.style.localeCompare(b.style) ||
      (a.method ?? '').localeCompare(b.method ?? ''),
  );
  const colRank = new Map(columns.map((c, i) => [c.key, i]));
  const vRank = new Map(vantages.map((v, i) => [v, i]));
  const bundles = [...inside].sort(
    (a, b) =>
      vRank.get(a.bundle.probe.vantage.id)! - vRank.get(b.bundle.probe.vantage.id)! ||
      colRank.get(columnOf(a.bundle).key)! - colRank.get(columnOf(b.bundle).key)! ||
      a.bundle.probe.createdAt.localeCompare(b.bundle.probe.createdAt) ||
      a.bundle.probe.probeId.localeCompare(b.bundle.probe.probeId),
  );

  const counts: Record<PathVerdict, number> = {
    'left-path': 0,
    'no-evidence': 0,
    pending: 0,
    blocked: 0,
    private: 0,
  };
  const accounts = new Set<string>();
  const regions = new Set<string>();
  const vpcs = new Set<string>();
  const buckets = new Set<string>();
  const digests = new Map<string, number>();
  const share = new Map<string, { private: number; total: number }>();
  const silentSources = new Map<string, number>();
  const silentRunners = new Map<string, number>();
  const matrix = new Map<string, MatrixCell>();
  let first: string | null = null;
  let last: string | null = null;
  for (const rb of bundles) {
    const b = rb.bundle;
    const p = b.probe;
    const v = b.verdict.verdict;
    if (v in counts) counts[v]++;
    for (const a of accountsOf(b)) accounts.add(a);
    regions.add(p.region);
    if (b.environment?.region) regions.add(b.environment.region);
    if (b.environment?.facts?.vpcId) vpcs.add(b.environment.facts.vpcId);
    buckets.add(p.bucket);
    const d = b.environment?.digest;
    if (d) digests.set(d, (digests.get(d) ?? 0) + 1);
    const s = share.get(p.vantage.id) ?? { private: 0, total: 0 };
    s.total++;
    if (v === 'private') s.private++;
    share.set(p.vantage.id, s);
    for (const src of b.verdict.silentSources ?? [])
      silentSources.set(src, (silentSources.get(src) ?? 0) + 1);
    if (b.verdict.code === 'RUNNER_SILENT')
      silentRunners.set(p.vantage.id, (silentRunners.get(p.vantage.id) ?? 0) + 1);
    const key = cellKey(p.vantage.id, columnOf(b).key);
    const prev = matrix.get(key);
    if (!prev || prev.bundle.bundle.probe.createdAt <= p.createdAt)
      matrix.set(key, { vantage: p.vantage.id, column: columnOf(b).key, bundle: rb });
    if (first === null || p.createdAt < first) first = p.createdAt;
    if (last === null || p.createdAt > last) last = p.createdAt;
  }

  const from = input.since ?? first;
  const to = input.until ?? last;
  const timeline = buildTimeline(bundles, vantages, from, to);
  return {
    input,
    bundles,
    period: { from, to },
    scope: {
      accounts: sorted(accounts),
      regions: sorted(regions),
      vpcs: sorted(vpcs),
      vantages,
      buckets: sorted(buckets),
    },
    environmentDigests: [...digests.entries()]
      .map(([digest, probes]) => ({ digest, probes }))
      .sort((a, b) => b.probes - a.probes || a.digest.localeCompare(b.digest)),
    counts,
    privateShare: vantages.map((v) => ({ vantage: v, ...share.get(v)! })),
    blindSpots: {
      noEvidence: bundles.filter((b) => b.bundle.verdict.verdict === 'no-evidence'),
      silentSources: [...silentSources.entries()]
        .map(([source, probes]) => ({ source, probes }))
        .sort((a, b) => a.source.localeCompare(b.source)),
      silentRunners: [...silentRunners.entries()]
        .map(([vantage, probes]) => ({ vantage, probes }))
        .sort((a, b) => a.vantage.localeCompare(b.vantage)),
    },
    violations: bundles.filter((b) => b.bundle.verdict.verdict === 'left-path'),
    columns,
    vantages,
    matrix,
    timeline,
    drift: input.drift,
    realTraffic: mergeRealTraffic(input.realTraffic),
  };
}

function buildTimeline(
  bundles: readonly ReportBundle[],
  vantages: readonly string[],
  fromIso: string | null,
  toIso: string | null,
): EvidenceReportModel['timeline'] {
  const from = fromIso ? Date.parse(fromIso) : 0;
  const to = toIso ? Date.parse(toIso) : 0;
  const span = Math.max(to - from, 1);
  // Whole minutes per bin, so bin edges read as times.
  const binMs = Math.max(60_000, Math.ceil(span / MAX_BINS / 60_000) * 60_000);
  const n = Math.min(MAX_BINS, Math.max(1, Math.ceil((span + 1) / binMs)));
  const rows = vantages.map((v) => ({
    vantage: v,
    bins: Array.from({ length: n }, () => ({}) as Partial<Record<PathVerdict, number>>),
  }));
  const byVantage = new Map(rows.map((r) => [r.vantage, r]));
  for (const b of bundles) {
    const t = Date.parse(b.bundle.probe.createdAt);
    const i = Math.min(n - 1, Math.max(0, Math.floor((t - from) / binMs)));
    const bin = byVantage.get(b.bundle.probe.vantage.id)?.bins[i];
    if (bin) bin[b.bundle.verdict.verdict] = (bin[b.bundle.verdict.verdict] ?? 0) + 1;
  }
  return { from, to, binMs, rows };
}

/** The worst verdict of a timeline bin (null: no probe in it). */
export function worstVerdict(bin: Partial<Record<PathVerdict, number>>): PathVerdict | null {
  for (const v of VERDICT_ORDER) if ((bin[v] ?? 0) > 0) return v;
  return null;
}

/**
 * Real-traffic reports of several runs as one: totals added, groups merged by remote IP, Host
 * and user agent. Each run reads only access-log objects after its checkpoint, so runs do not
 * count a request twice.
 */
export function mergeRealTraffic(reports: readonly RealTrafficReport[]): RealTrafficReport | null {
  if (reports.length === 0) return null;
  const byPath: Record<string, number> = {};
  const groups = new Map<string, RealTrafficReport['nonPrivate'][number]>();
  let presigned = 0;
  let nonPrivate = 0;
  let dropped = 0;
  let from: string | null = null;
  let to: string | null = null;
  for (const r of reports) {
    presigned += r.presignedRequests ?? 0;
    nonPrivate += r.nonPrivateRequests ?? 0;
    dropped += r.droppedGroupRequests ?? 0;
    for (const [k, n] of Object.entries(r.byPath ?? {})) byPath[k] = (byPath[k] ?? 0) + n;
    if (r.window?.from && (from === null || r.window.from < from)) from = r.window.from;
    if (r.window?.to && (to === null || r.window.to > to)) to = r.window.to;
    for (const g of r.nonPrivate ?? []) {
      const key = `${g.remoteIp}\u0000${g.hostHeader}\u0000${g.userAgent}`;
      const cur = groups.get(key);
      if (!cur) {
        groups.set(key, { ...g, buckets: [...g.buckets], sampleKeys: [...g.sampleKeys] });
        continue;
      }
      cur.count += g.count;
      if (g.firstSeen && (!cur.firstSeen || g.firstSeen < cur.firstSeen)) cur.firstSeen = g.firstSeen;
      if (g.lastSeen && (!cur.lastSeen || g.lastSeen > cur.lastSeen)) cur.lastSeen = g.lastSeen;
      cur.buckets = [...new Set([...cur.buckets, ...g.buckets])].sort();
      cur.sampleKeys = [...new Set([...cur.sampleKeys, ...g.sampleKeys])].sort().slice(0, 3);
    }
  }
  return {
    presignedRequests: presigned,
    byPath,
    nonPrivateRequests: nonPrivate,
    nonPrivate: [...groups.values()].sort(
      (a, b) => b.count - a.count || String(a.remoteIp).localeCompare(String(b.remoteIp)),
    ),
    droppedGroupRequests: dropped,
    window: { from, to },
  };
}
