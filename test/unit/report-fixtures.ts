// Evidence bundles for the report tests, shaped as the analyzer writes them (see a lab run's
// evidence/*.json): a VPC probe through a NAT gateway and an on-prem probe through the interface
// endpoint, each with the records that decided it.
import type { EvidenceBundle } from '../../shared/evidence/bundle.js';
import type { ReportBundle } from '../../shared/reports/evidence-report.js';

export interface BundleOptions {
  probeId?: string;
  createdAt?: string;
  vantage?: string;
  kind?: 'vpc' | 'onprem';
  bucket?: string;
  style?: string;
  key?: string;
  verdict?: EvidenceBundle['verdict']['verdict'];
  path?: string | null;
  userAgent?: string;
  hostHeader?: string;
  remoteIp?: string;
  requestId?: string;
  method?: string;
}

/** A bundle as stored, with the fields the report reads. */
export function makeBundle(o: BundleOptions = {}): EvidenceBundle {
  const probeId = o.probeId ?? '01M8XXX0RF7BXNYERTEKQDE51R';
  const kind = o.kind ?? 'vpc';
  const verdict = o.verdict ?? 'left-path';
  const path = o.path === undefined ? (verdict === 'left-path' ? 'nat-gateway' : 'gateway-endpoint') : o.path;
  const requestId = o.requestId ?? '812638D4847CB643';
  const dedupKey = `s3-access:${requestId}:REST.GET.OBJECT:k`;
  const decided = verdict === 'private' || verdict === 'left-path' || verdict === 'blocked';
  return {
    schemaVersion: 1,
    probe: {
      probeId,
      runId: 'run-1',
      createdAt: o.createdAt ?? '2026-12-03T12:26:08.015Z',
      vantage:
        kind === 'vpc'
          ? { id: o.vantage ?? 'vpc-app', kind: 'vpc', subnetId: 'subnet-0a1a1a1a1a1a1a1a1' }
          : { id: o.vantage ?? 'onprem-dc1', kind: 'onprem' },
      bucket: o.bucket ?? 'example-data-bucket',
      region: 'us-east-1',
      style: (o.style ?? 'accelerate') as EvidenceBundle['probe']['style'],
      key: o.key ?? `pathguard/probes/2026/12/03/${probeId}.bin`,
      sha256: '0'.repeat(64),
      size: 64,
      urlRedacted: 'https://example-data-bucket.s3-accelerate.amazonaws.com/k?X-Amz-Signature=REDACTED',
      urlHost: o.hostHeader ?? 'example-data-bucket.s3-accelerate.amazonaws.com',
      expiresAt: '2026-12-03T12:41:08.015Z',
      inspection: {
        findings: [{ code: 'PUBLIC_ONLY_ENDPOINT', severity: 'high' }],
        endpointKind: 'accelerate',
      },
      expectedPath: 'nat-gateway',
      ...(o.method ? { method: o.method } : {}),
    } as EvidenceBundle['probe'],
    configDigest: 'c'.repeat(64),
    environment: {
      digest: 'e'.repeat(64),
      region: 'us-east-1',
      facts: {
        vantageId: o.vantage ?? 'vpc-app',
        kind,
        environmentRegion: 'us-east-1',
        subnetId: kind === 'vpc' ? 'subnet-0a1a1a1a1a1a1a1a1' : null,
        vpcId: 'vpc-0abcdef0123456789',
        routeTableId: 'rtb-0c3c3c3c3c3c3c3c3',
        s3GatewayEndpointId: 'vpce-0d4d4d4d4d4d4d4d4',
        moreSpecificRoute: null,
        defaultRoute: { destination: '0.0.0.0/0', target: 'nat-0f6f6f6f6f6f6f6f6' },
        runnerEniIds: ['eni-0a7a7a7a7a7a7a7a7'],
        runnerIps: ['10.0.1.77'],
        interfaceEndpoints: [
          { vpcEndpointId: 'vpce-0a1b2c3d4e5f67890', ips: ['10.0.1.200'], privateDns: 'off' },
        ],
        natGateways: [
          {
            natGatewayId: 'nat-0f6f6f6f6f6f6f6f6',
            subnetId: 'subnet-0b2b2b2b2b2b2b2b2',
            publicIps: ['198.51.100.7'],
          },
        ],
        onPrem:
          kind === 'onprem'
            ? { cidrs: ['192.168.0.0/16'], publicEgressIps: ['203.0.113.10'], dnsMode: 'public' }
            : null,
        urlStyles: [],
      },
    },
    observations: [
      {
        probeId,
        runnerId: o.vantage ?? 'vpc-app',
        vantageKind: kind,
        startedAt: '2026-12-03T12:26:08.233Z',
        urlRedacted: 'https://example-data-bucket.s3-accelerate.amazonaws.com/k?X-Amz-Signature=REDACTED',
        host: o.hostHeader ?? 'example-data-bucket.s3-accelerate.amazonaws.com',
        dns: { answers: [{ address: kind === 'vpc' ? '13.224.10.20' : '10.0.1.200', family: 4 }] },
        remoteAddress: kind === 'vpc' ? '13.224.10.20' : '10.0.1.200',
        remotePort: 443,
        localAddress: '10.0.1.77',
        localPort: 40166,
        tls: null,
        httpStatus: 200,
        requestId,
        s3ErrorCode: null,
        error: null,
        timingsMs: { total: 30 },
      },
    ] as EvidenceBundle['observations'],
    evidence: decided
      ? [
          {
            source: 's3-access',
            dedupKey,
            matchedBy: 'request-id',
            origin: 'access-logs/2026-12-03-12-26-08-41F3A82E1148460C',
            record: {
              bucket: o.bucket ?? 'example-data-bucket',
              time: '2026-12-03T12:26:08.000Z',
              remoteIp: o.remoteIp ?? '198.51.100.7',
              requester: 'arn:aws:sts::123456789012:assumed-role/PathGuardProbe/pathguard-probe',
              requestId,
              operation: 'REST.GET.OBJECT',
              key: o.key ?? 'k',
              userAgent: o.userAgent ?? 'pathguard/0.1.0',
              hostHeader: o.hostHeader ?? 'example-data-bucket.s3-accelerate.amazonaws.com',
              authenticationType: 'QueryString',
            } as never,
            decision: {
              path: (path ?? 'unknown') as never,
              private: verdict === 'private',
              rule: verdict === 'private' ? 'ACCESS_PRIVATE_ADDRESS' : 'ACCESS_NAT_GATEWAY_IP',
              reason: `Remote IP ${o.remoteIp ?? '198.51.100.7'} is a public address of NAT gateway nat-0f6f6f6f6f6f6f6f6`,
            },
          },
          {
            source: 'flow',
            dedupKey: 'flow:1',
            matchedBy: 'flow-window',
            origin: 'vpc-flow-logs.log',
            record: {
              accountId: '123456789012',
              interfaceId: 'eni-0a7a7a7a7a7a7a7a7',
              srcaddr: '10.0.1.77',
              srcport: 40166,
              dstaddr: '13.224.10.20',
              dstport: 443,
            } as never,
            decision: { path: 'not-s3', private: null, rule: 'FLOW_NOT_S3', reason: 'not an S3 address' },
          },
        ]
      : [],
    verdict: {
      verdict,
      code:
        verdict === 'left-path'
          ? 'LEFT_PATH'
          : verdict === 'private'
            ? 'PRIVATE'
            : verdict === 'no-evidence'
              ? 'SOURCE_SILENT'
              : verdict === 'pending'
                ? 'PENDING_EVIDENCE'
                : 'BLOCKED',
      path: decided ? (path as never) : null,
      reason: `${verdict.toUpperCase()}: reason for ${probeId}`,
      decidingKey: decided ? dedupKey : null,
      silentSources: verdict === 'no-evidence' ? ['s3-access'] : [],
      undecidedSources: [],
      awaiting: [],
      early: null,
    },
    history: [],
    settled: true,
    updatedAt: '2026-12-03T12:29:08.015Z',
  } as EvidenceBundle;
}

export function reportBundle(o: BundleOptions = {}): ReportBundle {
  const bundle = makeBundle(o);
  return { key: `evidence/${bundle.probe.probeId}.json`, sha256: 'a'.repeat(64), bundle };
}
