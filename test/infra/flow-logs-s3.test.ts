import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { loadInfraConfig } from '../../infra/config.js';
import { configWorkspace } from './config-workspace.js';

// A deployment whose runner subnets' flow logs already go to S3 (text or Parquet), SSE-KMS.
const ws = configWorkspace('pg-flow-s3-');
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** The example config with `evidence` merged into its deployment.evidence, written to a file. */
const withEvidence = (evidence: Record<string, unknown>) =>
  ws.configFile((doc) => Object.assign(doc.deployment.evidence, evidence));

function synth(evidence: Record<string, unknown>) {
  const { template, cfg, violations } = ws.synth(withEvidence(evidence));
  return { template, violations, plan: cfg.monitoring.evidence };
}

/** Every statement of the analyze function's role policies. */
function analyzeStatements(template: Template): Record<string, unknown>[] {
  return Object.entries(template.findResources('AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith('AnalyzeRole'))
    .flatMap(
      ([, p]) =>
        (p as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }).Properties
          .PolicyDocument.Statement,
    );
}

describe('flow logs delivered to S3: the analyze function reads them with least privilege', () => {
  const { template, violations, plan } = synth({
    createFlowLogs: false,
    flowLogBucket: 'central-flow-logs',
    flowLogPrefix: 'vpc/',
    flowLogKmsKeyArn: KEY,
  });

  it('plans the S3 delivery as the one flow-log source', () => {
    expect(plan.flowLogs).toEqual({
      source: 's3',
      bucket: 'central-flow-logs',
      prefix: 'vpc/',
      kmsKeyArn: KEY,
    });
  });

  it('grants GetObject and ListBucket under <prefix>AWSLogs/ only, and Decrypt on the one key through S3 only', () => {
    const statements = analyzeStatements(template);
    // CDK merges statements of one action: compare resource by resource.
    const onBucket = statements.flatMap((st) =>
      [st.Resource].flat().flatMap((r) => {
        const text = JSON.stringify(r);
        return text.includes('central-flow-logs')
          ? [{ action: st.Action, resource: text.match(/:s3:::[^"]*/)?.[0], condition: st.Condition }]
          : [];
      }),
    );
    expect(onBucket).toEqual([
      { action: 's3:GetObject', resource: ':s3:::central-flow-logs/vpc/AWSLogs/*', condition: undefined },
      {
        action: 's3:ListBucket',
        resource: ':s3:::central-flow-logs',
        condition: { StringLike: { 's3:prefix': ['vpc/AWSLogs/*'] } },
      },
    ]);
    const decrypt = statements.filter((s) => JSON.stringify(s).includes(KEY));
    expect(decrypt).toEqual([
      {
        Sid: 'DecryptFlowLogObjects',
        Action: 'kms:Decrypt',
        Effect: 'Allow',
        Resource: KEY,
        Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } },
      },
    ]);
    // No CloudWatch Logs flow source is created or granted beside it.
    expect(JSON.stringify(statements)).not.toContain('logs:FilterLogEvents');
    template.resourceCountIs('AWS::EC2::FlowLog', 0);
  });

  it('tells the function where the flow logs are', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          PATHGUARD_FLOW_LOG_BUCKET: 'central-flow-logs',
          PATHGUARD_FLOW_LOG_PREFIX: 'vpc/',
        }),
      },
    });
  });

  it('passes cdk-nag with the grant acknowledged for its prefix only', () => {
    expect(violations).toEqual([]);
  });

  it('grants no kms:Decrypt when the bucket has no KMS key', () => {
    const plain = synth({ createFlowLogs: false, flowLogBucket: 'central-flow-logs' });
    const statements = analyzeStatements(plain.template);
    expect(JSON.stringify(statements)).toContain(':s3:::central-flow-logs/AWSLogs/*');
    expect(statements.filter((s) => s.Sid === 'DecryptFlowLogObjects')).toEqual([]);
  });

  it('refuses two flow-log sources, or a key without a bucket, naming the keys', () => {
    const refusal = (e: Record<string, unknown>) => {
      try {
        loadInfraConfig(withEvidence(e));
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refusal({ flowLogBucket: 'central-flow-logs' })).toMatch(
      /deployment\.evidence\.createFlowLogs: creates CloudWatch Logs flow logs while/,
    );
    expect(
      refusal({ createFlowLogs: false, flowLogBucket: 'central-flow-logs', flowLogGroupName: '/flow' }),
    ).toMatch(/deployment\.evidence\.flowLogGroupName: names a log group/);
    expect(refusal({ flowLogKmsKeyArn: KEY })).toMatch(/deployment\.evidence\.flowLogKmsKeyArn: needs/);
    expect(
      refusal({ createFlowLogs: false, flowLogBucket: 'central-flow-logs', flowLogPrefix: 'vpc' }),
    ).toMatch(/deployment\.evidence\.flowLogPrefix: expected a key prefix/);
  });
});
