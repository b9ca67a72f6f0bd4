import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { loadInfraConfig } from '../../infra/config.js';
import { PathGuardStack } from '../../infra/stacks/pathguard-stack.js';

// What cdk-nag does not look at: conditions inside the KMS key policy, the runner role's key use
// and the Roles Anywhere trust. The example config plus one runner trusted through Roles Anywhere.
const root = new URL('../../', import.meta.url).pathname;
const flags = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')).context;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const TRUST_ANCHOR =
  'arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/0a1b2c3d-4e5f-6789-abcd-ef0123456789';

function configWith(runners: unknown[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'pg-hardening-'));
  dirs.push(dir);
  const doc = JSON.parse(readFileSync(join(root, 'pathguard.config.example.json'), 'utf8'));
  doc.deployment.onPremRunners = runners;
  doc.vantages.push({ id: 'onprem-dc2', kind: 'onprem' });
  const file = join(dir, 'pathguard.config.json');
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

function synth(runners: unknown[]): Template {
  const outdir = mkdtempSync(join(tmpdir(), 'pg-cdk-'));
  dirs.push(outdir);
  const app = new App({ outdir, context: { ...flags, 'aws:cdk:bundling-stacks': [] } });
  const cfg = loadInfraConfig(configWith(runners));
  const stack = new PathGuardStack(app, 'PathGuard', {
    monitoring: cfg.monitoring,
    configJson: cfg.configJson,
    deployment: cfg.deployment,
    env: { account: '123456789012', region: 'us-east-1' },
  });
  return Template.fromStack(stack);
}

const template = synth([
  { runnerId: 'onprem-dc1', trust: { principalArn: 'arn:aws:iam::123456789012:role/dc1-automation' } },
  {
    runnerId: 'onprem-dc2',
    trust: {
      rolesAnywhere: { trustAnchorArn: TRUST_ANCHOR, certificateCommonName: 'runner.dc2.example.com' },
    },
  },
]);

type Statement = {
  Effect: string;
  Principal?: { Service?: string | string[]; AWS?: unknown };
  Action: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
};
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (type: string) =>
  Object.entries(template.findResources(type)) as [string, { Properties: Record<string, unknown> }][];

describe('KMS key policy', () => {
  it('lets CloudWatch use the key only for this account and its alarms, and only to publish', () => {
    const [[, key]] = resourcesOf('AWS::KMS::Key') as [
      [string, { Properties: { KeyPolicy: { Statement: Statement[] } } }],
    ];
    const cw = key.Properties.KeyPolicy.Statement.filter(
      (s) => s.Principal?.Service === 'cloudwatch.amazonaws.com',
    );
    expect(cw).toHaveLength(1);
    const [s] = cw as [Statement];
    expect(actions(s).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(s.Condition?.StringEquals).toEqual({ 'aws:SourceAccount': '123456789012' });
    expect(JSON.stringify(s.Condition?.ArnLike?.['aws:SourceArn'])).toMatch(
      /:cloudwatch:us-east-1:123456789012:alarm:\*/,
    );
    // No statement for any service principal is left without a source condition.
    for (const st of key.Properties.KeyPolicy.Statement.filter((x) => x.Principal?.Service)) {
      expect(st.Condition, JSON.stringify(st)).toBeDefined();
    }
  });
});

describe('on-prem runner roles', () => {
  it("decrypt only through S3 and only the results bucket's objects", () => {
    for (const runner of ['onprem-dc1', 'onprem-dc2']) {
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: Match.stringLikeRegexp(`^Runner${runner.replace('-', '')}`) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Effect: 'Allow',
              Action: 'kms:Decrypt',
              Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] },
              Condition: {
                StringEquals: {
                  // s3.<region>.<partition URL suffix>: amazonaws.com, or amazonaws.com.cn in China.
                  'kms:ViaService': { 'Fn::Join': ['', ['s3.us-east-1.', { Ref: 'AWS::URLSuffix' }]] },
                  'kms:EncryptionContext:aws:s3:arn': {
                    'Fn::GetAtt': [Match.stringLikeRegexp('^Results'), 'Arn'],
                  },
                },
              },
            },
          ]),
        },
      });
    }
    // No runner statement grants kms:Decrypt without those conditions.
    for (const [id, p] of resourcesOf('AWS::IAM::Policy')) {
      if (!id.startsWith('Runner')) continue;
      const doc = p.Properties.PolicyDocument as { Statement: Statement[] };
      for (const s of doc.Statement.filter((x) => actions(x).some((a) => a.startsWith('kms:'))))
        expect(s.Condition?.StringEquals, id).toHaveProperty(['kms:ViaService']);
    }
  });

  it('pins the certificate CN and trust anchor on every statement that lets Roles Anywhere assume the role', () => {
    const roles = resourcesOf('AWS::IAM::Role').filter(([id]) => id.startsWith('Runneronpremdc2'));
    expect(roles).toHaveLength(1);
    const trust = (roles[0]![1].Properties.AssumeRolePolicyDocument as { Statement: Statement[] }).Statement;
    const ra = trust.filter((s) => s.Principal?.Service === 'rolesanywhere.amazonaws.com');
    const granted = new Set(ra.flatMap(actions));
    for (const a of ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'])
      expect(granted).toContain(a);
    for (const s of ra) {
      expect(s.Condition, JSON.stringify(s)).toEqual({
        ArnEquals: { 'aws:SourceArn': TRUST_ANCHOR },
        StringEquals: { 'aws:PrincipalTag/x509Subject/CN': 'runner.dc2.example.com' },
      });
    }
    // Nothing else may assume it.
    expect(trust.filter((s) => s.Principal?.Service !== 'rolesanywhere.amazonaws.com')).toEqual([]);
  });

  it('refuses a Roles Anywhere runner without a certificate CN to pin', () => {
    expect(() =>
      loadInfraConfig(
        configWith([{ runnerId: 'onprem-dc2', trust: { rolesAnywhere: { trustAnchorArn: TRUST_ANCHOR } } }]),
      ),
    ).toThrow(/certificateCommonName/);
    expect(() =>
      loadInfraConfig(
        configWith([
          {
            runnerId: 'onprem-dc2',
            trust: { rolesAnywhere: { trustAnchorArn: TRUST_ANCHOR, certificateCommonName: '' } },
          },
        ]),
      ),
    ).toThrow(/certificateCommonName/);
  });
});
