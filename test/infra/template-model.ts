import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type InfraConfig, loadInfraConfig } from '../../infra/config.js';
import { PathGuardStack } from '../../infra/stacks/pathguard-stack.js';

export const ROOT = new URL('../../', import.meta.url).pathname;
const flags = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')).context;
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** Synthesizes the stack of one config file (esbuild bundling skipped, as in every unit run). */
export function synthConfig(file: string): { cfg: InfraConfig; template: Template; resources: Resources } {
  const app = new App({ context: { ...flags, 'aws:cdk:bundling-stacks': [] } });
  const cfg = loadInfraConfig(join(ROOT, file));
  const template = Template.fromStack(testStack(app, cfg));
  return { cfg, template, resources: template.toJSON().Resources as Resources };
}

/** The single-account stack of `cfg` as `infra/app.ts` builds it, in the test account and Region. */
export function testStack(app: App, cfg: InfraConfig): PathGuardStack {
  return new PathGuardStack(app, 'PathGuard', {
    monitoring: cfg.monitoring,
    configJson: cfg.configJson,
    deployment: cfg.deployment,
    env: { account: ACCOUNT, region: REGION },
  });
}

/**
 * Resolves CloudFormation intrinsics to the values a deployment would see, with a made-up,
 * stable physical name for each resource without one (`ref-<logical id>`), so what a function is
 * told and what its role is granted can be compared as plain strings.
 */
export function resolver(resources: Resources) {
  const physical = (id: string): string => {
    const p = resources[id]?.Properties ?? {};
    const named = p.BucketName ?? p.LogGroupName ?? p.TopicName;
    return typeof named === 'string' ? named : `ref-${id.toLowerCase()}`;
  };
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::AccountId': ACCOUNT,
    'AWS::Region': REGION,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': 'PathGuard',
  };
  const resolve = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(resolve);
    if (!v || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    if ('Ref' in o) {
      const id = o.Ref as string;
      if (pseudo[id]) return pseudo[id];
      if (resources[id]?.Type === 'AWS::SNS::Topic')
        return `arn:aws:sns:${REGION}:${ACCOUNT}:${physical(id)}`;
      return physical(id);
    }
    if ('Fn::GetAtt' in o) {
      const [id, attr] = o['Fn::GetAtt'] as [string, string];
      const type = resources[id]?.Type;
      if (attr === 'Arn' && type === 'AWS::S3::Bucket') return `arn:aws:s3:::${physical(id)}`;
      if (attr === 'Arn' && type === 'AWS::Logs::LogGroup')
        return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${physical(id)}:*`;
      return `${attr.toLowerCase()}-of-${physical(id)}`;
    }
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map((p) => String(resolve(p))).join(sep);
    }
    if ('Fn::Select' in o) {
      const [i, list] = o['Fn::Select'] as [number, unknown];
      return (resolve(list) as unknown[])[i];
    }
    if ('Fn::Split' in o) {
      const [sep, s] = o['Fn::Split'] as [string, unknown];
      return String(resolve(s)).split(sep);
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
  };
  return resolve;
}

/** The Lambda functions of the template by role: probe-<vantage>, orders, analyze. */
export function functionsOf(resources: Resources) {
  const resolve = resolver(resources);
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
    .map(([id, r]) => {
      const p = r.Properties as { Role: unknown; Environment?: { Variables?: Record<string, unknown> } };
      const env = resolve(p.Environment?.Variables ?? {}) as Record<string, string>;
      const roleId = ((p.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'] ?? [])[0]!;
      const kind = id.startsWith('Analyze') ? 'analyze' : id.startsWith('Orders') ? 'orders' : 'probe';
      return { id, kind, env, roleId };
    })
    .filter((f) => f.env.PATHGUARD_CONFIG !== undefined);
}

/** Every statement of the inline policies attached to a role, intrinsics resolved. */
export function statementsOf(resources: Resources, roleId: string) {
  const resolve = resolver(resources);
  return Object.values(resources)
    .filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' &&
        ((r.Properties?.Roles as { Ref: string }[]) ?? []).some((x) => x.Ref === roleId),
    )
    .flatMap((r) => (resolve(r.Properties!.PolicyDocument) as { Statement: Statement[] }).Statement);
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
