import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import {
  classifyAccessLogRecord,
  classifyCloudTrailRecord,
  classifyFlowRecord,
  isPrivatePath,
  PATH_KINDS,
  type PathDecision,
} from '../../shared/classify/index.js';
import type { CloudTrailRecord } from '../../shared/cloudtrail/types.js';
import { buildEnvironmentIndex } from '../../shared/env/environment-index.js';
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
