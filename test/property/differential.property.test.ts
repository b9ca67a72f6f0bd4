/**
 * Generative differential test (issue: no false "private"). Random but valid topologies go through
 * the lab's simulator (`simulateRequest`: DNS, the path the packets take, the flow records and the
 * access-log line AWS would write); the records are written in AWS's text formats, read back by the
 * real parsers, and judged by the real analyzer (correlation, classifiers, verdict engine) against
 * the environment document discovery would produce. Properties:
 *
 * 1. PathGuard never says `private` for a probe whose simulated path was not an endpoint path.
 * 2. It says `left-path` whenever the simulated path left the endpoint path and the evidence shows
 *    it (S3 logged a public Remote IP).
 *
 * Where AWS's own records are ambiguous the test asserts nothing stronger than "not private": the
 * analyzer may answer `no-evidence` there, never a guess.
 *
 * `PATHGUARD_DEEP=1` (npm run test:deep) raises the number of topologies.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LAB_FLOW_LOG_FORMAT,
  type LabScenario,
  type LabScenarioInput,
  parseLabScenario,
  scenarioEnvironment,
} from '../../functions/lab/network/index.js';
import { type LabRequestSimulation, simulateRequest } from '../../functions/lab/network/simulate.js';
import { formatAccessLogRecord } from '../../shared/access-logs/formatter.js';
import { parseAccessLogString } from '../../shared/access-logs/index.js';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import { EMPTY_ALERT_STATE } from '../../shared/alerts/state.js';
import { analyze } from '../../shared/analyzer/analyze.js';
import { bindEnvironment } from '../../shared/analyzer/environment-ports.js';
import { parseCloudTrailJson } from '../../shared/cloudtrail/parser.js';
import type { CloudTrailRecord } from '../../shared/cloudtrail/types.js';
import { validateConfig } from '../../shared/config/index.js';
import { validateEnvironment } from '../../shared/env/schema.js';
import {
  DEFAULT_FLOW_FORMAT,
  type FlowFormat,
  flowFormatOf,
  formatFlowRecord,
  parseFlowLogText,
  V2_FIELD_NAMES,
} from '../../shared/flow-logs/index.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { addressScope, IpAddress } from '../../shared/net/ip.js';
import type { EndpointStyle, Observation, Probe } from '../../shared/probes/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';

const DEEP = process.env.PATHGUARD_DEEP === '1';
const RUNS = DEEP ? 3000 : 250;

const REGION = 'us-east-1';
const BUCKET = 'example-data-bucket';
const S3_PL = 'pl-63a5400a';
const CUSTOMER_PL = 'pl-0c0ffee0c0ffee000';
const T0 = Date.parse('2026-11-25T10:00:00Z');

type DefaultTarget = 'none' | 'igw' | 'nat' | 'gwlb' | 'tgw';
type SpecificTarget = 'nat' | 'igw' | 'gwlb' | 'pcx' | 'tgw' | 'vgw';

interface VpcChoice {
  /** Index into VPC_BLOCKS: two VPCs may share a block (overlapping CIDRs). */
  block: number;
  igw: boolean;
  /** Gateway endpoint: absent, or present with its association list and whether the runner table has the route. */
  gateway: null | { route: boolean; associate: 'runner' | 'public' | 'both' | 'none' };
  interfaceDns: null | 'off' | 'on' | 'inbound-only';
  nat: boolean;
  gwlb: boolean;
  tgwAttach: boolean;
  defaultTarget: DefaultTarget;
  publicDefault: 'none' | 'igw' | 'nat';
  specific: null | { destination: string; target: SpecificTarget };
  nitro: boolean;
  publicIp: boolean;
}

interface TopologyChoice {
  vpcs: VpcChoice[];
  customerList: string[];
  tgwEgress: number;
  onPrem: { dnsMode: 'public' | 'inbound-resolver'; privateVif: boolean; vpc: number };
  regional: string;
  global: string;
  /** The flow log's format: what a user created it with decides which facts the records carry. */
  format: keyof typeof FORMATS;
  /** Which sources the deployment reads: access logs and CloudTrail data events are optional. */
  accessLogs: boolean;
  cloudTrail: boolean;
}

/**
 * Formats users create flow logs with: the lab's (every field to v5), AWS's default (v2: no
 * vpc-id, subnet-id or traffic-path), and custom ones without traffic-path or without the VPC ids.
 */
const FORMATS = {
  lab: LAB_FLOW_LOG_FORMAT,
  v2: DEFAULT_FLOW_FORMAT,
  noTrafficPath: flowFormatOf(
    LAB_FLOW_LOG_FORMAT.fields.map((f) => f.name).filter((n) => n !== 'traffic-path'),
  ),
  v2TrafficPath: flowFormatOf([
    ...V2_FIELD_NAMES,
    'pkt-srcaddr',
    'pkt-dstaddr',
    'flow-direction',
    'traffic-path',
  ]),
} as const;

const VPC_BLOCKS = ['10.0.0.0/16', '10.1.0.0/16'];
const S3_CIDRS = ['52.216.0.0/15', '54.231.0.0/16', '3.5.0.0/19'];

const vpcChoice: fc.Arbitrary<VpcChoice> = fc.record({
  block: fc.integer({ min: 0, max: 1 }),
  igw: fc.boolean(),
  gateway: fc.option(
    fc.record({
      route: fc.boolean(),
      associate: fc.constantFrom('runner' as const, 'public' as const, 'both' as const, 'none' as const),
    }),
    { freq: 3 },
  ),
  interfaceDns: fc.option(fc.constantFrom('off' as const, 'on' as const, 'inbound-only' as const), {
    freq: 2,
  }),
  nat: fc.boolean(),
  gwlb: fc.boolean(),
  tgwAttach: fc.boolean(),
  defaultTarget: fc.constantFrom<DefaultTarget>('none', 'igw', 'nat', 'gwlb', 'tgw'),
  publicDefault: fc.constantFrom('none' as const, 'igw' as const, 'nat' as const),
  specific: fc.option(
    fc.record({
      destination: fc.constantFrom(
        '52.216.8.0/24',
        '52.216.0.0/16',
        '52.217.0.0/16',
        '3.5.0.0/20',
        CUSTOMER_PL,
      ),
      target: fc.constantFrom<SpecificTarget>('nat', 'igw', 'gwlb', 'pcx', 'tgw', 'vgw'),
    }),
    { freq: 2 },
  ),
  nitro: fc.boolean(),
  publicIp: fc.boolean(),
});

const topologyChoice: fc.Arbitrary<TopologyChoice> = fc.record({
  vpcs: fc.array(vpcChoice, { minLength: 1, maxLength: 3 }),
  customerList: fc.subarray(['52.216.8.0/24', '52.217.0.0/16', '198.18.0.0/15', '3.5.0.0/24']),
  tgwEgress: fc.nat(2),
  onPrem: fc.record({
    dnsMode: fc.constantFrom('public' as const, 'inbound-resolver' as const),
    privateVif: fc.boolean(),
    vpc: fc.nat(2),
  }),
  regional: fc.constantFrom('52.216.8.100', '52.217.40.10', '3.5.1.20', '54.231.200.9'),
  global: fc.constantFrom('52.217.36.12', '52.216.8.100', '3.5.2.7'),
  format: fc.constantFrom<keyof typeof FORMATS>('lab', 'v2', 'noTrafficPath', 'v2TrafficPath'),
  accessLogs: fc.boolean(),
  cloudTrail: fc.boolean(),
});

const hex = (i: number, n = 17) => i.toString(16).padStart(n, '0');

/** The scenario document of a topology choice (ids unique, addresses inside their subnets). */
function scenarioOf(t: TopologyChoice): LabScenarioInput {
  const n = t.vpcs.length;
  const vpcId = (i: number) => `vpc-0${hex(i + 1, 16)}`;
  const tgwId = 'tgw-0aaaaaaaaaaaaaaa1';
  const attached = t.vpcs.map((v, i) => (v.tgwAttach ? i : -1)).filter((i) => i >= 0);
  const egress = attached.length > 0 ? attached[t.tgwEgress % attached.length]! : -1;
  const pcx = n >= 2 ? 'pcx-0bbbbbbbbbbbbbbb1' : null;
  const vpcs = t.vpcs.map((v, i) => {
    const b = VPC_BLOCKS[v.block]!.split('.')[1];
    const runnerSubnet = `subnet-0a${hex(i, 15)}`;
    const publicSubnet = `subnet-0b${hex(i, 15)}`;
    const runnerTable = `rtb-0a${hex(i, 15)}`;
    const publicTable = `rtb-0b${hex(i, 15)}`;
    const igwId = `igw-0${hex(i + 1, 16)}`;
    const gwId = `vpce-0a${hex(i, 15)}`;
    const natId = `nat-0${hex(i + 1, 16)}`;
    const gwlbId = `vpce-0c${hex(i, 15)}`;
    const has = {
      igw: v.igw,
      nat: v.nat,
      gwlb: v.gwlb,
      tgw: v.tgwAttach && egress >= 0,
      pcx: pcx !== null && i < 2,
      vgw: true,
    };
    const targetId = (k: DefaultTarget | SpecificTarget): string | null => {
      switch (k) {
        case 'igw':
          return has.igw ? igwId : null;
        case 'nat':
          return has.nat ? natId : null;
        case 'gwlb':
          return has.gwlb ? gwlbId : null;
        case 'tgw':
          return has.tgw ? tgwId : null;
        case 'pcx':
          return has.pcx ? pcx : null;
        case 'vgw':
          return 'vgw-0eeeeeeeeeeeeeee1';
        default:
          return null;
      }
    };
    const runnerRoutes: { destination: string; target: string }[] = [
      { destination: VPC_BLOCKS[v.block]!, target: 'local' },
    ];
    if (v.gateway?.route) runnerRoutes.push({ destination: S3_PL, target: gwId });
    if (v.specific) {
      const target = targetId(v.specific.target);
      if (target && (v.specific.destination !== CUSTOMER_PL || t.customerList.length > 0)) {
        runnerRoutes.push({ destination: v.specific.destination, target });
      }
    }
    const def = targetId(v.defaultTarget);
    if (def) runnerRoutes.push({ destination: '0.0.0.0/0', target: def });
    const publicRoutes: { destination: string; target: string }[] = [
      { destination: VPC_BLOCKS[v.block]!, target: 'local' },
    ];
    const pubDef = v.publicDefault === 'igw' ? (has.igw ? igwId : null) : null;
    if (pubDef) publicRoutes.push({ destination: '0.0.0.0/0', target: pubDef });
    const associate = v.gateway?.associate ?? 'none';
    return {
      vpcId: vpcId(i),
      cidr: VPC_BLOCKS[v.block]!,
      subnets: [
        { subnetId: runnerSubnet, cidr: `10.${b}.1.0/24`, azId: 'use1-az4', routeTableId: runnerTable },
        { subnetId: publicSubnet, cidr: `10.${b}.2.0/24`, azId: 'use1-az4', routeTableId: publicTable },
      ],
      routeTables: [
        { routeTableId: runnerTable, routes: runnerRoutes },
        { routeTableId: publicTable, routes: publicRoutes },
      ],
      ...(v.igw ? { internetGatewayId: igwId } : {}),
      ...(v.gateway
        ? {
            gatewayEndpoint: {
              vpcEndpointId: gwId,
              routeTableIds:
                associate === 'runner'
                  ? [runnerTable]
                  : associate === 'public'
                    ? [publicTable]
                    : associate === 'both'
                      ? [runnerTable, publicTable]
                      : [],
            },
          }
        : {}),
      interfaceEndpoints:
        v.interfaceDns === null
          ? []
          : [
              {
                vpcEndpointId: `vpce-0d${hex(i, 15)}`,
                dnsName: `*.vpce-0d${hex(i, 15)}-abcd${i}.s3.${REGION}.vpce.amazonaws.com`,
                privateDns: v.interfaceDns,
                networkInterfaces: [
                  { eniId: `eni-0d${hex(i, 15)}`, subnetId: runnerSubnet, ip: `10.${b}.1.200` },
                ],
              },
            ],
      natGateways: v.nat
        ? [
            {
              natGatewayId: natId,
              subnetId: publicSubnet,
              eniId: `eni-0e${hex(i, 15)}`,
              privateIp: `10.${b}.2.10`,
              publicIp: `198.51.100.${10 + i}`,
            },
          ]
        : [],
      gwlbEndpoints: v.gwlb
        ? [
            {
              vpcEndpointId: gwlbId,
              subnetId: publicSubnet,
              eniId: `eni-0c${hex(i, 15)}`,
              ip: `10.${b}.2.30`,
            },
          ]
        : [],
      transitGatewayAttachments: has.tgw
        ? [
            {
              transitGatewayId: tgwId,
              attachmentId: `tgw-attach-0${hex(i + 1, 16)}`,
              subnetId: runnerSubnet,
              eniId: `eni-0f${hex(i, 15)}`,
              ip: `10.${b}.1.240`,
            },
          ]
        : [],
    };
  });
  return {
    name: 'generated',
    description: 'generated topology',
    accountId: '123456789012',
    region: REGION,
    s3: {
      prefixListId: S3_PL,
      cidrs: S3_CIDRS,
      regionalAddresses: [t.regional],
      globalAddresses: [t.global],
    },
    edge: { addresses: ['13.224.10.20'], awsService: 'CLOUDFRONT' },
    prefixLists:
      t.customerList.length > 0
        ? [{ prefixListId: CUSTOMER_PL, name: 'corp-egress', cidrs: t.customerList }]
        : [],
    vpcs,
    transitGateways:
      egress >= 0
        ? [
            {
              transitGatewayId: 'tgw-0aaaaaaaaaaaaaaa1',
              routes: [{ destination: '0.0.0.0/0', vpcId: vpcId(egress) }],
            },
          ]
        : [],
    peeringConnections: pcx ? [{ peeringConnectionId: pcx, vpcIds: [vpcId(0), vpcId(1)] }] : [],
    onPrem: {
      cidr: '192.168.0.0/16',
      publicEgressIp: '203.0.113.10',
      dnsMode: t.onPrem.dnsMode,
      privateVif: t.onPrem.privateVif,
      vpcId: vpcId(t.onPrem.vpc % n),
    },
    vantages: [
      ...t.vpcs.map((v, i) => {
        const b = VPC_BLOCKS[v.block]!.split('.')[1];
        return {
          id: `vpc-r${i}`,
          kind: 'vpc' as const,
          subnetId: `subnet-0a${hex(i, 15)}`,
          eniId: `eni-0a${hex(i, 15)}`,
          ip: `10.${b}.1.77`,
          ...(v.publicIp ? { publicIp: `100.${20 + i}.0.7`.replace('100.', '34.') } : {}),
          nitro: v.nitro,
        };
      }),
      { id: 'onprem-dc1', kind: 'onprem' as const, ip: '192.168.10.5' },
    ],
  };
}

/** Every (style, host) a probe could use in the scenario. */
function hostsOf(s: LabScenario): { style: EndpointStyle; host: string }[] {
  const out: { style: EndpointStyle; host: string }[] = [
    { style: 'regional', host: `${BUCKET}.s3.${REGION}.amazonaws.com` },
    { style: 'global', host: `${BUCKET}.s3.amazonaws.com` },
    { style: 'dualstack', host: `${BUCKET}.s3.dualstack.${REGION}.amazonaws.com` },
    { style: 'fips', host: `${BUCKET}.s3-fips.${REGION}.amazonaws.com` },
    { style: 'accelerate', host: `${BUCKET}.s3-accelerate.amazonaws.com` },
  ];
  for (const v of s.vpcs) {
    for (const ie of v.interfaceEndpoints) {
      out.push({ style: 'interface-endpoint', host: `${BUCKET}.${ie.dnsName.slice(2)}` });
    }
  }
  return out;
}

interface Case {
  probe: Probe;
  observation: Observation;
  sim: LabRequestSimulation;
}

const scratch = new IpAddress();
function isPublic(ip: string): boolean {
  return scratch.parse(ip) && addressScope(scratch) === 'public';
}

/** Probes, observations and the records AWS would log, for every vantage × host of a scenario. */
function exercise(s: LabScenario, format: FlowFormat) {
  const cases: Case[] = [];
  const flowLines: string[] = [];
  const accessLines: string[] = [];
  const trailEvents: string[] = [];
  let refused = 0;
  let n = 0;
  for (const vantage of s.vantages) {
    for (const { style, host } of hostsOf(s)) {
      n++;
      const probeId = `01JDQ7ZT${String(n).padStart(18, '0')}`;
      const key = `pathguard/probes/2026/11/25/${probeId}.bin`;
      const start = Math.floor(T0 / 1000) + n * 2;
      const srcport = 40000 + n;
      let sim: LabRequestSimulation;
      try {
        sim = simulateRequest(s, vantage.id, `https://${host}/${key}`, { srcport, start, end: start + 1 });
      } catch (e) {
        if ((e as { code?: string }).code !== 'SCENARIO_UNSUPPORTED') throw e;
        refused++;
        continue;
      }
      const requestId = `REQ${String(n).padStart(13, '0')}`;
      const delivered = sim.accessLog !== null;
      const probe: Probe = {
        probeId,
        runId: 'run-generated',
        createdAt: new Date(start * 1000 - 1000).toISOString(),
        vantage:
          vantage.kind === 'vpc'
            ? { id: vantage.id, kind: 'vpc', subnetId: vantage.subnetId }
            : { id: vantage.id, kind: 'onprem' },
        bucket: BUCKET,
        region: REGION,
        style,
        key,
        sha256: 'a'.repeat(64),
        size: 64,
        urlRedacted: `https://${host}/${key}?X-Amz-Signature=REDACTED`,
        urlHost: host,
        expiresAt: new Date(start * 1000 + 900_000).toISOString(),
        inspection: { findings: [] },
        expectedPath: 'unknown',
      };
      const observation: Observation = {
        probeId,
        runnerId: vantage.id,
        vantageKind: vantage.kind,
        startedAt: new Date(start * 1000).toISOString(),
        urlRedacted: probe.urlRedacted,
        host,
        dns: { answers: sim.dnsAnswers.map((address) => ({ address, family: 4 as const })) },
        remoteAddress: sim.address,
        remotePort: 443,
        localAddress: vantage.ip,
        localPort: srcport,
        tls: null,
        httpStatus: delivered ? 200 : null,
        requestId: delivered ? requestId : null,
        hostId: delivered ? 'hostid==' : null,
        redirectHost: null,
        s3ErrorCode: null,
        bodyBytes: delivered ? 64 : 0,
        bodySha256: delivered ? 'a'.repeat(64) : null,
        bodyMatches: delivered,
        timingsMs: { dns: 1, connect: 2, tls: 5, firstByte: 20, total: 25 },
        error:
          sim.address === null
            ? { code: 'DNS_FAILURE', message: 'no answer' }
            : delivered
              ? null
              : { code: 'TIMEOUT', message: 'no answer from the peer' },
      } as Observation;
      cases.push({ probe, observation, sim });
      for (const f of sim.flowRecords) flowLines.push(formatFlowRecord(f.record, format));
      if (sim.accessLog) {
        const record: AccessLogRecord = {
          bucketOwner: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be',
          bucket: BUCKET,
          time: new Date(start * 1000).toISOString(),
          remoteIp: sim.accessLog.remoteIp,
          requester: 'arn:aws:sts::123456789012:assumed-role/pathguard-probe/fn',
          requestId,
          operation: 'REST.GET.OBJECT',
          key,
          requestUri: `GET /${key}?X-Amz-Algorithm=AWS4-HMAC-SHA256 HTTP/1.1`,
          httpStatus: 200,
          errorCode: null,
          bytesSent: 64,
          objectSize: 64,
          totalTime: 20,
          turnAroundTime: 10,
          referer: null,
          userAgent: 'pathguard-runner',
          versionId: null,
          hostId: 'hostid==',
          signatureVersion: 'SigV4',
          cipherSuite: 'TLS_AES_128_GCM_SHA256',
          authenticationType: 'QueryString',
          hostHeader: sim.accessLog.hostHeader,
          tlsVersion: 'TLSv1.3',
          accessPointArn: null,
          aclRequired: null,
          extra: [],
        };
        accessLines.push(formatAccessLogRecord(record));
        // The CloudTrail data event of the same request, as a trail delivers it (aws-facts §9.1).
        trailEvents.push(
          JSON.stringify({
            eventVersion: '1.11',
            userIdentity: { type: 'AssumedRole', accountId: '123456789012' },
            eventTime: record.time,
            eventSource: 's3.amazonaws.com',
            eventName: 'GetObject',
            awsRegion: REGION,
            sourceIPAddress: sim.accessLog.remoteIp,
            userAgent: 'pathguard-runner',
            requestParameters: { bucketName: BUCKET, Host: sim.accessLog.hostHeader, key },
            responseElements: null,
            additionalEventData: {
              SignatureVersion: 'SigV4',
              AuthenticationMethod: 'QueryString',
              'x-amz-id-2': 'hostid==',
            },
            requestID: requestId,
            eventID: `0b7c2d4e-1f3a-4b5c-9d6e-${String(n).padStart(12, '0')}`,
            readOnly: true,
            eventType: 'AwsApiCall',
            managementEvent: false,
            recipientAccountId: '123456789012',
            ...(sim.accessLog.vpcEndpointId
              ? { vpcEndpointId: sim.accessLog.vpcEndpointId, vpcEndpointAccountId: '123456789012' }
              : {}),
            eventCategory: 'Data',
          }),
        );
      }
    }
  }
  return { cases, flowLines, accessLines, trailEvents, refused };
}

/** Runs the real parsers and analyzer over what the simulator logged. */
function judge(
  s: LabScenario,
  ex: ReturnType<typeof exercise>,
  format: FlowFormat,
  sources: { accessLogs: boolean; cloudTrail: boolean },
) {
  const envResult = validateEnvironment(scenarioEnvironment(s));
  if (!envResult.ok) throw envResult.error;
  const env = envResult.value;
  const bound = bindEnvironment(env);
  const rejects = new RejectCounter();
  const flows: FlowRecord[] = parseFlowLogText(`${ex.flowLines.join('\n')}\n`, {
    format,
    rejects,
  });
  const access: AccessLogRecord[] = [];
  for (const line of ex.accessLines) {
    const r = parseAccessLogString(line);
    if (!r.ok) throw new Error(`access-log line did not parse: ${r.error.code}`);
    access.push(r.value);
  }
  const cloudtrail: CloudTrailRecord[] = [];
  for (const text of ex.trailEvents) {
    const r = parseCloudTrailJson(text);
    if (!r.ok || r.value === null) throw new Error('CloudTrail event did not parse');
    cloudtrail.push(r.value);
  }
  expect(rejects.count).toBe(0);
  expect(flows).toHaveLength(ex.flowLines.length);
  const cfg = validateConfig({
    region: REGION,
    resultsBucket: 'example-pathguard-results',
    targets: [{ bucket: BUCKET, region: REGION, styles: ['regional'] }],
    vantages: s.vantages.map((v) =>
      v.kind === 'vpc' ? { id: v.id, kind: 'vpc', subnetId: v.subnetId } : { id: v.id, kind: 'onprem' },
    ),
    monitoredBuckets: [BUCKET],
    evidence: {
      flowLogs: { enabled: true },
      accessLogs: { enabled: sources.accessLogs },
      cloudTrail: { enabled: sources.cloudTrail },
    },
  });
  if (!cfg.ok) throw cfg.error;
  const { results } = analyze({
    cfg: cfg.value,
    env,
    classify: bound.classify,
    facts: bound.facts,
    probes: ex.cases.map((c) => c.probe),
    observations: new Map(ex.cases.map((c) => [c.probe.probeId, c.observation])),
    logs: {
      flows,
      access: sources.accessLogs ? access : [],
      cloudtrail: sources.cloudTrail ? cloudtrail : [],
    },
    now: new Date(T0 + 3 * 86_400_000),
    alertState: EMPTY_ALERT_STATE,
  });
  return results;
}

/** A short text of a failing case: the topology's facts that matter, never a secret. */
function explain(c: Case, verdict: string, reason: string): string {
  const t = c.sim.trace;
  return [
    `${c.probe.vantage.id} ${c.probe.style} ${c.sim.host}`,
    `  simulated: ${t?.path ?? 'no-dns'} private=${t?.private} remote=${t?.remoteIp} via ${t?.reason}`,
    `  verdict: ${verdict}: ${reason}`,
  ].join('\n');
}

interface Tally {
  topologies: number;
  probes: number;
  refused: number;
  leftPath: number;
  privatePaths: number;
  privateConfirmed: number;
  verdicts: Record<string, number>;
}

describe('differential: simulated AWS paths vs PathGuard verdicts', () => {
  it(`never says private off the endpoint path, and says left-path when the evidence shows it (${RUNS} topologies)`, () => {
    const tally: Tally = {
      topologies: 0,
      probes: 0,
      refused: 0,
      leftPath: 0,
      privatePaths: 0,
      privateConfirmed: 0,
      verdicts: {},
    };
    fc.assert(
      fc.property(topologyChoice, (choice) => {
        const s = parseLabScenario(scenarioOf(choice), 'generated');
        const format = FORMATS[choice.format];
        const ex = exercise(s, format);
        const results = judge(s, ex, format, choice);
        tally.topologies++;
        tally.refused += ex.refused;
        const byId = new Map(ex.cases.map((c) => [c.probe.probeId, c]));
        for (const r of results) {
          const c = byId.get(r.probe.probeId)!;
          const trace = c.sim.trace;
          const v = r.verdict.verdict;
          tally.probes++;
          tally.verdicts[v] = (tally.verdicts[v] ?? 0) + 1;
          if (trace?.private) tally.privatePaths++;
          if (trace?.private && v === 'private') tally.privateConfirmed++;
          // Property 1.
          if (v === 'private' && trace?.private !== true) {
            throw new Error(`false private\n${explain(c, v, r.verdict.reason)}`);
          }
          // Property 2: S3 logged a public source (in a source the deployment reads) for a path that
          // left the endpoint.
          const remote = choice.accessLogs || choice.cloudTrail ? c.sim.accessLog?.remoteIp : undefined;
          if (trace?.delivered && !trace.private && remote !== undefined && isPublic(remote)) {
            tally.leftPath++;
            if (v !== 'left-path') {
              throw new Error(`left the path but not left-path\n${explain(c, v, r.verdict.reason)}`);
            }
          }
        }
      }),
      { numRuns: RUNS, seed: process.env.PATHGUARD_SEED ? Number(process.env.PATHGUARD_SEED) : undefined },
    );
    // The generator must reach every kind of outcome, or the properties hold vacuously.
    expect(tally.privatePaths).toBeGreaterThan(0);
    expect(tally.privateConfirmed).toBeGreaterThan(0);
    expect(tally.leftPath).toBeGreaterThan(0);
    console.info(`differential: ${JSON.stringify(tally)}`);
  }, 600_000);
});
