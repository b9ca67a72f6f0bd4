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

/** What every record of one connection shares, and the list the records go to. */
interface ConnectionLog {
  readonly scenario: LabScenario;
  readonly connection: ForwardedConnection;
  readonly delivered: boolean;
  /** The address connected to, and the AWS service that owns it (null when none does). */
  readonly dst: string;
  readonly dstService: string | null;
  readonly out: LabFlowRecord[];
}

/** A packet source as it travels: a NAT gateway changes both. */
interface PacketSource {
  readonly address: string;
  readonly port: number;
}

/** The request's and the reply's records on one side of a forwarding ENI. */
interface Leg {
  readonly request: RecordFields;
  readonly reply: RecordFields;
}

/** The `pkt-*-aws-service` of an address: S3 for its prefix list, the edge's and MRAP's services. */
function awsServiceOf(s: LabScenario, address: string): string | null {
  const services = CidrSet.build<string>([
    ...s.s3.cidrs.map((b) => [b, 'S3'] as const),
    ...s.edge.addresses.map((a) => [`${a}/32`, s.edge.awsService] as const),
    ...s.mrap.addresses.map((a) => [`${a}/32`, s.mrap.awsService] as const),
  ]).set;
  return services.get(address) ?? null;
}

function azOf(s: LabScenario, subnetId: string): string | null {
  return s.vpcs.flatMap((v) => v.subnets).find((x) => x.subnetId === subnetId)?.azId ?? null;
}

/** Appends one record on `eni`'s log stream; `r` overrides the connection's defaults. */
function emit(log: ConnectionLog, eni: LabEni, instanceId: string | null, r: RecordFields): void {
  const { scenario: s, connection: c } = log;
  log.out.push({
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
      azId: azOf(s, eni.subnetId),
      sublocationType: null,
      sublocationId: null,
      pktSrcAwsService: null,
      pktDstAwsService: null,
      trafficPath: null,
      ...r,
    },
  });
}

/** Client → server counters: the whole request when delivered, else one unanswered SYN. */
function request(log: ConnectionLog, r: RecordFields): RecordFields {
  const bytes = log.delivered ? log.connection.bytesUp : SYN_BYTES;
  return {
    ...r,
    packets: log.delivered ? packets(bytes) : 1,
    bytes,
    tcpFlags: log.delivered ? OPENER_FLAGS : SYN_ONLY,
  };
}

/** Server → client counters. */
function reply(log: ConnectionLog, r: RecordFields): RecordFields {
  const bytes = log.connection.bytesDown;
  return { ...r, packets: packets(bytes), bytes, tcpFlags: ANSWER_FLAGS };
}

/** The vantage's own ENI (a VPC vantage only): its egress and the reply's ingress. */
function vantageRecords(log: ConnectionLog): void {
  const { scenario: s, connection: c, dst } = log;
  const v = c.trace.vantage;
  if (v.kind !== 'vpc') return;
  const self: LabEni = {
    eniId: v.eniId,
    subnetId: v.subnetId,
    vpcId: s.vpcs.find((x) => x.subnets.some((y) => y.subnetId === v.subnetId))?.vpcId ?? '',
    ip: v.ip,
  };
  const instanceId = v.instanceId ?? null;
  emit(
    log,
    self,
    instanceId,
    request(log, {
      srcaddr: v.ip,
      dstaddr: dst,
      srcport: c.srcport,
      dstport: c.dstport,
      pktDstAwsService: log.dstService,
      flowDirection: 'egress',
      trafficPath: trafficPathTo(c.trace.hops[0]?.device, v.nitro),
    }),
  );
  if (!log.delivered) return;
  emit(
    log,
    self,
    instanceId,
    reply(log, {
      srcaddr: dst,
      dstaddr: v.ip,
      srcport: c.dstport,
      dstport: c.srcport,
      pktSrcAwsService: log.dstService,
      flowDirection: 'ingress',
    }),
  );
}

/** Packets from `from` entering a forwarding ENI, and the replies it sends back to them. */
function receivingLeg(log: ConnectionLog, eni: LabEni, from: PacketSource): Leg {
  const { connection: c, dst } = log;
  return {
    request: request(log, {
      srcaddr: from.address,
      dstaddr: eni.ip,
      srcport: from.port,
      dstport: c.dstport,
      pktSrcaddr: from.address,
      pktDstaddr: dst,
      pktDstAwsService: log.dstService,
      flowDirection: 'ingress',
    }),
    reply: reply(log, {
      srcaddr: eni.ip,
      dstaddr: from.address,
      srcport: c.dstport,
      dstport: from.port,
      pktSrcaddr: dst,
      pktDstaddr: from.address,
      pktSrcAwsService: log.dstService,
      flowDirection: 'egress',
      trafficPath: 1,
    }),
  };
}

/** Packets a forwarding ENI sends on from `onward` (its own address in `srcaddr`), and the replies. */
function sendingLeg(log: ConnectionLog, eni: LabEni, onward: PacketSource, trafficPath: number | null): Leg {
  const { connection: c, dst } = log;
  return {
    request: request(log, {
      srcaddr: eni.ip,
      dstaddr: dst,
      srcport: onward.port,
      dstport: c.dstport,
      pktSrcaddr: onward.address,
      pktDstaddr: dst,
      pktDstAwsService: log.dstService,
      flowDirection: 'egress',
      trafficPath,
    }),
    reply: reply(log, {
      srcaddr: dst,
      dstaddr: eni.ip,
      srcport: c.dstport,
      dstport: onward.port,
      pktSrcaddr: dst,
      pktDstaddr: onward.address,
      pktSrcAwsService: log.dstService,
      flowDirection: 'ingress',
    }),
  };
}

/** A forwarding ENI (NAT gateway, GWLB endpoint): packets in, packets out; requester-managed, so no instance id. */
function forwardingRecords(
  log: ConnectionLog,
  eni: LabEni,
  next: LabDevice | undefined,
  from: PacketSource,
  onward: PacketSource,
): void {
  const inward = receivingLeg(log, eni, from);
  const outward = sendingLeg(log, eni, onward, trafficPathTo(next, false));
  emit(log, eni, null, inward.request);
  emit(log, eni, null, outward.request);
  if (!log.delivered) return;
  emit(log, eni, null, outward.reply);
  emit(log, eni, null, inward.reply);
}

/**
 * A transit gateway: the attachment ENI in the source VPC takes the packets in; the one in the next
 * VPC sends them on (AWS's TGW example: `srcaddr` the ENI, `pkt-srcaddr` the original).
 */
function transitRecords(
  log: ConnectionLog,
  tgw: Extract<LabDevice, { kind: 'transit-gateway' }>,
  from: PacketSource,
  trafficPath: number | null,
): void {
  const inward = receivingLeg(log, tgw.from, from);
  emit(log, tgw.from, null, inward.request);
  if (log.delivered) emit(log, tgw.from, null, inward.reply);
  const outward = sendingLeg(log, tgw.to, from, trafficPath);
  emit(log, tgw.to, null, outward.request);
  if (log.delivered) emit(log, tgw.to, null, outward.reply);
}

/**
 * An interface endpoint ENI: the request's ingress as it arrives, and the reply's egress back by
 * the way it came (3 to the virtual private gateway, 4/5 over peering, else 1).
 */
function interfaceEndpointRecords(
  log: ConnectionLog,
  eni: LabEni,
  previous: LabDevice | undefined,
  from: PacketSource,
): void {
  const { connection: c, dst } = log;
  const back =
    previous?.kind === 'private-vif' || previous?.kind === 'peering-connection'
      ? trafficPathTo(previous, false)
      : 1;
  emit(
    log,
    eni,
    null,
    request(log, {
      srcaddr: from.address,
      dstaddr: dst,
      srcport: from.port,
      dstport: c.dstport,
      flowDirection: 'ingress',
    }),
  );
  if (!log.delivered) return;
  emit(
    log,
    eni,
    null,
    reply(log, {
      srcaddr: dst,
      dstaddr: from.address,
      srcport: c.dstport,
      dstport: from.port,
      flowDirection: 'egress',
      trafficPath: back,
    }),
  );
}

/** The records of every device along the path, hop by hop. */
function hopRecords(log: ConnectionLog): void {
  const t = log.connection.trace;
  const hops = t.hops;
  // The device that refused the packets when a drop happened at a device (a gateway endpoint
  // reached from a transit gateway): the egress towards it has no traffic-path that applies, `-`.
  const refusing = !log.delivered && t.path === 'dropped' ? hops.at(-1)?.device : undefined;
  const towards = (next: LabDevice | undefined) =>
    next !== undefined && next === refusing && next.kind === 'gateway-endpoint'
      ? null
      : trafficPathTo(next, false);
  let from: PacketSource = { address: t.vantage.ip, port: log.connection.srcport };
  let previous: LabDevice | undefined;
  for (const [i, hop] of hops.entries()) {
    const d = hop.device;
    const next = hops[i + 1]?.device;
    switch (d.kind) {
      case 'gwlb-endpoint':
        // The appliance keeps the packet's addresses (a bump in the wire).
        forwardingRecords(log, d.eni, next, from, from);
        break;
      case 'transit-gateway':
        transitRecords(log, d, from, towards(next));
        break;
      case 'nat-gateway': {
        // The NAT's translated source port: any ephemeral port, derived so records stay reproducible.
        const translated = { address: d.eni.ip, port: 1024 + ((from.port * 7919) % 64512) };
        forwardingRecords(log, d.eni, next, from, translated);
        from = translated;
        break;
      }
      case 'interface-endpoint':
        interfaceEndpointRecords(log, d.eni, previous, from);
        break;
      default:
        break;
    }
    previous = d;
  }
}

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
  const dst = c.trace.address;
  const log: ConnectionLog = {
    scenario: s,
    connection: c,
    delivered: c.trace.delivered,
    dst,
    dstService: awsServiceOf(s, dst),
    out: [],
  };
  vantageRecords(log);
  hopRecords(log);
  return log.out;
}
