import {
  Aws,
  CfnOutput,
  aws_iam as iam,
  aws_kms as kms,
  type aws_logs as logs,
  RemovalPolicy,
  Stack,
  type StackProps,
  aws_s3 as s3,
  Validations,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { PATHGUARD_FLOW_FORMAT } from '../../shared/flow-logs/pathguard-format.js';
import type { OrganizationPlan } from '../config.js';
import { DiscoveryRole } from '../constructs/discovery-role.js';
import { MemberFlowLogs } from '../constructs/member-flow-logs.js';
import { functionDefaults } from '../constructs/pathguard-function.js';
import { ProbeFunctions } from '../constructs/probe-functions.js';
import { scheduleFunction } from '../constructs/schedule.js';
import type { DeploymentSettings } from '../deployment-config.js';
import { centralAnalyzeRoleName, discoveryRoleName, memberResultsPrefix } from '../organization-config.js';
import type { StackMonitoringConfig } from './pathguard-stack.js';

/** Props of {@link MemberStack}. */
export interface MemberStackProps extends StackProps {
  readonly organization: OrganizationPlan['settings'];
  /** The member account x Region this stack is for, with its VPC vantages. */
  readonly member: OrganizationPlan['members'][number];
  readonly monitoring: StackMonitoringConfig;
  /** The monitoring config document, passed to the functions as PATHGUARD_CONFIG. */
  readonly configJson: string;
  readonly deployment: DeploymentSettings;
  /** Whether the flow logs are read (evidence.flowLogs.enabled). */
  readonly flowLogs: boolean;
}

/**
 * PathGuard in one member account and Region: the probe functions in the member's subnets,
 * writing only the account's own prefix of the central results bucket; the flow logs of those
 * subnets, delivered to the log archive; and, unless a StackSet deploys it, the read-only
 * discovery role the central analyzer assumes.
 */
export class MemberStack extends Stack {
  readonly probes: ProbeFunctions;

  constructor(scope: Construct, id: string, props: MemberStackProps) {
    super(scope, id, props);
    const { organization: org, member, monitoring } = props;
    const retention = props.deployment.logRetentionDays as logs.RetentionDays;
    // The member's own key: its dead-letter queues (the central key serves only S3 for results).
    const key = new kms.Key(this, 'MemberKey', {
      enableKeyRotation: true,
      description: 'PathGuard member: dead-letter queues',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const results = s3.Bucket.fromBucketAttributes(this, 'CentralResults', {
      bucketName: monitoring.resultsBucket,
      account: org.central.account,
      region: org.central.region,
    });
    const defaults = functionDefaults(props.configJson, retention, key);
    this.probes = new ProbeFunctions(this, 'ProbeFunctions', {
      defaults,
      vpcId: member.network.vpcId,
      subnets: member.network.subnets,
      vpcVantages: member.vpcVantages,
      resultsBucket: results,
      resultsPrefix: memberResultsPrefix(member.account, member.region),
      probeBuckets: monitoring.targetBuckets.map((name) =>
        s3.Bucket.fromBucketName(this, `Target-${name}`, name),
      ),
      probePrefix: monitoring.probePrefix,
    });
    for (const fn of this.probes.probeFunctions) this.allowCentralKey(fn.role!, props);
    member.vpcVantages.forEach((vantage, i) => {
      scheduleFunction(
        this,
        `ProbeSchedule-${vantage.id}`,
        this.probes.probeFunctions[i]!,
        monitoring.scheduleMinutes,
        key,
      );
    });
    const archive = org.logArchive;
    if (props.flowLogs && archive?.flowLogs && member.vpcVantages.length > 0) {
      new MemberFlowLogs(this, 'FlowLogs', {
        subnetIds: [...new Set(member.vpcVantages.map((v) => v.subnetId))],
        flowLogFormat: PATHGUARD_FLOW_FORMAT.spec,
        archive: { ...archive.flowLogs, account: archive.account },
      });
    }
    if (!org.stackSet) {
      const discovery = new DiscoveryRole(this, 'Discovery', {
        roleName: discoveryRoleName(org, member.region),
        centralAccount: org.central.account,
        centralRoleName: centralAnalyzeRoleName(org),
        organizationId: org.id,
        ...(org.discoveryRole.externalId ? { externalId: org.discoveryRole.externalId } : {}),
      });
      new CfnOutput(this, 'DiscoveryRoleArn', { value: discovery.role.roleArn });
    }
  }

  /**
   * The central data key, only as S3 for the central results bucket: its id is generated in the
   * central account, so the grant names that account's keys and pins the bucket through the
   * encryption context (an S3 Bucket Key passes the bucket ARN).
   */
  private allowCentralKey(role: iam.IRole, props: MemberStackProps): void {
    const central = props.organization.central;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'CentralResultsKeyThroughS3',
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [`arn:${Aws.PARTITION}:kms:${central.region}:${central.account}:key/*`],
        conditions: {
          StringEquals: {
            'kms:ViaService': `s3.${central.region}.${Aws.URL_SUFFIX}`,
            'kms:EncryptionContext:aws:s3:arn': `arn:${Aws.PARTITION}:s3:::${props.monitoring.resultsBucket}`,
          },
        },
      }),
    );
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:${central.region}:${central.account}:key/*]`,
      reason:
        "The central key's id is generated in another account; the grant holds only through S3 for the central results bucket (kms:ViaService and the bucket in the encryption context).",
    });
  }
}
