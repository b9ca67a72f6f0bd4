import type { AthenaClient } from '@aws-sdk/client-athena';
import { type FlowTableSpec, flowColumn, flowSelectSql } from '../../shared/athena/flow-table.js';
import { FlowLogStreamParser } from '../../shared/flow-logs/index.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import type { FlowLogSource, FlowQuery } from '../../shared/ports/index.js';
import { parseError } from '../../shared/result.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { type AthenaQueryOptions, type AthenaQueryStats, runAthenaQuery } from './athena-query.js';

export interface AthenaFlowLogOptions extends AthenaQueryOptions {
  /** Accounts whose folders the table reads (the injected `log_account` values). */
  accounts: readonly string[];
  /** The Region of the flow logs (the injected `log_region` value). */
  region: string;
  rejects?: RejectCounter;
  /** Called with each finished query's statistics (bytes scanned), for the run's metrics. */
  onQuery?: (stats: AthenaQueryStats) => void;
}

/**
 * Flow logs in S3, read through Athena: one query per {@link FlowQuery}
 * (shared/athena/flow-table.ts: the window's folders, the overlap, the addresses or ENIs). Each
 * row goes back to the text line the flow log wrote (`-` for NULL, fields in the format's order)
 * and through the same parser as the direct reader, so a record reaches the correlator with the
 * same values, types and meaning checks whichever engine read it, and a bad row is counted in
 * `rejects` the same way.
 */
export class AthenaFlowLogSource implements FlowLogSource {
  readonly name: string;
  private readonly rejects: RejectCounter;
  private readonly columns: string[];

  constructor(
    private readonly client: AthenaClient,
    private readonly spec: FlowTableSpec,
    private readonly opts: AthenaFlowLogOptions,
  ) {
    this.name = `athena:${spec.database}.${spec.table}`;
    this.rejects = opts.rejects ?? new RejectCounter();
    this.columns = spec.format.fields.map((f) => flowColumn(f.name));
  }

  async *findFlows(query: FlowQuery): AsyncIterable<FlowRecord[]> {
    const sql = flowSelectSql(this.spec, { accounts: this.opts.accounts, region: this.opts.region, query });
    const batch: FlowRecord[] = [];
    const parser = new FlowLogStreamParser({
      format: this.spec.format,
      source: this.name,
      rejects: this.rejects,
      onRecord: (r) => batch.push(r),
    });
    const rows = runAthenaQuery(this.client, sql, this.columns, this.opts);
    let row = 0;
    for (;;) {
      const page = await rows.next();
      if (page.done) {
        this.opts.onQuery?.(page.value);
        break;
      }
      for (const values of page.value) {
        row++;
        const line = flowLine(values);
        if (line === null) {
          this.rejects.add(
            this.name,
            row,
            parseError('BAD_FORMAT', 'a value holds a blank: not a flow-log field'),
          );
          continue;
        }
        parser.pushLine(line);
      }
      if (batch.length > 0) yield batch.splice(0, batch.length);
    }
  }
}

/** The flow-log text line of a row: values joined by one space, NULL and empty as `-`. */
export function flowLine(values: readonly (string | null)[]): string | null {
  let out = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const text = v === null || v === undefined || v === '' ? '-' : v;
    if (/\s/.test(text)) return null;
    out += i === 0 ? text : ` ${text}`;
  }
  return out;
}
