/**
 * Path of one VPC Flow Log record (design §4; aws-facts §1.4, §1.8, §5.2, §7). The numbered rules,
 * first match wins, with S = `pktSrcaddr ?? srcaddr` and D = `pktDstaddr ?? dstaddr`:
 *
 * 1. No addresses (NODATA, SKIPDATA, a format without them; S or D missing): not classified (null).
 * 2. S or D is an address of an S3 interface endpoint → `interface-endpoint`.
 * 3. R = D if D is in an S3 prefix list, else S if S is; neither → `not-s3`.
 * 4. The record's interface is a NAT gateway ENI, or `srcaddr`/`dstaddr` is a NAT gateway private
 *    address → `nat-gateway`.
 * 5. `trafficPath` 7 → `gateway-endpoint`; 8 → `internet-gateway` (authoritative, Nitro only).
 * 6. Otherwise (2, 1, `-`, absent, ingress) the local subnet (the record's `subnetId`, else the
 *    ENI's subnet, else the subnet holding the local address) and R resolved in its route table:
 *    a known gateway endpoint → `gateway-endpoint`; `nat-…` → `nat-gateway`; `igw-…`/`eigw-…` →
 *    `internet-gateway`; anything else → `unknown`.
 *
 * Where the facts do not prove a private path the answer is `unknown`, never an endpoint:
 * - rule 2 counts only interface endpoints of S3 services: an SSM endpoint's address is not S3
 *   traffic and falls through to rule 3 (`not-s3`);
 * - rule 6 answers `gateway-endpoint` only when the record's traffic-path is 2 or absent (ingress
 *   records, formats without the field): a gateway endpoint shows as 2 or 7, so any other value
 *   (1 for a NAT gateway or a firewall ENI, 3 to 6) contradicts the route and the answer is
 *   `unknown`;
 * - rule 6 answers `gateway-endpoint` only when the `vpce-…` target is listed in
 *   `gatewayEndpoints`: Gateway Load Balancer endpoints are `vpce-…` route targets too, and
 *   traffic sent to one (a firewall appliance) usually leaves through a NAT or internet gateway;
 * - rule 6 answers `unknown` instead of `gateway-endpoint` when the route table also has routes
 *   the environment cannot resolve (a prefix list whose blocks it does not list), since one of
 *   them might be more specific than the endpoint route, and when the listed gateway endpoint is
 *   not an S3 one (a document that contradicts itself);
 * - a record that names a subnet the environment does not know is `unknown`, not matched by
 *   address (another VPC may use the same block).
 *
 * Misconceptions this deliberately does not follow (aws-facts §7): a destination in the S3 prefix
 * list proves nothing by itself (rule 3 only selects R); `traffic-path` 2 ("internet gateway or a
 * gateway VPC endpoint") decides nothing and goes to rule 6; `pkt-dst-aws-service` is never read.
 */
import type { AddressFacts, EnvironmentIndex, ResolvedRoute } from '../env/environment-index.js';
import type { Subnet } from '../env/types.js';
import type { FlowRecord } from '../flow-logs/types.js';
import { IpAddress } from '../net/ip.js';
import { decision, quote } from './decision.js';
import type { PathDecision } from './types.js';

/** Stable ids of the flow-log rules, as they appear in `PathDecision.rule`. */
export const FLOW_RULES = {
  /** Rule 1: no addresses; the record is not classified (the classifier returns null). */
  NO_ADDRESSES: 'FLOW_NO_ADDRESSES',
  /** A source or destination that is present but not an IP address. */
  BAD_ADDRESS: 'FLOW_BAD_ADDRESS',
  INTERFACE_ENDPOINT_IP: 'FLOW_INTERFACE_ENDPOINT_IP',
  NOT_S3: 'FLOW_NOT_S3',
  NAT_GATEWAY: 'FLOW_NAT_GATEWAY',
  TRAFFIC_PATH_7: 'FLOW_TRAFFIC_PATH_7',
  TRAFFIC_PATH_8: 'FLOW_TRAFFIC_PATH_8',
  /** Rule 6 reached a route. */
  ROUTE_TABLE: 'FLOW_ROUTE_TABLE',
  /** Rule 6 could not find the local subnet. */
  NO_SUBNET: 'FLOW_NO_SUBNET',
  /** Rule 6 found the subnet but no route (or no route table) for R. */
  NO_ROUTE: 'FLOW_NO_ROUTE',
} as const;

/** `traffic-path` values other than 2, 7 and 8, as AWS words them (aws-facts §1.4). */
const TRAFFIC_PATHS: Readonly<Record<number, string>> = {
  1: 'through another resource in the same VPC',
  3: 'through a virtual private gateway',
  4: 'through an intra-region VPC peering connection',
  5: 'through an inter-region VPC peering connection',
  6: 'through a local gateway',
};

// Reused for every record: the classifier is synchronous and not re-entered.
const S = new IpAddress();
const D = new IpAddress();
const X = new IpAddress();

/**
 * The record keys `classifyFlowRecord` reads. A reader that only classifies (e.g. `classify
 * --summary`) can build just these (readFlowRecords' `fields` option); every field is still checked.
 */
export const FLOW_CLASSIFICATION_FIELDS: readonly string[] = [
  'srcaddr',
  'dstaddr',
  'pktSrcaddr',
  'pktDstaddr',
  'interfaceId',
  'subnetId',
  'vpcId',
  'trafficPath',
  'flowDirection',
  'logStatus',
];

/**
 * Classifies one flow-log record against an environment. Returns null for records without
 * addresses (rule 1: count them as unclassified). Pure, total and deterministic: never throws,
 * whatever the record holds.
 *
 * @example
 * const d = classifyFlowRecord(record, buildEnvironmentIndex(env));
 * if (d?.private === false) alert(d.reason);
 */
export function classifyFlowRecord(r: FlowRecord, idx: EnvironmentIndex): PathDecision | null {
  const s = r.pktSrcaddr ?? r.srcaddr;
  const d = r.pktDstaddr ?? r.dstaddr;
  if (s == null || d == null) return null;
  if (typeof s !== 'string' || !S.parse(s)) return badAddress('source', s);
  if (typeof d !== 'string' || !D.parse(d)) return badAddress('destination', d);

  // One lookup per address answers rules 2, 3 and (usually) 4.
  const sFacts = idx.addressFacts.get(S);
  const dFacts = idx.addressFacts.get(D);

  // Rule 2.
  let endpoint = sFacts?.s3InterfaceEndpoint;
  if (endpoint !== undefined) {
    return decision(
      'interface-endpoint',
      FLOW_RULES.INTERFACE_ENDPOINT_IP,
      `${FLOW_RULES.INTERFACE_ENDPOINT_IP}: source ${s} is an address of S3 interface endpoint ${endpoint.vpcEndpointId}`,
    );
  }
  endpoint = dFacts?.s3InterfaceEndpoint;
  if (endpoint !== undefined) {
    return decision(
      'interface-endpoint',
      FLOW_RULES.INTERFACE_ENDPOINT_IP,
      `${FLOW_RULES.INTERFACE_ENDPOINT_IP}: destination ${d} is an address of S3 interface endpoint ${endpoint.vpcEndpointId}`,
    );
  }

  // Rule 3.
  let rIsDestination = true;
  let list = dFacts?.s3PrefixList;
  if (list === undefined) {
    list = sFacts?.s3PrefixList;
    rIsDestination = false;
  }
  if (list === undefined) {
    return decision(
      'not-s3',
      FLOW_RULES.NOT_S3,
      `${FLOW_RULES.NOT_S3}: neither ${s} nor ${d} is in an S3 prefix list`,
    );
  }
  const rText = rIsDestination ? d : s;
  const rFact = `S3 address ${rText} (${list.prefixListId})`;

  // Rule 4.
  const iface = typeof r.interfaceId === 'string' ? r.interfaceId : null;
  if (iface !== null) {
    const nat = idx.natGatewayByEni.get(iface);
    if (nat !== undefined) {
      return decision(
        'nat-gateway',
        FLOW_RULES.NAT_GATEWAY,
        `${FLOW_RULES.NAT_GATEWAY}: interface ${iface} is an ENI of NAT gateway ${nat.natGatewayId}; peer ${rFact}`,
      );
    }
  }
  const natSrc = natPrivate(idx, r.srcaddr, s, sFacts);
  if (natSrc !== null) {
    return decision(
      'nat-gateway',
      FLOW_RULES.NAT_GATEWAY,
      `${FLOW_RULES.NAT_GATEWAY}: srcaddr ${r.srcaddr} is a private address of NAT gateway ${natSrc}; peer ${rFact}`,
    );
  }
  const natDst = natPrivate(idx, r.dstaddr, d, dFacts);
  if (natDst !== null) {
    return decision(
      'nat-gateway',
      FLOW_RULES.NAT_GATEWAY,
      `${FLOW_RULES.NAT_GATEWAY}: dstaddr ${r.dstaddr} is a private address of NAT gateway ${natDst}; peer ${rFact}`,
    );
  }

  // Rule 5.
  const tp = r.trafficPath;
  if (tp === 7) {
    return decision(
      'gateway-endpoint',
      FLOW_RULES.TRAFFIC_PATH_7,
      `${FLOW_RULES.TRAFFIC_PATH_7}: traffic-path 7 (through a gateway VPC endpoint) to ${rFact}`,
    );
  }
  if (tp === 8) {
    return decision(
      'internet-gateway',
      FLOW_RULES.TRAFFIC_PATH_8,
      `${FLOW_RULES.TRAFFIC_PATH_8}: traffic-path 8 (through an internet gateway) to ${rFact}`,
    );
  }

  // Rule 6.
  const localText = rIsDestination ? s : d;
  let subnet: Subnet | undefined;
  let how: string;
  const subnetId = r.subnetId;
  const eniSubnet = typeof subnetId !== 'string' && iface !== null ? idx.subnetByEni.get(iface) : undefined;
  if (typeof subnetId === 'string') {
    subnet = idx.subnets.get(subnetId);
    if (subnet === undefined) {
      return decision(
        'unknown',
        FLOW_RULES.NO_SUBNET,
        `${FLOW_RULES.NO_SUBNET}: the record's subnet ${subnetId} is not in the environment; ${rFact}`,
      );
    }
    how = 'the record';
  } else if (eniSubnet !== undefined) {
    subnet = eniSubnet;
    how = `interface ${iface}`;
  } else {
    const found = idx.subnetsForAddress(rIsDestination ? S : D, typeof r.vpcId === 'string' ? r.vpcId : null);
    if (found.length !== 1) {
      return decision(
        'unknown',
        FLOW_RULES.NO_SUBNET,
        found.length === 0
          ? `${FLOW_RULES.NO_SUBNET}: no subnet known for local address ${localText} (no subnet-id, interface ${iface ?? '-'} not listed); ${rFact}`
          : `${FLOW_RULES.NO_SUBNET}: local address ${localText} is in ${found.length} subnets of overlapping VPCs; ${rFact}`,
      );
    }
    subnet = found[0]!;
    how = `local address ${localText}`;
  }
  const route = idx.resolveRouteInTable(subnet.routeTableId, rIsDestination ? D : S);
  if (route === null) {
    return decision(
      'unknown',
      FLOW_RULES.NO_ROUTE,
      idx.routeTables.has(subnet.routeTableId)
        ? `${FLOW_RULES.NO_ROUTE}: no route in ${subnet.routeTableId} of ${subnet.subnetId} matches ${rFact}`
        : `${FLOW_RULES.NO_ROUTE}: route table ${subnet.routeTableId} of ${subnet.subnetId} is not in the environment; ${rFact}`,
    );
  }
  return routeDecision(route, subnet, how, rFact, tp);
}

function routeDecision(
  route: ResolvedRoute,
  subnet: Subnet,
  how: string,
  rFact: string,
  tp: number | null | undefined,
): PathDecision {
  const facts = `${rFact} from ${subnet.subnetId} (by ${how}), traffic-path ${tp ?? '-'}: ${route.text}`;
  const rule = FLOW_RULES.ROUTE_TABLE;
  switch (route.targetKind) {
    case 'gateway-endpoint': {
      if (!route.s3GatewayEndpoint) {
        return decision(
          'unknown',
          rule,
          `${rule}: ${facts}, a gateway endpoint of ${quote(route.gatewayEndpoint?.serviceName ?? '-', 60)}, not of S3 (an inconsistent environment)`,
        );
      }
      // A gateway endpoint shows as traffic-path 2 or 7 (§1.4); any other value says the packets
      // went another way (1: through a resource with an ENI such as a NAT gateway), so the
      // environment is out of date or incomplete and the route proves nothing.
      if (typeof tp === 'number' && tp !== 2) {
        return decision(
          'unknown',
          rule,
          `${rule}: ${facts}, a gateway endpoint, but traffic-path ${tp} (${TRAFFIC_PATHS[tp] ?? 'an unknown value'}) contradicts that route`,
        );
      }
      if (route.unresolved.length > 0) {
        const pending = route.unresolved.map((u) => `${u.destination} → ${u.target}`).join(', ');
        return decision(
          'unknown',
          rule,
          `${rule}: ${facts}, a gateway endpoint, but routes ${pending} cannot be resolved and might be more specific`,
        );
      }
      return decision('gateway-endpoint', rule, `${rule}: ${facts}, a gateway endpoint`);
    }
    case 'nat-gateway':
      return decision('nat-gateway', rule, `${rule}: ${facts}`);
    case 'internet-gateway':
    case 'egress-only-internet-gateway':
      return decision('internet-gateway', rule, `${rule}: ${facts}`);
    case 'vpc-endpoint':
      return decision(
        'unknown',
        rule,
        `${rule}: ${facts}, which is not a known gateway endpoint (a Gateway Load Balancer endpoint is also vpce-)`,
      );
    default:
      return decision('unknown', rule, `${rule}: ${facts} (${route.targetKind}), which shows no S3 path`);
  }
}

/** The NAT gateway whose private address `text` is; reuses the facts of `sameText` when equal. */
function natPrivate(
  idx: EnvironmentIndex,
  text: string | number | null | undefined,
  sameText: string,
  same: AddressFacts | undefined,
): string | null {
  if (typeof text !== 'string') return null;
  if (text === sameText) return same?.natPrivate?.natGatewayId ?? null;
  if (!X.parse(text)) return null;
  return idx.natPrivateIps.get(X)?.natGatewayId ?? null;
}

function badAddress(which: string, value: unknown): PathDecision {
  return decision(
    'unknown',
    FLOW_RULES.BAD_ADDRESS,
    `${FLOW_RULES.BAD_ADDRESS}: ${which} ${quote(String(value))} is not an IP address`,
  );
}
