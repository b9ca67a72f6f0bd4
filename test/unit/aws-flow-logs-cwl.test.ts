import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { describe, expect, it } from 'vitest';
import type { FlowLogConfig } from '../../functions/aws/discovery.js';
import {
  CloudWatchFlowLogSource,
  flowFilterPatterns,
  MAX_FILTER_PATTERN,
} from '../../functions/aws/flow-logs-cwl.js';
import { awsClientConfig } from '../../functions/aws/retry.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import type { FlowQuery } from '../../shared/ports/index.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import {
  type FakeAnswer,
  type FakeRequest,
  fakeHttp,
  TEST_CREDENTIALS,
  underFakeClock,
} from './aws-fakes.js';

const FORMAT =
  '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${vpc-id} ${subnet-id} ${pkt-srcaddr} ${pkt-dstaddr} ${traffic-path}';
const FLOW_LOG: FlowLogConfig = {
  flowLogId: 'fl-0a1b2c3d4e5f6a7b8',
  resourceId: 'vpc-0a60eb65b4e1f2a3b',
  destinationType: 'cloud-watch-logs',
  destination: '/vpc/flow-logs/app',
  logFormat: FORMAT,
  maxAggregationInterval: 60,
  trafficType: 'ALL',
  deliverLogsStatus: 'SUCCESS',
};
const ENI = 'eni-0lambda000e1f2a3b';

/** A record in FORMAT (values as in the AWS flow-log record examples, addresses of this test). */
function record(srcport: number, start: number, dst = '52.216.8.100', trafficPath = '7'): string {
  return `5 123456789012 ${ENI} 10.0.1.77 ${dst} ${srcport} 443 6 12 4200 ${start} ${start + 59} ACCEPT OK vpc-0a60eb65b4e1f2a3b subnet-0runner000e1f2a3b 10.0.1.77 ${dst} ${trafficPath}`;
}
/** A FilteredLogEvent as FilterLogEvents returns it. [CloudWatch Logs API Reference, FilterLogEvents] */
function event(message: string, start: number, id: string) {
  return {
    logStreamName: `${ENI}-all`,
    timestamp: start * 1000,
    message,
    ingestionTime: (start + 300) * 1000,
    eventId: id,
  };
}

type Page = { events?: unknown[]; nextToken?: string };
/**
 * FilterLogEvents over the JSON 1.1 protocol: pages by `nextToken` (a listing may open with empty
 * pages), or a script of raw answers for faults.
 */
function fakeLogs(pages: Page[] | ((input: Record<string, unknown>, r: FakeRequest) => FakeAnswer)) {
  const http = fakeHttp((r) => {
    const input = JSON.parse(r.body) as Record<string, unknown>;
    if (typeof pages === 'function') return pages(input, r);
    const i = input.nextToken ? Number(String(input.nextToken).slice(1)) : 0;
    const page = pages[i] ?? {};
    return {
      status: 200,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `req-${i}` },
      body: JSON.stringify({ ...page, searchedLogStreams: [] }),
    };
  });
  const client = new CloudWatchLogsClient({
    region: 'us-east-1',
    credentials: TEST_CREDENTIALS,
    ...awsClientConfig({ maxAttempts: 3 }),
    requestHandler: http.handler,
  });
  const inputs = () => http.requests.map((r) => JSON.parse(r.body) as Record<string, unknown>);
  return { client, requests: http.requests, inputs };
}

async function collect(src: CloudWatchFlowLogSource, q: FlowQuery): Promise<FlowRecord[]> {
  const out: FlowRecord[] = [];
  for await (const b of src.findFlows(q)) out.push(...b);
  return out;
}

const T0 = 1_764_064_800; // 2025-11-25T10:00:00Z
const query: FlowQuery = {
  window: { from: new Date(T0 * 1000), to: new Date((T0 + 300) * 1000) },
  addresses: ['10.0.1.77', '52.216.8.100', 'x"; drop'],
  eniIds: [ENI],
};

describe('CloudWatchFlowLogSource', () => {
  it("asks only for the window, the addresses and the ENI's streams, follows nextToken, parses with the flow log's format", async () => {
    const { client, requests, inputs } = fakeLogs([
      { events: [], nextToken: 'p1' },
      {
        events: [event(record(40001, T0), T0, '3113262927494551977980532285720370000000000000000001')],
        nextToken: 'p2',
      },
      {
        events: [
          event(record(40002, T0 + 60), T0 + 60, '3113262927494551977980532285720370000000000000000002'),
          event('5 123456789012 garbage', T0 + 61, '3113262927494551977980532285720370000000000000000003'),
        ],
      },
    ]);
    const rejects = new RejectCounter();
    const src = CloudWatchFlowLogSource.fromFlowLog(client, FLOW_LOG, rejects);
    const out = await collect(src, query);
    expect(out.map((r) => [r.srcport, r.pktDstaddr, r.trafficPath])).toEqual([
      [40001, '52.216.8.100', 7],
      [40002, '52.216.8.100', 7],
    ]);
    expect(rejects.count).toBe(1);
    expect(requests).toHaveLength(3);
    expect(requests[0]!.headers['x-amz-target']).toBe('Logs_20140328.FilterLogEvents');
    expect(inputs()[0]).toEqual({
      logGroupName: '/vpc/flow-logs/app',
      // An event is stamped with its record's start: one aggregation interval (60 s) earlier.
      startTime: (T0 - 60) * 1000,
      endTime: (T0 + 300) * 1000,
      filterPattern: '?"10.0.1.77" ?"52.216.8.100"',
      logStreamNamePrefix: ENI,
    });
    expect(inputs().map((i) => i.nextToken)).toEqual([undefined, 'p1', 'p2']);
  });

  it('splits many addresses into patterns of at most 1024 characters, reading an event once', async () => {
    const addresses = Array.from({ length: 80 }, (_, i) => `2600:1f18:4b1:ab01::${(i + 1).toString(16)}`);
    const patterns = flowFilterPatterns(addresses);
    expect(patterns.length).toBeGreaterThan(1);
    for (const p of patterns) expect(p!.length).toBeLessThanOrEqual(MAX_FILTER_PATTERN);
    expect(patterns.join(' ').match(/\?"[^"]+"/g)).toHaveLength(80);
    // Every listing returns the same event: it is parsed once.
    const same = event(record(40001, T0), T0, '1');
    const { client, inputs } = fakeLogs(() => ({
      status: 200,
      headers: { 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify({ events: [same] }),
    }));
    const out = await collect(CloudWatchFlowLogSource.fromFlowLog(client, FLOW_LOG), {
      ...query,
      addresses,
      eniIds: [ENI, 'eni-0lambda000e1f2a3c'],
    });
    expect(out).toHaveLength(1);
    expect(inputs()).toHaveLength(2 * patterns.length);
    expect(new Set(inputs().map((i) => i.logStreamNamePrefix))).toEqual(
      new Set([ENI, 'eni-0lambda000e1f2a3c']),
    );
  });

  it('reads every stream of the window when no ENI is known, still narrowed by address', async () => {
    const { client, inputs } = fakeLogs([{ events: [] }]);
    await collect(new CloudWatchFlowLogSource(client, '/vpc/flow-logs/app'), { ...query, eniIds: [] });
    expect(inputs()[0]).not.toHaveProperty('logStreamNamePrefix');
    expect(inputs()[0]).toMatchObject({
      filterPattern: '?"10.0.1.77" ?"52.216.8.100"',
      startTime: (T0 - 600) * 1000,
    });
  });

  it('is retried by the client on ThrottlingException, then continues the listing', async () => {
    let n = 0;
    const { client, requests } = fakeLogs((input) => {
      n++;
      if (n === 2)
        return {
          status: 400,
          headers: { 'content-type': 'application/x-amz-json-1.1' },
          body: JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }),
        };
      return {
        status: 200,
        headers: { 'content-type': 'application/x-amz-json-1.1' },
        body: JSON.stringify(
          input.nextToken
            ? { events: [event(record(40002, T0 + 60), T0 + 60, 'b')] }
            : { events: [event(record(40001, T0), T0, 'a')], nextToken: 'p1' },
        ),
      };
    });
    const out = await underFakeClock(() =>
      collect(CloudWatchFlowLogSource.fromFlowLog(client, FLOW_LOG), query),
    );
    expect(out.map((r) => r.srcport)).toEqual([40001, 40002]);
    expect(requests).toHaveLength(3);
  });

  it('yields what it read, then fails naming the log group when the service keeps failing', async () => {
    let n = 0;
    const { client, requests } = fakeLogs(() => {
      n++;
      if (n === 1)
        return {
          status: 200,
          headers: { 'content-type': 'application/x-amz-json-1.1' },
          body: JSON.stringify({ events: [event(record(40001, T0), T0, 'a')], nextToken: 'p1' }),
        };
      return {
        status: 503,
        headers: { 'content-type': 'application/x-amz-json-1.1' },
        body: JSON.stringify({
          __type: 'ServiceUnavailableException',
          message: 'The service is unavailable.',
        }),
      };
    });
    const got: number[] = [];
    const err = await underFakeClock(async () => {
      for await (const b of CloudWatchFlowLogSource.fromFlowLog(client, FLOW_LOG).findFlows(query))
        got.push(...b.map((r) => r.srcport ?? 0));
    }).catch((e: unknown) => e);
    expect(got).toEqual([40001]);
    expect((err as Error).message).toMatch(
      /^CloudWatch Logs FilterLogEvents \/vpc\/flow-logs\/app failed: ServiceUnavailableException: The service is unavailable\. \(HTTP 503, after 3 attempts/,
    );
    expect(requests).toHaveLength(4);
  });

  it('builds from a discovered flow log, and refuses one that is not delivered to CloudWatch Logs', () => {
    const { client } = fakeLogs([]);
    expect(CloudWatchFlowLogSource.fromFlowLog(client, FLOW_LOG).name).toBe(
      'cloudwatch-logs:/vpc/flow-logs/app',
    );
    expect(() =>
      CloudWatchFlowLogSource.fromFlowLog(client, {
        ...FLOW_LOG,
        destinationType: 's3',
        destination: 'arn:aws:s3:::flow-logs-bucket/app/',
      }),
    ).toThrow('delivers to s3, not to a CloudWatch Logs group');
    expect(() =>
      CloudWatchFlowLogSource.fromFlowLog(client, { ...FLOW_LOG, logFormat: '${version} ${bad field' }),
    ).toThrow(/BAD_FLOW_FORMAT|flow log fl-0a1b2c3d4e5f6a7b8/);
  });
});
