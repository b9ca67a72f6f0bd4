import { gzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { FlowLogConfig } from '../../functions/aws/discovery.js';
import {
  flowFileTime,
  flowLogPrefixes,
  S3FlowLogSource,
  s3FlowLogLocation,
} from '../../functions/aws/flow-logs-s3.js';
import { ObjectChangedError } from '../../functions/aws/s3-object-stream.js';
import { writeFlowParquet } from '../../functions/lab/flow-parquet-writer.js';
import { FlowLogStreamParser, parseFlowLogText } from '../../shared/flow-logs/index.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { connReset, s3Body } from './aws-fakes.js';

const s3 = mockClient(S3Client);
beforeEach(() => s3.reset());

const loc = { bucket: 'flow-logs-bucket', prefix: 'app/', accountId: '123456789012', region: 'us-east-1' };
const HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status traffic-path pkt-dstaddr';
/** Records of the window 2026-11-25T10:00Z, one per source port. */
function records(n: number, from = 40000): string {
  const t = Date.UTC(2026, 10, 25, 10, 0) / 1000;
  return Array.from(
    { length: n },
    (_, i) =>
      `5 123456789012 eni-0lambda000e1f2a3b 10.0.1.77 52.216.8.100 ${from + i} 443 6 10 840 ${t} ${t + 59} ACCEPT OK 7 52.216.8.100`,
  ).join('\n');
}
/** File names as AWS writes them. [VPC User Guide, flow-logs-s3-path: "Flow log files"] */
const file = (prefix: string, hhmm: string, day = '20261125') =>
  `${prefix}123456789012_vpcflowlogs_us-east-1_fl-0s3000000000000b1_${day}T${hhmm}Z_fe123456.log.gz`;

/** The records of a text body (with HEADER) as AWS would deliver them in Parquet. */
function parquetOf(lines: string): Uint8Array {
  const rejects = new RejectCounter();
  const parser = new FlowLogStreamParser({ source: 't', rejects, onRecord: (r) => recs.push(r) });
  const recs: FlowRecord[] = [];
  parser.push(Buffer.from(`${HEADER}\n${lines}\n`));
  parser.end();
  return writeFlowParquet(recs, parser.format, { rowGroupSize: 1000 });
}

async function collect(src: S3FlowLogSource, from: string, to: string): Promise<FlowRecord[]> {
  const out: FlowRecord[] = [];
  for await (const b of src.findFlows({ window: { from: new Date(from), to: new Date(to) }, addresses: [] }))
    out.push(...b);
  return out;
}

describe('flow-log folders in S3', () => {
  it('names the day or hour folders of a window in the plain and Hive layouts, with an organization', () => {
    const from = new Date('2026-11-25T23:50:00Z');
    const to = new Date('2026-11-26T00:10:00Z');
    expect(flowLogPrefixes(loc, from, to)).toEqual([
      'app/AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/25/',
      'app/AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/26/',
    ]);
    expect(flowLogPrefixes({ ...loc, hive: true, hourly: true }, from, to)).toEqual([
      'app/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2026/month=11/day=25/hour=23/',
      'app/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2026/month=11/day=26/hour=00/',
    ]);
    expect(flowLogPrefixes({ ...loc, prefix: '', orgId: 'o-a1b2c3d4e5', hourly: true }, from, from)).toEqual([
      'AWSLogs/o-a1b2c3d4e5/123456789012/vpcflowlogs/us-east-1/2026/11/25/23/',
    ]);
    expect(flowFileTime(file('x/', '1620', '20180620'))).toBe(Date.UTC(2018, 5, 20, 16, 20));
    expect(flowFileTime('x/no-time.log.gz')).toBeNull();
  });

  it('takes the location from a discovered flow log', () => {
    const fl: FlowLogConfig = {
      flowLogId: 'fl-0s3000000000000b1',
      resourceId: 'subnet-0runner000e1f2a3b',
      destinationType: 's3',
      destination: 'arn:aws:s3:::flow-logs-bucket/app',
      logFormat: '',
      maxAggregationInterval: 600,
      trafficType: 'ALL',
      deliverLogsStatus: 'SUCCESS',
      s3: { fileFormat: 'plain-text', hiveCompatiblePartitions: true, perHourPartition: false },
    };
    expect(s3FlowLogLocation(fl, { accountId: '123456789012', region: 'us-east-1' })).toEqual({
      ...loc,
      hive: true,
      hourly: false,
    });
    expect(s3FlowLogLocation({ ...fl, destination: 'arn:aws:s3:::flow-logs-bucket' }, loc).prefix).toBe('');
    expect(() =>
      s3FlowLogLocation({ ...fl, destinationType: 'cloud-watch-logs', destination: '/vpc/x' }, loc),
    ).toThrow('not to S3');
  });
});

describe('S3FlowLogSource', () => {
  it('lists the widened window’s folders only, reads only files that can hold its records, by their header', async () => {
    const day25 = 'app/AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/25/';
    s3.on(ListObjectsV2Command).callsFake(async (input) => ({
      Contents:
        input.Prefix === day25
          ? [file(day25, '0945'), file(day25, '1000'), file(day25, '1015'), file(day25, '1030')].map(
              (Key) => ({ Key }),
            )
          : [],
      KeyCount: 4,
      IsTruncated: false,
    }));
    // A custom field order: the header decides the columns.
    s3.on(GetObjectCommand).callsFake(async () => ({
      ETag: '"e1"',
      Body: s3Body([gzipSync(`${HEADER}\n${records(2)}\n`)]),
    }));
    const out = await collect(
      new S3FlowLogSource(new S3Client({}), loc),
      '2026-11-25T10:00:00Z',
      '2026-11-25T10:05:00Z',
    );
    expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix)).toEqual([day25]);
    // 09:45 ended before the window could start; 10:30 starts after its records could end.
    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key)).toEqual([
      file(day25, '1000'),
      file(day25, '1015'),
    ]);
    expect(out).toHaveLength(4);
    expect(out[0]).toMatchObject({ srcport: 40000, trafficPath: 7, pktDstaddr: '52.216.8.100' });
  });

  it('resumes a download that broke off mid-way with a ranged GET pinned to the ETag', async () => {
    const gz = gzipSync(`${HEADER}\n${records(3000)}\n`);
    const cut = Math.floor(gz.length / 3);
    const key = file('app/AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/25/', '1000');
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: key }] });
    s3.on(GetObjectCommand)
      .resolvesOnce({ ETag: '"v1"', Body: s3Body([gz.subarray(0, cut)], connReset()) })
      .resolvesOnce({ ETag: '"v1"', Body: s3Body([gz.subarray(cut, cut + 10), gz.subarray(cut + 10)]) });
    const src = new S3FlowLogSource(new S3Client({}), loc, new RejectCounter(), { sleep: async () => {} });
    const out = await collect(src, '2026-11-25T10:00:00Z', '2026-11-25T10:01:00Z');
    expect(out.map((r) => r.srcport)).toEqual(Array.from({ length: 3000 }, (_, i) => 40000 + i));
    const resumed = s3.commandCalls(GetObjectCommand)[1]!.args[0].input;
    expect(resumed).toMatchObject({ Range: `bytes=${cut}-`, IfMatch: '"v1"' });
  });

  it('refuses to splice two versions of a file replaced during the download', async () => {
    const gz = gzipSync(`${HEADER}\n${records(3000)}\n`);
    s3.on(ListObjectsV2Command).resolves({
      Contents: [{ Key: file('app/AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/25/', '1000') }],
    });
    s3.on(GetObjectCommand)
      .resolvesOnce({ ETag: '"v1"', Body: s3Body([gz.subarray(0, 100)], connReset()) })
      .rejectsOnce(
        Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {
          name: 'PreconditionFailed',
          $metadata: { httpStatusCode: 412 },
        }),
      );
    const src = new S3FlowLogSource(new S3Client({}), loc, new RejectCounter(), { sleep: async () => {} });
    await expect(collect(src, '2026-11-25T10:00:00Z', '2026-11-25T10:01:00Z')).rejects.toBeInstanceOf(
      ObjectChangedError,
    );
  });

  it('gives up on a body that keeps breaking, naming the object and the byte', async () => {
    s3.on(ListObjectsV2Command).resolves({
      Contents: [{ Key: file('app/AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/25/', '1000') }],
    });
    s3.on(GetObjectCommand).callsFake(async () => ({ ETag: '"v1"', Body: s3Body([], connReset()) }));
    const src = new S3FlowLogSource(new S3Client({}), loc, new RejectCounter(), {
      sleep: async () => {},
      resumes: 2,
    });
    await expect(collect(src, '2026-11-25T10:00:00Z', '2026-11-25T10:01:00Z')).rejects.toThrow(
      /^S3 GetObject s3:\/\/flow-logs-bucket\/app\/AWSLogs\/.*fe123456\.log\.gz \(body, at byte 0\) failed: .*ECONNRESET/,
    );
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(3);
  });

  it('counts damaged gzip and Parquet files, keeps the records before the damage, reads on', async () => {
    const day = 'app/AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/25/';
    const parquet = file(day, '1000').replace('.log.gz', '.log.parquet');
    const broken = file(day, '1005');
    const good = file(day, '1010');
    s3.on(ListObjectsV2Command).resolves({ Contents: [parquet, broken, good].map((Key) => ({ Key })) });
    const whole = gzipSync(`${HEADER}\n${records(2000)}\n`);
    s3.on(GetObjectCommand, { Key: broken }).callsFake(async () => ({
      ETag: '"b"',
      Body: s3Body([whole.subarray(0, Math.floor(whole.length / 2))]),
    }));
    s3.on(GetObjectCommand, { Key: good }).callsFake(async () => ({
      ETag: '"g"',
      Body: s3Body([gzipSync(`${HEADER}\n${records(1, 50000)}\n`)]),
    }));
    // A Parquet file cut short: its footer (at the end) is missing.
    const pq = parquetOf(records(3, 60000));
    s3.on(GetObjectCommand, { Key: parquet }).callsFake(async () => ({
      ETag: '"q"',
      Body: s3Body([pq.subarray(0, pq.length - 100)]),
    }));
    const rejects = new RejectCounter();
    const out = await collect(
      new S3FlowLogSource(new S3Client({}), loc, rejects),
      '2026-11-25T10:00:00Z',
      '2026-11-25T10:02:00Z',
    );
    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key)).toEqual([
      parquet,
      broken,
      good,
    ]);
    expect(rejects.byCode).toEqual({ BAD_ENCODING: 2 });
    expect(rejects.samples[0]).toMatchObject({ source: parquet, code: 'BAD_ENCODING' });
    expect(rejects.samples[0]?.message).toMatch(/unreadable Parquet footer/);
    const ports = out.map((r) => r.srcport);
    expect(ports.at(-1)).toBe(50000);
    expect(ports.length).toBeGreaterThan(1);
    expect(ports.length).toBeLessThan(2001);
  });

  it('reads Parquet files in the Hive layout, only those of the window, resuming a broken download', async () => {
    const hive =
      'app/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2026/month=11/day=25/hour=10/';
    const early = file(hive, '0925').replace('.log.gz', '.log.parquet');
    const inWindow = file(hive, '1005').replace('.log.gz', '.log.parquet');
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    s3.on(ListObjectsV2Command, { Prefix: hive }).resolves({ Contents: [{ Key: early }, { Key: inWindow }] });
    const body = parquetOf(records(3000, 20000));
    const cut = Math.floor(body.length / 3);
    s3.on(GetObjectCommand, { Key: inWindow })
      .callsFakeOnce(async () => ({ ETag: '"v1"', Body: s3Body([body.subarray(0, cut)], connReset()) }))
      .callsFake(async (input: { Range?: string }) => ({
        ETag: '"v1"',
        Body: s3Body([body.subarray(Number(/bytes=(\d+)-/.exec(input.Range ?? '')?.[1] ?? 0))]),
      }));
    const rejects = new RejectCounter();
    const src = new S3FlowLogSource(new S3Client({}), { ...loc, hive: true, hourly: true }, rejects, {
      sleep: async () => undefined,
    });
    const out = await collect(src, '2026-11-25T10:00:00Z', '2026-11-25T10:01:00Z');
    expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix)).toContain(hive);
    // The 09:25 file ends before the widened window (from 09:50): never fetched.
    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key)).toEqual([inWindow, inWindow]);
    expect(s3.commandCalls(GetObjectCommand)[1]?.args[0].input).toMatchObject({ Range: `bytes=${cut}-` });
    expect(rejects.count).toBe(0);
    expect(out).toHaveLength(3000);
    // The same records the text file of the same traffic gives.
    const text = parseFlowLogText(`${HEADER}\n${records(3000, 20000)}\n`, { rejects: new RejectCounter() });
    expect(out).toEqual(text);
  });

  it('fails naming the folder when listing keeps being throttled', async () => {
    s3.on(ListObjectsV2Command).rejects(
      Object.assign(new Error('Please reduce your request rate.'), {
        name: 'SlowDown',
        $metadata: { httpStatusCode: 503, attempts: 5 },
      }),
    );
    await expect(
      collect(new S3FlowLogSource(new S3Client({}), loc), '2026-11-25T10:00:00Z', '2026-11-25T10:01:00Z'),
    ).rejects.toThrow(
      'S3 ListObjectsV2 s3://flow-logs-bucket/app/AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/25/ failed: SlowDown: Please reduce your request rate. (HTTP 503, after 5 attempts)',
    );
  });

  it('reads an uncompressed file and an empty one alike', async () => {
    const day = 'app/AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/25/';
    const plain = file(day, '1000').replace('.log.gz', '.log');
    const empty = file(day, '1005');
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: plain }, { Key: empty }] });
    s3.on(GetObjectCommand, { Key: plain }).callsFake(async () => ({
      ETag: '"p"',
      // Split inside a line: the parser joins the pieces.
      Body: s3Body([
        `${HEADER}
${records(2)}`.slice(0, 150),
        `${HEADER}
${records(2)}
`.slice(150),
      ]),
    }));
    s3.on(GetObjectCommand, { Key: empty }).callsFake(async () => ({ ETag: '"e"', Body: s3Body([]) }));
    const rejects = new RejectCounter();
    const out = await collect(
      new S3FlowLogSource(new S3Client({}), loc, rejects),
      '2026-11-25T10:00:00Z',
      '2026-11-25T10:02:00Z',
    );
    expect(out.map((r) => r.srcport)).toEqual([40000, 40001]);
    expect(rejects.count).toBe(0);
  });
});
