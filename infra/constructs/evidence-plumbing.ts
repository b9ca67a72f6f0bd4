import {
  Aws,
  aws_cloudtrail as cloudtrail,
  Duration,
  aws_ec2 as ec2,
  aws_iam as iam,
  aws_logs as logs,
  type aws_lambda_nodejs as nodejs,
  RemovalPolicy,
  Stack,
  aws_s3 as s3,
  Token,
  Validations,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { EVIDENCE_ENV } from '../../functions/lib/evidence-locations.js';
import type { EvidencePlan, S3FlowLogs } from '../evidence.js';
import { allowObjects } from './pathguard-function.js';
import { StackSection } from './stack-section.js';

/** Props of {@link EvidencePlumbing}. */
export interface EvidencePlumbingProps {
  /** Every evidence location, resolved against the config (infra/evidence.ts). */
  readonly plan: EvidencePlan;
  /** The analyze function: granted read access to each source and told where it is. */
  readonly analyze: nodejs.NodejsFunction;
  /** Subnets whose traffic flow logs record (with a stack-created flow log). */
  readonly subnetIds: readonly string[];
  /** The flow-log record format (AWS `${field}` syntax). */
  readonly flowLogFormat: string;
  /** Retention of a stack-created flow-log group. */
  readonly logRetention: logs.RetentionDays;
  /** Where a stack-created trail bucket logs its own access. */
  readonly serverAccessLogs: s3.IBucket;
  /** Days a stack-created trail bucket keeps its objects. */
  readonly evidenceDays: number;
  /** Probe buckets whose probe-prefix data events a stack-created trail records. */
  readonly probeBuckets: ReadonlyMap<string, s3.IBucket>;
  /** Probe objects live under `<probePrefix>/probes/`. */
  readonly probePrefix: string;
}

/**
 * The evidence sources besides access logs: VPC Flow Logs (a CloudWatch Logs group with a flow
 * log per subnet, or an existing group) and CloudTrail data events (a trail limited to the probe
 * prefix, or an existing trail's bucket), each granted to and named for the analyzer.
 */
export class EvidencePlumbing extends StackSection {
  /** The flow-log group the analyzer reads, when flow logs are read. */
  readonly flowLogGroup: logs.ILogGroup | undefined;

  constructor(scope: Construct, id: string, props: EvidencePlumbingProps) {
    super(scope, id);
    this.flowLogGroup = this.flowLogs(props);
    this.cloudTrail(props);
  }

  private flowLogs(props: EvidencePlumbingProps): logs.ILogGroup | undefined {
    const { plan, analyze } = props;
    if (plan.flowLogs?.source === 's3') {
      this.s3FlowLogs(analyze, plan.flowLogs);
      return undefined;
    }
    let flowLogGroup: logs.ILogGroup | undefined;
    if (plan.flowLogs?.source === 'stack') {
      flowLogGroup = this.createdFlowLogs(props);
    } else if (plan.flowLogs?.source === 'existing') {
      flowLogGroup = logs.LogGroup.fromLogGroupName(this, 'ExistingFlowLogs', plan.flowLogs.logGroupName);
    }
    if (!flowLogGroup) return undefined;
    analyze.addEnvironment(EVIDENCE_ENV.flowLogGroup, flowLogGroup.logGroupName);
    analyze.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadFlowLogs',
        actions: ['logs:FilterLogEvents', 'logs:DescribeLogStreams'],
        resources: [flowLogGroup.logGroupArn],
      }),
    );
    if (plan.flowLogs?.source === 'existing') {
      const stack = Stack.of(this);
      // An imported group's ARN ends in `:*` (its log streams): the grant is still one group.
      Validations.of(analyze.role!).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:${nagText(stack.region, '<AWS::Region>')}:${nagText(stack.account, '<AWS::AccountId>')}:log-group:${plan.flowLogs.logGroupName}:*]`,
        reason: 'Read access to the streams of the one existing flow-log group the config names.',
      });
    }
    return flowLogGroup;
  }

  /**
   * Flow logs an existing flow log delivers to S3, text or Parquet: GetObject and ListBucket under
   * `<prefix>AWSLogs/` only (where AWS writes them, aws-facts §1.6), and, for an SSE-KMS bucket,
   * kms:Decrypt on that one key only through S3 (kms:ViaService), nothing else.
   */
  private s3FlowLogs(analyze: nodejs.NodejsFunction, flowLogs: S3FlowLogs): void {
    const bucket = s3.Bucket.fromBucketName(this, 'ExistingFlowLogBucket', flowLogs.bucket);
    allowObjects(analyze, bucket, ['s3:GetObject'], [`${flowLogs.prefix}AWSLogs/`]);
    analyze.addEnvironment(EVIDENCE_ENV.flowLogBucket, flowLogs.bucket);
    analyze.addEnvironment(EVIDENCE_ENV.flowLogPrefix, flowLogs.prefix);
    if (!flowLogs.kmsKeyArn) return;
    // SSE-KMS needs the key in the bucket's Region, so the key's Region is the one S3 calls from.
    const keyRegion = flowLogs.kmsKeyArn.split(':')[3];
    analyze.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'DecryptFlowLogObjects',
        actions: ['kms:Decrypt'],
        resources: [flowLogs.kmsKeyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${keyRegion}.amazonaws.com` } },
      }),
    );
  }

  /** A retained group, a delivery role for the flow-logs service, one 1-minute flow log per subnet. */
  private createdFlowLogs(props: EvidencePlumbingProps): logs.LogGroup {
    const group = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const deliveryRole = new iam.Role(this, 'FlowLogsRole', {
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    });
    group.grantWrite(deliveryRole);
    deliveryRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['logs:DescribeLogStreams'], resources: [group.logGroupArn] }),
    );
    for (const subnetId of props.subnetIds) {
      new ec2.CfnFlowLog(this, `FlowLog-${subnetId}`, {
        resourceId: subnetId,
        resourceType: 'Subnet',
        trafficType: 'ALL',
        logDestinationType: 'cloud-watch-logs',
        logGroupName: group.logGroupName,
        deliverLogsPermissionArn: deliveryRole.roleArn,
        logFormat: props.flowLogFormat,
        maxAggregationInterval: 60,
      });
    }
    return group;
  }

  private cloudTrail(props: EvidencePlumbingProps): void {
    const { plan, analyze } = props;
    if (plan.cloudTrail?.source === 'stack') {
      const trailBucket = this.createdTrail(props, plan.cloudTrail.networkActivity);
      allowObjects(analyze, trailBucket, ['s3:GetObject'], ['AWSLogs/']);
      analyze.addEnvironment(EVIDENCE_ENV.cloudTrailBucket, trailBucket.bucketName);
      analyze.addEnvironment(EVIDENCE_ENV.cloudTrailPrefix, '');
    } else if (plan.cloudTrail?.source === 'existing') {
      const trailBucket = s3.Bucket.fromBucketName(this, 'ExistingTrailBucket', plan.cloudTrail.bucket);
      allowObjects(analyze, trailBucket, ['s3:GetObject'], [`${plan.cloudTrail.prefix}AWSLogs/`]);
      analyze.addEnvironment(EVIDENCE_ENV.cloudTrailBucket, plan.cloudTrail.bucket);
      analyze.addEnvironment(EVIDENCE_ENV.cloudTrailPrefix, plan.cloudTrail.prefix);
    }
  }

  /** A single-Region trail of probe-prefix data events (and, opted in, network activity). */
  private createdTrail(props: EvidencePlumbingProps, networkActivity: boolean): s3.Bucket {
    const trailBucket = new s3.Bucket(this, 'TrailBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      serverAccessLogsBucket: props.serverAccessLogs,
      serverAccessLogsPrefix: 'trail/',
      lifecycleRules: [{ expiration: Duration.days(props.evidenceDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const trail = new cloudtrail.Trail(this, 'ProbeDataEvents', {
      bucket: trailBucket,
      isMultiRegionTrail: false,
      includeGlobalServiceEvents: false,
      enableFileValidation: true,
      managementEvents: cloudtrail.ReadWriteType.NONE,
      sendToCloudWatchLogs: false,
    });
    const probes = `${props.probePrefix}/probes/`;
    // The construct refuses a trail without management events unless it has an event selector;
    // the basic selectors it renders are replaced by the advanced ones below.
    trail.addS3EventSelector(
      [...props.probeBuckets.values()].map((bucket) => ({ bucket, objectPrefix: probes })),
      { includeManagementEvents: false },
    );
    const cfnTrail = trail.node.defaultChild as cloudtrail.CfnTrail;
    // Data events on the probe prefix only: a trail of all S3 data events would be costly.
    cfnTrail.addPropertyDeletionOverride('EventSelectors');
    cfnTrail.advancedEventSelectors = [
      ...[...props.probeBuckets.keys()].map((name) => ({
        name: `PathGuard probes in ${name}`,
        fieldSelectors: [
          { field: 'eventCategory', equalTo: ['Data'] },
          { field: 'resources.type', equalTo: ['AWS::S3::Object'] },
          { field: 'resources.ARN', startsWith: [`arn:${Aws.PARTITION}:s3:::${name}/${probes}`] },
        ],
      })),
      // Calls through the VPC endpoints to S3, denials included (aws-facts §3; opt-in, paid).
      ...(networkActivity
        ? [
            {
              name: 'PathGuard S3 network activity through VPC endpoints',
              fieldSelectors: [
                { field: 'eventCategory', equalTo: ['NetworkActivity'] },
                { field: 'eventSource', equalTo: ['s3.amazonaws.com'] },
              ],
            },
          ]
        : []),
    ];
    Validations.of(trail).acknowledge({
      id: 'AwsSolutions-IAM5',
      reason: 'CloudTrail delivery policy generated by the Trail construct.',
    });
    return trailBucket;
  }
}

/** A value as cdk-nag writes it in a finding id: the token's pseudo-parameter when unresolved. */
function nagText(value: string, pseudo: string): string {
  return Token.isUnresolved(value) ? pseudo : value;
}
