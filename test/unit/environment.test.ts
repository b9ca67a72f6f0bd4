import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  buildEnvironmentIndex,
  isS3InterfaceEndpointHost,
  proveS3GatewayEndpoint,
} from '../../shared/env/environment-index.js';
import { formatIssuePath, validateEnvironment } from '../../shared/env/schema.js';
import type { Environment } from '../../shared/env/types.js';
import { ValidationError } from '../../shared/errors.js';
import { IpAddress } from '../../shared/net/ip.js';

const example = (): Environment =>
  JSON.parse(
    readFileSync(new URL('../fixtures/env/example-env.json', import.meta.url), 'utf8'),
  ) as Environment;

/** The example document with one change, as `unknown` (the validator's input). */
// biome-ignore lint/suspicious/noExplicitAny: the tests write wrong shapes on purpose.
type Loose = Record<string, any>;
const edited = (edit: (doc: Loose) => void): unknown => {
  const doc = example() as unknown as Loose;
  edit(doc);
  return doc;
};

const issues = (doc: unknown) => {
  const r = validateEnvironment(doc);
  if (r.ok) throw new Error('expected a validation error');
  expect(r.error).toBeInstanceOf(ValidationError);
  return r.error.issues;
};

const PUBLIC_SUBNET = 'subnet-0f500f037def53793';
const PRIVATE_SUBNET = 'subnet-02b1377a7fd9ed705';
const NAT_ONLY_SUBNET = 'subnet-054a4ac95c78dd159';
const SPECIFIC_NAT_SUBNET = 'subnet-09542b160134e4415';
const GATEWAY = 'vpce-0195956f54d54c70a';

describe('validateEnvironment', () => {
  it('accepts the example environment unchanged', () => {
    const r = validateEnvironment(example());
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value).toEqual(example());
  });

  it('accepts a document whose lists are all empty', () => {
    const r = validateEnvironment({
      region: 'eu-central-1',
      s3PrefixLists: [],
      vpcs: [],
      subnets: [],
      routeTables: [],
      gatewayEndpoints: [],
      interfaceEndpoints: [],
      natGateways: [],
      networkInterfaces: [],
      onPrem: { cidrs: [], publicEgressIps: [], dnsMode: 'public' },
    });
    expect(r.ok).toBe(true);
  });

  it('names the path of a bad route target', () => {
    const found = issues(
      edited((d) => {
        d.routeTables[2].routes[0].target = 'natgw-1';
      }),
    );
    expect(found).toEqual([
      {
        path: 'routeTables[2].routes[0].target',
        message: expect.stringContaining('expected local or a target id'),
      },
    ]);
  });

  it('puts the first problem in the error message', () => {
    const r = validateEnvironment(
      edited((d) => {
        d.subnets[3].cidrs[0] = '10.0.3.0/33';
      }),
    );
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.message).toBe(
        'environment: subnets[3].cidrs[0]: not a CIDR block: IPv4 prefix length over 32',
      );
    }
  });

  it('refuses unknown keys at every level, naming the key and the likely intended one', () => {
    const found = issues(
      edited((d) => {
        d.vpc = [];
        d.onPrem.cidr = ['10.0.0.0/8'];
        d.routeTables[1].routes[2].targetId = 'nat-1';
      }),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        { path: 'vpc', message: 'unknown key (did you mean vpcs?)' },
        { path: 'onPrem.cidr', message: 'unknown key (did you mean cidrs?)' },
        { path: 'routeTables[1].routes[2].targetId', message: 'unknown key (did you mean target?)' },
      ]),
    );
  });

  it('reports missing keys as required', () => {
    const found = issues(
      edited((d) => {
        delete d.natGateways[0].publicIps;
      }),
    );
    expect(found).toEqual([{ path: 'natGateways[0].publicIps', message: 'required (array)' }]);
  });

  it('checks IPv4 and IPv6 addresses and blocks', () => {
    const found = issues(
      edited((d) => {
        d.vpcs[0].cidrs.push('2600:1f18:4a3b:9c00::1/56');
        d.interfaceEndpoints[0].ips.push('10.0.3.256');
        d.networkInterfaces[0].privateIps.push('fe80::1%eth0');
        d.s3PrefixLists[0].cidrs.push('2600:1fa0:8000::/129');
      }),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        {
          path: 'vpcs[0].cidrs[2]',
          message: 'not a CIDR block: host bits set: the network is 2600:1f18:4a3b:9c00::/56',
        },
        { path: 'interfaceEndpoints[0].ips[2]', message: 'not an IPv4 or IPv6 address' },
        { path: 'networkInterfaces[0].privateIps[1]', message: 'not an IPv4 or IPv6 address' },
        { path: 's3PrefixLists[0].cidrs[14]', message: 'not a CIDR block: IPv6 prefix length over 128' },
      ]),
    );
    expect(found).toHaveLength(4);
  });

  it('accepts IPv6 in every list that holds addresses', () => {
    const r = validateEnvironment(
      edited((d) => {
        d.interfaceEndpoints[0].ips.push('2600:1f18:4a3b:9c03::a');
        d.natGateways[0].privateIps.push('2600:1f18:4a3b:9c00::c');
        d.onPrem.cidrs.push('fd00:10::/32');
        d.onPrem.publicEgressIps.push('2001:db8:1::7', '198.51.100.0/28');
      }),
    );
    expect(r.ok).toBe(true);
  });

  it('refuses route destinations that are neither a block nor a prefix list', () => {
    const found = issues(
      edited((d) => {
        d.routeTables[0].routes[4].destination = 'com.amazonaws.us-east-1.s3';
      }),
    );
    expect(found).toEqual([
      {
        path: 'routeTables[0].routes[4].destination',
        message: 'expected a CIDR block or a pl-… prefix list id (missing /prefix-length)',
      },
    ]);
  });

  it('checks enumerations and the Region code', () => {
    const found = issues(
      edited((d) => {
        d.region = 'US East';
        d.interfaceEndpoints[0].privateDns = 'yes';
        d.onPrem.dnsMode = 'private';
      }),
    );
    expect(found.map((i) => i.path)).toEqual([
      'region',
      'interfaceEndpoints[0].privateDns',
      'onPrem.dnsMode',
    ]);
  });

  it('refuses references to ids the document does not define', () => {
    const found = issues(
      edited((d) => {
        d.subnets[1].routeTableId = 'rtb-0a1b2c3d4e5f60719';
        d.natGateways[0].subnetId = 'subnet-0000';
        d.gatewayEndpoints[0].routeTableIds.push('rtb-0missing');
      }),
    );
    expect(found).toEqual([
      { path: 'subnets[1].routeTableId', message: 'rtb-0a1b2c3d4e5f60719 is not in routeTables' },
      { path: 'gatewayEndpoints[0].routeTableIds[3]', message: 'rtb-0missing is not in routeTables' },
      { path: 'natGateways[0].subnetId', message: 'subnet-0000 is not in subnets' },
    ]);
  });

  it('refuses duplicate ids', () => {
    const found = issues(
      edited((d) => {
        d.subnets.push({ ...d.subnets[0], cidrs: ['10.0.9.0/24'] });
      }),
    );
    expect(found).toEqual([
      {
        path: 'subnets[5].subnetId',
        message: 'duplicate subnetId subnet-0f500f037def53793 (also subnets[0])',
      },
    ]);
  });

  it('refuses a document that is not an object', () => {
    expect(issues(null)).toEqual([{ path: '', message: 'expected object' }]);
    expect(issues([])).toEqual([{ path: '', message: 'expected object' }]);
  });

  it('formats issue paths with indexes in brackets', () => {
    expect(formatIssuePath(['routeTables', 2, 'routes', 0, 'target'])).toBe(
      'routeTables[2].routes[0].target',
    );
    expect(formatIssuePath([])).toBe('');
  });
});

describe('buildEnvironmentIndex', () => {
  const idx = buildEnvironmentIndex(example());

  it('builds the example without warnings', () => {
    expect(idx.warnings).toEqual([]);
  });

  it('finds S3 prefix-list blocks, IPv4 and IPv6', () => {
    expect(idx.s3PrefixListCidrs.get('52.217.44.1')?.prefixListId).toBe('pl-63a5400a');
    expect(idx.s3PrefixListCidrs.get('2600:1ff9:8000::7')?.prefixListId).toBe('pl-63a5400a');
    expect(idx.s3PrefixListCidrs.get('52.218.0.1')).toBeUndefined();
  });

  it('finds interface-endpoint addresses, and S3 ones apart from other services', () => {
    expect(idx.interfaceEndpointIps.get('10.0.3.77')?.serviceName).toBe('com.amazonaws.us-east-1.ssm');
    expect(idx.s3InterfaceEndpointIps.get('10.0.3.77')).toBeUndefined();
    expect(idx.s3InterfaceEndpointIps.get('10.0.3.151')?.vpcEndpointId).toBe('vpce-0fe5b17a0707d6abc');
  });

  it('finds NAT gateways by ENI, private and public address', () => {
    expect(idx.natGatewayByEni.get('eni-0b6e1f2a3c4d5e6f7')?.natGatewayId).toBe('nat-0800e2073dbe1ee03');
    expect(idx.natPrivateIps.get('10.0.0.201')?.natGatewayId).toBe('nat-0800e2073dbe1ee03');
    expect(idx.natPublicIps.get('203.0.113.25')?.natGatewayId).toBe('nat-0800e2073dbe1ee03');
    expect(idx.natPublicIps.get('203.0.113.26')).toBeUndefined();
  });

  it('finds subnets by ENI and by address', () => {
    expect(idx.subnetByEni.get('eni-0f3a4b5c6d7e8f9a0')?.subnetId).toBe(SPECIFIC_NAT_SUBNET);
    expect(idx.subnetsForAddress('10.0.1.200').map((s) => s.subnetId)).toEqual([PRIVATE_SUBNET]);
    expect(idx.subnetsForAddress('2600:1f18:4a3b:9c01::99').map((s) => s.subnetId)).toEqual([PRIVATE_SUBNET]);
    expect(idx.subnetsForAddress('10.0.200.1')).toEqual([]);
    expect(idx.subnetsForAddress('10.0.1.200', 'vpc-0other')).toEqual([]);
  });

  it('returns every candidate subnet when VPCs overlap, and one within a named VPC', () => {
    const env = example();
    env.vpcs.push({ vpcId: 'vpc-0b2', cidrs: ['10.0.0.0/16'] });
    env.routeTables.push({ routeTableId: 'rtb-0b2', vpcId: 'vpc-0b2', routes: [] });
    env.subnets.push({
      subnetId: 'subnet-0b2',
      vpcId: 'vpc-0b2',
      cidrs: ['10.0.1.0/25'],
      routeTableId: 'rtb-0b2',
    });
    const two = buildEnvironmentIndex(env);
    expect(two.subnetsForAddress('10.0.1.5').map((s) => s.subnetId)).toEqual([PRIVATE_SUBNET, 'subnet-0b2']);
    expect(two.subnetsForAddress('10.0.1.5', 'vpc-0b2').map((s) => s.subnetId)).toEqual(['subnet-0b2']);
  });

  it('resolves the gateway-endpoint route through the prefix list', () => {
    const r = idx.resolveRoute(PRIVATE_SUBNET, '54.231.8.9');
    expect(r).toMatchObject({
      destination: 'pl-63a5400a',
      target: GATEWAY,
      targetKind: 'gateway-endpoint',
      matchedCidr: '54.231.0.0/16',
      prefixListId: 'pl-63a5400a',
      routeIndex: 6,
      unresolved: [],
    });
    expect(r?.routeTable.routeTableId).toBe('rtb-0a1b2c3d4e5f60718');
  });

  it('lets a more specific NAT route beat the endpoint prefix-list route', () => {
    // AWS: "if you have existing, more specific routes to IP address ranges that point to an
    // internet gateway or a NAT device, those routes take precedence".
    expect(idx.resolveRoute(SPECIFIC_NAT_SUBNET, '52.216.10.1')).toMatchObject({
      destination: '52.216.0.0/16',
      targetKind: 'nat-gateway',
      matchedCidr: '52.216.0.0/16',
      prefixListId: null,
    });
    expect(idx.resolveRoute(SPECIFIC_NAT_SUBNET, '52.217.10.1')?.targetKind).toBe('gateway-endpoint');
  });

  it('falls back to the default route where the table has no endpoint route', () => {
    expect(idx.resolveRoute(NAT_ONLY_SUBNET, '52.217.10.1')).toMatchObject({
      targetKind: 'nat-gateway',
      matchedCidr: '0.0.0.0/0',
    });
    expect(idx.resolveRoute(PUBLIC_SUBNET, '8.8.8.8')?.targetKind).toBe('internet-gateway');
    expect(idx.resolveRoute(PRIVATE_SUBNET, '2a05:d018::1')?.targetKind).toBe('egress-only-internet-gateway');
    expect(idx.resolveRoute(PRIVATE_SUBNET, '10.0.4.4')?.targetKind).toBe('local');
    expect(idx.resolveRoute(PRIVATE_SUBNET, '172.20.1.1')?.targetKind).toBe('transit-gateway');
  });

  it('resolves parsed addresses as text', () => {
    const a = new IpAddress();
    a.parse('2600:1fa0:8000::10');
    expect(idx.resolveRoute(PRIVATE_SUBNET, a)?.targetKind).toBe('gateway-endpoint');
  });

  it('returns null for an unknown subnet or when no route matches', () => {
    expect(idx.resolveRoute('subnet-0nope', '52.217.1.1')).toBeNull();
    expect(idx.resolveRoute(NAT_ONLY_SUBNET, '2600:1fa0:8000::10')).toBeNull();
    expect(idx.resolveRouteInTable('rtb-0nope', '52.217.1.1')).toBeNull();
  });

  it('prefers a CIDR route over a prefix-list route for the same block', () => {
    const env = example();
    env.routeTables[1]!.routes.push({ destination: '52.216.0.0/15', target: 'igw-0c0f4b6a9e8d7c6b5' });
    const r = buildEnvironmentIndex(env).resolveRoute(PRIVATE_SUBNET, '52.216.1.1');
    expect(r).toMatchObject({ targetKind: 'internet-gateway', prefixListId: null });
  });

  it('on a tie AWS does not allow, prefers the route that does not end at an endpoint', () => {
    const env = example();
    env.routeTables[2]!.routes.push(
      { destination: '52.216.0.0/15', target: GATEWAY },
      { destination: '52.216.0.0/15', target: 'nat-0800e2073dbe1ee03' },
    );
    expect(buildEnvironmentIndex(env).resolveRoute(NAT_ONLY_SUBNET, '52.216.1.1')?.targetKind).toBe(
      'nat-gateway',
    );
    env.routeTables[2]!.routes.push({ destination: '52.216.0.0/15', target: 'igw-0c0f4b6a9e8d7c6b5' });
    // Same rank: the earlier route stays.
    expect(buildEnvironmentIndex(env).resolveRoute(NAT_ONLY_SUBNET, '52.216.1.1')?.targetKind).toBe(
      'nat-gateway',
    );
  });

  it('marks a vpce target that is not a known gateway endpoint', () => {
    const env = example();
    // A Gateway Load Balancer endpoint is a vpce- route target too.
    env.routeTables[2]!.routes.push({ destination: '52.216.0.0/15', target: 'vpce-0a11b22c33d44e55f' });
    expect(buildEnvironmentIndex(env).resolveRoute(NAT_ONLY_SUBNET, '52.216.1.1')?.targetKind).toBe(
      'vpc-endpoint',
    );
  });

  it('reports a route to a prefix list it has no blocks for, and lists it with every resolution', () => {
    const env = example();
    env.routeTables[1]!.routes.push({ destination: 'pl-0corporate', target: 'tgw-0f1e2d3c4b5a69788' });
    const i = buildEnvironmentIndex(env);
    expect(i.warnings).toEqual([
      {
        code: 'UNRESOLVED_PREFIX_LIST_ROUTE',
        path: 'routeTables[1].routes[7].destination',
        message:
          "pl-0corporate → tgw-0f1e2d3c4b5a69788: the prefix list's blocks are not in s3PrefixLists or prefixLists",
      },
    ]);
    expect(i.resolveRoute(PRIVATE_SUBNET, '52.217.1.1')?.unresolved).toEqual([
      { destination: 'pl-0corporate', target: 'tgw-0f1e2d3c4b5a69788' },
    ]);
    expect(i.resolveRoute(NAT_ONLY_SUBNET, '52.217.1.1')?.unresolved).toEqual([]);
  });

  it('resolves a customer prefix-list route to a NAT gateway that is more specific than the S3 list', () => {
    // AWS: the longest prefix wins across prefix-list entries and CIDR routes alike.
    const env = example();
    env.prefixLists.push({
      prefixListId: 'pl-0c0ffee0c0ffee000',
      name: 'corp-s3-bypass',
      cidrs: ['52.216.8.0/24'],
    });
    const nat = env.routeTables[1]!.routes.find((r) => r.target.startsWith('nat-'));
    env.routeTables[1]!.routes.push({
      destination: 'pl-0c0ffee0c0ffee000',
      target: nat?.target ?? 'nat-0a1b2c3d',
    });
    const i = buildEnvironmentIndex(env);
    expect(i.warnings).toEqual([]);
    const inList = i.resolveRoute(PRIVATE_SUBNET, '52.216.8.100');
    expect(inList?.prefixListId).toBe('pl-0c0ffee0c0ffee000');
    expect(inList?.targetKind).toBe('nat-gateway');
    expect(i.resolveRoute(PRIVATE_SUBNET, '52.216.9.100')?.targetKind).toBe('gateway-endpoint');
    // The customer's list resolves routes only: its blocks do not make an address S3.
    env.prefixLists[0]!.cidrs.push('198.18.0.0/15');
    expect(buildEnvironmentIndex(env).addressFacts.get('198.18.0.1')?.s3PrefixList).toBeUndefined();
  });

  it('skips malformed values with a warning instead of throwing (unvalidated input)', () => {
    const env = example();
    env.routeTables[2]!.routes.push({ destination: '52.216.0.0/33', target: 'igw-0c0f4b6a9e8d7c6b5' });
    env.natGateways[0]!.publicIps.push('203.0.113.300');
    env.subnets[0]!.routeTableId = 'rtb-0gone';
    const i = buildEnvironmentIndex(env);
    expect(i.warnings.map((w) => [w.code, w.path])).toEqual([
      ['BAD_ADDRESS', 'natGateways[0].publicIps[1]'],
      ['BAD_ROUTE_DESTINATION', 'routeTables[2].routes[2].destination'],
      ['MISSING_ROUTE_TABLE', 'subnets[0].routeTableId'],
    ]);
    expect(i.resolveRoute(NAT_ONLY_SUBNET, '52.216.1.1')?.unresolved).toHaveLength(1);
    expect(i.resolveRoute(PUBLIC_SUBNET, '52.216.1.1')).toBeNull();
  });

  it('finds interface endpoints by host name', () => {
    const id = (h: string) => idx.interfaceEndpointForHost(h)?.vpcEndpointId;
    expect(id('bucket.vpce-0fe5b17a0707d6abc-29p5708s.s3.us-east-1.vpce.amazonaws.com')).toBe(
      'vpce-0fe5b17a0707d6abc',
    );
    expect(
      id('my.dotted.bucket.bucket.vpce-0fe5b17a0707d6abc-29p5708s.s3.us-east-1.vpce.amazonaws.com.'),
    ).toBe('vpce-0fe5b17a0707d6abc');
    expect(id('BUCKET.VPCE-0FE5B17A0707D6ABC-29P5708S-US-EAST-1A.S3.US-EAST-1.VPCE.AMAZONAWS.COM')).toBe(
      'vpce-0fe5b17a0707d6abc',
    );
    // A zonal name the document does not list still carries the endpoint id.
    expect(id('bucket.vpce-0fe5b17a0707d6abc-29p5708s-us-east-1f.s3.us-east-1.vpce.amazonaws.com')).toBe(
      'vpce-0fe5b17a0707d6abc',
    );
    // The wildcard stands for at least one label.
    expect(id('vpce-0fe5b17a0707d6abc-29p5708s.s3.us-east-1.vpce.amazonaws.com')).toBe(
      'vpce-0fe5b17a0707d6abc',
    );
    expect(id('s3.us-east-1.amazonaws.com')).toBeUndefined();
    expect(id('bucket.vpce-0ffffffffffffffff-abcd.s3.us-east-1.vpce.amazonaws.com')).toBeUndefined();
  });

  it('recognises endpoint-specific S3 host names whether or not they are listed', () => {
    expect(isS3InterfaceEndpointHost('bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com')).toBe(true);
    expect(isS3InterfaceEndpointHost('bucket.vpce-1a2b3c4d-5e6f.s3.cn-north-1.vpce.amazonaws.com.cn')).toBe(
      true,
    );
    expect(isS3InterfaceEndpointHost('bucket.s3.us-east-1.amazonaws.com')).toBe(false);
    expect(isS3InterfaceEndpointHost('vpce-1a2b3c4d-5e6f.ssm.us-east-1.vpce.amazonaws.com')).toBe(false);
    expect(isS3InterfaceEndpointHost('evil.com/vpce-1a2b.s3.us-east-1.vpce.amazonaws.com.attacker.net')).toBe(
      false,
    );
  });
});

describe('EnvironmentIndex: endpoint facts scoped as AWS scopes them', () => {
  const VPC_B = 'vpc-0b0b0b0b0b0b0b0b0';
  const withVpcB = () => {
    const env = example();
    env.vpcs.push({ vpcId: VPC_B, cidrs: ['10.0.0.0/8', '2600:1f18:4a3b:9c00::/56'] });
    env.interfaceEndpoints.push(
      {
        vpcEndpointId: 'vpce-0b2b2b2b2b2b2b2b2',
        vpcId: VPC_B,
        serviceName: 'com.amazonaws.us-east-1.s3',
        ips: ['10.0.3.24'],
        dnsNames: [],
        privateDns: 'off',
      },
      {
        vpcEndpointId: 'vpce-0b3b3b3b3b3b3b3b3',
        vpcId: VPC_B,
        serviceName: 'com.amazonaws.us-east-1.sts',
        ips: ['10.0.3.151'],
        dnsNames: [],
        privateDns: 'off',
      },
    );
    return env;
  };

  it('vpcsForAddress: every VPC holding the address, none for others', () => {
    const idx = buildEnvironmentIndex(withVpcB());
    expect(idx.vpcsForAddress('10.0.1.15').map((v) => v.vpcId)).toEqual(['vpc-0e1bfdbc090daa61a', VPC_B]);
    expect(idx.vpcsForAddress('10.9.0.1').map((v) => v.vpcId)).toEqual([VPC_B]);
    expect(idx.vpcsForAddress('2600:1f18:4a3b:9c01::15')).toHaveLength(2);
    expect(idx.vpcsForAddress('192.168.1.1')).toEqual([]);
    expect(idx.vpcsForAddress('not an address')).toEqual([]);
    const a = new IpAddress();
    a.parse('10.0.1.15');
    expect(idx.vpcsForAddress(a)).toHaveLength(2);
  });

  it("s3InterfaceEndpointsAt: every S3 endpoint of an address, never another service's", () => {
    const idx = buildEnvironmentIndex(withVpcB());
    expect(idx.s3InterfaceEndpointsAt('10.0.3.24').map((e) => e.vpcEndpointId)).toEqual([
      'vpce-0fe5b17a0707d6abc',
      'vpce-0b2b2b2b2b2b2b2b2',
    ]);
    // 10.0.3.151: VPC A's S3 endpoint and VPC B's STS endpoint; only the S3 one is listed.
    expect(idx.s3InterfaceEndpointsAt('10.0.3.151').map((e) => e.vpcEndpointId)).toEqual([
      'vpce-0fe5b17a0707d6abc',
    ]);
    expect(idx.s3InterfaceEndpointsAt('10.0.3.77')).toEqual([]);
    expect(idx.interfaceEndpointIps.get('10.0.3.77')?.serviceName).toBe('com.amazonaws.us-east-1.ssm');
  });

  it("proveS3GatewayEndpoint: the route of the endpoint's own prefix list, in its VPC, for a family it serves", () => {
    const idx = buildEnvironmentIndex(example());
    const route = idx.resolveRoute(PRIVATE_SUBNET, '52.216.8.100')!;
    const proof = proveS3GatewayEndpoint(route, 4);
    expect(proof.ok && proof.endpoint.vpcEndpointId).toBe(GATEWAY);
    const v6 = proveS3GatewayEndpoint(idx.resolveRoute(PRIVATE_SUBNET, '2600:1fa0:8001::5')!, 6);
    expect(v6).toMatchObject({ ok: false, code: 'IP_TYPE' });
    expect(proveS3GatewayEndpoint(idx.resolveRoute(NAT_ONLY_SUBNET, '52.216.8.100')!, 4)).toMatchObject({
      ok: false,
      code: 'NOT_GATEWAY_ENDPOINT',
    });
  });

  it('proveS3GatewayEndpoint: refusals name the fact that fails', () => {
    const refusal = (edit: (env: Environment) => void, subnet = PRIVATE_SUBNET) => {
      const env = example();
      edit(env);
      const route = buildEnvironmentIndex(env).resolveRoute(subnet, '52.216.8.100')!;
      const p = proveS3GatewayEndpoint(route, 4);
      return p.ok ? 'ok' : p.code;
    };
    expect(refusal(() => {})).toBe('ok');
    expect(
      refusal((env) => {
        env.gatewayEndpoints[0]!.serviceName = 'com.amazonaws.us-east-1.dynamodb';
      }),
    ).toBe('NOT_S3');
    expect(
      refusal((env) => {
        env.gatewayEndpoints[0]!.vpcId = 'vpc-0b0b0b0b0b0b0b0b0';
      }),
    ).toBe('OTHER_VPC');
    expect(
      refusal((env) => {
        env.routeTables[2]!.routes.push({ destination: '52.216.0.0/15', target: GATEWAY });
      }, NAT_ONLY_SUBNET),
    ).toBe('NOT_OWN_PREFIX_LIST');
    expect(
      refusal((env) => {
        env.gatewayEndpoints[0]!.ipAddressType = 'ipv6';
      }),
    ).toBe('IP_TYPE');
    expect(
      refusal((env) => {
        env.routeTables[1]!.routes.push({
          destination: 'pl-0f0e0d0c0b0a09080',
          target: 'nat-0800e2073dbe1ee03',
        });
      }),
    ).toBe('UNRESOLVED');
    // The association list is not read: emptying it, or listing a table without the route,
    // changes nothing.
    expect(
      refusal((env) => {
        env.gatewayEndpoints[0]!.routeTableIds = [];
      }),
    ).toBe('ok');
    expect(
      refusal((env) => {
        env.gatewayEndpoints[0]!.routeTableIds.push('rtb-0c9d8e7f6a5b40312');
      }, NAT_ONLY_SUBNET),
    ).toBe('NOT_GATEWAY_ENDPOINT');
  });
});
