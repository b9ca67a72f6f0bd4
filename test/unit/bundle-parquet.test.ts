import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without types
import { targets } from '../../scripts/build-targets.mjs';

interface Target {
  readonly name: string;
  readonly entry: string;
  readonly node: string;
}

/** The node_modules packages a target's bundle pulls in, from esbuild's metafile (nothing written). */
async function packagesIn(t: Target): Promise<Set<string>> {
  const r = await build({
    entryPoints: [t.entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: t.node,
    write: false,
    metafile: true,
    logLevel: 'silent',
    external: t.name === 'runner' ? [] : ['@aws-sdk/*'],
    define: { __PATHGUARD_VERSION__: '"test"' },
  });
  return new Set(
    Object.keys(r.metafile.inputs).flatMap((p) => {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(p);
      return m ? [m[1]!] : [];
    }),
  );
}

describe('Parquet code stays in the bundles that read flow logs', () => {
  it('keeps hyparquet and the writer out of the probe bundle and the one-file runner', async () => {
    const byName = new Map((targets as Target[]).map((t) => [t.name, t]));
    // The detector sees Parquet where it is: the S3 flow-log source reads it, without the writer.
    const reader = await packagesIn({
      name: 'reader',
      entry: 'functions/aws/flow-logs-s3.ts',
      node: 'node22',
    });
    expect(reader.has('hyparquet')).toBe(true);
    expect(reader.has('hyparquet-writer')).toBe(false);
    for (const name of ['probe', 'runner']) {
      const pkgs = await packagesIn(byName.get(name)!);
      expect(
        [...pkgs].filter((p) => p.startsWith('hyparquet')),
        name,
      ).toEqual([]);
    }
  }, 60_000);
});
