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
const dir = mkdtempSync(join(tmpdir(), 'pg-upload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The example config, its targets probing with the given methods. */
function synth(methods: string[] | null) {
  const doc = JSON.parse(readFileSync(join(root, 'pathguard.config.example.json'), 'utf8'));
  if (methods) for (const t of doc.targets) t.methods = methods;
  const file = join(dir, `config-${methods?.join('-') ?? 'get'}.json`);
  writeFileSync(file, JSON.stringify(doc));
  const cfg = loadInfraConfig(file);
  const app = new App({
    outdir: mkdtempSync(join(dir, 'out-')),
    context: { ...flags, 'aws:cdk:bundling-stacks': [] },
  });
  const stack = new PathGuardStack(app, 'PathGuard', {
    monitoring: cfg.monitoring,
    configJson: cfg.configJson,
    deployment: cfg.deployment,
    env: { account: '123456789012', region: 'us-east-1' },
  });
  const nag = new AwsSolutionsChecks(app).validateScope(app);
  return { template: Template.fromStack(stack), violations: nag.violations, doc };
}

/** Every IAM statement granting s3:DeleteObject, with the role it is attached to. */
function deleteGrants(template: Template): { roles: unknown; resources: unknown }[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => {
    const props = (
      p as {
        Properties: {
          Roles: unknown;
          PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] };
        };
      }
    ).Properties;
    return props.PolicyDocument.Statement.filter((s) => [s.Action].flat().includes('s3:DeleteObject')).map(
      (s) => ({
        roles: props.Roles,
        resources: s.Resource,
      }),
    );
  });
}

describe('upload probes: the analyzer may delete their objects, and nothing else', {
  timeout: 120_000,
}, () => {
  it('grants no DeleteObject when no target uploads', () => {
    expect(deleteGrants(synth(null).template)).toEqual([]);
  });

  it('grants the analyze role DeleteObject only under <probePrefix>/probes/ of the target buckets, cdk-nag clean', () => {
    const { template, violations, doc } = synth(['get', 'put', 'post']);
    const grants = deleteGrants(template);
    expect(grants).toHaveLength(1);
    const text = JSON.stringify(grants[0]);
    expect(text).toMatch(/"AnalyzeRole[0-9A-F]+"/);
    const resources = [grants[0]!.resources].flat();
    expect(resources.length).toBeGreaterThan(0);
    for (const r of resources)
      expect(JSON.stringify(r)).toMatch(new RegExp(`/${doc.probePrefix ?? 'pathguard'}/probes/\\*"`));
    expect(violations).toEqual([]);
  });

  it('uploaded probe objects expire by the probe buckets’ lifecycle rule (same key prefix as GET probes)', () => {
    const { template, doc } = synth(['put']);
    const rules = Object.values(template.findResources('AWS::S3::Bucket')).flatMap(
      (b) =>
        (b as { Properties: { LifecycleConfiguration?: { Rules: { Id?: string; Prefix?: string }[] } } })
          .Properties.LifecycleConfiguration?.Rules ?? [],
    );
    expect(
      rules.some((r) => r.Id === 'probes' && r.Prefix === `${doc.probePrefix ?? 'pathguard'}/probes/`),
    ).toBe(
      (
        JSON.parse(readFileSync(join(root, 'pathguard.config.example.json'), 'utf8')).deployment
          ?.createProbeBuckets ?? []
      ).length > 0,
    );
  });
});
