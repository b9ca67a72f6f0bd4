import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { AthenaAccessLogSource } from '../../functions/aws/athena-access-logs.js';
import { AthenaFlowLogSource } from '../../functions/aws/athena-flow-logs.js';
import type { FlowLogConfig } from '../../functions/aws/discovery.js';
import { CloudWatchFlowLogSource } from '../../functions/aws/flow-logs-cwl.js';
import { InsightsFlowLogSource } from '../../functions/aws/flow-logs-insights.js';
import { accessSourceByEngine, deliveryOf, flowSourceByEngine } from '../../functions/lib/engine-sources.js';
import { validateConfig } from '../../shared/config/index.js';
import type { AccessLogSource } from '../../shared/ports/index.js';
import { RejectCounter } from '../../shared/text/rejects.js';

const athenaBlock = { workgroup: 'pathguard', database: 'pathguard_logs', maxBytesScanned: 1_000_000_000 };
const config = (evidence: unknown) => {
  const r = validateConfig({
    region: 'eu-west-1',
    resultsBucket: 'results-bucket',
    targets: [{ bucket: 'data-bucket', region: 'eu-west-1', styles: ['regional'] }],
    vantages: [{ id: 'vpc-a', kind: 'vpc', subnetId: 'subnet-0a1a1a1a1a1a1a1a1' }],
    evidence,
  });
  if (!r.ok) throw r.error;
  return r.value;
};
const flowLog = (over: Partial<FlowLogConfig>): FlowLogConfig =>
  ({
    flowLogId: 'fl-1',
    resourceId: 'subnet-0a1a1a1a1a1a1a1a1',
    destinationType: 'cloud-watch-logs',
    destination: '/vpc/flow',
    logFormat: '',
    maxAggregationInterval: 60,
    trafficType: 'ALL',
    deliverLogsStatus: 'SUCCESS',
    ...over,
  }) as FlowLogConfig;
const choice = (flowLogs: FlowLogConfig[]) => ({
  enabled: true,
  where: {},
  flowLogs,
  runnerSubnetIds: ['subnet-0a1a1a1a1a1a1a1a1'],
  vpcIds: [],
  account: { accountId: '111122223333', region: 'eu-west-1' },
  clients: {
    s3: new S3Client({ region: 'eu-west-1' }),
    cwl: new CloudWatchLogsClient({ region: 'eu-west-1' }),
  },
  rejects: new RejectCounter(),
});
const engines = (cfg: ReturnType<typeof config>) => ({
  cfg,
  athena: async () => new AthenaClient({ region: 'eu-west-1' }),
});

describe('sources by engine', () => {
  it('direct reads FilterLogEvents; insights the same group through Logs Insights', async () => {
    const direct = await flowSourceByEngine(choice([flowLog({})]), engines(config({})));
    expect(direct).toBeInstanceOf(CloudWatchFlowLogSource);
    const insights = await flowSourceByEngine(
      choice([flowLog({})]),
      engines(config({ flowLogs: { engine: 'insights' } })),
    );
    expect(insights).toBeInstanceOf(InsightsFlowLogSource);
    expect(insights?.name).toBe('cloudwatch-logs-insights:/vpc/flow');
  });

  it('athena takes the table from the runners’ S3 delivery that discovery found', async () => {
    const s3Log = flowLog({
      destinationType: 's3',
      destination: 'arn:aws:s3:::org-flow-logs/vpc',
      logFormat: '${version} ${srcaddr} ${dstaddr} ${start} ${end}',
      s3: { fileFormat: 'parquet', hiveCompatiblePartitions: true, perHourPartition: true },
    });
    expect(deliveryOf(s3Log)).toEqual({
      bucket: 'org-flow-logs',
      prefix: 'vpc/',
      layout: 'hive',
      hourly: true,
      fileFormat: 'parquet',
      logFormat: '${version} ${srcaddr} ${dstaddr} ${start} ${end}',
    });
    const src = await flowSourceByEngine(
      choice([s3Log]),
      engines(config({ flowLogs: { engine: 'athena', athena: athenaBlock } })),
    );
    expect(src).toBeInstanceOf(AthenaFlowLogSource);
    expect(src?.name).toBe('athena:pathguard_logs.pathguard_flow_logs');
    // No delivery found and no location configured: a user error naming the setting.
    await expect(
      flowSourceByEngine(
        choice([]),
        engines(config({ flowLogs: { engine: 'athena', athena: athenaBlock } })),
      ),
    ).rejects.toThrow(/evidence\.flowLogs\.athena\.location/);
  });

  it('access logs: the S3 reader for direct, Athena for athena, nothing when not located', async () => {
    const s3Reader: AccessLogSource = { name: 's3', async *readSince() {} };
    const loc = { bucket: 'log-bucket', prefix: 'sal/' };
    expect(await accessSourceByEngine(loc, '111122223333', engines(config({})), () => s3Reader)).toBe(
      s3Reader,
    );
    const athena = await accessSourceByEngine(
      loc,
      '111122223333',
      engines(config({ accessLogs: { engine: 'athena', athena: { ...athenaBlock, table: 'sal' } } })),
      () => s3Reader,
    );
    expect(athena).toBeInstanceOf(AthenaAccessLogSource);
    expect(athena?.name).toBe('athena:pathguard_logs.sal');
    expect(
      await accessSourceByEngine(undefined, '111122223333', engines(config({})), () => s3Reader),
    ).toBeUndefined();
  });
});
