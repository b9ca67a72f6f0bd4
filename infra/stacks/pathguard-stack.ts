import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ArnFormat,
  Aws,
  CfnOutput,
  aws_chatbot as chatbot,
  aws_cloudtrail as cloudtrail,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as cwActions,
  Duration,
  aws_ec2 as ec2,
  aws_events as events,
  aws_iam as iam,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_lambda_nodejs as nodejs,
  RemovalPolicy,
  Stack,
  type StackProps,
  aws_s3 as s3,
  aws_sns as sns,
  aws_sqs as sqs,
  aws_sns_subscriptions as subs,
  Token,
  aws_events_targets as targets,
  Validations,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { EVIDENCE_ENV } from '../../functions/lib/evidence-locations.js';
import { PATHGUARD_FLOW_FORMAT } from '../../shared/flow-logs/pathguard-format.js';
import type { DeploymentSettings } from '../deployment-config.js';
import type { EvidencePlan } from '../evidence.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The flow-log fields PathGuard needs, in AWS `${field}` syntax (v5 custom format). */
export const FLOW_LOG_FORMAT = PATHGUARD_FLOW_FORMAT.spec;

/** The parts of the monitoring config the stack reads. */
export interface StackMonitoringConfig {
  readonly region: string;
  readonly probePrefix: string;
  readonly resultsBucket: string;
  readonly scheduleMinutes: number;
  readonly targetBuckets: readonly string[];
  readonly vpcVantages: readonly { readonly id: string; readonly subnetId: string }[];
  /** On-prem vantages: their orders are written by the orders function. */
  readonly onPremVantages: readonly string[];
  readonly retention: { readonly probesDays: number; readonly evidenceDays: number };
  /** Every evidence location, resolved and checked against the config (infra/evidence.ts). */
  readonly evidence: EvidencePlan;
}

export interface PathGuardStackProps extends StackProps {
  /** The monitoring config as validated (its facts the stack needs). */
  readonly monitoring: StackMonitoringConfig;
  /** The monitoring config document, passed to the functions as PATHGUARD_CONFIG. */
  readonly configJson: string;
  readonly deployment: DeploymentSettings;
}

/**
 * PathGuard in one account and Region: the probe function per VPC vantage, the analyzer, the
 * results bucket, the alert topic, the evidence plumbing, alarms and a dashboard.
 */
export class PathGuardStack extends Stack {
  readonly resultsBucket: s3.Bucket;
  readonly topic: sns.Topic;
  readonly analyzeFunction: nodejs.NodejsFunction;
  readonly probeFunctions: nodejs.NodejsFunction[] = [];
  /** Writes the on-prem runners' orders; absent when the config has no on-prem vantage. */
  readonly ordersFunction: nodejs.NodejsFunction | undefined;

  constructor(scope: Construct, id: string, props: PathGuardStackProps) {
    super(scope, id, props);
    const { monitoring, deployment } = props;
    const retention = deployment.logRetentionDays as logs.RetentionDays;
    const plan = monitoring.evidence;
    const kept = monitoring.retention;
    if (monitoring.vpcVantages.length + monitoring.onPremVantages.length === 0)
      throw new Error('vantages: the config has no vantage, so nothing would be monitored');

    // --- storage -------------------------------------------------------------------------------
    const serverAccessLogs = new s3.Bucket(this, 'ServerAccessLogs', {
      // S3 server access logging can deliver only to SSE-S3 encrypted buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(kept.evidenceDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(serverAccessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket is the server-access-log destination itself; logging it to itself would loop.',
    });

    const dataKey = new kms.Key(this, 'DataKey', {
      enableKeyRotation: true,
      description: 'PathGuard results bucket, alert topic and queues',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.resultsBucket = new s3.Bucket(this, 'Results', {
      bucketName: monitoring.resultsBucket,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: dataKey,
      bucketKeyEnabled: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: serverAccessLogs,
      serverAccessLogsPrefix: 'results/',
      // What runs write expires with the config's retention (retention.probesDays, longer than
      // any evidence deadline); evidence bundles after retention.evidenceDays. Without these
      // rules the bucket grows for ever and every listing with it.
      lifecycleRules: [
        {
          id: 'orders',
          prefix: 'orders/',
          expiration: Duration.days(Math.min(7, kept.probesDays)),
          noncurrentVersionExpiration: Duration.days(1),
        },
        ...(['probes/', 'observations/', 'runs/'] as const).map((prefix) => ({
          id: prefix.slice(0, -1),
          prefix,
          expiration: Duration.days(kept.probesDays),
          noncurrentVersionExpiration: Duration.days(1),
        })),
        {
          id: 'evidence',
          prefix: 'evidence/',
          expiration: Duration.days(kept.evidenceDays),
          noncurrentVersionExpiration: Duration.days(1),
        },
        // environment/snapshots/ never expires: one is written only when discovery finds a change,
        // and a past request is judged against the latest snapshot before it, however old.
        { id: 'noncurrent', noncurrentVersionExpiration: Duration.days(90) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const probeBuckets = new Map<string, s3.IBucket>();
    for (const name of monitoring.targetBuckets) {
      if (deployment.createProbeBuckets.includes(name)) {
        const b = new s3.Bucket(this, `Probe-${name}`, {
          bucketName: name,
          encryption: s3.BucketEncryption.S3_MANAGED,
          blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
          enforceSSL: true,
          objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
          // Probe objects hold 64 random bytes and are worthless after the run that made them.
          lifecycleRules: [
            { id: 'probes', prefix: `${monitoring.probePrefix}/probes/`, expiration: Duration.days(1) },
          ],
          // Every probe bucket logs under the one prefix the analyzer lists (records name their bucket).
          ...(deployment.evidence.createAccessLogging
            ? {
                serverAccessLogsBucket: serverAccessLogs,
                serverAccessLogsPrefix: deployment.evidence.accessLogPrefix,
              }
            : {}),
          removalPolicy: RemovalPolicy.RETAIN,
        });
        if (!deployment.evidence.createAccessLogging) {
          Validations.of(b).acknowledge({
            id: 'AwsSolutions-S1',
            reason:
              'Access logging is configured outside this stack (evidence.createAccessLogging is false).',
          });
        }
        probeBuckets.set(name, b);
      } else {
        probeBuckets.set(name, s3.Bucket.fromBucketName(this, `Existing-${name}`, name));
      }
    }
    const accessLogBucket = !plan.accessLogs
      ? undefined
      : plan.accessLogs.source === 'existing'
        ? s3.Bucket.fromBucketName(this, 'ExistingAccessLogs', plan.accessLogs.bucket)
        : serverAccessLogs;

    // --- alerts --------------------------------------------------------------------------------
    this.topic = new sns.Topic(this, 'Alerts', {
      displayName: 'PathGuard alerts',
      masterKey: dataKey,
      enforceSSL: true,
    });
    for (const email of deployment.alerts.emails)
      this.topic.addSubscription(new subs.EmailSubscription(email));
    // CloudWatch alarms publish to the encrypted topic: SNS needs the publisher to hold
    // kms:GenerateDataKey* and kms:Decrypt on the topic's key, nothing more. The service principal
    // acts for any account's alarms, so the grant names this account and its alarms (the
    // confused-deputy guard, aws:SourceAccount / aws:SourceArn, which CloudWatch sends).
    dataKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToAlertTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': this.account },
          ArnLike: {
            'aws:SourceArn': this.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    if (deployment.alerts.slack) {
      new chatbot.SlackChannelConfiguration(this, 'Slack', {
        slackChannelConfigurationName: `${this.stackName}-alerts`.slice(0, 128),
        slackWorkspaceId: deployment.alerts.slack.workspaceId,
        slackChannelId: deployment.alerts.slack.channelId,
        notificationTopics: [this.topic],
        loggingLevel: chatbot.LoggingLevel.ERROR,
        logRetention: retention,
      });
    }

    // --- functions -----------------------------------------------------------------------------
    const bundling: nodejs.BundlingOptions = {
      format: nodejs.OutputFormat.ESM,
      target: 'node22',
      minify: true,
      sourceMap: true,
      mainFields: ['module', 'main'],
      // The SDK packages the nodejs22.x runtime ships stay out of the bundles (the default would be
      // every @aws-sdk/* package): the JS SigV4a signer is no client's dependency, so it is bundled
      // where Multi-Region Access Point probes are presigned (scripts/build-targets.mjs does the same).
      externalModules: ['@aws-sdk/client-*', '@aws-sdk/s3-request-presigner'],
      // ESM bundles of CommonJS dependencies need require().
      banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
      forceDockerBundling: false,
    };
    const common = {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      bundling,
      depsLockFilePath: path.join(root, 'package-lock.json'),
      projectRoot: root,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        PATHGUARD_CONFIG: props.configJson,
        POWERTOOLS_SERVICE_NAME: 'pathguard',
        POWERTOOLS_METRICS_NAMESPACE: 'PathGuard',
        NODE_OPTIONS: '--enable-source-maps',
      },
    } satisfies Partial<nodejs.NodejsFunctionProps>;

    const vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: deployment.network.vpcId,
      availabilityZones: [...new Set(deployment.network.subnets.map((s) => s.availabilityZone))],
    });
    const subnetById = new Map(deployment.network.subnets.map((s) => [s.subnetId, s]));

    const functionsForAlarms: lambda.IFunction[] = [];
    for (const vantage of monitoring.vpcVantages) {
      const s = subnetById.get(vantage.subnetId);
      if (!s)
        throw new Error(
          `vantage ${vantage.id}: subnet ${vantage.subnetId} is not listed in deployment.network.subnets`,
        );
      const subnet = ec2.Subnet.fromSubnetAttributes(this, `Subnet-${vantage.id}`, s);
      const sg = new ec2.SecurityGroup(this, `ProbeSg-${vantage.id}`, {
        vpc,
        description: `PathGuard probe ${vantage.id}: HTTPS egress only`,
        allowAllOutbound: false,
      });
      sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to S3 and AWS APIs');
      const fn = this.makeFunction(`Probe-${vantage.id}`, 'probe', common, retention, dataKey, {
        vpc,
        vpcSubnets: { subnets: [subnet] },
        securityGroups: [sg],
        timeout: Duration.minutes(2),
        environment: { PATHGUARD_VANTAGE: vantage.id },
      });
      // No `orders/`: only the orders function writes a runner's order (a probe role that could
      // would redirect every runner).
      this.allowObjects(
        fn,
        this.resultsBucket,
        ['s3:GetObject', 's3:PutObject'],
        ['probes/', 'observations/', 'runs/'],
      );
      this.allowObjects(fn, this.resultsBucket, ['s3:GetObject'], ['environment/']);
      for (const b of probeBuckets.values()) {
        // GetObject too: the presigned URLs this role signs are only as good as its own permission.
        this.allowObjects(fn, b, ['s3:GetObject', 's3:PutObject'], [`${monitoring.probePrefix}/probes/`]);
      }
      this.allowKey(fn, dataKey);
      this.schedule(`ProbeSchedule-${vantage.id}`, fn, monitoring.scheduleMinutes, dataKey);
      this.probeFunctions.push(fn);
      functionsForAlarms.push(fn);
    }

    // On-prem orders every interval, whatever the VPC vantages: one small function outside the
    // VPC, the only writer under orders/. It signs the runners' report PUTs (observations/).
    if (monitoring.onPremVantages.length > 0) {
      const orders = this.makeFunction('Orders', 'orders', common, retention, dataKey, {
        timeout: Duration.minutes(1),
      });
      this.allowObjects(orders, this.resultsBucket, ['s3:GetObject', 's3:PutObject'], ['probes/', 'runs/']);
      this.allowObjects(orders, this.resultsBucket, ['s3:PutObject'], ['orders/', 'observations/']);
      this.allowObjects(orders, this.resultsBucket, ['s3:GetObject'], ['environment/']);
      for (const b of probeBuckets.values()) {
        this.allowObjects(orders, b, ['s3:GetObject', 's3:PutObject'], [`${monitoring.probePrefix}/probes/`]);
      }
      this.allowKey(orders, dataKey);
      Validations.of(orders.role!).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray tracing (PutTraceSegments, PutTelemetryRecords) supports no resource-level permissions.',
      });
      this.schedule('OrdersSchedule', orders, monitoring.scheduleMinutes, dataKey);
      functionsForAlarms.push(orders);
      this.ordersFunction = orders;
    }

    this.analyzeFunction = this.makeFunction('Analyze', 'analyze', common, retention, dataKey, {
      timeout: Duration.minutes(10),
      memorySize: 1024,
      environment: {
        PATHGUARD_VPC_IDS: deployment.network.vpcId,
        PATHGUARD_TOPIC_ARN: this.topic.topicArn,
        PATHGUARD_FLOW_LOG_FORMAT: FLOW_LOG_FORMAT,
        [EVIDENCE_ENV.accountId]: Aws.ACCOUNT_ID,
      },
    });
    const analyze = this.analyzeFunction;
    this.allowObjects(
      analyze,
      this.resultsBucket,
      ['s3:GetObject', 's3:PutObject'],
      ['probes/', 'observations/', 'evidence/', 'environment/', 'state/'],
    );
    if (accessLogBucket && plan.accessLogs) {
      this.allowObjects(analyze, accessLogBucket, ['s3:GetObject'], [plan.accessLogs.prefix]);
      analyze.addEnvironment(EVIDENCE_ENV.accessLogBucket, accessLogBucket.bucketName);
      analyze.addEnvironment(EVIDENCE_ENV.accessLogPrefix, plan.accessLogs.prefix);
    }
    this.allowKey(analyze, dataKey);
    // Publish only; the KMS permissions come from allowKey (no GenerateDataKey* wildcard).
    analyze.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] }),
    );
    analyze.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'DiscoverNetwork',
        actions: [
          'ec2:DescribeVpcs',
          'ec2:DescribeSubnets',
          'ec2:DescribeRouteTables',
          'ec2:DescribeVpcEndpoints',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeManagedPrefixLists',
          'ec2:GetManagedPrefixListEntries',
          'ec2:DescribeNatGateways',
          'ec2:DescribeFlowLogs',
        ],
        // EC2 Describe* and GetManagedPrefixListEntries do not support resource-level permissions.
        resources: ['*'],
      }),
    );
    Validations.of(analyze.role!).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'EC2 Describe* actions support no resource-level permissions; only read-only discovery actions are listed.',
    });
    this.schedule('AnalyzeSchedule', analyze, monitoring.scheduleMinutes, dataKey);
    functionsForAlarms.push(analyze);

    // --- evidence plumbing ---------------------------------------------------------------------
    let flowLogGroup: logs.ILogGroup | undefined;
    if (plan.flowLogs?.source === 'stack') {
      const group = new logs.LogGroup(this, 'FlowLogs', { retention, removalPolicy: RemovalPolicy.RETAIN });
      const deliveryRole = new iam.Role(this, 'FlowLogsRole', {
        assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com', {
          conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
        }),
      });
      group.grantWrite(deliveryRole);
      deliveryRole.addToPolicy(
        new iam.PolicyStatement({ actions: ['logs:DescribeLogStreams'], resources: [group.logGroupArn] }),
      );
      for (const s of deployment.network.subnets) {
        new ec2.CfnFlowLog(this, `FlowLog-${s.subnetId}`, {
          resourceId: s.subnetId,
          resourceType: 'Subnet',
          trafficType: 'ALL',
          logDestinationType: 'cloud-watch-logs',
          logGroupName: group.logGroupName,
          deliverLogsPermissionArn: deliveryRole.roleArn,
          logFormat: FLOW_LOG_FORMAT,
          maxAggregationInterval: 60,
        });
      }
      flowLogGroup = group;
    } else if (plan.flowLogs?.source === 'existing') {
      flowLogGroup = logs.LogGroup.fromLogGroupName(this, 'ExistingFlowLogs', plan.flowLogs.logGroupName);
    }
    if (flowLogGroup) {
      analyze.addEnvironment(EVIDENCE_ENV.flowLogGroup, flowLogGroup.logGroupName);
      analyze.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'ReadFlowLogs',
          actions: ['logs:FilterLogEvents', 'logs:DescribeLogStreams'],
          resources: [flowLogGroup.logGroupArn],
        }),
      );
      if (plan.flowLogs?.source === 'existing') {
        // An imported group's ARN ends in `:*` (its log streams): the grant is still one group.
        Validations.of(analyze.role!).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:${nagText(this.region, '<AWS::Region>')}:${nagText(this.account, '<AWS::AccountId>')}:log-group:${plan.flowLogs.logGroupName}:*]`,
          reason: 'Read access to the streams of the one existing flow-log group the config names.',
        });
      }
    }

    if (plan.cloudTrail?.source === 'stack') {
      const trailBucket = new s3.Bucket(this, 'TrailBucket', {
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        serverAccessLogsBucket: serverAccessLogs,
        serverAccessLogsPrefix: 'trail/',
        lifecycleRules: [{ expiration: Duration.days(kept.evidenceDays) }],
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
      // The construct refuses a trail without management events unless it has an event selector;
      // the basic selectors it renders are replaced by the advanced ones below.
      trail.addS3EventSelector(
        [...probeBuckets.values()].map((bucket) => ({
          bucket,
          objectPrefix: `${monitoring.probePrefix}/probes/`,
        })),
        { includeManagementEvents: false },
      );
      const cfnTrail = trail.node.defaultChild as cloudtrail.CfnTrail;
      // Data events on the probe prefix only: a trail of all S3 data events would be costly.
      cfnTrail.addPropertyDeletionOverride('EventSelectors');
      cfnTrail.advancedEventSelectors = [
        ...[...probeBuckets.keys()].map((name) => ({
          name: `PathGuard probes in ${name}`,
          fieldSelectors: [
            { field: 'eventCategory', equalTo: ['Data'] },
            { field: 'resources.type', equalTo: ['AWS::S3::Object'] },
            {
              field: 'resources.ARN',
              startsWith: [`arn:${Aws.PARTITION}:s3:::${name}/${monitoring.probePrefix}/probes/`],
            },
          ],
        })),
        // Calls through the VPC endpoints to S3, denials included (aws-facts §3; opt-in, paid).
        ...(plan.cloudTrail.networkActivity
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
      this.allowObjects(analyze, trailBucket, ['s3:GetObject'], ['AWSLogs/']);
      analyze.addEnvironment(EVIDENCE_ENV.cloudTrailBucket, trailBucket.bucketName);
      analyze.addEnvironment(EVIDENCE_ENV.cloudTrailPrefix, '');
      Validations.of(trail).acknowledge({
        id: 'AwsSolutions-IAM5',
        reason: 'CloudTrail delivery policy generated by the Trail construct.',
      });
    } else if (plan.cloudTrail?.source === 'existing') {
      const trailBucket = s3.Bucket.fromBucketName(this, 'ExistingTrailBucket', plan.cloudTrail.bucket);
      this.allowObjects(analyze, trailBucket, ['s3:GetObject'], [`${plan.cloudTrail.prefix}AWSLogs/`]);
      analyze.addEnvironment(EVIDENCE_ENV.cloudTrailBucket, plan.cloudTrail.bucket);
      analyze.addEnvironment(EVIDENCE_ENV.cloudTrailPrefix, plan.cloudTrail.prefix);
    }

    // --- on-prem runner identities ---------------------------------------------------------------
    for (const runner of deployment.onPremRunners) {
      // Roles Anywhere: the trust anchor alone admits every certificate its CA ever issued, so
      // every statement that lets the service assume the role (AssumeRole, TagSession,
      // SetSourceIdentity) also pins this runner's certificate by its subject CN, the principal
      // tag Roles Anywhere maps from the certificate (a profile whose attribute mapping drops
      // the CN makes StringEquals false: it fails closed).
      const certificatePin =
        'rolesAnywhere' in runner.trust
          ? {
              ArnEquals: { 'aws:SourceArn': runner.trust.rolesAnywhere.trustAnchorArn },
              StringEquals: {
                'aws:PrincipalTag/x509Subject/CN': runner.trust.rolesAnywhere.certificateCommonName,
              },
            }
          : undefined;
      const principal: iam.IPrincipal =
        'principalArn' in runner.trust
          ? new iam.ArnPrincipal(runner.trust.principalArn)
          : new iam.ServicePrincipal('rolesanywhere.amazonaws.com', {
              conditions: certificatePin,
            }).withSessionTags();
      const role = new iam.Role(this, `Runner-${runner.runnerId}`, {
        assumedBy: principal,
        description: `PathGuard on-prem runner ${runner.runnerId}: reads its own order only`,
        maxSessionDuration: Duration.hours(1),
      });
      if (certificatePin) {
        role.assumeRolePolicy?.addStatements(
          new iam.PolicyStatement({
            actions: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
            principals: [new iam.ServicePrincipal('rolesanywhere.amazonaws.com')],
            conditions: certificatePin,
          }),
        );
      }
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['s3:GetObject'],
          resources: [this.resultsBucket.arnForObjects(`orders/${runner.runnerId}/latest.json`)],
        }),
      );
      // Decrypt only as S3 reading the results bucket: kms:ViaService keeps the key from being
      // used directly, and the encryption context is the bucket ARN because the bucket uses an
      // S3 Bucket Key (with a Bucket Key S3 passes the bucket ARN, not the object ARN, as
      // aws:s3:arn).
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [dataKey.keyArn],
          conditions: {
            StringEquals: {
              'kms:ViaService': `s3.${this.region}.${this.urlSuffix}`,
              'kms:EncryptionContext:aws:s3:arn': this.resultsBucket.bucketArn,
            },
          },
        }),
      );
      new CfnOutput(this, `RunnerRoleArn-${runner.runnerId}`, { value: role.roleArn });
    }

    // --- alarms and dashboard ------------------------------------------------------------------
    const action = new cwActions.SnsAction(this.topic);
    for (const fn of functionsForAlarms) {
      const alarm = fn
        .metricErrors({ period: Duration.minutes(5) })
        .createAlarm(this, `${fn.node.id}Errors`, {
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription: `PathGuard ${fn.node.id} failed`,
        });
      alarm.addAlarmAction(action);
    }
    const interval = Duration.minutes(monitoring.scheduleMinutes);
    // Dimension sets exactly as the handlers emit them (test/infra/metrics-contract.test.ts runs
    // the handlers and checks every metric here against their EMF output).
    const runs = new cloudwatch.Metric({
      namespace: 'PathGuard',
      metricName: 'RunSucceeded',
      dimensionsMap: { service: 'pathguard' },
      statistic: 'Sum',
      period: interval,
    });
    const silent = runs.createAlarm(this, 'AnalyzeSilent', {
      threshold: 1,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      // No datapoint at all means no run finished: that is exactly what this alarm is for.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      alarmDescription: 'PathGuard analyzer had no successful run in three intervals',
    });
    silent.addAlarmAction(action);
    // A probe that fails to mint is a blind spot: a run where every probe fails is otherwise silent.
    const mintFailures: [string, Record<string, string>][] = [
      ...monitoring.vpcVantages.map((v): [string, Record<string, string>] => [
        `MintFailures-${v.id}`,
        { service: 'pathguard', vantage: v.id },
      ]),
      ...(this.ordersFunction
        ? [
            ['MintFailures-orders', { service: 'pathguard', function: 'orders' }] as [
              string,
              Record<string, string>,
            ],
          ]
        : []),
    ];
    for (const [id, dimensionsMap] of mintFailures) {
      new cloudwatch.Metric({
        namespace: 'PathGuard',
        metricName: 'MintFailures',
        dimensionsMap,
        statistic: 'Sum',
        period: interval,
      })
        .createAlarm(this, id, {
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription: `PathGuard could not mint probes (${Object.values(dimensionsMap).slice(1).join(' ')}): those paths are unmonitored`,
        })
        .addAlarmAction(action);
    }
    const published = this.topic.metricNumberOfMessagesPublished({ period: Duration.minutes(5) });
    published
      .createAlarm(this, 'AlertsPublished', {
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: 'PathGuard published alerts (see the topic for details)',
      })
      .addOkAction(action);

    const metric = (name: string, stat = 'Sum') =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{PathGuard,service,verdict} MetricName="${name}"', '${stat}', 300)`,
        label: name,
        period: Duration.minutes(5),
      });
    new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${this.stackName}-pathguard`.slice(0, 255),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Probe verdicts',
            left: [metric('ProbeVerdict')],
            width: 24,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Evidence lag (seconds)',
            left: [
              new cloudwatch.Metric({
                namespace: 'PathGuard',
                metricName: 'EvidenceLagSeconds',
                dimensionsMap: { service: 'pathguard' },
                statistic: 'p90',
              }),
            ],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Rejected log lines',
            left: [
              new cloudwatch.Metric({
                namespace: 'PathGuard',
                metricName: 'RejectedLogLines',
                dimensionsMap: { service: 'pathguard' },
                statistic: 'Sum',
              }),
            ],
            width: 8,
          }),
          new cloudwatch.GraphWidget({ title: 'Alerts published', left: [published], width: 8 }),
        ],
      ],
    });

    new CfnOutput(this, 'ResultsBucketName', { value: this.resultsBucket.bucketName });
    new CfnOutput(this, 'AlertTopicArn', { value: this.topic.topicArn });
    new CfnOutput(this, 'AnalyzeFunctionName', { value: analyze.functionName });
  }

  /**
   * Object-level access under fixed prefixes, plus ListBucket limited to those prefixes. The keys
   * below each prefix are generated per run, so the object ARN ends in a wildcard: acknowledged
   * here, finding by finding, with that reason.
   */
  private allowObjects(fn: lambda.Function, bucket: s3.IBucket, actions: string[], prefixes: string[]): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions, resources: prefixes.map((p) => bucket.arnForObjects(`${p}*`)) }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': prefixes.map((p) => `${p}*`) } },
      }),
    );
    const cfn = bucket.node.defaultChild as s3.CfnBucket | undefined;
    const ref = cfn
      ? `<${Stack.of(this).getLogicalId(cfn)}.Arn>`
      : `arn:<AWS::Partition>:s3:::${bucket.bucketName}`;
    for (const p of prefixes) {
      Validations.of(fn.role!).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${ref}/${p}*]`,
        reason: `Objects under ${p} have per-run generated keys; access is limited to that prefix.`,
      });
    }
  }

  private allowKey(fn: lambda.Function, key: kms.IKey): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [key.keyArn],
      }),
    );
  }

  private makeFunction(
    id: string,
    handler: 'probe' | 'orders' | 'analyze',
    common: Partial<nodejs.NodejsFunctionProps>,
    retention: logs.RetentionDays,
    key: kms.IKey,
    extra: Partial<nodejs.NodejsFunctionProps>,
  ): nodejs.NodejsFunction {
    const logGroup = new logs.LogGroup(this, `${id}Logs`, { retention, removalPolicy: RemovalPolicy.RETAIN });
    const dlq = this.deadLetterQueue(`${id}Dlq`, key);
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `PathGuard ${id}`,
    });
    // Written by hand instead of the AWS managed basic-execution policy: scoped to this log group.
    logGroup.grantWrite(role);
    if (extra.vpc) {
      // ENI management for a VPC-attached function; these EC2 actions support no resource scoping.
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
      );
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'Lambda VPC ENI management actions support no resource-level permissions.',
      });
    }
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is pinned on purpose: the code is built and tested for Node 20/22; newer runtimes are adopted after validation.',
    });
    const fn = new nodejs.NodejsFunction(this, id, {
      ...common,
      ...extra,
      entry: path.join(root, 'functions', 'handlers', `${handler}.ts`),
      handler: 'handler',
      role,
      logGroup,
      deadLetterQueue: dlq,
      retryAttempts: 0,
      memorySize: extra.memorySize ?? 512,
      environment: { ...common.environment, ...extra.environment },
    });
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is pinned on purpose: the code is built and tested for Node 20/22; newer runtimes are adopted after validation.',
    });
    return fn;
  }

  /** An encrypted, TLS-only dead-letter queue keeping failed events for 14 days. */
  private deadLetterQueue(id: string, key: kms.IKey): sqs.Queue {
    const dlq = new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(dlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself a dead-letter queue.',
    });
    return dlq;
  }

  private schedule(id: string, fn: lambda.IFunction, minutes: number, key: kms.IKey): void {
    const dlq = this.deadLetterQueue(`${id}Dlq`, key);
    new events.Rule(this, id, {
      schedule: events.Schedule.rate(Duration.minutes(minutes)),
      targets: [
        new targets.LambdaFunction(fn, {
          deadLetterQueue: dlq,
          retryAttempts: 2,
          maxEventAge: Duration.minutes(minutes),
        }),
      ],
    });
  }
}

/** A value as cdk-nag writes it in a finding id: the token's pseudo-parameter when unresolved. */
function nagText(value: string, pseudo: string): string {
  return Token.isUnresolved(value) ? pseudo : value;
}
