import { type CloudWatchLogsClient, paginateFilterLogEvents } from '@aws-sdk/client-cloudwatch-logs';
import { UserInputError } from '../../shared/errors.js';
import { DEFAULT_FLOW_FORMAT, type FlowFormat, parseFlowFormat } from '../../shared/flow-logs/index.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import type { FlowLogSource, FlowQuery } from '../../shared/ports/index.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import type { FlowLogConfig } from './discovery.js';
import { flowEventBatch } from './flow-log-events.js';
import { AwsCallError } from './retry.js';

/** FilterLogEvents takes a filter pattern of at most 1024 characters. */
export const MAX_FILTER_PATTERN = 1024;
/** More ENIs than this and the query reads every stream of the window (one call per ENI otherwise). */
const MAX_ENI_PREFIXES = 20;
/** Flow logs aggregate for at most 10 minutes unless created with a 1-minute interval. */
const DEFAULT_AGGREGATION_SECONDS = 600;

export interface CloudWatchFlowLogOptions {
  /** The flow log's own record format (DescribeFlowLogs `LogFormat`). @default the default v2 format */
  format?: FlowFormat;
  rejects?: RejectCounter;
  /**
   * The flow log's maximum aggregation interval (60 or 600 s): an event's timestamp is its record's
   * `start`, up to one interval before the traffic, so the query starts that much earlier.
   * @default 600
   */
  aggregationSeconds?: number;
}

/**
 * Quoted-term filter patterns matching any of the addresses (`?"10.0.1.5" ?"52.216.8.100"`), as
 * few as fit in {@link MAX_FILTER_PATTERN} characters each. Terms with characters other than
 * letters, digits and `_` must be quoted in CloudWatch Logs filter syntax; `?` joins terms with OR.
 * A term also matches a longer address that contains it (`10.0.1.5` in `10.0.1.50`): the source
 * may return extra records, which the caller filters. Anything that is not an IP address is
 * dropped, so nothing can inject pattern syntax. No address: one pattern-less query.
 */
export function flowFilterPatterns(addresses: readonly string[]): (string | undefined)[] {
  const terms = [...new Set(addresses)].filter((a) => /^[0-9a-fA-F.:]+$/.test(a)).map((a) => `?"${a}"`);
  if (terms.length === 0) return [undefined];
  const out: string[] = [];
  let cur = '';
  for (const t of terms) {
    if (cur && cur.length + 1 + t.length > MAX_FILTER_PATTERN) {
      out.push(cur);
      cur = '';
    }
    cur = cur ? `${cur} ${t}` : t;
  }
  out.push(cur);
  return out;
}

/**
 * Flow logs delivered to CloudWatch Logs, read narrowly: FilterLogEvents over the query's time
 * window only, with a filter pattern keeping the events that mention one of the query's
 * addresses, and, when the ENIs are known, only their log streams. Flow logs write one stream per
 * ENI, named after the ENI id (`eni-0a1b…-all` for an ALL flow log); the suffix is not documented,
 * so the ENI id is passed as a stream-name prefix, one listing per ENI. Every page is followed
 * (`nextToken`, including the empty pages FilterLogEvents returns while it searches); an event
 * found by two listings is read once. A whole log group is never downloaded. Records are parsed
 * with the flow log's own format; bad lines go to `rejects`.
 *
 * Throttling and 5xx are retried by the client (see ./retry.js); a persistent failure rejects with
 * an AwsCallError after the batches already yielded.
 */
export class CloudWatchFlowLogSource implements FlowLogSource {
  readonly name: string;
  private readonly format: FlowFormat;
  private readonly rejects: RejectCounter;
  private readonly padMs: number;

  constructor(
    private readonly logs: CloudWatchLogsClient,
    private readonly logGroupName: string,
    formatOrOptions: FlowFormat | CloudWatchFlowLogOptions = {},
    rejects?: RejectCounter,
  ) {
    const opts: CloudWatchFlowLogOptions =
      'fields' in formatOrOptions
        ? { format: formatOrOptions as FlowFormat }
        : (formatOrOptions as CloudWatchFlowLogOptions);
    this.format = opts.format ?? DEFAULT_FLOW_FORMAT;
    this.rejects = opts.rejects ?? rejects ?? new RejectCounter();
    this.padMs = (opts.aggregationSeconds ?? DEFAULT_AGGREGATION_SECONDS) * 1000;
    this.name = `cloudwatch-logs:${logGroupName}`;
  }

  /** A source for a flow log discovery found: its log group, format and aggregation interval. */
  static fromFlowLog(
    logs: CloudWatchLogsClient,
    flowLog: FlowLogConfig,
    rejects?: RejectCounter,
  ): CloudWatchFlowLogSource {
    if (flowLog.destinationType !== 'cloud-watch-logs' || !flowLog.destination) {
      throw new UserInputError(
        'FLOW_LOG_NOT_CLOUDWATCH',
        `flow log ${flowLog.flowLogId} delivers to ${flowLog.destinationType}, not to a CloudWatch Logs group`,
      );
    }
    const format = flowLog.logFormat ? parseFlowFormat(flowLog.logFormat) : null;
    if (format && !format.ok) {
      throw new UserInputError('BAD_FLOW_FORMAT', `flow log ${flowLog.flowLogId}: ${format.error.message}`);
    }
    return new CloudWatchFlowLogSource(logs, flowLog.destination, {
      ...(format ? { format: format.value } : {}),
      ...(rejects ? { rejects } : {}),
      ...(flowLog.maxAggregationInterval ? { aggregationSeconds: flowLog.maxAggregationInterval } : {}),
    });
  }

  async *findFlows(query: FlowQuery): AsyncIterable<FlowRecord[]> {
    const enis = [...new Set(query.eniIds ?? [])].filter((e) => /^eni-[0-9a-z]+$/.test(e));
    const prefixes: (string | undefined)[] =
      enis.length > 0 && enis.length <= MAX_ENI_PREFIXES ? enis : [undefined];
    const seen = new Set<string>();
    for (const prefix of prefixes) {
      for (const pattern of flowFilterPatterns(query.addresses)) {
        const batch = flowEventBatch(this.format, this.name, this.rejects, seen);
        const pages = paginateFilterLogEvents(
          { client: this.logs },
          {
            logGroupName: this.logGroupName,
            startTime: query.window.from.getTime() - this.padMs,
            endTime: query.window.to.getTime(),
            ...(pattern ? { filterPattern: pattern } : {}),
            ...(prefix ? { logStreamNamePrefix: prefix } : {}),
          },
        );
        try {
          for await (const page of pages) {
            for (const ev of page.events ?? []) batch.push(ev.eventId, ev.message);
            if (batch.records.length > 0) yield batch.records.splice(0, batch.records.length);
          }
        } catch (e) {
          throw new AwsCallError(`CloudWatch Logs FilterLogEvents ${this.logGroupName}`, e);
        }
      }
    }
  }
}
