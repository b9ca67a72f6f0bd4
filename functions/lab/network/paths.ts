import {
  buildEnvironmentIndex,
  type EnvironmentIndex,
  type ResolvedRoute,
} from '../../../shared/env/environment-index.js';
import { UserInputError } from '../../../shared/errors.js';
import { CidrSet } from '../../../shared/net/cidr-set.js';
import { addressScope, IpAddress } from '../../../shared/net/ip.js';
import { scenarioEnvironment } from './environment.js';
import type { LabScenario, LabScenarioVantage, LabScenarioVpc } from './scenario.js';

/**
 * How a connection ends up reaching S3 (or not): the label of a traced path. `dropped`: the
 * network would not deliver it (no route, an internet gateway without a public address, a gateway
 * endpoint reached through a transit gateway, …).
 */
export type LabPath =
  | 'gateway-endpoint'
  | 'interface-endpoint'
  | 'nat-gateway'
  | 'internet-gateway'
  | 'onprem-private-vif'
  | 'onprem-internet'
  | 'dropped';

/** Every path, in the order their loopback addresses are assigned. */
export const LAB_PATHS: readonly LabPath[] = [
  'gateway-endpoint',
  'interface-endpoint',
  'nat-gateway',
  'internet-gateway',
  'onprem-private-vif',
  'onprem-internet',
  'dropped',
];

/** An ENI a path crosses: flow records are written for it. */
export interface LabEni {
  readonly eniId: string;
  readonly subnetId: string;
  readonly vpcId: string;
  readonly ip: string;
}

/** A device a route led to. */
export type LabDevice =
  | { readonly kind: 'gateway-endpoint'; readonly vpcEndpointId: string; readonly vpcId: string }
  | {
      readonly kind: 'interface-endpoint';
      readonly vpcEndpointId: string;
      readonly vpcId: string;
      readonly eni: LabEni;
    }
  | {
      readonly kind: 'nat-gateway';
      readonly natGatewayId: string;
      readonly eni: LabEni;
      readonly publicIp: string;
    }
  | { readonly kind: 'internet-gateway'; readonly internetGatewayId: string; readonly vpcId: string }
  | { readonly kind: 'gwlb-endpoint'; readonly vpcEndpointId: string; readonly eni: LabEni }
  | {
      readonly kind: 'transit-gateway';
      readonly transitGatewayId: string;
      /** The attachment ENI in the VPC the packets leave, and the one in the VPC they enter. */
      readonly from: LabEni;
      readonly to: LabEni;
    }
  | {
      readonly kind: 'peering-connection';
      readonly peeringConnectionId: string;
      readonly interRegion: boolean;
    }
  | { readonly kind: 'private-vif'; readonly vpcId: string }
  | { readonly kind: 'onprem-internet'; readonly publicEgressIp: string };

/** One step of a path: the route (or on-prem rule) followed and the device it led to. */
export interface LabHop {
  /** `rtb-… routes pl-… (52.216.0.0/15) to vpce-…`, or the on-prem rule. */
  readonly route: string;
  readonly device: LabDevice;
}

/**
 * The ground truth of one connection from a vantage to an address: the devices it crossed, in
 * order, where it reached S3 and what S3 saw. Built by {@link traceLabPath}.
 */
export interface LabTrace {
  readonly vantage: LabScenarioVantage;
  readonly address: string;
  readonly path: LabPath;
  readonly delivered: boolean;
  /** True only when the connection reached S3 through an S3 VPC endpoint. */
  readonly private: boolean;
  /** The S3 VPC endpoint that carried the request, else null. */
  readonly endpoint: {
    readonly kind: 'gateway' | 'interface';
    readonly vpcEndpointId: string;
    readonly vpcId: string;
  } | null;
  /** The address S3 sees (the access log's Remote IP); null when nothing reaches S3. */
  readonly remoteIp: string | null;
  readonly hops: readonly LabHop[];
  /** Why the network dropped the connection; null when delivered. */
  readonly dropReason: string | null;
  /** The hops' routes (and the drop reason), for messages and tests. */
  readonly reason: string;
}

const scratch = new IpAddress();
const indexes = new WeakMap<LabScenario, EnvironmentIndex>();

/**
 * The route index of a scenario: the analyzer's own `EnvironmentIndex` over the document
 * {@link scenarioEnvironment} gives, so the lab and the classifier resolve routes one way
 * (longest prefix across CIDR and prefix-list routes, aws-facts §5.2). Cached per scenario object:
 * treat a parsed scenario as immutable (edit a copy and parse it again, as the tests do).
 */
export function labIndex(s: LabScenario): EnvironmentIndex {
  let idx = indexes.get(s);
  if (!idx) {
    idx = buildEnvironmentIndex(scenarioEnvironment(s));
    indexes.set(s, idx);
  }
  return idx;
}

/** A route the lab has no honest model for: refused, naming the route, never approximated. */
function unsupported(route: string, what: string): UserInputError {
  return new UserInputError('SCENARIO_UNSUPPORTED', `${route}: the lab cannot simulate ${what}`, { route });
}

function hostOf(name: string): string {
  const h = name.trim().toLowerCase();
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

function vpcOfSubnet(s: LabScenario, subnetId: string): LabScenarioVpc | undefined {
  return s.vpcs.find((v) => v.subnets.some((x) => x.subnetId === subnetId));
}

function tableOf(vpc: LabScenarioVpc, subnetId: string): string {
  return vpc.subnets.find((x) => x.subnetId === subnetId)?.routeTableId ?? '';
}

function inBlock(ip: string, block: string): boolean {
  return CidrSet.build([[block, true]]).set.get(ip) === true;
}

/** The VPC of the private VIF and the inbound resolver. */
export function onPremVpc(s: LabScenario): LabScenarioVpc {
  return s.vpcs.find((v) => v.vpcId === s.onPrem.vpcId) ?? s.vpcs[0]!;
}

/**
 * The VPC whose private DNS answers the vantage: its own VPC, or on-prem the VPC of an inbound
 * resolver; none for on-prem without one.
 */
function dnsVpcOf(s: LabScenario, vantage: LabScenarioVantage): LabScenarioVpc | undefined {
  if (vantage.kind === 'vpc') return vpcOfSubnet(s, vantage.subnetId);
  return s.onPrem.dnsMode === 'inbound-resolver' ? onPremVpc(s) : undefined;
}

/**
 * Resolves a host name as the vantage's DNS would (aws-facts §4, §5.3): endpoint-specific
 * interface-endpoint names to that endpoint's ENI addresses (they resolve from public DNS
 * everywhere); Transfer Acceleration names to the edge; the Region's regional names to an
 * interface endpoint only through its private DNS (in the endpoint's own VPC when it is `on`;
 * on-prem only through an inbound resolver in the endpoint's VPC and private DNS `on` or
 * `inbound-only`), else to public S3 addresses; legacy global names to public S3 addresses
 * (PrivateLink does not serve them); the Multi-Region Access Point's name to the ENIs of a
 * `com.amazonaws.s3-global.accesspoint` endpoint with private DNS (same VPC rules), else to its
 * Global Accelerator addresses. Anything else has no answer (`[]`).
 *
 * @example
 * resolveLabName(scenario, vpcApp, 'example-data-bucket.s3.us-east-1.amazonaws.com'); // ['52.216.8.100']
 */
export function resolveLabName(s: LabScenario, vantage: LabScenarioVantage, name: string): string[] {
  const h = hostOf(name);
  for (const v of s.vpcs) {
    for (const ie of v.interfaceEndpoints) {
      const suffix = ie.dnsName.slice(2);
      if (h === suffix || h.endsWith(`.${suffix}`)) return ie.networkInterfaces.map((n) => n.ip);
    }
  }
  if (/(^|\.)s3-accelerate(\.dualstack)?\.amazonaws\.com$/.test(h)) return [...s.edge.addresses];
  if (h === `${s.mrap.alias}.accesspoint.s3-global.amazonaws.com`) {
    // Only a com.amazonaws.s3-global.accesspoint endpoint's private DNS answers MRAP names with
    // private addresses: in its own VPC, and on-prem through an inbound resolver in that VPC
    // (aws-facts §4 H10, §5.3). Otherwise public DNS: the Global Accelerator addresses.
    const dnsVpc = dnsVpcOf(s, vantage);
    const g = dnsVpc?.globalAccessPointEndpoint;
    return g?.privateDns === 'on' ? g.networkInterfaces.map((n) => n.ip) : [...s.mrap.addresses];
  }
  const region = s.region.replace(/-/g, '\\-');
  // Private DNS covers the plain regional names only (not dual-stack or FIPS ones).
  if (new RegExp(`(^|\\.)(s3|s3-accesspoint|s3-control)\\.${region}\\.amazonaws\\.com$`).test(h)) {
    const dnsVpc = dnsVpcOf(s, vantage);
    const privateEndpoint = dnsVpc?.interfaceEndpoints.find((ie) =>
      vantage.kind === 'vpc' ? ie.privateDns === 'on' : ie.privateDns !== 'off',
    );
    return privateEndpoint ? privateEndpoint.networkInterfaces.map((n) => n.ip) : [...s.s3.regionalAddresses];
  }
  if (
    new RegExp(
      `(^|\\.)(s3-fips\\.|s3\\.dualstack\\.|s3-fips\\.dualstack\\.|s3-)${region}\\.amazonaws\\.com$`,
    ).test(h)
  ) {
    return [...s.s3.regionalAddresses];
  }
  if (/(^|\.)(s3|s3-external-1)\.amazonaws\.com$/.test(h)) return [...s.s3.globalAddresses];
  return [];
}

interface Walk {
  readonly s: LabScenario;
  readonly vantage: LabScenarioVantage;
  readonly address: string;
  readonly hops: LabHop[];
}

function done(
  w: Walk,
  path: Exclude<LabPath, 'dropped'>,
  remoteIp: string,
  endpoint: LabTrace['endpoint'],
): LabTrace {
  return {
    vantage: w.vantage,
    address: w.address,
    path,
    delivered: true,
    private: endpoint !== null,
    endpoint,
    remoteIp,
    hops: w.hops,
    dropReason: null,
    reason: w.hops.map((h) => h.route).join('; '),
  };
}

function dropped(w: Walk, why: string): LabTrace {
  return {
    vantage: w.vantage,
    address: w.address,
    path: 'dropped',
    delivered: false,
    private: false,
    endpoint: null,
    remoteIp: null,
    hops: w.hops,
    dropReason: why,
    reason: [...w.hops.map((h) => h.route), why].join('; '),
  };
}

function interfaceEndpointAt(vpc: LabScenarioVpc, address: string) {
  const all: {
    vpcEndpointId: string;
    networkInterfaces: { eniId: string; subnetId: string; ip: string }[];
  }[] = [
    ...vpc.interfaceEndpoints,
    ...(vpc.globalAccessPointEndpoint ? [vpc.globalAccessPointEndpoint] : []),
  ];
  for (const ie of all) {
    const n = ie.networkInterfaces.find((x) => x.ip === address);
    if (n) return { ie, eni: { eniId: n.eniId, subnetId: n.subnetId, vpcId: vpc.vpcId, ip: n.ip } };
  }
  return null;
}

type EndpointHit = NonNullable<ReturnType<typeof interfaceEndpointAt>>;

/** The last hop to an S3 interface endpoint ENI of `vpc`: private, S3 sees the client's address. */
function reachInterfaceEndpoint(
  w: Walk,
  route: string,
  vpc: LabScenarioVpc,
  hit: EndpointHit,
  path: 'interface-endpoint' | 'onprem-private-vif',
  remoteIp: string,
): LabTrace {
  const { vpcEndpointId } = hit.ie;
  w.hops.push({
    route,
    device: { kind: 'interface-endpoint', vpcEndpointId, vpcId: vpc.vpcId, eni: hit.eni },
  });
  return done(w, path, remoteIp, { kind: 'interface', vpcEndpointId, vpcId: vpc.vpcId });
}

function traceOnPrem(w: Walk, vantage: Extract<LabScenarioVantage, { kind: 'onprem' }>): LabTrace {
  const { s, address } = w;
  const vpc = onPremVpc(s);
  if (inBlock(address, vpc.cidr)) {
    if (!s.onPrem.privateVif) return dropped(w, `on-prem has no private VIF to ${vpc.vpcId}`);
    const hit = interfaceEndpointAt(vpc, address);
    if (!hit) return dropped(w, `${address} in ${vpc.vpcId} is no S3 interface endpoint ENI`);
    w.hops.push({
      route: `on-prem ${s.onPrem.cidr} -> ${vpc.cidr} over the private VIF`,
      device: { kind: 'private-vif', vpcId: vpc.vpcId },
    });
    return reachInterfaceEndpoint(
      w,
      `${vpc.vpcId} local ${address}`,
      vpc,
      hit,
      'onprem-private-vif',
      vantage.ip,
    );
  }
  // Public S3 addresses never use the private VIF (aws-facts §5.4): the internet or a public VIF.
  if (!scratch.parse(address) || addressScope(scratch) !== 'public')
    return dropped(w, `on-prem has no route to ${address}`);
  w.hops.push({
    route: `on-prem default route to the internet (${s.onPrem.publicEgressIp})`,
    device: { kind: 'onprem-internet', publicEgressIp: s.onPrem.publicEgressIp },
  });
  return done(w, 'onprem-internet', s.onPrem.publicEgressIp, null);
}

/** How the packets entered the VPC whose route table is being read. */
type Entry = 'origin' | 'gwlb' | 'tgw';

type VpcVantage = Extract<LabScenarioVantage, { kind: 'vpc' }>;

/** Where a VPC walk stands: the VPC, the route table read next, and how the packets got there. */
interface Position {
  readonly vpc: LabScenarioVpc;
  readonly table: string;
  readonly entry: Entry;
}

/** One route followed: the trace when the path ends there, else where it goes on. */
type Step = LabTrace | Position;

function isTrace(step: Step): step is LabTrace {
  return 'path' in step;
}

/** `local`: an S3 interface endpoint ENI of this VPC, else dropped. */
function toLocal(w: Walk, vantage: VpcVantage, at: Position, r: ResolvedRoute): LabTrace {
  const hit = interfaceEndpointAt(at.vpc, w.address);
  if (!hit) return dropped(w, `${r.text}: ${w.address} is no S3 interface endpoint ENI of ${at.vpc.vpcId}`);
  return reachInterfaceEndpoint(w, r.text, at.vpc, hit, 'interface-endpoint', vantage.ip);
}

function toGatewayEndpoint(w: Walk, vantage: VpcVantage, at: Position, r: ResolvedRoute): LabTrace {
  const { vpc, entry } = at;
  const text = r.text;
  if (vpc.gatewayEndpoint?.vpcEndpointId !== r.target)
    throw unsupported(text, `${r.target}: not the gateway endpoint of ${vpc.vpcId}`);
  if (entry === 'gwlb')
    throw unsupported(text, 'traffic returning from a Gateway Load Balancer endpoint to a gateway endpoint');
  w.hops.push({
    route: text,
    device: { kind: 'gateway-endpoint', vpcEndpointId: r.target, vpcId: vpc.vpcId },
  });
  if (entry === 'tgw') {
    // "Resources on the other side of a … transit gateway … cannot use a gateway endpoint" (§5.1).
    return dropped(w, `${r.target} does not serve traffic from a transit gateway`);
  }
  // S3 sees the client's private address through a gateway endpoint (aws-facts §2.5).
  return done(w, 'gateway-endpoint', vantage.ip, {
    kind: 'gateway',
    vpcEndpointId: r.target,
    vpcId: vpc.vpcId,
  });
}

function toGwlbEndpoint(w: Walk, at: Position, r: ResolvedRoute): Position {
  const { vpc } = at;
  const text = r.text;
  const g = vpc.gwlbEndpoints.find((x) => x.vpcEndpointId === r.target);
  if (!g)
    throw unsupported(
      text,
      `${r.target}: neither a gateway nor a Gateway Load Balancer endpoint of ${vpc.vpcId}`,
    );
  if (at.entry !== 'origin') throw unsupported(text, 'a second appliance hop');
  w.hops.push({
    route: text,
    device: {
      kind: 'gwlb-endpoint',
      vpcEndpointId: g.vpcEndpointId,
      eni: { eniId: g.eniId, subnetId: g.subnetId, vpcId: vpc.vpcId, ip: g.ip },
    },
  });
  // The appliance hands the packets back to the endpoint, which forwards them by its own
  // subnet's route table (the source address is preserved).
  return { vpc, table: tableOf(vpc, g.subnetId), entry: 'gwlb' };
}

function toNatGateway(w: Walk, at: Position, r: ResolvedRoute): LabTrace {
  const { vpc } = at;
  const { address } = w;
  const n = vpc.natGateways.find((x) => x.natGatewayId === r.target);
  if (!n) throw unsupported(r.text, `${r.target}: not a NAT gateway of ${vpc.vpcId}`);
  w.hops.push({
    route: r.text,
    device: {
      kind: 'nat-gateway',
      natGatewayId: n.natGatewayId,
      eni: { eniId: n.eniId, subnetId: n.subnetId, vpcId: vpc.vpcId, ip: n.privateIp },
      publicIp: n.publicIp,
    },
  });
  const natTable = tableOf(vpc, n.subnetId);
  const onward = labIndex(w.s).resolveRouteInTable(natTable, address);
  if (!onward) return dropped(w, `${natTable} (the NAT gateway's subnet) has no route to ${address}`);
  if (onward.targetKind !== 'internet-gateway' || onward.target !== vpc.internetGatewayId)
    throw unsupported(onward.text, "NAT gateway traffic leaving by anything but its VPC's internet gateway");
  w.hops.push({
    route: onward.text,
    device: { kind: 'internet-gateway', internetGatewayId: onward.target, vpcId: vpc.vpcId },
  });
  return done(w, 'nat-gateway', n.publicIp, null);
}

function toInternetGateway(w: Walk, vantage: VpcVantage, at: Position, r: ResolvedRoute): LabTrace {
  const { vpc } = at;
  if (r.target !== vpc.internetGatewayId)
    throw unsupported(r.text, `${r.target}: not the internet gateway of ${vpc.vpcId}`);
  // An internet gateway translates only the addresses of its own VPC's ENIs that have a
  // public address; the packets of another VPC (through a TGW) or of an ENI without one die.
  w.hops.push({
    route: r.text,
    device: { kind: 'internet-gateway', internetGatewayId: r.target, vpcId: vpc.vpcId },
  });
  if (at.entry === 'tgw') return dropped(w, `${r.target} does not translate another VPC's address`);
  if (!vantage.publicIp) return dropped(w, `${vantage.eniId} has no public IPv4 address for ${r.target}`);
  return done(w, 'internet-gateway', vantage.publicIp, null);
}

/** A transit gateway: its route table picks a VPC, whose attachment subnet's table goes on. */
function toTransitGateway(w: Walk, at: Position, r: ResolvedRoute): Step {
  const { s, address } = w;
  const { vpc } = at;
  const text = r.text;
  if (at.entry !== 'origin') throw unsupported(text, 'a second transit gateway or appliance hop');
  const from = vpc.transitGatewayAttachments.find((a) => a.transitGatewayId === r.target);
  const tgw = s.transitGateways.find((t) => t.transitGatewayId === r.target);
  if (!from || !tgw) throw unsupported(text, `${r.target}: no attachment in ${vpc.vpcId}`);
  const tgwRoutes = CidrSet.build(
    tgw.routes.map((x) => [x.destination, x] as const),
    {
      onDuplicate: (kept) => kept,
    },
  ).set;
  const tr = tgwRoutes.get(address);
  if (!tr) return dropped(w, `${text}; ${tgw.transitGatewayId} has no route to ${address}`);
  const next = s.vpcs.find((v) => v.vpcId === tr.vpcId);
  const to = next?.transitGatewayAttachments.find((a) => a.transitGatewayId === r.target);
  const tgwRoute = `${tgw.transitGatewayId} ${tr.destination} -> ${tr.vpcId}`;
  if (!next || !to) throw unsupported(tgwRoute, 'a TGW route to a VPC without an attachment');
  if (next.vpcId === vpc.vpcId) throw unsupported(tgwRoute, 'a TGW route back to the VPC it came from');
  w.hops.push({
    route: `${text}; ${tgw.transitGatewayId} routes ${tr.destination} to ${tr.vpcId}`,
    device: {
      kind: 'transit-gateway',
      transitGatewayId: tgw.transitGatewayId,
      from: { eniId: from.eniId, subnetId: from.subnetId, vpcId: vpc.vpcId, ip: from.ip },
      to: { eniId: to.eniId, subnetId: to.subnetId, vpcId: next.vpcId, ip: to.ip },
    },
  });
  return { vpc: next, table: tableOf(next, to.subnetId), entry: 'tgw' };
}

/**
 * A peering connection: only to an interface endpoint ENI inside the peer VPC. Peering is not
 * transitive and has no edge-to-edge routing: it delivers only to the peer's own addresses, never
 * to its gateways or endpoints' public paths.
 */
function toPeering(w: Walk, vantage: VpcVantage, at: Position, r: ResolvedRoute): LabTrace {
  const { s, address } = w;
  const { vpc } = at;
  const p = s.peeringConnections.find((x) => x.peeringConnectionId === r.target);
  if (!p) throw unsupported(r.text, `${r.target}: no such peering connection`);
  const peerId = p.vpcIds[0] === vpc.vpcId ? p.vpcIds[1] : p.vpcIds[0];
  const peer = s.vpcs.find((v) => v.vpcId === peerId);
  if (!peer) throw unsupported(r.text, `${r.target}: no VPC ${peerId}`);
  w.hops.push({
    route: r.text,
    device: {
      kind: 'peering-connection',
      peeringConnectionId: p.peeringConnectionId,
      interRegion: p.interRegion,
    },
  });
  if (at.entry !== 'origin') return dropped(w, `${r.target} does not carry transit traffic`);
  if (!inBlock(address, peer.cidr))
    return dropped(w, `${address} is outside ${peer.vpcId}: peering has no edge-to-edge routing`);
  const hit = interfaceEndpointAt(peer, address);
  if (!hit) return dropped(w, `${address} is no S3 interface endpoint ENI of ${peer.vpcId}`);
  return reachInterfaceEndpoint(
    w,
    `${peer.vpcId} local ${address}`,
    peer,
    hit,
    'interface-endpoint',
    vantage.ip,
  );
}

/** Follows the route `r` from where the walk stands, by the kind of its target. */
function followRoute(w: Walk, vantage: VpcVantage, at: Position, r: ResolvedRoute): Step {
  switch (r.targetKind) {
    case 'local':
      return toLocal(w, vantage, at, r);
    case 'gateway-endpoint':
      return toGatewayEndpoint(w, vantage, at, r);
    case 'vpc-endpoint':
      return toGwlbEndpoint(w, at, r);
    case 'nat-gateway':
      return toNatGateway(w, at, r);
    case 'internet-gateway':
      return toInternetGateway(w, vantage, at, r);
    case 'transit-gateway':
      return toTransitGateway(w, at, r);
    case 'peering-connection':
      return toPeering(w, vantage, at, r);
    case 'virtual-private-gateway':
      throw unsupported(r.text, 'S3 traffic sent on-prem through the virtual private gateway');
    default:
      throw unsupported(r.text, `a route to ${r.target}`);
  }
}

function traceVpc(w: Walk, vantage: VpcVantage): LabTrace {
  const vpc = vpcOfSubnet(w.s, vantage.subnetId);
  if (!vpc) return dropped(w, `no subnet ${vantage.subnetId}`);
  let at: Position = { vpc, table: tableOf(vpc, vantage.subnetId), entry: 'origin' };
  // Each step moves to another device; a well-formed path has at most four (GWLB or TGW, NAT, IGW).
  for (let step = 0; step < 6; step++) {
    const r = labIndex(w.s).resolveRouteInTable(at.table, w.address);
    if (!r) return dropped(w, `${at.table} has no route to ${w.address}`);
    const next = followRoute(w, vantage, at, r);
    if (isTrace(next)) return next;
    at = next;
  }
  throw unsupported(w.hops.map((h) => h.route).join('; '), 'a path this long');
}

/**
 * Follows a connection from a vantage to an address through the scenario's network, as AWS
 * would carry it, and returns the ground truth: every device crossed, whether and how it reached
 * S3, and the address S3 sees.
 *
 * A VPC vantage follows its subnet's route table, resolved by the analyzer's own
 * `EnvironmentIndex` (longest prefix across CIDR and prefix-list routes, a CIDR route beating a
 * prefix-list route of the same block, aws-facts §5.2), then the tables of the devices it reaches:
 *
 * - `local`: an S3 interface endpoint ENI of that VPC, else dropped (another VPC's endpoint
 *   address means nothing here, even when the CIDRs overlap);
 * - the VPC's S3 gateway endpoint: private, S3 sees the client's private address (§2.5); not
 *   usable from a transit gateway (§5.1: dropped);
 * - a Gateway Load Balancer endpoint: the appliance hands the packets back and the endpoint's
 *   subnet route table decides the egress (NAT or internet gateway);
 * - a NAT gateway: onward through its subnet's internet gateway, S3 sees the Elastic IP;
 * - the internet gateway: S3 sees the ENI's public address; without one, or for another VPC's
 *   address arriving through a TGW, dropped;
 * - a transit gateway: its route table picks a VPC, whose attachment subnet's table goes on;
 * - a peering connection: only to an interface endpoint ENI inside the peer VPC (no
 *   edge-to-edge routing), `traffic-path` 4 or 5.
 *
 * An on-prem vantage reaches the interface endpoint ENIs of `onPrem.vpcId` over the private VIF
 * and public addresses over the internet (§5.4).
 *
 * @throws UserInputError `SCENARIO_UNSUPPORTED` for a route the lab has no honest model of (to a
 *   virtual private gateway, a second appliance hop, a NAT gateway leaving by something else than
 *   an internet gateway, …), naming the route.
 *
 * @example
 * traceLabPath(scenario, vpcApp, '52.216.8.100').path; // 'gateway-endpoint'
 */
export function traceLabPath(s: LabScenario, vantage: LabScenarioVantage, address: string): LabTrace {
  const w: Walk = { s, vantage, address, hops: [] };
  if (!scratch.parse(address) || scratch.family !== 4) return dropped(w, `${address} is not an IPv4 address`);
  return vantage.kind === 'onprem' ? traceOnPrem(w, vantage) : traceVpc(w, vantage);
}
