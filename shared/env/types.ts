/**
 * What discovery (or a user-written document) knows about one account and Region: the facts the
 * path classifier decides with. The zod schema in `schema.ts` validates documents into this shape.
 */
export interface Environment {
  region: string;
  s3PrefixLists: S3PrefixList[];
  vpcs: Vpc[];
  subnets: Subnet[];
  routeTables: RouteTable[];
  gatewayEndpoints: GatewayEndpoint[];
  interfaceEndpoints: InterfaceEndpoint[];
  natGateways: NatGateway[];
  networkInterfaces: NetworkInterface[];
  onPrem: OnPrem;
}

export interface S3PrefixList {
  prefixListId: string;
  name: string;
  cidrs: string[];
}

export interface Vpc {
  vpcId: string;
  cidrs: string[];
}

export interface Subnet {
  subnetId: string;
  vpcId: string;
  cidrs: string[];
  routeTableId: string;
}

export interface Route {
  /** A CIDR (IPv4 or IPv6) or a prefix-list id (`pl-…`). */
  destination: string;
  /** `local`, or a target id: `vpce-…`, `nat-…`, `igw-…`, `eigw-…`, `tgw-…`, `vgw-…`, `eni-…`, `pcx-…`. */
  target: string;
}

export interface RouteTable {
  routeTableId: string;
  vpcId: string;
  routes: Route[];
}

export interface GatewayEndpoint {
  vpcEndpointId: string;
  vpcId: string;
  serviceName: string;
  prefixListId: string;
  routeTableIds: string[];
}

export type PrivateDnsMode = 'off' | 'on' | 'inbound-only';

export interface InterfaceEndpoint {
  vpcEndpointId: string;
  vpcId: string;
  serviceName: string;
  /** Private IPs of the endpoint's ENIs. */
  ips: string[];
  /** The endpoint-specific DNS names, e.g. `*.vpce-0a1b…-abcd.s3.us-east-1.vpce.amazonaws.com`. */
  dnsNames: string[];
  privateDns: PrivateDnsMode;
}

export interface NatGateway {
  natGatewayId: string;
  subnetId: string;
  eniIds: string[];
  privateIps: string[];
  publicIps: string[];
}

export interface NetworkInterface {
  eniId: string;
  subnetId: string;
  privateIps: string[];
}

export type OnPremDnsMode = 'public' | 'inbound-resolver';

export interface OnPrem {
  cidrs: string[];
  publicEgressIps: string[];
  dnsMode: OnPremDnsMode;
}
