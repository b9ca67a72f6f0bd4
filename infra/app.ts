// The CDK app: `npx cdk synth` / `npx cdk deploy`. Configured by one file: pathguard.config.json
// (or the file named by PATHGUARD_CONFIG_FILE / `-c config=FILE`); falls back to the committed
// example so a fresh clone synthesizes offline.
import { existsSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadInfraConfig } from './config.js';
import { addPathGuardStacks } from './stacks/index.js';

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
addPathGuardStacks(app, cfg);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
