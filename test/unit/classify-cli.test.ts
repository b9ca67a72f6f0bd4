import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const fixture = (p: string) => new URL(`../fixtures/${p}`, import.meta.url).pathname;
const ENV = fixture('env/example-env.json');

async function run(args: string[], stdin = '') {
  const r = await runCli(['classify', ...args], stdin);
  return { ...r, rows: r.stdout.trim() === '' ? [] : r.stdout.trim().split('\n') };
}

const dir = mkdtempSync(join(tmpdir(), 'pg-classify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path';
const flowLines = [
  HEADER,
  // Private subnet, traffic-path 2: decided by the route table (gateway endpoint).
  '5 123456789012 eni-04a1b2c3d4e5f6a7b 10.0.1.15 52.217.96.14 49152 443 6 12 1830 1764061200 1764061259 ACCEPT OK vpc-0e1bfdbc090daa61a subnet-02b1377a7fd9ed705 i-0123456789abcdef0 3 IPv4 10.0.1.15 52.217.96.14 us-east-1 use1-az4 - - - S3 egress 2',
  // NAT-only subnet, same destination.
  '5 123456789012 eni-0c8d7e6f5a4b3c2d1 10.0.2.40 52.217.96.14 49153 443 6 12 1830 1764061200 1764061259 ACCEPT OK vpc-0e1bfdbc090daa61a subnet-054a4ac95c78dd159 i-0123456789abcdef1 3 IPv4 10.0.2.40 52.217.96.14 us-east-1 use1-az4 - - - S3 egress 1',
  '5 123456789012 eni-04a1b2c3d4e5f6a7b - - - - - - - 1764061260 1764061319 - NODATA vpc-0e1bfdbc090daa61a subnet-02b1377a7fd9ed705 i-0123456789abcdef0 - - - - us-east-1 use1-az4 - - - - - -',
  '5 123456789012 this line is broken',
];
const flowFile = join(dir, 'flows.log');
writeFileSync(flowFile, `${flowLines.join('\n')}\n`);

describe('pathguard classify', () => {
  it('prints one NDJSON line per classified flow record, with the record as parse prints it', async () => {
    const r = await run(['--env', ENV, '--flow', flowFile]);
    expect(r.code).toBe(0);
    const rows = r.rows.map((l) => JSON.parse(l));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      source: 'flow',
      path: 'gateway-endpoint',
      private: true,
      rule: 'FLOW_ROUTE_TABLE',
      record: { interfaceId: 'eni-04a1b2c3d4e5f6a7b', trafficPath: 2, dstaddr: '52.217.96.14' },
    });
    expect(Object.keys(rows[0])).toEqual(['source', 'path', 'private', 'rule', 'reason', 'record']);
    expect(rows[1]).toMatchObject({ path: 'nat-gateway', private: false });
    expect(rows[1].reason).toContain('rtb-0c9d8e7f6a5b40312 routes 0.0.0.0/0 to nat-0800e2073dbe1ee03');
    expect(r.stderr).toMatch(/^flow: rejected 1 \(/);
    expect(r.stderr).toContain(`${flowFile}:5:`);
  });

  it('takes several files after one --flow (a shell glob), and the format from --format', async () => {
    const a = join(dir, 'part-a.log');
    const b = join(dir, 'part-b.log');
    writeFileSync(a, `${flowLines[1]}\n`);
    writeFileSync(b, `${flowLines[2]}\n`);
    const r = await run(['--env', ENV, '--flow', a, b, '--format', HEADER, '--summary']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/flow +gateway-endpoint +true +1\n/);
    expect(r.stdout).toMatch(/flow +nat-gateway +false +1\n/);
    // Without the format, the default v2 format rejects both 29-field lines.
    const noFormat = await run(['--env', ENV, '--flow', a, b, '--summary']);
    expect(noFormat.stderr).toMatch(/^flow: rejected 2 /);
    const old = await run(['--env', ENV, '--flow', a, b, '--flow-format', HEADER, '--summary']);
    expect(old.stderr).toBe('pathguard classify: warning: --flow-format is deprecated; use --format\n');
    expect(old.stdout).toBe(r.stdout);
  });

  it('reads gzip and standard input as parse does', async () => {
    const gz = join(dir, 'flows.log.gz');
    writeFileSync(gz, gzipSync(readFileSync(flowFile)));
    expect((await run(['--env', ENV, '--flow', gz])).rows).toHaveLength(2);
    const fromStdin = await run(['--env', ENV, '--flow', '-'], readFileSync(flowFile, 'utf8'));
    expect(fromStdin.rows).toHaveLength(2);
  });

  it('never prints presigned-URL secrets of access-log records', async () => {
    const r = await run(['--env', ENV, '--access', fixture('access-logs/composed-variants.log')]);
    expect(r.code).toBe(0);
    const rows = r.rows.map((l) => JSON.parse(l));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((x) => x.source === 's3-access')).toBe(true);
    expect(r.stdout).toContain('X-Amz-Signature=REDACTED');
    expect(r.stdout).not.toContain('5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924aEXAMPLE');
    expect(r.stdout).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('never prints presigned-URL secrets from any field of CloudTrail records (parse and classify)', async () => {
    const sig = 'c0ffee'.repeat(10);
    const event = readFileSync(fixture('cloudtrail/events.ndjson'), 'utf8').split('\n')[0]!;
    const hostile = event
      .replace('"userAgent":"[', `"userAgent":"[https://b.s3.amazonaws.com/k?X-Amz-Sig\\nnature=${sig} `)
      .replace('"key":"probes/', `"key":"X-Amz-Security-Token=${sig}/probes/`);
    expect(hostile).toContain(sig);
    const file = join(dir, 'hostile-trail.ndjson');
    writeFileSync(file, `${hostile}\n`);
    const classified = await run(['--env', ENV, '--cloudtrail', file]);
    expect(classified.rows).toHaveLength(1);
    const parsed = await runCli(['parse', 'cloudtrail', file]);
    expect(parsed.code).toBe(0);
    for (const out of [classified.stdout, parsed.all]) {
      expect(out).toContain('REDACTED');
      expect(out).not.toContain(sig);
    }
  });

  it('classifies CloudTrail events', async () => {
    const r = await run(['--env', ENV, '--cloudtrail', fixture('cloudtrail/events.ndjson')]);
    expect(r.code).toBe(0);
    const rows = r.rows.map((l) => JSON.parse(l));
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.source).toBe('cloudtrail');
      if (row.record.vpcEndpointId) expect(row.private).toBe(true);
    }
  });

  it('--summary counts per source and path, with unclassified and rejected records', async () => {
    const r = await run([
      '--env',
      ENV,
      '--flow',
      flowFile,
      '--access',
      fixture('access-logs/aws-doc-current.log'),
      '--summary',
    ]);
    expect(r.code).toBe(0);
    const table = r.stdout.split('\n').map((l) => l.split(/\s{2,}/));
    expect(table).toEqual(
      expect.arrayContaining([
        ['SOURCE', 'PATH', 'PRIVATE', 'RECORDS'],
        ['flow', 'gateway-endpoint', 'true', '1'],
        ['flow', 'nat-gateway', 'false', '1'],
        ['flow', '(unclassified)', '-', '1'],
        ['flow', '(rejected)', '-', '1'],
        ['s3-access', 'public', 'false', '1'],
        ['s3-access', '(rejected)', '-', '0'],
      ]),
    );
    expect(r.stdout).not.toContain('cloudtrail');
  });

  it('names the bad field of an invalid environment and exits 2', async () => {
    const doc = JSON.parse(readFileSync(ENV, 'utf8'));
    doc.routeTables[2].routes[0].target = 'natgw-0800';
    const bad = join(dir, 'bad-env.json');
    writeFileSync(bad, JSON.stringify(doc));
    const r = await run(['--env', bad, '--flow', flowFile]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      `pathguard classify: ${bad}: environment: routeTables[2].routes[0].target: expected local or a target id: vpce-, nat-, igw-, eigw-, tgw-, vgw-, eni-, pcx-, …`,
    ]);
  });

  it('refuses an environment that is not JSON, or missing, with exit 2', async () => {
    const notJson = join(dir, 'env.txt');
    writeFileSync(notJson, 'region: us-east-1\n');
    const r = await run(['--env', notJson, '--flow', flowFile]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not JSON');
    const missing = await run(['--env', join(dir, 'nope.json'), '--flow', flowFile]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('ENOENT');
  });

  it('usage errors exit 2; an unreadable input exits 1', async () => {
    expect((await run(['--flow', flowFile])).code).toBe(2);
    expect((await run(['--env', ENV])).code).toBe(2);
    expect((await run(['--env', ENV, flowFile])).code).toBe(2);
    expect((await run(['--env', ENV, '--flow', '-', '--access', '-'])).code).toBe(2);
    const r = await run(['--env', ENV, '--flow', join(dir, 'missing.log')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('missing.log');
  });
});
