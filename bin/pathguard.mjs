#!/usr/bin/env node
// Thin launcher: the CLI is bundled to dist/cli.mjs by `npm ci` (prepare) or `npm run build`.
import { existsSync } from 'node:fs';

const target = new URL('../dist/cli.mjs', import.meta.url);
if (!existsSync(target)) {
  process.stderr.write('pathguard: not built yet; run `npm ci` or `npm run build` in the repository first\n');
  process.exit(1);
}
// The AWS SDK warns on every start under Node 20 about its future Node 22 requirement; the CLI
// supports Node 20, so that one warning is dropped. Every other warning is printed as usual.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (!`${w.name} ${w.message}`.includes('NodeVersionSupportWarning'))
    process.stderr.write(`${w.name}: ${w.message}\n`);
});
const { main } = await import(target.href);
process.exitCode = await main(process.argv.slice(2));
if (process.env.PATHGUARD_REPORT_RSS) {
  // Benchmarks read the CLI's own peak memory (maxRSS is in KiB).
  process.stderr.write(`peak-rss-mb ${Math.round(process.resourceUsage().maxRSS / 1024)}\n`);
}
