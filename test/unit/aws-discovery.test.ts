import { readFileSync } from 'node:fs';
import {
  DescribeFlowLogsCommand,
  DescribeManagedPrefixListsCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2Client,
  type Filter,
  GetManagedPrefixListEntriesCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { discoverEnvironment } from '../../functions/aws/discovery.js';
import { environmentSnapshot, postureDrift, snapshotKey } from '../../functions/aws/drift.js';
import { detectDrift } from '../../shared/env/drift.js';
import { validateEnvironment } from '../../shared/env/schema.js';

type Item = Record<string, unknown>;
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/aws/ec2-discovery.json', import.meta.url), 'utf8'),
) as Record<string, Item[]> & { PrefixListEntries: Record<string, Item[]> };

const ec2 = mockClient(EC2Client);
beforeEach(() => ec2.reset());

/** Filter names → the field they match (EC2 API Reference, each Describe action's Filter.N). */
const FILTER_FIELDS: Record<string, string> = {
  'vpc-id': 'VpcId',
  'subnet-id': 'SubnetId',
  'network-interface-id': 'NetworkInterfaceId',
  'interface-type': 'InterfaceType',
  'resource-id': 'ResourceId',
  'prefix-list-name': 'PrefixListName',
};
function matches(item: Item, filters: Filter[] | undefined): boolean {
  return (filters ?? []).every((f) => {
    const field = FILTER_FIELDS[f.Name ?? ''];
    if (!field) throw new Error(`the fake EC2 does not know filter ${f.Name}`);
    // The filter value for NAT ENIs is nat_gateway; the InterfaceType EC2 reports is natGateway.
    const value = String(item[field]) === 'natGateway' ? 'nat_gateway' : String(item[field]);
    return (f.Values ?? []).includes(value);
  });
}

/**
 * Pages like EC2 does: at most `size` items a page, a NextToken while more remain, and (as EC2
 * sometimes does under filters) an empty first page that still carries a NextToken.
 */
function paged(items: Item[], token: string | undefined, size = 2) {
  if (token === undefined) return { page: [] as Item[], next: items.length > 0 ? 't0' : undefined };
  const start = Number(token.slice(1));
  const page = items.slice(start, start + size);
  return { page, next: start + size < items.length ? `t${start + size}` : undefined };
}

function fakeEc2(overrides: Partial<Record<string, Item[]>> = {}) {
  const data = { ...fixture, ...overrides } as Record<string, Item[]>;
  const byIds = (items: Item[], field: string, ids: string[] | undefined) =>
    ids?.length ? items.filter((i) => ids.includes(String(i[field]))) : items;
  ec2.on(DescribeVpcsCommand).callsFake((input) => {
    const { page, next } = paged(byIds(data.Vpcs!, 'VpcId', input.VpcIds), input.NextToken);
    return { Vpcs: page, NextToken: next };
  });
  ec2.on(DescribeSubnetsCommand).callsFake((input) => {
    const items = byIds(data.Subnets!, 'SubnetId', input.SubnetIds).filter((s) => matches(s, input.Filters));
    const { page, next } = paged(items, input.NextToken);
    return { Subnets: page, NextToken: next };
  });
  ec2.on(DescribeRouteTablesCommand).callsFake((input) => {
    const { page, next } = paged(
      data.RouteTables!.filter((s) => matches(s, input.Filters)),
      input.NextToken,
    );
    return { RouteTables: page, NextToken: next };
  });
  ec2.on(DescribeVpcEndpointsCommand).callsFake((input) => {
    const { page, next } = paged(
      data.VpcEndpoints!.filter((s) => matches(s, input.Filters)),
      input.NextToken,
    );
    return { VpcEndpoints: page, NextToken: next };
  });
  ec2.on(DescribeNetworkInterfacesCommand).callsFake((input) => {
    const { page, next } = paged(
      data.NetworkInterfaces!.filter((s) => matches(s, input.Filters)),
      input.NextToken,
    );
    return { NetworkInterfaces: page, NextToken: next };
  });
  ec2.on(DescribeNatGatewaysCommand).callsFake((input) => {
    const { page, next } = paged(
      data.NatGateways!.filter((s) => matches(s, input.Filter)),
      input.NextToken,
    );
    return { NatGateways: page, NextToken: next };
  });
  ec2.on(DescribeManagedPrefixListsCommand).callsFake((input) => {
    const { page, next } = paged(
      data.PrefixLists!.filter((s) => matches(s, input.Filters)),
      input.NextToken,
    );
    return { PrefixLists: page, NextToken: next };
  });
  ec2.on(GetManagedPrefixListEntriesCommand).callsFake((input) => {
    const { page, next } = paged(fixture.PrefixListEntries[input.PrefixListId] ?? [], input.NextToken);
    return { Entries: page, NextToken: next };
  });
  ec2.on(DescribeFlowLogsCommand).callsFake((input) => {
    const { page, next } = paged(
      data.FlowLogs!.filter((s) => matches(s, input.Filter)),
      input.NextToken,
    );
    return { FlowLogs: page, NextToken: next };
  });
}

const VPC = 'vpc-0a60eb65b4e1f2a3b';
const RUNNER_SUBNET = 'subnet-0runner000e1f2a3b';
const client = () => new EC2Client({ region: 'us-east-1' });

describe('discoverEnvironment', () => {
  it('builds an environment that validates, from every page of every call', async () => {
    fakeEc2();
    const r = await discoverEnvironment(client(), {
      region: 'us-east-1',
      vpcIds: [VPC],
      runnerSubnetIds: [RUNNER_SUBNET],
      onPrem: { cidrs: ['192.168.0.0/16'], publicEgressIps: ['203.0.113.10'], dnsMode: 'public' },
    });
    const env = r.environment;
    const v = validateEnvironment(env);
    expect(v.ok ? [] : v.error).toEqual([]);
    expect(env.vpcs).toEqual([{ vpcId: VPC, cidrs: ['10.0.0.0/16', '2600:1f18:4b1:ab00::/56'] }]);
    expect(env.subnets.map((s) => [s.subnetId, s.routeTableId, s.cidrs])).toEqual([
      [RUNNER_SUBNET, 'rtb-0runner000e1f2a3b', ['10.0.1.0/24', '2600:1f18:4b1:ab01::/64']],
      ['subnet-0public000e1f2a3b', 'rtb-0public000e1f2a3b', ['10.0.0.0/24']],
      // Its explicit association was removed: it falls back to the VPC's main table.
      ['subnet-0mainonly0e1f2a3b', 'rtb-0main00000e1f2a3b', ['10.0.2.0/24']],
    ]);
    expect(env.routeTables.find((t) => t.routeTableId === 'rtb-0runner000e1f2a3b')?.routes).toEqual([
      { destination: '10.0.0.0/16', target: 'local' },
      { destination: 'pl-63a5400a', target: 'vpce-0gw00000000e1f2a3b' },
      { destination: '0.0.0.0/0', target: 'nat-0a1b2c3d4ee1f2a3b' },
      { destination: '::/0', target: 'eigw-0e1e1e1e1ee1f2a3b' },
    ]);
    expect(env.s3PrefixLists).toEqual([
      {
        prefixListId: 'pl-63a5400a',
        name: 'com.amazonaws.us-east-1.s3',
        cidrs: ['3.5.0.0/19', '16.15.176.0/20', '52.216.0.0/15', '54.231.0.0/16', '2600:1fa0:8000::/39'],
      },
    ]);
    expect(env.gatewayEndpoints).toEqual([
      {
        vpcEndpointId: 'vpce-0gw00000000e1f2a3b',
        vpcId: VPC,
        serviceName: 'com.amazonaws.us-east-1.s3',
        prefixListId: 'pl-63a5400a',
        routeTableIds: ['rtb-0runner000e1f2a3b'],
        ipAddressType: 'ipv4',
      },
    ]);
    // Only the endpoint-specific names; the private DNS names are not the endpoint's own.
    expect(env.interfaceEndpoints).toEqual([
      {
        vpcEndpointId: 'vpce-0if00000000e1f2a3b',
        vpcId: VPC,
        serviceName: 'com.amazonaws.us-east-1.s3',
        ips: ['10.0.1.200', '2600:1f18:4b1:ab01::c8'],
        dnsNames: [
          '*.vpce-0if00000000e1f2a3b-bluzidnv.s3.us-east-1.vpce.amazonaws.com',
          '*.vpce-0if00000000e1f2a3b-bluzidnv-us-east-1a.s3.us-east-1.vpce.amazonaws.com',
        ],
        privateDns: 'inbound-only',
      },
    ]);
    expect(env.natGateways).toEqual([
      {
        natGatewayId: 'nat-0a1b2c3d4ee1f2a3b',
        subnetId: 'subnet-0public000e1f2a3b',
        eniIds: ['eni-0nat00000ae1f2a3b'],
        privateIps: ['10.0.0.10', '10.0.0.11'],
        publicIps: ['198.51.100.7'],
      },
    ]);
    // Endpoint, NAT and the runner subnet's Lambda ENIs; not the rest of the VPC.
    expect(env.networkInterfaces.map((n) => n.eniId).sort()).toEqual([
      'eni-0lambda000e1f2a3b',
      'eni-0nat00000ae1f2a3b',
      'eni-0vpce0000ae1f2a3b',
    ]);
    expect(env.onPrem.publicEgressIps).toEqual(['203.0.113.10']);
    expect(r.endpointStates).toEqual({
      'vpce-0gw00000000e1f2a3b': 'available',
      'vpce-0if00000000e1f2a3b': 'available',
      'vpce-0ddb0000000e1f2a3b': 'available',
      'vpce-0old00000000e1f2a3b': 'deleted',
    });
    expect(r.flowLogs).toEqual([
      {
        flowLogId: 'fl-0a1b2c3d4e5f6a7b8',
        resourceId: VPC,
        destinationType: 'cloud-watch-logs',
        destination: '/vpc/flow-logs/app',
        logFormat: expect.stringContaining('${traffic-path}'),
        maxAggregationInterval: 60,
        trafficType: 'ALL',
        deliverLogsStatus: 'SUCCESS',
      },
      {
        flowLogId: 'fl-0s3000000000000b1',
        resourceId: RUNNER_SUBNET,
        destinationType: 's3',
        destination: 'arn:aws:s3:::flow-logs-bucket/app/',
        logFormat: expect.stringContaining('${log-status}'),
        maxAggregationInterval: 600,
        trafficType: 'REJECT',
        deliverLogsStatus: 'FAILED',
        deliverLogsErrorMessage: 'Access error',
        s3: { fileFormat: 'plain-text', hiveCompatiblePartitions: true, perHourPartition: true },
      },
    ]);
  });

  it('asks EC2 narrowly: the VPC filter everywhere, ENIs by id and by runner subnet', async () => {
    fakeEc2();
    await discoverEnvironment(client(), {
      region: 'us-east-1',
      vpcIds: [VPC],
      runnerSubnetIds: [RUNNER_SUBNET],
    });
    // The SDK paginator reuses one input object per listing: one distinct object per query.
    const eniFilters = [
      ...new Set(ec2.commandCalls(DescribeNetworkInterfacesCommand).map((c) => c.args[0].input)),
    ].map((i) => i.Filters);
    expect(eniFilters).toEqual(
      expect.arrayContaining([
        [{ Name: 'network-interface-id', Values: ['eni-0vpce0000ae1f2a3b', 'eni-0nat00000ae1f2a3b'] }],
        [{ Name: 'subnet-id', Values: [RUNNER_SUBNET] }],
      ]),
    );
    expect(eniFilters).toHaveLength(2);
    for (const cmd of [DescribeSubnetsCommand, DescribeRouteTablesCommand, DescribeVpcEndpointsCommand])
      expect(ec2.commandCalls(cmd)[0]!.args[0].input).toMatchObject({
        Filters: [{ Name: 'vpc-id', Values: [VPC] }],
      });
    expect(ec2.commandCalls(DescribeFlowLogsCommand)[0]!.args[0].input.Filter?.[0]?.Values).toEqual(
      expect.arrayContaining([VPC, RUNNER_SUBNET, 'eni-0lambda000e1f2a3b']),
    );
    // Every page was followed: the empty first page, then three pages of at most two entries.
    expect(ec2.commandCalls(GetManagedPrefixListEntriesCommand)).toHaveLength(4);
  });

  it('finds the VPCs from the runner subnets when none are configured', async () => {
    fakeEc2();
    const r = await discoverEnvironment(client(), { region: 'us-east-1', runnerSubnetIds: [RUNNER_SUBNET] });
    expect(r.vpcIds).toEqual([VPC]);
    expect(r.environment.vpcs.map((v) => v.vpcId)).toEqual([VPC]);
    await expect(discoverEnvironment(client(), { region: 'us-east-1' })).rejects.toThrow(
      'discovery needs VPC ids or runner subnet ids',
    );
  });

  it('without runner subnets, describes the Lambda ENIs of the VPC', async () => {
    fakeEc2();
    const r = await discoverEnvironment(client(), { region: 'us-east-1', vpcIds: [VPC] });
    expect(r.environment.networkInterfaces.map((n) => n.eniId).sort()).toEqual([
      'eni-0lambda000e1f2a3b',
      'eni-0lambdaoth0e1f2a3b',
      'eni-0nat00000ae1f2a3b',
      'eni-0vpce0000ae1f2a3b',
    ]);
  });

  it('tolerates missing optional fields (no DNS options, no addresses, no states)', async () => {
    fakeEc2({
      VpcEndpoints: [
        {
          VpcEndpointId: 'vpce-0if00000000e1f2a3b',
          VpcEndpointType: 'Interface',
          VpcId: VPC,
          ServiceName: 'com.amazonaws.us-east-1.s3',
        },
      ],
      NatGateways: [
        {
          NatGatewayId: 'nat-0a1b2c3d4ee1f2a3b',
          VpcId: VPC,
          SubnetId: 'subnet-0public000e1f2a3b',
          State: 'pending',
        },
      ],
      FlowLogs: [{ FlowLogId: 'fl-1', ResourceId: VPC }],
    });
    const r = await discoverEnvironment(client(), { region: 'us-east-1', vpcIds: [VPC] });
    expect(r.environment.interfaceEndpoints).toEqual([
      {
        vpcEndpointId: 'vpce-0if00000000e1f2a3b',
        vpcId: VPC,
        serviceName: 'com.amazonaws.us-east-1.s3',
        ips: [],
        dnsNames: [],
        privateDns: 'off',
      },
    ]);
    expect(r.environment.natGateways[0]).toMatchObject({ eniIds: [], privateIps: [], publicIps: [] });
    expect(r.endpointStates).toEqual({ 'vpce-0if00000000e1f2a3b': 'unknown' });
    expect(r.flowLogs).toEqual([
      {
        flowLogId: 'fl-1',
        resourceId: VPC,
        destinationType: 'cloud-watch-logs',
        destination: '',
        logFormat: '',
        maxAggregationInterval: null,
        trafficType: null,
        deliverLogsStatus: null,
      },
    ]);
    expect(validateEnvironment(r.environment).ok).toBe(true);
  });

  it('feeds posture drift: a deleted endpoint and a failing, reject-only flow log are reported', async () => {
    fakeEc2();
    const before = await discoverEnvironment(client(), {
      region: 'us-east-1',
      vpcIds: [VPC],
      runnerSubnetIds: [RUNNER_SUBNET],
    });
    ec2.reset();
    fakeEc2({ VpcEndpoints: fixture.VpcEndpoints!.filter((e) => e.VpcEndpointType === 'Gateway') });
    const after = await discoverEnvironment(client(), {
      region: 'us-east-1',
      vpcIds: [VPC],
      runnerSubnetIds: [RUNNER_SUBNET],
    });
    const codes = detectDrift(before.environment, after.environment, {
      runnerSubnetIds: [RUNNER_SUBNET],
      flowLogs: after.flowLogs,
      endpointStates: after.endpointStates,
    }).map((d) => `${d.code} ${d.resource}`);
    expect(codes).toEqual(
      expect.arrayContaining([
        'ENDPOINT_DELETED vpce-0if00000000e1f2a3b',
        'FLOW_LOG_FORMAT_MISSING_FIELDS fl-0s3000000000000b1',
        'FLOW_LOG_REJECT_ONLY fl-0s3000000000000b1',
        'FLOW_LOG_DELIVERY_FAILED fl-0s3000000000000b1',
      ]),
    );
  });

  it('fails with the call named when EC2 keeps throttling, never with a partial environment', async () => {
    fakeEc2();
    ec2.on(DescribeRouteTablesCommand).rejects(
      Object.assign(new Error('Request limit exceeded.'), {
        name: 'RequestLimitExceeded',
        $metadata: { httpStatusCode: 503, attempts: 8, requestId: 'ea966190-f9aa-478e-9ede-example' },
      }),
    );
    await expect(discoverEnvironment(client(), { region: 'us-east-1', vpcIds: [VPC] })).rejects.toThrow(
      'EC2 DescribeRouteTables failed: RequestLimitExceeded: Request limit exceeded. (HTTP 503, after 8 attempts, request id ea966190-f9aa-478e-9ede-example)',
    );
  });

  it('fails cleanly when a page in the middle of a listing times out', async () => {
    fakeEc2();
    ec2
      .on(DescribeSubnetsCommand, { NextToken: 't2' })
      .rejects(
        Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: { attempts: 5 } }),
      );
    await expect(discoverEnvironment(client(), { region: 'us-east-1', vpcIds: [VPC] })).rejects.toThrow(
      /^EC2 DescribeSubnets failed: TimeoutError: socket hang up/,
    );
  });
});

describe('environment snapshots', () => {
  it('digests what discovery saw, whatever the order, and reports drift against the previous snapshot', async () => {
    fakeEc2();
    const found = await discoverEnvironment(client(), {
      region: 'us-east-1',
      vpcIds: [VPC],
      runnerSubnetIds: [RUNNER_SUBNET],
    });
    const at = new Date('2026-11-25T10:00:00Z');
    const a = environmentSnapshot(found, at);
    const b = environmentSnapshot({ ...found, flowLogs: [...found.flowLogs].reverse() }, at);
    expect(a.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(b.digest).toBe(a.digest);
    expect(snapshotKey(a)).toBe(
      `environment/snapshots/2026-11-25/2026-11-25T10:00:00.000Z-${a.digest.slice(0, 12)}.json`,
    );
    // An endpoint state change alone changes the digest, not the environment's.
    const pending = environmentSnapshot(
      { ...found, endpointStates: { ...found.endpointStates, 'vpce-0gw00000000e1f2a3b': 'pending' } },
      at,
    );
    expect(pending.digest).not.toBe(a.digest);
    expect(pending.environmentDigest).toBe(a.environmentDigest);
    const drift = postureDrift(a, pending, [RUNNER_SUBNET]);
    expect(drift.changed).toBe(true);
    expect(drift.items.map((d) => d.code)).toContain('ENDPOINT_NOT_AVAILABLE');
    expect(postureDrift(a, b, [RUNNER_SUBNET]).changed).toBe(false);
  });
});
