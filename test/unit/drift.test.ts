import { describe, expect, it } from 'vitest';
import { detectDrift } from '../../shared/env/drift.js';
import type { Environment } from '../../shared/env/types.js';
import { env as base } from './loop-fixtures.js';

const SUBNET = 'subnet-0a1a1a1a1a1a1a1a1';
const withGateway: Environment = {
  ...base,
  gatewayEndpoints: [
    {
      vpcEndpointId: 'vpce-0c3c3c3c3c3c3c3c3',
      vpcId: 'vpc-0abcdef0123456789',
      serviceName: 'com.amazonaws.us-east-1.s3',
      prefixListId: 'pl-63a5400a',
      routeTableIds: ['rtb-0b2b2b2b2b2b2b2b2'],
      ipAddressType: 'ipv4',
    },
  ],
};
const goodFlowLog = {
  flowLogId: 'fl-1',
  resourceId: SUBNET,
  logFormat: '${version} ${subnet-id} ${pkt-dstaddr} ${traffic-path}',
};
const codes = (env: Environment, prev: Environment | null = null, extra = {}) =>
  detectDrift(prev, env, { runnerSubnetIds: [SUBNET], flowLogs: [goodFlowLog], ...extra }).map((d) => d.code);

describe('posture drift', () => {
  it('reports nothing for a healthy posture', () => {
    expect(
      codes(withGateway, withGateway, { endpointStates: { 'vpce-0c3c3c3c3c3c3c3c3': 'available' } }),
    ).toEqual([]);
  });

  it('flags a removed endpoint route in a runner subnet', () => {
    const broken = structuredClone(withGateway);
    broken.routeTables[0]!.routes = broken.routeTables[0]!.routes.filter(
      (r) => !r.destination.startsWith('pl-'),
    );
    expect(codes(broken, withGateway)).toEqual(['ENDPOINT_ROUTE_MISSING']);
  });

  it('flags a more specific route to the NAT gateway over S3 ranges, not the default route', () => {
    const nat = structuredClone(withGateway);
    nat.routeTables[0]!.routes.push({ destination: '52.216.0.0/16', target: 'nat-0d4d4d4d4d4d4d4d4' });
    const d = detectDrift(null, nat, { runnerSubnetIds: [SUBNET] });
    expect(d.map((x) => x.code)).toEqual(['MORE_SPECIFIC_ROUTE_TO_NAT_OR_IGW']);
    expect(d[0]?.message).toContain('52.216.0.0/15');
  });

  it('flags endpoints deleted or not available, and private DNS changes', () => {
    const prev = structuredClone(withGateway);
    prev.interfaceEndpoints = [
      {
        vpcEndpointId: 'vpce-0if',
        vpcId: 'vpc-0abcdef0123456789',
        serviceName: 'com.amazonaws.us-east-1.s3',
        ips: ['10.0.1.200'],
        dnsNames: [],
        privateDns: 'on',
      },
    ];
    const next = structuredClone(prev);
    next.interfaceEndpoints[0]!.privateDns = 'off';
    expect(codes(next, prev, { endpointStates: { 'vpce-0c3c3c3c3c3c3c3c3': 'deleting' } })).toEqual([
      'ENDPOINT_NOT_AVAILABLE',
      'PRIVATE_DNS_CHANGED',
    ]);
    const gone = structuredClone(prev);
    gone.interfaceEndpoints = [];
    expect(codes(gone, prev)).toEqual(['ENDPOINT_DELETED']);
  });

  it('flags missing flow logs and formats without traffic-path, pkt-dstaddr or subnet-id', () => {
    expect(
      detectDrift(null, withGateway, { runnerSubnetIds: [SUBNET], flowLogs: [] }).map((d) => d.code),
    ).toEqual(['FLOW_LOG_MISSING']);
    const d = detectDrift(null, withGateway, {
      runnerSubnetIds: [SUBNET],
      flowLogs: [{ flowLogId: 'fl-2', resourceId: 'vpc-0abcdef0123456789', logFormat: '' }],
    });
    expect(d.map((x) => x.code)).toEqual(['FLOW_LOG_FORMAT_MISSING_FIELDS']);
    expect(d[0]?.message).toContain('traffic-path, pkt-dstaddr, subnet-id');
  });

  it('flags a flow log that records rejected traffic only, or fails to deliver', () => {
    const d = detectDrift(null, withGateway, {
      runnerSubnetIds: [SUBNET],
      flowLogs: [
        { ...goodFlowLog, trafficType: 'REJECT' },
        {
          ...goodFlowLog,
          flowLogId: 'fl-3',
          resourceId: 'vpc-0abcdef0123456789',
          trafficType: 'ALL',
          deliverLogsStatus: 'FAILED',
          deliverLogsErrorMessage: 'Access error',
        },
      ],
    });
    expect(d.map((x) => `${x.code} ${x.resource}`)).toEqual([
      'FLOW_LOG_REJECT_ONLY fl-1',
      'FLOW_LOG_DELIVERY_FAILED fl-3',
    ]);
    expect(d[1]?.message).toContain('(Access error)');
  });

  it('counts a flow log on a runner ENI as coverage of its subnet', () => {
    expect(
      detectDrift(null, withGateway, {
        runnerSubnetIds: [SUBNET],
        flowLogs: [{ ...goodFlowLog, resourceId: 'eni-0lambda000000000a' }],
      }),
    ).toEqual([]);
    // An ENI of another subnet does not cover the runner subnet.
    expect(
      detectDrift(null, withGateway, {
        runnerSubnetIds: [SUBNET],
        flowLogs: [{ ...goodFlowLog, resourceId: 'eni-0nat00000000000a' }],
      }).map((x) => x.code),
    ).toEqual(['FLOW_LOG_MISSING']);
  });

  it('checks flow-log coverage of every runner subnet, even when they share a route table', () => {
    const shared = structuredClone(withGateway);
    shared.subnets[1]!.routeTableId = shared.subnets[0]!.routeTableId;
    const d = detectDrift(null, shared, {
      runnerSubnetIds: [SUBNET, 'subnet-0f6f6f6f6f6f6f6f6'],
      flowLogs: [goodFlowLog],
    });
    expect(d.map((x) => `${x.code} ${x.resource}`)).toEqual(['FLOW_LOG_MISSING subnet-0f6f6f6f6f6f6f6f6']);
  });

  it('warns of a more specific S3 route to a transit gateway or appliance, and ignores less specific ones', () => {
    const tgw = structuredClone(withGateway);
    tgw.routeTables[0]!.routes.push(
      { destination: '3.5.0.0/24', target: 'tgw-0123456789abcdef0' },
      { destination: '52.0.0.0/8', target: 'nat-0d4d4d4d4d4d4d4d4' },
    );
    const d = detectDrift(null, tgw, { runnerSubnetIds: [SUBNET] });
    expect(d.map((x) => [x.code, x.severity, x.resource])).toEqual([
      ['MORE_SPECIFIC_ROUTE_OVERRIDES_ENDPOINT', 'warning', 'rtb-0b2b2b2b2b2b2b2b2:3.5.0.0/24'],
    ]);
  });

  it('flags a customer prefix list that routes one S3 block to the NAT gateway (issue 10 §1.2 regression)', () => {
    const env = structuredClone(withGateway);
    env.prefixLists = [
      { prefixListId: 'pl-0c0ffee0', name: 'egress-inspection', cidrs: ['52.216.8.0/24', '8.8.8.0/24'] },
    ];
    env.routeTables[0]!.routes.push({ destination: 'pl-0c0ffee0', target: 'nat-0d4d4d4d4d4d4d4d4' });
    const d = detectDrift(null, env, { runnerSubnetIds: [SUBNET] });
    expect(d.map((x) => [x.code, x.severity, x.resource])).toEqual([
      ['MORE_SPECIFIC_ROUTE_TO_NAT_OR_IGW', 'critical', 'rtb-0b2b2b2b2b2b2b2b2:pl-0c0ffee0'],
    ]);
    expect(d[0]?.message).toContain('pl-0c0ffee0 (52.216.8.0/24) -> nat-0d4d4d4d4d4d4d4d4');
    expect(d[0]?.message).toContain('takes 52.216.8.0/24 of S3 range 52.216.0.0/15');
    expect(d[0]?.fix).toBe(
      'remove 52.216.8.0/24 from prefix list pl-0c0ffee0, or the route pl-0c0ffee0 -> nat-0d4d4d4d4d4d4d4d4',
    );
    // The same list without an S3 block takes nothing from the endpoint.
    const harmless = structuredClone(env);
    harmless.prefixLists[0]!.cidrs = ['8.8.8.0/24'];
    expect(detectDrift(null, harmless, { runnerSubnetIds: [SUBNET] })).toEqual([]);
  });

  it('flags a CIDR route equal to an S3 block (a CIDR route beats a prefix-list route for the same block)', () => {
    const env = structuredClone(withGateway);
    env.routeTables[0]!.routes.push({ destination: '3.5.0.0/19', target: 'igw-0a9a9a9a9a9a9a9a9' });
    expect(detectDrift(null, env, { runnerSubnetIds: [SUBNET] }).map((x) => [x.code, x.resource])).toEqual([
      ['MORE_SPECIFIC_ROUTE_TO_NAT_OR_IGW', 'rtb-0b2b2b2b2b2b2b2b2:3.5.0.0/19'],
    ]);
  });

  it('warns of a route to a prefix list the environment does not list: it may take S3 addresses', () => {
    const env = structuredClone(withGateway);
    env.routeTables[0]!.routes.push({ destination: 'pl-0deadbee', target: 'nat-0d4d4d4d4d4d4d4d4' });
    const d = detectDrift(null, env, { runnerSubnetIds: [SUBNET] });
    expect(d.map((x) => [x.code, x.severity, x.resource])).toEqual([
      ['ROUTE_UNRESOLVED', 'warning', 'rtb-0b2b2b2b2b2b2b2b2:pl-0deadbee'],
    ]);
  });
});
