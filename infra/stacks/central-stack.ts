import { Aws, CfnOutput, type aws_logs as logs, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { PATHGUARD_FLOW_FORMAT } from '../../shared/flow-logs/pathguard-format.js';
import type { OrganizationPlan } from '../config.js';
import { Alarms } from '../constructs/alarms.js';
import { Alerts } from '../constructs/alerts.js';
import { Analyzer } from '../constructs/analyzer.js';
import { MemberStackSet } from '../constructs/member-stack-set.js';
import { OrganizationAccess } from '../constructs/organization-access.js';
import { functionDefaults } from '../constructs/pathguard-function.js';
import { ResultsStore } from '../constructs/results-store.js';
import { scheduleFunction } from '../constructs/schedule.js';
import type { DeploymentSettings } from '../deployment-config.js';
import { centralAnalyzeRoleName, discoveryRoleName } from '../organization-config.js';
import type { StackMonitoringConfig } from './pathguard-stack.js';

/** Props of {@link CentralStack}. */
export interface CentralStackProps extends StackProps {
  readonly organization: OrganizationPlan;
  readonly monitoring: StackMonitoringConfig;
  /** The monitoring config document, passed to the functions as PATHGUARD_CONFIG. */
  readonly configJson: string;
  readonly deployment: DeploymentSettings;
}

/**
 * PathGuard's central account: the results bucket every member writes its own prefix of, the
 * analyze function (discovery through each member's role, evidence from the log archive), alerts,
 * reports and alarms; with a StackSet of the member baseline when the config asks for one.
 */
export class CentralStack extends Stack {
  readonly store: ResultsStore;
  readonly analyzer: Analyzer;
  readonly stackSet: MemberStackSet | undefined;

  constructor(scope: Construct, id: string, props: CentralStackProps) {
    super(scope, id, props);
    const { monitoring, deployment } = props;
    const org = props.organization.settings;
    const retention = deployment.logRetentionDays as logs.RetentionDays;
    this.store = new ResultsStore(this, 'ResultsStore', {
      resultsBucketName: monitoring.resultsBucket,
      retention: monitoring.retention,
      probePrefix: monitoring.probePrefix,
      targetBuckets: monitoring.targetBuckets,
    });
    const alerts = new Alerts(this, 'Alerting', {
      dataKey: this.store.dataKey,
      emails: deployment.alerts.emails,
      ...(deployment.alerts.slack ? { slack: deployment.alerts.slack } : {}),
      logRetention: retention,
    });
    const defaults = functionDefaults(props.configJson, retention, this.store.dataKey);
    const members = props.organization.members;
    this.analyzer = new Analyzer(this, 'Analyzer', {
      defaults,
      topic: alerts.topic,
      resultsBucket: this.store.bucket,
      flowLogFormat: PATHGUARD_FLOW_FORMAT.spec,
      uploadProbes: {
        buckets: (monitoring.uploadBuckets ?? []).flatMap((name) => {
          const b = this.store.probeBuckets.get(name);
          return b ? [b] : [];
        }),
        prefix: `${monitoring.probePrefix}/probes/`,
      },
      roleName: centralAnalyzeRoleName(org),
      memberDiscovery: {
        roles: members.map((m) => ({
          account: m.account,
          region: m.region,
          roleArn: `arn:${Aws.PARTITION}:iam::${m.account}:role/${discoveryRoleName(org, m.region)}`,
          vpcId: m.network.vpcId,
          vantageIds: m.vpcVantages.map((v) => v.id),
        })),
        ...(org.discoveryRole.externalId ? { externalId: org.discoveryRole.externalId } : {}),
      },
    });
    const analyze = this.analyzer.function;
    new OrganizationAccess(this, 'OrganizationAccess', {
      organization: org,
      resultsBucket: this.store.bucket,
      resultsBucketName: monitoring.resultsBucket,
      dataKey: this.store.dataKey,
      analyze,
    });
    scheduleFunction(this, 'AnalyzeSchedule', analyze, monitoring.scheduleMinutes, this.store.dataKey);
    new Alarms(this, 'Alarms', {
      topic: alerts.topic,
      functions: [analyze],
      watchMemberRuns: true,
      scheduleMinutes: monitoring.scheduleMinutes,
    });
    this.stackSet = org.stackSet
      ? new MemberStackSet(this, 'MemberStackSet', {
          organization: org,
          stackSet: org.stackSet,
          defaultRegions: [...new Set(members.map((m) => m.region))],
        })
      : undefined;
    new CfnOutput(this, 'ResultsBucketName', { value: this.store.bucket.bucketName });
    new CfnOutput(this, 'AlertTopicArn', { value: alerts.topic.topicArn });
    new CfnOutput(this, 'AnalyzeFunctionName', { value: analyze.functionName });
    new CfnOutput(this, 'AnalyzeRoleArn', { value: analyze.role!.roleArn });
  }
}
