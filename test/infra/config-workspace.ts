// Infra tests that synthesize variants of the example config: each variant written to a file of
// a temporary folder (the CDK app and the CLI read configs from files), its stack synthesized in
// the test account and Region with bundling skipped, and cdk-nag's findings collected.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll } from 'vitest';
import { type InfraConfig, loadInfraConfig } from '../../infra/config.js';
import { ROOT, testStack } from './template-model.js';

const flags = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')).context;

/** The Athena settings the tests give both evidence sources. */
export const ATHENA = { workgroup: 'pathguard', database: 'pathguard_logs', maxBytesScanned: 2_000_000_000 };

// biome-ignore lint/suspicious/noExplicitAny: config documents edited as plain JSON
export type ConfigDoc = Record<string, any>;

/** A synthesized stack: its template, the config it was made from, and what cdk-nag reported. */
export interface Synthesized {
  readonly template: Template;
  readonly cfg: InfraConfig;
  /** `<rule>: <logical ids>` per finding cdk-nag did not find acknowledged. */
  readonly violations: string[];
}

/**
 * A temporary folder for one test file's configs and cloud assemblies, removed after the file.
 *
 * @example
 * const ws = configWorkspace('pg-athena-');
 * const { template, violations } = ws.synth(ws.configFile((doc) => { doc.evidence.flowLogs.engine = 'athena'; }));
 */
export function configWorkspace(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  return {
    /** pathguard.config.example.json changed by `edit`, written to a new file; returns its path. */
    configFile(edit: (doc: ConfigDoc) => void): string {
      const doc = JSON.parse(readFileSync(join(ROOT, 'pathguard.config.example.json'), 'utf8'));
      edit(doc);
      const file = join(dir, `c${++n}.json`);
      writeFileSync(file, JSON.stringify(doc));
      return file;
    },
    /** The single-account stack of config `file`, as `infra/app.ts` builds it in the test account. */
    synth(file: string): Synthesized {
      const app = new App({
        outdir: join(dir, `out${++n}`),
        context: { ...flags, 'aws:cdk:bundling-stacks': [] },
      });
      const cfg = loadInfraConfig(file);
      const template = Template.fromStack(testStack(app, cfg));
      const nag = new AwsSolutionsChecks(app).validateScope(app);
      const violations = nag.violations.map(
        (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId)}`,
      );
      return { template, cfg, violations };
    },
  };
}
