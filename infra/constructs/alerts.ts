import {
  ArnFormat,
  aws_chatbot as chatbot,
  aws_iam as iam,
  type aws_kms as kms,
  type aws_logs as logs,
  Stack,
  aws_sns as sns,
  aws_sns_subscriptions as subs,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { StackSection } from './stack-section.js';

/** Props of {@link Alerts}. */
export interface AlertsProps {
  /** The key the topic is encrypted with; CloudWatch alarms are allowed to use it. */
  readonly dataKey: kms.Key;
  /** Addresses subscribed by email. @default none */
  readonly emails?: readonly string[];
  /** A Slack channel notified through AWS Chatbot. @default none */
  readonly slack?: { readonly workspaceId: string; readonly channelId: string };
  /** Retention of Chatbot's own log group (with `slack`). @default CDK's default */
  readonly logRetention?: logs.RetentionDays;
}

/** The alert topic (KMS-encrypted, TLS only) and who hears it: email, Slack, CloudWatch alarms. */
export class Alerts extends StackSection {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.topic = new sns.Topic(this, 'Alerts', {
      displayName: 'PathGuard alerts',
      masterKey: props.dataKey,
      enforceSSL: true,
    });
    for (const email of props.emails ?? []) this.topic.addSubscription(new subs.EmailSubscription(email));
    // CloudWatch alarms publish to the encrypted topic: SNS needs the publisher to hold
    // kms:GenerateDataKey* and kms:Decrypt on the topic's key, nothing more. The service principal
    // acts for any account's alarms, so the grant names this account and its alarms (the
    // confused-deputy guard, aws:SourceAccount / aws:SourceArn, which CloudWatch sends).
    props.dataKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToAlertTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    if (props.slack) {
      new chatbot.SlackChannelConfiguration(this, 'Slack', {
        slackChannelConfigurationName: `${stack.stackName}-alerts`.slice(0, 128),
        slackWorkspaceId: props.slack.workspaceId,
        slackChannelId: props.slack.channelId,
        notificationTopics: [this.topic],
        loggingLevel: chatbot.LoggingLevel.ERROR,
        ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      });
    }
  }
}
