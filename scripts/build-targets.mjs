// Bundles beyond the CLI: one ESM file per Lambda handler (dist/functions/<name>/index.mjs) and,
// when its entry exists, the on-prem runner (dist/pathguard-runner.mjs). Called by build.mjs.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { build } from 'esbuild';

/**
 * The AWS SDK packages a bundle leaves to the Lambda runtime, which ships the SDK's clients. The
 * JS SigV4a signer is not one of them (no client depends on it: it is an opt-in import), so it is
 * bundled into the functions that presign Multi-Region Access Point probes, and only those: it is
 * reached through a dynamic import in the presigner, which the other bundles never contain.
 */
const sdkFromRuntime = {
  name: 'sdk-from-runtime',
  setup(b) {
    b.onResolve({ filter: /^@aws-sdk\// }, (args) =>
      args.path === '@aws-sdk/signature-v4a' ? undefined : { path: args.path, external: true },
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
    // Lambda's nodejs22.x runtime ships the AWS SDK for JavaScript v3; the CDK stack bundles the
    // same way (NodejsFunction's default). Bundling the SDK too makes analyze 1.66 MB (EC2's
    // serializers do not tree-shake), over the 1 MB budget. The standalone runner has no
    // externals at all: it must run from a folder with no node_modules.
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
