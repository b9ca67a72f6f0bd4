// Several files on worker threads (issue 16): `parse flow --count` and `classify --summary` print
// exactly what reading the files in turn prints (counts, reject samples and their order, the
// failure on an unreadable file), asserted on the built CLI, where the worker script exists, and
// on runFileJobs with every piece sent to the built worker script.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PieceQueue } from '../../functions/cli/file-jobs.js';
import { planFilePieces } from '../../functions/cli/file-pieces.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { buildCli, runBin } from './run-cli.js';
import { flowClassifyJobs, flowCountJobs, inTurn, onWorkersOnly } from './worker-jobs.js';

const fx = (p: string) => join('test/fixtures/flow-logs', p);
// Rejects in three files (more than the five samples kept), gzip and plain, v2 and v5 formats.
const FILES = [
  fx('bad-lines.log'),
  fx('aws-doc-default.log'),
  fx('s3-delivered-v5.log.gz'),
  fx('bad-lines.log'),
  fx('aws-doc-igw-s3-v5.log'),
  fx('bad-lines.log'),
];
const ENV = 'test/fixtures/env/example-env.json';

// A run that never ends (a worker holding the process open) ends here with status null.
const cli = (args: string[]) => runBin(args, { timeout: 30_000 });

beforeAll(() => {
  buildCli();
}, 60_000);

describe('commands given several files', () => {
  it.each([
    ['parse flow --count', ['parse', 'flow', '--count', ...FILES]],
    ['classify --summary', ['classify', '--summary', '--env', ENV, '--flow', ...FILES]],
  ])('%s prints the same with --jobs 3 as with --jobs 1', (_, args) => {
    const one = cli([...args, '--jobs', '1']);
    expect(one.status).toBe(0);
    expect(one.stdout).not.toBe('');
    // The samples are the first five rejects of the first file, then the next file's.
    expect(one.stderr).toMatch(/rejected [1-9]/);
    expect(cli([...args, '--jobs', '3'])).toEqual(one);
  });

  it.each([
    ['parse flow --count', async () => flowCountJobs(FILES)],
    ['classify --summary', async () => flowClassifyJobs(ENV, FILES)],
  ])('%s counts the same on worker threads as in turn in one thread', async (_, jobsOf) => {
    const jobs = await jobsOf();
    const one = await inTurn(jobs);
    expect(one.failedAt).toBeNull();
    expect(one.results).toHaveLength(FILES.length);
    expect(one.results[0]!.rejects.count).toBeGreaterThan(0);
    // The files are small: this thread would read them all before a worker started.
    expect(await onWorkersOnly(jobs, 3)).toEqual(one);
  });

  it('fails on an unreadable file as reading in turn does, after counting the files before it', async () => {
    const args = ['parse', 'flow', '--count', FILES[0]!, fx('missing.log'), FILES[1]!, FILES[2]!];
    const one = cli([...args, '--jobs', '1']);
    expect(one.status).toBe(1);
    expect(one.stderr).toContain('missing.log');
    expect(cli([...args, '--jobs', '4'])).toEqual(one);
    const jobs = flowCountJobs(args.slice(3));
    const inOne = await inTurn(jobs);
    expect(inOne.failedAt).toBe(1);
    expect(inOne.results).toHaveLength(1);
    expect(await onWorkersOnly(jobs, 4)).toEqual(inOne);
  });

  // Workers start before the environment is read and before the pieces are planned: a command
  // that fails first, or has fewer pieces than workers, ends as it does without them.
  it.each([
    ['an environment that is not JSON', ['classify', '--summary', '--env', FILES[0]!, '--flow', ...FILES], 2],
    ['a missing environment', ['classify', '--summary', '--env', fx('missing.json'), '--flow', ...FILES], 2],
    ['one small file', ['parse', 'flow', '--count', FILES[1]!], 0],
    [
      'one small access log',
      ['parse', 's3-access', '--count', 'test/fixtures/access-logs/aws-doc-current.log'],
      0,
    ],
  ])('with %s, ends as with --jobs 1 though its workers were started', (_, args, status) => {
    const one = cli([...args, '--jobs', '1']);
    expect(one.status).toBe(status);
    expect(cli([...args, '--jobs', '3'])).toEqual(one);
  });

  it('refuses a --jobs that is not a whole number from 1', () => {
    for (const jobs of ['0', '-1', 'two', '1.5']) {
      const r = cli(['parse', 'flow', '--count', '--jobs', jobs, ...FILES]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('--jobs');
    }
  });
});

describe('Parquet files over several threads', () => {
  const PARQUET = [
    fx('aws-doc-default.log.parquet'),
    FILES[0]!,
    fx('aws-doc-igw-s3-v5.log.parquet'),
    fx('aws-doc-default.log.parquet'),
    FILES[1]!,
  ];

  it('plans a Parquet file as one piece marked Parquet, and no other file so', async () => {
    const plan = await planFilePieces(PARQUET, 3);
    expect(plan.map((pieces) => pieces.map((p) => p.parquet === true))).toEqual([
      [true],
      [false],
      [true],
      [true],
      [false],
    ]);
  });

  it('hands every Parquet piece to the thread that took the first, other pieces to any thread', async () => {
    const q = new PieceQueue((await planFilePieces(PARQUET, 3)).flat());
    const taken: Record<string, number[]> = { a: [], b: [] };
    // b asks twice for each time a asks: without the rule it would take Parquet files too.
    for (let round = 0; round < 10; round++)
      for (const t of ['a', 'b', 'b']) {
        const i = q.take(t);
        if (i >= 0) taken[t]!.push(q.pieces[i]!.file);
      }
    expect([...taken.a!, ...taken.b!].sort()).toEqual([0, 1, 2, 3, 4]);
    const parquetOf = (t: string) => taken[t]!.filter((f) => PARQUET[f]!.endsWith('.parquet'));
    expect(parquetOf('a').length === 3 || parquetOf('b').length === 3).toBe(true);
    expect(parquetOf('a').length * parquetOf('b').length).toBe(0);
  });

  it.each([
    ['parse flow --count', async () => flowCountJobs(PARQUET)],
    ['classify --summary', async () => flowClassifyJobs(ENV, PARQUET)],
  ])('%s counts the same on workers as in turn', async (_, jobsOf) => {
    const jobs = await jobsOf();
    const one = await inTurn(jobs);
    expect(one.failedAt).toBeNull();
    expect(one.results[0]!.records).toBeGreaterThan(0);
    expect(await onWorkersOnly(jobs, 3)).toEqual(one);
  });
});

describe('RejectCounter.merge', () => {
  it('gives what one counter reading the files in turn gives', () => {
    const whole = new RejectCounter();
    const parts = [new RejectCounter(), new RejectCounter(), new RejectCounter()];
    const errors = [
      { code: 'BAD_NUMBER', message: 'srcport' },
      { code: 'BAD_ADDRESS', message: 'srcaddr' },
      { code: 'BAD_VALUE', message: 'action' },
    ] as const;
    for (let f = 0; f < parts.length; f++) {
      for (let i = 0; i < 3 + f; i++) {
        const e = errors[(f + i) % errors.length]!;
        whole.add(`file-${f}`, i + 1, e);
        parts[f]!.add(`file-${f}`, i + 1, e);
      }
      whole.skip('CONTROL_MESSAGE', f);
      parts[f]!.skip('CONTROL_MESSAGE', f);
    }
    const merged = new RejectCounter();
    for (const p of parts) merged.merge(structuredClone({ ...p }));
    expect(merged.format()).toEqual(whole.format());
    expect(merged.samples).toHaveLength(5);
  });
});
