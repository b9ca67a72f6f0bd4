import {
  DescribeFlowLogsCommand,
  DescribeManagedPrefixListsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  GetManagedPrefixListEntriesCommand,
} from '@aws-sdk/client-ec2';
import { beforeEach, describe, expect, it } from 'vitest';
import { discoverEnvironment } from '../../functions/aws/discovery.js';
import { environmentSnapshot, postureDrift, snapshotKey } from '../../functions/aws/drift.js';
import { classifyFlowRecord } from '../../shared/classify/index.js';
import { detectDrift } from '../../shared/env/drift.js';
import { buildEnvironmentIndex } from '../../shared/env/environment-index.js';
import { validateEnvironment } from '../../shared/env/schema.js';
import { parseFlowFormat, parseFlowLogText } from '../../shared/flow-logs/index.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { ec2, fakeEc2, fixture, type Item } from './ec2-discovery-fakes.js';

beforeEach(() => ec2.reset());

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

const RUNNER_TABLE = 'rtb-0runner000e1f2a3b';
const DDB_LIST = 'pl-02cd2c6b';
const CUSTOMER_LIST = 'pl-0c0ffee000e1f2a3b';

/** The fixture's route tables with `routes` added to the runner subnet's table. */
function runnerTableWith(routes: Item[]): Item[] {
  return fixture.RouteTables!.map((t) =>
    t.RouteTableId === RUNNER_TABLE ? { ...t, Routes: [...(t.Routes as Item[]), ...routes] } : t,
  );
}

/** A DynamoDB gateway endpoint's route and a customer list's route to the NAT gateway on the runner table. */
function withOtherLists(customer: Item = {}) {
  return {
    RouteTables: runnerTableWith([
      { DestinationPrefixListId: DDB_LIST, GatewayId: 'vpce-0ddb0000000e1f2a3b', State: 'active' },
      { DestinationPrefixListId: CUSTOMER_LIST, NatGatewayId: 'nat-0a1b2c3d4ee1f2a3b', State: 'active' },
    ]),
    VpcEndpoints: fixture.VpcEndpoints!.map((e) =>
      e.VpcEndpointId === 'vpce-0ddb0000000e1f2a3b' ? { ...e, RouteTableIds: [RUNNER_TABLE] } : e,
    ),
    PrefixLists: [
      ...fixture.PrefixLists!,
      {
        PrefixListId: CUSTOMER_LIST,
        AddressFamily: 'IPv4',
        State: 'modify-complete',
        PrefixListName: 'corp-s3-inspection',
        MaxEntries: 10,
        Version: 3,
        OwnerId: '123456789012',
        ...customer,
      },
    ],
    PrefixListEntries: {
      [DDB_LIST]: [{ Cidr: '3.218.182.0/24' }, { Cidr: '3.218.180.0/23' }, { Cidr: '52.94.0.0/22' }],
      [CUSTOMER_LIST]: [{ Cidr: '52.216.8.0/24', Description: 'inspected S3 range' }],
    },
  };
}

const V5 =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path';
/** The runner's Lambda ENI fetching from `dst` over HTTPS, as a v2-era record without traffic-path. */
function runnerFlow(dst: string) {
  const format = parseFlowFormat(V5);
  if (!format.ok) throw new Error(format.error.message);
  const rejects = new RejectCounter();
  const [r] = parseFlowLogText(
    `5 123456789012 eni-0lambda000e1f2a3b 10.0.1.77 ${dst} 49152 443 6 12 1830 1764061200 1764061259 ACCEPT OK ${VPC} ${RUNNER_SUBNET} - 3 IPv4 10.0.1.77 ${dst} us-east-1 use1-az4 - - - S3 egress -\n`,
    { format: format.value, rejects },
  );
  expect(rejects.count).toBe(0);
  return r!;
}

describe('discoverEnvironment: every prefix list a route names', () => {
  it("resolves a DynamoDB gateway endpoint's list and a customer list, so S3 flows on that table are decided", async () => {
    fakeEc2(withOtherLists());
    const r = await discoverEnvironment(client(), {
      region: 'us-east-1',
      vpcIds: [VPC],
      runnerSubnetIds: [RUNNER_SUBNET],
    });
    const env = r.environment;
    const v = validateEnvironment(env);
    expect(v.ok ? [] : v.error).toEqual([]);
    expect(env.s3PrefixLists.map((p) => p.prefixListId)).toEqual(['pl-63a5400a']);
    expect(env.prefixLists).toEqual([
      {
        prefixListId: DDB_LIST,
        name: 'com.amazonaws.us-east-1.dynamodb',
        cidrs: ['3.218.182.0/24', '3.218.180.0/23', '52.94.0.0/22'],
      },
      { prefixListId: CUSTOMER_LIST, name: 'corp-s3-inspection', cidrs: ['52.216.8.0/24'] },
    ]);
    // Only the lists the routes name were asked for by id, beyond the S3 list found by name.
    const byId = ec2
      .commandCalls(DescribeManagedPrefixListsCommand)
      .map((c) => c.args[0].input.Filters)
      .filter((f) => f?.[0]?.Name === 'prefix-list-id');
    expect(byId[0]).toEqual([{ Name: 'prefix-list-id', Values: [DDB_LIST, CUSTOMER_LIST] }]);

    const idx = buildEnvironmentIndex(env);
    expect(idx.warnings.filter((w) => w.code === 'UNRESOLVED_PREFIX_LIST_ROUTE')).toEqual([]);
    // The customer /24 to the NAT gateway beats the S3 list's /15 (aws-facts §5.2)...
    const viaNat = classifyFlowRecord(runnerFlow('52.216.8.10'), idx);
    expect(viaNat?.path).toBe('nat-gateway');
    expect(viaNat?.reason).toContain(CUSTOMER_LIST);
    // ...and the rest of the S3 list still goes to the gateway endpoint.
    const viaGateway = classifyFlowRecord(runnerFlow('52.217.96.14'), idx);
    expect(viaGateway?.path).toBe('gateway-endpoint');
  });

  it('before: the same tables with only the S3 list known leave those flows unknown (the bug)', async () => {
    fakeEc2(withOtherLists());
    const r = await discoverEnvironment(client(), { region: 'us-east-1', vpcIds: [VPC] });
    const idx = buildEnvironmentIndex({ ...r.environment, prefixLists: [] });
    expect(idx.warnings.map((w) => w.code)).toContain('UNRESOLVED_PREFIX_LIST_ROUTE');
    expect(classifyFlowRecord(runnerFlow('52.216.8.10'), idx)?.path).toBe('unknown');
  });

  it('never makes a customer list an S3 list, even under the S3 name', async () => {
    fakeEc2(withOtherLists({ PrefixListName: 'com.amazonaws.us-east-1.s3' }));
    const r = await discoverEnvironment(client(), { region: 'us-east-1', vpcIds: [VPC] });
    expect(r.environment.s3PrefixLists.map((p) => p.prefixListId)).toEqual(['pl-63a5400a']);
    expect(r.environment.prefixLists.map((p) => [p.prefixListId, p.name])).toContainEqual([
      CUSTOMER_LIST,
      'com.amazonaws.us-east-1.s3',
    ]);
    // Its blocks resolve the route; they do not make 52.216.8.0/24 any more S3 than it was.
    const idx = buildEnvironmentIndex(r.environment);
    expect(idx.s3PrefixListCidrs.get('52.216.8.10')?.prefixListId).toBe('pl-63a5400a');
  });

  it("takes an AWS list routed to the S3 gateway endpoint as S3 whatever its name (the endpoint's own list)", async () => {
    const v6List = 'pl-0b6b6b6b';
    fakeEc2({
      RouteTables: runnerTableWith([
        { DestinationPrefixListId: v6List, GatewayId: 'vpce-0gw00000000e1f2a3b', State: 'active' },
      ]),
      PrefixLists: [
        ...fixture.PrefixLists!,
        {
          PrefixListId: v6List,
          AddressFamily: 'IPv6',
          PrefixListName: 'com.amazonaws.us-east-1.ipv6.s3',
          OwnerId: 'AWS',
        },
      ],
      PrefixListEntries: { [v6List]: [{ Cidr: '2600:1fa0:8000::/39' }] },
    });
    const r = await discoverEnvironment(client(), { region: 'us-east-1', vpcIds: [VPC] });
    expect(r.environment.s3PrefixLists.map((p) => p.prefixListId)).toEqual(['pl-63a5400a', v6List]);
    expect(r.environment.prefixLists).toEqual([]);
    expect(validateEnvironment(r.environment).ok).toBe(true);
  });

  it('follows every page of a long list, and of the lists found by id', async () => {
    const many = Array.from({ length: 9 }, (_, i) => ({ Cidr: `198.18.${i}.0/24` }));
    const lists = withOtherLists();
    fakeEc2({ ...lists, PrefixListEntries: { ...lists.PrefixListEntries, [CUSTOMER_LIST]: many } });
    const r = await discoverEnvironment(client(), { region: 'us-east-1', vpcIds: [VPC] });
    expect(r.environment.prefixLists.find((p) => p.prefixListId === CUSTOMER_LIST)?.cidrs).toEqual(
      many.map((e) => e.Cidr),
    );
    // The empty first page, then five pages of at most two entries.
    const customerCalls = ec2
      .commandCalls(GetManagedPrefixListEntriesCommand)
      .filter((c) => c.args[0].input.PrefixListId === CUSTOMER_LIST);
    expect(customerCalls).toHaveLength(6);
  });

  it('leaves a route to a list EC2 no longer returns unresolved, and says so, instead of failing', async () => {
    fakeEc2({
      RouteTables: runnerTableWith([
        {
          DestinationPrefixListId: 'pl-0deadbeef0e1f2a3b',
          NatGatewayId: 'nat-0a1b2c3d4ee1f2a3b',
          State: 'active',
        },
      ]),
    });
    const r = await discoverEnvironment(client(), { region: 'us-east-1', vpcIds: [VPC] });
    expect(r.environment.prefixLists).toEqual([]);
    expect(validateEnvironment(r.environment).ok).toBe(true);
    const warnings = buildEnvironmentIndex(r.environment).warnings;
    expect(warnings.find((w) => w.code === 'UNRESOLVED_PREFIX_LIST_ROUTE')?.message).toContain(
      'pl-0deadbeef0e1f2a3b',
    );
    // An unresolved table is not decided by the routes it can read.
    expect(classifyFlowRecord(runnerFlow('52.216.8.10'), buildEnvironmentIndex(r.environment))?.path).toBe(
      'unknown',
    );
  });

  it('ignores the list of a blackhole route (it carries nothing)', async () => {
    fakeEc2({
      RouteTables: runnerTableWith([
        { DestinationPrefixListId: CUSTOMER_LIST, NatGatewayId: 'nat-0gone', State: 'blackhole' },
      ]),
    });
    await discoverEnvironment(client(), { region: 'us-east-1', vpcIds: [VPC] });
    expect(
      ec2.commandCalls(DescribeManagedPrefixListsCommand).map((c) => c.args[0].input.Filters?.[0]?.Name),
    ).not.toContain('prefix-list-id');
  });

  it('fails naming the list when EC2 keeps throttling its entries, never with a partial environment', async () => {
    fakeEc2(withOtherLists());
    ec2.on(GetManagedPrefixListEntriesCommand, { PrefixListId: CUSTOMER_LIST }).rejects(
      Object.assign(new Error('Request limit exceeded.'), {
        name: 'RequestLimitExceeded',
        $metadata: { httpStatusCode: 503, attempts: 8, requestId: 'ea966190-f9aa-478e-9ede-example' },
      }),
    );
    await expect(discoverEnvironment(client(), { region: 'us-east-1', vpcIds: [VPC] })).rejects.toThrow(
      `EC2 GetManagedPrefixListEntries (${CUSTOMER_LIST}) failed: RequestLimitExceeded: Request limit exceeded. (HTTP 503, after 8 attempts, request id ea966190-f9aa-478e-9ede-example)`,
    );
  });

  it('fails with the call named on a 5xx while describing the routed lists', async () => {
    fakeEc2(withOtherLists());
    ec2
      .on(DescribeManagedPrefixListsCommand, {
        Filters: [{ Name: 'prefix-list-id', Values: [DDB_LIST, CUSTOMER_LIST] }],
      })
      .rejects(
        Object.assign(new Error('An internal error has occurred'), {
          name: 'InternalError',
          $fault: 'server',
          $metadata: { httpStatusCode: 500, attempts: 5 },
        }),
      );
    await expect(discoverEnvironment(client(), { region: 'us-east-1', vpcIds: [VPC] })).rejects.toThrow(
      'EC2 DescribeManagedPrefixLists failed: InternalError: An internal error has occurred (HTTP 500, after 5 attempts)',
    );
  });

  it("maps the gateway endpoint's IpAddressType (dualstack, ipv6), anything else IPv4", async () => {
    for (const [given, want] of [
      ['dualstack', 'dualstack'],
      ['ipv6', 'ipv6'],
      ['ipv4', 'ipv4'],
      [undefined, 'ipv4'],
    ] as const) {
      ec2.reset();
      fakeEc2({
        VpcEndpoints: fixture.VpcEndpoints!.map((e) =>
          e.VpcEndpointId === 'vpce-0gw00000000e1f2a3b' ? { ...e, IpAddressType: given } : e,
        ),
      });
      const r = await discoverEnvironment(client(), { region: 'us-east-1', vpcIds: [VPC] });
      expect(r.environment.gatewayEndpoints[0]?.ipAddressType).toBe(want);
      expect(validateEnvironment(r.environment).ok).toBe(true);
    }
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
