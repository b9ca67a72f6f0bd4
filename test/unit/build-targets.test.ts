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
  buildTarget: (t: Target, o: { define: Record<string, string>; outfile: string }) => Promise<number>;
}

/** A message only the SDK's JS SigV4a key derivation holds (`@smithy/signature-v4a`). */
const SIGV4A_SIGNER = 'Cannot derive signing key: number of maximum trials exceeded.';

describe('release bundles: the SigV4a signer only where MRAP probes are presigned', () => {
  let dir: string;
  const built = new Map<string, { size: number; text: string }>();
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pg-bundles-'));
    const mod = (await import(pathToFileURL(resolve('scripts/build-targets.mjs')).href)) as BuildTargets;
    for (const t of mod.targets) {
      const outfile = join(dir, `${t.name}.mjs`);
      const size = await mod.buildTarget(t, { define: { __PATHGUARD_VERSION__: '"0.0.0-test"' }, outfile });
      built.set(t.name, { size, text: readFileSync(outfile, 'utf8') });
    }
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

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
