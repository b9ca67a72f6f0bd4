import { SNSClient } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { awsClientConfig } from '../../functions/aws/retry.js';
import { SnsAlertSink, snsAttributes, snsSubject } from '../../functions/aws/sns-sink.js';
import { type FakeAnswer, fakeHttp, snsError, TEST_CREDENTIALS, underFakeClock } from './aws-fakes.js';

// A real SNS client over a scripted HTTP handler: the request SNS would receive is checked, and
// retries are the client's own.
describe('SnsAlertSink', () => {
  const TOPIC = 'arn:aws:sns:us-east-1:123456789012:pathguard-alerts';
  const alert = {
    dedupKey: 'b|global|vpc-app|left-path',
    severity: 'critical' as const,
    subject: '[PathGuard CRITICAL] S3 traffic left the VPC-endpoint path:\nb global',
    text: 'readable body',
    chatbot: { version: '1.0', source: 'custom', content: { description: 'x' } },
    attributes: {
      severity: 'critical',
      vantage: 'vpc-app',
      bucket: '',
      'AWS.reserved': 'x',
      'bad..name': 'y',
    },
  };
  // Publish's success response. [SNS API Reference, Publish, Examples]
  const PUBLISHED =
    '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId></PublishResult><ResponseMetadata><RequestId>d74b8436-ae13-5ab4-a9ff-ce54dfea72a0</RequestId></ResponseMetadata></PublishResponse>';
  const realSns = (answers: FakeAnswer[]) => {
    const http = fakeHttp(answers);
    const client = new SNSClient({
      region: 'us-east-1',
      credentials: TEST_CREDENTIALS,
      ...awsClientConfig({ maxAttempts: 4 }),
      requestHandler: http.handler,
    });
    return { sink: new SnsAlertSink(client, TOPIC), requests: http.requests };
  };

  it('publishes per-protocol messages: text for email, the Chatbot document for https', async () => {
    const { sink, requests } = realSns([{ status: 200, body: PUBLISHED }]);
    await expect(sink.publish(alert)).resolves.toEqual({ messageId: '567910cd-659e-55d4-8ccb-5aaf14679dc0' });
    const form = new URLSearchParams(requests[0]!.body);
    expect(form.get('Action')).toBe('Publish');
    expect(form.get('TopicArn')).toBe(TOPIC);
    expect(form.get('MessageStructure')).toBe('json');
    const msg = JSON.parse(form.get('Message')!);
    expect(msg.email).toBe('readable body');
    expect(msg.default).toBe('readable body');
    for (const proto of ['https', 'lambda', 'sqs'])
      expect(JSON.parse(msg[proto])).toMatchObject({ version: '1.0', source: 'custom' });
    expect(Object.values(msg).every((v) => typeof v === 'string')).toBe(true);
    expect(form.get('Subject')).toBe('[PathGuard CRITICAL] S3 traffic left the VPC-endpoint path: b global');
    // Empty values and names SNS rejects are left out.
    const attrs = [...form.entries()].filter(([k]) => k.startsWith('MessageAttributes.'));
    expect(Object.fromEntries(attrs)).toEqual({
      'MessageAttributes.entry.1.Name': 'severity',
      'MessageAttributes.entry.1.Value.DataType': 'String',
      'MessageAttributes.entry.1.Value.StringValue': 'critical',
      'MessageAttributes.entry.2.Name': 'vantage',
      'MessageAttributes.entry.2.Value.DataType': 'String',
      'MessageAttributes.entry.2.Value.StringValue': 'vpc-app',
    });
  });

  it('is retried by the SNS client on throttling and 5xx, and resolves with the MessageId', async () => {
    const { sink, requests } = realSns([
      { status: 429, body: snsError('Throttled', 'Rate exceeded') },
      { status: 503, body: snsError('ServiceUnavailable', 'Service is unavailable') },
      { status: 200, body: PUBLISHED },
    ]);
    await expect(underFakeClock(() => sink.publish(alert))).resolves.toEqual({
      messageId: '567910cd-659e-55d4-8ccb-5aaf14679dc0',
    });
    expect(requests).toHaveLength(3);
    // The request really is a per-protocol JSON publish.
    const form = new URLSearchParams(requests[2]!.body);
    expect(form.get('MessageStructure')).toBe('json');
    expect(JSON.parse(form.get('Message')!).email).toBe('readable body');
  });

  it('rejects with a clear error on a persistent fault, and does not retry a client error', async () => {
    const throttled = realSns([{ status: 429, body: snsError('Throttled', 'Rate exceeded') }]);
    await expect(underFakeClock(() => throttled.sink.publish(alert))).rejects.toThrow(
      /^SNS Publish failed: ThrottledException: Rate exceeded \(HTTP 429, after 4 attempts/,
    );
    expect(throttled.requests).toHaveLength(4);
    const invalid = realSns([
      { status: 400, body: snsError('InvalidParameter', 'Invalid parameter: TopicArn') },
    ]);
    await expect(underFakeClock(() => invalid.sink.publish(alert))).rejects.toThrow(
      'SNS Publish failed: InvalidParameterException: Invalid parameter: TopicArn',
    );
    expect(invalid.requests).toHaveLength(1);
  });

  it('never records an alert as sent without a MessageId', async () => {
    const { sink } = realSns([
      {
        status: 200,
        body: '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult/><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>',
      },
    ]);
    await expect(sink.publish(alert)).rejects.toThrow('SNS returned no MessageId');
  });

  it('keeps SNS subjects under 100 characters, on one line, never empty', () => {
    const long = snsSubject(`a\nb${'x'.repeat(200)}`);
    expect([...long].length).toBe(99);
    expect(long.endsWith('…')).toBe(true);
    expect(snsSubject('ok – dash\t\u0007bell')).toBe('ok – dash bell');
    expect(snsSubject(' \n ')).toBe('PathGuard alert');
  });

  it('keeps at most 10 message attributes', () => {
    const many = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`a${i}`, 'v']));
    expect(Object.keys(snsAttributes(many))).toHaveLength(10);
    expect(Object.keys(snsAttributes({ '.x': 'v', 'x.': 'v', 'Amazon.y': 'v', 'ok.name-1': 'v' }))).toEqual([
      'ok.name-1',
    ]);
  });
});
