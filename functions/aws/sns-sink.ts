import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { AlertSink, RenderedAlert } from '../../shared/ports/index.js';
import { type RetryOptions, withRetry } from './retry.js';

/** SNS subjects: at most 100 printable ASCII characters, no line breaks. */
export function snsSubject(subject: string): string {
  const clean = subject
    .replace(/[^\x20-\x7e]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return clean.length <= 100 ? clean : `${clean.slice(0, 99)}~`;
}

/**
 * Publishes alerts to one SNS topic with per-protocol messages (`MessageStructure: 'json'`):
 * email subscribers get the readable text (`default`, `email`, `email-json`), while https
 * subscribers (AWS Chatbot), Lambda and SQS get the Chatbot custom-notification document. One
 * topic serves both, so an ops team subscribes its email and its chat channel to the same place.
 * Throttling, 5xx and timeouts are retried with backoff; `publish` resolves only when SNS returned
 * a MessageId, so an alert is recorded as sent only after SNS accepted it.
 */
export class SnsAlertSink implements AlertSink {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
    private readonly retry: RetryOptions = {},
  ) {}

  async publish(alert: RenderedAlert): Promise<{ messageId: string }> {
    const chat = JSON.stringify(alert.chatbot);
    const message = JSON.stringify({
      default: alert.text,
      email: alert.text,
      'email-json': alert.text,
      https: chat,
      http: chat,
      lambda: chat,
      sqs: chat,
    });
    const attributes = Object.fromEntries(
      Object.entries(alert.attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
    );
    const out = await withRetry(
      () =>
        this.sns.send(
          new PublishCommand({
            TopicArn: this.topicArn,
            Subject: snsSubject(alert.subject),
            Message: message,
            MessageStructure: 'json',
            MessageAttributes: attributes,
          }),
        ),
      this.retry,
    );
    if (!out.MessageId) throw new Error('SNS Publish returned no MessageId');
    return { messageId: out.MessageId };
  }
}
