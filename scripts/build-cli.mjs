// The CLI bundle: dist/cli.mjs (what bin/pathguard.mjs loads), dist/file-worker.mjs (the worker
// thread that counts several files at once) and one chunk per command under dist/cli-chunks/.
// Code splitting keeps start-up to the dispatcher and the command table: a command's modules (and
// the AWS SDK, for the commands that call AWS) load when it runs.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

export const CHUNK_DIR = 'cli-chunks';

/**
 * Bundles the CLI into `outdir` (tests build into a temporary folder) and removes chunks an
 * earlier build left there. Returns the files written, relative to `outdir`.
 */
export async function buildCli({ define, outdir = 'dist' }) {
  const result = await build({
    entryPoints: { cli: 'functions/cli/entry.ts', 'file-worker': 'functions/cli/file-worker.ts' },
    outdir,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outExtension: { '.js': '.mjs' },
    chunkNames: `${CHUNK_DIR}/[name]-[hash]`,
    sourcemap: true,
    metafile: true,
    define,
    logLevel: 'warning',
  });
  const written = Object.keys(result.metafile.outputs).map((f) => f.slice(outdir.length + 1));
  // Chunk names carry a content hash: a stale one is never loaded, only left behind. Files of the
  // same content another build is writing right now have the same names, so they are kept.
  const keep = new Set(written);
  const chunks = join(outdir, CHUNK_DIR);
  for (const f of readdirSync(chunks)) {
    if (!keep.has(`${CHUNK_DIR}/${f}`)) rmSync(join(chunks, f), { force: true });
  }
  return written;
}
