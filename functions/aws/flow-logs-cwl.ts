import { type CloudWatchLogsClient, paginateFilterLogEvents } from '@aws-sdk/client-cloudwatch-logs';
import { DEFAULT_FLOW_FORMAT, type FlowFormat, FlowLogStreamParser } from '../../shared/flow-logs/index.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import type { FlowLogSource, FlowQuery } from '../../shared/ports/index.js';
import { RejectCounter } from '../../shared/text/rejects.js';

/** FilterLogEvents takes at most 100 log stream names per call. */
const MAX_STREAMS = 100;

/**
 * Flow logs delivered to CloudWatch Logs, read narrowly: FilterLogEvents over the query's time
 * window, with a filter pattern that keeps only events mentioning one of the query's addresses,
 * and, when ENIs are known, only their log streams (flow logs name each ENI's stream after its id,
 * `eni-…-all`; we pass the ENI id as a stream-name prefix). Every page is followed; a whole log
 * group is never downloaded. Records are parsed with the flow log's own format.
 */
export class CloudWatchFlowLogSource implements FlowLogSource {
  readonly name: string;

  constructor(
    private readonly logs: CloudWatchLogsClient,
    private readonly logGroupName: string,
    private readonly format: FlowFormat = DEFAULT_FLOW_FORMAT,
    private readonly rejects?: RejectCounter,
  ) {
    this.name = `cloudwatch-logs:${logGroupName}`;
  }

  /** The filter pattern: any of the addresses as a quoted term (`?"10.0.1.5" ?"52.216.8.100"`). */
  static filterPattern(addresses: readonly string[]): string | undefined {
    const safe = [...new Set(addresses)].filter((a) => /^[0-9a-fA-F.:]+$/.test(a));
    return safe.length > 0 ? safe.map((a) => `?"${a}"`).join(' ') : undefined;
  }

  async *findFlows(query: FlowQuery): AsyncIterable<FlowRecord[]> {
    const pattern = CloudWatchFlowLogSource.filterPattern(query.addresses);
    const enis = query.eniIds ?? [];
    const streamGroups: (string | undefined)[] = [];
    // One prefix per call (FilterLogEvents takes a prefix or a list of names, not a list of prefixes).
    if (enis.length > 0 && enis.length <= MAX_STREAMS) streamGroups.push(...enis);
    else streamGroups.push(undefined);
    for (const prefix of streamGroups) {
      const batch: FlowRecord[] = [];
      const parser = new FlowLogStreamParser({
        format: this.format,
        source: this.name,
        rejects: this.rejects ?? new RejectCounter(),
        onRecord: (r) => batch.push(r),
      });
      const pages = paginateFilterLogEvents(
        { client: this.logs },
        {
          logGroupName: this.logGroupName,
          startTime: query.window.from.getTime(),
          endTime: query.window.to.getTime(),
          ...(pattern ? { filterPattern: pattern } : {}),
          ...(prefix ? { logStreamNamePrefix: prefix } : {}),
        },
      );
      for await (const page of pages) {
        for (const ev of page.events ?? []) if (ev.message) parser.pushLine(ev.message);
        if (batch.length > 0) yield batch.splice(0, batch.length);
      }
    }
  }
}
