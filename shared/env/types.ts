/**
 * What discovery (or a user-written document) knows about one account and Region: the facts the
 * path classifier decides with. The zod schema in `schema.ts` validates documents into this shape.
 */
export interface Environment {
  region: string;
  s3PrefixLists: S3PrefixList[];
  /**
   * Every other prefix list a route table names: customer-managed lists and the AWS-managed lists
   * of other services (DynamoDB). They resolve routes only; their blocks never make an address S3.
   */
  prefixLists: PrefixList[];
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

/** A prefix list that is not an S3 one: customer-managed, or another service's (aws-facts §1.8). */
export interface PrefixList {
  prefixListId: string;
  /** `com.amazonaws.us-east-1.dynamodb`, or the customer's own name. */
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
  /**
   * `DescribeVpcEndpoints` `IpAddressType`: an S3 gateway endpoint serves IPv6 only when it is
   * `dualstack` or `ipv6` (aws-facts §7 item 17). Default `ipv4`.
   */
  ipAddressType: GatewayEndpointIpType;
}

export type GatewayEndpointIpType = 'ipv4' | 'dualstack' | 'ipv6';

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
