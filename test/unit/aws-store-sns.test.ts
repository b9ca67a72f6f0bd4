import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SnsAlertSink, snsSubject } from '../../functions/aws/sns-sink.js';
import { S3ObjectStore, updateJson } from '../../functions/aws/store-s3.js';
import { WriteConflictError } from '../../shared/ports/index.js';

const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);
const noSleep = { sleep: async () => {} };

// The part of the SDK's streaming body the store uses.
function body(text: string) {
  return { transformToString: async () => text } as never;
}
function s3Error(name: string, status: number) {
  return new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });
}

beforeEach(() => {
  s3.reset();
  sns.reset();
});

describe('S3ObjectStore', () => {
  it('maps 412 PreconditionFailed and 409 ConditionalRequestConflict to WriteConflictError', async () => {
    const store = new S3ObjectStore(new S3Client({ region: 'us-east-1' }), 'results');
    s3.on(PutObjectCommand)
      .rejectsOnce(s3Error('PreconditionFailed', 412))
      .rejectsOnce(s3Error('ConditionalRequestConflict', 409));
    await expect(store.putJson('state/alerts.json', {}, { ifMatch: '"a"' })).rejects.toBeInstanceOf(
      WriteConflictError,
    );
    await expect(store.putJson('state/alerts.json', {}, { ifNoneMatch: '*' })).rejects.toBeInstanceOf(
      WriteConflictError,
    );
  });

  it('lists every page, continuing with the continuation token', async () => {
    const store = new S3ObjectStore(new S3Client({ region: 'us-east-1' }), 'results');
    s3.on(ListObjectsV2Command)
      .resolvesOnce({
        Contents: [{ Key: 'a/1' }, { Key: 'a/2' }],
        IsTruncated: true,
        NextContinuationToken: 't1',
      })
      .resolvesOnce({ Contents: [{ Key: 'a/3' }], IsTruncated: false });
    const keys: string[] = [];
    for await (const k of store.list('a/', 'a/0')) keys.push(k);
    expect(keys).toEqual(['a/1', 'a/2', 'a/3']);
    expect(s3.commandCalls(ListObjectsV2Command)[0]!.args[0].input.StartAfter).toBe('a/0');
    expect(s3.commandCalls(ListObjectsV2Command)[1]!.args[0].input.ContinuationToken).toBe('t1');
  });

  it('never loses an update when two runs race on the same object', async () => {
    // A bucket that enforces ETags like S3 conditional writes do.
    let current: { text: string; etag: string } | null = null;
    let version = 0;
    s3.on(GetObjectCommand).callsFake(async () => {
      if (!current) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' });
      return { Body: body(current.text), ETag: current.etag };
    });
    s3.on(PutObjectCommand).callsFake(async (input) => {
      const exists = current !== null;
      if ((input.IfNoneMatch === '*' && exists) || (input.IfMatch && input.IfMatch !== current?.etag))
        throw s3Error('PreconditionFailed', 412);
      current = {
        text: String(input.Body instanceof Uint8Array ? Buffer.from(input.Body).toString() : input.Body),
        etag: `"v${++version}"`,
      };
      return { ETag: current.etag };
    });
    const store = new S3ObjectStore(new S3Client({ region: 'us-east-1' }), 'results');
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        updateJson<string[]>(store, 'state/checkpoint.json', (cur) => [...(cur ?? []), `run-${i}`], {
          retries: 20,
        }),
      ),
    );
    expect(JSON.parse(current!.text).sort()).toEqual(['run-0', 'run-1', 'run-2', 'run-3', 'run-4', 'run-5']);
  });
});

describe('SnsAlertSink', () => {
  const alert = {
    dedupKey: 'b|global|vpc-app|left-path',
    severity: 'critical' as const,
    subject: '[PathGuard CRITICAL] S3 traffic left the VPC-endpoint path:\nb global',
    text: 'readable body',
    chatbot: { version: '1.0', source: 'custom', content: { description: 'x' } },
    attributes: { severity: 'critical', vantage: 'vpc-app' },
  };

  it('publishes per-protocol messages: text for email, the Chatbot document for https', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const sink = new SnsAlertSink(
      new SNSClient({ region: 'us-east-1' }),
      'arn:aws:sns:us-east-1:123456789012:alerts',
    );
    await expect(sink.publish(alert)).resolves.toEqual({ messageId: 'm-1' });
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input.MessageStructure).toBe('json');
    const msg = JSON.parse(input.Message!);
    expect(msg.email).toBe('readable body');
    expect(msg.default).toBe('readable body');
    expect(JSON.parse(msg.https)).toMatchObject({ version: '1.0', source: 'custom' });
    expect(input.Subject).not.toMatch(/\n/);
    expect(input.MessageAttributes?.severity).toEqual({ DataType: 'String', StringValue: 'critical' });
  });

  it('retries throttling and 5xx, then succeeds', async () => {
    sns
      .on(PublishCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .rejectsOnce(
        Object.assign(new Error('Internal'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } }),
      )
      .resolves({ MessageId: 'm-2' });
    const sink = new SnsAlertSink(
      new SNSClient({ region: 'us-east-1' }),
      'arn:aws:sns:us-east-1:123456789012:alerts',
      noSleep,
    );
    await expect(sink.publish(alert)).resolves.toEqual({ messageId: 'm-2' });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(3);
  });

  it('surfaces a persistent fault, and does not retry a client error', async () => {
    sns
      .on(PublishCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const sink = new SnsAlertSink(
      new SNSClient({ region: 'us-east-1' }),
      'arn:aws:sns:us-east-1:123456789012:alerts',
      noSleep,
    );
    await expect(sink.publish(alert)).rejects.toThrow('Rate exceeded');
    expect(sns.commandCalls(PublishCommand)).toHaveLength(4);
    sns.reset();
    sns.on(PublishCommand).rejects(
      Object.assign(new Error('Invalid parameter'), {
        name: 'InvalidParameterException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    await expect(sink.publish(alert)).rejects.toThrow('Invalid parameter');
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
  });

  it('keeps SNS subjects within 100 printable characters', () => {
    expect(snsSubject(`a\nb${'x'.repeat(200)}`).length).toBe(100);
    expect(snsSubject('ok – dash')).toBe('ok dash');
  });
});
