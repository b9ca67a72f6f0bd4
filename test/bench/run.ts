// `npm run bench`: runs every test/bench/*.bench.ts in turn (or those named on the command line)
// and prints their tables. Benchmarks never gate CI; figures go to docs/benchmarks.md.
import { readdirSync } from 'node:fs';
import os from 'node:os';

const dir = new URL('./', import.meta.url);
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
console.log(
  `# PathGuard benchmarks: node ${process.version}, ${os.cpus().length} cores (${cpu}), ${os.platform()}`,
);
for (const f of files) {
  console.log(`\n## ${f}`);
  const mod = (await import(new URL(f, dir).href)) as { default: () => Promise<void> };
  await mod.default();
}
