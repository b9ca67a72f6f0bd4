import type { MessageAttributeValue, SNSClient } from '@aws-sdk/client-sns';
import type { AlertSink, RenderedAlert } from '../../shared/ports/index.js';
import { AwsCallError } from './retry.js';

/** SNS takes subjects "less than 100 characters long". */
export const SNS_SUBJECT_MAX = 99;
/** SQS subscriptions with raw delivery drop messages carrying more than 10 attributes. */
export const SNS_MAX_ATTRIBUTES = 10;

/**
 * An SNS subject from any text: no line breaks or control characters (SNS rejects them), runs of
 * whitespace collapsed, at most {@link SNS_SUBJECT_MAX} characters (cut with `…`), never empty.
 */
export function snsSubject(subject: string): string {
  const clean = subject
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...clean];
  if (chars.length === 0) return 'PathGuard alert';
  return chars.length <= SNS_SUBJECT_MAX ? clean : `${chars.slice(0, SNS_SUBJECT_MAX - 1).join('')}…`;
}

const ATTRIBUTE_NAME = /^[A-Za-z0-9_-](?:[A-Za-z0-9_.-]{0,254}[A-Za-z0-9_-])?$/;

/**
 * SNS message attributes from the alert's: String type; names SNS accepts (letters, digits,
 * `_ - .`, no leading/trailing or doubled period, not `AWS.`/`Amazon.`, at most 256); empty values
 * dropped (SNS rejects them); at most {@link SNS_MAX_ATTRIBUTES}, in the order given.
 */
export function snsAttributes(attributes: Record<string, string>): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  let n = 0;
  for (const [name, value] of Object.entries(attributes)) {
    if (n >= SNS_MAX_ATTRIBUTES) break;
    if (!ATTRIBUTE_NAME.test(name) || name.includes('..') || /^(aws|amazon)\./i.test(name)) continue;
    if (typeof value !== 'string' || value.length === 0) continue;
    out[name] = { DataType: 'String', StringValue: value };
    n++;
  }
  return out;
}

/**
 * The per-protocol message document (`MessageStructure: 'json'`). Email subscribers get the
 * readable text (`default` covers any protocol not listed); AWS Chatbot subscribes to the topic
 * over `https`, so `https` (and `http`) carry the Chatbot custom-notification document, as do
 * `lambda` and `sqs`, whose consumers are programs. Every value must be a JSON string.
 */
export function snsMessage(alert: RenderedAlert): string {
  const chat = JSON.stringify(alert.chatbot);
  return JSON.stringify({
    default: alert.text,
    email: alert.text,
    'email-json': alert.text,
    https: chat,
    http: chat,
    lambda: chat,
    sqs: chat,
  });
}

/**
 * Alerts to one SNS topic with per-protocol messages: email gets the text, AWS Chatbot (Amazon Q
 * Developer in chat applications) its custom-notification JSON. One topic rather than two, so a
 * team subscribes its mailbox and its chat channel to the same place and both always see the same
 * alerts (docs/alerts.md).
 *
 * Retries are the SNS client's own (configure it with `awsClientConfig()` from ./retry.js):
 * throttling, 5xx and timeouts are retried with backoff there. `publish` resolves only with the
 * MessageId SNS returned, so the caller records an alert as sent only after SNS accepted it; a
 * persistent failure rejects with an {@link AwsCallError}. A timeout after SNS accepted a message
 * can make a retry publish it twice: alerts are at-least-once, and carry their dedup key.
 */
export class SnsAlertSink implements AlertSink {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(alert: RenderedAlert): Promise<{ messageId: string }> {
    let out: { MessageId?: string | undefined };
    // The SNS module loads with the first alert (the caller's client aside): most analyze runs
    // send none, and the function's cold start skips it.
    const { PublishCommand } = await import('./sdk-sns.js');
    try {
      out = await this.sns.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Subject: snsSubject(alert.subject),
          Message: snsMessage(alert),
          MessageStructure: 'json',
          MessageAttributes: snsAttributes(alert.attributes),
        }),
      );
    } catch (e) {
      throw new AwsCallError('SNS Publish', e);
    }
    if (!out.MessageId) throw new AwsCallError('SNS Publish', new Error('SNS returned no MessageId'));
    return { messageId: out.MessageId };
  }
}
