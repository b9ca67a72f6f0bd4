import {
  AthenaClient,
  GetQueryExecutionCommand,
  type GetQueryExecutionCommandOutput,
  GetQueryResultsCommand,
  type QueryExecutionState,
  type QueryExecutionStatus,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AthenaQueryError, runAthenaQuery } from '../../functions/aws/athena-query.js';
import { awsClientConfig } from '../../functions/aws/retry.js';
import { fakeHttp, TEST_CREDENTIALS, underFakeClock } from './aws-fakes.js';

const athena = mockClient(AthenaClient);
const client = new AthenaClient({ region: 'eu-west-1', credentials: TEST_CREDENTIALS });
const sleeps: number[] = [];
const opts = {
  workgroup: 'pathguard',
  maxBytesScanned: 50_000_000,
  sleep: async (ms: number) => {
    sleeps.push(ms);
  },
};

const row = (...v: (string | undefined)[]) => ({
  Data: v.map((x) => (x === undefined ? {} : { VarCharValue: x })),
});
const execution = (
  State: QueryExecutionState,
  DataScannedInBytes = 1000,
  extra: Partial<QueryExecutionStatus> = {},
): GetQueryExecutionCommandOutput => ({
  $metadata: {},
  QueryExecution: {
    QueryExecutionId: 'q-1',
    Status: { State, ...extra },
    Statistics: { DataScannedInBytes },
  },
});

async function drain<T, R>(g: AsyncGenerator<T[], R>): Promise<{ rows: T[]; stats: R }> {
  const rows: T[] = [];
  for (;;) {
    const n = await g.next();
    if (n.done) return { rows, stats: n.value };
    rows.push(...n.value);
  }
}

beforeEach(() => {
  athena.reset();
  sleeps.length = 0;
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
});

describe('runAthenaQuery', () => {
  it('starts in the workgroup, polls with a growing interval, pages the results and drops the header', async () => {
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce(execution('QUEUED', 0))
      .resolvesOnce(execution('RUNNING', 10))
      .resolvesOnce(execution('RUNNING', 10))
      .resolves(execution('SUCCEEDED', 4242));
    athena
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', MaxResults: 2 })
      .resolves({ ResultSet: { Rows: [row('a', 'b'), row('1', undefined), row('2', 'x')] }, NextToken: 't1' })
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', MaxResults: 2, NextToken: 't1' })
      .resolves({ ResultSet: { Rows: [row('3', 'y')] } });
    const { rows, stats } = await drain(
      runAthenaQuery(client, 'SELECT 1', ['a', 'b'], {
        ...opts,
        outputLocation: 's3://out/pg/',
        pageSize: 2,
      }),
    );
    expect(rows).toEqual([
      ['1', null],
      ['2', 'x'],
      ['3', 'y'],
    ]);
    expect(stats).toEqual({ queryExecutionId: 'q-1', bytesScanned: 4242 });
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input).toEqual({
      QueryString: 'SELECT 1',
      WorkGroup: 'pathguard',
      ResultConfiguration: { OutputLocation: 's3://out/pg/' },
    });
    expect(sleeps).toEqual([250, 500, 1000]);
  });

  it('FAILED and CANCELLED are errors naming the state, the reason, the category and the query', async () => {
    athena.on(GetQueryExecutionCommand).resolves(
      execution('FAILED', 0, {
        StateChangeReason: "TABLE_NOT_FOUND: Table 'pathguard.flow_logs' does not exist",
        AthenaError: { ErrorCategory: 2, ErrorType: 1301 },
      }),
    );
    const failed = drain(runAthenaQuery(client, 'SELECT 1', ['a'], opts));
    await expect(failed).rejects.toBeInstanceOf(AthenaQueryError);
    await expect(failed).rejects.toMatchObject({
      code: 'ATHENA_QUERY_FAILED',
      message: expect.stringMatching(/FAILED: TABLE_NOT_FOUND.*\(user error, type 1301\) \(query q-1\)/),
    });
    athena
      .on(GetQueryExecutionCommand)
      .resolves(execution('CANCELLED', 0, { StateChangeReason: 'Query cancelled by user' }));
    await expect(drain(runAthenaQuery(client, 'SELECT 1', ['a'], opts))).rejects.toMatchObject({
      code: 'ATHENA_QUERY_CANCELLED',
    });
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
  });

  it('stops a running query past the bytes-scanned cutoff and reports it; a finished one is not read', async () => {
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce(execution('RUNNING', 10))
      .resolves(execution('RUNNING', 60_000_000));
    athena.on(StopQueryExecutionCommand).resolves({});
    await expect(drain(runAthenaQuery(client, 'SELECT 1', ['a'], opts))).rejects.toMatchObject({
      code: 'ATHENA_SCAN_LIMIT',
      context: { bytesScanned: 60_000_000, maxBytesScanned: 50_000_000, queryExecutionId: 'q-1' },
      message: expect.stringMatching(/over the cutoff.*stopped/),
    });
    expect(athena.commandCalls(StopQueryExecutionCommand)[0]!.args[0].input).toEqual({
      QueryExecutionId: 'q-1',
    });
    athena.reset();
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED', 60_000_000));
    await expect(drain(runAthenaQuery(client, 'SELECT 1', ['a'], opts))).rejects.toMatchObject({
      code: 'ATHENA_SCAN_LIMIT',
    });
    expect(athena.commandCalls(StopQueryExecutionCommand)).toHaveLength(0);
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
  });

  it('stops a query still running at the timeout', async () => {
    let t = 0;
    athena.on(GetQueryExecutionCommand).resolves(execution('RUNNING', 10));
    athena.on(StopQueryExecutionCommand).resolves({});
    const g = runAthenaQuery(client, 'SELECT 1', ['a'], {
      ...opts,
      timeoutMs: 1000,
      now: () => t,
      sleep: async (ms) => {
        t += ms;
      },
    });
    await expect(drain(g)).rejects.toMatchObject({ code: 'ATHENA_QUERY_TIMEOUT' });
    expect(athena.commandCalls(StopQueryExecutionCommand)).toHaveLength(1);
  });

  it('refuses results whose columns are not the ones asked for', async () => {
    athena.on(GetQueryExecutionCommand).resolves(execution('SUCCEEDED'));
    athena.on(GetQueryResultsCommand).resolves({ ResultSet: { Rows: [row('b', 'a'), row('1', '2')] } });
    await expect(drain(runAthenaQuery(client, 'SELECT 1', ['a', 'b'], opts))).rejects.toMatchObject({
      code: 'ATHENA_BAD_RESULT',
    });
  });
});

describe('runAthenaQuery over the SDK retry strategy', () => {
  it('retries TooManyRequestsException (throttling) on every call and goes on', async () => {
    athena.restore();
    const json = (body: unknown, status = 200) => ({
      status,
      headers: { 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify(body),
    });
    let calls = 0;
    const http = fakeHttp((r) => {
      calls++;
      // Every other request is throttled once.
      if (calls % 2 === 1) return json({ __type: 'TooManyRequestsException', message: 'Rate exceeded' }, 400);
      const target = r.headers['x-amz-target'] ?? '';
      if (target.endsWith('StartQueryExecution')) return json({ QueryExecutionId: 'q-9' });
      if (target.endsWith('GetQueryExecution'))
        return json({
          QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 5 } },
        });
      return json({ ResultSet: { Rows: [row('a'), row('1')] } });
    });
    const real = new AthenaClient({
      region: 'eu-west-1',
      credentials: TEST_CREDENTIALS,
      ...awsClientConfig({ maxAttempts: 3 }),
      requestHandler: http.handler,
    } as never);
    const { rows } = await underFakeClock(() => drain(runAthenaQuery(real, 'SELECT 1', ['a'], opts)));
    expect(rows).toEqual([['1']]);
    expect(http.requests).toHaveLength(6);
    mockClient(AthenaClient);
  });
});
