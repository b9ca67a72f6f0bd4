// Builders for loop tests: realistic probes, observations and log records (no secrets).
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import type { PathDecision } from '../../shared/classify/types.js';
import { validateConfig } from '../../shared/config/index.js';
import type { Environment } from '../../shared/env/types.js';
import type { EvidenceItem } from '../../shared/evidence/types.js';
import type { Observation, Probe } from '../../shared/probes/types.js';

export function config(overrides: Record<string, unknown> = {}) {
  const r = validateConfig({
    region: 'us-east-1',
    resultsBucket: 'example-pathguard-results',
    targets: [{ bucket: 'example-data-bucket', region: 'us-east-1', styles: ['regional', 'global'] }],
    vantages: [
      { id: 'vpc-app', kind: 'vpc', subnetId: 'subnet-0a1a1a1a1a1a1a1a1' },
      { id: 'onprem-dc1', kind: 'onprem' },
    ],
    monitoredBuckets: ['example-data-bucket'],
    ...overrides,
  });
  if (!r.ok) throw r.error;
  return r.value;
}

export const T0 = new Date('2026-11-25T10:00:00Z');
export const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

export function probe(over: Partial<Probe> = {}): Probe {
  return {
    probeId: '01JDQ7ZT0000000000000000AA',
    runId: 'run-20261125T1000',
    createdAt: T0.toISOString(),
    vantage: { id: 'vpc-app', kind: 'vpc', subnetId: 'subnet-0a1a1a1a1a1a1a1a1' },
    bucket: 'example-data-bucket',
    region: 'us-east-1',
    style: 'regional',
    key: 'pathguard/probes/2026/11/25/01JDQ7ZT0000000000000000AA.bin',
    sha256: 'a'.repeat(64),
    size: 64,
    urlRedacted:
      'https://example-data-bucket.s3.us-east-1.amazonaws.com/pathguard/probes/x.bin?X-Amz-Signature=REDACTED',
    urlHost: 'example-data-bucket.s3.us-east-1.amazonaws.com',
    expiresAt: minutes(15).toISOString(),
    inspection: { findings: [] },
    expectedPath: 'gateway-endpoint',
    ...over,
  };
}

export function observation(over: Partial<Observation> = {}): Observation {
  return {
    probeId: '01JDQ7ZT0000000000000000AA',
    runnerId: 'vpc-app',
    vantageKind: 'vpc',
    startedAt: new Date(T0.getTime() + 2000).toISOString(),
    urlRedacted: 'https://example-data-bucket.s3.us-east-1.amazonaws.com/x?X-Amz-Signature=REDACTED',
    host: 'example-data-bucket.s3.us-east-1.amazonaws.com',
    dns: { answers: [{ address: '52.216.8.100', family: 4 }] },
    remoteAddress: '52.216.8.100',
    remotePort: 443,
    localAddress: '169.254.76.1',
    localPort: 50123,
    tls: {
      version: 'TLSv1.3',
      cipher: 'TLS_AES_128_GCM_SHA256',
      servername: 'example-data-bucket.s3.us-east-1.amazonaws.com',
    },
    httpStatus: 200,
    requestId: '3E57427F3EXAMPLE',
    hostId: 'hostid==',
    redirectHost: null,
    s3ErrorCode: null,
    bodyBytes: 64,
    bodySha256: 'a'.repeat(64),
    bodyMatches: true,
    timingsMs: { dns: 1, connect: 2, tls: 5, firstByte: 20, total: 25 },
    error: null,
    ...over,
  };
}

export function decision(path: PathDecision['path'], priv: boolean | null, rule = 'TEST_RULE'): PathDecision {
  return { path, private: priv, rule, reason: `${rule}: ${path}` };
}

export function item(
  source: EvidenceItem['source'],
  d: PathDecision,
  key = `${source}|1`,
  matchedBy: EvidenceItem['matchedBy'] = source === 'flow' ? 'flow-window' : 'request-id',
): EvidenceItem {
  return { source, matchedBy, dedupKey: key, decision: d, record: {} as AccessLogRecord };
}

/**
 * A VPC in us-east-1 shaped like the AWS examples: a private subnet for the runner (route table
 * with the S3 gateway endpoint's prefix-list route and a default route to a NAT gateway), a public
 * subnet holding the NAT gateway, an S3 interface endpoint with ENIs in both subnets, two Lambda
 * Hyperplane ENIs in the runner subnet, and an on-prem network reaching the VPC over Direct Connect.
 */
export const env: Environment = {
  region: 'us-east-1',
  prefixLists: [],
  s3PrefixLists: [
    {
      prefixListId: 'pl-63a5400a',
      name: 'com.amazonaws.us-east-1.s3',
      cidrs: ['52.216.0.0/15', '3.5.0.0/19'],
    },
  ],
  vpcs: [{ vpcId: 'vpc-0abcdef0123456789', cidrs: ['10.0.0.0/16'] }],
  subnets: [
    {
      subnetId: 'subnet-0a1a1a1a1a1a1a1a1',
      vpcId: 'vpc-0abcdef0123456789',
      cidrs: ['10.0.1.0/24'],
      routeTableId: 'rtb-0b2b2b2b2b2b2b2b2',
    },
    {
      subnetId: 'subnet-0f6f6f6f6f6f6f6f6',
      vpcId: 'vpc-0abcdef0123456789',
      cidrs: ['10.0.0.0/24'],
      routeTableId: 'rtb-0e7e7e7e7e7e7e7e7',
    },
  ],
  routeTables: [
    {
      routeTableId: 'rtb-0b2b2b2b2b2b2b2b2',
      vpcId: 'vpc-0abcdef0123456789',
      routes: [
        { destination: '10.0.0.0/16', target: 'local' },
        { destination: 'pl-63a5400a', target: 'vpce-0c3c3c3c3c3c3c3c3' },
        { destination: '0.0.0.0/0', target: 'nat-0d4d4d4d4d4d4d4d4' },
      ],
    },
    {
      routeTableId: 'rtb-0e7e7e7e7e7e7e7e7',
      vpcId: 'vpc-0abcdef0123456789',
      routes: [
        { destination: '10.0.0.0/16', target: 'local' },
        { destination: '0.0.0.0/0', target: 'igw-0a9a9a9a9a9a9a9a9' },
      ],
    },
  ],
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
  interfaceEndpoints: [
    {
      vpcEndpointId: 'vpce-0e5e5e5e5e5e5e5e5',
      vpcId: 'vpc-0abcdef0123456789',
      serviceName: 'com.amazonaws.us-east-1.s3',
      ips: ['10.0.1.50', '10.0.2.50'],
      dnsNames: ['*.vpce-0e5e5e5e5e5e5e5e5-4k1xn2qb.s3.us-east-1.vpce.amazonaws.com'],
      privateDns: 'inbound-only',
    },
  ],
  natGateways: [
    {
      natGatewayId: 'nat-0d4d4d4d4d4d4d4d4',
      subnetId: 'subnet-0f6f6f6f6f6f6f6f6',
      eniIds: ['eni-0nat00000000000a'],
      privateIps: ['10.0.0.220'],
      publicIps: ['3.210.12.34'],
    },
  ],
  networkInterfaces: [
    { eniId: 'eni-0lambda000000000a', subnetId: 'subnet-0a1a1a1a1a1a1a1a1', privateIps: ['10.0.1.77'] },
    { eniId: 'eni-0lambda000000000b', subnetId: 'subnet-0a1a1a1a1a1a1a1a1', privateIps: ['10.0.1.78'] },
    { eniId: 'eni-0vpce0000000000a', subnetId: 'subnet-0a1a1a1a1a1a1a1a1', privateIps: ['10.0.1.50'] },
    { eniId: 'eni-0nat00000000000a', subnetId: 'subnet-0f6f6f6f6f6f6f6f6', privateIps: ['10.0.0.220'] },
  ],
  onPrem: { cidrs: ['192.168.0.0/16'], publicEgressIps: ['203.0.113.10'], dnsMode: 'public' },
};
