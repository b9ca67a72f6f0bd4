import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCli, runBin, runCli } from './run-cli.js';

const fx = (n: string) => new URL(`../fixtures/flow-logs/${n}`, import.meta.url).pathname;

const dir = mkdtempSync(join(tmpdir(), 'pg-flow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pathguard parse flow', () => {
  it('prints NDJSON for a plain file with a header line', async () => {
    const r = await runCli(['parse', 'flow', fx('s3-delivered-v5.log')]);
    expect(r.code).toBe(0);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({ version: 5, trafficPath: 7, flowDirection: 'egress' });
    expect(r.stderr).toContain('rejected 0');
  });

  it('detects gzip by its magic bytes, not its name', async () => {
    const r = await runCli(['parse', 'flow', '--count', fx('misleading-name.txt')]);
    expect(r).toMatchObject({ code: 0, stdout: 'records 3 rejected 0\n' });
  });

  it('reads a filter-log-events export with --format', async () => {
    const r = await runCli(['parse', 'flow', fx('cwl-export.json')]);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((x) => x.action)).toEqual(['ACCEPT', 'REJECT']);
  });

  it('reads NDJSON events from stdin', async () => {
    const lines = readFileSync(fx('aws-doc-default.log'), 'utf8')
      .trim()
      .split('\n')
      .map((message, i) => JSON.stringify({ timestamp: 1418530010000 + i, message }))
      .join('\n');
    const r = await runCli(['parse', 'flow', '--count', '-'], lines);
    expect(r.stdout).toBe('records 5 rejected 0\n');
  });

  it('redacts a presigned URL in a string field, marked records and all (issue 12 §1 regression)', async () => {
    // An unknown field is kept as a string, and a pkt-dst-aws-service value is free text: either
    // may carry a URL. Clean records around it are marked free of secrets and printed as they are.
    const sig = 'b4c2f0e9a1d3c5b7e9f1a3c5e7b9d1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1e3f5';
    const format = '${version} ${srcaddr} ${dstaddr} ${pkt-dst-aws-service} ${note}';
    const lines = [
      '5 10.0.1.5 52.216.1.2 S3 clean',
      `5 10.0.1.5 52.216.1.2 S3 https://b.s3.amazonaws.com/k?X-Amz-SigNature=${sig}`,
      `5 10.0.1.5 52.216.1.2 x-amz-security-token=IQoJ${sig} clean`,
      '5 10.0.1.5 52.216.1.2 S3 %2Fdata%2F',
    ];
    const r = await runCli(['parse', 'flow', '--format', format, '-'], `${lines.join('\n')}\n`);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(sig.slice(8));
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((x) => [x.pktDstAwsService, x.note])).toEqual([
      ['S3', 'clean'],
      ['S3', 'https://b.s3.amazonaws.com/k?X-Amz-SigNature=REDACTED'],
      ['x-amz-security-token=REDACTED', 'clean'],
      ['S3', '%2Fdata%2F'],
    ]);
  });

  it('reports rejects with line numbers and reasons and exits 0', async () => {
    const r = await runCli(
      ['parse', 'flow', '--count'],
      '2 1 eni-1 10.0.0.1 10.0.0.2 x 2 6 1 1 1 1 ACCEPT OK\n2 1 eni-1\n',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('records 0 rejected 2\n');
    expect(r.stderr).toMatch(/rejected 2/);
    expect(r.stderr).toMatch(/-:1: BAD_NUMBER/);
    expect(r.stderr).toMatch(/-:2: WRONG_FIELD_COUNT/);
  });

  it('names a missing file and exits 1', async () => {
    const r = await runCli(['parse', 'flow', join(dir, 'nope.log')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nope\.log: no such file/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('names a truncated gzip and exits 1 after reporting what it read', async () => {
    const gz = gzipSync(readFileSync(fx('s3-delivered-v5.log')));
    const cut = join(dir, 'cut.log.gz');
    writeFileSync(cut, gz.subarray(0, gz.length - 12));
    const r = await runCli(['parse', 'flow', '--count', cut]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cut\.log\.gz: truncated gzip/);
  });

  it('rejects a malformed --format as a usage error', async () => {
    const r = await runCli(['parse', 'flow', '--format', '${version} ${version}', fx('aws-doc-default.log')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--format: field 'version' appears twice/);
  });

  it('reads gzip and plain copies of a file the same, and numbers rejects per file', async () => {
    const plain = await runCli(['parse', 'flow', fx('s3-delivered-v5.log')]);
    const gz = await runCli(['parse', 'flow', fx('s3-delivered-v5.log.gz')]);
    expect(gz.stdout).toBe(plain.stdout);
    const r = await runCli([
      'parse',
      'flow',
      '--count',
      fx('bad-lines.log'),
      fx('aws-doc-default.log'),
      fx('bad-lines.log'),
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('records 9 rejected 8\n');
    expect(r.stderr).toContain('rejected 8 (BAD_NUMBER 4, WRONG_FIELD_COUNT 4)');
    expect(r.stderr).toContain(`${fx('bad-lines.log')}:4: BAD_NUMBER: srcport`);
    expect(r.stderr).toContain(`${fx('bad-lines.log')}:5: WRONG_FIELD_COUNT`);
  });

  it('takes the AWS ${field} syntax in --format and prints numbers, strings and nulls', async () => {
    const spec =
      '${version} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${start} ${end} ${type} ${packets} ${bytes} ${account-id} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${region} ${az-id} ${sublocation-type} ${sublocation-id} ${action} ${tcp-flags} ${pkt-srcaddr} ${pkt-dstaddr} ${pkt-src-aws-service} ${pkt-dst-aws-service} ${traffic-path} ${flow-direction} ${log-status}';
    const r = await runCli(['parse', 'flow', '--format', spec, fx('aws-doc-igw-s3-v5.log')]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    const egress = JSON.parse(lines[1]!);
    expect(Object.keys(egress)).toHaveLength(29);
    expect(Object.keys(egress).slice(0, 3)).toEqual(['version', 'srcaddr', 'dstaddr']);
    expect(egress).toMatchObject({
      version: 5,
      accountId: '123456789012',
      srcport: 34210,
      bytes: 471,
      tcpFlags: 3,
      trafficPath: 8,
      pktSrcAwsService: null,
      pktDstAwsService: 'S3',
      flowDirection: 'egress',
      sublocationType: null,
    });
  });

  it('reads a gzip-compressed CloudWatch export from stdin', async () => {
    const stdin = Readable.from([gzipSync(readFileSync(fx('cwl-export-paginated.json')))]);
    const r = await runCli(['parse', 'flow', '--count'], stdin);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('records 3 rejected 0\n');
  });

  it('runs as the installed bin', () => {
    buildCli();
    const good = runBin(['parse', 'flow', '--count', fx('aws-doc-default.log')]);
    expect(good).toMatchObject({ status: 0, stdout: 'records 5 rejected 0\n' });
    const bad = runBin(['parse', 'flow', '--bogus']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('pathguard parse flow on Parquet', () => {
  const text = fx('aws-doc-igw-s3-v5.log');
  const parquet = fx('aws-doc-igw-s3-v5.log.parquet');
  const spec =
    'version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status';

  it('prints the NDJSON the text of the same records gives, from a file or gzip on stdin', async () => {
    const want = await runCli(['parse', 'flow', '--format', spec, text]);
    const got = await runCli(['parse', 'flow', parquet]);
    expect(got.code).toBe(0);
    expect(got.stdout).toBe(want.stdout);
    expect(got.stderr).toContain('rejected 0');
    // Detected by its PAR1 magic, not its name, also inside gzip and on standard input.
    const piped = await runCli(['parse', 'flow', '-'], Readable.from([gzipSync(readFileSync(parquet))]));
    expect(piped.code).toBe(0);
    expect(piped.stdout).toBe(want.stdout);
    expect(await runCli(['parse', 'flow', '--count', parquet])).toMatchObject({
      code: 0,
      stdout: 'records 2 rejected 0\n',
    });
  });

  it('exits 1 naming the file for a truncated Parquet file or a .parquet name on text', async () => {
    const cut = join(dir, 'cut.log.parquet');
    const bytes = readFileSync(parquet);
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    const r = await runCli(['parse', 'flow', cut]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${cut}: unreadable Parquet footer (truncated or damaged)`);
    const named = join(dir, 'text.parquet');
    writeFileSync(named, readFileSync(text));
    const t = await runCli(['parse', 'flow', named]);
    expect(t.code).toBe(1);
    expect(t.stderr).toContain('named .parquet but not a Parquet file');
  });
});
