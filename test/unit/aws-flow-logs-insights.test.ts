import {
  CloudWatchLogsClient,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  type QueryStatus,
  StartQueryCommand,
  type StartQueryCommandInput,
  StopQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { InsightsFlowLogSource, insightsQueryString } from '../../functions/aws/flow-logs-insights.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';

const logs = mockClient(CloudWatchLogsClient);
afterAll(() => logs.restore());
const client = new CloudWatchLogsClient({ region: 'eu-west-1' });
const T0 = 1_796_300_000;
const ENI = 'eni-04a1b2c3d4e5f6a7b';
const line = (port: number, t: number) =>
  `2 111122223333 ${ENI} 10.0.1.15 52.216.8.100 ${port} 443 6 9 1317 ${t} ${t + 58} ACCEPT OK`;
const query = {
  window: { from: new Date(T0 * 1000), to: new Date((T0 + 300) * 1000) },
  addresses: ['10.0.1.15', '52.216.8.100', 'not-an-ip"|x'],
  eniIds: [ENI],
};
const opts = { sleep: async () => {} };
const result = (status: QueryStatus, rows: [string, string][] = []): GetQueryResultsCommandOutput => ({
  $metadata: {},
  status,
  results: rows.map(([msg, ptr]) => [
    { field: '@message', value: msg },
    { field: '@ptr', value: ptr },
  ]),
});

async function collect(src: InsightsFlowLogSource, q = query): Promise<FlowRecord[]> {
  const out: FlowRecord[] = [];
  for await (const b of src.findFlows(q)) out.push(...b);
  return out;
}

beforeEach(() => {
  logs.reset();
  logs.on(StartQueryCommand).resolves({ queryId: 'iq-1' });
});

describe('CloudWatch Logs Insights flow-log engine', () => {
  it('queries the window (less one aggregation interval) for the addresses, polls until Complete, parses the messages', async () => {
    logs
      .on(GetQueryResultsCommand)
      .resolvesOnce(result('Scheduled'))
      .resolvesOnce(result('Running'))
      .resolves(
        result('Complete', [
          [line(40001, T0), 'p1'],
          [line(40002, T0 + 60), 'p2'],
          ['not a flow record', 'p3'],
        ]),
      );
    const rejects = new RejectCounter();
    const out = await collect(new InsightsFlowLogSource(client, '/vpc/flow', { ...opts, rejects }));
    expect(out.map((r) => r.srcport)).toEqual([40001, 40002]);
    expect(rejects.count).toBe(1);
    const input = logs.commandCalls(StartQueryCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      logGroupName: '/vpc/flow',
      startTime: T0 - 600,
      endTime: T0 + 300,
      limit: 10_000,
    });
    // Only address characters reach the query string.
    expect(input.queryString).toBe(
      [
        'fields @timestamp, @message, @ptr',
        '| filter @message like "10.0.1.15" or @message like "52.216.8.100"',
        `| filter @logStream like "${ENI}"`,
        '| limit 10000',
      ].join('\n'),
    );
    expect(logs.commandCalls(GetQueryResultsCommand)).toHaveLength(3);
  });

  it('Failed, Cancelled and Timeout end the read with an error naming the query and the status', async () => {
    for (const status of ['Failed', 'Cancelled', 'Timeout'] as const) {
      logs.on(GetQueryResultsCommand).resolves(result(status));
      await expect(collect(new InsightsFlowLogSource(client, '/vpc/flow', opts))).rejects.toMatchObject({
        code: 'INSIGHTS_QUERY_FAILED',
        message: `/vpc/flow: Logs Insights query iq-1 ended ${status}`,
      });
    }
  });

  it('splits a full answer (the row limit) into two half windows, reading each event once', async () => {
    let n = 0;
    logs.on(StartQueryCommand).callsFake((input: StartQueryCommandInput) => ({
      queryId: `iq-${++n}-${input.startTime}-${input.endTime}`,
    }));
    logs.on(GetQueryResultsCommand).callsFake(({ queryId }: { queryId: string }) => {
      // The whole window is full (3 rows at limit 3); each half is not, and they share event p2.
      if (queryId.startsWith('iq-1-'))
        return result('Complete', [
          [line(1, T0), 'p1'],
          [line(2, T0), 'p2'],
          [line(3, T0), 'p3'],
        ]);
      if (queryId.startsWith('iq-2-'))
        return result('Complete', [
          [line(1, T0), 'p1'],
          [line(2, T0), 'p2'],
        ]);
      return result('Complete', [
        [line(2, T0), 'p2'],
        [line(3, T0), 'p3'],
      ]);
    });
    const out = await collect(new InsightsFlowLogSource(client, '/vpc/flow', { ...opts, limit: 3 }));
    expect(out.map((r) => r.srcport)).toEqual([1, 2, 3]);
    const windows = logs
      .commandCalls(StartQueryCommand)
      .map((c) => [c.args[0].input.startTime, c.args[0].input.endTime]);
    const mid = Math.floor((T0 - 600 + T0 + 300) / 2);
    expect(windows).toEqual([
      [T0 - 600, T0 + 300],
      [T0 - 600, mid],
      [mid + 1, T0 + 300],
    ]);
  });

  it('reports a window that cannot be split further instead of dropping events', async () => {
    logs.on(GetQueryResultsCommand).resolves(result('Complete', [[line(1, T0), 'p1']]));
    await expect(
      collect(new InsightsFlowLogSource(client, '/vpc/flow', { ...opts, limit: 1, minWindowSeconds: 600 })),
    ).rejects.toMatchObject({ code: 'INSIGHTS_TRUNCATED' });
  });

  it('stops a query still running at its timeout', async () => {
    let t = 0;
    logs.on(GetQueryResultsCommand).resolves(result('Running'));
    logs.on(StopQueryCommand).resolves({ success: true });
    const src = new InsightsFlowLogSource(client, '/vpc/flow', {
      timeoutMs: 2000,
      now: () => t,
      sleep: async (ms) => {
        t += ms;
      },
    });
    await expect(collect(src)).rejects.toMatchObject({ code: 'INSIGHTS_TIMEOUT' });
    expect(logs.commandCalls(StopQueryCommand)[0]!.args[0].input).toEqual({ queryId: 'iq-1' });
  });

  it('sends no query when there is no address to look for', async () => {
    expect(
      await collect(new InsightsFlowLogSource(client, '/vpc/flow', opts), { ...query, addresses: ['x"y'] }),
    ).toEqual([]);
    expect(logs.commandCalls(StartQueryCommand)).toHaveLength(0);
    expect(insightsQueryString({ ...query, eniIds: [] }, 5)).not.toContain('@logStream');
  });
});
