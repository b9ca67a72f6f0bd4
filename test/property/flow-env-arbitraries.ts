/**
 * Random environments and flow records for the `classify --summary` cache tests: environments
 * with overlapping VPCs, more specific routes inside S3 blocks, NAT and endpoint addresses and
 * IPv6; records drawn so that many share a key and neighbours differ in one field. Also the v5
 * format those tests write their records in, and what every such line carries besides a record.
 */
import fc from 'fast-check';
import type { Environment, Route } from '../../shared/env/types.js';
import { type FlowFormat, parseFlowFormat } from '../../shared/flow-logs/format.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { V5_FIELDS } from '../bench/flow-data.js';

const v5 = parseFlowFormat(V5_FIELDS);
if (!v5.ok) throw new Error('v5 format');
/** The v5 format (29 fields, the AWS order) the tests write their lines in. */
export const FORMAT: FlowFormat = v5.value;

/** The fields of a line that no rule classifies by, the same on every line; a record's own fields go over them. */
export const LINE_BASE: FlowRecord = {
  version: 5,
  accountId: '123456789012',
  srcport: 49152,
  dstport: 443,
  protocol: 6,
  packets: 12,
  bytes: 1830,
  start: 1764061200,
  end: 1764061259,
  action: 'ACCEPT',
  logStatus: 'OK',
  instanceId: 'i-0123456789abcdef0',
  tcpFlags: 3,
  type: 'IPv4',
  region: 'us-east-1',
  azId: 'use1-az4',
};

const S3_PL = 'pl-63a5400a';
const S3_BLOCKS = ['52.216.0.0/15', '3.5.0.0/19', '2600:1fa0:8000::/39'];
/** Blocks environments are built from: they nest and overlap on purpose. */
const BLOCKS = [
  '10.0.0.0/16',
  '10.0.0.0/20',
  '10.0.16.0/20',
  '10.0.1.0/24',
  '10.1.0.0/16',
  '10.1.0.0/20',
  '52.216.8.0/24',
  '52.217.0.0/17',
  '3.5.16.0/20',
  '0.0.0.0/0',
  '192.168.0.0/16',
  '2600:1fa0:8000::/48',
  '2600:1f18::/40',
  '::/0',
];
/** Addresses on and around the blocks' edges, endpoint and NAT addresses among them. */
export const ADDRESSES = [
  '10.0.0.0',
  '10.0.0.5',
  '10.0.1.7',
  '10.0.15.255',
  '10.0.16.0',
  '10.0.20.9',
  '10.1.0.7',
  '10.1.16.3',
  '52.216.8.0',
  '52.216.8.255',
  '52.216.9.0',
  '52.217.127.255',
  '52.217.128.1',
  '3.5.16.4',
  '3.5.0.9',
  '192.168.3.3',
  '8.8.8.8',
  '2600:1fa0:8000::1',
  '2600:1fa0:8001::1',
  '2600:1f18::9',
  '::ffff:52.216.8.7',
  'fe80::1',
];
export const VPCS = ['vpc-0a', 'vpc-0b', 'vpc-0c'];
export const SUBNETS = ['subnet-01', 'subnet-02', 'subnet-03', 'subnet-04', 'subnet-05'];
const TABLES = ['rtb-01', 'rtb-02', 'rtb-03'];
export const ENIS = ['eni-01', 'eni-02', 'eni-03', 'eni-04', 'eni-05', 'eni-0n'];
const TARGETS = ['local', 'igw-01', 'nat-01', 'vpce-0gw', 'vpce-0glb', 'tgw-01', 'pcx-01', 'eigw-01'];

const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);
const some = <T>(xs: readonly T[], max = 3) => fc.uniqueArray(pick(xs), { minLength: 1, maxLength: max });

const route: fc.Arbitrary<Route> = fc.record({
  destination: fc.oneof(pick(BLOCKS), fc.constant(S3_PL)),
  target: pick(TARGETS),
});

export const environment: fc.Arbitrary<Environment> = fc
  .record({
    vpcs: fc.tuple(...VPCS.map(() => some(BLOCKS.slice(0, 6), 2))),
    subnets: fc.tuple(...SUBNETS.map(() => fc.tuple(pick(VPCS), some(BLOCKS.slice(0, 6), 1), pick(TABLES)))),
    tables: fc.tuple(
      ...TABLES.map(() =>
        fc.tuple(
          pick(VPCS),
          fc.array(route, { maxLength: 5 }),
          fc.boolean(),
          pick(['igw-01', 'nat-01', 'tgw-01']),
        ),
      ),
    ),
    gateway: fc.tuple(pick(VPCS), pick(['ipv4', 'dualstack', 'ipv6'] as const)),
    endpoints: fc.array(fc.tuple(pick(VPCS), some(ADDRESSES.slice(0, 8), 2), fc.boolean()), { maxLength: 2 }),
    nat: fc.tuple(pick(SUBNETS), some(ADDRESSES.slice(0, 8), 1)),
    enis: fc.tuple(...ENIS.slice(0, 4).map(() => fc.tuple(pick(SUBNETS), some(ADDRESSES.slice(0, 8), 1)))),
  })
  .map(
    (c): Environment => ({
      region: 'us-east-1',
      prefixLists: [],
      s3PrefixLists: [{ prefixListId: S3_PL, name: 'com.amazonaws.us-east-1.s3', cidrs: S3_BLOCKS }],
      vpcs: VPCS.map((vpcId, i) => ({ vpcId, cidrs: c.vpcs[i]! })),
      subnets: SUBNETS.map((subnetId, i) => {
        const [vpcId, cidrs, routeTableId] = c.subnets[i]!;
        return { subnetId, vpcId, cidrs, routeTableId };
      }),
      routeTables: TABLES.map((routeTableId, i) => ({
        routeTableId,
        vpcId: c.tables[i]![0],
        // Most tables route the S3 prefix list to the gateway endpoint and the rest elsewhere.
        routes: [
          ...(c.tables[i]![2]
            ? [
                { destination: S3_PL, target: 'vpce-0gw' },
                // A more specific route inside the S3 block: its addresses take another path.
                { destination: '52.216.8.0/24', target: 'nat-01' },
              ]
            : []),
          { destination: '0.0.0.0/0', target: c.tables[i]![3] },
          ...c.tables[i]![1],
        ],
      })),
      gatewayEndpoints: [
        {
          vpcEndpointId: 'vpce-0gw',
          vpcId: c.gateway[0],
          serviceName: 'com.amazonaws.us-east-1.s3',
          prefixListId: S3_PL,
          routeTableIds: [],
          ipAddressType: c.gateway[1],
        },
      ],
      interfaceEndpoints: c.endpoints.map(([vpcId, ips, s3], i) => ({
        vpcEndpointId: `vpce-0if${i}`,
        vpcId,
        serviceName: s3 ? 'com.amazonaws.us-east-1.s3' : 'com.amazonaws.us-east-1.ssm',
        ips,
        dnsNames: [],
        privateDns: 'off' as const,
      })),
      natGateways: [
        {
          natGatewayId: 'nat-01',
          subnetId: c.nat[0],
          eniIds: ['eni-05'],
          privateIps: c.nat[1],
          publicIps: ['203.0.113.25'],
        },
      ],
      networkInterfaces: c.enis.map(([subnetId, privateIps], i) => ({
        eniId: ENIS[i]!,
        subnetId,
        privateIps,
      })),
      onPrem: { cidrs: ['192.168.0.0/16'], publicEgressIps: ['198.51.100.7'], dnsMode: 'public' },
    }),
  );

export const address: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: pick(ADDRESSES), weight: 8 },
  // Addresses inside the blocks, so that many distinct addresses share a piece.
  {
    arbitrary: fc
      .tuple(pick(['10.0.', '10.1.', '52.216.', '52.217.', '3.5.']), fc.nat(255), fc.nat(255))
      .map(([h, a, b]) => `${h}${a}.${b}`),
    weight: 8,
  },
  // Both sides of a more specific route's edge.
  {
    arbitrary: fc
      .tuple(pick(['52.216.8.', '52.216.9.', '10.0.15.', '10.0.16.']), fc.nat(255))
      .map(([h, a]) => `${h}${a}`),
    weight: 4,
  },
  fc.ipV4(),
  fc.ipV6(),
  pick(['-', '', 'not-an-ip', '010.0.0.1', '1.2.3', '52.216.8.1 ']),
  fc.constant(null),
  fc.constant(undefined),
  fc.integer({ min: 0, max: 9 }),
);
export const text = (known: readonly string[]) =>
  fc.oneof(
    { arbitrary: pick(known), weight: 6 },
    pick(['eni-0zz', 'subnet-0zz', 'vpc-0zz', '']),
    fc.constant(null),
    fc.constant(undefined),
    fc.constant(7),
  );

export const record: fc.Arbitrary<FlowRecord> = fc.record(
  {
    srcaddr: address,
    dstaddr: address,
    pktSrcaddr: address,
    pktDstaddr: address,
    interfaceId: text(ENIS),
    subnetId: text(SUBNETS),
    vpcId: text(VPCS),
    trafficPath: fc.oneof(
      fc.integer({ min: 1, max: 8 }),
      fc.constant(null),
      fc.constant(2.5),
      fc.constant('2'),
    ),
    flowDirection: fc.oneof(pick(['ingress', 'egress', 'sideways']), fc.constant(null), fc.constant(1)),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<FlowRecord>;

/**
 * Records as an interface writes them most of the time (its ENI, subnet and VPC; its own address
 * on the local side; S3 or an endpoint on the other), and anything at all the rest of the time.
 */
export function coherent(env: Environment): fc.Arbitrary<FlowRecord> {
  const hosts = env.networkInterfaces.flatMap((n) => {
    const s = env.subnets.find((x) => x.subnetId === n.subnetId);
    return s ? [{ eni: n.eniId, subnetId: s.subnetId, vpcId: s.vpcId, ips: n.privateIps }] : [];
  });
  const remote = fc.oneof(
    {
      arbitrary: fc
        .tuple(pick(['52.216.', '52.217.', '3.5.']), fc.nat(255), fc.nat(255))
        .map(([h, a, b]) => `${h}${a}.${b}`),
      weight: 6,
    },
    fc.tuple(pick(['52.216.8.', '52.216.9.']), fc.nat(255)).map(([h, a]) => `${h}${a}`),
    pick(ADDRESSES),
    pick(env.interfaceEndpoints.flatMap((e) => e.ips).concat(['52.216.8.8'])),
  );
  return fc
    .record({
      host: pick(hosts),
      local: fc.oneof(pick(ADDRESSES.slice(0, 8)), fc.constant(undefined)),
      remote,
      egress: fc.boolean(),
      named: fc.record({
        eni: fc.boolean(),
        subnet: fc.boolean(),
        vpc: fc.boolean(),
        dir: fc.boolean(),
        pkt: fc.boolean(),
      }),
      tp: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.constant(null)),
    })
    .map(({ host, local, remote, egress, named, tp }) => {
      const me = local ?? host.ips[0]!;
      const [src, dst] = egress ? [me, remote] : [remote, me];
      const r: FlowRecord = { srcaddr: src, dstaddr: dst, trafficPath: tp };
      if (named.pkt) Object.assign(r, { pktSrcaddr: src, pktDstaddr: dst });
      if (named.eni) r.interfaceId = host.eni;
      if (named.subnet) r.subnetId = host.subnetId;
      if (named.vpc) r.vpcId = host.vpcId;
      if (named.dir) r.flowDirection = egress ? 'egress' : 'ingress';
      return r;
    });
}

/** One field of a record set to another value: neighbours the cache must still tell apart. */
const variant = fc.oneof(
  ...(['srcaddr', 'dstaddr', 'pktSrcaddr', 'pktDstaddr'] as const).map((k) =>
    address.map((v) => ({ [k]: v })),
  ),
  text(ENIS).map((v) => ({ interfaceId: v })),
  text(SUBNETS).map((v) => ({ subnetId: v })),
  text(VPCS).map((v) => ({ vpcId: v })),
  fc.oneof(fc.integer({ min: 1, max: 8 }), fc.constant(null)).map((v) => ({ trafficPath: v })),
  fc.oneof(pick(['ingress', 'egress', 'sideways']), fc.constant(null)).map((v) => ({ flowDirection: v })),
);

export const scene = environment.chain((env) => {
  const base = env.networkInterfaces.length > 0 ? fc.oneof(coherent(env), record) : record;
  return fc.tuple(
    fc.constant(env),
    fc
      .tuple(
        fc.array(base, { minLength: 1, maxLength: 4 }),
        fc.array(fc.tuple(fc.nat(), fc.array(variant, { minLength: 1, maxLength: 2 })), { maxLength: 12 }),
      )
      .map(([bases, changes]) => [
        ...bases,
        ...changes.map(([i, vs]) => Object.assign({}, bases[i % bases.length]!, ...vs) as FlowRecord),
      ]),
  );
});
