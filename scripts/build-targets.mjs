// Bundles beyond the CLI: one ESM file per Lambda handler (dist/functions/<name>/index.mjs) and,
// when its entry exists, the on-prem runner (dist/pathguard-runner.mjs). Called by build.mjs.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { build } from 'esbuild';

/**
 * The AWS SDK is bundled, tree-shaken from its ES modules (`mainFields: module`), as AWS advises
 * for cold starts: loading the runtime's copy means resolving and compiling the whole CommonJS
 * package of each client (S3: every command's schema) and of @smithy/core, about twice the CPU of
 * the minified parts a bundle keeps (probe import, median of 9 paired runs: 0.57x the CPU).
 * What stays with the Lambda runtime, which ships it:
 * - EC2, which only analyze needs, loaded on first use: its serializers do not tree-shake
 *   (bundled, analyze is 2.2 MB, over its budget);
 * - the credential providers a function never reaches: Lambda puts the role's credentials in the
 *   environment, the chain's first link; the profile, SSO, process and web-identity links (and
 *   the STS and SSO clients they carry, 85 KB) load only when those are missing. The container
 *   link (SnapStart's credentials) stays bundled.
 */
export const RUNTIME_SDK = [
  '@aws-sdk/client-ec2',
  // STS, which only an organisation's central analyze function needs (member roles), on first use.
  '@aws-sdk/client-sts',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-web-identity',
];
const sdkFromRuntime = {
  name: 'sdk-from-runtime',
  setup(b) {
    b.onResolve({ filter: /^@aws-sdk\// }, (args) =>
      RUNTIME_SDK.includes(args.path) ? { path: args.path, external: true } : undefined,
    );
  },
};

/** ESM bundles of CommonJS dependencies need require(). */
const requireShim =
  "import { createRequire as __pgCreateRequire } from 'node:module';const require = __pgCreateRequire(import.meta.url);";

export const targets = [
  {
    name: 'probe',
    entry: 'functions/handlers/probe.ts',
    outfile: 'dist/functions/probe/index.mjs',
    node: 'node22',
    budget: 1024 * 1024,
  },
  {
    name: 'analyze',
    entry: 'functions/handlers/analyze.ts',
    outfile: 'dist/functions/analyze/index.mjs',
    node: 'node22',
    budget: 1024 * 1024,
  },
  {
    // The analyze function's worker thread, beside its index.mjs (functions/lib/flow-threads.ts
    // loads it as ./flow-worker.mjs); the CDK stack builds it into the function's asset too.
    name: 'analyze-flow-worker',
    entry: 'functions/lib/flow-worker.ts',
    outfile: 'dist/functions/analyze/flow-worker.mjs',
    node: 'node22',
    budget: 512 * 1024,
  },
  {
    name: 'runner',
    entry: 'functions/runner/standalone.ts',
    outfile: 'dist/pathguard-runner.mjs',
    node: 'node20',
    budget: 1024 * 1024,
    optional: true,
    // A release file copied to on-prem hosts: its SHA-256 goes next to it.
    checksum: true,
  },
];

/**
 * Bundles one target. `outfile` overrides the target's (tests build into a temporary folder).
 * Returns the bundle's size in bytes; throws when it is over the target's budget.
 */
export async function buildTarget(t, { define, outfile = t.outfile }) {
  await build({
    entryPoints: [t.entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: t.node,
    minify: true,
    sourcemap: true,
    mainFields: ['module', 'main'],
    // The CDK stack bundles the same way (infra/constructs/pathguard-function.ts). The standalone
    // runner has no externals at all: it must run from a folder with no node_modules.
    plugins: t.name === 'runner' ? [] : [sdkFromRuntime],
    banner: { js: requireShim },
    define,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const size = statSync(outfile).size;
  if (size > t.budget) throw new Error(`${outfile} is ${size} bytes, over its ${t.budget}-byte budget`);
  if (t.checksum) writeChecksum(outfile);
  return size;
}

/**
 * Writes `<file>.sha256` in the format `sha256sum -c` checks (`<hex>  <name>`, the name relative
 * to the checksum file), so an operator verifies a copied runner with
 * `sha256sum -c pathguard-runner.mjs.sha256` in the folder holding both.
 */
export function writeChecksum(file) {
  const hex = createHash('sha256').update(readFileSync(file)).digest('hex');
  writeFileSync(`${file}.sha256`, `${hex}  ${basename(file)}\n`);
  return hex;
}

/** Builds every target (`only`: the named ones), printing their sizes. Called by build.mjs. */
export async function buildAll({ define, only }) {
  const sizes = [];
  for (const t of targets) {
    if (t.optional && !existsSync(t.entry)) continue;
    if (only && !only.includes(t.name)) continue;
    sizes.push({ name: t.name, size: await buildTarget(t, { define }) });
  }
  for (const s of sizes) console.log(`built ${s.name}: ${(s.size / 1024).toFixed(0)} KiB`);
  return sizes;
}
