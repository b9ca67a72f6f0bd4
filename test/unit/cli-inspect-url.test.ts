import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UrlInspection } from '../../shared/endpoints/inspect.js';
import type { Environment } from '../../shared/env/types.js';
import { encodedForms, presign, secretsOf, TEMPORARY } from './presigned-urls.js';
import { type CliInput, runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'pathguard-inspect-url-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOW = ['--now', '2026-01-15T10:21:00Z'];

let allSecrets: string[] = [];

/** Runs the CLI and fails if any output holds a secret of any URL used in this file. */
async function run(args: string[], stdin?: CliInput) {
  const r = await runCli(['inspect-url', ...args], stdin);
  for (const secret of allSecrets) {
    for (const form of encodedForms(secret)) {
      expect(r.stdout.includes(form) || r.stderr.includes(form), 'a secret reached the output').toBe(false);
    }
  }
  return r;
}

const ndjson = (s: string) =>
  s
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as UrlInspection);

let regional: string;
let globalTemp: string;
let accelerate: string;
let vpce: string;

beforeAll(async () => {
  regional = await presign({ region: 'us-east-1' }, 'my-bucket');
  globalTemp = await presign({ region: 'us-east-1', useGlobalEndpoint: true }, 'my-bucket', {
    credentials: TEMPORARY,
    expiresIn: 7200,
  });
  accelerate = await presign({ region: 'us-west-2', useAccelerateEndpoint: true }, 'my-bucket');
  vpce = await presign(
    { region: 'us-east-1', endpoint: 'https://bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com' },
    'my-bucket',
  );
  allSecrets = [regional, globalTemp, accelerate, vpce].flatMap(secretsOf);
  expect(allSecrets.length).toBeGreaterThanOrEqual(9);
});

function writeEnv(name: string, env: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof env === 'string' ? env : JSON.stringify(env));
  return path;
}

const ENV: Environment = {
  region: 'us-east-1',
  prefixLists: [],
  s3PrefixLists: [
    { prefixListId: 'pl-63a5400a', name: 'com.amazonaws.us-east-1.s3', cidrs: ['52.216.0.0/15'] },
  ],
  vpcs: [{ vpcId: 'vpc-0a1b2c3d', cidrs: ['10.0.0.0/16'] }],
  subnets: [
    { subnetId: 'subnet-0aaa', vpcId: 'vpc-0a1b2c3d', cidrs: ['10.0.1.0/24'], routeTableId: 'rtb-0aaa' },
  ],
  routeTables: [
    {
      routeTableId: 'rtb-0aaa',
      vpcId: 'vpc-0a1b2c3d',
      routes: [
        { destination: '0.0.0.0/0', target: 'nat-0f1e2d3c' },
        { destination: 'pl-63a5400a', target: 'vpce-0gw11111' },
      ],
    },
  ],
  gatewayEndpoints: [
    {
      vpcEndpointId: 'vpce-0gw11111',
      vpcId: 'vpc-0a1b2c3d',
      serviceName: 'com.amazonaws.us-east-1.s3',
      prefixListId: 'pl-63a5400a',
      routeTableIds: ['rtb-0aaa'],
      ipAddressType: 'ipv4',
    },
  ],
  interfaceEndpoints: [
    {
      vpcEndpointId: 'vpce-1a2b3c4d',
      vpcId: 'vpc-0a1b2c3d',
      serviceName: 'com.amazonaws.us-east-1.s3',
      ips: ['10.0.1.20'],
      dnsNames: ['*.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com'],
      privateDns: 'inbound-only',
    },
  ],
  natGateways: [],
  networkInterfaces: [],
  onPrem: { cidrs: ['192.168.0.0/16'], publicEgressIps: [], dnsMode: 'public' },
};

describe('pathguard inspect-url', () => {
  it('prints a table with one row per URL, then each redacted URL with its findings', async () => {
    const r = await run([...NOW, regional, globalTemp]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^#\s+ENDPOINT\s+REGION\s+BUCKET\s+KEY\s+SIGNATURE\s+EXPIRES IN\s+VPC\s+ON-PREM\s+FINDINGS$/,
    );
    expect(lines[1]).toMatch(
      /^1\s+regional \(virtual\)\s+us-east-1\s+my-bucket\s+reports\/2026\/q1\.csv\s+sigv4 long-term\s+14 min\s+unknown\s+unknown\s+none$/,
    );
    expect(lines[2]).toMatch(
      /^2\s+global \(virtual\)\s+.*sigv4 temporary\s+119 min\s+.*1 high, 1 medium, 1 info$/,
    );
    expect(r.stdout).toContain('X-Amz-Signature=REDACTED');
    expect(r.stdout).toMatch(/HIGH\s+LEGACY_GLOBAL_ENDPOINT/);
    expect(r.stderr).toBe('');
  });

  it('prints one JSON object per URL with --json', async () => {
    const r = await run([...NOW, '--json', regional, accelerate, 'mailto:ops@example.com']);
    expect(r.code).toBe(0);
    const rows = ndjson(r.stdout);
    expect(rows.map((x) => x.endpointKind)).toEqual(['regional', 'accelerate', 'not-s3']);
    expect(rows[0]).toMatchObject({
      scheme: 'https',
      bucket: 'my-bucket',
      signature: { version: 'sigv4', credentialKind: 'long-term', expiresInSeconds: 840 },
      expectedPath: { vpc: 'unknown', onprem: 'unknown' },
    });
    expect(rows[1]!.findings.map((f) => f.code)).toContain('PUBLIC_ONLY_ENDPOINT');
    expect(rows[2]!.findings.map((f) => f.code)).toEqual(['UNSUPPORTED_SCHEME']);
  });

  it("reads URLs from standard input with '-', skipping blank and comment lines", async () => {
    const stdin = Readable.from([Buffer.from(`# probe URLs\n${regional}\n\n  ${vpce}  \r\n`)]);
    const r = await run([...NOW, '--json', '-', accelerate], stdin);
    expect(ndjson(r.stdout).map((x) => x.endpointKind)).toEqual([
      'regional',
      'interface-endpoint',
      'accelerate',
    ]);
  });

  it('--fail-on exits 3 when a finding reaches the severity, 0 otherwise', async () => {
    expect((await run([...NOW, '--fail-on', 'high', globalTemp])).code).toBe(3);
    expect((await run([...NOW, '--fail-on', 'high', regional])).code).toBe(0);
    // LONG_EXPIRY is medium, TEMPORARY_CREDENTIALS info.
    const temp = await presign({ region: 'us-east-1' }, 'my-bucket', {
      credentials: TEMPORARY,
      expiresIn: 7200,
    });
    allSecrets.push(...secretsOf(temp));
    expect((await run([...NOW, '--fail-on', 'high', temp])).code).toBe(0);
    expect((await run([...NOW, '--fail-on', 'medium', temp])).code).toBe(3);
    expect((await run([...NOW, '--fail-on', 'medium', '--long-expiry', '7200', temp])).code).toBe(0);
    expect((await run([...NOW, '--fail-on', 'low', '--json', regional])).code).toBe(0);
  });

  it('judges the expected paths against --env and a --subnet', async () => {
    const env = writeEnv('env.json', ENV);
    const r = await run([...NOW, '--json', '--env', env, regional, vpce, accelerate]);
    const [reg, ep, acc] = ndjson(r.stdout);
    expect(reg!.expectedPath).toMatchObject({ vpc: 'gateway-endpoint', onprem: 'public' });
    expect(reg!.findings.map((f) => f.code)).toEqual(['ONPREM_NOT_PRIVATE']);
    expect(ep!.expectedPath).toMatchObject({ vpc: 'interface-endpoint', onprem: 'interface-endpoint' });
    expect(acc!.expectedPath).toMatchObject({ vpc: 'nat-gateway', onprem: 'public' });
    const other = await run([...NOW, '--json', '--env', env, '--subnet', 'subnet-0zzz', regional]);
    expect(ndjson(other.stdout)[0]!.expectedPath.vpc).toBe('unknown');
  });

  it('--subnet: a customer prefix list routing one S3 block to NAT is not gateway-endpoint (issue 10 §1.2 regression)', async () => {
    const doc: Environment = {
      ...ENV,
      prefixLists: [{ prefixListId: 'pl-0c0ffee0', name: 'egress-inspection', cidrs: ['52.216.8.0/24'] }],
      natGateways: [
        {
          natGatewayId: 'nat-0f1e2d3c',
          subnetId: 'subnet-0aaa',
          eniIds: ['eni-0nat'],
          privateIps: ['10.0.1.10'],
          publicIps: ['198.51.100.7'],
        },
      ],
      routeTables: [
        {
          ...ENV.routeTables[0]!,
          routes: [...ENV.routeTables[0]!.routes, { destination: 'pl-0c0ffee0', target: 'nat-0f1e2d3c' }],
        },
      ],
    };
    const env = writeEnv('customer-list.json', doc);
    const r = await run([
      ...NOW,
      '--json',
      '--env',
      env,
      '--subnet',
      'subnet-0aaa',
      '--fail-on',
      'high',
      regional,
    ]);
    expect(r.code).toBe(3);
    const [reg] = ndjson(r.stdout);
    expect(reg!.expectedPath.vpc).toBe('unknown');
    expect(reg!.expectedPath.reasons.vpc).toContain(
      'rtb-0aaa routes pl-0c0ffee0 to nat-0f1e2d3c (52.216.8.0/24)',
    );
    expect(reg!.expectedPath.vpcRoutes?.map((x) => [x.path, x.target])).toEqual([
      ['gateway-endpoint', 'vpce-0gw11111'],
      ['nat-gateway', 'nat-0f1e2d3c'],
    ]);
    const finding = reg!.findings.find((f) => f.code === 'VPC_NOT_PRIVATE');
    expect(finding?.severity).toBe('high');
    expect(finding?.message).toContain(
      '52.216.8.0/24: nat-gateway, rtb-0aaa routes pl-0c0ffee0 to nat-0f1e2d3c',
    );
    // The table names the route too.
    const table = await run([...NOW, '--env', env, '--subnet', 'subnet-0aaa', regional]);
    expect(table.stdout).toContain('vpc: unknown: subnet-0aaa: not every com.amazonaws.us-east-1.s3 address');
  });

  it('rejects a bad environment with one line naming the field, exit 2', async () => {
    const cases: [unknown, string][] = [
      [{ ...ENV, regoin: 'x' }, 'regoin: unknown key'],
      [{ ...ENV, onPrem: { ...ENV.onPrem, dnsMode: 'private' } }, 'onPrem.dnsMode'],
      [
        { ...ENV, interfaceEndpoints: [{ ...ENV.interfaceEndpoints[0], privateDns: true }] },
        'interfaceEndpoints[0].privateDns',
      ],
      [{ ...ENV, subnets: {} }, 'subnets: expected array'],
      ['{"region": ', 'not JSON'],
    ];
    for (const [doc, expected] of cases) {
      const r = await run([...NOW, '--env', writeEnv('bad.json', doc), regional]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(expected);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
    const missing = await run([...NOW, '--env', join(dir, 'absent.json'), regional]);
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.stderr).toContain('ENOENT');
  });

  it('rejects usage errors with exit 2 and never echoes a URL', async () => {
    for (const args of [
      [],
      ['--fail-on', 'critical', regional],
      ['--now', 'yesterday', regional],
      ['--long-expiry', '1h', regional],
      ['--subnet', 'subnet-0aaa', regional],
      ['--bogus', regional],
    ]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toContain('amazonaws.com');
    }
  });

  it('exits 2 with one line when an argument is not a URL, printing nothing else', async () => {
    const secret = 'X-Amz-Signature=00112233445566778899aabbccddeeff';
    const r = await run([...NOW, regional, `not a url ${secret}\u001b[31m`]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('pathguard inspect-url: argument 2 is not a URL (give a presigned https:// URL)\n');
  });

  it('reads a URL whose secret names are split by line breaks as S3 does, and never echoes it raw', async () => {
    const u = new URL(regional);
    const sig = u.searchParams.get('X-Amz-Signature')!;
    const split = regional
      .replace('X-Amz-Signature', 'X-Amz-Sig\nna\tture')
      .replace('https://', 'https://AKIDUSER:pa%2Fss@');
    for (const args of [[split], ['--json', split]]) {
      const r = await run([...NOW, ...args]);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain(sig);
      expect(r.stdout).not.toContain('pa%2Fss');
      expect(r.stdout).not.toContain('AKIDUSER');
      expect(r.stdout).toContain('X-Amz-Signature=REDACTED');
    }
  });

  it('streams standard input: lines that are not URLs or too long are counted by number, exit 2', async () => {
    const lines = [regional, 'not a url \u001b]0;pwned\u0007', 'x'.repeat(20_000), accelerate];
    const r = await run([...NOW, '--json', '-'], Readable.from([Buffer.from(lines.join('\n'))]));
    expect(r.code).toBe(2);
    expect(ndjson(r.stdout).map((x) => x.endpointKind)).toEqual(['regional', 'accelerate']);
    expect(r.stderr).toContain('-:2: BAD_VALUE: not a URL');
    expect(r.stderr).toMatch(/-:3: LINE_TOO_LONG/);
    expect(r.stderr).not.toContain('pwned');
    expect(r.stderr).not.toContain('\u001b');
  });

  it('is listed in the top-level help', async () => {
    const r = await runCli(['--help']);
    expect(r.stdout).toMatch(/inspect-url\s+read presigned S3 URLs/);
  });
});
