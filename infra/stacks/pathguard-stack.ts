import {
  type CfnElement,
  CfnOutput,
  type aws_kms as kms,
  type aws_lambda as lambda,
  type aws_logs as logs,
  type aws_lambda_nodejs as nodejs,
  Stack,
  type StackProps,
  type aws_s3 as s3,
  type aws_sns as sns,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { accessTable } from '../../shared/athena/access-table.js';
import { flowTable } from '../../shared/athena/flow-table.js';
import { PATHGUARD_FLOW_FORMAT } from '../../shared/flow-logs/pathguard-format.js';
import type { AthenaTablesPlan } from '../athena-tables.js';
import { Alarms } from '../constructs/alarms.js';
import { Alerts } from '../constructs/alerts.js';
import { Analyzer } from '../constructs/analyzer.js';
import type { AthenaEngineGrants } from '../constructs/athena-grants.js';
import { AthenaTables } from '../constructs/athena-tables.js';
import { EvidencePlumbing } from '../constructs/evidence-plumbing.js';
import { functionDefaults } from '../constructs/pathguard-function.js';
import { ProbeFunctions } from '../constructs/probe-functions.js';
import { ResultsStore } from '../constructs/results-store.js';
import { RunnerIdentities } from '../constructs/runner-identities.js';
import { scheduleFunction } from '../constructs/schedule.js';
import { logicalIdOutsideSections } from '../constructs/stack-section.js';
import type { DeploymentSettings } from '../deployment-config.js';
import type { EvidencePlan } from '../evidence.js';

/** The flow-log fields PathGuard needs, in AWS `${field}` syntax (v5 custom format). */
export const FLOW_LOG_FORMAT = PATHGUARD_FLOW_FORMAT.spec;

/** The parts of the monitoring config the stack reads. */
export interface StackMonitoringConfig {
  readonly region: string;
  readonly probePrefix: string;
  readonly resultsBucket: string;
  readonly scheduleMinutes: number;
  readonly targetBuckets: readonly string[];
  /** Target buckets with upload probes (`put`, `post`), whose objects the analyzer deletes. @default none */
  readonly uploadBuckets?: readonly string[];
  readonly vpcVantages: readonly { readonly id: string; readonly subnetId: string }[];
  /** On-prem vantages: their orders are written by the orders function. */
  readonly onPremVantages: readonly string[];
  readonly retention: { readonly probesDays: number; readonly evidenceDays: number };
  /** Every evidence location, resolved and checked against the config (infra/evidence.ts). */
  readonly evidence: EvidencePlan;
  /** Sources queried through Athena: the analyzer's extra grants. @default none */
  readonly athena?: AthenaEngineGrants;
  /** Glue tables the stack creates for those sources (deployment.evidence.createAthenaTables). @default none */
  readonly athenaTables?: AthenaTablesPlan;
}

export interface PathGuardStackProps extends StackProps {
  /** The monitoring config as validated (its facts the stack needs). */
  readonly monitoring: StackMonitoringConfig;
  /** The monitoring config document, passed to the functions as PATHGUARD_CONFIG. */
  readonly configJson: string;
  readonly deployment: DeploymentSettings;
}

/**
 * PathGuard in one account and Region, composed of its sections (infra/constructs/): the results
 * store, the alert topic, the probe functions, the analyzer, the evidence plumbing, the on-prem
 * runner identities, alarms and a dashboard; the stack itself schedules the functions.
 */
export class PathGuardStack extends Stack {
  readonly resultsBucket: s3.Bucket;
  readonly topic: sns.Topic;
  readonly analyzeFunction: nodejs.NodejsFunction;
  readonly probeFunctions: nodejs.NodejsFunction[];
  /** Writes the on-prem runners' orders; absent when the config has no on-prem vantage. */
  readonly ordersFunction: nodejs.NodejsFunction | undefined;

  constructor(scope: Construct, id: string, props: PathGuardStackProps) {
    super(scope, id, props);
    const { monitoring, deployment } = props;
    const retention = deployment.logRetentionDays as logs.RetentionDays;
    const plan = monitoring.evidence;
    const network = deployment.network;
    if (!network) throw new Error('deployment.network: required for a single-account stack');
    if (monitoring.vpcVantages.length + monitoring.onPremVantages.length === 0)
      throw new Error('vantages: the config has no vantage, so nothing would be monitored');

    const store = new ResultsStore(this, 'ResultsStore', {
      resultsBucketName: monitoring.resultsBucket,
      retention: monitoring.retention,
      probePrefix: monitoring.probePrefix,
      targetBuckets: monitoring.targetBuckets,
      createProbeBuckets: deployment.createProbeBuckets,
      ...(deployment.evidence.createAccessLogging
        ? { probeAccessLogPrefix: deployment.evidence.accessLogPrefix }
        : {}),
      accessLogs: plan.accessLogs,
    });
    this.resultsBucket = store.bucket;
    const alerts = new Alerts(this, 'Alerting', {
      dataKey: store.dataKey,
      emails: deployment.alerts.emails,
      ...(deployment.alerts.slack ? { slack: deployment.alerts.slack } : {}),
      logRetention: retention,
    });
    this.topic = alerts.topic;
    const defaults = functionDefaults(props.configJson, retention, store.dataKey);

    const probes = new ProbeFunctions(this, 'ProbeFunctions', {
      defaults,
      vpcId: network.vpcId,
      subnets: network.subnets,
      vpcVantages: monitoring.vpcVantages,
      hasOnPremVantages: monitoring.onPremVantages.length > 0,
      resultsBucket: store.bucket,
      probeBuckets: [...store.probeBuckets.values()],
      probePrefix: monitoring.probePrefix,
    });
    this.probeFunctions = probes.probeFunctions;
    this.ordersFunction = probes.ordersFunction;
    const analyzer = new Analyzer(this, 'Analyzer', {
      defaults,
      vpcId: network.vpcId,
      topic: this.topic,
      resultsBucket: store.bucket,
      flowLogFormat: FLOW_LOG_FORMAT,
      ...(monitoring.athena ? { athena: monitoring.athena } : {}),
      ...(store.accessLogBucket && plan.accessLogs
        ? { accessLogs: { bucket: store.accessLogBucket, prefix: plan.accessLogs.prefix } }
        : {}),
      uploadProbes: {
        buckets: (monitoring.uploadBuckets ?? []).flatMap((name) => {
          const b = store.probeBuckets.get(name);
          return b ? [b] : [];
        }),
        prefix: `${monitoring.probePrefix}/probes/`,
      },
    });
    this.analyzeFunction = analyzer.function;
    const tables = monitoring.athenaTables;
    if (tables) {
      const logs = store.accessLogBucket;
      new AthenaTables(this, 'AthenaTables', {
        tables: [
          ...(tables.flow ? [flowTable(tables.flow)] : []),
          ...(tables.access && logs
            ? [accessTable({ ...tables.access, bucket: tables.access.bucket ?? logs.bucketName })]
            : []),
        ],
      });
    }

    const minutes = monitoring.scheduleMinutes;
    monitoring.vpcVantages.forEach((vantage, i) => {
      this.schedule(`ProbeSchedule-${vantage.id}`, this.probeFunctions[i]!, minutes, store.dataKey);
    });
    if (this.ordersFunction)
      this.schedule('OrdersSchedule', this.ordersFunction, monitoring.scheduleMinutes, store.dataKey);
    this.schedule('AnalyzeSchedule', this.analyzeFunction, monitoring.scheduleMinutes, store.dataKey);

    new EvidencePlumbing(this, 'EvidencePlumbing', {
      plan,
      analyze: this.analyzeFunction,
      subnetIds: network.subnets.map((s) => s.subnetId),
      flowLogFormat: FLOW_LOG_FORMAT,
      logRetention: retention,
      serverAccessLogs: store.serverAccessLogs,
      evidenceDays: monitoring.retention.evidenceDays,
      probeBuckets: store.probeBuckets,
      probePrefix: monitoring.probePrefix,
    });
    new RunnerIdentities(this, 'RunnerIdentities', {
      runners: deployment.onPremRunners,
      resultsBucket: store.bucket,
      dataKey: store.dataKey,
    });
    new Alarms(this, 'Alarms', {
      topic: this.topic,
      functions: [
        ...this.probeFunctions,
        ...(this.ordersFunction ? [this.ordersFunction] : []),
        this.analyzeFunction,
      ],
      vpcVantageIds: monitoring.vpcVantages.map((v) => v.id),
      watchOrders: this.ordersFunction !== undefined,
      scheduleMinutes: monitoring.scheduleMinutes,
    });

    new CfnOutput(this, 'ResultsBucketName', { value: this.resultsBucket.bucketName });
    new CfnOutput(this, 'AlertTopicArn', { value: this.topic.topicArn });
    new CfnOutput(this, 'AnalyzeFunctionName', { value: this.analyzeFunction.functionName });
  }

  /**
   * Sections group resources in the construct tree but not in their logical ids: the ids stay
   * those of the stack before it had sections, so an update replaces nothing.
   */
  protected override allocateLogicalId(element: CfnElement): string {
    return logicalIdOutsideSections(element) ?? super.allocateLogicalId(element);
  }

  private schedule(id: string, fn: lambda.IFunction, minutes: number, key: kms.IKey): void {
    scheduleFunction(this, id, fn, minutes, key);
  }
}
