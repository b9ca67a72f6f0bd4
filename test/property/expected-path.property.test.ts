/**
 * Issue 18 §1: one reader of an environment. For random environments and subnets, the VPC path
 * `inspect-url` expects for a regional URL equals what flow classification says of a record from
 * that subnet to each S3 address the name can resolve to, when the route decides (no
 * `traffic-path`). Route tables mix CIDR routes inside, equal to and around the S3 blocks, S3 and
 * customer prefix lists, an unresolvable prefix list, listed and unlisted `vpce-` targets, NAT,
 * internet and transit gateways, peering and appliances.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyFlowRecord } from '../../shared/classify/flow.js';
import type { PathKind } from '../../shared/classify/types.js';
import { inspectUrl } from '../../shared/endpoints/inspect.js';
import { environmentIndexOf } from '../../shared/env/environment-index.js';
import type { Environment, Route, RouteTable } from '../../shared/env/types.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';

const NOW = new Date('2026-01-15T10:00:00Z');
const URL_REGIONAL =
  'https://my-bucket.s3.us-east-1.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260115T095900Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=0000';

const S3_GW = 'vpce-0a0a0a0a0a0a0a0a0';
const GLB = 'vpce-0b0b0b0b0b0b0b0b0';
const DDB_GW = 'vpce-0d0d0d0d0d0d0d0d0';
const NAT = 'nat-0a1b2c3d4e5f60718';
const TARGETS = [
  NAT,
  'igw-0a1b2c3d',
  'eigw-0a1b2c3d',
  'tgw-0a1b2c3d',
  'pcx-0a1b2c3d',
  'eni-0a1b2c3d',
  S3_GW,
  GLB,
  DDB_GW,
];

const text = (v: number) => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
const mask = (len: number) => (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0);
const cidr = (v: number, len: number) => `${text((v & mask(len)) >>> 0)}/${len}`;
const toNum = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);

/** An S3 block per distinct first octet, so the Region's list has no overlaps (as AWS publishes it). */
const s3Blocks = fc
  .uniqueArray(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 4 })
  .chain((octets) =>
    fc.tuple(
      ...octets.map((o) =>
        fc
          .record({ base: fc.integer({ min: 0, max: 0xffffff }), len: fc.integer({ min: 10, max: 22 }) })
          .map(({ base, len }) => ({ v: (((40 + o * 3) << 24) | base) >>> 0, len })),
      ),
    ),
  );

type Block = { v: number; len: number };

/** A block placed relative to an S3 block: inside it (more specific), equal to it, or around it. */
const relativeBlock = (blocks: readonly Block[]) =>
  fc
    .record({
      i: fc.integer({ min: 0, max: blocks.length - 1 }),
      delta: fc.integer({ min: -4, max: 10 }),
      offset: fc.integer({ min: 0, max: 0xffffffff }),
    })
    .map(({ i, delta, offset }) => {
      const b = blocks[i]!;
      const len = Math.max(1, Math.min(32, b.len + delta));
      const v = len > b.len ? (b.v | (offset & ~mask(b.len))) >>> 0 : b.v;
      return cidr(v, len);
    });

const anyBlock = (blocks: readonly Block[]) =>
  fc.oneof(
    { arbitrary: relativeBlock(blocks), weight: 4 },
    fc
      .record({ v: fc.integer({ min: 0, max: 0xffffffff }), len: fc.integer({ min: 4, max: 28 }) })
      .map(({ v, len }) => cidr(v, len)),
  );

const target = fc.constantFrom(...TARGETS);

const table = (blocks: readonly Block[], id: string) =>
  fc
    .record({
      s3Route: fc.option(fc.constantFrom(S3_GW, S3_GW, GLB, NAT), { freq: 5 }),
      defaultRoute: fc.option(fc.constantFrom(NAT, 'igw-0a1b2c3d', 'tgw-0a1b2c3d'), { freq: 5 }),
      cidrRoutes: fc.array(fc.tuple(anyBlock(blocks), target), { maxLength: 4 }),
      customerRoutes: fc.subarray(['pl-0c0c0c0c0c0c0c0c1', 'pl-0c0c0c0c0c0c0c0c2', 'pl-0e0e0e0e0e0e0e0e0']),
      customerTargets: fc.array(target, { minLength: 3, maxLength: 3 }),
      ddbRoute: fc.boolean(),
    })
    .map((t): RouteTable => {
      const routes: Route[] = [{ destination: '10.0.0.0/16', target: 'local' }];
      if (t.s3Route !== null) routes.push({ destination: 'pl-63a5400a', target: t.s3Route });
      if (t.defaultRoute !== null) routes.push({ destination: '0.0.0.0/0', target: t.defaultRoute });
      if (t.ddbRoute) routes.push({ destination: 'pl-02cd2c6b', target: DDB_GW });
      t.customerRoutes.forEach((pl, i) => {
        routes.push({ destination: pl, target: t.customerTargets[i]! });
      });
      // AWS keeps one route per destination.
      for (const [dest, to] of t.cidrRoutes) {
        if (!routes.some((r) => r.destination === dest)) routes.push({ destination: dest, target: to });
      }
      return { routeTableId: id, vpcId: 'vpc-0a1b2c3d', routes };
    });

const environment = s3Blocks.chain((blocks) =>
  fc
    .record({
      tables: fc
        .array(fc.constant(0), { minLength: 1, maxLength: 3 })
        .chain((ts) => fc.tuple(...ts.map((_, i) => table(blocks, `rtb-0${i}${i}${i}${i}${i}${i}${i}${i}`)))),
      customer1: fc.array(anyBlock(blocks), { maxLength: 3 }),
      customer2: fc.array(anyBlock(blocks), { maxLength: 3 }),
      ddb: fc.array(anyBlock(blocks), { maxLength: 2 }),
    })
    .map(
      ({ tables, customer1, customer2, ddb }): Environment => ({
        region: 'us-east-1',
        s3PrefixLists: [
          {
            prefixListId: 'pl-63a5400a',
            name: 'com.amazonaws.us-east-1.s3',
            cidrs: blocks.map((b) => cidr(b.v, b.len)),
          },
        ],
        // pl-0e0e0e0e0e0e0e0e0 is routed but never listed: the index cannot resolve it.
        prefixLists: [
          { prefixListId: 'pl-0c0c0c0c0c0c0c0c1', name: 'customer-one', cidrs: [...new Set(customer1)] },
          { prefixListId: 'pl-0c0c0c0c0c0c0c0c2', name: 'customer-two', cidrs: [...new Set(customer2)] },
          { prefixListId: 'pl-02cd2c6b', name: 'com.amazonaws.us-east-1.dynamodb', cidrs: [...new Set(ddb)] },
        ],
        vpcs: [{ vpcId: 'vpc-0a1b2c3d', cidrs: ['10.0.0.0/16'] }],
        subnets: tables.map((t, i) => ({
          subnetId: `subnet-0${i}${i}${i}${i}${i}${i}${i}${i}`,
          vpcId: 'vpc-0a1b2c3d',
          cidrs: [`10.0.${i}.0/24`],
          routeTableId: t.routeTableId,
        })),
        routeTables: tables,
        gatewayEndpoints: [
          {
            vpcEndpointId: S3_GW,
            vpcId: 'vpc-0a1b2c3d',
            serviceName: 'com.amazonaws.us-east-1.s3',
            prefixListId: 'pl-63a5400a',
            routeTableIds: tables.map((t) => t.routeTableId),
            ipAddressType: 'ipv4',
          },
          {
            vpcEndpointId: DDB_GW,
            vpcId: 'vpc-0a1b2c3d',
            serviceName: 'com.amazonaws.us-east-1.dynamodb',
            prefixListId: 'pl-02cd2c6b',
            routeTableIds: [],
            ipAddressType: 'ipv4',
          },
        ],
        interfaceEndpoints: [],
        natGateways: [
          {
            natGatewayId: NAT,
            subnetId: 'subnet-0pub',
            eniIds: ['eni-0nat'],
            privateIps: ['10.0.255.10'],
            publicIps: ['198.51.100.7'],
          },
        ],
        networkInterfaces: [],
        onPrem: { cidrs: [], publicEgressIps: [], dnsMode: 'public' },
      }),
    )
    .map((env) => ({ env, blocks })),
);

/** The flow classifier's path for a record from `subnetIndex`'s host to `dst`, egress, no traffic-path. */
function classified(env: Environment, subnetIndex: number, dst: string): PathKind | undefined {
  const subnet = env.subnets[subnetIndex]!;
  const record: FlowRecord = {
    version: 5,
    interfaceId: 'eni-0c11e47',
    srcaddr: `10.0.${subnetIndex}.10`,
    dstaddr: dst,
    srcport: 49152,
    dstport: 443,
    protocol: 6,
    vpcId: subnet.vpcId,
    subnetId: subnet.subnetId,
    flowDirection: 'egress',
    trafficPath: null,
    action: 'ACCEPT',
    logStatus: 'OK',
  };
  return classifyFlowRecord(record, environmentIndexOf(env))?.path;
}

describe('expected VPC path (property)', () => {
  it('equals the classification of a flow record from the subnet to every S3 address the name resolves to', () => {
    fc.assert(
      fc.property(
        environment,
        fc.nat(),
        fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
        ({ env, blocks }, pick, offsets) => {
          const subnetIndex = pick % env.subnets.length;
          const subnetId = env.subnets[subnetIndex]!.subnetId;
          const r = inspectUrl(URL_REGIONAL, { now: NOW, env, subnetId });
          const shares = r.expectedPath.vpcRoutes ?? [];
          expect(shares.length).toBeGreaterThan(0);

          // Every share: its path is what classification says at both ends of each of its pieces.
          for (const s of shares) {
            for (const p of s.pieces) {
              expect(classified(env, subnetIndex, p.first), `${p.first} in ${s.route}`).toBe(s.path);
              expect(classified(env, subnetIndex, p.last), `${p.last} in ${s.route}`).toBe(s.path);
            }
          }
          // Any S3 address lies in exactly one share's pieces, whose path classification gives it.
          const pieceOf = (ip: string) =>
            shares.flatMap((s) =>
              s.pieces.filter((p) => toNum(p.first) <= toNum(ip) && toNum(ip) <= toNum(p.last)).map(() => s),
            );
          for (const [k, b] of blocks.entries()) {
            const size = 2 ** (32 - b.len);
            const inside = text((b.v & mask(b.len)) + ((offsets[k] ?? 0) % size));
            for (const ip of [text(b.v & mask(b.len)), text((b.v & mask(b.len)) + size - 1), inside]) {
              const owners = pieceOf(ip);
              expect(owners, ip).toHaveLength(1);
              expect(classified(env, subnetIndex, ip), ip).toBe(owners[0]!.path);
            }
          }
          // The URL's path: the one path of every S3 address, else unknown (the DNS answer decides).
          const paths = new Set(shares.map((s) => s.path));
          expect(r.expectedPath.vpc).toBe(paths.size === 1 ? [...paths][0] : 'unknown');
          // Never private while some S3 address leaves the endpoint path, and then it says so.
          const leaves = shares.some((s) => s.path === 'nat-gateway' || s.path === 'internet-gateway');
          if (leaves) {
            expect(r.expectedPath.vpc).not.toBe('gateway-endpoint');
            expect(r.findings.map((f) => f.code)).toContain('VPC_NOT_PRIVATE');
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
