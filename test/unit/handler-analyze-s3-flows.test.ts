import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  GetObjectCommand,
  type GetObjectCommandInput,
  ListObjectsV2Command,
  type ListObjectsV2CommandInput,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { writeFlowParquet } from '../../functions/lab/flow-parquet-writer.js';
import { FlowLogStreamParser } from '../../shared/flow-logs/index.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { observationKey, probeRecordKey } from '../../shared/probes/results-keys.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { ALERTING_CONFIG, analyzeFunction, EXAMPLE_CONFIG } from './analyze-handler.js';
import { s3Body } from './aws-fakes.js';
import { emptyEc2 } from './ec2-discovery-fakes.js';

// The analyze function, deployed with flow logs delivered to S3 (deployment.evidence.flowLogBucket):
// one probe of the test/fixtures/analyze run is open, so the run asks for its flow window, and the
// flow log's folder holds one Parquet object and one gzip text object, as AWS delivers them.
const analyze = analyzeFunction({
  PATHGUARD_CONFIG: ALERTING_CONFIG,
  PATHGUARD_VPC_IDS: 'vpc-0abcdef0123456789',
  PATHGUARD_FLOW_LOG_BUCKET: 'central-flow-logs',
  PATHGUARD_FLOW_LOG_PREFIX: 'vpc/',
  PATHGUARD_ACCOUNT_ID: '123456789012',
});

const s3 = mockClient(S3Client);
const cwl = mockClient(CloudWatchLogsClient);
const sns = mockClient(SNSClient);

const F = new URL('../fixtures/analyze/', import.meta.url);
const firstLine = (f: string) => JSON.parse(readFileSync(new URL(f, F), 'utf8').split('\n')[0]!);
const probe = firstLine('probes.ndjson');
const observation = firstLine('observations.ndjson');
const RESULTS = EXAMPLE_CONFIG.resultsBucket as string;

// Flow records of the probe's minute (2026-11-25T10:00Z), v5 with the S3 delivery's header line.
const HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const t = Date.UTC(2026, 10, 25, 10, 0) / 1000;
const line = (port: number) =>
  `2 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.77 52.216.8.100 ${port} 443 6 10 840 ${t} ${t + 59} ACCEPT OK`;
const TEXT = `${HEADER}\n${[41000, 41001, 41002].map(line).join('\n')}\n`;
function parquet(): Uint8Array {
  const recs: FlowRecord[] = [];
  const p = new FlowLogStreamParser({
    source: 't',
    rejects: new RejectCounter(),
    onRecord: (r) => recs.push(r),
  });
  p.push(Buffer.from(`${HEADER}\n${[42000, 42001].map(line).join('\n')}\n`));
  p.end();
  return writeFlowParquet(recs, p.format);
}
const FOLDER = 'vpc/AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/25/';
const name = (hash: string, ext: string) =>
  `${FOLDER}123456789012_vpcflowlogs_us-east-1_fl-0s3000000000000b1_20261125T1000Z_${hash}.${ext}`;
const FLOW_OBJECTS: Record<string, () => Uint8Array> = {
  [name('aa11bb22', 'log.parquet')]: parquet,
  [name('cc33dd44', 'log.gz')]: () => new Uint8Array(gzipSync(TEXT)),
};

describe('analyze function with flow logs delivered to S3', () => {
  it('reads the Parquet and the gzip text objects of the probe window from the granted bucket', async () => {
    emptyEc2();
    const probeKey = probeRecordKey(probe);
    s3.on(ListObjectsV2Command).callsFake((input: ListObjectsV2CommandInput) => {
      if (input.Bucket === RESULTS && probeKey.startsWith(input.Prefix ?? '-'))
        return { Contents: [{ Key: probeKey }] };
      if (input.Bucket === 'central-flow-logs' && input.Prefix === FOLDER)
        return { Contents: Object.keys(FLOW_OBJECTS).map((Key) => ({ Key })) };
      return { Contents: [] };
    });
    s3.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => {
      const key = input.Key ?? '';
      const body =
        input.Bucket === RESULTS && key === probeKey
          ? JSON.stringify(probe)
          : input.Bucket === RESULTS && key === observationKey(probe.runId, probe.probeId)
            ? JSON.stringify(observation)
            : input.Bucket === 'central-flow-logs'
              ? FLOW_OBJECTS[key]?.()
              : undefined;
      if (body === undefined)
        throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
      return { Body: s3Body([body]), ETag: '"e1"' };
    });
    s3.on(PutObjectCommand).resolves({ ETag: '"e1"' });
    cwl.on(FilterLogEventsCommand).rejects(new Error('no CloudWatch Logs flow source expected'));
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

    const r = await analyze({ action: 'analyze', since: '2026-11-25T09:55:00Z' });

    expect(r.errors).toEqual([]);
    expect(r.probes).toBe(1);
    // Two Parquet rows and three text records, none rejected, from the granted bucket only.
    expect(r.records).toMatchObject({ flow: 5 });
    const flowGets = s3
      .commandCalls(GetObjectCommand)
      .map((c) => c.args[0].input)
      .filter((i) => i.Bucket === 'central-flow-logs')
      .map((i) => i.Key);
    expect(flowGets.sort()).toEqual(Object.keys(FLOW_OBJECTS).sort());
    expect(cwl.commandCalls(FilterLogEventsCommand)).toHaveLength(0);
  }, 30_000);
});
