// Build: bundles the CLI (always), and with no flag also the Lambda handlers and the on-prem runner.
// esbuild is a devDependency so bundling never needs Docker.
import { readFileSync } from 'node:fs';
import { buildCli } from './build-cli.mjs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const cliOnly = process.argv.includes('--cli');
const define = { __PATHGUARD_VERSION__: JSON.stringify(pkg.version) };

await buildCli({ define });

if (!cliOnly) {
  const { buildAll } = await import('./build-targets.mjs').catch(() => ({ buildAll: null }));
  if (buildAll) await buildAll({ define });
}
