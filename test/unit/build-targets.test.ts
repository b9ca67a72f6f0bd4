import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Target {
  name: string;
  budget: number;
}
interface BuildTargets {
  targets: Target[];
  RUNTIME_SDK: string[];
  buildTarget: (t: Target, o: { define: Record<string, string>; outfile: string }) => Promise<number>;
}

/** A message only the SDK's JS SigV4a key derivation holds (`@smithy/signature-v4a`). */
const SIGV4A_SIGNER = 'Cannot derive signing key: number of maximum trials exceeded.';

let dir: string;
let mod: BuildTargets;
const built = new Map<string, { size: number; text: string }>();
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pg-bundles-'));
  mod = (await import(pathToFileURL(resolve('scripts/build-targets.mjs')).href)) as BuildTargets;
  for (const t of mod.targets) {
    const outfile = join(dir, `${t.name}.mjs`);
    const size = await mod.buildTarget(t, { define: { __PATHGUARD_VERSION__: '"0.0.0-test"' }, outfile });
    built.set(t.name, { size, text: readFileSync(outfile, 'utf8') });
  }
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('release bundles: the SigV4a signer only where MRAP probes are presigned', () => {
  it('bundles the signer into the probe function (the Lambda runtime does not ship it)', () => {
    const probe = built.get('probe')!;
    expect(probe.text).toContain(SIGV4A_SIGNER);
    expect(probe.text).not.toMatch(/from\s*["']@aws-sdk\/signature-v4a["']/);
  });

  it('keeps it out of the analyze function and the on-prem runner, which stays free of the SDK', () => {
    expect(built.get('analyze')!.text).not.toContain(SIGV4A_SIGNER);
    const runner = built.get('runner')!.text;
    expect(runner).not.toContain(SIGV4A_SIGNER);
    expect(runner).not.toMatch(/["']@aws-sdk\//);
  });
});

/**
 * The lazy initialiser esbuild wraps a module in when it sits behind an `import()` in a single-file
 * bundle, or is imported by one that does (its `__esm` helper, minified
 * `var X=(t,e,r)=>()=>{if(r)throw r[0];try{return t&&(e=t(t=0)),e}...`): X, or null.
 */
function lazyInitialiser(text: string): string | null {
  return (
    /var ([\w$]+)=\(\w,\w,\w\)=>\(\)=>\{if\(\w\)throw \w\[0\];try\{return \w&&\(\w=\w\(\w=0\)\),\w\}/.exec(
      text,
    )?.[1] ?? null
  );
}

/** The statement of the bundle that defines an SDK client's package metadata. */
function clientStatement(text: string, client: string): string {
  const at = text.indexOf(`name:"@aws-sdk/client-${client}"`);
  expect(at).toBeGreaterThan(0);
  return text.slice(text.lastIndexOf(';', at) + 1, at);
}

describe('release bundles: the probe function evaluates the S3 client once, at cold start', () => {
  it('does not put the S3 client behind a lazy initialiser (no import() of a module sharing it)', () => {
    // The yardstick, to show the check can fail: analyze loads its Athena client with import().
    const analyze = built.get('analyze')!.text;
    expect(clientStatement(analyze, 'athena')).toContain(`${lazyInitialiser(analyze)}(()=>{`);
    // Issue 16: with the SigV4a signer behind an import(), esbuild wrapped 558 modules of the probe
    // bundle, the S3 client with them, which cost about a tenth of its import time.
    const probe = built.get('probe')!.text;
    expect(clientStatement(probe, 's3')).not.toContain(`${lazyInitialiser(probe)}(()=>{`);
  });
});

/** Every AWS SDK package a bundle loads at run time (`import("@aws-sdk/…")` or `from"@aws-sdk/…"`). */
function sdkLoadedAtRunTime(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(/(?:from\s*|import\(\s*)["'](@aws-sdk\/[^"']+)["']/g)) found.add(m[1]!);
  return [...found].sort();
}

describe('release bundles: the AWS SDK is bundled, but for what the Lambda runtime provides', () => {
  it('loads only EC2 (analyze, on first use) and the unreached credential providers from the runtime', () => {
    const providers = mod.RUNTIME_SDK.filter((p) => p.includes('credential-provider'));
    expect(providers.length).toBeGreaterThan(0);
    expect(sdkLoadedAtRunTime(built.get('probe')!.text)).toEqual(providers);
    expect(sdkLoadedAtRunTime(built.get('analyze')!.text)).toEqual([...mod.RUNTIME_SDK].sort());
    // Loaded on first use only: a dynamic import, never a static one evaluated at cold start.
    for (const name of ['probe', 'analyze'])
      expect(built.get(name)!.text).not.toMatch(/from\s*["']@aws-sdk\//);
  });

  it('leaves the same packages to the runtime as the CDK functions do', async () => {
    const { functionDefaults } = await import('../../infra/constructs/pathguard-function.js');
    const { common } = functionDefaults('{}', 30, {} as never);
    expect([...(common.bundling?.externalModules ?? [])].sort()).toEqual([...mod.RUNTIME_SDK].sort());
  });
});

describe('release bundles: the schemas the functions build at cold start are zod/mini', () => {
  it('carries no classic zod API in the Lambda bundles (each schema object built with its methods)', () => {
    for (const name of ['probe', 'analyze']) {
      const text = built.get(name)!.text;
      expect(text, name).toContain('"ZodMiniString"');
      expect(text, name).not.toContain('"ZodString"');
    }
  });
});

describe("release bundles: the analyze function's flow worker", () => {
  it('is a bundle of its own, beside index.mjs, with no AWS SDK (the function downloads, workers parse)', () => {
    const worker = mod.targets.find((t) => t.name === 'analyze-flow-worker') as Target & { outfile: string };
    const analyze = mod.targets.find((t) => t.name === 'analyze') as Target & { outfile: string };
    expect(worker.outfile).toBe(analyze.outfile.replace(/index\.mjs$/, 'flow-worker.mjs'));
    const text = built.get('analyze-flow-worker')!.text;
    expect(text).not.toMatch(/["']@aws-sdk\//);
    expect(text).not.toContain('GetObjectCommand');
    // The handler starts it by that name, from its own folder.
    expect(built.get('analyze')!.text).toContain('"./flow-worker.mjs",import.meta.url');
  });
});
