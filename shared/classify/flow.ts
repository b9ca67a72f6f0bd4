/**
 * Path of one VPC Flow Log record (design §4; aws-facts §1.4, §1.8, §5.1, §5.2, §7). The numbered
 * rules, first match wins, with S = `pktSrcaddr ?? srcaddr`, D = `pktDstaddr ?? dstaddr`, and the
 * local address L = the address of the record's own network interface: `srcaddr` for egress,
 * `dstaddr` for ingress ("the IPv4 or IPv6 address of the network interface", aws-facts §1.3),
 * the one opposite the S3 address when the record has no `flow-direction`.
 *
 * Where the record sits (its *placement*): the VPC and subnet the record names (`vpc-id`,
 * `subnet-id`) and the subnet of its interface (`networkInterfaces`, NAT gateway ENIs). When the
 * record names neither, L decides, and only when exactly one VPC (one subnet) of the environment
 * holds it: overlapping VPCs reuse addresses. Named facts that disagree (a `vpc-id` other than
 * the subnet's VPC, a `subnet-id` other than the interface's subnet) are a placement conflict.
 *
 * 1. FLOW_NO_ADDRESSES: S or D missing (NODATA, SKIPDATA, a format without them): not classified
 *    (null). FLOW_BAD_ADDRESS: S or D present but not an address → `unknown`.
 * 2. FLOW_INTERFACE_ENDPOINT_IP: D (else S) is an address of an interface endpoint E of an S3
 *    service (`isS3ServiceName`: SSM, STS, … endpoints carry no S3 traffic) and the record is
 *    placed in E's VPC: by its `vpc-id`, its `subnet-id`, its interface's subnet, or (none named)
 *    L in exactly one VPC of the environment, E's. An address is an endpoint's only inside the
 *    endpoint's VPC (aws-facts §5.1: interface endpoints "use private IP addresses from your
 *    VPC"): another VPC may give the same address to a host, and an ENI address is reused after
 *    deletion; a record placed elsewhere goes on to rule 3 as any other. Then →
 *    `interface-endpoint`, unless (FLOW_INTERFACE_ENDPOINT_CONTRADICTED → `unknown`):
 *    - the other side (or `srcaddr`/`dstaddr`) is an S3 prefix-list address: interface-endpoint traffic goes *to* the
 *      endpoint's private address, and S3 traffic beyond the endpoint ENI is not in the
 *      customer's flow logs (aws-facts §1.8);
 *    - `traffic-path` is 2, 7 or 8: packets to a private address of the VPC never go through an
 *      internet gateway or a gateway endpoint (aws-facts §1.4);
 *    - (FLOW_INTERFACE_ENDPOINT_OTHER_HOSTS) with a host scope (the probe's host kind), E does not
 *      serve that kind: MRAP names only through `s3-global.accesspoint`, no others there (./host-scope.ts).
 * 3. FLOW_NOT_S3: R = D if D is in an S3 prefix list, else S if S is; neither → `not-s3`. Only
 *    `s3PrefixLists` make an address S3: customer and other services' lists (`prefixLists`) only
 *    resolve routes (aws-facts §5.6).
 * 4. FLOW_S3_LOCAL_ADDRESS: L is an S3 prefix-list address → `unknown`: a network interface of
 *    the VPC never has a public S3 address (aws-facts §5.1), so the record is not what it seems.
 * 5. FLOW_NAT_GATEWAY: the interface is a NAT gateway ENI, or `srcaddr`/`dstaddr` is a NAT
 *    gateway private address → `nat-gateway` (aws-facts §1.7 NAT example, §1.8).
 * 6. FLOW_TRAFFIC_PATH_8: `traffic-path` 8 → `internet-gateway` (aws-facts §1.4, Nitro only). It
 *    wins over every route and address rule that would say otherwise.
 * 7. FLOW_TRAFFIC_PATH_7: `traffic-path` 7 → `gateway-endpoint` (aws-facts §1.4, Nitro only).
 *    Like 8, it is AWS's word about the packet at request time: the route of the record's
 *    subnet, where known, is named in the reason as corroboration or as a disagreement (an
 *    environment read before or after a route change), never over it. NAT evidence (rule 5) in
 *    the same record still wins: a NAT gateway in a subnet with the endpoint route sends through
 *    the endpoint, but the client's request left through the NAT gateway.
 * 8. FLOW_PLACEMENT_CONFLICT: the record's placement conflicts → `unknown`.
 * 9. FLOW_ROUTE_TABLE: otherwise (`traffic-path` 2, 1, 3 to 6, `-`, absent, ingress) the local
 *    subnet (placement) and R resolved in its route table by longest prefix match over CIDR and
 *    prefix-list routes (aws-facts §5.2): `nat-…` → `nat-gateway`; `igw-…`/`eigw-…` →
 *    `internet-gateway`; an S3 gateway endpoint → `gateway-endpoint` only when
 *    `proveS3GatewayEndpoint` holds (the endpoint is of S3, in the subnet's VPC, reached through
 *    its own prefix list, serves R's family: IPv6 only for `ipAddressType` `dualstack`/`ipv6`; no
 *    unresolved route in the table) and `traffic-path` is 2 or absent (a gateway endpoint shows
 *    as 2 or 7; 1 is a resource with an ENI such as a NAT gateway or a firewall, 3 to 6 other
 *    gateways); anything else → `unknown`. FLOW_NO_SUBNET: no subnet placed (unknown subnet,
 *    no ENI, L in no subnet or in several) → `unknown`. FLOW_NO_ROUTE: no route → `unknown`.
 *
 * Misconceptions this deliberately does not follow (aws-facts §7 items 1 to 3): a destination in
 * the S3 prefix list proves nothing by itself (rule 3 only selects R); `traffic-path` 2 ("internet
 * gateway or a gateway VPC endpoint") decides nothing alone and goes to rule 9, which needs the
 * route; `pkt-dst-aws-service` is never read. The gateway endpoint's `routeTableIds` are not read
 * either: the route in the table decides (aws-facts §5.2).
 */
import {
  type AddressFacts,
  type EnvironmentIndex,
  type GatewayEndpointProof,
  proveS3GatewayEndpoint,
  type ResolvedRoute,
} from '../env/environment-index.js';
import type { InterfaceEndpoint, Subnet } from '../env/types.js';
import type { FlowRecord } from '../flow-logs/types.js';
import { IpAddress } from '../net/ip.js';
import { decision, quote } from './decision.js';
import { type HostScope, scopeText, servesHosts } from './host-scope.js';
import type { PathDecision } from './types.js';

/** Stable ids of the flow-log rules, as they appear in `PathDecision.rule`. */
export const FLOW_RULES = {
  /** Rule 1: no addresses; the record is not classified (the classifier returns null). */
  NO_ADDRESSES: 'FLOW_NO_ADDRESSES',
  /** A source or destination that is present but not an IP address. */
  BAD_ADDRESS: 'FLOW_BAD_ADDRESS',
  INTERFACE_ENDPOINT_IP: 'FLOW_INTERFACE_ENDPOINT_IP',
  /** Rule 2 held but traffic-path 2, 7 or 8 says the packets went through a gateway. */
  INTERFACE_ENDPOINT_CONTRADICTED: 'FLOW_INTERFACE_ENDPOINT_CONTRADICTED',
  /** Rule 2, scoped: the endpoint does not serve the probe's kind of host name → `unknown`. */
  INTERFACE_ENDPOINT_OTHER_HOSTS: 'FLOW_INTERFACE_ENDPOINT_OTHER_HOSTS',
  NOT_S3: 'FLOW_NOT_S3',
  /** Rule 4: the record's own interface would have a public S3 address. */
  S3_LOCAL_ADDRESS: 'FLOW_S3_LOCAL_ADDRESS',
  NAT_GATEWAY: 'FLOW_NAT_GATEWAY',
  TRAFFIC_PATH_8: 'FLOW_TRAFFIC_PATH_8',
  TRAFFIC_PATH_7: 'FLOW_TRAFFIC_PATH_7',
  /** Rule 8: the record's vpc-id, subnet-id and interface disagree. */
  PLACEMENT_CONFLICT: 'FLOW_PLACEMENT_CONFLICT',
  /** Rule 9 reached a route. */
  ROUTE_TABLE: 'FLOW_ROUTE_TABLE',
  /** Rule 9 could not find the local subnet. */
  NO_SUBNET: 'FLOW_NO_SUBNET',
  /** Rule 9 found the subnet but no route (or no route table) for R. */
  NO_ROUTE: 'FLOW_NO_ROUTE',
} as const;

/** `traffic-path` values other than 2, 7 and 8, as AWS words them (aws-facts §1.4). */
const TRAFFIC_PATHS: Readonly<Record<number, string>> = {
  1: 'through another resource in the same VPC',
  2: 'through an internet gateway or a gateway VPC endpoint',
  3: 'through a virtual private gateway',
  4: 'through an intra-region VPC peering connection',
  5: 'through an inter-region VPC peering connection',
  6: 'through a local gateway',
  7: 'through a gateway VPC endpoint',
  8: 'through an internet gateway',
};

// Reused for every record: the classifier is synchronous and not re-entered.
const S = new IpAddress();
const D = new IpAddress();
const X = new IpAddress();
const L = new IpAddress();

/** Every record key `classifyFlowRecord` reads: the key of FlowPathMemo too. */
export const FLOW_DECISION_FIELDS = [
  'srcaddr',
  'dstaddr',
  'pktSrcaddr',
  'pktDstaddr',
  'interfaceId',
  'subnetId',
  'vpcId',
  'trafficPath',
  'flowDirection',
] as const;

/**
 * The record keys a reader that only classifies (e.g. `classify --summary`) builds
 * (readFlowRecords' `fields` option): the decision's fields and the log status; every field is
 * still checked.
 */
export const FLOW_CLASSIFICATION_FIELDS: readonly string[] = [...FLOW_DECISION_FIELDS, 'logStatus'];

/**
 * What the record says about where it was captured: the VPC and subnet it names, the subnet of
 * its interface, and whether they disagree.
 */
interface Named {
  /** The record's vpc-id, else the VPC of its subnet or interface; null when nothing is named. */
  readonly vpcId: string | null;
  /** The record's subnet, else its interface's subnet. */
  readonly subnet: Subnet | undefined;
  /** How `subnet` was found, for reasons. */
  readonly how: string;
  /** A `subnet-id` the environment does not list. */
  readonly unknownSubnetId: string | null;
  /** Why the named facts disagree, or null. */
  readonly conflict: string | null;
}

/**
 * Classifies one flow-log record against an environment. Returns null for records without
 * addresses (rule 1: count them as unclassified). Pure, total and deterministic: never throws,
 * whatever the record holds.
 *
 * @example
 * const d = classifyFlowRecord(record, buildEnvironmentIndex(env));
 * if (d?.private === false) alert(d.reason);
 */
export function classifyFlowRecord(
  r: FlowRecord,
  idx: EnvironmentIndex,
  scope?: HostScope,
): PathDecision | null {
  const s = r.pktSrcaddr ?? r.srcaddr;
  const d = r.pktDstaddr ?? r.dstaddr;
  if (s == null || d == null) return null;
  if (typeof s !== 'string' || !S.parse(s)) return badAddress('source', s);
  if (typeof d !== 'string' || !D.parse(d)) return badAddress('destination', d);

  // One lookup per address answers rules 2, 3 and (usually) 5.
  const sFacts = idx.addressFacts.get(S);
  const dFacts = idx.addressFacts.get(D);
  const named = namedPlacement(r, idx);

  // Rule 2: the destination first (traffic goes to the endpoint), then the source (its replies).
  let aside: string | null = null;
  for (const [side, text, ip, facts, other] of [
    ['destination', d, D, dFacts, sFacts],
    ['source', s, S, sFacts, dFacts],
  ] as const) {
    if (facts?.s3InterfaceEndpoint === undefined) continue;
    const found = endpointHere(r, idx, named, ip);
    if (typeof found === 'string') {
      aside ??= `${side} ${text} is an address of S3 interface endpoint ${facts.s3InterfaceEndpoint.vpcEndpointId} but not here: ${found}`;
      continue;
    }
    const tp = r.trafficPath;
    const what = `${side} ${text} is an address of S3 interface endpoint ${found.endpoint.vpcEndpointId} of ${found.endpoint.vpcId} (${found.how})`;
    const rule = FLOW_RULES.INTERFACE_ENDPOINT_CONTRADICTED;
    const s3Side = other?.s3PrefixList !== undefined ? (side === 'source' ? d : s) : s3EniAddress(r, idx);
    if (s3Side !== null) {
      return decision(
        'unknown',
        rule,
        `${rule}: ${what}, but ${s3Side} in the record is a public S3 address: interface-endpoint traffic goes to the endpoint's private address, and the endpoint's own traffic to S3 is not in flow logs`,
      );
    }
    if (scope !== undefined && !servesHosts(found.endpoint.serviceName, scope)) {
      const other = FLOW_RULES.INTERFACE_ENDPOINT_OTHER_HOSTS;
      return decision('unknown', other, `${other}: ${what}, which ${scopeText(scope)}`);
    }
    if (tp === 2 || tp === 7 || tp === 8) {
      return decision(
        'unknown',
        rule,
        `${rule}: ${what}, but traffic-path ${tp} (${TRAFFIC_PATHS[tp]}) contradicts a path to a private address of the VPC`,
      );
    }
    return decision(
      'interface-endpoint',
      FLOW_RULES.INTERFACE_ENDPOINT_IP,
      `${FLOW_RULES.INTERFACE_ENDPOINT_IP}: ${what}`,
    );
  }
  const d2 = classifyS3(r, idx, named, s, d, sFacts, dFacts);
  return aside === null ? d2 : decision(d2.path, d2.rule, `${d2.reason}; ${aside}`);
}

/** Rules 3 to 9. */
function classifyS3(
  r: FlowRecord,
  idx: EnvironmentIndex,
  named: Named,
  s: string,
  d: string,
  sFacts: AddressFacts | undefined,
  dFacts: AddressFacts | undefined,
): PathDecision {
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
  const R = rIsDestination ? D : S;
  const rFact = `S3 address ${rText} (${list.prefixListId})`;

  // Rule 4.
  const localText = localAddress(r, rIsDestination);
  const hasLocal = localText !== null && L.parse(localText);
  if (hasLocal && idx.s3PrefixListCidrs.has(L)) {
    return decision(
      'unknown',
      FLOW_RULES.S3_LOCAL_ADDRESS,
      `${FLOW_RULES.S3_LOCAL_ADDRESS}: the record's own interface address ${localText} is an S3 address; no interface of a VPC has one; peer ${rFact}`,
    );
  }

  // Rule 5.
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

  // Rule 6.
  const tp = r.trafficPath;
  if (tp === 8) {
    return decision(
      'internet-gateway',
      FLOW_RULES.TRAFFIC_PATH_8,
      `${FLOW_RULES.TRAFFIC_PATH_8}: traffic-path 8 (through an internet gateway) to ${rFact}`,
    );
  }

  // Rule 7.
  if (tp === 7) return trafficPath7(idx, named, R, rIsDestination ? S : D, rFact);

  // Rule 8.
  if (named.conflict !== null) {
    return decision(
      'unknown',
      FLOW_RULES.PLACEMENT_CONFLICT,
      `${FLOW_RULES.PLACEMENT_CONFLICT}: ${named.conflict}; ${rFact}`,
    );
  }
  const family = R.family === 6 ? 6 : 4;
  let subnet = named.subnet;
  let how = named.how;
  let noSubnet: string | null = null;
  if (named.unknownSubnetId !== null) {
    noSubnet = `the record's subnet ${named.unknownSubnetId} is not in the environment`;
  } else if (subnet === undefined) {
    const found = hasLocal ? idx.subnetsForAddress(L, named.vpcId) : [];
    if (found.length === 1) {
      subnet = found[0]!;
      how = `local address ${localText}`;
    } else {
      noSubnet =
        found.length === 0
          ? `no subnet known for local address ${localText ?? '-'} (no subnet-id, interface ${typeof r.interfaceId === 'string' ? r.interfaceId : '-'} not listed)`
          : `local address ${localText} is in ${found.length} subnets of overlapping VPCs`;
    }
  }

  // Rule 9.
  if (subnet === undefined) {
    return decision('unknown', FLOW_RULES.NO_SUBNET, `${FLOW_RULES.NO_SUBNET}: ${noSubnet}; ${rFact}`);
  }
  const route = idx.resolveRouteInTable(subnet.routeTableId, R);
  if (route === null) {
    return decision(
      'unknown',
      FLOW_RULES.NO_ROUTE,
      idx.routeTables.has(subnet.routeTableId)
        ? `${FLOW_RULES.NO_ROUTE}: no route in ${subnet.routeTableId} of ${subnet.subnetId} matches ${rFact}`
        : `${FLOW_RULES.NO_ROUTE}: route table ${subnet.routeTableId} of ${subnet.subnetId} is not in the environment; ${rFact}`,
    );
  }
  // Rule 9b: the packet's own local address (pkt-srcaddr of egress, pkt-dstaddr of ingress) is
  // outside the subnet's VPC: the packets came in through a transit gateway, peering or VPN
  // attachment, and a gateway endpoint serves only traffic from inside its VPC ("Endpoint
  // connections cannot be extended out of a VPC", aws-facts §5.1). The route then proves no
  // endpoint path; a NAT or internet gateway route still shows where the packets left.
  if (route.targetKind === 'gateway-endpoint') {
    const outside = packetFromOutside(r, rIsDestination, subnet, idx);
    if (outside !== null) {
      return decision(
        'unknown',
        FLOW_RULES.ROUTE_TABLE,
        `${FLOW_RULES.ROUTE_TABLE}: ${rFact} from ${subnet.subnetId} (by ${how}), traffic-path ${tp ?? '-'}: ${route.text}, but the packet's address ${outside} is outside ${subnet.vpcId} (transit traffic: a gateway endpoint does not serve it)`,
      );
    }
  }
  return routeDecision(route, subnet, how, rFact, tp, family);
}

/** The packet-level local address when it lies outside `subnet`'s VPC, else null. */
function packetFromOutside(
  r: FlowRecord,
  rIsDestination: boolean,
  subnet: Subnet,
  idx: EnvironmentIndex,
): string | null {
  const dir = r.flowDirection;
  const egress = dir === 'egress' || (dir !== 'ingress' && rIsDestination);
  const text = egress ? r.pktSrcaddr : r.pktDstaddr;
  if (typeof text !== 'string' || !X.parse(text)) return null;
  return idx.vpcsForAddress(X).some((v) => v.vpcId === subnet.vpcId) ? null : text;
}

/**
 * Rule 7: traffic-path 7 is AWS's word about the packet and decides; the route of the record's
 * subnet, where the environment gives one, is named as corroboration or as a disagreement (an
 * environment read before or after a route change: the record, written at request time, wins).
 */
function trafficPath7(
  idx: EnvironmentIndex,
  named: Named,
  R: IpAddress,
  local: IpAddress,
  rFact: string,
): PathDecision {
  const rule = FLOW_RULES.TRAFFIC_PATH_7;
  const said = `${rule}: traffic-path 7 (through a gateway VPC endpoint) to ${rFact}`;
  let subnet = named.conflict === null ? named.subnet : undefined;
  let how = named.how;
  if (subnet === undefined && named.conflict === null && named.unknownSubnetId === null) {
    const found = idx.subnetsForAddress(local, named.vpcId);
    if (found.length === 1) {
      subnet = found[0]!;
      how = `local address ${local.toString()}`;
    }
  }
  if (subnet === undefined) return decision('gateway-endpoint', rule, said);
  const route = idx.resolveRouteInTable(subnet.routeTableId, R);
  const held =
    route === null
      ? `no route of ${subnet.routeTableId} matches it`
      : gatewayHeld(proveS3GatewayEndpoint(route, R.family === 6 ? 6 : 4), subnet);
  const from = `from ${subnet.subnetId} (by ${how})${route === null ? '' : ` ${route.text}`}`;
  return decision(
    'gateway-endpoint',
    rule,
    held === null
      ? `${said}; ${from}`
      : `${said}; the environment disagrees, ${from}: ${held} (an environment from before or after a route change; the record decides)`,
  );
}

/**
 * Null when `proof` shows an S3 gateway endpoint of the subnet's VPC (unresolved routes
 * tolerated: the caller has AWS's traffic-path 7), else why not.
 */
function gatewayHeld(proof: GatewayEndpointProof, subnet: Subnet): string | null {
  if (!proof.ok) return proof.code === 'UNRESOLVED' ? null : proof.why;
  if (proof.endpoint.vpcId !== subnet.vpcId) {
    return `${proof.endpoint.vpcEndpointId} is of ${proof.endpoint.vpcId}, not of ${subnet.subnetId}'s ${subnet.vpcId}`;
  }
  return null;
}

function routeDecision(
  route: ResolvedRoute,
  subnet: Subnet,
  how: string,
  rFact: string,
  tp: number | null | undefined,
  family: 4 | 6,
): PathDecision {
  const facts = `${rFact} from ${subnet.subnetId} (by ${how}), traffic-path ${tp ?? '-'}: ${route.text}`;
  const rule = FLOW_RULES.ROUTE_TABLE;
  switch (route.targetKind) {
    case 'gateway-endpoint': {
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
      const proof = proveS3GatewayEndpoint(route, family);
      if (!proof.ok) {
        return decision('unknown', rule, `${rule}: ${facts}, a gateway endpoint, but ${proof.why}`);
      }
      if (proof.endpoint.vpcId !== subnet.vpcId) {
        return decision(
          'unknown',
          rule,
          `${rule}: ${facts}, a gateway endpoint of ${proof.endpoint.vpcId}, but ${subnet.subnetId} is in ${subnet.vpcId}`,
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

/**
 * The address of the record's own network interface (aws-facts §1.3: `srcaddr` for outgoing,
 * `dstaddr` for incoming traffic); without `flow-direction`, the side opposite the S3 address.
 */
function localAddress(r: FlowRecord, rIsDestination: boolean): string | null {
  const dir = r.flowDirection;
  const egress = dir === 'egress' || (dir !== 'ingress' && rIsDestination);
  const text = egress ? (r.srcaddr ?? r.pktSrcaddr) : (r.dstaddr ?? r.pktDstaddr);
  return typeof text === 'string' ? text : null;
}

/** The VPC and subnet the record names, and whether its facts disagree. */
function namedPlacement(r: FlowRecord, idx: EnvironmentIndex): Named {
  const vpcId = typeof r.vpcId === 'string' ? r.vpcId : null;
  const subnetId = typeof r.subnetId === 'string' ? r.subnetId : null;
  const iface = typeof r.interfaceId === 'string' ? r.interfaceId : null;
  const recordSubnet = subnetId === null ? undefined : idx.subnets.get(subnetId);
  const eniSubnet = iface === null ? undefined : idx.subnetByEni.get(iface);
  let conflict: string | null = null;
  if (recordSubnet !== undefined && eniSubnet !== undefined && recordSubnet !== eniSubnet) {
    conflict = `the record's subnet ${subnetId} is not ${eniSubnet.subnetId}, the subnet of its interface ${iface}`;
  } else if (vpcId !== null && recordSubnet !== undefined && recordSubnet.vpcId !== vpcId) {
    conflict = `the record's vpc-id ${vpcId} is not ${recordSubnet.vpcId}, the VPC of its subnet ${subnetId}`;
  } else if (vpcId !== null && eniSubnet !== undefined && eniSubnet.vpcId !== vpcId) {
    conflict = `the record's vpc-id ${vpcId} is not ${eniSubnet.vpcId}, the VPC of its interface ${iface}`;
  }
  const subnet = recordSubnet ?? (subnetId === null ? eniSubnet : undefined);
  return {
    vpcId: vpcId ?? subnet?.vpcId ?? null,
    subnet,
    how: recordSubnet !== undefined ? 'the record' : `interface ${iface}`,
    unknownSubnetId: subnetId !== null && recordSubnet === undefined ? subnetId : null,
    conflict,
  };
}

/**
 * Rule 2's placement for an S3 interface-endpoint address `ip`: the endpoint (of those holding
 * `ip`) of the VPC the record is in, or why none counts here.
 */
function endpointHere(
  r: FlowRecord,
  idx: EnvironmentIndex,
  named: Named,
  ip: IpAddress,
): { endpoint: InterfaceEndpoint; how: string } | string {
  const endpoints = idx.s3InterfaceEndpointsAt(ip);
  if (named.conflict !== null) return named.conflict;
  if (named.unknownSubnetId !== null)
    return `the record's subnet ${named.unknownSubnetId} is not in the environment`;
  if (named.vpcId !== null) {
    const e = endpoints.find((x) => x.vpcId === named.vpcId);
    const by = typeof r.vpcId === 'string' ? "the record's vpc-id" : named.how;
    return e !== undefined
      ? { endpoint: e, how: `in ${named.vpcId} by ${by}` }
      : `the record is in ${named.vpcId} (by ${by})`;
  }
  // Nothing named: the interface's own address must lie in exactly one VPC, the endpoint's. Without
  // flow-direction either address may be the interface's, so both must allow it.
  const dir = r.flowDirection;
  const candidates =
    dir === 'egress' ? [r.srcaddr] : dir === 'ingress' ? [r.dstaddr] : [r.srcaddr, r.dstaddr];
  let vpcId: string | null = null;
  for (const c of candidates) {
    if (typeof c !== 'string' || !X.parse(c)) continue;
    const vpcs = idx.vpcsForAddress(X);
    if (vpcs.length === 0 && candidates.length > 1) continue;
    if (vpcs.length !== 1) {
      return vpcs.length === 0
        ? `no vpc-id, subnet-id or listed interface, and local address ${c} is in no VPC of the environment`
        : `no vpc-id, subnet-id or listed interface, and local address ${c} is in ${vpcs.length} overlapping VPCs`;
    }
    if (vpcId !== null && vpcId !== vpcs[0]!.vpcId)
      return `its addresses are in ${vpcId} and ${vpcs[0]!.vpcId}`;
    vpcId = vpcs[0]!.vpcId;
  }
  if (vpcId === null)
    return 'no vpc-id, subnet-id or listed interface, and no address of the record is in a VPC of the environment';
  const e = endpoints.find((x) => x.vpcId === vpcId);
  return e !== undefined
    ? { endpoint: e, how: `in ${vpcId} by its local address` }
    : `the record is in ${vpcId} (by its local address)`;
}

/** `srcaddr` or `dstaddr` when it is an S3 prefix-list address (the interface's own level), else null. */
function s3EniAddress(r: FlowRecord, idx: EnvironmentIndex): string | null {
  for (const a of [r.srcaddr, r.dstaddr]) {
    if (typeof a === 'string' && X.parse(a) && idx.s3PrefixListCidrs.has(X)) return a;
  }
  return null;
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
