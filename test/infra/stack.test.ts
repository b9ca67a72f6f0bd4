import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type Stack, aws_s3 as s3 } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { loadInfraConfig } from '../../infra/config.js';
import { FLOW_LOG_FORMAT, PathGuardStack } from '../../infra/stacks/pathguard-stack.js';

const root = new URL('../../', import.meta.url).pathname;
const flags = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')).context;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function synth(extra?: (stack: Stack) => void) {
  const outdir = mkdtempSync(join(tmpdir(), 'pg-cdk-'));
  dirs.push(outdir);
  // Unit runs skip esbuild bundling; `npm run synth` bundles for real.
  const app = new App({ outdir, context: { ...flags, 'aws:cdk:bundling-stacks': [] } });
  const cfg = loadInfraConfig(join(root, 'pathguard.config.example.json'));
  const stack = new PathGuardStack(app, 'PathGuard', {
    monitoring: cfg.monitoring,
    configJson: cfg.configJson,
    deployment: cfg.deployment,
    env: { account: '123456789012', region: 'us-east-1' },
  });
  extra?.(stack);
  const template = Template.fromStack(stack);
  // cdk-nag 3 is a CDK policy-validation plugin; validateScope gives its report directly.
  const nag = new AwsSolutionsChecks(app).validateScope(app);
  const violations = nag.violations.map(
    (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId).join(', ')}`,
  );
  return { template, violations };
}

const { template, violations } = synth();

describe('PathGuard stack', () => {
  it('runs every function on nodejs22.x', () => {
    const fns = template.findResources('AWS::Lambda::Function');
    expect(Object.keys(fns).length).toBeGreaterThanOrEqual(2);
    for (const f of Object.values(fns))
      expect((f as { Properties: { Runtime: string } }).Properties.Runtime).toBe('nodejs22.x');
  });

  it('attaches the probe function to its subnet with an HTTPS-only security group', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PATHGUARD_VANTAGE: 'vpc-app' }) },
      VpcConfig: { SubnetIds: ['subnet-0a1a1a1a1a1a1a1a1'], SecurityGroupIds: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupEgress: [Match.objectLike({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 })],
    });
  });

  it('schedules the probe, orders and analyze functions every 5 minutes with a dead-letter queue', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule'));
    expect(rules).toHaveLength(3);
    for (const r of rules) {
      const p = (
        r as { Properties: { ScheduleExpression: string; Targets: { DeadLetterConfig?: unknown }[] } }
      ).Properties;
      expect(p.ScheduleExpression).toBe('rate(5 minutes)');
      expect(p.Targets[0]?.DeadLetterConfig).toBeDefined();
    }
    template.hasResourceProperties('AWS::Lambda::Function', {
      DeadLetterConfig: { TargetArn: Match.anyValue() },
    });
  });

  it('encrypts the alert topic with a customer key and subscribes the configured email', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'network-oncall@example.com',
    });
  });

  it('keeps buckets private, encrypted and TLS-only; versions results; expires probes and orders', () => {
    for (const b of Object.values(template.findResources('AWS::S3::Bucket'))) {
      const p = (b as { Properties: Record<string, unknown> }).Properties;
      expect(p.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(p.BucketEncryption).toBeDefined();
    }
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'example-pathguard-results',
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ Prefix: 'orders/', ExpirationInDays: 7 })]),
      },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'example-data-bucket',
      LifecycleConfiguration: {
        Rules: [Match.objectLike({ Prefix: 'pathguard/probes/', ExpirationInDays: 1 })],
      },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'access-logs/' }),
    });
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'));
    for (const bp of policies) {
      expect(JSON.stringify(bp)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('scopes IAM: no action wildcards, objects only under their prefixes, runner reads only its order', () => {
    const docs = Object.values(template.findResources('AWS::IAM::Policy')).map((p) => JSON.stringify(p));
    for (const d of docs) expect(d).not.toMatch(/"s3:\*"|"s3:Delete|"kms:\*"|GenerateDataKey\*/);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 's3:GetObject',
            Resource: { 'Fn::Join': ['', [Match.anyValue(), '/orders/onprem-dc1/latest.json']] },
          }),
        ]),
      },
    });
  });

  it('lets only the analyze function write reports/ (SSE-KMS by the bucket default) and read back only the real-traffic documents', () => {
    const policies = Object.entries(template.findResources('AWS::IAM::Policy'));
    const reportStatements = policies.flatMap(([id, p]) =>
      (
        p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } }
      ).Properties.PolicyDocument.Statement.filter((st) =>
        JSON.stringify(st.Resource).includes('/reports/'),
      ).map((st) => ({ id, action: st.Action, resource: JSON.stringify(st.Resource) })),
    );
    expect(reportStatements.every((st) => st.id.startsWith('AnalyzeRole'))).toBe(true);
    expect(
      reportStatements.map((st) => [st.action, st.resource.match(/\/reports\/[^"]*/)?.[0]]).sort(),
    ).toEqual([
      ['s3:GetObject', '/reports/real-traffic/*'],
      ['s3:PutObject', '/reports/*'],
    ]);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'example-pathguard-results',
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) }),
        ],
      },
    });
  });

  it('creates 1-minute flow logs with the fields the classifier needs', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceId: 'subnet-0a1a1a1a1a1a1a1a1',
      MaxAggregationInterval: 60,
      LogFormat: FLOW_LOG_FORMAT,
    });
    for (const f of [
      'subnet-id',
      'pkt-srcaddr',
      'pkt-dstaddr',
      'pkt-dst-aws-service',
      'flow-direction',
      'traffic-path',
    ]) {
      expect(FLOW_LOG_FORMAT).toContain(`\${${f}}`);
    }
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('alarms on errors and on a silent analyzer, to the topic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'RunSucceeded',
      EvaluationPeriods: 3,
      TreatMissingData: 'breaching',
      AlarmActions: [Match.anyValue()],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
    });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('expires what runs write after retention.probesDays, evidence after retention.evidenceDays, never the environment snapshots', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'example-pathguard-results',
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'probes/', ExpirationInDays: 35 }),
          Match.objectLike({ Prefix: 'observations/', ExpirationInDays: 35 }),
          Match.objectLike({ Prefix: 'runs/', ExpirationInDays: 35 }),
          Match.objectLike({ Prefix: 'evidence/', ExpirationInDays: 400 }),
        ]),
      },
    });
    // The snapshot in force when a probe was planned may be older than any retention.
    const results = Object.values(template.findResources('AWS::S3::Bucket')).find(
      (b) =>
        (b as { Properties: { BucketName?: string } }).Properties.BucketName === 'example-pathguard-results',
    );
    expect(JSON.stringify(results)).not.toContain('environment/');
  });

  it('alarms when probes fail to mint, per VPC vantage and for the orders function', () => {
    for (const dims of [
      [
        { Name: 'service', Value: 'pathguard' },
        { Name: 'vantage', Value: 'vpc-app' },
      ],
      [
        { Name: 'function', Value: 'orders' },
        { Name: 'service', Value: 'pathguard' },
      ],
    ]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'PathGuard',
        MetricName: 'MintFailures',
        Dimensions: Match.arrayWith(dims),
        Threshold: 1,
        AlarmActions: [Match.anyValue()],
      });
    }
  });

  it('passes cdk-nag AwsSolutionsChecks with every acknowledgement reasoned', () => {
    expect(violations).toEqual([]);
  });

  it('reports an unacknowledged cdk-nag finding (the check can fail)', () => {
    const bad = synth((stack) => {
      new s3.Bucket(stack, 'Unlogged', { enforceSSL: false });
    });
    expect(bad.violations.join('\n')).toMatch(/AwsSolutions-S1|AwsSolutions-S10/);
  });
});
