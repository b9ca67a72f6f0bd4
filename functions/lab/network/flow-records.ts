import { FIELDS_BY_VERSION, type FlowFormat, flowFormatOf } from '../../../shared/flow-logs/index.js';
import type { FlowRecord } from '../../../shared/flow-logs/types.js';
import { CidrSet } from '../../../shared/net/cidr-set.js';
import type { LabPath } from './paths.js';
import type { LabScenario, LabScenarioVantage } from './scenario.js';

/**
 * The lab flow log's custom format: every field up to version 5 in AWS's table order (the order
 * of AWS's Athena DDL for flow logs, aws-facts §1.6), so `traffic-path`, `flow-direction` and the
 * `pkt-*` fields are all there.
 */
export const LAB_FLOW_LOG_FIELDS: readonly string[] = FIELDS_BY_VERSION.filter(([v]) => v <= 5).flatMap(
  ([, names]) => names,
);

/** {@link LAB_FLOW_LOG_FIELDS} as a parsed format (for `formatFlowRecord` and the parsers). */
export const LAB_FLOW_LOG_FORMAT: FlowFormat = flowFormatOf(LAB_FLOW_LOG_FIELDS);

/** The `--log-format` string the lab's flow log would be created with. */
export const LAB_FLOW_LOG_FORMAT_SPEC = LAB_FLOW_LOG_FIELDS.map((f) => `\${${f}}`).join(' ');

/** What a forwarder saw of one TCP connection. */
export interface ForwardedConnection {
  readonly vantage: LabScenarioVantage;
  readonly path: LabPath;
  /** The scenario address the client connected to, and its port. */
  readonly dstaddr: string;
  readonly dstport: number;
  /** The client's source port (an ephemeral port number; no address of the host leaks through). */
  readonly srcport: number;
  /** Payload bytes client → server and server → client. */
  readonly bytesUp: number;
  readonly bytesDown: number;
  /** Unix seconds of the first and last packet. */
  readonly start: number;
  readonly end: number;
  /** The network dropped the connection (an internet-gateway route without a public address). */
  readonly dropped: boolean;
}

/** One flow record and the ENI whose log stream it belongs to. */
export interface LabFlowRecord {
  readonly eniId: string;
  readonly record: FlowRecord;
}

// TCP flags OR-ed over an aggregation interval (aws-facts §1.3): the side that opens sends SYN and
// FIN (3); the side that answers sends SYN-ACK and FIN (19); an unanswered open shows SYN (2).
const OPENER_FLAGS = 3;
const ANSWER_FLAGS = 19;
const SYN_ONLY = 2;
/** Payload per segment on a 1500-byte MTU path with TCP timestamps. */
const SEGMENT = 1448;

function packets(bytes: number): number {
  // The handshake and teardown packets carry no payload but are counted.
  return Math.ceil(bytes / SEGMENT) + 2;
}

/**
 * The VPC Flow Log records AWS would write for one connection, on every ENI it crossed, with the
 * scenario's addresses (aws-facts §1.7, §1.8):
 *
 * - gateway endpoint: the client ENI only, egress `traffic-path` 7 to the public S3 address;
 * - internet gateway: the same with 8 (a drop leaves only the egress record of the SYN);
 * - NAT gateway: the client ENI (egress 1, the NAT being a resource in the VPC) and the NAT ENI's
 *   four records, whose `pkt-*` fields keep the original source and final destination, the
 *   NAT's egress to S3 leaving through the internet gateway (8);
 * - interface endpoint from the VPC: the client ENI (egress 1) and the endpoint ENI;
 * - on-prem over the private VIF: the endpoint ENI only, its replies going back through the
 *   virtual private gateway (3);
 * - on-prem over the internet: nothing, as the traffic never enters the VPC.
 *
 * `pkt-src-aws-service`/`pkt-dst-aws-service` name S3 for prefix-list addresses and the edge's
 * service for edge addresses; `traffic-path` is set on egress records only.
 */
export function flowRecordsFor(s: LabScenario, c: ForwardedConnection): LabFlowRecord[] {
  const v = s.vpc;
  const services = CidrSet.build<string>([
    ...s.s3.cidrs.map((b) => [b, 'S3'] as const),
    ...s.edge.addresses.map((a) => [`${a}/32`, s.edge.awsService] as const),
  ]).set;
  const service = (a: string) => services.get(a) ?? null;
  const azOf = (subnetId: string) => v.subnets.find((x) => x.subnetId === subnetId)?.azId ?? null;
  const up = c.bytesUp;
  const down = c.bytesDown;
  const on = (
    eniId: string,
    subnetId: string,
    instanceId: string | null,
    r: Partial<FlowRecord> & { srcaddr: string; dstaddr: string; flowDirection: 'ingress' | 'egress' },
  ): LabFlowRecord => ({
    eniId,
    record: {
      version: 5,
      accountId: s.accountId,
      interfaceId: eniId,
      srcport: null,
      dstport: null,
      protocol: 6,
      packets: null,
      bytes: null,
      start: c.start,
      end: Math.max(c.start, c.end),
      action: 'ACCEPT',
      logStatus: 'OK',
      vpcId: v.vpcId,
      subnetId,
      instanceId,
      tcpFlags: null,
      type: 'IPv4',
      pktSrcaddr: r.srcaddr,
      pktDstaddr: r.dstaddr,
      region: s.region,
      azId: azOf(subnetId),
      sublocationType: null,
      sublocationId: null,
      pktSrcAwsService: null,
      pktDstAwsService: null,
      trafficPath: null,
      ...r,
    },
  });

  if (c.path === 'onprem-internet') return [];
  const dst = c.dstaddr;
  if (c.path === 'onprem-private-vif') {
    const eni = v.interfaceEndpoint.networkInterfaces.find((n) => n.ip === dst);
    if (!eni) return [];
    const o = c.vantage.ip;
    return [
      on(eni.eniId, eni.subnetId, null, {
        srcaddr: o,
        dstaddr: dst,
        srcport: c.srcport,
        dstport: c.dstport,
        packets: packets(up),
        bytes: up,
        tcpFlags: OPENER_FLAGS,
        flowDirection: 'ingress',
      }),
      on(eni.eniId, eni.subnetId, null, {
        srcaddr: dst,
        dstaddr: o,
        srcport: c.dstport,
        dstport: c.srcport,
        packets: packets(down),
        bytes: down,
        tcpFlags: ANSWER_FLAGS,
        flowDirection: 'egress',
        trafficPath: 3,
      }),
    ];
  }
  const vantage = c.vantage;
  if (vantage.kind !== 'vpc') return [];
  const client = vantage.ip;
  const self = (r: Parameters<typeof on>[3]) =>
    on(vantage.eniId, vantage.subnetId, vantage.instanceId ?? null, r);
  const clientPair = (trafficPath: number): LabFlowRecord[] => [
    self({
      srcaddr: client,
      dstaddr: dst,
      srcport: c.srcport,
      dstport: c.dstport,
      packets: packets(up),
      bytes: up,
      tcpFlags: OPENER_FLAGS,
      pktDstAwsService: service(dst),
      flowDirection: 'egress',
      trafficPath,
    }),
    self({
      srcaddr: dst,
      dstaddr: client,
      srcport: c.dstport,
      dstport: c.srcport,
      packets: packets(down),
      bytes: down,
      tcpFlags: ANSWER_FLAGS,
      pktSrcAwsService: service(dst),
      flowDirection: 'ingress',
    }),
  ];

  switch (c.path) {
    case 'gateway-endpoint':
      return clientPair(7);
    case 'internet-gateway':
      if (!c.dropped) return clientPair(8);
      return [
        self({
          srcaddr: client,
          dstaddr: dst,
          srcport: c.srcport,
          dstport: c.dstport,
          packets: 1,
          bytes: 60,
          tcpFlags: SYN_ONLY,
          pktDstAwsService: service(dst),
          flowDirection: 'egress',
          trafficPath: 8,
        }),
      ];
    case 'interface-endpoint': {
      const eni = v.interfaceEndpoint.networkInterfaces.find((n) => n.ip === dst);
      if (!eni) return [];
      return [
        ...clientPair(1),
        on(eni.eniId, eni.subnetId, null, {
          srcaddr: client,
          dstaddr: dst,
          srcport: c.srcport,
          dstport: c.dstport,
          packets: packets(up),
          bytes: up,
          tcpFlags: OPENER_FLAGS,
          flowDirection: 'ingress',
        }),
        on(eni.eniId, eni.subnetId, null, {
          srcaddr: dst,
          dstaddr: client,
          srcport: c.dstport,
          dstport: c.srcport,
          packets: packets(down),
          bytes: down,
          tcpFlags: ANSWER_FLAGS,
          flowDirection: 'egress',
          trafficPath: 1,
        }),
      ];
    }
    case 'nat-gateway': {
      const n = v.natGateway;
      // The NAT's translated source port: any ephemeral port, derived so records stay reproducible.
      const natPort = 1024 + ((c.srcport * 7919) % 64512);
      const nat = (r: Parameters<typeof on>[3]) => on(n.eniId, n.subnetId, null, r);
      return [
        ...clientPair(1),
        nat({
          srcaddr: client,
          dstaddr: n.privateIp,
          srcport: c.srcport,
          dstport: c.dstport,
          packets: packets(up),
          bytes: up,
          tcpFlags: OPENER_FLAGS,
          pktSrcaddr: client,
          pktDstaddr: dst,
          pktDstAwsService: service(dst),
          flowDirection: 'ingress',
        }),
        nat({
          srcaddr: n.privateIp,
          dstaddr: dst,
          srcport: natPort,
          dstport: c.dstport,
          packets: packets(up),
          bytes: up,
          tcpFlags: OPENER_FLAGS,
          pktDstAwsService: service(dst),
          flowDirection: 'egress',
          trafficPath: 8,
        }),
        nat({
          srcaddr: dst,
          dstaddr: n.privateIp,
          srcport: c.dstport,
          dstport: natPort,
          packets: packets(down),
          bytes: down,
          tcpFlags: ANSWER_FLAGS,
          pktSrcAwsService: service(dst),
          flowDirection: 'ingress',
        }),
        nat({
          srcaddr: n.privateIp,
          dstaddr: client,
          srcport: c.dstport,
          dstport: c.srcport,
          packets: packets(down),
          bytes: down,
          tcpFlags: ANSWER_FLAGS,
          pktSrcaddr: dst,
          pktDstaddr: client,
          pktSrcAwsService: service(dst),
          flowDirection: 'egress',
          trafficPath: 1,
        }),
      ];
    }
  }
}
