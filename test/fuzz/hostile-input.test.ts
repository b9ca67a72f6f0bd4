// Issue 12 §2: every command that reads input, on random binary, random JSON-ish text, deep
// nesting, a huge line and whitespace bombs, ends with a clear error or counted rejects, exits
// 0, 1 or 2, and peaks under 300 MB RSS. Each run is a real process (the installed bin) so a V8
// fatal error or a memory blow-up shows as what it is; bombs are generated as gzip streams on the
// fly and piped in, never stored. The commands are the issue's: parse flow, s3-access and
// cloudtrail, classify and analyze (each given the input as its flow-log, access-log and
// CloudTrail source) and inspect-url. Sizes grow with HOSTILE_SCALE (default 1: 60 runs, about
// 100 CPU seconds on a 2-core machine; 10 reproduces the 10^8 brackets).
import { execFileSync, spawn } from 'node:child_process';
import { createGzip } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';

const SCALE = Number(process.env.HOSTILE_SCALE ?? 1);
const MiB = 1024 * 1024;
const repo = new URL('../../', import.meta.url).pathname;
const fixture = (p: string) => new URL(`../fixtures/${p}`, import.meta.url).pathname;

beforeAll(() => {
  execFileSync(process.execPath, ['scripts/build.mjs', '--cli'], { cwd: repo });
}, 60_000);

/** Deterministic bytes (mulberry32), so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Source = () => Generator<Buffer>;

function* repeat(head: string, byte: string, bytes: number): Generator<Buffer> {
  yield Buffer.from(head);
  const block = Buffer.alloc(MiB, byte);
  for (let left = bytes; left > 0; left -= MiB) yield left >= MiB ? block : block.subarray(0, left);
}

const INPUTS: Record<string, Source> = {
  'random binary': function* () {
    const r = prng(12);
    for (let k = 0; k < 2 * SCALE; k++) {
      const b = Buffer.alloc(MiB);
      for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
      yield b;
    }
  },
  'random JSON-ish': function* () {
    const r = prng(34);
    const tokens = [
      '{',
      '}',
      '[',
      ']',
      '"',
      ':',
      ',',
      '\\',
      '"events"',
      '"Records"',
      '"message"',
      ' ',
      '\n',
      'x',
      '1',
      '\u001b[2J',
    ];
    let s = '{"events":[';
    for (let i = 0; i < 400_000 * SCALE; i++) s += tokens[Math.floor(r() * tokens.length)];
    yield Buffer.from(s);
  },
  'deep nesting': () => repeat('{"events":[', '[', 10_000_000 * SCALE),
  'huge line': () => repeat('', 'a', 64 * MiB * SCALE),
  'spaces bomb': () => repeat('', ' ', 256 * MiB * SCALE),
  'newlines bomb': () => repeat('', '\n', 8 * MiB * SCALE),
};

// analyze reads a flow-log source only to find the runners' addresses, so it is given the
// observations (test/fixtures/analyze/README.md) that make it read each source.
const ANALYZE = [
  'analyze',
  '--config',
  fixture('analyze/config.json'),
  '--env',
  fixture('analyze/env.json'),
  '--probes',
  fixture('analyze/probes.ndjson'),
  '--observations',
  fixture('analyze/observations.ndjson'),
  '--now',
  '2026-11-25T10:30:00Z',
];
const CLASSIFY = ['classify', '--env', fixture('env/example-env.json')];

const COMMANDS: Record<string, string[]> = {
  'parse flow': ['parse', 'flow', '-'],
  'parse s3-access': ['parse', 's3-access', '-'],
  'parse cloudtrail': ['parse', 'cloudtrail', '-'],
  'classify --flow': [...CLASSIFY, '--flow', '-'],
  'classify --access': [...CLASSIFY, '--access', '-'],
  'classify --cloudtrail': [...CLASSIFY, '--cloudtrail', '-'],
  'analyze --flow': [...ANALYZE, '--flow', '-'],
  'analyze --access': [...ANALYZE, '--access', '-'],
  'analyze --cloudtrail': [...ANALYZE, '--cloudtrail', '-'],
  'inspect-url': ['inspect-url', '--json', '-'],
};

interface Outcome {
  code: number | null;
  signal: string | null;
  stderr: string;
  rssMb: number;
  stdoutBytes: number;
}

/** Runs the CLI with the source gzipped into its standard input. */
function run(args: string[], source: Source): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--max-old-space-size=512', 'bin/pathguard.mjs', ...args], {
      cwd: repo,
      env: { ...process.env, PATHGUARD_REPORT_RSS: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdoutBytes = 0;
    child.stdout.on('data', (d: Buffer) => {
      stdoutBytes += d.length;
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += d;
    });
    const gz = createGzip({ level: 1 });
    gz.pipe(child.stdin);
    child.stdin.on('error', () => undefined); // the CLI may stop reading early
    (async () => {
      for (const chunk of source()) {
        if (!gz.write(chunk)) await new Promise((r) => gz.once('drain', r));
        if (child.exitCode !== null) break;
      }
      gz.end();
    })().catch(reject);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const m = stderr.match(/peak-rss-mb (\d+)/);
      resolve({ code, signal, stderr, rssMb: m ? Number(m[1]) : Number.NaN, stdoutBytes });
    });
  });
}

describe('hostile input: every command ends cleanly, with bounded memory', () => {
  for (const [inputName, source] of Object.entries(INPUTS)) {
    describe(inputName, () => {
      for (const [commandName, args] of Object.entries(COMMANDS)) {
        it(commandName, async () => {
          const o = await run(args, source);
          const what = `${commandName} on ${inputName}: exit ${o.code} ${o.signal ?? ''} ${o.stderr.slice(0, 300)}`;
          expect([0, 1, 2], what).toContain(o.code);
          expect(o.rssMb, what).toBeLessThan(300);
          // A clear error or counted rejects: never silent, never a stack trace, never raw bytes.
          const report = o.stderr.replace(/peak-rss-mb \d+\n?/, '');
          // Whitespace is empty input: nothing to reject, and classify prints no report for it.
          const blank = inputName.endsWith('bomb');
          if (!blank || report !== '')
            expect(report, what).toMatch(/rejected \d+|^pathguard [a-z -]+: .+$|records \d+/m);
          expect(report, what).not.toMatch(/\n\s+at /);
          expect(report, what).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
        }, 120_000);
      }
    });
  }
});
