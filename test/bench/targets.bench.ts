// Issue 16's targets, each measured against its baseline in the same run and judged "met" or
// "not met": the built CLI as a user runs it (a child process per run, standard output to
// /dev/null), the Lambda bundles as the runtime imports them. Command and baseline run in turn,
// A B A B ..., and the ratio is the median of the pairs' ratios, so load from other work on the
// machine falls on both alike. Inputs are generated before anything is timed, in a temporary
// folder removed afterwards.
//
// BENCH_TARGET_LINES (default 2,000,000) sets the flow-log size, BENCH_TARGET_ACCESS_LINES
// (default 500,000) the access-log size, BENCH_TARGET_RUNS (default 5) the pairs per row.
// `npm run bench -- targets` runs only this file.

import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { createGzip } from 'node:zlib';
import { writeFlowParquetFile } from '../../functions/lab/flow-parquet-writer.js';
import { flowFormatOf, parseFlowLogText } from '../../shared/flow-logs/index.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { generate as generateAccessLog } from './access-logs.bench.js';
import { benchEnvironment, line, rng } from './classify.bench.js';
import { CEILING_SCRIPT, twoThreadThroughput } from './core-ceiling.js';
import { V5_FIELDS } from './flow-data.js';

const LINES = Number(process.env.BENCH_TARGET_LINES ?? 2_000_000);
const ACCESS_LINES = Number(process.env.BENCH_TARGET_ACCESS_LINES ?? 500_000);
const RUNS = Number(process.env.BENCH_TARGET_RUNS ?? 5);
/** Files of the "every core" target. */
const FILES = 4;
/** Rows of the Parquet input of the memory row (a quarter of the text input), in AWS-sized groups. */
const PARQUET_ROWS = Math.floor(LINES / 4);
const PARQUET_GROUP = 100_000;
const MAX_RSS_MB = 200;
const NODE = process.execPath;
const CLI = [NODE, 'bin/pathguard.mjs'];

/**
 * Preloaded into the CLI's node: prints the process's peak RSS when it exits. VmHWM (Linux) is the
 * high-water mark of this process, its worker threads included; `resourceUsage().maxRSS` is not
 * usable, as Linux carries it over from the forking parent.
 */
const PEAK_RSS_HOOK = `import { readFileSync, writeSync } from 'node:fs';
process.on('exit', () => {
  let kb = Math.round(process.resourceUsage().maxRSS);
  try { kb = Number(/VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]); } catch {}
  writeSync(2, 'peak-rss-kb ' + kb + '\\n');
});
`;

/** Prints a bundle's import time as the Lambda runtime pays it: a fresh node, the module imported. */
const IMPORT_TIMER = `const t = performance.now();
await import(process.argv[2]);
process.stdout.write(String(performance.now() - t));
`;

interface Run {
  readonly seconds: number;
  readonly stdout: string;
  readonly rssMb: number | null;
}

interface Verdict {
  readonly target: string;
  readonly goal: string;
  readonly figure: string;
  readonly baseline: string;
  /** null: could not be measured (the reason is in `figure`). */
  readonly met: boolean | null;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const sec = (s: number) => `${s.toFixed(3)} s`;
let peakRssMb = 0;
let hookFile = '';

/**
 * One run of `argv`; standard output to /dev/null unless `capture`. Throws on a non-zero exit.
 * `ownRss: false` leaves the run out of the peak-memory row (a yardstick, not the CLI).
 */
function runOnce(argv: readonly string[], capture = false, ownRss = true): Run {
  const isNode = argv[0] === NODE && hookFile !== '' && ownRss;
  const args = isNode ? ['--import', pathToFileURL(hookFile).href, ...argv.slice(1)] : argv.slice(1);
  const out = capture ? 'pipe' : openSync('/dev/null', 'w');
  const t = performance.now();
  const r = spawnSync(argv[0]!, args, {
    encoding: 'utf8',
    stdio: ['ignore', out, 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr.split('\n')[0]}`);
  const kb = /peak-rss-kb (\d+)/.exec(r.stderr)?.[1];
  const rssMb = kb === undefined ? null : Number(kb) / 1024;
  if (rssMb !== null) peakRssMb = Math.max(peakRssMb, rssMb);
  return { seconds, stdout: r.stdout ?? '', rssMb };
}

/**
 * `a` and `b` in turn, `runs` times each after one warm-up of each; medians of both and the
 * median of the pairs' ratios a/b.
 */
function paired(
  a: readonly string[],
  b: readonly string[],
  runs = RUNS,
): { a: number; b: number; ratio: number } {
  runOnce(a);
  runOnce(b);
  const as: number[] = [];
  const bs: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < runs; i++) {
    const x = runOnce(a).seconds;
    const y = runOnce(b).seconds;
    as.push(x);
    bs.push(y);
    ratios.push(x / y);
  }
  return { a: median(as), b: median(bs), ratio: median(ratios) };
}

function alone(argv: readonly string[], runs = RUNS): number {
  runOnce(argv);
  return median(Array.from({ length: runs }, () => runOnce(argv).seconds));
}

/** A measurement that could not be taken is reported, not turned into a pass or a crash. */
function attempt(target: string, goal: string, f: () => Verdict): Verdict {
  try {
    return f();
  } catch (e) {
    const why = (e as Error).message.split('\n')[0]!.slice(0, 160);
    return { target, goal, figure: `not measured: ${why}`, baseline: '-', met: null };
  }
}

interface Inputs {
  readonly dir: string;
  readonly flow: string;
  readonly gz: string;
  readonly parts: readonly string[];
  readonly env: string;
  readonly access: string;
  readonly parquet: string;
}

/** The records of writeFlowLines, PARQUET_GROUP at a time, for the Parquet writer. */
function* parquetBatches() {
  const { hosts, endpointIps, natEnis } = benchEnvironment();
  const r = rng();
  for (let i = 0; i < PARQUET_ROWS; i += PARQUET_GROUP) {
    let text = `${V5_FIELDS}\n`;
    for (let j = i; j < Math.min(PARQUET_ROWS, i + PARQUET_GROUP); j++)
      text += `${line(r, 1_764_000_000 + ((j / 2000) | 0), hosts, endpointIps, natEnis)}\n`;
    yield parseFlowLogText(text, { rejects: new RejectCounter() });
  }
}

async function writeFlowLines(file: string, from: number, to: number): Promise<void> {
  const { hosts, endpointIps, natEnis } = benchEnvironment();
  const r = rng();
  // Same generator, same sequence: the parts together are the whole file's records.
  for (let i = 0; i < from; i++) line(r, 0, hosts, endpointIps, natEnis);
  const out = createWriteStream(file);
  let buf = `${V5_FIELDS}\n`;
  for (let i = from; i < to; i++) {
    buf += `${line(r, 1_764_000_000 + ((i / 2000) | 0), hosts, endpointIps, natEnis)}\n`;
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
}

async function makeInputs(): Promise<Inputs> {
  const dir = mkdtempSync(join(tmpdir(), 'pg-bench-targets-'));
  const flow = join(dir, 'v5.log');
  const gz = join(dir, 'v5.log.gz');
  await writeFlowLines(flow, 0, LINES);
  await pipeline(createReadStream(flow), createGzip({ level: 6 }), createWriteStream(gz));
  const parts: string[] = [];
  const per = Math.floor(LINES / FILES);
  for (let p = 0; p < FILES; p++) {
    parts.push(join(dir, `part-${p}.log`));
    await writeFlowLines(parts[p]!, p * per, (p + 1) * per);
  }
  const env = join(dir, 'env.json');
  writeFileSync(env, JSON.stringify(benchEnvironment().env));
  const access = join(dir, 'access.log');
  await generateAccessLog(access, ACCESS_LINES);
  const parquet = join(dir, 'v5.parquet');
  writeFlowParquetFile(parquet, flowFormatOf(V5_FIELDS.split(' ')), parquetBatches());
  hookFile = join(dir, 'peak-rss.mjs');
  writeFileSync(hookFile, PEAK_RSS_HOOK);
  writeFileSync(join(dir, 'import-timer.mjs'), IMPORT_TIMER);
  writeFileSync(join(dir, 'core-ceiling.mjs'), CEILING_SCRIPT);
  return { dir, flow, gz, parts, env, access, parquet };
}

function startUp(args: readonly string[]): Verdict {
  const goal = '<= 1.5x `node -e 0`';
  const target = `start-up: \`pathguard ${args.join(' ')}\``;
  return attempt(target, goal, () => {
    const r = paired([...CLI, ...args], [NODE, '-e', '0'], Math.max(RUNS, 7));
    return {
      target,
      goal,
      figure: `${sec(r.a)} (${r.ratio.toFixed(2)}x)`,
      baseline: `\`node -e 0\` ${sec(r.b)}`,
      met: r.ratio <= 1.5,
    };
  });
}

function flowTargets(i: Inputs): Verdict[] {
  const mawk = ['mawk', '{ n += NF } END { print n }'];
  const count = attempt('`parse flow --count`, 2M v5 records', "<= 0.8x mawk's field count", () => {
    const r = paired([...CLI, 'parse', 'flow', '--count', i.flow], [...mawk, i.flow]);
    return {
      target: `\`parse flow --count\`, ${fmt(LINES)} v5 records`,
      goal: "<= 0.8x mawk's field count",
      figure: `${sec(r.a)} (${r.ratio.toFixed(2)}x)`,
      baseline: `mawk ${sec(r.b)}`,
      met: r.ratio <= 0.8,
    };
  });
  const gz = attempt('`parse flow --count`, same file gzip', 'reported (the issue table)', () => {
    const r = paired([...CLI, 'parse', 'flow', '--count', i.gz], ['sh', '-c', `zcat '${i.gz}' >/dev/null`]);
    return {
      target: '`parse flow --count`, same file gzip',
      goal: 'reported (the issue table)',
      figure: `${sec(r.a)} (${r.ratio.toFixed(2)}x)`,
      baseline: `\`zcat > /dev/null\` ${sec(r.b)}`,
      met: null,
    };
  });
  const ndjson = attempt('`parse flow` NDJSON to /dev/null', '>= 1.5M records/s', () => {
    // The default is one thread; paired with byte ranges on two threads, which must beat it before
    // they could become the default again.
    const r = paired(
      [...CLI, 'parse', 'flow', i.flow],
      [...CLI, 'parse', 'flow', '--jobs', '2', i.flow],
      Math.min(RUNS, 3),
    );
    return {
      target: `\`parse flow\` NDJSON of full records to /dev/null, ${fmt(LINES)} records`,
      goal: '>= 1.5M records/s',
      figure: `${fmt(LINES / r.a)} records/s (${sec(r.a)}, ${r.ratio.toFixed(2)}x)`,
      baseline: `\`--jobs 2\` ${fmt(LINES / r.b)} records/s (${sec(r.b)})`,
      met: LINES / r.a >= 1.5e6,
    };
  });
  return [count, gz, ndjson];
}

function accessTarget(i: Inputs): Verdict {
  const target = `\`parse s3-access --count\`, ${fmt(ACCESS_LINES)} records`;
  const goal = ">= 1M records/s and <= 2x mawk's field count";
  return attempt(target, goal, () => {
    const r = paired(
      [...CLI, 'parse', 's3-access', '--count', i.access],
      ['mawk', '{ n += NF } END { print n }', i.access],
    );
    const rate = ACCESS_LINES / r.a;
    return {
      target,
      goal,
      figure: `${fmt(rate)} records/s (${sec(r.a)}, ${r.ratio.toFixed(2)}x)`,
      baseline: `mawk ${sec(r.b)}`,
      met: rate >= 1e6 && r.ratio <= 2,
    };
  });
}

function classifyTarget(i: Inputs): Verdict {
  const target = `\`classify --summary\`, ${fmt(LINES)} v5 records, hundreds of routes`;
  const goal = '>= 1.8M records/s';
  return attempt(target, goal, () => {
    const s = alone([...CLI, 'classify', '--summary', '--env', i.env, '--flow', i.flow]);
    return {
      target,
      goal,
      figure: `${fmt(LINES / s)} records/s (${sec(s)})`,
      baseline: '-',
      met: LINES / s >= 1.8e6,
    };
  });
}

/**
 * What two threads of this machine give on loops that share nothing (see core-ceiling.ts):
 * reported, not a target, so a reader can tell the code's scaling from the machine's.
 */
function coreCeiling(i: Inputs): Verdict[] {
  const script = join(i.dir, 'core-ceiling.mjs');
  const timed = (argv: readonly string[]) => Number(runOnce(argv, true, false).stdout);
  return (
    [
      ['cpu', 'integer arithmetic'],
      ['mem', 'copying 64 MiB buffers'],
    ] as const
  ).map(([kind, what]) => {
    const target = `ceiling of this machine: 2 threads against 1, ${what}`;
    const goal = 'reported (2.00x is two full cores)';
    return attempt(target, goal, () => {
      const r = twoThreadThroughput(timed, script, kind, Math.max(RUNS, 5));
      return {
        target,
        goal,
        figure: `${r.ratio.toFixed(2)}x the work per second (2 threads ${sec(r.two)} for twice the work)`,
        baseline: `1 thread ${sec(r.one)}`,
        met: null,
      };
    });
  });
}

/**
 * The every-core rows, each with this work's own ceiling beside it: the same files split over two
 * separate `--jobs 1` processes run at once (nothing shared, each paying its own start), against
 * one `--jobs 1` process reading them all.
 */
function everyCore(i: Inputs): Verdict[] {
  const goal = '>= 1.7x one core, same output';
  const rows: Verdict[] = [];
  const half = Math.floor(FILES / 2);
  for (const [what, head, files] of [
    ['parse flow --count', ['parse', 'flow', '--count'], i.parts],
    ['classify --summary', ['classify', '--summary', '--env', i.env, '--flow'], i.parts],
  ] as const) {
    const target = `\`${what}\`, ${FILES} files of ${fmt(LINES / FILES)} records`;
    const args = [...head, ...files];
    rows.push(
      attempt(target, goal, () => {
        const one = [...CLI, ...args, '--jobs', '1'];
        const all = [...CLI, ...args];
        const same = runOnce(one, true).stdout === runOnce(all, true).stdout;
        const r = paired(all, one, Math.min(RUNS, 3));
        const q = (xs: readonly string[]) => xs.map((x) => `'${x}'`).join(' ');
        const cmd = (xs: readonly string[]) => `${q(CLI)} ${q(head)} ${q(xs)} --jobs 1 >/dev/null`;
        const two = `${cmd(files.slice(0, half))} & ${cmd(files.slice(half))}; wait`;
        const ceiling = paired(['sh', '-c', two], one, Math.min(RUNS, 3));
        return {
          target,
          goal,
          figure:
            `${sec(r.a)} (${(1 / r.ratio).toFixed(2)}x faster${same ? '' : ', OUTPUT DIFFERS'}; ` +
            `ceiling, two \`--jobs 1\` processes at once: ${(1 / ceiling.ratio).toFixed(2)}x)`,
          baseline: `\`--jobs 1\` ${sec(r.b)}`,
          met: same && 1 / r.ratio >= 1.7,
        };
      }),
    );
  }
  return rows;
}

/** Peak RSS reading Parquet, which cannot be streamed like text (its footer is at the end). */
function parquetMemory(i: Inputs): Verdict {
  const target = `peak memory, Parquet (${fmt(PARQUET_ROWS)} rows, ${fmt(PARQUET_GROUP)}-row groups): count, classify`;
  const goal = `< ${MAX_RSS_MB} MB RSS`;
  return attempt(target, goal, () => {
    const rss = [
      runOnce([...CLI, 'parse', 'flow', '--count', i.parquet]).rssMb,
      runOnce([...CLI, 'classify', '--summary', '--env', i.env, '--flow', i.parquet]).rssMb,
    ];
    if (rss.some((r) => r === null)) throw new Error('no peak RSS reported');
    const mb = rss as number[];
    return {
      target,
      goal,
      figure: mb.map((m) => `${m.toFixed(0)} MB`).join(', '),
      baseline: '-',
      met: Math.max(...mb) < MAX_RSS_MB,
    };
  });
}

function lambdaImports(i: Inputs): Verdict[] {
  return (
    [
      ['probe', 100],
      ['analyze', 200],
    ] as const
  ).map(([name, ms]) => {
    const target = `Lambda cold start: import of the ${name} bundle`;
    const goal = `<= ${ms} ms`;
    return attempt(target, goal, () => {
      const bundle = pathToFileURL(`dist/functions/${name}/index.mjs`).href;
      const timer = [NODE, join(i.dir, 'import-timer.mjs'), bundle];
      runOnce(timer, true);
      const t = median(Array.from({ length: Math.max(RUNS, 7) }, () => Number(runOnce(timer, true).stdout)));
      return { target, goal, figure: `${t.toFixed(0)} ms`, baseline: '-', met: t <= ms };
    });
  });
}

export default async function bench(): Promise<void> {
  // The Lambda bundles as deployed (the CLI is built by `npm run bench`).
  const { buildAll } = (await import(pathToFileURL('scripts/build-targets.mjs').href)) as {
    buildAll: (o: object) => Promise<unknown>;
  };
  await buildAll({ define: {}, only: ['probe', 'analyze'] });
  const inputs = await makeInputs();
  try {
    console.log(
      `input: ${fmt(LINES)} v5 records (${FILES} files of ${fmt(LINES / FILES)} for the every-core rows), ` +
        `${fmt(ACCESS_LINES)} access-log records, ${fmt(PARQUET_ROWS)} Parquet rows; median of ${RUNS} runs (pairs, in turn, for the ratios)`,
    );
    const verdicts: Verdict[] = [
      startUp(['--version']),
      startUp(['parse', 'flow', '--help']),
      startUp(['classify', '--help']),
      ...flowTargets(inputs),
      accessTarget(inputs),
      classifyTarget(inputs),
      ...coreCeiling(inputs),
      ...everyCore(inputs),
      ...lambdaImports(inputs),
      parquetMemory(inputs),
    ];
    verdicts.push({
      target: 'peak memory of every CLI run above',
      goal: `< ${MAX_RSS_MB} MB RSS`,
      figure: `${peakRssMb.toFixed(0)} MB`,
      baseline: '-',
      met: peakRssMb > 0 ? peakRssMb < MAX_RSS_MB : null,
    });
    console.log('\n| target | goal | PathGuard | baseline (same run) | verdict |\n|---|---|---:|---:|---|');
    for (const v of verdicts) {
      const verdict =
        v.met === null ? (v.baseline === '-' ? 'not measured' : 'reported') : v.met ? 'met' : 'not met';
      console.log(`| ${v.target} | ${v.goal} | ${v.figure} | ${v.baseline} | ${verdict} |`);
    }
  } finally {
    rmSync(inputs.dir, { recursive: true, force: true });
  }
}
