import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { S3Client } from '@aws-sdk/client-s3';
import type { FlowFormat } from '../../shared/flow-logs/index.js';
import type { FlowLogSource } from '../../shared/ports/index.js';
import type { RejectCounter } from '../../shared/text/rejects.js';
import type { FlowLogConfig } from '../aws/discovery.js';
import { CloudWatchFlowLogSource } from '../aws/flow-logs-cwl.js';
import { S3FlowLogSource } from '../aws/flow-logs-s3.js';
import { ThreadedS3FlowLogSource } from '../aws/flow-logs-s3-threads.js';
import type { EvidenceLocations } from './evidence-locations.js';
import type { FlowThreads } from './flow-threads.js';

/** What {@link flowLogSourceFor} chooses from. */
export interface FlowSourceChoice {
  readonly enabled: boolean;
  readonly where: EvidenceLocations;
  /** The flow logs DescribeFlowLogs returned for the runner subnets and their VPCs. */
  readonly flowLogs: readonly FlowLogConfig[];
  readonly runnerSubnetIds: readonly string[];
  readonly vpcIds: readonly string[];
  /** The format of a configured log group's records (PATHGUARD_FLOW_LOG_FORMAT). */
  readonly groupFormat?: FlowFormat;
  /** Whose flow logs: S3 keys name the account and Region. */
  readonly account: { readonly accountId: string; readonly region: string };
  readonly clients: { readonly s3: S3Client; readonly cwl: CloudWatchLogsClient };
  readonly rejects: RejectCounter;
  /** Worker threads to read S3 objects on (lambdaFlowThreads); none: this thread reads them. */
  readonly threads?: FlowThreads | null;
}

/**
 * The flow-log source the analyze function reads, in this order:
 * 1. the S3 delivery the stack granted (text or Parquet objects), with the Hive and hourly options
 *    of the flow log that delivers there, when discovery sees it (else the plain daily layout);
 * 2. the CloudWatch Logs group of a flow log on a runner subnet, else on its VPC;
 * 3. the configured log group;
 * 4. the S3 delivery of a flow log on a runner subnet or its VPC (a deployment without this
 *    stack, whose IAM the user manages).
 * Undefined when flow logs are off or none is found: the caller reports the source as not located.
 * With `threads`, an S3 source reads its objects on worker threads.
 *
 * @example
 * const flows = flowLogSourceFor({ enabled, where, flowLogs: found.flowLogs, runnerSubnetIds, vpcIds, account, clients, rejects });
 */
export function flowLogSourceFor(c: FlowSourceChoice): FlowLogSource | undefined {
  if (!c.enabled) return undefined;
  const onRunners = (type: string) =>
    c.flowLogs.find((f) => f.destinationType === type && c.runnerSubnetIds.includes(f.resourceId)) ??
    c.flowLogs.find((f) => f.destinationType === type && c.vpcIds.includes(f.resourceId));
  const granted = c.where.flowLogS3;
  if (granted) {
    const delivering = c.flowLogs.find(
      (f) => f.destinationType === 's3' && sameDestination(f.destination, granted.bucket, granted.prefix),
    );
    const source = new S3FlowLogSource(
      c.clients.s3,
      {
        bucket: granted.bucket,
        prefix: granted.prefix,
        ...c.account,
        hive: delivering?.s3?.hiveCompatiblePartitions ?? false,
        hourly: delivering?.s3?.perHourPartition ?? false,
      },
      c.rejects,
    );
    return onThreads(source, c);
  }
  const group = onRunners('cloud-watch-logs');
  if (group) return CloudWatchFlowLogSource.fromFlowLog(c.clients.cwl, group, c.rejects);
  if (c.where.flowLogGroup)
    return new CloudWatchFlowLogSource(c.clients.cwl, c.where.flowLogGroup, c.groupFormat, c.rejects);
  const delivery = onRunners('s3');
  if (delivery)
    return onThreads(S3FlowLogSource.fromFlowLog(c.clients.s3, delivery, c.account, c.rejects), c);
  return undefined;
}

/** An S3 source read on the choice's worker threads, when it has any. */
function onThreads(source: S3FlowLogSource, c: FlowSourceChoice): FlowLogSource {
  return c.threads ? new ThreadedS3FlowLogSource(source, c.threads, c.rejects) : source;
}

/** Whether an S3 destination ARN (`arn:aws:s3:::bucket/prefix/`) is this bucket and prefix. */
function sameDestination(arn: string, bucket: string, prefix: string): boolean {
  const m = /^arn:aws[a-z-]*:s3:::([^/]+)(?:\/(.*))?$/.exec(arn);
  if (!m || m[1] !== bucket) return false;
  const p = m[2] ?? '';
  return (p && !p.endsWith('/') ? `${p}/` : p) === prefix;
}
