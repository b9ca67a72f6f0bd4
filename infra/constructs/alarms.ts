import {
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as cwActions,
  Duration,
  type aws_lambda as lambda,
  Stack,
  type aws_sns as sns,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { StackSection } from './stack-section.js';

/** Props of {@link Alarms}. */
export interface AlarmsProps {
  /** Where alarms notify. */
  readonly topic: sns.Topic;
  /** Functions whose errors raise an alarm (named `<function id>Errors`). */
  readonly functions: readonly lambda.IFunction[];
  /** VPC vantages whose probe minting is watched. @default none */
  readonly vpcVantageIds?: readonly string[];
  /** Whether the orders function's minting is watched. @default false */
  readonly watchOrders?: boolean;
  /** Whether member runs of an organisation are watched (`MemberRunFailed`). @default false */
  readonly watchMemberRuns?: boolean;
  /** The monitoring interval: the period of the run metrics. */
  readonly scheduleMinutes: number;
}

/**
 * What tells the operator PathGuard itself is failing or silent: function errors, no successful
 * analyzer run in three intervals, probes that cannot be minted, member accounts that could not
 * be analysed; alerts published; a dashboard.
 */
export class Alarms extends StackSection {
  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const action = new cwActions.SnsAction(props.topic);
    for (const fn of props.functions) {
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
    this.runAlarms(props, action);
    const published = props.topic.metricNumberOfMessagesPublished({ period: Duration.minutes(5) });
    published
      .createAlarm(this, 'AlertsPublished', {
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: 'PathGuard published alerts (see the topic for details)',
      })
      .addOkAction(action);
    this.dashboard(published);
  }

  /** No successful run, and probes that could not be minted (each a blind spot). */
  private runAlarms(props: AlarmsProps, action: cwActions.SnsAction): void {
    const interval = Duration.minutes(props.scheduleMinutes);
    // Dimension sets exactly as the handlers emit them (test/infra/contract.test.ts and
    // organization-contract.test.ts run the handlers and check these metrics against their EMF).
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
      ...(props.vpcVantageIds ?? []).map((id): [string, Record<string, string>] => [
        `MintFailures-${id}`,
        { service: 'pathguard', vantage: id },
      ]),
      ...(props.watchOrders
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
    if (props.watchMemberRuns) this.memberRunAlarm(interval, action);
  }

  /**
   * A member account that could not be analysed in a run (its role refused, EC2 throttled beyond
   * the retries): its probes decide nothing until it runs again. Raised at once, where
   * AnalyzeSilent waits three intervals; no datapoint means no member failed.
   */
  private memberRunAlarm(interval: Duration, action: cwActions.SnsAction): void {
    new cloudwatch.Metric({
      namespace: 'PathGuard',
      metricName: 'MemberRunFailed',
      dimensionsMap: { service: 'pathguard' },
      statistic: 'Sum',
      period: interval,
    })
      .createAlarm(this, 'MemberRunFailed', {
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription:
          "PathGuard could not analyse a member account: its probes wait (the analyze function's 'member run failed' log names it)",
      })
      .addAlarmAction(action);
  }

  private dashboard(published: cloudwatch.IMetric): void {
    const metric = (name: string, stat = 'Sum') =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{PathGuard,service,verdict} MetricName="${name}"', '${stat}', 300)`,
        label: name,
        period: Duration.minutes(5),
      });
    const pathguard = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: 'PathGuard',
        metricName,
        dimensionsMap: { service: 'pathguard' },
        statistic,
      });
    new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-pathguard`.slice(0, 255),
      widgets: [
        [new cloudwatch.GraphWidget({ title: 'Probe verdicts', left: [metric('ProbeVerdict')], width: 24 })],
        [
          new cloudwatch.GraphWidget({
            title: 'Evidence lag (seconds)',
            left: [pathguard('EvidenceLagSeconds', 'p90')],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Rejected log lines',
            left: [pathguard('RejectedLogLines', 'Sum')],
            width: 8,
          }),
          new cloudwatch.GraphWidget({ title: 'Alerts published', left: [published], width: 8 }),
        ],
      ],
    });
  }
}
