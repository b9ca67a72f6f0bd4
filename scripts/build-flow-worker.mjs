// Builds the analyze function's worker thread into the file given, with the options of the
// release bundles: the CDK stack's afterBundling hook puts it beside the function's index.mjs
// (infra/constructs/pathguard-function.ts).
import { readFileSync } from 'node:fs';
import { buildTarget, targets } from './build-targets.mjs';

const outfile = process.argv[2];
if (!outfile) {
  console.error('usage: node scripts/build-flow-worker.mjs <outfile>');
  process.exit(2);
}
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const worker = targets.find((t) => t.name === 'analyze-flow-worker');
await buildTarget(worker, { define: { __PATHGUARD_VERSION__: JSON.stringify(pkg.version) }, outfile });
