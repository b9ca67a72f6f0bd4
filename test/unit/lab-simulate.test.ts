import { describe, expect, it } from 'vitest';
import {
  LAB_FLOW_LOG_FORMAT,
  type LabScenario,
  type LabScenarioInput,
  labIndex,
  loadLabScenario,
  parseLabScenario,
  simulateRequest,
} from '../../functions/lab/network/index.js';
import { classifyFlowRecord } from '../../shared/classify/flow.js';
import { isPrivatePath } from '../../shared/classify/types.js';
import { formatFlowRecord, parseFlowLogText } from '../../shared/flow-logs/index.js';
import { RejectCounter } from '../../shared/text/rejects.js';

const scenarioFile = (name: string) =>
  new URL(`../../functions/lab/scenarios/${name}.json`, import.meta.url).pathname;

const BUCKET = 'example-data-bucket';
// Hostnames as @aws-sdk/s3-request-presigner builds them (aws-facts §4, §6.1).
const HOSTS = {
  regional: `${BUCKET}.s3.us-east-1.amazonaws.com`,
  global: `${BUCKET}.s3.amazonaws.com`,
  'interface-endpoint': `${BUCKET}.bucket.vpce-0a1b2c3d4e5f67890-abcdefgh.s3.us-east-1.vpce.amazonaws.com`,
  accelerate: `${BUCKET}.s3-accelerate.amazonaws.com`,
} as const;

/** A scenario edited as a document (defaults unfilled), validated again. */
function edit(base: LabScenario, change: (doc: LabScenarioInput) => void): LabScenario {
  const doc = structuredClone(base) as LabScenarioInput;
  change(doc);
  return parseLabScenario(doc, 'edited');
}

/**
 * The flow records of a simulation as the analyzer reads them: written in the lab's format,
 * parsed back, classified with the scenario's environment. Returns each record's path.
 */
function classified(s: LabScenario, records: ReturnType<typeof simulateRequest>['flowRecords']): string[] {
  const text = records.map((r) => formatFlowRecord(r.record, LAB_FLOW_LOG_FORMAT)).join('\n');
  const rejects = new RejectCounter();
  const parsed = parseFlowLogText(text, { format: LAB_FLOW_LOG_FORMAT, rejects });
  expect(rejects.count).toBe(0);
  expect(parsed).toHaveLength(records.length);
  return parsed.map((r) => classifyFlowRecord(r, labIndex(s))?.path ?? 'none');
}

const endpointPaths = (paths: string[]) => paths.filter((p) => isPrivatePath(p as never) === true);

describe('simulateRequest on the default scenario', () => {
  it('answers DNS, traces the path and writes the records and access-log view AWS would', async () => {
    const s = await loadLabScenario(scenarioFile('default'));
    const regional = simulateRequest(s, 'vpc-app', `https://${HOSTS.regional}/k`);
    expect(regional).toMatchObject({
      host: HOSTS.regional,
      dnsAnswers: ['52.216.8.100'],
      address: '52.216.8.100',
      trace: { path: 'gateway-endpoint', delivered: true, private: true },
      accessLog: {
        remoteIp: '10.0.1.77',
        hostHeader: HOSTS.regional,
        vpcEndpointId: 'vpce-0d4d4d4d4d4d4d4d4',
        vpcId: 'vpc-0abcdef0123456789',
      },
    });
    expect(regional.flowRecords.map((r) => [r.eniId, r.record.flowDirection, r.record.trafficPath])).toEqual([
      ['eni-0a7a7a7a7a7a7a7a7', 'egress', 7],
      ['eni-0a7a7a7a7a7a7a7a7', 'ingress', null],
    ]);
    expect(classified(s, regional.flowRecords)).toEqual(['gateway-endpoint', 'gateway-endpoint']);

    const accelerate = simulateRequest(s, 'vpc-app', HOSTS.accelerate);
    expect(accelerate.trace).toMatchObject({ path: 'nat-gateway', private: false });
    expect(accelerate.accessLog?.remoteIp).toBe('198.51.100.7');
    expect(accelerate.accessLog?.vpcEndpointId).toBeNull();

    const onprem = simulateRequest(s, 'onprem-dc1', HOSTS['interface-endpoint']);
    expect(onprem.trace).toMatchObject({ path: 'onprem-private-vif', private: true });
    expect(onprem.accessLog?.remoteIp).toBe('192.168.10.5');
    // Only the endpoint ENI sees it; its replies go back through the virtual private gateway.
    expect(onprem.flowRecords.map((r) => [r.eniId, r.record.srcaddr, r.record.trafficPath])).toEqual([
      ['eni-0b8b8b8b8b8b8b8b8', '192.168.10.5', null],
      ['eni-0b8b8b8b8b8b8b8b8', '10.0.1.200', 3],
    ]);
    // On-prem over the internet never enters a VPC: no flow record at all.
    expect(simulateRequest(s, 'onprem-dc1', HOSTS.regional)).toMatchObject({
      trace: { path: 'onprem-internet', private: false },
      flowRecords: [],
      accessLog: { remoteIp: '203.0.113.10' },
    });
  });

  it('is deterministic, answers nothing for non-S3 names and never repeats a presigned URL', async () => {
    const s = await loadLabScenario(scenarioFile('default'));
    const url = `https://${HOSTS.regional}/k?X-Amz-Credential=AKIAIOSFODNN7LAB0001%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=${'a'.repeat(64)}`;
    const a = simulateRequest(s, 'vpc-app', url, { srcport: 40000 });
    expect(simulateRequest(s, 'vpc-app', url, { srcport: 40000 })).toEqual(a);
    expect(JSON.stringify(a).includes('X-Amz-Signature')).toBe(false);
    expect(JSON.stringify(a).includes('AKIAIOSFODNN7LAB0001')).toBe(false);
    expect(simulateRequest(s, 'vpc-app', 'example.com')).toMatchObject({
      dnsAnswers: [],
      trace: null,
      flowRecords: [],
      accessLog: null,
    });
    expect(() => simulateRequest(s, 'nobody', HOSTS.regional)).toThrow(/no vantage nobody/);
    let message = '';
    try {
      simulateRequest(s, 'vpc-app', `https://[bad/${'x'.repeat(10)}?X-Amz-Signature=${'b'.repeat(64)}`);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/not a URL/);
    expect(message.includes('X-Amz-Signature')).toBe(false);
  });

  it('writes traffic-path 7 and 8 only for Nitro vantages, else the ambiguous 2 (aws-facts §1.4)', async () => {
    const base = await loadLabScenario(scenarioFile('default'));
    const s = edit(base, (d) => {
      d.vantages.push({
        id: 'old-gen',
        kind: 'vpc',
        subnetId: 'subnet-0a1a1a1a1a1a1a1a1',
        eniId: 'eni-0aaaaaaaaaaaaaaa1',
        ip: '10.0.1.78',
        nitro: false,
      });
    });
    const r = simulateRequest(s, 'old-gen', HOSTS.regional);
    expect(r.trace?.path).toBe('gateway-endpoint');
    expect(r.flowRecords[0]?.record.trafficPath).toBe(2);
  });
});

describe('simulateRequest never fabricates endpoint evidence (issue 10 §1.5)', () => {
  it('sends a default route to a GWLB endpoint through the appliance and out by the NAT gateway', async () => {
    const s = await loadLabScenario(scenarioFile('gwlb-egress'));
    for (const style of ['regional', 'global', 'accelerate'] as const) {
      const r = simulateRequest(s, 'vpc-app', HOSTS[style]);
      expect([style, r.trace?.path, r.trace?.private, r.accessLog?.remoteIp]).toEqual([
        style,
        'nat-gateway',
        false,
        '198.51.100.7',
      ]);
      expect(r.trace?.hops.map((h) => h.device.kind)).toEqual([
        'gwlb-endpoint',
        'nat-gateway',
        'internet-gateway',
      ]);
      // No gateway-endpoint traffic-path anywhere, and the client never appears as S3's source.
      expect(r.flowRecords.some((x) => x.record.trafficPath === 7)).toBe(false);
      expect(r.flowRecords.map((x) => x.eniId)).toContain('eni-0f3f3f3f3f3f3f3f3');
      const paths = classified(s, r.flowRecords);
      expect(endpointPaths(paths)).toEqual([]);
      // The edge address is no S3 address: its records are not-s3, the access log decides.
      if (style !== 'accelerate') expect(paths).toContain('nat-gateway');
    }
  });

  it('leaves a GWLB endpoint by the internet gateway when its subnet says so: the public IP, or a drop', async () => {
    const base = await loadLabScenario(scenarioFile('gwlb-egress'));
    const s = edit(base, (d) => {
      const table = d.vpcs[0]!.routeTables.find((t) => t.routeTableId === 'rtb-0e0e0e0e0e0e0e0e0')!;
      table.routes[1]!.target = 'igw-0e1e1e1e1e1e1e1e1';
      d.vantages.push({
        id: 'web',
        kind: 'vpc',
        subnetId: 'subnet-0a1a1a1a1a1a1a1a1',
        eniId: 'eni-0aaaaaaaaaaaaaaa2',
        ip: '10.0.1.90',
        publicIp: '203.0.113.90',
      });
    });
    expect(simulateRequest(s, 'web', HOSTS.regional)).toMatchObject({
      trace: { path: 'internet-gateway', private: false },
      accessLog: { remoteIp: '203.0.113.90', vpcEndpointId: null },
    });
    const lambda = simulateRequest(s, 'vpc-app', HOSTS.regional);
    expect(lambda.trace).toMatchObject({ path: 'dropped', delivered: false, private: false });
    expect(lambda.trace?.dropReason).toMatch(/no public IPv4 address/);
    expect(lambda.accessLog).toBeNull();
  });

  it('carries TGW traffic to the central egress VPC, and never to its gateway endpoint (aws-facts §5.1)', async () => {
    const s = await loadLabScenario(scenarioFile('tgw-central-egress'));
    const r = simulateRequest(s, 'vpc-app', HOSTS.regional);
    expect(r.trace).toMatchObject({ path: 'nat-gateway', private: false, remoteIp: '198.51.100.50' });
    expect(r.trace?.hops.map((h) => h.device.kind)).toEqual([
      'transit-gateway',
      'nat-gateway',
      'internet-gateway',
    ]);
    // The TGW attachment ENIs in both VPCs and the central NAT's ENI log the connection.
    expect([...new Set(r.flowRecords.map((x) => x.eniId))]).toEqual([
      'eni-0a7a7a7a7a7a7a7a7',
      'eni-0a4a4a4a4a4a4a4a4',
      'eni-0e7e7e7e7e7e7e7e7',
      'eni-0e5e5e5e5e5e5e5e5',
    ]);
    expect(endpointPaths(classified(s, r.flowRecords))).toEqual([]);

    // Someone adds a gateway endpoint in the egress VPC for the spokes: it cannot serve them.
    const trap = edit(s, (d) => {
      const egress = d.vpcs[1]!;
      egress.gatewayEndpoint = {
        vpcEndpointId: 'vpce-0e8e8e8e8e8e8e8e8',
        routeTableIds: ['rtb-0e1e1e1e1e1e1e1e1'],
      };
      egress.routeTables[0]!.routes.push({ destination: 'pl-63a5400a', target: 'vpce-0e8e8e8e8e8e8e8e8' });
    });
    const dropped = simulateRequest(trap, 'vpc-app', HOSTS.regional);
    expect(dropped.trace).toMatchObject({ path: 'dropped', private: false, endpoint: null });
    expect(dropped.trace?.dropReason).toMatch(/does not serve traffic from a transit gateway/);
    expect(dropped.accessLog).toBeNull();
    // The egress VPC's attachment ENI sent towards an endpoint that refused: no traffic-path applies.
    const towardsEndpoint = dropped.flowRecords.find(
      (x) => x.eniId === 'eni-0e7e7e7e7e7e7e7e7' && x.record.flowDirection === 'egress',
    );
    expect(towardsEndpoint?.record).toMatchObject({
      srcaddr: '100.64.1.20',
      pktSrcaddr: '10.0.1.77',
      trafficPath: null,
    });
    expect(classified(trap, dropped.flowRecords)).toHaveLength(dropped.flowRecords.length);
    // Accelerate is not in the prefix list: still the central NAT.
    expect(simulateRequest(trap, 'vpc-app', HOSTS.accelerate).trace?.path).toBe('nat-gateway');
  });

  it('lets a customer prefix-list route beat the S3 prefix list where it is more specific', async () => {
    const s = await loadLabScenario(scenarioFile('customer-prefix-list'));
    const regional = simulateRequest(s, 'vpc-app', HOSTS.regional);
    expect(regional.trace).toMatchObject({ path: 'nat-gateway', private: false });
    expect(regional.trace?.hops[0]?.route).toMatch(/pl-0c0ffee0c0ffee000 \(52\.216\.8\.0\/24\)/);
    expect(regional.flowRecords[0]?.record.trafficPath).toBe(1);
    expect(endpointPaths(classified(s, regional.flowRecords))).toEqual([]);
    expect(simulateRequest(s, 'vpc-app', HOSTS.global).trace).toMatchObject({
      path: 'gateway-endpoint',
      private: true,
    });
  });

  it('reaches a peer VPC interface endpoint over peering (traffic-path 4/5), and nothing public that way', async () => {
    const base = await loadLabScenario(scenarioFile('default'));
    const peered = (interRegion: boolean, publicRoute: boolean) =>
      edit(base, (d) => {
        const home = d.vpcs[0]!;
        // The interface endpoint moves to a shared-services VPC reached over peering.
        const endpoint = home.interfaceEndpoints!.pop()!;
        endpoint.networkInterfaces = [
          { eniId: 'eni-0b8b8b8b8b8b8b8b8', subnetId: 'subnet-0d5d5d5d5d5d5d5d5', ip: '10.9.1.200' },
        ];
        d.vpcs.push({
          vpcId: 'vpc-0d5d5d5d5d5d5d5d5',
          cidr: '10.9.0.0/16',
          subnets: [
            {
              subnetId: 'subnet-0d5d5d5d5d5d5d5d5',
              cidr: '10.9.1.0/24',
              azId: 'use1-az4',
              routeTableId: 'rtb-0d5d5d5d5d5d5d5d5',
            },
          ],
          routeTables: [
            {
              routeTableId: 'rtb-0d5d5d5d5d5d5d5d5',
              routes: [{ destination: '10.9.0.0/16', target: 'local' }],
            },
          ],
          interfaceEndpoints: [endpoint],
        });
        d.peeringConnections = [
          {
            peeringConnectionId: 'pcx-0d6d6d6d6d6d6d6d6',
            vpcIds: ['vpc-0abcdef0123456789', 'vpc-0d5d5d5d5d5d5d5d5'],
            interRegion,
          },
        ];
        const table = home.routeTables[0]!;
        table.routes.push({ destination: '10.9.0.0/16', target: 'pcx-0d6d6d6d6d6d6d6d6' });
        if (publicRoute) table.routes.push({ destination: '13.224.0.0/16', target: 'pcx-0d6d6d6d6d6d6d6d6' });
      });
    const intra = simulateRequest(peered(false, false), 'vpc-app', HOSTS['interface-endpoint']);
    expect(intra.trace).toMatchObject({
      path: 'interface-endpoint',
      private: true,
      endpoint: { vpcId: 'vpc-0d5d5d5d5d5d5d5d5' },
    });
    expect(
      intra.flowRecords.filter((r) => r.record.flowDirection === 'egress').map((r) => r.record.trafficPath),
    ).toEqual([4, 4]);
    const inter = simulateRequest(peered(true, false), 'vpc-app', HOSTS['interface-endpoint']);
    expect(inter.flowRecords[0]?.record.trafficPath).toBe(5);
    // No edge-to-edge routing: a public address sent over peering goes nowhere.
    const edge = simulateRequest(peered(false, true), 'vpc-app', HOSTS.accelerate);
    expect(edge.trace).toMatchObject({ path: 'dropped', private: false });
    expect(edge.trace?.dropReason).toMatch(/edge-to-edge/);
  });

  it('counts an endpoint address only in its own VPC when CIDRs overlap', async () => {
    const base = await loadLabScenario(scenarioFile('default'));
    const s = edit(base, (d) => {
      d.vpcs.push({
        vpcId: 'vpc-0b0b0b0b0b0b0b0b0',
        cidr: '10.0.0.0/16',
        subnets: [
          {
            subnetId: 'subnet-0b3b3b3b3b3b3b3b3',
            cidr: '10.0.3.0/24',
            azId: 'use1-az4',
            routeTableId: 'rtb-0b3b3b3b3b3b3b3b3',
          },
        ],
        routeTables: [
          {
            routeTableId: 'rtb-0b3b3b3b3b3b3b3b3',
            routes: [
              { destination: '10.0.0.0/16', target: 'local' },
              { destination: '0.0.0.0/0', target: 'igw-0b4b4b4b4b4b4b4b4' },
            ],
          },
        ],
        internetGatewayId: 'igw-0b4b4b4b4b4b4b4b4',
      });
      d.vantages.push({
        id: 'other-vpc',
        kind: 'vpc',
        subnetId: 'subnet-0b3b3b3b3b3b3b3b3',
        eniId: 'eni-0b5b5b5b5b5b5b5b5',
        ip: '10.0.3.24',
        publicIp: '203.0.113.24',
      });
    });
    // The vpce name resolves (publicly) to VPC A's ENI address; in VPC B that address is local
    // and no endpoint: the connection goes nowhere.
    const r = simulateRequest(s, 'other-vpc', HOSTS['interface-endpoint']);
    expect(r.address).toBe('10.0.1.200');
    expect(r.trace).toMatchObject({ path: 'dropped', private: false });
    // Only the client's SYN, recorded with VPC B's ids: nothing reached the endpoint's ENI.
    expect(r.flowRecords.map((x) => [x.eniId, x.record.vpcId, x.record.dstaddr, x.record.tcpFlags])).toEqual([
      ['eni-0b5b5b5b5b5b5b5b5', 'vpc-0b0b0b0b0b0b0b0b0', '10.0.1.200', 2],
    ]);
    // The regional name from VPC B leaves by its internet gateway, with traffic-path 8.
    const igw = simulateRequest(s, 'other-vpc', HOSTS.regional);
    expect(igw.trace).toMatchObject({ path: 'internet-gateway', remoteIp: '203.0.113.24' });
    expect(classified(s, igw.flowRecords)[0]).toBe('internet-gateway');
  });

  it('follows private DNS: in the endpoint VPC when on, on-prem only through the inbound resolver', async () => {
    const base = await loadLabScenario(scenarioFile('default'));
    const on = edit(base, (d) => {
      d.vpcs[0]!.interfaceEndpoints![0]!.privateDns = 'on';
    });
    expect(simulateRequest(on, 'vpc-app', HOSTS.regional).trace?.path).toBe('interface-endpoint');
    expect(simulateRequest(on, 'onprem-dc1', HOSTS.regional).trace?.path).toBe('onprem-internet');
    // PrivateLink does not serve the legacy global name (aws-facts §5.3).
    expect(simulateRequest(on, 'vpc-app', HOSTS.global).trace?.path).toBe('gateway-endpoint');
    const resolver = edit(base, (d) => {
      d.vpcs[0]!.interfaceEndpoints![0]!.privateDns = 'inbound-only';
      d.onPrem.dnsMode = 'inbound-resolver';
    });
    expect(simulateRequest(resolver, 'vpc-app', HOSTS.regional).trace?.path).toBe('gateway-endpoint');
    expect(simulateRequest(resolver, 'onprem-dc1', HOSTS.regional).trace?.path).toBe('onprem-private-vif');
  });
});

describe('routes the lab cannot simulate', () => {
  it('are refused with a scenario error naming the route, never approximated', async () => {
    const base = await loadLabScenario(scenarioFile('default'));
    // S3 sent on-prem over the VGW: the lab has no model of on-prem's onward path.
    const backhaul = edit(base, (d) => {
      d.vpcs[0]!.routeTables[0]!.routes = [
        { destination: '10.0.0.0/16', target: 'local' },
        { destination: '0.0.0.0/0', target: 'vgw-0e5e5e5e5e5e5e5e5' },
      ];
    });
    expect(() => simulateRequest(backhaul, 'vpc-app', HOSTS.accelerate)).toThrow(
      expect.objectContaining({
        code: 'SCENARIO_UNSUPPORTED',
        message: expect.stringMatching(
          /^rtb-0c3c3c3c3c3c3c3c3 routes 0\.0\.0\.0\/0 to vgw-0e5e5e5e5e5e5e5e5: the lab cannot simulate/,
        ),
      }),
    );
    // A target that is none of the VPC's modelled resources (an ENI, another VPC's NAT, a typo).
    for (const target of ['eni-0123456789abcdef0', 'nat-0999999999999999', 'vpce-0777777777777777']) {
      expect(() =>
        edit(base, (d) => {
          d.vpcs[0]!.routeTables[0]!.routes.push({ destination: '54.231.0.0/24', target });
        }),
      ).toThrow(
        new RegExp(
          `routes\\[4\\]: rtb-0c3c3c3c3c3c3c3c3 54\\.231\\.0\\.0/24 -> ${target}: the lab cannot simulate this target`,
        ),
      );
    }
    // A prefix list nobody defined.
    expect(() =>
      edit(base, (d) => {
        d.vpcs[0]!.routeTables[0]!.routes.push({
          destination: 'pl-0badbadbadbadbad0',
          target: 'nat-0f6f6f6f6f6f6f6f6',
        });
      }),
    ).toThrow(/pl-0badbadbadbadbad0 is neither the S3 list nor in prefixLists/);
    // A NAT gateway whose subnet does not leave by the internet gateway.
    const natViaTgwless = edit(base, (d) => {
      d.vpcs[0]!.routeTables[1]!.routes[1]!.target = 'nat-0f6f6f6f6f6f6f6f6';
    });
    expect(() => simulateRequest(natViaTgwless, 'vpc-app', HOSTS.accelerate)).toThrow(
      /rtb-0d0d0d0d0d0d0d0d0 .* NAT gateway traffic/,
    );
  });
});
