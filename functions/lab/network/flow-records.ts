import { FIELDS_BY_VERSION, type FlowFormat, flowFormatOf } from '../../../shared/flow-logs/index.js';
import type { FlowRecord } from '../../../shared/flow-logs/types.js';
import { CidrSet } from '../../../shared/net/cidr-set.js';
import type { LabDevice, LabEni, LabTrace } from './paths.js';
import type { LabScenario } from './scenario.js';

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

/** What happened on one TCP connection along a traced path. */
export interface ConnectionFacts {
  /** The destination port. */
  readonly dstport: number;
  /** The client's source port (an ephemeral port number; no address of the host leaks through). */
  readonly srcport: number;
  /** Payload bytes client → server and server → client. */
  readonly bytesUp: number;
  readonly bytesDown: number;
  /** Unix seconds of the first and last packet. */
  readonly start: number;
  readonly end: number;
}

/** A connection a forwarder carried: its traced path and what it saw. */
export interface ForwardedConnection extends ConnectionFacts {
  readonly trace: LabTrace;
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
/** One SYN: IPv4 and TCP headers with options. */
const SYN_BYTES = 60;

function packets(bytes: number): number {
  // The handshake and teardown packets carry no payload but are counted.
  return Math.ceil(bytes / SEGMENT) + 2;
}

/**
 * The `traffic-path` AWS writes on an egress record whose next hop is `next` (aws-facts §1.4):
 * 7 (gateway endpoint) and 8 (internet gateway) only from a Nitro-based instance, else the
 * ambiguous 2; 1 for a resource in the same VPC with an ENI (NAT gateway, interface endpoint,
 * GWLB endpoint, TGW attachment); 4/5 for intra-/inter-Region peering; 3 for the virtual
 * private gateway; `-` (null) when no route applies.
 */
function trafficPathTo(next: LabDevice | undefined, nitro: boolean): number | null {
  switch (next?.kind) {
    case 'gateway-endpoint':
      return nitro ? 7 : 2;
    case 'internet-gateway':
      return nitro ? 8 : 2;
    case 'nat-gateway':
    case 'interface-endpoint':
    case 'gwlb-endpoint':
    case 'transit-gateway':
      return 1;
    case 'peering-connection':
      return next.interRegion ? 5 : 4;
    case 'private-vif':
      return 3;
    default:
      return null;
  }
}

type RecordFields = Partial<FlowRecord> & {
  srcaddr: string;
  dstaddr: string;
  flowDirection: 'ingress' | 'egress';
};

/**
 * The VPC Flow Log records AWS would write for one connection along a traced path, on every ENI
 * it crossed, with the scenario's addresses (aws-facts §1.7, §1.8). Per ENI:
 *
 * - the client (a VPC vantage): egress with the `traffic-path` of its first hop (7/8 only on
 *   Nitro, else 2; 1 to a device with an ENI; 4/5 over peering), and the reply's ingress;
 * - a device that forwards packets not addressed to it (NAT gateway, GWLB endpoint, TGW
 *   attachment) writes, as AWS's NAT and TGW examples show, its own address in `srcaddr` on egress
 *   and in `dstaddr` on ingress, the `pkt-*` fields keeping the packet's addresses; a NAT gateway
 *   translates the source (address and port) on its way out. Devices that are not instances
 *   never write 7 or 8: their egress through a gateway is the ambiguous 2 [derived];
 * - an interface endpoint ENI: the request's ingress from the client's address as it arrives
 *   (the on-prem address over the private VIF), the reply's egress back by the way it came
 *   (3 to the virtual private gateway, 4/5 over peering, else 1);
 * - nothing for traffic that never enters a VPC (on-prem over the internet), and nothing on a
 *   gateway endpoint or internet gateway, which have no ENI.
 *
 * A dropped connection leaves only the SYN's egress/ingress records on the ENIs it reached, with
 * no reply. `pkt-src-aws-service`/`pkt-dst-aws-service` name S3 for prefix-list addresses and the
 * edge's and the Multi-Region Access Point's services for their addresses (public addresses
 * only, §7 item 3).
 */
export function flowRecordsFor(s: LabScenario, c: ForwardedConnection): LabFlowRecord[] {
  const t = c.trace;
  const services = CidrSet.build<string>([
    ...s.s3.cidrs.map((b) => [b, 'S3'] as const),
    ...s.edge.addresses.map((a) => [`${a}/32`, s.edge.awsService] as const),
    ...s.mrap.addresses.map((a) => [`${a}/32`, s.mrap.awsService] as const),
  ]).set;
  const service = (a: string) => services.get(a) ?? null;
  const azOf = (subnetId: string) =>
    s.vpcs.flatMap((v) => v.subnets).find((x) => x.subnetId === subnetId)?.azId ?? null;
  const delivered = t.delivered;
  const up = delivered ? c.bytesUp : SYN_BYTES;
  const down = c.bytesDown;
  const upPackets = delivered ? packets(up) : 1;
  const upFlags = delivered ? OPENER_FLAGS : SYN_ONLY;
  const dst = t.address;
  const out: LabFlowRecord[] = [];
  const on = (eni: LabEni, instanceId: string | null, r: RecordFields) =>
    out.push({
      eniId: eni.eniId,
      record: {
        version: 5,
        accountId: s.accountId,
        interfaceId: eni.eniId,
        srcport: null,
        dstport: null,
        protocol: 6,
        packets: null,
        bytes: null,
        start: c.start,
        end: Math.max(c.start, c.end),
        action: 'ACCEPT',
        logStatus: 'OK',
        vpcId: eni.vpcId,
        subnetId: eni.subnetId,
        instanceId,
        tcpFlags: null,
        type: 'IPv4',
        pktSrcaddr: r.srcaddr,
        pktDstaddr: r.dstaddr,
        region: s.region,
        azId: azOf(eni.subnetId),
        sublocationType: null,
        sublocationId: null,
        pktSrcAwsService: null,
        pktDstAwsService: null,
        trafficPath: null,
        ...r,
      },
    });

  const v = t.vantage;
  // The packets' source as it travels (a NAT gateway changes it) and the port they leave from.
  const client = v.ip;
  const hops = t.hops;
  const request = (r: RecordFields): RecordFields => ({
    ...r,
    packets: upPackets,
    bytes: up,
    tcpFlags: upFlags,
  });
  const reply = (r: RecordFields): RecordFields => ({
    ...r,
    packets: packets(down),
    bytes: down,
    tcpFlags: ANSWER_FLAGS,
  });

  if (v.kind === 'vpc') {
    const self: LabEni = {
      eniId: v.eniId,
      subnetId: v.subnetId,
      vpcId: s.vpcs.find((x) => x.subnets.some((y) => y.subnetId === v.subnetId))?.vpcId ?? '',
      ip: v.ip,
    };
    on(
      self,
      v.instanceId ?? null,
      request({
        srcaddr: client,
        dstaddr: dst,
        srcport: c.srcport,
        dstport: c.dstport,
        pktDstAwsService: service(dst),
        flowDirection: 'egress',
        trafficPath: trafficPathTo(hops[0]?.device, v.nitro),
      }),
    );
    if (delivered)
      on(
        self,
        v.instanceId ?? null,
        reply({
          srcaddr: dst,
          dstaddr: client,
          srcport: c.dstport,
          dstport: c.srcport,
          pktSrcAwsService: service(dst),
          flowDirection: 'ingress',
        }),
      );
  }

  // A forwarding ENI: packets in, packets out; requester-managed, so no instance id.
  const forwarding = (
    eni: LabEni,
    next: LabDevice | undefined,
    src: string,
    srcport: number,
    outSrc: string,
    outPort: number,
  ) => {
    on(
      eni,
      null,
      request({
        srcaddr: src,
        dstaddr: eni.ip,
        srcport,
        dstport: c.dstport,
        pktSrcaddr: src,
        pktDstaddr: dst,
        pktDstAwsService: service(dst),
        flowDirection: 'ingress',
      }),
    );
    on(
      eni,
      null,
      request({
        srcaddr: eni.ip,
        dstaddr: dst,
        srcport: outPort,
        dstport: c.dstport,
        pktSrcaddr: outSrc,
        pktDstaddr: dst,
        pktDstAwsService: service(dst),
        flowDirection: 'egress',
        trafficPath: trafficPathTo(next, false),
      }),
    );
    if (!delivered) return;
    on(
      eni,
      null,
      reply({
        srcaddr: dst,
        dstaddr: eni.ip,
        srcport: c.dstport,
        dstport: outPort,
        pktSrcaddr: dst,
        pktDstaddr: outSrc,
        pktSrcAwsService: service(dst),
        flowDirection: 'ingress',
      }),
    );
    on(
      eni,
      null,
      reply({
        srcaddr: eni.ip,
        dstaddr: src,
        srcport: c.dstport,
        dstport: srcport,
        pktSrcaddr: dst,
        pktDstaddr: src,
        pktSrcAwsService: service(dst),
        flowDirection: 'egress',
        trafficPath: 1,
      }),
    );
  };

  // The device that refused the packets when a drop happened at a device (a gateway endpoint
  // reached from a transit gateway): the egress towards it has no traffic-path that applies, `-`.
  const refusing = !delivered && t.path === 'dropped' ? hops.at(-1)?.device : undefined;
  const towards = (next: LabDevice | undefined) =>
    next !== undefined && next === refusing && next.kind === 'gateway-endpoint'
      ? null
      : trafficPathTo(next, false);
  let src = client;
  let srcport = c.srcport;
  let previous: LabDevice | undefined;
  for (const [i, hop] of hops.entries()) {
    const d = hop.device;
    const next = hops[i + 1]?.device;
    switch (d.kind) {
      case 'gwlb-endpoint':
        // The appliance keeps the packet's addresses (a bump in the wire).
        forwarding(d.eni, next, src, srcport, src, srcport);
        break;
      case 'transit-gateway': {
        // The attachment ENI in the source VPC takes the packets in; the one in the next VPC
        // sends them on (AWS's TGW example: `srcaddr` the ENI, `pkt-srcaddr` the original).
        on(
          d.from,
          null,
          request({
            srcaddr: src,
            dstaddr: d.from.ip,
            srcport,
            dstport: c.dstport,
            pktSrcaddr: src,
            pktDstaddr: dst,
            pktDstAwsService: service(dst),
            flowDirection: 'ingress',
          }),
        );
        if (delivered)
          on(
            d.from,
            null,
            reply({
              srcaddr: d.from.ip,
              dstaddr: src,
              srcport: c.dstport,
              dstport: srcport,
              pktSrcaddr: dst,
              pktDstaddr: src,
              pktSrcAwsService: service(dst),
              flowDirection: 'egress',
              trafficPath: 1,
            }),
          );
        on(
          d.to,
          null,
          request({
            srcaddr: d.to.ip,
            dstaddr: dst,
            srcport,
            dstport: c.dstport,
            pktSrcaddr: src,
            pktDstaddr: dst,
            pktDstAwsService: service(dst),
            flowDirection: 'egress',
            trafficPath: towards(next),
          }),
        );
        if (delivered)
          on(
            d.to,
            null,
            reply({
              srcaddr: dst,
              dstaddr: d.to.ip,
              srcport: c.dstport,
              dstport: srcport,
              pktSrcaddr: dst,
              pktDstaddr: src,
              pktSrcAwsService: service(dst),
              flowDirection: 'ingress',
            }),
          );
        break;
      }
      case 'nat-gateway': {
        // The NAT's translated source port: any ephemeral port, derived so records stay reproducible.
        const natPort = 1024 + ((srcport * 7919) % 64512);
        forwarding(d.eni, next, src, srcport, d.eni.ip, natPort);
        src = d.eni.ip;
        srcport = natPort;
        break;
      }
      case 'interface-endpoint': {
        const back =
          previous?.kind === 'private-vif' || previous?.kind === 'peering-connection'
            ? trafficPathTo(previous, false)
            : 1;
        on(
          d.eni,
          null,
          request({
            srcaddr: src,
            dstaddr: dst,
            srcport,
            dstport: c.dstport,
            flowDirection: 'ingress',
          }),
        );
        if (delivered)
          on(
            d.eni,
            null,
            reply({
              srcaddr: dst,
              dstaddr: src,
              srcport: c.dstport,
              dstport: srcport,
              flowDirection: 'egress',
              trafficPath: back,
            }),
          );
        break;
      }
      default:
        break;
    }
    previous = d;
  }
  return out;
}
