// The CDK app: `npx cdk synth` / `npx cdk deploy`. Configured by one file: pathguard.config.json
// (or the file named by PATHGUARD_CONFIG_FILE / `-c config=FILE`); falls back to the committed
// example so a fresh clone synthesizes offline.
import { existsSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadInfraConfig } from './config.js';
import { PathGuardStack } from './stacks/pathguard-stack.js';

const app = new App();
const explicit =
  (app.node.tryGetContext('config') as string | undefined) ?? process.env.PATHGUARD_CONFIG_FILE;
const file =
  explicit ??
  (existsSync('pathguard.config.json') ? 'pathguard.config.json' : 'pathguard.config.example.json');
if (!explicit && file.endsWith('example.json')) {
  process.stderr.write('pathguard: no pathguard.config.json; synthesizing the example configuration\n');
}
const cfg = loadInfraConfig(file);
new PathGuardStack(app, cfg.deployment.stackName, {
  monitoring: cfg.monitoring,
  configJson: cfg.configJson,
  deployment: cfg.deployment,
  env: cfg.deployment.account
    ? { account: cfg.deployment.account, region: cfg.monitoring.region }
    : { region: cfg.monitoring.region },
  description: 'PathGuard: continuous proof that S3 traffic stays on the VPC-endpoint path',
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
