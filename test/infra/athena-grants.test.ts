import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { loadInfraConfig } from '../../infra/config.js';
import { PathGuardStack } from '../../infra/stacks/pathguard-stack.js';

const root = new URL('../../', import.meta.url).pathname;
const flags = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')).context;
const dir = mkdtempSync(join(tmpdir(), 'pg-athena-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const athena = { workgroup: 'pathguard', database: 'pathguard_logs', maxBytesScanned: 2_000_000_000 };

/** The example config with both sources on the athena engine. */
function synth() {
  const doc = JSON.parse(readFileSync(join(root, 'pathguard.config.example.json'), 'utf8'));
  doc.evidence.flowLogs = {
    ...doc.evidence.flowLogs,
    engine: 'athena',
    athena: {
      ...athena,
      outputLocation: 's3://athena-results-bucket/pathguard/',
      location: { bucket: 'org-flow-logs', prefix: 'vpc/' },
    },
  };
  doc.evidence.accessLogs = {
    ...doc.evidence.accessLogs,
    engine: 'athena',
    athena: { ...athena, table: 'sal' },
  };
  const file = join(dir, 'athena.config.json');
  writeFileSync(file, JSON.stringify(doc));
  const app = new App({ outdir: join(dir, 'out'), context: { ...flags, 'aws:cdk:bundling-stacks': [] } });
  const cfg = loadInfraConfig(file);
  const stack = new PathGuardStack(app, 'PathGuard', {
    monitoring: cfg.monitoring,
    configJson: cfg.configJson,
    deployment: cfg.deployment,
    env: { account: '123456789012', region: 'us-east-1' },
  });
  const template = Template.fromStack(stack);
  const nag = new AwsSolutionsChecks(app).validateScope(app);
  return { template, violations: nag.violations.map((v) => v.ruleName) };
}

const { template, violations } = synth();
const statements = () =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }).Properties
        .PolicyDocument.Statement,
  );

describe('analyzer grants for the athena engine', () => {
  it('query actions on the configured workgroup only', () => {
    const s = statements().find((x) => x.Sid === 'AthenaEvidenceQueries');
    expect([...((s?.Action ?? []) as string[])].sort()).toEqual([
      'athena:GetQueryExecution',
      'athena:GetQueryResults',
      'athena:StartQueryExecution',
      'athena:StopQueryExecution',
    ]);
    expect(JSON.stringify(s?.Resource)).toContain(':workgroup/pathguard');
    expect(JSON.stringify(s?.Resource)).not.toContain('*');
  });

  it('Glue reads on the catalog, the database and the two tables, nothing else', () => {
    const s = statements().find((x) => x.Sid === 'AthenaEvidenceTables');
    expect([...((s?.Action ?? []) as string[])].sort()).toEqual([
      'glue:GetDatabase',
      'glue:GetPartitions',
      'glue:GetTable',
    ]);
    const res = JSON.stringify(s?.Resource);
    for (const r of [
      ':catalog',
      ':database/pathguard_logs',
      ':table/pathguard_logs/pathguard_flow_logs',
      ':table/pathguard_logs/sal',
    ])
      expect(res).toContain(r);
    expect(res).not.toContain('*');
  });

  it('reads the flow logs and writes the results under their prefixes only', () => {
    const arn = (r: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::${r}`]] });
    const on = (r: string) =>
      statements().filter((x) =>
        [x.Resource].flat().some((y) => JSON.stringify(y) === JSON.stringify(arn(r))),
      );
    const actions = (r: string) =>
      on(r)
        .flatMap((x) => [x.Action].flat() as string[])
        .sort();
    expect(actions('athena-results-bucket/pathguard/*')).toEqual([
      's3:AbortMultipartUpload',
      's3:GetObject',
      's3:PutObject',
    ]);
    expect(actions('org-flow-logs/vpc/AWSLogs/*')).toEqual(['s3:GetObject']);
    expect(on('org-flow-logs').map((x) => x.Condition)).toEqual([
      { StringLike: { 's3:prefix': ['vpc/AWSLogs/*'] } },
    ]);
  });

  it('leaves cdk-nag with nothing unacknowledged', () => {
    expect(violations).toEqual([]);
  });
});
