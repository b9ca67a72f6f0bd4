import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import {
  AwsCallError,
  awsClientConfig,
  isRetryable,
  isThrottling,
  withRetry,
} from '../../functions/aws/retry.js';
import {
  connReset,
  ec2Error,
  type FakeAnswer,
  fakeHttp,
  s3ErrorBody,
  snsError,
  TEST_CREDENTIALS,
  underFakeClock,
} from './aws-fakes.js';

// Publish's success response. [SNS API Reference, Publish, Examples]
const PUBLISHED =
  '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId></PublishResult><ResponseMetadata><RequestId>d74b8436-ae13-5ab4-a9ff-ce54dfea72a0</RequestId></ResponseMetadata></PublishResponse>';

function client<C>(make: (cfg: Record<string, unknown>) => C, answers: FakeAnswer[], maxAttempts = 4) {
  const http = fakeHttp(answers);
  const c = make({
    region: 'us-east-1',
    credentials: TEST_CREDENTIALS,
    ...awsClientConfig({ maxAttempts }),
    requestHandler: http.handler,
  });
  return { c, requests: http.requests };
}

describe('awsClientConfig', () => {
  it('configures the SDK retry strategy and timeouts, not a loop of our own', () => {
    expect(awsClientConfig()).toEqual({
      maxAttempts: 5,
      retryMode: 'adaptive',
      requestHandler: {
        connectionTimeout: 3000,
        requestTimeout: 20000,
        throwOnRequestTimeout: true,
        socketTimeout: 30000,
      },
    });
    expect(awsClientConfig({ maxAttempts: 8, retryMode: 'standard', idleMs: 5000 })).toMatchObject({
      maxAttempts: 8,
      retryMode: 'standard',
      requestHandler: { socketTimeout: 5000 },
    });
  });
});

describe('SDK retry under awsClientConfig (real client, scripted HTTP)', () => {
  it('retries SNS throttling (429 Throttled) and a 500, then returns the MessageId', async () => {
    const { c, requests } = client(
      (cfg) => new SNSClient(cfg),
      [
        { status: 429, body: snsError('Throttled', 'Rate exceeded') },
        { status: 500, body: snsError('InternalError', 'Internal failure') },
        { status: 200, body: PUBLISHED },
      ],
    );
    const out = await underFakeClock(() =>
      c.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:123456789012:alerts', Message: 'm' })),
    );
    expect(out.MessageId).toBe('567910cd-659e-55d4-8ccb-5aaf14679dc0');
    expect(requests).toHaveLength(3);
    expect(out.$metadata.attempts).toBe(3);
  });

  it('retries a request timeout and a connection reset', async () => {
    const timeout = Object.assign(new Error('request timed out'), { name: 'TimeoutError' });
    const { c, requests } = client(
      (cfg) => new SNSClient(cfg),
      [timeout, connReset(), { status: 200, body: PUBLISHED }],
    );
    const out = await underFakeClock(() =>
      c.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:123456789012:alerts', Message: 'm' })),
    );
    expect(out.MessageId).toBeDefined();
    expect(requests).toHaveLength(3);
  });

  it('gives up on persistent EC2 RequestLimitExceeded after maxAttempts, with the AWS code', async () => {
    const { c, requests } = client(
      (cfg) => new EC2Client(cfg),
      [{ status: 503, body: ec2Error('RequestLimitExceeded', 'Request limit exceeded.') }],
      3,
    );
    const err = await underFakeClock(() => c.send(new DescribeVpcsCommand({}))).catch((e: unknown) => e);
    expect(requests).toHaveLength(3);
    expect(err).toMatchObject({ name: 'RequestLimitExceeded', $metadata: { attempts: 3 } });
    expect(isThrottling(err)).toBe(true);
    const wrapped = new AwsCallError('EC2 DescribeVpcs', err);
    expect(wrapped.message).toBe(
      'EC2 DescribeVpcs failed: RequestLimitExceeded: Request limit exceeded. (HTTP 503, after 3 attempts)',
    );
    expect(wrapped).toMatchObject({ awsCode: 'RequestLimitExceeded', httpStatus: 503, retryable: true });
  });

  it('retries S3 SlowDown (503) on GetObject', async () => {
    const { c, requests } = client(
      (cfg) => new S3Client(cfg),
      [
        { status: 503, body: s3ErrorBody('SlowDown', 'Please reduce your request rate.') },
        { status: 200, headers: { 'content-type': 'text/plain', etag: '"abc"' }, body: 'hello' },
      ],
    );
    const out = await underFakeClock(() => c.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' })));
    expect(await out.Body?.transformToString()).toBe('hello');
    expect(requests).toHaveLength(2);
  });

  it('does not retry a client error', async () => {
    const { c, requests } = client(
      (cfg) => new SNSClient(cfg),
      [{ status: 400, body: snsError('InvalidParameter', 'Invalid parameter: Subject') }],
    );
    const err = await underFakeClock(() =>
      c.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:123456789012:alerts', Message: 'm' })),
    ).catch((e: unknown) => e);
    expect(requests).toHaveLength(1);
    expect(err).toMatchObject({ name: 'InvalidParameterException' });
    expect(isRetryable(err)).toBe(false);
  });
});

describe('withRetry (work outside one SDK call)', () => {
  const noSleep = { sleep: async () => {} };

  it('retries a retryable failure, then returns', async () => {
    let n = 0;
    const v = await withRetry(async () => {
      if (++n < 3) throw connReset();
      return 'body';
    }, noSleep);
    expect([v, n]).toEqual(['body', 3]);
  });

  it('surfaces a persistent fault as an AwsCallError naming the operation and the tries', async () => {
    let n = 0;
    const err = await withRetry(
      async () => {
        n++;
        throw Object.assign(new Error('Please reduce your request rate.'), {
          name: 'SlowDown',
          $metadata: { httpStatusCode: 503, requestId: 'R1' },
        });
      },
      { ...noSleep, attempts: 3, operation: 'S3 GetObject s3://logs/a' },
    ).catch((e: unknown) => e);
    expect(n).toBe(3);
    expect(err).toBeInstanceOf(AwsCallError);
    expect((err as Error).message).toBe(
      'S3 GetObject s3://logs/a failed: SlowDown: Please reduce your request rate. (HTTP 503, after 3 attempts, request id R1)',
    );
  });

  it('does not retry what cannot succeed', async () => {
    let n = 0;
    await expect(
      withRetry(async () => {
        n++;
        throw Object.assign(new Error('Access Denied'), {
          name: 'AccessDenied',
          $metadata: { httpStatusCode: 403 },
        });
      }, noSleep),
    ).rejects.toThrow('Access Denied');
    expect(n).toBe(1);
  });

  it('classifies AWS faults', () => {
    const e = (name: string, status?: number) =>
      Object.assign(new Error(name), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}) });
    expect(
      [
        e('ThrottlingException', 400),
        e('RequestLimitExceeded', 503),
        e('SlowDown', 503),
        e('InternalError', 500),
        e('Whatever', 502),
        e('TooManyRequests', 429),
        e('TimeoutError'),
        connReset(),
        e('AccessDenied', 403),
        e('NoSuchKey', 404),
        e('ValidationException', 400),
        null,
      ].map(isRetryable),
    ).toEqual([true, true, true, true, true, true, true, true, false, false, false, false]);
  });
});
