/**
 * Runs one Athena query to its rows: StartQueryExecution in the configured workgroup, then
 * GetQueryExecution polled with a growing interval until the query leaves QUEUED/RUNNING, then
 * GetQueryResults page by page.
 *
 * - FAILED and CANCELLED end in an {@link AthenaQueryError} naming the state, Athena's reason and
 *   error category, and the query execution id (to find it in the console).
 * - The bytes-scanned cutoff is PathGuard's own, checked on every poll: a running query past it is
 *   stopped (StopQueryExecution) and reported; a finished one past it is reported too, its rows
 *   unread (the cutoff is what the user agreed to pay for a run). A workgroup may enforce its own
 *   `BytesScannedCutoffPerQuery` as well: Athena then cancels the query, reported as CANCELLED.
 * - Throttling (`TooManyRequestsException`, `ThrottlingException`) and 5xx are retried by the
 *   client (./retry.ts, adaptive mode); what still fails is an AwsCallError naming the call.
 * - The results are encrypted as the workgroup says; `outputLocation` is sent only when given
 *   (a workgroup that enforces its settings overrides it anyway).
 */
import {
  type AthenaClient,
  GetQueryExecutionCommand,
  type GetQueryExecutionCommandOutput,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { PathGuardError } from '../../shared/errors.js';
import { sendNamed } from './retry.js';

/** Athena's own states (QueryExecutionState). */
const RUNNING = new Set(['QUEUED', 'RUNNING']);

export type AthenaQueryErrorCode =
  | 'ATHENA_QUERY_FAILED'
  | 'ATHENA_QUERY_CANCELLED'
  | 'ATHENA_SCAN_LIMIT'
  | 'ATHENA_QUERY_TIMEOUT'
  | 'ATHENA_BAD_RESULT';

/** A query that did not give its rows. A fault of the run, never "no evidence found". */
export class AthenaQueryError extends PathGuardError {
  constructor(
    code: AthenaQueryErrorCode,
    message: string,
    readonly queryExecutionId: string,
    context: Record<string, unknown> = {},
  ) {
    super(code, `${message} (query ${queryExecutionId})`, { queryExecutionId, ...context });
  }
}

export interface AthenaQueryOptions {
  workgroup: string;
  /** `s3://…/` for the results when the workgroup sets none. */
  outputLocation?: string;
  /** Bytes a query may scan; past it the query is stopped and reported. */
  maxBytesScanned: number;
  /** First poll interval, doubled each poll up to `maxPollMs`. @default 250 */
  firstPollMs?: number;
  /** @default 5000 */
  maxPollMs?: number;
  /** Give up (and stop the query) after this long. @default 600000 */
  timeoutMs?: number;
  /** Rows per GetQueryResults page (Athena allows at most 1000). @default 1000 */
  pageSize?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** What a finished query reports beside its rows. */
export interface AthenaQueryStats {
  queryExecutionId: string;
  bytesScanned: number;
}

/** A row: the column values as Athena returns them (text), null for SQL NULL. */
export type AthenaRow = (string | null)[];

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Runs `sql` and yields its rows in pages (the header row dropped, columns checked against
 * `columns`), then returns the statistics.
 *
 * @example
 * for await (const rows of runAthenaQuery(athena, sql, ['srcaddr'], { workgroup: 'pathguard', maxBytesScanned: 1e9 })) use(rows);
 */
export async function* runAthenaQuery(
  client: AthenaClient,
  sql: string,
  columns: readonly string[],
  opts: AthenaQueryOptions,
): AsyncGenerator<AthenaRow[], AthenaQueryStats> {
  const start = await sendNamed(`Athena StartQueryExecution in workgroup ${opts.workgroup}`, () =>
    client.send(
      new StartQueryExecutionCommand({
        QueryString: sql,
        WorkGroup: opts.workgroup,
        ...(opts.outputLocation ? { ResultConfiguration: { OutputLocation: opts.outputLocation } } : {}),
      }),
    ),
  );
  const id = start.QueryExecutionId;
  if (!id) throw new AthenaQueryError('ATHENA_BAD_RESULT', 'StartQueryExecution returned no id', '-');
  const bytesScanned = await waitForQuery(client, id, opts);
  yield* readResults(client, id, columns, opts.pageSize ?? 1000);
  return { queryExecutionId: id, bytesScanned };
}

/** Polls until the query succeeded (returns the bytes scanned) or throws why it did not. */
async function waitForQuery(client: AthenaClient, id: string, opts: AthenaQueryOptions): Promise<number> {
  const sleep = opts.sleep ?? realSleep;
  const now = opts.now ?? Date.now;
  const deadline = now() + (opts.timeoutMs ?? 600_000);
  let wait = opts.firstPollMs ?? 250;
  for (;;) {
    const out = await sendNamed(`Athena GetQueryExecution ${id}`, () =>
      client.send(new GetQueryExecutionCommand({ QueryExecutionId: id })),
    );
    const state = out.QueryExecution?.Status?.State ?? 'UNKNOWN';
    const scanned = out.QueryExecution?.Statistics?.DataScannedInBytes ?? 0;
    if (scanned > opts.maxBytesScanned) {
      if (RUNNING.has(state)) await stopQuery(client, id);
      throw new AthenaQueryError(
        'ATHENA_SCAN_LIMIT',
        `query scanned ${scanned} bytes, over the cutoff of ${opts.maxBytesScanned} (evidence.*.athena.maxBytesScanned); ${RUNNING.has(state) ? 'stopped' : 'its rows were not read'}`,
        id,
        { bytesScanned: scanned, maxBytesScanned: opts.maxBytesScanned },
      );
    }
    if (state === 'SUCCEEDED') return scanned;
    if (!RUNNING.has(state)) throw failure(id, state, out);
    if (now() >= deadline) {
      await stopQuery(client, id);
      throw new AthenaQueryError(
        'ATHENA_QUERY_TIMEOUT',
        `query still ${state} after ${opts.timeoutMs ?? 600_000} ms; stopped`,
        id,
      );
    }
    await sleep(wait);
    wait = Math.min(wait * 2, opts.maxPollMs ?? 5000);
  }
}

function failure(id: string, state: string, out: GetQueryExecutionCommandOutput): AthenaQueryError {
  const status = out.QueryExecution?.Status;
  const reason = status?.StateChangeReason ?? 'no reason given';
  const err = status?.AthenaError;
  const category =
    err?.ErrorCategory === 1
      ? 'system'
      : err?.ErrorCategory === 2
        ? 'user'
        : err?.ErrorCategory === 3
          ? 'other'
          : null;
  const detail = [
    category ? `${category} error` : null,
    err?.ErrorType !== undefined ? `type ${err.ErrorType}` : null,
  ]
    .filter(Boolean)
    .join(', ');
  return new AthenaQueryError(
    state === 'CANCELLED' ? 'ATHENA_QUERY_CANCELLED' : 'ATHENA_QUERY_FAILED',
    `query ${state}: ${reason}${detail ? ` (${detail})` : ''}`,
    id,
    { state, reason, errorCategory: err?.ErrorCategory, errorType: err?.ErrorType },
  );
}

async function stopQuery(client: AthenaClient, id: string): Promise<void> {
  await sendNamed(`Athena StopQueryExecution ${id}`, () =>
    client.send(new StopQueryExecutionCommand({ QueryExecutionId: id })),
  );
}

/** Every page of GetQueryResults, the header row (first row of the first page) checked and dropped. */
async function* readResults(
  client: AthenaClient,
  id: string,
  columns: readonly string[],
  pageSize: number,
): AsyncGenerator<AthenaRow[]> {
  let token: string | undefined;
  let first = true;
  do {
    const page = await sendNamed(`Athena GetQueryResults ${id}`, () =>
      client.send(
        new GetQueryResultsCommand({
          QueryExecutionId: id,
          MaxResults: pageSize,
          ...(token ? { NextToken: token } : {}),
        }),
      ),
    );
    const rows: AthenaRow[] = (page.ResultSet?.Rows ?? []).map((r) =>
      (r.Data ?? []).map((d) => d.VarCharValue ?? null),
    );
    if (first) {
      const header = rows.shift();
      if (!header || header.length !== columns.length || header.some((h, i) => h !== columns[i])) {
        throw new AthenaQueryError(
          'ATHENA_BAD_RESULT',
          `result columns ${JSON.stringify(header ?? [])} are not the ones asked for`,
          id,
        );
      }
      first = false;
    }
    if (rows.length > 0) yield rows;
    token = page.NextToken;
  } while (token);
}
