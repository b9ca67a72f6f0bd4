import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { FlowLogConfig } from '../../functions/aws/discovery.js';
import { CloudWatchFlowLogSource } from '../../functions/aws/flow-logs-cwl.js';
import { S3FlowLogSource } from '../../functions/aws/flow-logs-s3.js';
import { type FlowSourceChoice, flowLogSourceFor } from '../../functions/lib/flow-log-source.js';
import { RejectCounter } from '../../shared/text/rejects.js';

const s3 = mockClient(S3Client);
beforeEach(() => s3.reset());

const SUBNET = 'subnet-0a1a1a1a1a1a1a1a1';
const VPC = 'vpc-0abcdef0123456789';
const flowLog = (over: Partial<FlowLogConfig>): FlowLogConfig => ({
  flowLogId: 'fl-0123456789abcdef0',
  resourceId: SUBNET,
  destinationType: 'cloud-watch-logs',
  destination: '/pathguard/flow-logs',
  logFormat: '',
  maxAggregationInterval: 60,
  trafficType: 'ALL',
  deliverLogsStatus: 'SUCCESS',
  ...over,
});
const S3_HIVE = flowLog({
  flowLogId: 'fl-0s3000000000000b1',
  destinationType: 's3',
  destination: 'arn:aws:s3:::central-flow-logs/vpc/',
  s3: { fileFormat: 'parquet', hiveCompatiblePartitions: true, perHourPartition: true },
});

function choice(over: Partial<FlowSourceChoice>): FlowSourceChoice {
  return {
    enabled: true,
    where: {},
    flowLogs: [],
    runnerSubnetIds: [SUBNET],
    vpcIds: [VPC],
    account: { accountId: '123456789012', region: 'us-east-1' },
    clients: {
      s3: new S3Client({ region: 'us-east-1' }),
      cwl: new CloudWatchLogsClient({ region: 'us-east-1' }),
    },
    rejects: new RejectCounter(),
    ...over,
  };
}

/** The prefixes the source lists for one minute's window. */
async function listed(src: S3FlowLogSource): Promise<string[]> {
  s3.on(ListObjectsV2Command).resolves({ Contents: [] });
  const from = new Date('2026-11-25T10:30:00Z');
  for await (const _ of src.findFlows({ window: { from, to: from }, addresses: [] })) void _;
  return s3
    .commandCalls(ListObjectsV2Command)
    .map((c) => `${c.args[0].input.Bucket}/${c.args[0].input.Prefix}`);
}

describe('the flow-log source the analyze function reads', () => {
  it('reads the S3 delivery the stack granted, in the layout of the flow log that delivers there', async () => {
    const src = flowLogSourceFor(
      choice({
        where: { flowLogS3: { bucket: 'central-flow-logs', prefix: 'vpc/' } },
        flowLogs: [flowLog({}), S3_HIVE],
      }),
    );
    expect(src).toBeInstanceOf(S3FlowLogSource);
    expect(await listed(src as S3FlowLogSource)).toContain(
      'central-flow-logs/vpc/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2026/month=11/day=25/hour=10/',
    );
  });

  it('uses the plain daily layout when no flow log discovery sees delivers to that bucket and prefix', async () => {
    const elsewhere = { ...S3_HIVE, destination: 'arn:aws:s3:::central-flow-logs/other/' };
    const src = flowLogSourceFor(
      choice({
        where: { flowLogS3: { bucket: 'central-flow-logs', prefix: 'vpc/' } },
        flowLogs: [elsewhere],
      }),
    );
    expect(await listed(src as S3FlowLogSource)).toContain(
      'central-flow-logs/vpc/AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/25/',
    );
  });

  it('otherwise prefers a runner flow log to CloudWatch Logs, then the configured group, then a runner S3 delivery', () => {
    expect(flowLogSourceFor(choice({ flowLogs: [S3_HIVE, flowLog({ resourceId: VPC })] }))).toBeInstanceOf(
      CloudWatchFlowLogSource,
    );
    expect(flowLogSourceFor(choice({ where: { flowLogGroup: '/g' }, flowLogs: [S3_HIVE] }))).toBeInstanceOf(
      CloudWatchFlowLogSource,
    );
    const s3Only = flowLogSourceFor(choice({ flowLogs: [S3_HIVE] }));
    expect(s3Only).toBeInstanceOf(S3FlowLogSource);
    expect(s3Only?.name).toBe('s3://central-flow-logs/vpc/');
  });

  it('gives no source when flow logs are off or nothing says where they are', () => {
    expect(flowLogSourceFor(choice({ enabled: false, flowLogs: [S3_HIVE] }))).toBeUndefined();
    expect(
      flowLogSourceFor(choice({ flowLogs: [flowLog({ resourceId: 'subnet-0ffffffffffffffff' })] })),
    ).toBeUndefined();
  });
});
