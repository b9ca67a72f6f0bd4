import { CidrSet } from '../../../shared/net/cidr-set.js';
import { addressScope, IpAddress } from '../../../shared/net/ip.js';
import type { LabScenario, LabScenarioVantage } from './scenario.js';

/** The ways a connection from a vantage can reach S3 in the lab. */
export type LabPath =
  | 'gateway-endpoint'
  | 'interface-endpoint'
  | 'nat-gateway'
  | 'internet-gateway'
  | 'onprem-private-vif'
  | 'onprem-internet';

/** Every path, in the order their loopback addresses are assigned. */
export const LAB_PATHS: readonly LabPath[] = [
  'gateway-endpoint',
  'interface-endpoint',
  'nat-gateway',
  'internet-gateway',
  'onprem-private-vif',
  'onprem-internet',
];

/** How a vantage reaches one address: the path, and the route (or on-prem rule) that chose it. */
export interface LabRoute {
  readonly path: LabPath;
  /** `rtb-… 52.216.0.0/15 (pl-…) -> vpce-…`, or the on-prem rule: for messages and tests. */
  readonly reason: string;
}

const scratch = new IpAddress();

function hostOf(name: string): string {
  const h = name.trim().toLowerCase();
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/**
 * Resolves a host name as the vantage's DNS would (aws-facts §4, §5.3): endpoint-specific
 * interface-endpoint names to the endpoint's ENI addresses (they resolve from public DNS
 * everywhere); Transfer Acceleration names to the edge; the Region's regional names to the
 * interface endpoint only through its private DNS (in the VPC when it is `on`, on-prem only
 * through an inbound resolver and private DNS `on` or `inbound-only`), else to public S3
 * addresses; legacy global names to public S3 addresses. Anything else has no answer (`[]`).
 *
 * @example
 * resolveLabName(scenario, vpcApp, 'example-data-bucket.s3.us-east-1.amazonaws.com'); // ['52.216.8.100']
 */
export function resolveLabName(s: LabScenario, vantage: LabScenarioVantage, name: string): string[] {
  const h = hostOf(name);
  const ie = s.vpc.interfaceEndpoint;
  const endpointIps = ie.networkInterfaces.map((n) => n.ip);
  const vpceSuffix = ie.dnsName.slice(2);
  if (h === vpceSuffix || h.endsWith(`.${vpceSuffix}`)) return endpointIps;
  if (/(^|\.)s3-accelerate(\.dualstack)?\.amazonaws\.com$/.test(h)) return [...s.edge.addresses];
  const region = s.region.replace(/-/g, '\\-');
  // Private DNS covers the plain regional names only (not dual-stack or FIPS ones).
  if (new RegExp(`(^|\\.)(s3|s3-accesspoint|s3-control)\\.${region}\\.amazonaws\\.com$`).test(h)) {
    const privateAnswer =
      vantage.kind === 'vpc'
        ? ie.privateDns === 'on'
        : s.onPrem.dnsMode === 'inbound-resolver' && ie.privateDns !== 'off';
    return privateAnswer ? endpointIps : [...s.s3.regionalAddresses];
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

/**
 * The route a VPC subnet's table gives an address, by longest prefix match with the S3 prefix
 * list expanded to its blocks; at equal length a CIDR route beats a prefix-list route (aws-facts
 * §5.2). Null when no route matches.
 */
export function subnetRouteFor(
  s: LabScenario,
  routeTableId: string,
  address: string,
): { destination: string; target: string; matched: string } | null {
  const table = s.vpc.routeTables.find((t) => t.routeTableId === routeTableId);
  if (!table) return null;
  const explicit: [string, { destination: string; target: string; matched: string }][] = [];
  const fromList: [string, { destination: string; target: string; matched: string }][] = [];
  for (const r of table.routes) {
    if (r.destination.startsWith('pl-')) {
      // Only the S3 prefix list is known to the lab; another list's blocks are not modelled.
      if (r.destination !== s.s3.prefixListId) continue;
      for (const c of s.s3.cidrs) fromList.push([c, { ...r, matched: c }]);
    } else explicit.push([r.destination, { ...r, matched: r.destination }]);
  }
  // CidrSet keeps the first of equal blocks: explicit routes go first to win ties.
  const set = CidrSet.build([...explicit, ...fromList], { onDuplicate: (kept) => kept }).set;
  return set.get(address) ?? null;
}

/**
 * Which lab path carries a connection from the vantage to the address, or null when the network
 * would not deliver it (no route, a route to nothing the lab models, a VPC address that is not an
 * endpoint ENI, a private address on-prem cannot reach).
 *
 * A VPC vantage follows its subnet's route table: `local` to an interface-endpoint ENI, the
 * gateway endpoint's id (when the table is associated with it), the NAT gateway (whose own subnet
 * must route the address to the internet gateway), or the internet gateway. On-prem reaches the
 * VPC's endpoint ENIs over the private VIF and public addresses over the internet.
 */
export function labRouteFor(s: LabScenario, vantage: LabScenarioVantage, address: string): LabRoute | null {
  if (!scratch.parse(address) || scratch.family !== 4) return null;
  const endpointIps = new Set(s.vpc.interfaceEndpoint.networkInterfaces.map((n) => n.ip));
  const vpcBlock = CidrSet.build([[s.vpc.cidr, true]]).set;
  if (vantage.kind === 'onprem') {
    if (vpcBlock.get(address)) {
      if (!s.onPrem.privateVif) return null;
      return endpointIps.has(address)
        ? {
            path: 'onprem-private-vif',
            reason: `on-prem ${s.onPrem.cidr} -> ${s.vpc.cidr} over the private VIF`,
          }
        : null;
    }
    if (addressScope(scratch) !== 'public') return null;
    return {
      path: 'onprem-internet',
      reason: `on-prem default route to the internet (${s.onPrem.publicEgressIp})`,
    };
  }
  const subnet = s.vpc.subnets.find((x) => x.subnetId === vantage.subnetId);
  if (!subnet) return null;
  const r = subnetRouteFor(s, subnet.routeTableId, address);
  if (!r) return null;
  const reason = `${subnet.routeTableId} ${r.matched}${r.destination === r.matched ? '' : ` (${r.destination})`} -> ${r.target}`;
  const v = s.vpc;
  if (r.target === 'local') return endpointIps.has(address) ? { path: 'interface-endpoint', reason } : null;
  if (r.target === v.gatewayEndpoint.vpcEndpointId) {
    return v.gatewayEndpoint.routeTableIds.includes(subnet.routeTableId)
      ? { path: 'gateway-endpoint', reason }
      : null;
  }
  if (r.target === v.natGateway.natGatewayId) {
    const natSubnet = v.subnets.find((x) => x.subnetId === v.natGateway.subnetId);
    const onward = natSubnet ? subnetRouteFor(s, natSubnet.routeTableId, address) : null;
    return onward?.target === v.internetGatewayId ? { path: 'nat-gateway', reason } : null;
  }
  if (r.target === v.internetGatewayId) return { path: 'internet-gateway', reason };
  return null;
}
