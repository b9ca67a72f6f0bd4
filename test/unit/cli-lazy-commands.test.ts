// Start-up of the installed CLI (issue 16): the command table loads a command's code only when it
// runs, so the commands that never call AWS never load the AWS SDK. Asserted on the modules the
// built CLI really resolves, recorded by an ESM resolve hook in a child process.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBundle } from './report-fixtures.js';
import { buildCli, runBin } from './run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'pathguard-lazy-test-'));
const hook = join(tmp, 'record-resolve.mjs');
const fx = (p: string) => join('test/fixtures', p);
let n = 0;

/**
 * Registers a resolve hook that appends every resolved URL to the file named by
 * PATHGUARD_TEST_RESOLVED. Node 20 runs hooks off the main thread, so the file is the channel back.
 */
const HOOK_SOURCE = `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.PATHGUARD_TEST_RESOLVED, r.url + '\\\\n');
  return r;
}\`));
`;

/** Runs `pathguard ARGS` as installed (bin/pathguard.mjs) and returns what it resolved. */
function resolvedBy(args: string[]): { status: number | null; stdout: string; modules: string[] } {
  const file = join(tmp, `resolved-${++n}.txt`);
  writeFileSync(file, '');
  const r = runBin(args, {
    nodeArgs: ['--import', pathToFileURL(hook).href],
    env: { ...process.env, PATHGUARD_TEST_RESOLVED: file },
  });
  const modules = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  return { status: r.status, stdout: r.stdout, modules };
}

const awsSdk = (modules: string[]) => modules.filter((m) => /\/node_modules\/@aws-sdk\//.test(m));
const chunkOf = (modules: string[], name: string) =>
  modules.some((m) => new RegExp(`/dist/cli-chunks/${name}-[A-Z0-9]+\\.mjs$`).test(m));

/** An analysis folder with one evidence bundle, as `pathguard report` reads it. */
function analysisFolder(): string {
  const dir = join(tmp, 'analysis');
  mkdirSync(join(dir, 'evidence/2026/12/03'), { recursive: true });
  writeFileSync(join(dir, 'evidence/2026/12/03/A1.json'), JSON.stringify(makeBundle({ probeId: 'A1' })));
  return dir;
}

beforeAll(() => {
  buildCli();
  writeFileSync(hook, HOOK_SOURCE);
}, 60_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('pathguard loads only the command it runs', () => {
  it('sees the AWS SDK when a command that calls AWS loads (the hook records what it must)', () => {
    // `discover` without --config fails on usage, after its module (and the EC2 client) loaded.
    const r = resolvedBy(['discover']);
    expect(r.status).toBe(2);
    expect(chunkOf(r.modules, 'discover')).toBe(true);
    expect(awsSdk(r.modules).some((m) => m.includes('/@aws-sdk/client-ec2/'))).toBe(true);
  });

  it.each(
    [
      ['--version'],
      ['--help'],
      ['parse', 'flow', '--help'],
      ['discover', '--help'],
      ['analyze', '--help'],
      ['lab', '--help'],
    ].map((args) => [args.join(' '), args] as const),
  )('%s loads no command and no package', (_, args) => {
    const r = resolvedBy([...args]);
    expect(r.status).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(r.modules.some((m) => m.endsWith('/dist/cli.mjs'))).toBe(true);
    expect(r.modules.filter((m) => m.includes('/node_modules/'))).toEqual([]);
    for (const name of ['discover', 'analyze', 'lab', 'parse-flow', 'classify', 'report'])
      expect(chunkOf(r.modules, name)).toBe(false);
  });

  const cases: [string, string[], string][] = [
    [
      'parse-flow',
      ['parse', 'flow', '--count', fx('flow-logs/aws-doc-default.log')],
      'records 5 rejected 0\n',
    ],
    ['parse-flow', ['parse', 'flow', fx('flow-logs/s3-delivered-v5.log.gz')], '"version":5'],
    ['parse-s3-access', ['parse', 's3-access', fx('access-logs/aws-doc-current.log')], '"bucket"'],
    ['parse-cloudtrail', ['parse', 'cloudtrail', fx('cloudtrail/events.ndjson')], '"eventSource"'],
    [
      'classify',
      [
        'classify',
        '--env',
        fx('env/example-env.json'),
        '--flow',
        fx('flow-logs/aws-doc-igw-s3-v5.log'),
        '--summary',
      ],
      'SOURCE',
    ],
    [
      'inspect-url',
      ['inspect-url', 'https://amzn-s3-demo-bucket.s3.us-east-1.amazonaws.com/k'],
      'amzn-s3-demo',
    ],
  ];
  it.each(cases)('%s runs without loading the AWS SDK', (name, args, expected) => {
    const r = resolvedBy(args);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(expected);
    expect(chunkOf(r.modules, name)).toBe(true);
    expect(awsSdk(r.modules)).toEqual([]);
  });

  it('report writes its HTML without loading the AWS SDK', () => {
    const dir = analysisFolder();
    const r = resolvedBy(['report', '--in', dir, '--out', join(tmp, 'report.html')]);
    expect(r.status).toBe(0);
    expect(readFileSync(join(tmp, 'report.html'), 'utf8')).toContain('A1');
    expect(chunkOf(r.modules, 'report')).toBe(true);
    expect(awsSdk(r.modules)).toEqual([]);
  });
});
