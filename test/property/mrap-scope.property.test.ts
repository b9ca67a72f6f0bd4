/**
 * Issue 13 §3: Multi-Region Access Point names are private only through a
 * `com.amazonaws.s3-global.accesspoint` interface endpoint, and that endpoint carries nothing
 * else (aws-facts §4 H10, §5.3). Over random topologies (two VPCs, subnets with S3 gateway,
 * NAT, internet and no default routes, Regional and global access-point interface endpoints in
 * either VPC with any private-DNS mode, either on-prem DNS mode), no vantage is judged private
 * wrongly: not the expected path of an MRAP name or of a Regional name, not a flow record of the
 * probe's traffic to an endpoint of the other kind, not the early verdict from the address the
 * runner connected to.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bindEnvironment } from '../../shared/analyzer/environment-ports.js';
import { classifyFlowRecord } from '../../shared/classify/flow.js';
import { hostScopeOf, MRAP_ENDPOINT_SERVICE } from '../../shared/classify/host-scope.js';
import { isPrivatePath } from '../../shared/classify/types.js';
import { judgeOnPremPath, judgeVpcPath, type PathTarget } from '../../shared/endpoints/expected-path.js';
import { parseS3Hostname } from '../../shared/endpoints/hostname.js';
import { environmentIndexOf } from '../../shared/env/environment-index.js';
import type { Environment, InterfaceEndpoint, RouteTable } from '../../shared/env/types.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { earlyVerdict } from '../../shared/probes/early-verdict.js';
import type { Observation, Probe } from '../../shared/probes/types.js';

const deep = process.env.PATHGUARD_DEEP === '1';
const RUNS = deep ? 2000 : 200;
const REGION = 'us-east-1';
const REGIONAL_SERVICE = `com.amazonaws.${REGION}.s3`;
const S3_GW = 'vpce-0a0a0a0a0a0a0a0a0';
const NAT = 'nat-0a1b2c3d4e5f60718';
const VPCS = ['vpc-0aaaaaaaaaaaaaaaa', 'vpc-0bbbbbbbbbbbbbbbb'] as const;
/** A Global Accelerator address AWS gives MRAP names: outside every Regional S3 prefix list. */
const MRAP_ADDRESS = '76.223.0.10';

const target = (host: string, region: string | null): PathTarget => {
  const h = parseS3Hostname(host);
  return { h, endpointKind: h.endpointKind, region, hostIp: null };
};
const MRAP = target('mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com', null);
const REGIONAL = target(`my-bucket.s3.${REGION}.amazonaws.com`, REGION);

const endpoint = (kind: 'regional' | 'global', i: number) =>
  fc
    .record({
      vpc: fc.integer({ min: 0, max: 1 }),
      privateDns: fc.constantFrom('on', 'off', 'inbound-only' as const),
    })
    .map(({ vpc, privateDns }): InterfaceEndpoint => {
      const id = `vpce-0${kind === 'global' ? 'g' : 'r'}${i}${'0'.repeat(14)}`.slice(0, 22);
      return {
        vpcEndpointId: id,
        vpcId: VPCS[vpc]!,
        serviceName: kind === 'global' ? MRAP_ENDPOINT_SERVICE : REGIONAL_SERVICE,
        ips: [`10.${vpc}.200.${kind === 'global' ? 60 + i : 50 + i}`],
        dnsNames:
          kind === 'regional'
            ? [`*.${id}-abcd1234.s3.${REGION}.vpce.amazonaws.com`]
            : [`${id}-abcd1234.accesspoint.s3-global.vpce.amazonaws.com`],
        privateDns: kind === 'global' && privateDns === 'inbound-only' ? 'on' : privateDns,
      };
    });

const table = (id: string, vpcId: string) =>
  fc
    .record({
      s3: fc.boolean(),
      dflt: fc.option(fc.constantFrom(NAT, 'igw-0a1b2c3d', 'tgw-0a1b2c3d')),
    })
    .map(({ s3, dflt }): RouteTable => {
      const cidr = vpcId === VPCS[0] ? '10.0.0.0/16' : '10.1.0.0/16';
      const routes = [{ destination: cidr, target: 'local' }];
      if (s3) routes.push({ destination: 'pl-63a5400a', target: S3_GW });
      if (dflt !== null) routes.push({ destination: '0.0.0.0/0', target: dflt });
      return { routeTableId: id, vpcId, routes };
    });

const environment = fc
  .record({
    tables: fc.tuple(table('rtb-0a', VPCS[0]), table('rtb-0b', VPCS[0]), table('rtb-0c', VPCS[1])),
    regional: fc
      .array(fc.integer(), { maxLength: 2 })
      .chain((xs) => fc.tuple(...xs.map((_, i) => endpoint('regional', i)))),
    global: fc
      .array(fc.integer(), { maxLength: 2 })
      .chain((xs) => fc.tuple(...xs.map((_, i) => endpoint('global', i)))),
    dnsMode: fc.constantFrom('public', 'inbound-resolver' as const),
  })
  .map(
    ({ tables, regional, global, dnsMode }): Environment => ({
      region: REGION,
      s3PrefixLists: [{ prefixListId: 'pl-63a5400a', name: REGIONAL_SERVICE, cidrs: ['52.216.0.0/15'] }],
      prefixLists: [],
      vpcs: [
        { vpcId: VPCS[0], cidrs: ['10.0.0.0/16'] },
        { vpcId: VPCS[1], cidrs: ['10.1.0.0/16'] },
      ],
      subnets: tables.map((t, i) => ({
        subnetId: `subnet-0${i}${i}${i}${i}${i}${i}${i}${i}`,
        vpcId: t.vpcId,
        cidrs: [t.vpcId === VPCS[0] ? `10.0.${i}.0/24` : `10.1.${i}.0/24`],
        routeTableId: t.routeTableId,
      })),
      routeTables: tables,
      gatewayEndpoints: [
        {
          vpcEndpointId: S3_GW,
          vpcId: VPCS[0],
          serviceName: REGIONAL_SERVICE,
          prefixListId: 'pl-63a5400a',
          routeTableIds: [],
          ipAddressType: 'ipv4',
        },
      ],
      interfaceEndpoints: [...regional, ...global],
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
      onPrem: { cidrs: ['192.168.0.0/16'], publicEgressIps: [], dnsMode },
    }),
  );

const ofService = (env: Environment, service: string) =>
  env.interfaceEndpoints.filter((e) => e.serviceName === service);

/** A flow record of a runner in `subnet` (egress) to `dst`, no traffic-path. */
function flow(env: Environment, subnetIndex: number, dst: string): FlowRecord {
  const s = env.subnets[subnetIndex]!;
  return {
    version: 5,
    srcaddr: `${s.cidrs[0]!.split('.').slice(0, 3).join('.')}.10`,
    dstaddr: dst,
    srcport: 49152,
    dstport: 443,
    protocol: 6,
    vpcId: s.vpcId,
    subnetId: s.subnetId,
    flowDirection: 'egress',
    trafficPath: null,
    action: 'ACCEPT',
    logStatus: 'OK',
  };
}

function probeOf(style: string, subnetId: string | null): Probe {
  return {
    probeId: '01JDQ7ZT0000000000000000P1',
    runId: 'run-1',
    createdAt: '2026-11-25T10:00:00.000Z',
    expiresAt: '2026-11-25T10:15:00.000Z',
    vantage: subnetId ? { id: 'vpc-app', kind: 'vpc', subnetId } : { id: 'onprem-dc1', kind: 'onprem' },
    style,
  } as unknown as Probe;
}
function observed(remoteAddress: string): Observation {
  return {
    probeId: '01JDQ7ZT0000000000000000P1',
    startedAt: '2026-11-25T10:00:01.000Z',
    remoteAddress,
    remotePort: 443,
    status: 200,
  } as unknown as Observation;
}

describe('Multi-Region Access Point host scoping (property)', () => {
  it('expects an MRAP name private only through a global access-point endpoint, and a Regional name never through one', () => {
    fc.assert(
      fc.property(environment, (env) => {
        const idx = environmentIndexOf(env);
        for (const s of env.subnets) {
          const mrap = judgeVpcPath(idx, MRAP, s.subnetId);
          const global = ofService(env, MRAP_ENDPOINT_SERVICE).filter(
            (e) => e.vpcId === s.vpcId && e.privateDns === 'on',
          );
          expect(mrap.path === 'interface-endpoint', mrap.reason).toBe(global.length > 0);
          expect(mrap.path).not.toBe('gateway-endpoint');
          if (global.length === 0) expect(isPrivatePath(mrap.path), mrap.reason).not.toBe(true);
          const regional = judgeVpcPath(idx, REGIONAL, s.subnetId);
          if (regional.path === 'interface-endpoint')
            expect(regional.reason).toMatch(
              new RegExp(
                ofService(env, REGIONAL_SERVICE)
                  .map((e) => e.vpcEndpointId)
                  .join('|') || '^$',
              ),
            );
        }
        const onprem = judgeOnPremPath(idx, MRAP);
        if (isPrivatePath(onprem.path)) {
          expect(env.onPrem.dnsMode).toBe('inbound-resolver');
          expect(ofService(env, MRAP_ENDPOINT_SERVICE).some((e) => e.privateDns !== 'off')).toBe(true);
        }
        const onpremRegional = judgeOnPremPath(idx, REGIONAL);
        if (isPrivatePath(onpremRegional.path))
          expect(ofService(env, REGIONAL_SERVICE).length).toBeGreaterThan(0);
      }),
      { numRuns: RUNS },
    );
  });

  it('never classifies a probe’s flow to an endpoint of the other kind as private, and keeps its own kind’s', () => {
    fc.assert(
      fc.property(environment, fc.nat(), (env, pick) => {
        const idx = environmentIndexOf(env);
        const subnetIndex = pick % env.subnets.length;
        for (const e of env.interfaceEndpoints) {
          const record = flow(env, subnetIndex, e.ips[0]!);
          const own = hostScopeOf(e.serviceName === MRAP_ENDPOINT_SERVICE ? 'mrap' : 'regional');
          const other = hostScopeOf(own.mrap ? 'regional' : 'mrap');
          const wrong = classifyFlowRecord(record, idx, other);
          expect(wrong?.private, wrong?.reason).not.toBe(true);
          expect(classifyFlowRecord(record, idx, own)).toEqual(classifyFlowRecord(record, idx));
        }
        // An MRAP name's addresses are outside the S3 prefix lists: never a gateway endpoint.
        const ga = classifyFlowRecord(flow(env, subnetIndex, MRAP_ADDRESS), idx, hostScopeOf('mrap'));
        expect(ga?.private, ga?.reason).not.toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('never gives an early private verdict for an address of an endpoint of the other kind, or an MRAP address', () => {
    fc.assert(
      fc.property(environment, fc.nat(), fc.boolean(), (env, pick, onprem) => {
        const facts = bindEnvironment(env).facts;
        const subnetId = onprem ? null : env.subnets[pick % env.subnets.length]!.subnetId;
        for (const e of env.interfaceEndpoints) {
          const style = e.serviceName === MRAP_ENDPOINT_SERVICE ? 'regional' : 'mrap';
          const early = earlyVerdict(probeOf(style, subnetId), observed(e.ips[0]!), facts);
          expect(isPrivatePath(early.path ?? 'unknown'), early.reason).not.toBe(true);
          expect(early.verdict).not.toBe('private');
        }
        const ga = earlyVerdict(probeOf('mrap', subnetId), observed(MRAP_ADDRESS), facts);
        expect(ga.verdict, ga.reason).not.toBe('private');
      }),
      { numRuns: RUNS },
    );
  });
});
