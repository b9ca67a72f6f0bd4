// One plain-text file split by byte ranges over threads (issue 16): the ranges start at line
// boundaries and cover the file, and `parse flow --count` and `classify --summary` print exactly
// what one thread prints: counts, reject samples with their line numbers (bad lines placed on both
// sides of every boundary), a header line in the middle of a file that switches the format; and
// `parse s3-access --count` the same way.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cutPoints,
  type FilePiece,
  MIN_PIECE_BYTES,
  planFilePieces,
} from '../../functions/cli/file-pieces.js';
import { generate as generateAccessLog } from '../bench/access-logs.bench.js';
import { flowLine, rng, V5_FIELDS } from '../bench/flow-data.js';
import { buildCli, runBin } from './run-cli.js';
import { accessCountJobs, flowClassifyJobs, flowCountJobs, inTurn, onWorkersOnly } from './worker-jobs.js';

const ENV = 'test/fixtures/env/example-env.json';
const V2_FIELDS = V5_FIELDS.split(' ').slice(0, 14).join(' ');
const LINES = 12_000;
/** Records of the switching file before its v2 header. */
const SWITCH_AT = 3_000;
let dir = '';
/** A v5 file with a header and bad lines on both sides of each range boundary. */
let plain = '';
/** The same records, a v2 header line in the middle and v2 records after it. */
let switching = '';
let gz = '';
let cuts: number[] = [];
/** S3 server access log lines, bad ones on both sides of each range boundary. */
let access = '';
let accessCuts: number[] = [];
/** About 2.8 MiB at 737 bytes a line: three ranges for three threads, four bad lines (five are sampled). */
const ACCESS_LINES = 4_000;

/** Makes the line at `at` (a line start) bad without changing its length: its version becomes `x`. */
function spoil(text: Buffer, at: number): void {
  expect(text[at]).toBe('5'.charCodeAt(0));
  text[at] = 'x'.charCodeAt(0);
}

/** Start of the line ending just before `at`. */
function previousLineStart(text: Buffer, at: number): number {
  return text.lastIndexOf(0x0a, at - 2) + 1;
}

const startsOfLines = (text: Buffer, pieces: readonly FilePiece[]) =>
  pieces.map((p) => p.range!.start).filter((s) => s > 0 && text[s - 1] !== 0x0a);

beforeAll(async () => {
  buildCli();
  dir = mkdtempSync(join(tmpdir(), 'pg-pieces-'));
  const r = rng();
  const records = Array.from({ length: LINES }, (_, i) => flowLine(r, 1_764_000_000 + i));
  plain = join(dir, 'v5.log');
  const text = Buffer.from(`${V5_FIELDS}\n${records.join('\n')}\n`);
  writeFileSync(plain, text);
  // Ranges depend only on the file's size and where its newlines are; spoiling keeps both.
  cuts = (await planFilePieces([plain], 3))[0]!.slice(1).map((p) => p.range!.start);
  for (const c of cuts) {
    spoil(text, c);
    spoil(text, previousLineStart(text, c));
  }
  writeFileSync(plain, text);

  // The v2 header comes early in the first range: the ranges after it assume v5, wrongly.
  const v2 = [...records, ...records].slice(SWITCH_AT).map((l) => l.split(' ').slice(0, 14).join(' '));
  switching = join(dir, 'switching.log');
  writeFileSync(
    switching,
    `${V5_FIELDS}\n${records.slice(0, SWITCH_AT).join('\n')}\n${V2_FIELDS}\n${v2.join('\n')}\n`,
  );
  gz = join(dir, 'v5.log.gz');
  writeFileSync(gz, gzipSync(readFileSync(plain)));

  access = join(dir, 'access.log');
  await generateAccessLog(access, ACCESS_LINES);
  const log = readFileSync(access);
  accessCuts = (await planFilePieces([access], 3))[0]!.slice(1).map((p) => p.range!.start);
  // The time's opening bracket becomes `x`: BAD_TIME, same length.
  for (const c of accessCuts) {
    for (const at of [c, previousLineStart(log, c)]) log[log.indexOf('[', at)] = 'x'.charCodeAt(0);
  }
  writeFileSync(access, log);
}, 120_000);

/** 1-based line number of the line starting at byte `at`. */
const lineOf = (text: Buffer, at: number) => text.subarray(0, at).filter((b) => b === 0x0a).length + 1;

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('planFilePieces', () => {
  it('cuts a plain file into ranges that start at lines and cover it, and keeps gzip whole', async () => {
    const text = readFileSync(plain);
    const [pieces, whole] = await planFilePieces([plain, gz], 3);
    expect(pieces!.length).toBeGreaterThanOrEqual(3);
    expect(pieces![0]!.range!.start).toBe(0);
    expect(pieces!.at(-1)!.range!.end).toBe(text.length);
    for (let k = 1; k < pieces!.length; k++)
      expect(pieces![k]!.range!.start).toBe(pieces![k - 1]!.range!.end);
    expect(startsOfLines(text, pieces!)).toEqual([]);
    // Ranges after the first assume the format of the file's header line.
    expect(pieces![1]!.startSpec).toContain('${traffic-path}');
    expect(whole).toEqual([{ file: 1, path: gz, weight: expect.any(Number) }]);
  });

  it('cuts even ranges, the last one again at its half and three quarters, so the last out are short', () => {
    const mib = 1024 * 1024;
    const points = cutPoints(100 * mib, 10 * mib);
    const ends = [...points, 100 * mib];
    const sizes = ends.map((e, k) => (e - (k === 0 ? 0 : ends[k - 1]!)) / mib);
    expect(sizes).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 5, 2.5, 2.5]);
    expect(cutPoints(3 * MIN_PIECE_BYTES, MIN_PIECE_BYTES)).toHaveLength(4);
    // Not when a quarter of the last range would be under 256 KiB.
    expect(cutPoints(2.5 * MIN_PIECE_BYTES, MIN_PIECE_BYTES)).toHaveLength(2);
  });

  it('reads a missing file or a small one whole', async () => {
    const [missing, small] = await planFilePieces(
      [join(dir, 'missing.log'), 'test/fixtures/flow-logs/bad-lines.log'],
      4,
    );
    expect(missing).toEqual([{ file: 0, path: join(dir, 'missing.log'), weight: 0 }]);
    expect(small).toHaveLength(1);
    expect(small![0]!.range).toBeUndefined();
  });
});

describe('one file over several threads', () => {
  it.each([
    [
      'parse flow --count',
      (f: string) => ['parse', 'flow', '--count', f],
      async (f: string) => flowCountJobs([f]),
    ],
    [
      'classify --summary',
      (f: string) => ['classify', '--summary', '--env', ENV, '--flow', f],
      (f: string) => flowClassifyJobs(ENV, [f]),
    ],
  ])('%s prints the same as one thread, bad lines at the boundaries included', async (_, args, jobsOf) => {
    const one = runBin([...args(plain), '--jobs', '1']);
    expect(one.status).toBe(0);
    // Each spoiled line is sampled with its line number in the whole file (the header is line 1).
    const text = readFileSync(plain);
    expect(one.stderr).toContain(`rejected ${cuts.length * 2} `);
    for (const c of cuts) {
      expect(one.stderr).toContain(`${plain}:${lineOf(text, c)}: BAD_NUMBER`);
      expect(one.stderr).toContain(`${plain}:${lineOf(text, c) - 1}: BAD_NUMBER`);
    }
    expect(runBin([...args(plain), '--jobs', '2'])).toEqual(one);
    // Every range in a worker, so each result crosses a thread boundary.
    const jobs = await jobsOf(plain);
    expect(await onWorkersOnly(jobs, 3)).toEqual(await inTurn(jobs));
  });

  it('follows a header line in the middle of a file into the ranges after it', async () => {
    const [pieces] = await planFilePieces([switching], 3);
    const header = readFileSync(switching).indexOf(`\n${V2_FIELDS}\n`);
    expect(pieces!.length).toBeGreaterThanOrEqual(3);
    expect(header).toBeLessThan(pieces![0]!.range!.end);
    const args = ['parse', 'flow', '--count', switching, plain, gz];
    const one = runBin([...args, '--jobs', '1']);
    expect(one.status).toBe(0);
    expect(one.stdout).toContain(`records ${2 * LINES + 2 * (LINES - 2 * cuts.length)}`);
    expect(runBin([...args, '--jobs', '4'])).toEqual(one);
    const jobs = flowCountJobs(args.slice(3));
    expect(await onWorkersOnly(jobs, 3)).toEqual(await inTurn(jobs));
  });

  it('reads every range with a given --format, whatever header lines say', async () => {
    const args = ['parse', 'flow', '--count', '--format', V2_FIELDS, switching];
    const one = runBin([...args, '--jobs', '1']);
    expect(one.stderr).toMatch(/rejected [1-9]/);
    expect(runBin([...args, '--jobs', '3'])).toEqual(one);
    const jobs = flowCountJobs([switching], V2_FIELDS);
    expect(await onWorkersOnly(jobs, 3)).toEqual(await inTurn(jobs));
  });

  it('parse s3-access --count prints the same as one thread, bad lines at the boundaries with their line numbers', async () => {
    expect(accessCuts.length).toBe(2);
    const args = ['parse', 's3-access', '--count', access];
    const one = runBin([...args, '--jobs', '1']);
    expect(one.status).toBe(0);
    expect(one.stdout).toBe(
      `records ${ACCESS_LINES - 2 * accessCuts.length} rejected ${2 * accessCuts.length}\n`,
    );
    const log = readFileSync(access);
    const samples = accessCuts.flatMap((c) => [lineOf(log, c) - 1, lineOf(log, c)]);
    expect(samples[0]).toBeGreaterThan(1000);
    for (const n of samples) expect(one.stderr).toContain(`${access}:${n}: BAD_TIME`);
    expect(runBin([...args, '--jobs', '2'])).toEqual(one);
    const jobs = accessCountJobs([access]);
    expect(await onWorkersOnly(jobs, 3)).toEqual(await inTurn(jobs));
    // A gzip copy is read whole in a thread of its own; with the plain file before it, the same.
    const gzAccess = `${access}.gz`;
    writeFileSync(gzAccess, gzipSync(log));
    const both = [...args.slice(0, 3), gzAccess, access];
    expect(runBin([...both, '--jobs', '3'])).toEqual(runBin([...both, '--jobs', '1']));
    const bothJobs = accessCountJobs([gzAccess, access]);
    expect(await onWorkersOnly(bothJobs, 3)).toEqual(await inTurn(bothJobs));
  });
});
