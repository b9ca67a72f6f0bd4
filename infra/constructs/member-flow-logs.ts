import { Aws, CfnOutput, aws_ec2 as ec2, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { StackSection } from './stack-section.js';

/** Props of {@link MemberFlowLogs}. */
export interface MemberFlowLogsProps {
  /** The runner subnets whose traffic is recorded. */
  readonly subnetIds: readonly string[];
  /** The flow-log record format (AWS `${field}` syntax). */
  readonly flowLogFormat: string;
  /** The log-archive bucket and prefix (`''` or ending in `/`). */
  readonly archive: { readonly bucket: string; readonly prefix: string; readonly account: string };
}

/**
 * The flow logs a member's probes need, delivered straight to the log archive: one per runner
 * subnet, PathGuard's format, 1-minute aggregation, plain text under
 * `<prefix>AWSLogs/<account>/vpcflowlogs/<region>/…` (the layout S3 delivery writes). Delivery to
 * another account's bucket takes no role here: the archive's bucket policy admits the log
 * delivery service for this account (printed as an output).
 */
export class MemberFlowLogs extends StackSection {
  constructor(scope: Construct, id: string, props: MemberFlowLogsProps) {
    super(scope, id);
    const { bucket, prefix } = props.archive;
    // A flow log's S3 destination is `bucket/folder`; AWS appends `/AWSLogs/…` itself.
    const destination = `arn:${Aws.PARTITION}:s3:::${bucket}${prefix ? `/${prefix.replace(/\/$/, '')}` : ''}`;
    for (const subnetId of props.subnetIds) {
      new ec2.CfnFlowLog(this, `FlowLog-${subnetId}`, {
        resourceId: subnetId,
        resourceType: 'Subnet',
        trafficType: 'ALL',
        logDestinationType: 's3',
        logDestination: destination,
        logFormat: props.flowLogFormat,
        maxAggregationInterval: 60,
        destinationOptions: {
          FileFormat: 'plain-text',
          HiveCompatiblePartitions: false,
          PerHourPartition: false,
        },
      });
    }
    new CfnOutput(this, 'LogArchiveDeliveryStatement', {
      description: `Log delivery statement the log-archive bucket policy needs (account ${props.archive.account})`,
      value: Stack.of(this).toJsonString({
        Sid: `PathGuardFlowLogs${Aws.ACCOUNT_ID}`,
        Effect: 'Allow',
        Principal: { Service: 'delivery.logs.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: `arn:${Aws.PARTITION}:s3:::${bucket}/${prefix}AWSLogs/${Aws.ACCOUNT_ID}/*`,
        Condition: {
          StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceAccount': Aws.ACCOUNT_ID },
        },
      }),
    });
  }
}
