import { readFileSync } from 'node:fs';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeFlowLogsCommand,
  DescribeManagedPrefixListsCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';

// Handlers read PATHGUARD_CONFIG at cold start: set it before importing them.
const example = JSON.parse(
  readFileSync(new URL('../../pathguard.config.example.json', import.meta.url), 'utf8'),
);
process.env.PATHGUARD_CONFIG = JSON.stringify({
  ...example,
  alerts: { ...example.alerts, topicArn: 'arn:aws:sns:us-east-1:123456789012:alerts' },
});
process.env.PATHGUARD_VANTAGE = 'vpc-app';
process.env.PATHGUARD_VPC_IDS = 'vpc-0abcdef0123456789';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.AWS_REGION = 'us-east-1';

const s3 = mockClient(S3Client);
const ec2 = mockClient(EC2Client);
const cwl = mockClient(CloudWatchLogsClient);
const sns = mockClient(SNSClient);
const context = {
  functionName: 'analyze',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

let analyze: (e: unknown, c: Context) => Promise<Record<string, unknown>>;
let probe: (e: unknown, c: Context) => Promise<Record<string, unknown>>;
beforeAll(async () => {
  analyze = (await import('../../functions/handlers/analyze.js')).handler as never;
  probe = (await import('../../functions/handlers/probe.js')).handler as never;
});

describe('Lambda handlers', () => {
  it('analyze: refreshes the environment, stores the snapshot, and alerts on a runner subnet that vanished', async () => {
    for (const c of [
      DescribeVpcsCommand,
      DescribeSubnetsCommand,
      DescribeRouteTablesCommand,
      DescribeVpcEndpointsCommand,
      DescribeNatGatewaysCommand,
      DescribeNetworkInterfacesCommand,
      DescribeManagedPrefixListsCommand,
      DescribeFlowLogsCommand,
    ]) {
      ec2.on(c as never).resolves({});
    }
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    s3.on(GetObjectCommand).rejects(
      Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' }),
    );
    s3.on(PutObjectCommand).resolves({ ETag: '"e1"' });
    cwl.on(FilterLogEventsCommand).resolves({ events: [] });
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const r = await analyze({ action: 'analyze' }, context);
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
    const r = await probe({ action: 'inspect-url', url }, context);
    expect(JSON.stringify(r)).toContain('LEGACY_GLOBAL_ENDPOINT');
    expect(JSON.stringify(r)).not.toContain('0123456789abcdef0123456789abcdef');
    expect(JSON.stringify(r)).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(s3.calls()).toHaveLength(0);
  });

  it('refuses events they do not handle with a clear error', async () => {
    await expect(
      probe({ action: 'explain', probeId: '01JDQ7ZT8W5M3K2Q9XG4N6V1AB' }, context),
    ).rejects.toThrow(/send it to the analyze function/);
    await expect(analyze({ hello: 'world' }, context)).rejects.toThrow(/unsupported event/);
  });
});
