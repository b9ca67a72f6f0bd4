// VPC Flow Logs: the parser in-process (records built, and the count path), the reader over plain
// and gzip files, `pathguard parse flow` as a user runs it, and mawk over the same file in the
// same run. Inputs are generated before anything is timed, in a temp dir removed afterwards.
//
// BENCH_FLOW_LINES (default 2,000,000) sets the input size; BENCH_FLOW_RUNS (default 3) the runs
// per row (the median is printed). Build the CLI first (`npm run bench` does).

import { spawnSync } from 'node:child_process';
import {
  createReadStream,
  createWriteStream,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { createGzip } from 'node:zlib';
import { countFlowRecords, readFlowRecords } from '../../functions/lib/read-flow.js';
import { FLOW_CLASSIFICATION_FIELDS } from '../../shared/classify/index.js';
import { FlowLogStreamParser } from '../../shared/flow-logs/index.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { V5_FIELDS, writeFlowFile } from './flow-data.js';

const LINES = Number(process.env.BENCH_FLOW_LINES ?? 2_000_000);
const RUNS = Number(process.env.BENCH_FLOW_RUNS ?? 3);
/** Every 65,536th record lands here, so no engine can prove the records unused. */
const sink: unknown[] = [];

interface Row {
  readonly seconds: number;
  readonly records: number;
  readonly rss?: number | undefined;
}

function median(xs: Row[]): Row {
  return [...xs].sort((a, b) => a.seconds - b.seconds)[Math.floor(xs.length / 2)]!;
}

function print(label: string, row: Row, bytes: number): void {
  const s = row.seconds;
  const rate = row.records > 0 ? Math.round(row.records / s).toLocaleString('en-US') : '-';
  const mbs = bytes > 0 ? (bytes / 1e6 / s).toFixed(0) : '-';
  console.log(`| ${label} | ${s.toFixed(3)} | ${rate} | ${mbs} | ${row.rss ?? '-'} |`);
}

async function timed(f: () => Promise<number> | number): Promise<Row> {
  const t = performance.now();
  const records = await f();
  return { seconds: (performance.now() - t) / 1000, records };
}

/**
 * Preloaded into the CLI's node: prints the process's peak RSS when it exits. VmHWM (Linux) is the
 * high-water mark of this process's own memory; `resourceUsage().maxRSS` is not usable here, as
 * Linux carries it over from the forking parent (this benchmark, with the input in memory).
 */
const PEAK_RSS_HOOK = `import { readFileSync, writeSync } from 'node:fs';
process.on('exit', () => {
  let kb = Math.round(process.resourceUsage().maxRSS);
  try { kb = Number(/VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]); } catch {}
  writeSync(2, 'peak-rss-kb ' + kb + '\\n');
});
`;

/** Runs a command with stdout to /dev/null; node commands report their own peak RSS. */
function command(argv: string[], records: number, hook?: string): Row {
  const args = hook && argv[0] === process.execPath ? ['--import', hook, ...argv.slice(1)] : argv.slice(1);
  const t = performance.now();
  const r = spawnSync(argv[0]!, args, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const seconds = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  const kb = /peak-rss-kb (\d+)/.exec(r.stderr)?.[1];
  return { seconds, records, rss: kb === undefined ? undefined : Math.round(Number(kb) / 1024) };
}

async function repeat(f: () => Promise<Row> | Row): Promise<Row> {
  const rows: Row[] = [];
  for (let i = 0; i < RUNS; i++) rows.push(await f());
  return median(rows);
}

/**
 * The baseline the issue names: split each line on spaces and convert the integer fields, as a
 * straightforward parser would (`line.split(' ')`, `Number()`, a record built key by key).
 */
function splitPerLine(text: string): number {
  const names = V5_FIELDS.split(' ');
  const keys = names.map((n) => n.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
  const integer = names.map((n) =>
    [
      'version',
      'srcport',
      'dstport',
      'protocol',
      'packets',
      'bytes',
      'start',
      'end',
      'tcp-flags',
      'traffic-path',
    ].includes(n),
  );
  let n = 0;
  for (const line of text.split('\n')) {
    const parts = line.split(' ');
    if (parts.length !== keys.length || parts[0] === 'version') continue;
    const rec: FlowRecord = {};
    for (let i = 0; i < parts.length; i++) {
      const v = parts[i]!;
      rec[keys[i]!] = v === '-' ? null : integer[i] ? Number(v) : v;
    }
    if ((++n & 0xffff) === 0) sink.push(rec);
  }
  return n;
}

export default async function bench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pg-bench-flow-'));
  try {
    const plain = join(dir, 'v5.log');
    const gz = join(dir, 'v5.log.gz');
    const half = join(dir, 'v5-half.log');
    const bytes = await writeFlowFile(plain, LINES);
    await writeFlowFile(half, Math.floor(LINES / 2));
    await pipeline(createReadStream(plain), createGzip({ level: 6 }), createWriteStream(gz));
    const meaningCost: string[] = [];
    const hook = pathToFileURL(join(dir, 'peak-rss.mjs')).href;
    writeFileSync(join(dir, 'peak-rss.mjs'), PEAK_RSS_HOOK);
    const inMemory = readFileSync(plain);
    const sample = readFileSync(plain, 'latin1').slice(0, Math.floor(bytes / 4));
    const sampleLines = Math.floor(LINES / 4);
    console.log(
      `input: ${LINES.toLocaleString('en-US')} v5 records (29 fields) + header, ${(bytes / 1e6).toFixed(0)} MB plain ` +
        `(${(bytes / LINES).toFixed(0)} bytes per line), ${(statSync(gz).size / 1e6).toFixed(0)} MB gzip; median of ${RUNS} runs`,
    );
    console.log('\n| what | seconds | records/s | MB/s | peak RSS MB |\n|---|---:|---:|---:|---:|');

    // In-process on bytes already in memory, 64 KiB pushes: the parser alone, with the meaning
    // checks (addresses, ranges, action/log-status values, start <= end) and without them, the
    // two alternating run by run so that load from other work falls on both alike.
    const parse = (countOnly: boolean, skipMeaningChecks: boolean) =>
      timed(() => {
        let n = 0;
        const p = new FlowLogStreamParser({
          source: 'bench',
          rejects: new RejectCounter(),
          countOnly,
          skipMeaningChecks,
          onRecord: (r) => {
            if ((++n & 0xffff) === 0) sink.push(r);
          },
        });
        for (let o = 0; o < inMemory.length; o += 65536) p.push(inMemory.subarray(o, o + 65536));
        p.end();
        if (p.records !== LINES) throw new Error(`parsed ${p.records} of ${LINES} records`);
        return p.records;
      });
    for (const countOnly of [false, true]) {
      const without: Row[] = [];
      const checked: Row[] = [];
      for (let i = 0; i < Math.max(RUNS, 5); i++) {
        without.push(await parse(countOnly, true));
        checked.push(await parse(countOnly, false));
      }
      const what = countOnly ? 'count only' : 'records built';
      const before = median(without);
      const after = median(checked);
      print(`parser in-process, ${what}, without meaning checks (bytes in memory)`, before, bytes);
      print(`parser in-process, ${what} (bytes in memory)`, after, bytes);
      meaningCost.push(`${what} +${((after.seconds / before.seconds - 1) * 100).toFixed(1)}%`);
    }
    const naive = await repeat(() => timed(() => splitPerLine(sample)));
    print(
      `baseline split-per-line parser in-process (first ${sampleLines.toLocaleString('en-US')} lines)`,
      naive,
      bytes / 4,
    );

    // The reader as the classifier and analyzer use it: file → records in batches.
    for (const [label, file] of [
      ['`readFlowRecords` in-process (plain file)', plain],
      ['`readFlowRecords` in-process (gzip file)', gz],
    ] as const) {
      const row = await repeat(() =>
        timed(async () => {
          let n = 0;
          for await (const b of readFlowRecords(file, { rejects: new RejectCounter() })) n += b.length;
          return n;
        }),
      );
      print(label, row, bytes);
    }
    // The fields flow classification reads, as `classify --summary` asks for them.
    const fields = FLOW_CLASSIFICATION_FIELDS;
    const projected = await repeat(() =>
      timed(async () => {
        let n = 0;
        for await (const b of readFlowRecords(plain, { rejects: new RejectCounter(), fields })) n += b.length;
        return n;
      }),
    );
    print('`readFlowRecords` in-process, 10 of the 29 fields (plain file)', projected, bytes);
    const counted = await repeat(() =>
      timed(() => countFlowRecords(plain, { rejects: new RejectCounter() })),
    );
    print('`countFlowRecords` in-process (plain file)', counted, bytes);

    // The CLI as a user runs it: a fresh node, the bundle loaded, the whole file read.
    const cli = [process.execPath, 'bin/pathguard.mjs'];
    const start = await repeat(() => command([...cli, '--version'], 0, hook));
    print('`pathguard --version` (start-up only)', start, 0);
    const countPlain = await repeat(() => command([...cli, 'parse', 'flow', '--count', plain], LINES, hook));
    print('`pathguard parse flow --count` (plain)', countPlain, bytes);
    const awk = await repeat(() => command(['awk', '{n[$29]++}', plain], LINES));
    print("baseline `awk '{n[$29]++}'` (plain)", awk, bytes);
    print(
      '`pathguard parse flow --count` (gzip)',
      await repeat(() => command([...cli, 'parse', 'flow', '--count', gz], LINES, hook)),
      bytes,
    );
    const halfRow = await repeat(() =>
      command([...cli, 'parse', 'flow', '--count', half], Math.floor(LINES / 2), hook),
    );
    print('`pathguard parse flow --count` (plain, half the lines)', halfRow, bytes / 2);
    print(
      '`pathguard parse flow` NDJSON to /dev/null (plain)',
      command([...cli, 'parse', 'flow', plain], LINES, hook),
      bytes,
    );
    print(
      '`pathguard parse flow` NDJSON to /dev/null (plain, half the lines)',
      command([...cli, 'parse', 'flow', half], Math.floor(LINES / 2), hook),
      bytes / 2,
    );
    console.log(`\nmeaning checks cost (median against median, same run): ${meaningCost.join(', ')}`);
    const ratio = countPlain.seconds / awk.seconds;
    console.log(
      `\n--count takes ${ratio.toFixed(2)}x mawk's time (${ratio <= 1 ? 'target met' : 'target NOT met'}); ` +
        `start-up is ${start.seconds.toFixed(2)} s of it.`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    sink.length = 0;
  }
}
