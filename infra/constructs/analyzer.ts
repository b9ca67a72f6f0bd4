import {
  Aws,
  Duration,
  aws_iam as iam,
  type aws_lambda_nodejs as nodejs,
  Stack,
  type aws_s3 as s3,
  type aws_sns as sns,
  Validations,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { EVIDENCE_ENV } from '../../functions/lib/evidence-locations.js';
import {
  memberNetworksText,
  memberRolesText,
  ORGANIZATION_ENV,
} from '../../functions/lib/organization-env.js';
import { type AthenaEngineGrants, grantAthenaEngines } from './athena-grants.js';
import { allowKey, allowObjects, type FunctionDefaults, pathGuardFunction } from './pathguard-function.js';
import { StackSection } from './stack-section.js';

/** Props of {@link Analyzer}. */
export interface AnalyzerProps {
  readonly defaults: FunctionDefaults;
  /** The VPC whose network the analyzer discovers (PATHGUARD_VPC_IDS). @default none: members' (memberDiscovery) */
  readonly vpcId?: string;
  /** Where alerts are published. */
  readonly topic: sns.ITopic;
  readonly resultsBucket: s3.IBucket;
  /** The flow-log format the analyzer parses (PATHGUARD_FLOW_LOG_FORMAT). */
  readonly flowLogFormat: string;
  /** Where server access logs are read. @default none: no access logs */
  readonly accessLogs?: { readonly bucket: s3.IBucket; readonly prefix: string };
  /**
   * Buckets whose upload probes' objects (`<prefix>probes/…`, written by the runners' presigned PUT
   * and POST) the analyzer deletes once their verdicts settle: DeleteObject under that prefix only.
   * @default none: no upload probes, no delete grant (the lifecycle rule expires probe objects)
   */
  readonly uploadProbes?: { readonly buckets: readonly s3.IBucket[]; readonly prefix: string };
  /** Evidence queried through Athena (issue 15 §2). @default none: no Athena or Glue grant */
  readonly athena?: AthenaEngineGrants;
  /** The function role's fixed name, for trust policies in other accounts. @default generated */
  readonly roleName?: string;
  /**
   * Analyse these member accounts x Regions (an organisation's central analyzer): their networks
   * through their discovery roles (sts:AssumeRole) instead of this account's EC2 API, their
   * results under `members/<account>/<region>/` of the results bucket. @default this account
   */
  readonly memberDiscovery?: {
    /** Each member account x Region: its discovery role, its VPC and its VPC vantages. */
    readonly roles: readonly {
      readonly account: string;
      readonly region: string;
      readonly roleArn: string;
      readonly vpcId: string;
      readonly vantageIds: readonly string[];
    }[];
    /** The external id every AssumeRole presents. @default none */
    readonly externalId?: string;
  };
}

/** The read-only EC2 actions network discovery calls (none supports resource-level permissions). */
export const DISCOVERY_ACTIONS = [
  'ec2:DescribeVpcs',
  'ec2:DescribeSubnets',
  'ec2:DescribeRouteTables',
  'ec2:DescribeVpcEndpoints',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeManagedPrefixLists',
  'ec2:GetManagedPrefixListEntries',
  'ec2:DescribeNatGateways',
  'ec2:DescribeFlowLogs',
];

/**
 * The analyze function: reads probes, observations and evidence, discovers the network (EC2
 * Describe*), writes verdicts and evidence bundles, publishes alerts. Evidence sources add their
 * own read grants (see EvidencePlumbing).
 */
export class Analyzer extends StackSection {
  readonly function: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: AnalyzerProps) {
    super(scope, id);
    const analyze = pathGuardFunction(
      this,
      'Analyze',
      'analyze',
      props.defaults,
      {
        timeout: Duration.minutes(10),
        memorySize: 1024,
        environment: {
          ...(props.vpcId ? { PATHGUARD_VPC_IDS: props.vpcId } : {}),
          PATHGUARD_TOPIC_ARN: props.topic.topicArn,
          PATHGUARD_FLOW_LOG_FORMAT: props.flowLogFormat,
          [EVIDENCE_ENV.accountId]: Aws.ACCOUNT_ID,
        },
      },
      props.roleName,
    );
    this.function = analyze;
    allowObjects(
      analyze,
      props.resultsBucket,
      ['s3:GetObject', 's3:PutObject'],
      ['probes/', 'observations/', 'evidence/', 'environment/', 'state/'],
    );
    // Reports: the real-traffic audit and the daily evidence report are written under reports/;
    // the report reads back only the real-traffic documents (it reads bundles under evidence/).
    allowObjects(analyze, props.resultsBucket, ['s3:PutObject'], ['reports/']);
    allowObjects(analyze, props.resultsBucket, ['s3:GetObject'], ['reports/real-traffic/']);
    if (props.accessLogs) {
      allowObjects(analyze, props.accessLogs.bucket, ['s3:GetObject'], [props.accessLogs.prefix]);
      analyze.addEnvironment(EVIDENCE_ENV.accessLogBucket, props.accessLogs.bucket.bucketName);
      analyze.addEnvironment(EVIDENCE_ENV.accessLogPrefix, props.accessLogs.prefix);
    }
    if (props.uploadProbes && props.uploadProbes.buckets.length > 0) {
      const prefix = props.uploadProbes.prefix;
      // DeleteObject alone (no ListBucket, no GetObject): the analyzer names each key it deletes.
      analyze.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'DeleteUploadProbeObjects',
          actions: ['s3:DeleteObject'],
          resources: props.uploadProbes.buckets.map((b) => b.arnForObjects(`${prefix}*`)),
        }),
      );
      for (const b of props.uploadProbes.buckets) {
        const cfn = b.node.defaultChild as s3.CfnBucket | undefined;
        const ref = cfn
          ? `<${Stack.of(this).getLogicalId(cfn)}.Arn>`
          : `arn:<AWS::Partition>:s3:::${b.bucketName}`;
        Validations.of(analyze.role!).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${ref}/${prefix}*]`,
          reason: `Upload probe objects under ${prefix} have per-run generated keys; only DeleteObject, only that prefix.`,
        });
      }
    }
    if (props.athena) grantAthenaEngines(analyze, props.athena);
    allowKey(analyze, props.defaults.dataKey);
    // Publish only; the KMS permissions come from allowKey (no GenerateDataKey* wildcard).
    analyze.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [props.topic.topicArn] }),
    );
    if (props.memberDiscovery) {
      this.assumeMemberRoles(props.memberDiscovery);
      // Every member's folder: one statement whatever the number of members (a resource per
      // member would grow the role's policy toward IAM's size limit).
      allowObjects(analyze, props.resultsBucket, ['s3:GetObject', 's3:PutObject'], ['members/']);
    } else this.discoverLocally();
  }

  /** This account's network, read through its own EC2 API. */
  private discoverLocally(): void {
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ sid: 'DiscoverNetwork', actions: DISCOVERY_ACTIONS, resources: ['*'] }),
    );
    Validations.of(this.function.role!).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'EC2 Describe* actions support no resource-level permissions; only read-only discovery actions are listed.',
    });
  }

  /** Each member's network, through its discovery role: AssumeRole on exactly those roles. */
  private assumeMemberRoles(members: NonNullable<AnalyzerProps['memberDiscovery']>): void {
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'AssumeMemberDiscoveryRoles',
        actions: ['sts:AssumeRole'],
        resources: [...new Set(members.roles.map((r) => r.roleArn))],
      }),
    );
    this.function.addEnvironment(ORGANIZATION_ENV.roles, memberRolesText(members.roles));
    this.function.addEnvironment(ORGANIZATION_ENV.networks, memberNetworksText(members.roles));
    if (members.externalId) this.function.addEnvironment(ORGANIZATION_ENV.externalId, members.externalId);
    Validations.of(this.function.role!).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray tracing (PutTraceSegments, PutTelemetryRecords) supports no resource-level permissions.',
    });
  }
}
