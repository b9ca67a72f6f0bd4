import {
  type CloudWatchLogsClient,
  GetQueryResultsCommand,
  StartQueryCommand,
  StopQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { PathGuardError } from '../../shared/errors.js';
import { DEFAULT_FLOW_FORMAT, type FlowFormat } from '../../shared/flow-logs/index.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import type { FlowLogSource, FlowQuery } from '../../shared/ports/index.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { flowEventBatch } from './flow-log-events.js';
import { sendNamed } from './retry.js';

/** Insights returns at most this many rows per query unless asked for fewer (StartQuery `limit`). */
export const INSIGHTS_MAX_ROWS = 10_000;
const DEFAULT_AGGREGATION_SECONDS = 600;
const RUNNING = new Set(['Scheduled', 'Running']);

export class InsightsQueryError extends PathGuardError {
  constructor(
    code: 'INSIGHTS_QUERY_FAILED' | 'INSIGHTS_TRUNCATED' | 'INSIGHTS_TIMEOUT',
    message: string,
    context: Record<string, unknown> = {},
  ) {
    super(code, message, context);
  }
}

export interface InsightsFlowLogOptions {
  format?: FlowFormat;
  rejects?: RejectCounter;
  /** The flow log's aggregation interval: events are stamped with the record's start. @default 600 */
  aggregationSeconds?: number;
  /** Rows asked per query; a full answer may be cut short, so its window is split in two. @default 10000 */
  limit?: number;
  /** Narrowest window (seconds) split further; a full answer for it is an error. @default 60 */
  minWindowSeconds?: number;
  firstPollMs?: number;
  maxPollMs?: number;
  /** @default 300000 */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The Insights query string for a flow query: the raw message of every event that mentions one of
 * the addresses (a substring match, like the FilterLogEvents terms: the caller filters), in the
 * ENIs' streams when there are few of them. Only characters of IP addresses and ENI ids enter the
 * string, so nothing can change the query.
 */
export function insightsQueryString(query: FlowQuery, limit: number): string {
  const addrs = [...new Set(query.addresses)].filter((a) => /^[0-9a-fA-F.:]+$/.test(a)).sort();
  const enis = [...new Set(query.eniIds ?? [])].filter((e) => /^eni-[0-9a-z]+$/.test(e)).sort();
  const match = addrs.map((a) => `@message like "${a}"`);
  const lines = ['fields @timestamp, @message, @ptr'];
  lines.push(`| filter ${match.join(' or ')}`);
  if (enis.length > 0 && enis.length <= 20)
    lines.push(`| filter ${enis.map((e) => `@logStream like "${e}"`).join(' or ')}`);
  lines.push(`| limit ${limit}`);
  return lines.join('\n');
}

/**
 * Flow logs in CloudWatch Logs read through CloudWatch Logs Insights (StartQuery, GetQueryResults)
 * instead of FilterLogEvents: the scan runs in the service, over the query's time window only.
 * A query lives until `Complete`; `Failed`, `Cancelled`, `Timeout` and `Unknown` end in an
 * InsightsQueryError. Insights has no paging: an answer of `limit` rows may be cut short, so the
 * window is split in two and each half asked again, down to `minWindowSeconds`. Events found
 * twice (split edges) are read once, by `@ptr`. Messages are parsed with the flow log's format by
 * the same parser as the FilterLogEvents reader.
 */
export class InsightsFlowLogSource implements FlowLogSource {
  readonly name: string;
  private readonly format: FlowFormat;
  private readonly rejects: RejectCounter;

  constructor(
    private readonly logs: CloudWatchLogsClient,
    private readonly logGroupName: string,
    private readonly opts: InsightsFlowLogOptions = {},
  ) {
    this.name = `cloudwatch-logs-insights:${logGroupName}`;
    this.format = opts.format ?? DEFAULT_FLOW_FORMAT;
    this.rejects = opts.rejects ?? new RejectCounter();
  }

  async *findFlows(query: FlowQuery): AsyncIterable<FlowRecord[]> {
    // No address: nothing the correlator could match (a match needs the probe's remote address).
    if (!query.addresses.some((a) => /^[0-9a-fA-F.:]+$/.test(a))) return;
    const pad = this.opts.aggregationSeconds ?? DEFAULT_AGGREGATION_SECONDS;
    const from = Math.floor(query.window.from.getTime() / 1000) - pad;
    const to = Math.ceil(query.window.to.getTime() / 1000);
    const seen = new Set<string>();
    const windows: [number, number][] = [[from, to]];
    while (windows.length > 0) {
      const [a, b] = windows.shift()!;
      const rows = await this.run(query, a, b);
      const limit = this.opts.limit ?? INSIGHTS_MAX_ROWS;
      if (rows.length >= limit) {
        if (b - a <= (this.opts.minWindowSeconds ?? 60)) {
          throw new InsightsQueryError(
            'INSIGHTS_TRUNCATED',
            `${this.logGroupName}: ${rows.length} events in ${b - a + 1} s, the most one query returns; the window cannot be split further`,
            { logGroupName: this.logGroupName, from: a, to: b },
          );
        }
        const m = Math.floor((a + b) / 2);
        windows.unshift([a, m], [m + 1, b]);
        continue;
      }
      const batch = flowEventBatch(this.format, this.name, this.rejects, seen);
      for (const row of rows) batch.push(row.get('@ptr'), row.get('@message'));
      if (batch.records.length > 0) yield batch.records;
    }
  }

  /** One query over `[a, b]` (epoch seconds, inclusive) to its rows. */
  private async run(query: FlowQuery, a: number, b: number): Promise<Map<string, string>[]> {
    const limit = this.opts.limit ?? INSIGHTS_MAX_ROWS;
    const started = await sendNamed(`CloudWatch Logs StartQuery ${this.logGroupName}`, () =>
      this.logs.send(
        new StartQueryCommand({
          logGroupName: this.logGroupName,
          startTime: a,
          endTime: b,
          queryString: insightsQueryString(query, limit),
          limit,
        }),
      ),
    );
    const queryId = started.queryId ?? '';
    const sleep = this.opts.sleep ?? realSleep;
    const now = this.opts.now ?? Date.now;
    const deadline = now() + (this.opts.timeoutMs ?? 300_000);
    let wait = this.opts.firstPollMs ?? 500;
    for (;;) {
      const out = await sendNamed(`CloudWatch Logs GetQueryResults ${queryId}`, () =>
        this.logs.send(new GetQueryResultsCommand({ queryId })),
      );
      const status = out.status ?? 'Unknown';
      if (status === 'Complete') {
        return (out.results ?? []).map(
          (fields) => new Map(fields.map((f) => [f.field ?? '', f.value ?? ''])),
        );
      }
      if (!RUNNING.has(status)) {
        throw new InsightsQueryError(
          'INSIGHTS_QUERY_FAILED',
          `${this.logGroupName}: Logs Insights query ${queryId} ended ${status}`,
          { queryId, status },
        );
      }
      if (now() >= deadline) {
        await sendNamed(`CloudWatch Logs StopQuery ${queryId}`, () =>
          this.logs.send(new StopQueryCommand({ queryId })),
        );
        throw new InsightsQueryError(
          'INSIGHTS_TIMEOUT',
          `${this.logGroupName}: Logs Insights query ${queryId} still ${status}; stopped`,
          {
            queryId,
          },
        );
      }
      await sleep(wait);
      wait = Math.min(wait * 2, this.opts.maxPollMs ?? 5000);
    }
  }
}
