// VPC Flow Logs: in-process parse (records built), the CLI --count path, and mawk over the same
// file in the same run. Inputs are generated before anything is timed.
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { countFlowRecords, readFlowRecords } from '../../functions/lib/read-flow.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { writeFlowFile } from './flow-data.js';

const LINES = Number(process.env.BENCH_FLOW_LINES ?? 2_000_000);

function cmd(label: string, argv: string[], records: number, bytes: number): void {
  // /usr/bin/time is not on every machine; GNU time's RSS comes from the child's rusage, which
  // spawnSync does not expose, so the CLI reports its own peak RSS through an env switch.
  const t = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), {
    encoding: 'utf8',
    env: { ...process.env, PATHGUARD_REPORT_RSS: '1' },
  });
  const s = (performance.now() - t) / 1000;
  const rss = /peak-rss-mb (\d+)/.exec(r.stderr)?.[1] ?? '-';
  console.log(
    `| ${label} | ${s.toFixed(3)} | ${Math.round(records / s).toLocaleString('en-US')} | ${(bytes / 1e6 / s).toFixed(0)} | ${rss} |`,
  );
}

export default async function bench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pg-bench-flow-'));
  try {
    const plain = join(dir, 'v5.log');
    const gz = join(dir, 'v5.log.gz');
    const bytes = await writeFlowFile(plain, LINES);
    await pipeline(createReadStream(plain), createGzip({ level: 6 }), createWriteStream(gz));
    console.log(
      `input: ${LINES.toLocaleString('en-US')} v5 records (29 fields), ${(bytes / 1e6).toFixed(0)} MB plain, ${(statSync(gz).size / 1e6).toFixed(0)} MB gzip`,
    );
    console.log('\n| what | seconds | records/s | MB/s | peak RSS MB |\n|---|---:|---:|---:|---:|');
    for (const [label, file] of [
      ['in-process, records built (plain)', plain],
      ['in-process, records built (gzip)', gz],
    ] as const) {
      // One warm-up pass over a prefix is not possible with a file; take the better of two runs.
      let best = Number.POSITIVE_INFINITY;
      let n = 0;
      for (let i = 0; i < 2; i++) {
        const t = performance.now();
        n = 0;
        for await (const b of readFlowRecords(file, { rejects: new RejectCounter() })) n += b.length;
        best = Math.min(best, (performance.now() - t) / 1000);
      }
      console.log(
        `| ${label} | ${best.toFixed(3)} | ${Math.round(n / best).toLocaleString('en-US')} | ${(bytes / 1e6 / best).toFixed(0)} | - |`,
      );
    }
    {
      const t = performance.now();
      const n = await countFlowRecords(plain, { rejects: new RejectCounter() });
      const s = (performance.now() - t) / 1000;
      console.log(
        `| in-process, count only (plain) | ${s.toFixed(3)} | ${Math.round(n / s).toLocaleString('en-US')} | ${(bytes / 1e6 / s).toFixed(0)} | - |`,
      );
    }
    cmd(
      '`pathguard parse flow --count` (plain)',
      [process.execPath, 'bin/pathguard.mjs', 'parse', 'flow', '--count', plain],
      LINES,
      bytes,
    );
    cmd(
      '`pathguard parse flow --count` (gzip)',
      [process.execPath, 'bin/pathguard.mjs', 'parse', 'flow', '--count', gz],
      LINES,
      bytes,
    );
    cmd("baseline `awk '{n[$29]++}'` (plain)", ['awk', '{n[$29]++}', plain], LINES, bytes);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
