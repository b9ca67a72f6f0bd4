import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import {
  ACCESS_RULES,
  classifyAccessLogRecord,
  classifyCloudTrailRecord,
  classifyFlowRecord,
  isPrivatePath,
  PATH_KINDS,
  type PathDecision,
} from '../../shared/classify/index.js';
import type { CloudTrailRecord } from '../../shared/cloudtrail/types.js';
import { buildEnvironmentIndex, type EnvironmentIndex } from '../../shared/env/environment-index.js';
import type { Environment } from '../../shared/env/types.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { addressScope, IpAddress } from '../../shared/net/ip.js';

const env = JSON.parse(
  readFileSync(new URL('../fixtures/env/example-env.json', import.meta.url), 'utf8'),
) as Environment;
// A route the index cannot resolve and a vpce target that is not a gateway endpoint, so the
// random records also reach those branches.
env.routeTables[2]!.routes.push({ destination: '54.231.0.0/17', target: 'vpce-0a11b22c33d44e55f' });
env.routeTables[3]!.routes.push({ destination: 'pl-0f0e0d0c0b0a09080', target: 'tgw-0f1e2d3c4b5a69788' });
const idx = buildEnvironmentIndex(env);

// Addresses that hit every set of the environment, plus random and malformed ones.
const known = [
  '10.0.1.15',
  '10.0.2.40',
  '10.0.3.24',
  '10.0.3.77',
  '10.0.0.201',
  '10.0.4.33',
  '203.0.113.25',
  '198.51.100.7',
  '192.168.40.7',
  '52.216.10.20',
  '52.217.96.14',
  '54.231.3.3',
  '3.5.1.1',
  '2600:1fa0:8001::5',
  '2600:1f18:4a3b:9c01::15',
  '::ffff:52.217.1.1',
  '127.0.0.1',
  'fe80::1',
];
const address = fc.oneof(
  { arbitrary: fc.constantFrom(...known), weight: 6 },
  fc.ipV4(),
  fc.ipV6(),
  fc.string({ maxLength: 12 }),
  fc.constant(null),
  fc.constant(undefined),
  fc.integer() as fc.Arbitrary<unknown> as fc.Arbitrary<string>,
);
const id = (...ids: string[]) =>
  fc.oneof(fc.constantFrom(...ids), fc.string({ maxLength: 8 }), fc.constant(null));

const flowRecord: fc.Arbitrary<FlowRecord> = fc.record(
  {
    version: fc.constantFrom(2, 5, null),
    interfaceId: id('eni-04a1b2c3d4e5f6a7b', 'eni-0b6e1f2a3c4d5e6f7', 'eni-0c8d7e6f5a4b3c2d1'),
    srcaddr: address,
    dstaddr: address,
    pktSrcaddr: address,
    pktDstaddr: address,
    subnetId: id(...env.subnets.map((s) => s.subnetId)),
    vpcId: id('vpc-0e1bfdbc090daa61a'),
    trafficPath: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.constant(null)) as fc.Arbitrary<number | null>,
    flowDirection: fc.constantFrom('ingress', 'egress', null),
    pktDstAwsService: fc.constantFrom('S3', 'AMAZON', null),
    logStatus: fc.constantFrom('OK', 'NODATA', 'SKIPDATA'),
  },
  { requiredKeys: [] },
);

const nullable = (a: fc.Arbitrary<string>) => fc.oneof(a, fc.constant(null));
const accessRecord: fc.Arbitrary<AccessLogRecord> = fc
  .record({
    remoteIp: address,
    hostHeader: nullable(
      fc.constantFrom(
        'b.s3.us-east-1.amazonaws.com',
        'b.bucket.vpce-0fe5b17a0707d6abc-29p5708s.s3.us-east-1.vpce.amazonaws.com',
        'b.bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com',
        'vpce-04d1c9a7e2b3f5a68-k2j4h6g8.ssm.us-east-1.vpce.amazonaws.com',
        '',
      ),
    ),
  })
  .map((r) => ({ ...emptyAccess(), remoteIp: r.remoteIp ?? null, hostHeader: r.hostHeader }));

const cloudTrailRecord: fc.Arbitrary<CloudTrailRecord> = fc
  .record({
    vpcEndpointId: id('vpce-0195956f54d54c70a', 'vpce-0fe5b17a0707d6abc', 'vpce-0aaaabbbbccccdddd', ''),
    sourceIPAddress: fc.oneof(address, fc.constantFrom('s3.amazonaws.com', 'AWS Internal')),
  })
  .map((r) => ({
    ...emptyCloudTrail(),
    vpcEndpointId: r.vpcEndpointId,
    sourceIPAddress: r.sourceIPAddress ?? null,
  }));

function emptyAccess(): AccessLogRecord {
  const keys = [
    'bucketOwner',
    'bucket',
    'time',
    'remoteIp',
    'requester',
    'requestId',
    'operation',
    'key',
    'requestUri',
    'httpStatus',
    'errorCode',
    'bytesSent',
    'objectSize',
    'totalTime',
    'turnAroundTime',
    'referer',
    'userAgent',
    'versionId',
    'hostId',
    'signatureVersion',
    'cipherSuite',
    'authenticationType',
    'hostHeader',
    'tlsVersion',
    'accessPointArn',
    'aclRequired',
  ];
  return { ...Object.fromEntries(keys.map((k) => [k, null])), extra: [] } as unknown as AccessLogRecord;
}

function emptyCloudTrail(): CloudTrailRecord {
  const keys = [
    'eventTime',
    'eventSource',
    'eventName',
    'eventCategory',
    'awsRegion',
    'sourceIPAddress',
    'vpcEndpointId',
    'vpcEndpointAccountId',
    'bucketName',
    'key',
    'host',
    'authenticationMethod',
    'signatureVersion',
    'requestId',
    'hostId',
    'eventId',
    'userAgent',
    'errorCode',
  ];
  return Object.fromEntries(keys.map((k) => [k, null])) as unknown as CloudTrailRecord;
}

function wellFormed(d: PathDecision): void {
  expect(PATH_KINDS).toContain(d.path);
  expect(d.private).toBe(isPrivatePath(d.path));
  expect(d.rule).toMatch(/^(FLOW|ACCESS|CLOUDTRAIL)_[A-Z0-9_]+$/);
  expect(d.reason.startsWith(`${d.rule}: `)).toBe(true);
  expect(d.reason).not.toMatch(/[\r\n]/);
}

describe('classification properties', () => {
  it('flow: total, well-formed and deterministic on random records', () => {
    fc.assert(
      fc.property(flowRecord, flowRecord, (r, other) => {
        const first = classifyFlowRecord(r, idx);
        // Another record in between must not leak state into the next answer.
        classifyFlowRecord(other, idx);
        const again = classifyFlowRecord(structuredClone(r), idx);
        expect(again).toEqual(first);
        if (first === null) {
          expect((r.pktSrcaddr ?? r.srcaddr) == null || (r.pktDstaddr ?? r.dstaddr) == null).toBe(true);
          return;
        }
        wellFormed(first);
      }),
      { numRuns: 3000 },
    );
  });

  it('flow: a private verdict always rests on positive evidence', () => {
    fc.assert(
      fc.property(flowRecord, (r) => {
        const d = classifyFlowRecord(r, idx);
        if (d === null || d.private !== true) return;
        const s = r.pktSrcaddr ?? r.srcaddr;
        const t = r.pktDstaddr ?? r.dstaddr;
        if (d.path === 'interface-endpoint') {
          expect(idx.s3InterfaceEndpointIps.has(String(s)) || idx.s3InterfaceEndpointIps.has(String(t))).toBe(
            true,
          );
          return;
        }
        expect(d.path).toBe('gateway-endpoint');
        if (r.trafficPath === 7) return;
        // Otherwise the route table the reason names must be the record's subnet's (when the
        // record names one) and route the S3 address to a listed gateway endpoint, with nothing
        // unresolved in it.
        const table = /: (rtb-\S+) routes /.exec(d.reason)?.[1];
        expect(table).toBeDefined();
        if (typeof r.subnetId === 'string') expect(idx.subnets.get(r.subnetId)?.routeTableId).toBe(table);
        const s3 = [String(s), String(t)].find((a) => idx.s3PrefixListCidrs.has(a));
        const route = idx.resolveRouteInTable(table!, s3!);
        expect(route?.targetKind).toBe('gateway-endpoint');
        expect(route?.unresolved).toEqual([]);
        // Only traffic-path 2 or none is consistent with a gateway-endpoint route.
        expect(r.trafficPath == null || r.trafficPath === 2).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('access log: total, well-formed and deterministic on random records', () => {
    fc.assert(
      fc.property(accessRecord, accessRecord, (r, other) => {
        const first = classifyAccessLogRecord(r, idx);
        classifyAccessLogRecord(other, idx);
        expect(classifyAccessLogRecord(structuredClone(r), idx)).toEqual(first);
        wellFormed(first);
        // A private verdict needs an address S3 can only have seen through an endpoint: a private
        // range or a VPC IPv4 address, and never a known NAT or corporate egress address, whatever
        // the Host header says.
        if (first.private === true) {
          const a = new IpAddress();
          expect(a.parse(String(r.remoteIp))).toBe(true);
          const facts = idx.addressFacts.get(a);
          expect(addressScope(a) === 'private' || (a.family === 4 && facts?.vpc !== undefined)).toBe(true);
          expect(facts?.natPublic).toBeUndefined();
          expect(facts?.onPremEgress).toBeUndefined();
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('CloudTrail: total, well-formed and deterministic; private only with an endpoint id', () => {
    fc.assert(
      fc.property(cloudTrailRecord, cloudTrailRecord, (r, other) => {
        const first = classifyCloudTrailRecord(r, idx);
        classifyCloudTrailRecord(other, idx);
        expect(classifyCloudTrailRecord(structuredClone(r), idx)).toEqual(first);
        wellFormed(first);
        if (first.private === true) expect(r.vpcEndpointId).toBeTruthy();
      }),
      { numRuns: 2000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Random environments (issue 10): overlapping VPCs, endpoint addresses reused across VPCs and
// services, customer and other services' prefix lists, association lists that disagree with the
// routes, gateway endpoints of every IP address type, IPv6. The rules must hold for all of them.

const S3_LIST = {
  prefixListId: 'pl-63a5400a',
  name: 'com.amazonaws.us-east-1.s3',
  cidrs: ['52.216.0.0/15', '2600:1fa0:8000::/39'],
};
const CUSTOMER_LIST = { prefixListId: 'pl-0c0c0c0c0c0c0c0c0', name: 'corp-egress', cidrs: ['52.216.8.0/24'] };
const DYNAMO_LIST = {
  prefixListId: 'pl-02cd2c6b',
  name: 'com.amazonaws.us-east-1.dynamodb',
  cidrs: ['3.218.180.0/22'],
};
const VPC_BLOCKS: Readonly<Record<string, string>> = {
  '10.0.0.0/16': '10.0.3.0/24',
  '10.0.0.0/8': '10.0.3.0/24',
  '10.1.0.0/16': '10.1.3.0/24',
  '172.16.0.0/16': '172.16.3.0/24',
};
const ENDPOINT_IPS = ['10.0.3.24', '10.1.3.24', '172.16.3.24'];
const RANDOM_ADDRESSES = [
  ...ENDPOINT_IPS,
  '10.0.3.9',
  '10.1.3.9',
  '10.0.3.201',
  '52.216.8.100',
  '52.217.1.1',
  '2600:1fa0:8001::5',
  '2600:1f18:4a3b:9c00::5',
  '192.168.40.7',
  '3.218.180.5',
  '8.8.8.8',
  '203.0.113.25',
];

interface VpcPlan {
  block: string;
  ipv6: boolean;
  defaultTarget: 'igw' | 'nat' | 'gwlb' | 'tgw' | null;
  s3Route: 'own' | 'other-vpc' | 'cidr' | null;
  customerRoute: 'nat' | 'igw' | null;
  s3Gateway: boolean;
  ipType: 'ipv4' | 'dualstack' | 'ipv6';
  associations: number[];
  s3Interface: number | null;
  otherInterface: number | null;
  dynamo: boolean;
}

const vpcPlan: fc.Arbitrary<VpcPlan> = fc.record({
  block: fc.constantFrom(...Object.keys(VPC_BLOCKS)),
  ipv6: fc.boolean(),
  defaultTarget: fc.constantFrom('igw', 'nat', 'gwlb', 'tgw', null),
  s3Route: fc.constantFrom('own', 'own', 'other-vpc', 'cidr', null),
  customerRoute: fc.constantFrom('nat', 'igw', null),
  s3Gateway: fc.boolean(),
  ipType: fc.constantFrom('ipv4', 'dualstack', 'ipv6'),
  associations: fc.array(fc.nat(3), { maxLength: 3 }),
  s3Interface: fc.option(fc.nat(ENDPOINT_IPS.length - 1), { nil: null }),
  otherInterface: fc.option(fc.nat(ENDPOINT_IPS.length - 1), { nil: null }),
  dynamo: fc.boolean(),
});

const hex = (n: number, width = 17) => n.toString(16).padStart(width, '0');

function buildRandomEnvironment(plans: readonly VpcPlan[], onPrem: readonly string[]): Environment {
  const e: Environment = {
    region: 'us-east-1',
    s3PrefixLists: [S3_LIST],
    prefixLists: [CUSTOMER_LIST, DYNAMO_LIST],
    vpcs: [],
    subnets: [],
    routeTables: [],
    gatewayEndpoints: [],
    interfaceEndpoints: [],
    natGateways: [],
    networkInterfaces: [],
    onPrem: { cidrs: [...onPrem], publicEgressIps: ['198.51.100.7'], dnsMode: 'public' },
  };
  plans.forEach((p, i) => {
    const vpcId = `vpc-${hex(i + 1)}`;
    const subnetId = `subnet-${hex(i + 1)}`;
    const tableId = `rtb-${hex(i + 1)}`;
    const gw = `vpce-${hex(0x100 + i)}`;
    e.vpcs.push({ vpcId, cidrs: p.ipv6 ? [p.block, '2600:1f18:4a3b:9c00::/56'] : [p.block] });
    e.subnets.push({
      subnetId,
      vpcId,
      cidrs: p.ipv6 ? [VPC_BLOCKS[p.block]!, '2600:1f18:4a3b:9c00::/64'] : [VPC_BLOCKS[p.block]!],
      routeTableId: tableId,
    });
    e.networkInterfaces.push({
      eniId: `eni-${hex(i + 1)}`,
      subnetId,
      privateIps: [`${VPC_BLOCKS[p.block]!.slice(0, -4)}9`],
    });
    const routes = [{ destination: p.block, target: 'local' }];
    const targets = {
      igw: `igw-${hex(i + 1)}`,
      nat: 'nat-0800e2073dbe1ee03',
      gwlb: `vpce-${hex(0x200 + i)}`,
      tgw: 'tgw-0f1e2d3c4b5a69788',
    };
    if (p.defaultTarget !== null) routes.push({ destination: '0.0.0.0/0', target: targets[p.defaultTarget] });
    if (p.ipv6) routes.push({ destination: '::/0', target: `eigw-${hex(i + 1)}` });
    if (p.s3Route === 'own') routes.push({ destination: S3_LIST.prefixListId, target: gw });
    if (p.s3Route === 'other-vpc')
      routes.push({
        destination: S3_LIST.prefixListId,
        target: `vpce-${hex(0x100 + ((i + 1) % plans.length))}`,
      });
    if (p.s3Route === 'cidr') routes.push({ destination: '52.216.0.0/15', target: gw });
    if (p.customerRoute !== null)
      routes.push({ destination: CUSTOMER_LIST.prefixListId, target: targets[p.customerRoute] });
    if (p.dynamo) routes.push({ destination: DYNAMO_LIST.prefixListId, target: `vpce-${hex(0x300 + i)}` });
    e.routeTables.push({ routeTableId: tableId, vpcId, routes });
    if (p.s3Gateway) {
      e.gatewayEndpoints.push({
        vpcEndpointId: gw,
        vpcId,
        serviceName: S3_LIST.name,
        prefixListId: S3_LIST.prefixListId,
        // The association list, deliberately unrelated to the routes.
        routeTableIds: [...new Set(p.associations.map((a) => `rtb-${hex((a % plans.length) + 1)}`))],
        ipAddressType: p.ipType,
      });
    }
    if (p.dynamo) {
      e.gatewayEndpoints.push({
        vpcEndpointId: `vpce-${hex(0x300 + i)}`,
        vpcId,
        serviceName: DYNAMO_LIST.name,
        prefixListId: DYNAMO_LIST.prefixListId,
        routeTableIds: [tableId],
        ipAddressType: 'ipv4',
      });
    }
    if (p.s3Interface !== null) {
      e.interfaceEndpoints.push({
        vpcEndpointId: `vpce-${hex(0x400 + i)}`,
        vpcId,
        serviceName: S3_LIST.name,
        ips: [ENDPOINT_IPS[p.s3Interface]!],
        dnsNames: [],
        privateDns: 'off',
      });
    }
    if (p.otherInterface !== null) {
      e.interfaceEndpoints.push({
        vpcEndpointId: `vpce-${hex(0x500 + i)}`,
        vpcId,
        serviceName: i % 2 === 0 ? 'com.amazonaws.us-east-1.ssm' : 'com.amazonaws.us-east-1.sts',
        ips: [ENDPOINT_IPS[p.otherInterface]!],
        dnsNames: [],
        privateDns: 'on',
      });
    }
  });
  e.natGateways.push({
    natGatewayId: 'nat-0800e2073dbe1ee03',
    subnetId: e.subnets[0]!.subnetId,
    eniIds: ['eni-0b6e1f2a3c4d5e6f7'],
    privateIps: ['10.0.3.201'],
    publicIps: ['203.0.113.25'],
  });
  return e;
}

const randomEnvironment = fc
  .tuple(
    fc.array(vpcPlan, { minLength: 1, maxLength: 3 }),
    fc.subarray(['192.168.0.0/16', '10.0.0.0/8', '172.16.0.0/12']),
  )
  .map(([plans, onPrem]) => buildRandomEnvironment(plans, onPrem));

const pick = (...xs: (string | null)[]) => fc.constantFrom(...xs);
const randomFlow: fc.Arbitrary<FlowRecord> = fc.record({
  srcaddr: fc.constantFrom(...RANDOM_ADDRESSES),
  dstaddr: fc.constantFrom(...RANDOM_ADDRESSES),
  pktSrcaddr: fc.constantFrom(...RANDOM_ADDRESSES, null),
  pktDstaddr: fc.constantFrom(...RANDOM_ADDRESSES, null),
  vpcId: pick(`vpc-${hex(1)}`, `vpc-${hex(2)}`, `vpc-${hex(3)}`, 'vpc-0ffffffffffffffff', null),
  subnetId: pick(
    `subnet-${hex(1)}`,
    `subnet-${hex(2)}`,
    `subnet-${hex(3)}`,
    'subnet-0ffffffffffffffff',
    null,
  ),
  interfaceId: pick(`eni-${hex(1)}`, `eni-${hex(2)}`, 'eni-0b6e1f2a3c4d5e6f7', 'eni-0ffffffffffffffff', null),
  trafficPath: fc.constantFrom(1, 2, 3, 7, 8, null),
  flowDirection: pick('egress', 'ingress', null),
  pktDstAwsService: pick('S3', 'AMAZON', null),
});

/** The VPCs a flow record names: its vpc-id, its subnet's VPC, its interface's VPC. */
function namedVpcs(r: FlowRecord, i: EnvironmentIndex): string[] {
  const out: string[] = [];
  if (typeof r.vpcId === 'string') out.push(r.vpcId);
  if (typeof r.subnetId === 'string') {
    const s = i.subnets.get(r.subnetId);
    if (s) out.push(s.vpcId);
  }
  if (typeof r.interfaceId === 'string') {
    const s = i.subnetByEni.get(r.interfaceId);
    if (s) out.push(s.vpcId);
  }
  return out;
}

describe('classification properties over random environments', () => {
  const runs = {
    numRuns: 300,
    ...(process.env.PATHGUARD_SEED ? { seed: Number(process.env.PATHGUARD_SEED) } : {}),
  };

  it("flow: traffic-path 8, an S3 local address, or a VPC other than the endpoint's is never private", () => {
    fc.assert(
      fc.property(
        randomEnvironment,
        fc.array(randomFlow, { minLength: 1, maxLength: 12 }),
        (env, records) => {
          const i = buildEnvironmentIndex(env);
          for (const r of records) {
            const d = classifyFlowRecord(r, i);
            if (d === null) continue;
            wellFormed(d);
            if (d.private !== true) continue;
            expect(r.trafficPath).not.toBe(8);
            const dir = r.flowDirection;
            if (dir === 'egress') expect(i.s3PrefixListCidrs.has(String(r.srcaddr))).toBe(false);
            if (dir === 'ingress') expect(i.s3PrefixListCidrs.has(String(r.dstaddr))).toBe(false);
            const named = namedVpcs(r, i);
            const s = String(r.pktSrcaddr ?? r.srcaddr);
            const t = String(r.pktDstaddr ?? r.dstaddr);
            if (d.path === 'interface-endpoint') {
              // An S3 endpoint (never another service's) of the VPC the record names, a private peer.
              const endpoints = [...i.s3InterfaceEndpointsAt(s), ...i.s3InterfaceEndpointsAt(t)];
              expect(endpoints.some((e) => named.every((v) => v === e.vpcId))).toBe(true);
              expect(i.s3PrefixListCidrs.has(s) && i.s3PrefixListCidrs.has(t)).toBe(false);
              expect([2, 7, 8]).not.toContain(r.trafficPath);
              continue;
            }
            expect(d.path).toBe('gateway-endpoint');
            if (d.rule === 'FLOW_TRAFFIC_PATH_7') {
              expect(r.trafficPath).toBe(7);
              continue;
            }
            // By route: the endpoint the reason names is an S3 one of every named VPC, reached
            // through its own prefix list, serving the S3 address's family.
            const id = /to (vpce-[0-9a-f]+), a gateway endpoint(;|$)/.exec(d.reason)?.[1];
            const gw = id === undefined ? undefined : i.gatewayEndpoints.get(id);
            expect(gw?.serviceName).toBe(S3_LIST.name);
            expect(named.every((v) => v === gw!.vpcId)).toBe(true);
            expect(d.reason).toContain(`routes ${gw!.prefixListId} (`);
            const s3 = i.s3PrefixListCidrs.has(t) ? t : s;
            if (s3.includes(':')) expect(gw!.ipAddressType).not.toBe('ipv4');
            else expect(gw!.ipAddressType).not.toBe('ipv6');
            expect([null, undefined, 2]).toContain(r.trafficPath);
          }
        },
      ),
      runs,
    );
  });

  it('flow: only S3 prefix lists make S3 traffic; a record placed nowhere is never private by route', () => {
    fc.assert(
      fc.property(
        randomEnvironment,
        fc.array(randomFlow, { minLength: 1, maxLength: 12 }),
        (env, records) => {
          const i = buildEnvironmentIndex(env);
          for (const r of records) {
            const d = classifyFlowRecord(r, i);
            if (d === null) continue;
            const s = String(r.pktSrcaddr ?? r.srcaddr);
            const t = String(r.pktDstaddr ?? r.dstaddr);
            if (!i.s3PrefixListCidrs.has(s) && !i.s3PrefixListCidrs.has(t)) {
              // Customer and DynamoDB lists resolve routes only.
              expect(['not-s3', 'interface-endpoint', 'unknown']).toContain(d.path);
            }
            const placed =
              typeof r.vpcId === 'string' ||
              typeof r.subnetId === 'string' ||
              (typeof r.interfaceId === 'string' && i.subnetByEni.has(r.interfaceId));
            if (!placed && d.rule === 'FLOW_ROUTE_TABLE') {
              // Found by its local address: exactly one subnet of the environment holds it.
              const local = /\(by local address (\S+)\)/.exec(d.reason)?.[1];
              expect(local).toBeDefined();
              expect(i.subnetsForAddress(local!)).toHaveLength(1);
            }
          }
        },
      ),
      runs,
    );
  });

  it("pkt-dst-aws-service, other services' interface endpoints and association lists never change a decision", () => {
    fc.assert(
      fc.property(randomEnvironment, fc.array(randomFlow, { minLength: 1, maxLength: 8 }), (env, records) => {
        const i = buildEnvironmentIndex(env);
        const withoutOthers = structuredClone(env);
        withoutOthers.interfaceEndpoints = withoutOthers.interfaceEndpoints.filter(
          (e) => e.serviceName === S3_LIST.name,
        );
        for (const g of withoutOthers.gatewayEndpoints) g.routeTableIds = [];
        const j = buildEnvironmentIndex(withoutOthers);
        for (const r of records) {
          const d = classifyFlowRecord(r, i);
          expect(
            classifyFlowRecord({ ...r, pktDstAwsService: r.pktDstAwsService === 'S3' ? null : 'S3' }, i),
          ).toEqual(d);
          expect(classifyFlowRecord(r, j)).toEqual(d);
          const access = { ...emptyAccess(), remoteIp: String(r.srcaddr) };
          expect(classifyAccessLogRecord(access, j)).toEqual(classifyAccessLogRecord(access, i));
        }
      }),
      runs,
    );
  });

  it('access log: a VPC IPv4 address is never labelled on-prem, and overlapping VPCs are never picked from', () => {
    fc.assert(
      fc.property(randomEnvironment, fc.constantFrom(...RANDOM_ADDRESSES), (env, ip) => {
        const i = buildEnvironmentIndex(env);
        const d = classifyAccessLogRecord({ ...emptyAccess(), remoteIp: ip }, i);
        wellFormed(d);
        const vpcs = i.vpcsForAddress(ip);
        const known = i.natPublicIps.has(ip) || i.onPremEgress.has(ip);
        if (!ip.includes(':') && vpcs.length > 0 && !known) {
          expect(d.rule).toBe(ACCESS_RULES.PRIVATE_ADDRESS);
          expect(d.path).toBe('vpc-endpoint');
          if (vpcs.length > 1) expect(d.reason).toContain(`in ${vpcs.length} overlapping VPCs`);
        }
      }),
      runs,
    );
  });

  it("CloudTrail: other services' endpoints, NAT sources and sources a gateway endpoint cannot serve are never private", () => {
    fc.assert(
      fc.property(randomEnvironment, fc.constantFrom(...RANDOM_ADDRESSES), fc.nat(20), (env, src, n) => {
        const i = buildEnvironmentIndex(env);
        const ids = [...i.gatewayEndpoints.keys(), ...i.interfaceEndpoints.keys(), 'vpce-0aaaabbbbccccdddd'];
        const vpcEndpointId = ids[n % ids.length]!;
        const d = classifyCloudTrailRecord({ ...emptyCloudTrail(), vpcEndpointId, sourceIPAddress: src }, i);
        wellFormed(d);
        if (d.private !== true) return;
        expect(i.natPublicIps.has(src)).toBe(false);
        const gw = i.gatewayEndpoints.get(vpcEndpointId);
        const ie = i.interfaceEndpoints.get(vpcEndpointId);
        const service = gw?.serviceName ?? ie?.serviceName;
        if (service !== undefined) expect(service).toBe(S3_LIST.name);
        if (gw !== undefined) {
          expect(i.vpcsForAddress(src).map((v) => v.vpcId)).toContain(gw.vpcId);
          expect(gw.ipAddressType).not.toBe(src.includes(':') ? 'ipv4' : 'ipv6');
        }
      }),
      runs,
    );
  });
});
