import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { exampleFunctions } from './analyze-handler.js';
import { emptyEc2 } from './ec2-discovery-fakes.js';

const { analyze, probe } = exampleFunctions();
const s3 = mockClient(S3Client);
const cwl = mockClient(CloudWatchLogsClient);
const sns = mockClient(SNSClient);

describe('Lambda handlers', () => {
  it('analyze: refreshes the environment, stores the snapshot, and alerts on a runner subnet that vanished', async () => {
    emptyEc2();
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    s3.on(GetObjectCommand).rejects(
      Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' }),
    );
    s3.on(PutObjectCommand).resolves({ ETag: '"e1"' });
    cwl.on(FilterLogEventsCommand).resolves({ events: [] });
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const r = await analyze({ action: 'analyze' });
    expect(r.errors).toEqual([]);
    // Discovery found no subnet at all: the runner's subnet is gone, which is posture drift.
    expect(r).toMatchObject({ probes: 0, alertsSent: 1, partialFailure: false });
    const keys = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key);
    expect(keys).toContain('environment/latest.json');
    const published = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(published).toHaveLength(1);
    expect(published[0]?.Subject).toMatch(/RUNNER_SUBNET_MISSING|drift/i);
    expect(keys).toContain('state/alerts.json');
    // The run alerted, so the day's evidence report is written where the alert says it is.
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
    expect(keys).toContain(`reports/${day}.html`);
    expect(JSON.stringify(published[0]?.Message)).toContain(
      `s3://example-pathguard-results/reports/${day}.html (https://console.aws.amazon.com/s3/object/example-pathguard-results?region=us-east-1&prefix=reports%2F`,
    );
    expect(r.reports).toEqual(expect.arrayContaining([{ key: `reports/${day}.html`, probes: 0 }]));
  });

  it('inspect-url answers without any AWS call and redacts the URL', async () => {
    s3.resetHistory();
    const url =
      'https://example-data-bucket.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261125%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261125T100000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
    const r = await probe({ action: 'inspect-url', url });
    expect(JSON.stringify(r)).toContain('LEGACY_GLOBAL_ENDPOINT');
    expect(JSON.stringify(r)).not.toContain('0123456789abcdef0123456789abcdef');
    expect(JSON.stringify(r)).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(s3.calls()).toHaveLength(0);
  });

  it('refuses events they do not handle with a clear error', async () => {
    await expect(probe({ action: 'explain', probeId: '01JDQ7ZT8W5M3K2Q9XG4N6V1AB' })).rejects.toThrow(
      /send it to the analyze function/,
    );
    await expect(analyze({ hello: 'world' })).rejects.toThrow(/unsupported event/);
  });
});
