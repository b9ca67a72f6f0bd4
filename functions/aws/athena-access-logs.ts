import type { AthenaClient } from '@aws-sdk/client-athena';
import { parseAccessLogString, parseLogTime, unescapeQuoted } from '../../shared/access-logs/parser.js';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import {
  ACCESS_COLUMNS,
  type AccessTableSpec,
  AUDIT_COLUMNS,
  accessAuditSql,
  accessProbeSql,
} from '../../shared/athena/access-table.js';
import type { AccessLogBatch, AccessLogSource } from '../../shared/ports/index.js';
import type { RealTrafficAggregate } from '../../shared/reports/real-traffic.js';
import { parseError } from '../../shared/result.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import {
  type AthenaQueryOptions,
  type AthenaQueryStats,
  type AthenaRow,
  runAthenaQuery,
} from './athena-query.js';

export interface AthenaAccessLogOptions extends AthenaQueryOptions {
  /** The account and Region of the logged buckets (injected partition values). */
  accountId: string;
  region: string;
  /** Buckets the probes use: their records under `probeKeyPrefix` are probe evidence. */
  targetBuckets: readonly string[];
  /** `<probePrefix>/probes/`. */
  probeKeyPrefix: string;
  /** Buckets whose presigned traffic the real-traffic audit counts. */
  monitoredBuckets: readonly string[];
  /**
   * Requests older than this are taken as delivered (the access-log evidence deadline): the audit
   * counts each request once, in the first run after its time is this far in the past.
   */
  settleMinutes: number;
  /** The partitioned layout's date: `DeliveryTime` folders can hold requests of earlier days. @default 'EventTime' */
  dateSource?: 'EventTime' | 'DeliveryTime';
  clock?: () => Date;
  rejects?: RejectCounter;
  onQuery?: (stats: AthenaQueryStats) => void;
}

/** The position after a batch: the audit has counted every request before `auditThrough`. */
export interface AthenaAccessCheckpoint {
  v: 'athena-1';
  auditThrough: string;
}

export function parseAthenaCheckpoint(text: string | null): AthenaAccessCheckpoint | null {
  if (!text?.startsWith('{')) return null;
  try {
    const c = JSON.parse(text) as Partial<AthenaAccessCheckpoint>;
    if (c.v === 'athena-1' && typeof c.auditThrough === 'string' && !Number.isNaN(Date.parse(c.auditThrough)))
      return { v: 'athena-1', auditThrough: c.auditThrough };
  } catch {
    // Unreadable (or the direct reader's): start again from `since`.
  }
  return null;
}

const MINUTE = 60_000;

/**
 * S3 server access logs read through Athena, in two queries per run (shared/athena/access-table.ts):
 *
 * 1. Probe evidence: the records of the target buckets under the probe prefix, from `since` (the
 *    earliest open probe) to now. Every row goes back to the log line (the table's regex captures
 *    whole tokens) and through the direct reader's parser, so the correlator sees the same
 *    records; records read again by a later run count once (the correlator's dedupe keys).
 * 2. The real-traffic audit: presigned requests of the monitored buckets aggregated in Athena,
 *    over request times from the checkpoint to now less `settleMinutes`, so each request is
 *    counted in exactly one run's report once its log has had time to arrive.
 *
 * The checkpoint (`{"v":"athena-1","auditThrough":…}`) advances only with the audit batch, which
 * the run stores only after its results are stored (at-least-once, like the direct reader).
 */
export class AthenaAccessLogSource implements AccessLogSource {
  readonly name: string;
  private readonly rejects: RejectCounter;
  private readonly clock: () => Date;

  constructor(
    private readonly client: AthenaClient,
    private readonly spec: AccessTableSpec,
    private readonly opts: AthenaAccessLogOptions,
  ) {
    this.name = `athena:${spec.database}.${spec.table}`;
    this.rejects = opts.rejects ?? new RejectCounter();
    this.clock = opts.clock ?? (() => new Date());
  }

  async *readSince(checkpoint: string | null, since: Date): AsyncIterable<AccessLogBatch> {
    const now = this.clock();
    const cp = parseAthenaCheckpoint(checkpoint);
    const auditFrom = cp ? new Date(cp.auditThrough) : since;
    const unchanged = JSON.stringify({ v: 'athena-1', auditThrough: auditFrom.toISOString() });
    const where = { accountId: this.opts.accountId, region: this.opts.region };
    if (this.opts.targetBuckets.length > 0) {
      const sql = accessProbeSql(this.spec, {
        ...where,
        buckets: this.opts.targetBuckets,
        keyPrefix: this.opts.probeKeyPrefix,
        from: since,
        to: now,
      });
      const columns = ACCESS_COLUMNS.map(([c]) => c);
      const { rows, stats } = await this.query(sql, columns);
      yield {
        records: this.records(rows, stats.queryExecutionId),
        checkpoint: unchanged,
        origin: this.origin(stats),
      };
    }
    const auditTo = new Date(now.getTime() - this.opts.settleMinutes * MINUTE);
    if (this.opts.monitoredBuckets.length === 0 || auditTo <= auditFrom) return;
    const sql = accessAuditSql(this.spec, {
      ...where,
      buckets: this.opts.monitoredBuckets,
      excludeKeyPrefix: this.opts.probeKeyPrefix,
      requestsFrom: auditFrom,
      requestsTo: auditTo,
      from: auditFrom,
      // A DeliveryTime folder is the day the log arrived: up to today for the window's requests.
      to: (this.opts.dateSource ?? 'EventTime') === 'DeliveryTime' ? now : auditTo,
    });
    const { rows, stats } = await this.query(sql, AUDIT_COLUMNS);
    yield {
      records: [],
      aggregates: this.aggregates(rows, stats.queryExecutionId),
      checkpoint: JSON.stringify({ v: 'athena-1', auditThrough: auditTo.toISOString() }),
      origin: this.origin(stats),
    };
  }

  private origin(stats: AthenaQueryStats): string {
    return `athena://${this.opts.workgroup}/${stats.queryExecutionId}`;
  }

  private async query(
    sql: string,
    columns: readonly string[],
  ): Promise<{ rows: AthenaRow[]; stats: AthenaQueryStats }> {
    const rows: AthenaRow[] = [];
    const it = runAthenaQuery(this.client, sql, columns, this.opts);
    for (;;) {
      const page = await it.next();
      if (page.done) {
        this.opts.onQuery?.(page.value);
        return { rows, stats: page.value };
      }
      for (const r of page.value) rows.push(r);
    }
  }

  private aggregates(rows: readonly AthenaRow[], queryId: string): RealTrafficAggregate[] {
    const out: RealTrafficAggregate[] = [];
    rows.forEach((row, i) => {
      const a = aggregateOf(row);
      if (a) out.push(a);
      else
        this.rejects.add(
          `${this.name} query ${queryId}`,
          i + 1,
          parseError('BAD_FORMAT', 'an audit row without a bucket or a request count'),
        );
    });
    return out;
  }

  private records(rows: readonly AthenaRow[], queryId: string): AccessLogRecord[] {
    const out: AccessLogRecord[] = [];
    const source = `${this.name} query ${queryId}`;
    rows.forEach((values, i) => {
      // The RegexSerDe gives every column NULL for a line its regex does not match.
      if (values.every((v) => v === null)) {
        this.rejects.add(
          source,
          i + 1,
          parseError('BAD_FORMAT', "the line does not match the table's input.regex"),
        );
        return;
      }
      const r = parseAccessLogString(accessLine(values));
      if (r.ok) out.push(r.value);
      else this.rejects.add(source, i + 1, r.error);
    });
    return out;
  }
}

/** The log line of a row of the AWS table: its tokens in order, the time in brackets, NULL as `-`. */
export function accessLine(values: readonly (string | null)[]): string {
  return values.map((v, i) => (v === null || v === '' ? '-' : i === 2 ? `[${v}]` : v)).join(' ');
}

/** `"-"`, `-` and NULL are absent; a quoted token loses its quotes and escapes. */
function field(v: string | null | undefined): string | null {
  if (v === null || v === undefined || v === '' || v === '-') return null;
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) {
    const inner = unescapeQuoted(v.slice(1, -1));
    return inner === '-' || inner === '' ? null : inner;
  }
  return v;
}

/** One audit row; null (dropped) when Athena returned something that is not a count. */
function aggregateOf(row: AthenaRow): RealTrafficAggregate | null {
  const [remoteIp, host, ua, bucket, requests, first, last, keys] = row;
  const n = Number(requests);
  if (!bucket || !Number.isSafeInteger(n) || n < 0) return null;
  return {
    remoteIp: field(remoteIp),
    hostHeader: field(host),
    userAgent: field(ua),
    bucket,
    requests: n,
    firstSeen: first ? parseLogTime(first) : null,
    lastSeen: last ? parseLogTime(last) : null,
    sampleKeys: sampleKeys(keys ?? null),
  };
}

/** The audit's `sample_keys`, a JSON array of strings; anything else is no keys. */
export function sampleKeys(text: string | null): string[] {
  if (!text) return [];
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter((k): k is string => typeof k === 'string') : [];
  } catch {
    return [];
  }
}
