import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyFlowRecord, FLOW_RULES } from '../../shared/classify/index.js';
import type { PathDecision } from '../../shared/classify/types.js';
import { buildEnvironmentIndex } from '../../shared/env/environment-index.js';
import type { Environment } from '../../shared/env/types.js';
import { parseFlowFormat, parseFlowLogText } from '../../shared/flow-logs/index.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';

// test/fixtures/env/example-env.json: see the README there for each subnet's route table.
const example = (): Environment =>
  JSON.parse(
    readFileSync(new URL('../fixtures/env/example-env.json', import.meta.url), 'utf8'),
  ) as Environment;
const idx = buildEnvironmentIndex(example());

const PUBLIC_SUBNET = 'subnet-0f500f037def53793';
const PRIVATE_SUBNET = 'subnet-02b1377a7fd9ed705';
const NAT_ONLY_SUBNET = 'subnet-054a4ac95c78dd159';
const ENDPOINT_SUBNET = 'subnet-0a7a9d4e2f1b3c5d6';
const SPECIFIC_NAT_SUBNET = 'subnet-09542b160134e4415';
const CLIENT_ENI = 'eni-04a1b2c3d4e5f6a7b';
const NAT_ENI = 'eni-0b6e1f2a3c4d5e6f7';

const V5 =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path';

/** Parses v5 lines with the product's parser, so records have exactly the shape it produces. */
function v5(...lines: string[]): FlowRecord[] {
  const format = parseFlowFormat(V5);
  if (!format.ok) throw new Error(format.error.message);
  const rejects = new RejectCounter();
  const out = parseFlowLogText(`${lines.join('\n')}\n`, { format: format.value, rejects });
  expect(rejects.count).toBe(0);
  return out;
}

/** A listed host (interface, address) of each subnet of the example environment. */
const HOSTS: Readonly<Record<string, readonly [eni: string, ip: string]>> = {
  [PRIVATE_SUBNET]: [CLIENT_ENI, '10.0.1.15'],
  [NAT_ONLY_SUBNET]: ['eni-0c8d7e6f5a4b3c2d1', '10.0.2.40'],
  [SPECIFIC_NAT_SUBNET]: ['eni-0f3a4b5c6d7e8f9a0', '10.0.4.33'],
  [PUBLIC_SUBNET]: ['eni-0a4b5c6d7e8f9a0b1', '10.0.0.12'],
};

/**
 * An egress record of a client to an S3 address, as parsed: the host of the private subnet, or
 * of the subnet `over.subnetId` names (its own interface and address, as AWS would write them).
 */
function egress(over: Partial<FlowRecord> = {}): FlowRecord {
  const [eni, ip] = HOSTS[typeof over.subnetId === 'string' ? over.subnetId : PRIVATE_SUBNET] ?? [
    CLIENT_ENI,
    '10.0.1.15',
  ];
  const subnet = typeof over.subnetId === 'string' ? over.subnetId : PRIVATE_SUBNET;
  const [r] = v5(
    `5 123456789012 ${eni} ${ip} 52.217.96.14 49152 443 6 12 1830 1764061200 1764061259 ACCEPT OK vpc-0e1bfdbc090daa61a ${subnet} i-0123456789abcdef0 3 IPv4 ${ip} 52.217.96.14 us-east-1 use1-az4 - - - S3 egress 2`,
  );
  return { ...r!, ...over };
}

const classify = (r: FlowRecord) => classifyFlowRecord(r, idx);

function expectPath(d: PathDecision | null, path: PathDecision['path'], rule: string): PathDecision {
  expect(d).not.toBeNull();
  expect(d!.path).toBe(path);
  expect(d!.rule).toBe(rule);
  expect(d!.reason.startsWith(`${rule}: `)).toBe(true);
  expect(d!.reason).not.toMatch(/\n/);
  return d!;
}

describe('flow-log classification', () => {
  it('FLOW_NO_ADDRESSES: NODATA and SKIPDATA records are not classified', () => {
    // AWS flow-logs-records-examples.md, default format.
    const [nodata, skipdata] = parseFlowLogText(
      '2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA\n' +
        '2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA\n',
      { rejects: new RejectCounter() },
    );
    expect(classify(nodata!)).toBeNull();
    expect(classify(skipdata!)).toBeNull();
    expect(classify({ version: 2, action: 'ACCEPT' })).toBeNull();
  });

  it('FLOW_BAD_ADDRESS: an address that does not parse is unknown, not skipped', () => {
    const d = expectPath(
      classify(egress({ pktDstaddr: '52.217.96.999' })),
      'unknown',
      FLOW_RULES.BAD_ADDRESS,
    );
    expect(d.private).toBeNull();
    expect(d.reason).toContain('52.217.96.999');
    expectPath(classify(egress({ pktSrcaddr: 42 as unknown as string })), 'unknown', FLOW_RULES.BAD_ADDRESS);
  });

  it('FLOW_INTERFACE_ENDPOINT_IP: a client talking to an S3 interface-endpoint ENI', () => {
    // Client ENI egress to the endpoint's private address: pkt-dst-aws-service is '-' (private IP).
    const d = expectPath(
      classify(
        egress({ dstaddr: '10.0.3.24', pktDstaddr: '10.0.3.24', pktDstAwsService: null, trafficPath: 1 }),
      ),
      'interface-endpoint',
      FLOW_RULES.INTERFACE_ENDPOINT_IP,
    );
    expect(d.private).toBe(true);
    expect(d.reason).toBe(
      "FLOW_INTERFACE_ENDPOINT_IP: destination 10.0.3.24 is an address of S3 interface endpoint vpce-0fe5b17a0707d6abc of vpc-0e1bfdbc090daa61a (in vpc-0e1bfdbc090daa61a by the record's vpc-id)",
    );
  });

  it('FLOW_INTERFACE_ENDPOINT_IP: the endpoint ENI receiving an on-prem client over Direct Connect', () => {
    const [r] = v5(
      `5 123456789012 eni-0e2f3a4b5c6d7e8f9 192.168.40.7 10.0.3.151 50514 443 6 20 4249 1764061200 1764061259 ACCEPT OK vpc-0e1bfdbc090daa61a ${ENDPOINT_SUBNET} - 2 IPv4 192.168.40.7 10.0.3.151 us-east-1 use1-az4 - - - - ingress -`,
    );
    const d = expectPath(classify(r!), 'interface-endpoint', FLOW_RULES.INTERFACE_ENDPOINT_IP);
    expect(d.reason).toContain('destination 10.0.3.151');
    // The endpoint's reply: the endpoint address is the source.
    const reply = {
      ...r!,
      srcaddr: '10.0.3.151',
      dstaddr: '192.168.40.7',
      pktSrcaddr: '10.0.3.151',
      pktDstaddr: '192.168.40.7',
    };
    expect(
      expectPath(classify(reply), 'interface-endpoint', FLOW_RULES.INTERFACE_ENDPOINT_IP).reason,
    ).toContain('source 10.0.3.151');
  });

  it('FLOW_INTERFACE_ENDPOINT_IP: counts only S3 endpoints (an SSM endpoint address is not S3 traffic)', () => {
    expectPath(
      classify(egress({ dstaddr: '10.0.3.77', pktDstaddr: '10.0.3.77', pktDstAwsService: null })),
      'not-s3',
      FLOW_RULES.NOT_S3,
    );
  });

  it('FLOW_NOT_S3: neither address in an S3 prefix list', () => {
    const local = expectPath(
      classify(egress({ dstaddr: '10.0.2.40', pktDstaddr: '10.0.2.40', pktDstAwsService: null })),
      'not-s3',
      FLOW_RULES.NOT_S3,
    );
    expect(local.private).toBeNull();
    expect(local.reason).toBe('FLOW_NOT_S3: neither 10.0.1.15 nor 10.0.2.40 is in an S3 prefix list');
    // A public address outside the prefix list (another service, or S3 in another Region).
    expectPath(
      classify(egress({ dstaddr: '52.95.128.179', pktDstaddr: '52.95.128.179' })),
      'not-s3',
      FLOW_RULES.NOT_S3,
    );
  });

  it('FLOW_NAT_GATEWAY: a record on the NAT gateway ENI', () => {
    // NAT ENI egress: srcaddr is the NAT's private address, destination the S3 address.
    const [r] = v5(
      `5 123456789012 ${NAT_ENI} 10.0.0.201 52.217.96.14 61001 443 6 12 1830 1764061200 1764061259 ACCEPT OK vpc-0e1bfdbc090daa61a ${PUBLIC_SUBNET} - 3 IPv4 10.0.0.201 52.217.96.14 us-east-1 use1-az4 - - - S3 egress 8`,
    );
    const d = expectPath(classify(r!), 'nat-gateway', FLOW_RULES.NAT_GATEWAY);
    expect(d.private).toBe(false);
    expect(d.reason).toContain(`interface ${NAT_ENI} is an ENI of NAT gateway nat-0800e2073dbe1ee03`);
  });

  it('FLOW_NAT_GATEWAY: dstaddr is the NAT private address while pkt-dstaddr is S3 (AWS NAT example shape)', () => {
    // As on the NAT ENI in the AWS example: "The dstaddr field displays the private IP address of
    // the NAT gateway network interface, and the pkt-dstaddr field displays the final destination".
    const r = egress({
      interfaceId: 'eni-0ffffffffffffffff',
      dstaddr: '10.0.0.201',
      pktDstaddr: '52.217.96.14',
    });
    const d = expectPath(classify(r), 'nat-gateway', FLOW_RULES.NAT_GATEWAY);
    expect(d.reason).toContain(
      'dstaddr 10.0.0.201 is a private address of NAT gateway nat-0800e2073dbe1ee03',
    );
    // ...and the reply leaving the NAT ENI towards the client.
    const back = egress({
      interfaceId: 'eni-0ffffffffffffffff',
      srcaddr: '10.0.0.201',
      dstaddr: '10.0.1.15',
      pktSrcaddr: '52.217.96.14',
      pktDstaddr: '10.0.1.15',
    });
    expect(expectPath(classify(back), 'nat-gateway', FLOW_RULES.NAT_GATEWAY).reason).toContain(
      'srcaddr 10.0.0.201',
    );
  });

  it('FLOW_TRAFFIC_PATH_7: through a gateway VPC endpoint (Nitro)', () => {
    const d = expectPath(classify(egress({ trafficPath: 7 })), 'gateway-endpoint', FLOW_RULES.TRAFFIC_PATH_7);
    expect(d.private).toBe(true);
    // The record's subnet is known, so its route must agree with AWS's traffic-path.
    expect(d.reason).toBe(
      'FLOW_TRAFFIC_PATH_7: traffic-path 7 (through a gateway VPC endpoint) to S3 address 52.217.96.14 (pl-63a5400a); from subnet-02b1377a7fd9ed705 (by the record) rtb-0a1b2c3d4e5f60718 routes pl-63a5400a (52.216.0.0/15) to vpce-0195956f54d54c70a',
    );
  });

  it('FLOW_TRAFFIC_PATH_8: the AWS "EC2 to Amazon S3 through an internet gateway" example', () => {
    // aws-facts §1.7, AWS flow-logs-records-examples.md (ap-southeast-2). 52.95.128.0/21 is an
    // ap-southeast-2 S3 block of ip-ranges.json.
    const format = parseFlowFormat(
      'version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status',
    );
    if (!format.ok) throw new Error(format.error.message);
    const [ingress, egressRecord] = parseFlowLogText(
      readFileSync(new URL('../fixtures/flow-logs/aws-doc-igw-s3-v5.log', import.meta.url), 'utf8'),
      { format: format.value, rejects: new RejectCounter() },
    );
    const sydney = buildEnvironmentIndex({
      region: 'ap-southeast-2',
      prefixLists: [],
      s3PrefixLists: [
        { prefixListId: 'pl-6ca54005', name: 'com.amazonaws.ap-southeast-2.s3', cidrs: ['52.95.128.0/21'] },
      ],
      vpcs: [{ vpcId: 'vpc-abcdefab012345678', cidrs: ['10.0.0.0/16'] }],
      subnets: [],
      routeTables: [],
      gatewayEndpoints: [],
      interfaceEndpoints: [],
      natGateways: [],
      networkInterfaces: [],
      onPrem: { cidrs: [], publicEgressIps: [], dnsMode: 'public' },
    });
    const d = expectPath(
      classifyFlowRecord(egressRecord!, sydney),
      'internet-gateway',
      FLOW_RULES.TRAFFIC_PATH_8,
    );
    expect(d.private).toBe(false);
    // The ingress half has no traffic-path ("not supported for ingress traffic") and the
    // environment lists no subnets: honest unknown, not a guess.
    expectPath(classifyFlowRecord(ingress!, sydney), 'unknown', FLOW_RULES.NO_SUBNET);
  });

  it('FLOW_ROUTE_TABLE: traffic-path 2 alone never proves the gateway endpoint; the route table decides', () => {
    const viaEndpoint = expectPath(
      classify(egress({ trafficPath: 2 })),
      'gateway-endpoint',
      FLOW_RULES.ROUTE_TABLE,
    );
    expect(viaEndpoint.reason).toBe(
      'FLOW_ROUTE_TABLE: S3 address 52.217.96.14 (pl-63a5400a) from subnet-02b1377a7fd9ed705 (by the record), traffic-path 2: rtb-0a1b2c3d4e5f60718 routes pl-63a5400a (52.216.0.0/15) to vpce-0195956f54d54c70a, a gateway endpoint',
    );
    // The same record from a subnet whose table has no endpoint route: the NAT gateway.
    const viaNat = expectPath(
      classify(egress({ trafficPath: 2, subnetId: NAT_ONLY_SUBNET })),
      'nat-gateway',
      FLOW_RULES.ROUTE_TABLE,
    );
    expect(viaNat.private).toBe(false);
    expect(viaNat.reason).toContain('routes 0.0.0.0/0 to nat-0800e2073dbe1ee03');
  });

  it('FLOW_ROUTE_TABLE: a traffic-path other than 2 contradicts a gateway-endpoint route (unknown)', () => {
    // 1 = "through another resource in the same VPC" (a NAT gateway, a firewall ENI): the packets
    // did not take the endpoint route the environment shows, so the environment is out of date.
    for (const trafficPath of [1, 3, 4, 5, 6]) {
      const d = expectPath(classify(egress({ trafficPath })), 'unknown', FLOW_RULES.ROUTE_TABLE);
      expect(d.reason).toContain(`traffic-path ${trafficPath} (`);
      expect(d.reason).toContain('contradicts that route');
    }
    expect(classify(egress({ trafficPath: 1 }))!.reason).toContain(
      'through another resource in the same VPC',
    );
    // Ingress replies carry no traffic-path: the route decides.
    expectPath(classify(egress({ trafficPath: null })), 'gateway-endpoint', FLOW_RULES.ROUTE_TABLE);
  });

  it('FLOW_ROUTE_TABLE: an S3 prefix-list destination alone proves nothing', () => {
    for (const trafficPath of [null, 1, undefined]) {
      const r = egress({ trafficPath, subnetId: NAT_ONLY_SUBNET });
      expectPath(classify(r), 'nat-gateway', FLOW_RULES.ROUTE_TABLE);
    }
  });

  it('FLOW_ROUTE_TABLE: a more specific NAT route beats the endpoint prefix-list route', () => {
    // AWS worked example (vpce-gateway.md): a more specific route to a NAT device takes precedence.
    const d = expectPath(
      classify(
        egress({ subnetId: SPECIFIC_NAT_SUBNET, dstaddr: '52.216.10.20', pktDstaddr: '52.216.10.20' }),
      ),
      'nat-gateway',
      FLOW_RULES.ROUTE_TABLE,
    );
    expect(d.reason).toContain('rtb-0e4d3c2b1a0f98765 routes 52.216.0.0/16 to nat-0800e2073dbe1ee03');
    // Outside the /16 the endpoint route is the most specific again.
    expectPath(
      classify(
        egress({ subnetId: SPECIFIC_NAT_SUBNET, dstaddr: '52.217.10.20', pktDstaddr: '52.217.10.20' }),
      ),
      'gateway-endpoint',
      FLOW_RULES.ROUTE_TABLE,
    );
  });

  it('FLOW_ROUTE_TABLE: pkt-dst-aws-service never decides', () => {
    for (const subnetId of [PRIVATE_SUBNET, NAT_ONLY_SUBNET, PUBLIC_SUBNET]) {
      const labelled = classify(egress({ subnetId, pktDstAwsService: 'S3' }));
      const unlabelled = classify(egress({ subnetId, pktDstAwsService: null }));
      const other = classify(egress({ subnetId, pktDstAwsService: 'AMAZON' }));
      expect(unlabelled).toEqual(labelled);
      expect(other).toEqual(labelled);
    }
    // Labelled S3 but not in the prefix list (S3 of another Region): not S3 for this environment.
    expectPath(
      classify(egress({ dstaddr: '52.95.128.179', pktDstaddr: '52.95.128.179', pktDstAwsService: 'S3' })),
      'not-s3',
      FLOW_RULES.NOT_S3,
    );
  });

  it('FLOW_ROUTE_TABLE: an internet gateway route, IPv4 and IPv6', () => {
    const env = example();
    // The public subnet without its endpoint route: S3 goes out through the internet gateway.
    env.routeTables[0]!.routes.pop();
    const noEndpoint = buildEnvironmentIndex(env);
    const r = egress({ subnetId: PUBLIC_SUBNET, srcaddr: '10.0.0.12', pktSrcaddr: '10.0.0.12' });
    expectPath(classifyFlowRecord(r, noEndpoint), 'internet-gateway', FLOW_RULES.ROUTE_TABLE);
    const r6 = egress({
      subnetId: PUBLIC_SUBNET,
      srcaddr: '2600:1f18:4a3b:9c00::12',
      pktSrcaddr: '2600:1f18:4a3b:9c00::12',
      dstaddr: '2600:1fa0:8001::5',
      pktDstaddr: '2600:1fa0:8001::5',
      type: 'IPv6',
    });
    expectPath(classifyFlowRecord(r6, noEndpoint), 'internet-gateway', FLOW_RULES.ROUTE_TABLE);
    // With the endpoint route: IPv6 goes through the gateway endpoint only if it serves IPv6
    // (see the IPv6 tests below).
    const dual = example();
    dual.gatewayEndpoints[0]!.ipAddressType = 'dualstack';
    expectPath(
      classifyFlowRecord(r6, buildEnvironmentIndex(dual)),
      'gateway-endpoint',
      FLOW_RULES.ROUTE_TABLE,
    );
  });

  it('FLOW_ROUTE_TABLE: an egress-only internet gateway counts as an internet gateway', () => {
    const env = example();
    env.routeTables[1]!.routes.pop();
    const d = classifyFlowRecord(
      egress({
        srcaddr: '2600:1f18:4a3b:9c01::15',
        pktSrcaddr: '2600:1f18:4a3b:9c01::15',
        dstaddr: '2600:1ff8:8000::9',
        pktDstaddr: '2600:1ff8:8000::9',
      }),
      buildEnvironmentIndex(env),
    );
    expect(expectPath(d, 'internet-gateway', FLOW_RULES.ROUTE_TABLE).reason).toContain(
      'to eigw-0a9b8c7d6e5f40312',
    );
  });

  it('FLOW_ROUTE_TABLE: an ingress reply is judged by the route back to the S3 address', () => {
    const [r] = v5(
      `5 123456789012 ${CLIENT_ENI} 52.217.96.14 10.0.1.15 443 49152 6 10 5120 1764061200 1764061259 ACCEPT OK vpc-0e1bfdbc090daa61a ${PRIVATE_SUBNET} i-0123456789abcdef0 19 IPv4 52.217.96.14 10.0.1.15 us-east-1 use1-az4 - - S3 - ingress -`,
    );
    expectPath(classify(r!), 'gateway-endpoint', FLOW_RULES.ROUTE_TABLE);
    expectPath(
      classify({ ...r!, subnetId: NAT_ONLY_SUBNET, interfaceId: HOSTS[NAT_ONLY_SUBNET]![0] }),
      'nat-gateway',
      FLOW_RULES.ROUTE_TABLE,
    );
  });

  it('FLOW_ROUTE_TABLE: finds the subnet by ENI, then by local address, when the record has no subnet-id', () => {
    // Default (v2) format: no subnet-id; the interface is listed in networkInterfaces.
    const [r] = parseFlowLogText(
      `2 123456789012 ${CLIENT_ENI} 10.0.2.40 52.217.96.14 49152 443 6 12 1830 1764061200 1764061259 ACCEPT OK\n`,
      { rejects: new RejectCounter() },
    );
    // The ENI's subnet (private, endpoint route) wins over the address's subnet (NAT only).
    const byEni = expectPath(classify(r!), 'gateway-endpoint', FLOW_RULES.ROUTE_TABLE);
    expect(byEni.reason).toContain(`(by interface ${CLIENT_ENI})`);
    const byAddress = expectPath(
      classify({ ...r!, interfaceId: 'eni-0notlisted000000' }),
      'nat-gateway',
      FLOW_RULES.ROUTE_TABLE,
    );
    expect(byAddress.reason).toContain('from subnet-054a4ac95c78dd159 (by local address 10.0.2.40)');
  });

  it('FLOW_ROUTE_TABLE: a vpce target that is not a known gateway endpoint is unknown', () => {
    const env = example();
    // Inspection through a Gateway Load Balancer endpoint: also a vpce- target.
    env.routeTables[2]!.routes[1] = { destination: '0.0.0.0/0', target: 'vpce-0a11b22c33d44e55f' };
    const d = classifyFlowRecord(egress({ subnetId: NAT_ONLY_SUBNET }), buildEnvironmentIndex(env));
    expect(expectPath(d, 'unknown', FLOW_RULES.ROUTE_TABLE).reason).toContain('not a known gateway endpoint');
    expect(d!.private).toBeNull();
  });

  it('FLOW_ROUTE_TABLE: unknown instead of gateway-endpoint when the table has routes it cannot resolve', () => {
    const env = example();
    env.routeTables[1]!.routes.push({ destination: 'pl-0f0e0d0c0b0a09080', target: 'nat-0800e2073dbe1ee03' });
    const d = classifyFlowRecord(egress(), buildEnvironmentIndex(env));
    expect(expectPath(d, 'unknown', FLOW_RULES.ROUTE_TABLE).reason).toContain(
      'pl-0f0e0d0c0b0a09080 → nat-0800e2073dbe1ee03 cannot be resolved',
    );
  });

  it("FLOW_ROUTE_TABLE: a DynamoDB gateway endpoint's own prefix-list route does not block the S3 verdict", () => {
    // The usual table with both gateway endpoints; the DynamoDB list (AWS CLI example id) holds no
    // S3 address, so the S3 endpoint route still decides.
    const env = example();
    env.gatewayEndpoints.push({
      vpcEndpointId: 'vpce-0d1b2c3a4e5f60789',
      vpcId: env.vpcs[0]!.vpcId,
      serviceName: 'com.amazonaws.us-east-1.dynamodb',
      prefixListId: 'pl-02cd2c6b',
      routeTableIds: ['rtb-0a1b2c3d4e5f60718'],
      ipAddressType: 'ipv4',
    });
    env.routeTables[1]!.routes.push({ destination: 'pl-02cd2c6b', target: 'vpce-0d1b2c3a4e5f60789' });
    const i = buildEnvironmentIndex(env);
    expect(i.warnings).toEqual([]);
    expectPath(classifyFlowRecord(egress(), i), 'gateway-endpoint', FLOW_RULES.ROUTE_TABLE);
    // The same route to a target that is not that listed endpoint still blocks it.
    env.routeTables[1]!.routes.push({
      destination: 'pl-0f0e0d0c0b0a09080',
      target: 'vpce-0d1b2c3a4e5f60789',
    });
    expectPath(classifyFlowRecord(egress(), buildEnvironmentIndex(env)), 'unknown', FLOW_RULES.ROUTE_TABLE);
  });

  it('FLOW_ROUTE_TABLE: a route to a listed gateway endpoint of another service is unknown', () => {
    const env = example();
    env.gatewayEndpoints[0]!.serviceName = 'com.amazonaws.us-east-1.dynamodb';
    const d = classifyFlowRecord(egress(), buildEnvironmentIndex(env));
    expect(expectPath(d, 'unknown', FLOW_RULES.ROUTE_TABLE).reason).toContain('not of S3');
  });

  it('FLOW_ROUTE_TABLE: a transit gateway or other target shows no S3 path', () => {
    const env = example();
    env.routeTables[2]!.routes.push({ destination: '52.216.0.0/15', target: 'tgw-0f1e2d3c4b5a69788' });
    const d = classifyFlowRecord(egress({ subnetId: NAT_ONLY_SUBNET }), buildEnvironmentIndex(env));
    expect(expectPath(d, 'unknown', FLOW_RULES.ROUTE_TABLE).reason).toContain(
      '(transit-gateway), which shows no S3 path',
    );
  });

  it('FLOW_NO_SUBNET: a subnet the environment does not know, or no way to find one', () => {
    const d = expectPath(
      classify(egress({ subnetId: 'subnet-0123456789abcdef0' })),
      'unknown',
      FLOW_RULES.NO_SUBNET,
    );
    expect(d.reason).toContain("the record's subnet subnet-0123456789abcdef0 is not in the environment");
    const lost = egress({
      subnetId: undefined,
      interfaceId: 'eni-0notlisted000000',
      srcaddr: '10.9.0.1',
      pktSrcaddr: '10.9.0.1',
    });
    expectPath(classify(lost), 'unknown', FLOW_RULES.NO_SUBNET);
  });

  it('FLOW_NO_SUBNET: a local address in subnets of two overlapping VPCs is not guessed', () => {
    const env = example();
    env.vpcs.push({ vpcId: 'vpc-0b22222222222222b', cidrs: ['10.0.0.0/16'] });
    env.routeTables.push({ routeTableId: 'rtb-0b2', vpcId: 'vpc-0b22222222222222b', routes: [] });
    env.subnets.push({
      subnetId: 'subnet-0b2',
      vpcId: 'vpc-0b22222222222222b',
      cidrs: ['10.0.2.0/24'],
      routeTableId: 'rtb-0b2',
    });
    const two = buildEnvironmentIndex(env);
    const r = egress({
      subnetId: undefined,
      vpcId: undefined,
      interfaceId: null,
      srcaddr: '10.0.2.40',
      pktSrcaddr: '10.0.2.40',
    });
    expect(expectPath(classifyFlowRecord(r, two), 'unknown', FLOW_RULES.NO_SUBNET).reason).toContain(
      'in 2 subnets of overlapping VPCs',
    );
    // With the record's vpc-id the subnet is unambiguous.
    expectPath(
      classifyFlowRecord({ ...r, vpcId: 'vpc-0e1bfdbc090daa61a' }, two),
      'nat-gateway',
      FLOW_RULES.ROUTE_TABLE,
    );
  });

  it('FLOW_NO_ROUTE: no route of the table matches the S3 address', () => {
    const r = egress({
      subnetId: NAT_ONLY_SUBNET,
      srcaddr: '2600:1f18:4a3b:9c02::40',
      pktSrcaddr: '2600:1f18:4a3b:9c02::40',
      dstaddr: '2600:1fa0:8001::5',
      pktDstaddr: '2600:1fa0:8001::5',
    });
    const d = expectPath(classify(r), 'unknown', FLOW_RULES.NO_ROUTE);
    expect(d.reason).toContain('no route in rtb-0c9d8e7f6a5b40312 of subnet-054a4ac95c78dd159 matches');
  });

  it('the rules apply in order: an interface-endpoint address wins over routes, never over traffic-path 8', () => {
    const r = egress({
      dstaddr: '10.0.3.24',
      pktDstaddr: '10.0.3.24',
      trafficPath: 1,
      subnetId: NAT_ONLY_SUBNET,
    });
    expectPath(classify(r), 'interface-endpoint', FLOW_RULES.INTERFACE_ENDPOINT_IP);
    // traffic-path 8 says the packets went through an internet gateway: no private address of the
    // VPC is reached that way, so the record and the environment disagree.
    const viaIgw = expectPath(
      classify({ ...r, trafficPath: 8 }),
      'unknown',
      FLOW_RULES.INTERFACE_ENDPOINT_CONTRADICTED,
    );
    expect(viaIgw.reason).toContain('traffic-path 8 (through an internet gateway) contradicts');
    // NAT evidence wins over traffic-path 7.
    expectPath(
      classify(egress({ interfaceId: NAT_ENI, trafficPath: 7 })),
      'nat-gateway',
      FLOW_RULES.NAT_GATEWAY,
    );
  });

  it('classifies the S3-delivered v5 fixture (gateway endpoint, reply, NODATA)', () => {
    const text = readFileSync(new URL('../fixtures/flow-logs/s3-delivered-v5.log', import.meta.url), 'utf8');
    const records = parseFlowLogText(text, { rejects: new RejectCounter() });
    const paths = records.map((r) => classify(r)?.rule ?? null);
    // Its subnet is not in the example environment: only traffic-path 7 decides.
    expect(paths[0]).toBe(FLOW_RULES.TRAFFIC_PATH_7);
    expect(paths[1]).toBe(FLOW_RULES.NO_SUBNET);
    expect(paths[2]).toBeNull();
  });
});

const VPC_A = 'vpc-0e1bfdbc090daa61a';
const VPC_B = 'vpc-0b0b0b0b0b0b0b0b0';
const SUBNET_B = 'subnet-0b0b0b0b0b0b0b0b0';
const TABLE_B = 'rtb-0b0b0b0b0b0b0b0b0';
const ENDPOINT_A = 'vpce-0fe5b17a0707d6abc';
const GATEWAY_A = 'vpce-0195956f54d54c70a';

/**
 * The example environment (VPC A, whose S3 interface endpoint has 10.0.3.24 and 10.0.3.151) plus
 * VPC B with the same block 10.0.0.0/16 and a default route to an internet gateway (issue 10, 1.1).
 */
function withVpcB(): Environment {
  const env = example();
  env.vpcs.push({ vpcId: VPC_B, cidrs: ['10.0.0.0/16'] });
  env.routeTables.push({
    routeTableId: TABLE_B,
    vpcId: VPC_B,
    routes: [
      { destination: '10.0.0.0/16', target: 'local' },
      { destination: '0.0.0.0/0', target: 'igw-0b0b0b0b0b0b0b0b0' },
    ],
  });
  env.subnets.push({ subnetId: SUBNET_B, vpcId: VPC_B, cidrs: ['10.0.3.0/24'], routeTableId: TABLE_B });
  return env;
}

/** A v5 record of VPC B's host 10.0.3.24 (unlisted interface) sending to `dst`. */
function vpcBHost(dst: string, trafficPath: string, subnet = SUBNET_B): FlowRecord {
  const [r] = v5(
    `5 123456789012 eni-0b1b1b1b1b1b1b1b1 10.0.3.24 ${dst} 49152 443 6 12 1830 1764061200 1764061259 ACCEPT OK ${VPC_B} ${subnet} i-0b1b1b1b1b1b1b1b1 3 IPv4 10.0.3.24 ${dst} us-east-1 use1-az4 - - - ${dst.startsWith('52.') ? 'S3' : '-'} egress ${trafficPath}`,
  );
  return r!;
}

describe('flow-log classification: an endpoint address counts only inside its VPC (issue 10, 1.1)', () => {
  const two = buildEnvironmentIndex(withVpcB());

  it('regression: a host of another VPC reusing the endpoint address, to S3 through an internet gateway', () => {
    // The example: today's answer was interface-endpoint (private).
    const d = expectPath(
      classifyFlowRecord(vpcBHost('52.216.8.100', '8'), two),
      'internet-gateway',
      FLOW_RULES.TRAFFIC_PATH_8,
    );
    expect(d.private).toBe(false);
    expect(d.reason).toContain(
      `source 10.0.3.24 is an address of S3 interface endpoint ${ENDPOINT_A} but not here: the record is in ${VPC_B}`,
    );
    // Without traffic-path (non-Nitro, or a format without it) VPC B's route table decides.
    const byRoute = expectPath(
      classifyFlowRecord(vpcBHost('52.216.8.100', '-'), two),
      'internet-gateway',
      FLOW_RULES.ROUTE_TABLE,
    );
    expect(byRoute.reason).toContain(`${TABLE_B} routes 0.0.0.0/0 to igw-0b0b0b0b0b0b0b0b0`);
    // With only the vpc-id (v3 format without subnet-id): the subnet of VPC B holding the address.
    expectPath(
      classifyFlowRecord({ ...vpcBHost('52.216.8.100', '-'), subnetId: undefined }, two),
      'internet-gateway',
      FLOW_RULES.ROUTE_TABLE,
    );
  });

  it('regression: a host of another VPC talking to an address equal to the endpoint address', () => {
    const [r] = v5(
      `5 123456789012 eni-0b1b1b1b1b1b1b1b1 10.0.3.9 10.0.3.24 49152 443 6 12 1830 1764061200 1764061259 ACCEPT OK ${VPC_B} ${SUBNET_B} i-0b1b1b1b1b1b1b1b1 3 IPv4 10.0.3.9 10.0.3.24 us-east-1 use1-az4 - - - - egress 1`,
    );
    const d = expectPath(classifyFlowRecord(r!, two), 'not-s3', FLOW_RULES.NOT_S3);
    expect(d.reason).toContain(`but not here: the record is in ${VPC_B}`);
    // The same record in VPC A is the endpoint.
    expectPath(
      classifyFlowRecord({ ...r!, vpcId: VPC_A, subnetId: PRIVATE_SUBNET, interfaceId: CLIENT_ENI }, two),
      'interface-endpoint',
      FLOW_RULES.INTERFACE_ENDPOINT_IP,
    );
  });

  it('a record naming no VPC counts only when exactly one VPC holds its local address', () => {
    // Default (v2) format: no vpc-id, subnet-id or flow-direction; interface not listed.
    const [r] = parseFlowLogText(
      '2 123456789012 eni-0ffffffffffffffff 10.0.1.15 10.0.3.24 49152 443 6 12 1830 1764061200 1764061259 ACCEPT OK\n',
      { rejects: new RejectCounter() },
    );
    const one = expectPath(classify(r!), 'interface-endpoint', FLOW_RULES.INTERFACE_ENDPOINT_IP);
    expect(one.reason).toContain(`(in ${VPC_A} by its local address)`);
    // VPC B holds both addresses too: which VPC the record is from cannot be told.
    const d = expectPath(classifyFlowRecord(r!, two), 'not-s3', FLOW_RULES.NOT_S3);
    expect(d.reason).toContain('in 2 overlapping VPCs');
    // An on-prem client (in no VPC) to the endpoint ENI, ingress on the endpoint ENI.
    const onPrem = { ...r!, srcaddr: '192.168.40.7', flowDirection: 'ingress' };
    expectPath(classify(onPrem), 'interface-endpoint', FLOW_RULES.INTERFACE_ENDPOINT_IP);
    expectPath(classifyFlowRecord(onPrem, two), 'not-s3', FLOW_RULES.NOT_S3);
    // Egress: the local address is the source, and it must be in the endpoint's VPC.
    expectPath(
      classify({ ...r!, srcaddr: '192.168.40.7', flowDirection: 'egress' }),
      'not-s3',
      FLOW_RULES.NOT_S3,
    );
  });

  it("with an S3 endpoint at the same address in each VPC, the record counts its own VPC's", () => {
    const env = withVpcB();
    env.interfaceEndpoints.push({
      vpcEndpointId: 'vpce-0b2b2b2b2b2b2b2b2',
      vpcId: VPC_B,
      serviceName: 'com.amazonaws.us-east-1.s3',
      ips: ['10.0.3.24'],
      dnsNames: [],
      privateDns: 'off',
    });
    const i = buildEnvironmentIndex(env);
    expect(i.s3InterfaceEndpointsAt('10.0.3.24').map((e) => e.vpcId)).toEqual([VPC_A, VPC_B]);
    const [r] = v5(
      `5 123456789012 eni-0b1b1b1b1b1b1b1b1 10.0.3.9 10.0.3.24 49152 443 6 12 1830 1764061200 1764061259 ACCEPT OK ${VPC_B} ${SUBNET_B} i-0b1b1b1b1b1b1b1b1 3 IPv4 10.0.3.9 10.0.3.24 us-east-1 use1-az4 - - - - egress 1`,
    );
    const d = expectPath(classifyFlowRecord(r!, i), 'interface-endpoint', FLOW_RULES.INTERFACE_ENDPOINT_IP);
    expect(d.reason).toContain(`vpce-0b2b2b2b2b2b2b2b2 of ${VPC_B}`);
  });

  it('FLOW_INTERFACE_ENDPOINT_CONTRADICTED: the endpoint address with a public S3 peer is never the endpoint', () => {
    // In VPC A the address is the endpoint's own ENI, whose traffic to S3 is not in flow logs.
    const [r] = v5(
      `5 123456789012 eni-0d1e2f3a4b5c6d7e8 10.0.3.24 52.216.8.100 49152 443 6 12 1830 1764061200 1764061259 ACCEPT OK ${VPC_A} ${ENDPOINT_SUBNET} - 3 IPv4 10.0.3.24 52.216.8.100 us-east-1 use1-az4 - - - S3 egress 2`,
    );
    const d = expectPath(classify(r!), 'unknown', FLOW_RULES.INTERFACE_ENDPOINT_CONTRADICTED);
    expect(d.reason).toContain('but 52.216.8.100 in the record is a public S3 address');
    // Regression found by the random-environment property: pkt-dstaddr the endpoint address but
    // dstaddr (the interface's own, for ingress) an S3 address.
    const odd = {
      ...r!,
      dstaddr: '52.217.1.1',
      pktDstaddr: '10.0.3.24',
      flowDirection: 'ingress',
      pktSrcaddr: '10.0.1.15',
    };
    expectPath(classify(odd), 'unknown', FLOW_RULES.INTERFACE_ENDPOINT_CONTRADICTED);
  });

  it('FLOW_INTERFACE_ENDPOINT_CONTRADICTED: traffic-path 2, 7 or 8 to a private endpoint address', () => {
    for (const trafficPath of [2, 7, 8]) {
      const d = expectPath(
        classify(egress({ dstaddr: '10.0.3.24', pktDstaddr: '10.0.3.24', trafficPath })),
        'unknown',
        FLOW_RULES.INTERFACE_ENDPOINT_CONTRADICTED,
      );
      expect(d.reason).toContain(`traffic-path ${trafficPath} (`);
    }
    for (const trafficPath of [1, 3, 4, 5, 6, null]) {
      expectPath(
        classify(egress({ dstaddr: '10.0.3.24', pktDstaddr: '10.0.3.24', trafficPath })),
        'interface-endpoint',
        FLOW_RULES.INTERFACE_ENDPOINT_IP,
      );
    }
  });

  it('a record whose vpc-id, subnet-id and interface disagree never counts the endpoint address', () => {
    const r = egress({ dstaddr: '10.0.3.24', pktDstaddr: '10.0.3.24', trafficPath: 1, vpcId: VPC_B });
    const d = expectPath(classifyFlowRecord(r, two), 'not-s3', FLOW_RULES.NOT_S3);
    expect(d.reason).toContain(`the record's vpc-id ${VPC_B} is not ${VPC_A}`);
  });
});

describe('flow-log classification: contradictions and placement', () => {
  it("FLOW_S3_LOCAL_ADDRESS: the record's own interface never has a public S3 address", () => {
    const r = egress({ srcaddr: '52.216.8.100', pktSrcaddr: '52.216.8.100', trafficPath: 2 });
    const d = expectPath(classify(r), 'unknown', FLOW_RULES.S3_LOCAL_ADDRESS);
    expect(d.reason).toContain("the record's own interface address 52.216.8.100 is an S3 address");
    // Ingress: the local address is dstaddr.
    expectPath(
      classify({ ...r, srcaddr: '10.0.1.15', pktSrcaddr: '10.0.1.15', flowDirection: 'ingress' }),
      'unknown',
      FLOW_RULES.S3_LOCAL_ADDRESS,
    );
    // traffic-path 7 does not rescue it.
    expectPath(classify({ ...r, trafficPath: 7 }), 'unknown', FLOW_RULES.S3_LOCAL_ADDRESS);
  });

  it("FLOW_PLACEMENT_CONFLICT: a subnet-id other than the interface's subnet, a vpc-id other than the subnet's", () => {
    const d = expectPath(
      classify(egress({ interfaceId: HOSTS[NAT_ONLY_SUBNET]![0] })),
      'unknown',
      FLOW_RULES.PLACEMENT_CONFLICT,
    );
    expect(d.reason).toContain(`the record's subnet ${PRIVATE_SUBNET} is not ${NAT_ONLY_SUBNET}`);
    expectPath(classify(egress({ vpcId: VPC_B })), 'unknown', FLOW_RULES.PLACEMENT_CONFLICT);
    expectPath(classify(egress({ vpcId: VPC_B, trafficPath: 1 })), 'unknown', FLOW_RULES.PLACEMENT_CONFLICT);
    // traffic-path 8 still shows the internet gateway.
    expectPath(
      classify(egress({ vpcId: VPC_B, trafficPath: 8 })),
      'internet-gateway',
      FLOW_RULES.TRAFFIC_PATH_8,
    );
  });

  it("FLOW_TRAFFIC_PATH_7: AWS's word at request time decides; a route of the environment that disagrees is named", () => {
    // The table read at analysis time sends S3 to the NAT gateway (changed since the request, or
    // not yet): traffic-path 7 was written when the packet went through the gateway endpoint.
    const d = expectPath(
      classify(egress({ subnetId: NAT_ONLY_SUBNET, trafficPath: 7 })),
      'gateway-endpoint',
      FLOW_RULES.TRAFFIC_PATH_7,
    );
    expect(d.reason).toContain(
      'the environment disagrees, from subnet-054a4ac95c78dd159 (by the record) rtb-0c9d8e7f6a5b40312 routes 0.0.0.0/0 to nat-0800e2073dbe1ee03: nat-0800e2073dbe1ee03 is not a listed gateway endpoint',
    );
    // ...but NAT evidence in the same record still wins (rule 5 before rule 7).
    expectPath(
      classify(egress({ subnetId: NAT_ONLY_SUBNET, trafficPath: 7, dstaddr: '10.0.0.201' })),
      'nat-gateway',
      FLOW_RULES.NAT_GATEWAY,
    );
  });
});

describe('flow-log classification: the route, not the association list, decides (issue 10, 2)', () => {
  it('regression: a gateway endpoint that lists a route table without the route does not count', () => {
    const env = example();
    // rtb-0c9d8e7f6a5b40312 (NAT only) listed in routeTableIds, but it has no prefix-list route.
    env.gatewayEndpoints[0]!.routeTableIds.push('rtb-0c9d8e7f6a5b40312');
    const d = expectPath(
      classifyFlowRecord(egress({ subnetId: NAT_ONLY_SUBNET }), buildEnvironmentIndex(env)),
      'nat-gateway',
      FLOW_RULES.ROUTE_TABLE,
    );
    expect(d.private).toBe(false);
  });

  it('a route to the endpoint decides even when the endpoint does not list the table', () => {
    const env = example();
    env.gatewayEndpoints[0]!.routeTableIds = [];
    expectPath(
      classifyFlowRecord(egress(), buildEnvironmentIndex(env)),
      'gateway-endpoint',
      FLOW_RULES.ROUTE_TABLE,
    );
  });

  it('a route to the gateway endpoint that AWS would not create proves nothing', () => {
    // A CIDR destination: AWS creates only the route from the endpoint's own prefix list.
    const env = example();
    env.routeTables[2]!.routes.push({ destination: '52.216.0.0/15', target: GATEWAY_A });
    const d = expectPath(
      classifyFlowRecord(egress({ subnetId: NAT_ONLY_SUBNET }), buildEnvironmentIndex(env)),
      'unknown',
      FLOW_RULES.ROUTE_TABLE,
    );
    expect(d.reason).toContain(`is not ${GATEWAY_A}'s prefix list pl-63a5400a`);
    // A table of another VPC routing to the endpoint.
    const other = withVpcB();
    other.routeTables[4]!.routes.push({ destination: 'pl-63a5400a', target: GATEWAY_A });
    const r = vpcBHost('52.216.8.100', '2');
    const d2 = expectPath(
      classifyFlowRecord(r, buildEnvironmentIndex(other)),
      'unknown',
      FLOW_RULES.ROUTE_TABLE,
    );
    expect(d2.reason).toContain(`is a gateway endpoint of ${VPC_A}, not of ${VPC_B}`);
  });
});

describe('flow-log classification: IPv6 through a gateway endpoint (issue 10, 2)', () => {
  const r6 = egress({
    srcaddr: '2600:1f18:4a3b:9c01::15',
    pktSrcaddr: '2600:1f18:4a3b:9c01::15',
    dstaddr: '2600:1fa0:8001::5',
    pktDstaddr: '2600:1fa0:8001::5',
    type: 'IPv6',
  });
  const withType = (ipAddressType: 'ipv4' | 'dualstack' | 'ipv6') => {
    const env = example();
    env.gatewayEndpoints[0]!.ipAddressType = ipAddressType;
    return buildEnvironmentIndex(env);
  };

  it('regression: an IPv6 flow through an IPv4-only gateway endpoint route is unknown', () => {
    const d = expectPath(classifyFlowRecord(r6, withType('ipv4')), 'unknown', FLOW_RULES.ROUTE_TABLE);
    expect(d.reason).toContain(`${GATEWAY_A} has IP address type ipv4 and does not carry IPv6 traffic`);
    // traffic-path 7 is AWS's word (the endpoint's type may have changed since): it decides,
    // and the reason names the disagreement.
    expect(
      expectPath(
        classifyFlowRecord({ ...r6, trafficPath: 7 }, withType('ipv4')),
        'gateway-endpoint',
        FLOW_RULES.TRAFFIC_PATH_7,
      ).reason,
    ).toContain('the environment disagrees');
  });

  it('dualstack serves both families; ipv6 serves IPv6 only', () => {
    expectPath(classifyFlowRecord(r6, withType('dualstack')), 'gateway-endpoint', FLOW_RULES.ROUTE_TABLE);
    expectPath(
      classifyFlowRecord(egress(), withType('dualstack')),
      'gateway-endpoint',
      FLOW_RULES.ROUTE_TABLE,
    );
    expectPath(classifyFlowRecord(r6, withType('ipv6')), 'gateway-endpoint', FLOW_RULES.ROUTE_TABLE);
    const v4 = expectPath(classifyFlowRecord(egress(), withType('ipv6')), 'unknown', FLOW_RULES.ROUTE_TABLE);
    expect(v4.reason).toContain('does not carry IPv4 traffic');
  });
});

describe('flow-log classification: what never makes a private verdict (aws-facts §7, issue 10 item 6)', () => {
  it('pkt-dst-aws-service S3, an S3 prefix-list destination and traffic-path 2, with nothing else', () => {
    // A record that cannot be placed in a subnet: no subnet-id, an unlisted interface, a local
    // address in no listed subnet.
    for (const trafficPath of [2, null, undefined]) {
      const r = egress({
        subnetId: undefined,
        vpcId: undefined,
        interfaceId: 'eni-0ffffffffffffffff',
        srcaddr: '10.9.0.1',
        pktSrcaddr: '10.9.0.1',
        pktDstAwsService: 'S3',
        trafficPath,
      });
      const d = expectPath(classify(r), 'unknown', FLOW_RULES.NO_SUBNET);
      expect(d.private).toBeNull();
    }
  });

  it('a gateway-endpoint route proves nothing for packets from outside the VPC (transit gateway attachment)', () => {
    // A TGW attachment ENI in the private subnet forwards a spoke VPC's packets (pkt-srcaddr
    // 172.31.5.5): gateway endpoints do not serve traffic from outside their VPC (aws-facts §5.1).
    const t = 1764064800;
    const [transit, own] = v5(
      `5 123456789012 eni-0tgwattach0000001 10.0.1.240 52.216.8.100 40001 443 6 12 1830 ${t} ${t + 59} ACCEPT OK vpc-0e1bfdbc090daa61a ${PRIVATE_SUBNET} - 3 IPv4 172.31.5.5 52.216.8.100 us-east-1 use1-az4 - - - S3 egress -`,
      `5 123456789012 ${CLIENT_ENI} 10.0.1.15 52.216.8.100 40002 443 6 12 1830 ${t} ${t + 59} ACCEPT OK vpc-0e1bfdbc090daa61a ${PRIVATE_SUBNET} - 3 IPv4 10.0.1.15 52.216.8.100 us-east-1 use1-az4 - - - S3 egress -`,
    );
    const d = classifyFlowRecord(transit!, idx);
    expect(d?.path).toBe('unknown');
    expect(d?.reason).toMatch(/172\.31\.5\.5 is outside vpc-0e1bfdbc090daa61a/);
    expect(classifyFlowRecord(own!, idx)?.path).toBe('gateway-endpoint');
  });
});
