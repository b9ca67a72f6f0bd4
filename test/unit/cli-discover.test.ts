import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  GetManagedPrefixListEntriesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateEnvironment } from '../../shared/env/schema.js';
import { ec2, fakeEc2, fixture, type Item } from './ec2-discovery-fakes.js';
import { runCli } from './run-cli.js';

const VPC = 'vpc-0a60eb65b4e1f2a3b';
const RUNNER_SUBNET = 'subnet-0runner000e1f2a3b';
const dir = mkdtempSync(join(tmpdir(), 'pathguard-discover-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The default credential chain must never be asked: the fake answers every call, and these make
// sure no real profile or Region of the machine running the tests leaks in.
const saved = { ...process.env };
beforeEach(() => {
  ec2.reset();
  for (const k of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE']) delete process.env[k];
  process.env.AWS_CONFIG_FILE = join(dir, 'no-config');
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'no-credentials');
  process.env.AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
});
afterEach(() => {
  process.env = { ...saved };
});

const run = (args: string[]) => runCli(['discover', ...args]);

describe('pathguard discover', () => {
  it('writes a valid environment document of the VPC to --out and summarises on stderr', async () => {
    fakeEc2();
    const out = join(dir, 'env.json');
    const r = await run(['--region', 'us-east-1', '--vpc', VPC, '--out', out]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const doc = JSON.parse(readFileSync(out, 'utf8')) as unknown;
    const v = validateEnvironment(doc);
    expect(v.ok ? [] : v.error).toEqual([]);
    if (!v.ok) return;
    expect(v.value.region).toBe('us-east-1');
    expect(v.value.vpcs.map((x) => x.vpcId)).toEqual([VPC]);
    expect(v.value.gatewayEndpoints.map((g) => g.vpcEndpointId)).toEqual(['vpce-0gw00000000e1f2a3b']);
    expect(r.stderr).toMatch(
      /us-east-1: 1 VPC, 3 subnets, 3 route tables, 1 S3 gateway endpoint, 1 S3 interface endpoint, 1 NAT gateway, prefix lists: 1 S3, 0 other, 2 flow logs/,
    );
    // Nothing left next to it (the write goes through a temporary file).
    expect(readdirSync(dir).filter((f) => f.startsWith('env.json'))).toEqual(['env.json']);
    // The VPC the fake also knows about but was not asked for is not described.
    expect(ec2.commandCalls(DescribeVpcsCommand)[0]!.args[0].input.VpcIds).toEqual([VPC]);
  });

  it('takes several VPCs after one --vpc, and prints to stdout without --out', async () => {
    fakeEc2();
    const r = await run(['--vpc', VPC, 'vpc-0other0000e1f2a3b', '--region', 'us-east-1']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { vpcs: { vpcId: string }[]; onPrem: unknown };
    expect(ec2.commandCalls(DescribeVpcsCommand)[0]!.args[0].input.VpcIds).toEqual([
      VPC,
      'vpc-0other0000e1f2a3b',
    ]);
    expect(doc.vpcs.map((v) => v.vpcId)).toEqual([VPC, 'vpc-0other0000e1f2a3b']);
    expect(doc.onPrem).toEqual({ cidrs: [], publicEgressIps: [], dnsMode: 'public' });
    expect(r.stderr).toMatch(/onPrem is empty/);
  });

  it('with --config: its Region, its VPC vantages as runner subnets and its onPrem block', async () => {
    // The config takes only real (hexadecimal) subnet ids: the fixture's runner subnet, renamed.
    const hex = 'subnet-0a1b2c3d4e5f6a7b8';
    const renamed = JSON.parse(JSON.stringify(fixture).replaceAll(RUNNER_SUBNET, hex)) as typeof fixture;
    fakeEc2({
      Subnets: renamed.Subnets,
      RouteTables: renamed.RouteTables,
      NetworkInterfaces: renamed.NetworkInterfaces,
    });
    const cfg = JSON.parse(readFileSync('pathguard.config.example.json', 'utf8')) as Record<string, unknown>;
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        ...cfg,
        region: 'us-east-1',
        vantages: [
          { id: 'vpc-app', kind: 'vpc', subnetId: hex },
          { id: 'onprem-dc1', kind: 'onprem' },
        ],
      }),
    );
    const r = await run(['--config', file]);
    expect(r.stderr).not.toMatch(/error|onPrem is empty/);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { vpcs: { vpcId: string }[]; onPrem: unknown };
    // The VPC came from the runner subnet.
    expect(ec2.commandCalls(DescribeSubnetsCommand)[0]!.args[0].input.SubnetIds).toEqual([hex]);
    expect(doc.vpcs.map((v) => v.vpcId)).toEqual([VPC]);
    expect(doc.onPrem).toEqual((cfg as { onPrem: unknown }).onPrem);
  });

  it('warns about a route whose prefix list EC2 does not return, and still writes the document', async () => {
    fakeEc2({
      RouteTables: fixture.RouteTables!.map((t: Item) =>
        t.RouteTableId === 'rtb-0runner000e1f2a3b'
          ? {
              ...t,
              Routes: [
                ...(t.Routes as Item[]),
                {
                  DestinationPrefixListId: 'pl-0deadbeef',
                  NatGatewayId: 'nat-0a1b2c3d4ee1f2a3b',
                  State: 'active',
                },
              ],
            }
          : t,
      ),
    });
    const r = await run(['--region', 'us-east-1', '--vpc', VPC]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /pathguard discover: warning: routeTables\[\d\]\.routes\[\d\]\.destination: pl-0deadbeef → nat-0a1b2c3d4ee1f2a3b/,
    );
  });

  it('fails with one line naming the EC2 call, exit 1, and writes nothing', async () => {
    fakeEc2();
    ec2.on(DescribeRouteTablesCommand).rejects(
      Object.assign(new Error('You are not authorized to perform this operation.'), {
        name: 'UnauthorizedOperation',
        $metadata: { httpStatusCode: 403, attempts: 1 },
      }),
    );
    const out = join(dir, 'denied.json');
    const r = await run(['--region', 'us-east-1', '--vpc', VPC, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'pathguard discover: EC2 DescribeRouteTables failed: UnauthorizedOperation: You are not authorized to perform this operation. (HTTP 403, after 1 attempt)\n',
    );
    expect(existsSync(out)).toBe(false);
  });

  it('a throttled prefix list read is the same clean failure', async () => {
    fakeEc2();
    ec2.on(GetManagedPrefixListEntriesCommand).rejects(
      Object.assign(new Error('Rate exceeded'), {
        name: 'RequestLimitExceeded',
        $metadata: { httpStatusCode: 503, attempts: 8 },
      }),
    );
    const r = await run(['--region', 'us-east-1', '--vpc', VPC]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^pathguard discover: EC2 GetManagedPrefixListEntries \(pl-63a5400a\) failed: RequestLimitExceeded/,
    );
  });

  it('refuses usage mistakes with exit 2 before any AWS call', async () => {
    fakeEc2();
    const cases: [string[], RegExp][] = [
      [['--region', 'us-east-1'], /give --vpc ID, --subnet ID or a --config/],
      [['--region', 'us-east-1', '--vpc', 'sg-0123'], /--vpc: 'sg-0123' is not an id such as vpc-/],
      [['--vpc', VPC], /no Region: pass --region/],
      [['--region', 'Virginia', '--vpc', VPC], /'Virginia' is not a Region code/],
      [['--region', 'us-east-1', 'vpc-0a60eb65b4e1f2a3b'], /unexpected argument/],
      [['--config', join(dir, 'missing.json')], /no such file/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.code, args.join(' ')).toBe(message.source.includes('no such file') ? 1 : 2);
    }
    expect(ec2.calls()).toHaveLength(0);
  });

  it('AWS_REGION stands in for --region (the default chain)', async () => {
    fakeEc2();
    process.env.AWS_REGION = 'us-east-1';
    const r = await run(['--vpc', VPC]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { region: string }).region).toBe('us-east-1');
  });
});
