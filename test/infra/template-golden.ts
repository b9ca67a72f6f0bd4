import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadInfraConfig } from '../../infra/config.js';
import { PathGuardStack } from '../../infra/stacks/pathguard-stack.js';
import { ROOT } from './template-model.js';

const flags = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')).context;

/** The default config and every example: the configs whose templates must not drift. */
export const CANONICAL_CONFIGS = [
  'pathguard.config.example.json',
  'examples/cloudtrail.config.json',
  'examples/existing-logs.config.json',
  'examples/onprem-only.config.json',
] as const;

/**
 * With bundling skipped (every unit run) CDK names a function's code asset after the asset's
 * construct path (Names.uniqueId), not its content; a deployment bundles and hashes the content,
 * which no construct path changes. Only that placeholder is blanked.
 */
function withoutPlaceholderAssetHashes(template: unknown): unknown {
  type Code = { S3Key?: unknown };
  const resources = (
    template as { Resources: Record<string, { Type: string; Properties?: { Code?: Code } }> }
  ).Resources;
  for (const r of Object.values(resources)) {
    const code = r.Type === 'AWS::Lambda::Function' ? r.Properties?.Code : undefined;
    if (code && typeof code.S3Key === 'string') code.S3Key = '<asset>.zip';
  }
  return template;
}

/**
 * The template of one config, synthesized as `infra/app.ts` does (environment from the config)
 * or environment-agnostic (account and Region left to deployment), esbuild bundling skipped;
 * JSON with sorted keys.
 */
export function canonicalTemplate(t: CanonicalTemplate): string {
  const { file, env } = t;
  const app = new App({ context: { ...flags, 'aws:cdk:bundling-stacks': [] } });
  const cfg = loadInfraConfig(join(ROOT, file));
  // No example alerts to Slack; this variant covers the Chatbot configuration.
  if (t.slack) cfg.deployment.alerts.slack = { workspaceId: 'T0123ABCDEF', channelId: 'C0123ABCDEF' };
  const stack = new PathGuardStack(app, cfg.deployment.stackName, {
    monitoring: cfg.monitoring,
    configJson: cfg.configJson,
    deployment: cfg.deployment,
    env:
      env === 'agnostic'
        ? {}
        : cfg.deployment.account
          ? { account: cfg.deployment.account, region: cfg.monitoring.region }
          : { region: cfg.monitoring.region },
    description: 'PathGuard: continuous proof that S3 traffic stays on the VPC-endpoint path',
  });
  const template = withoutPlaceholderAssetHashes(Template.fromStack(stack).toJSON());
  return `${JSON.stringify(template, sortedKeys, 1)}\n`;
}

function sortedKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** One canonical template: a config file, its environment, and whether Slack alerting is added. */
export interface CanonicalTemplate {
  readonly file: string;
  readonly env: 'config' | 'agnostic';
  readonly slack?: boolean;
}

/**
 * The canonical templates: every config as the app synthesizes it; the configs whose template
 * depends on the environment (nag acknowledgements name the account and Region) also
 * environment-agnostic; the default config with Slack alerting (no example has it).
 */
export const CANONICAL_TEMPLATES: readonly CanonicalTemplate[] = [
  ...CANONICAL_CONFIGS.map((file) => ({ file, env: 'config' as const })),
  { file: 'pathguard.config.example.json', env: 'agnostic' },
  { file: 'examples/existing-logs.config.json', env: 'agnostic' },
  { file: 'pathguard.config.example.json', env: 'config', slack: true },
];

/** The golden file name of a canonical template. */
export function goldenName(t: CanonicalTemplate): string {
  const base = t.file.replace(/^examples\//, '').replace(/\.json$/, '');
  return `${base}.${t.env}${t.slack ? '.slack' : ''}.template.json`;
}
