import {
  type EC2Client,
  paginateDescribeFlowLogs,
  paginateDescribeManagedPrefixLists,
  paginateDescribeNatGateways,
  paginateDescribeNetworkInterfaces,
  paginateDescribeRouteTables,
  paginateDescribeSubnets,
  paginateDescribeVpcEndpoints,
  paginateDescribeVpcs,
  paginateGetManagedPrefixListEntries,
} from '@aws-sdk/client-ec2';
import type { Environment, PrivateDnsMode, RouteTable } from '../../shared/env/types.js';

/** A flow log as DescribeFlowLogs reports it: what the analyzer needs to read and trust it. */
export interface FlowLogConfig {
  flowLogId: string;
  resourceId: string;
  destinationType: string;
  /** CloudWatch Logs group name or S3 ARN. */
  destination: string;
  logFormat: string;
  maxAggregationInterval: number | null;
}

export interface DiscoveryResult {
  environment: Environment;
  flowLogs: FlowLogConfig[];
  /** Endpoint id → state (`available`, `pending`, `deleting`, ...). */
  endpointStates: Record<string, string>;
}

const S3_SERVICE = /^com\.amazonaws\.[a-z0-9-]+\.s3$/;

async function all<T, P>(pages: AsyncIterable<P>, pick: (p: P) => T[] | undefined): Promise<T[]> {
  const out: T[] = [];
  for await (const p of pages) out.push(...(pick(p) ?? []));
  return out;
}

/**
 * Builds the environment document for the configured VPCs from EC2, following every page:
 * VPCs, subnets, route tables (explicit associations, else the VPC's main table), S3 gateway and
 * interface endpoints (DNS names, private-DNS mode incl. inbound-resolver-only), endpoint, NAT
 * gateway and Lambda (Hyperplane) ENIs, the S3 managed prefix list and its CIDRs, NAT gateways and
 * the flow logs on those VPCs/subnets. Read-only; the role needs only the EC2 Describe and Get actions.
 */
export async function discoverEnvironment(
  ec2: EC2Client,
  opts: { region: string; vpcIds: string[]; onPrem: Environment['onPrem'] },
): Promise<DiscoveryResult> {
  const client = { client: ec2 };
  const vpcFilter = [{ Name: 'vpc-id', Values: opts.vpcIds }];
  const [vpcs, subnets, tables, endpoints, nats, enis, prefixLists] = await Promise.all([
    all(paginateDescribeVpcs(client, { VpcIds: opts.vpcIds }), (p) => p.Vpcs),
    all(paginateDescribeSubnets(client, { Filters: vpcFilter }), (p) => p.Subnets),
    all(paginateDescribeRouteTables(client, { Filters: vpcFilter }), (p) => p.RouteTables),
    all(paginateDescribeVpcEndpoints(client, { Filters: vpcFilter }), (p) => p.VpcEndpoints),
    all(paginateDescribeNatGateways(client, { Filter: vpcFilter }), (p) => p.NatGateways),
    all(paginateDescribeNetworkInterfaces(client, { Filters: vpcFilter }), (p) => p.NetworkInterfaces),
    all(
      paginateDescribeManagedPrefixLists(client, {
        Filters: [{ Name: 'prefix-list-name', Values: [`com.amazonaws.${opts.region}.s3`] }],
      }),
      (p) => p.PrefixLists,
    ),
  ]);

  const s3PrefixLists: Environment['s3PrefixLists'] = [];
  for (const pl of prefixLists) {
    if (!pl.PrefixListId) continue;
    const entries = await all(
      paginateGetManagedPrefixListEntries(client, { PrefixListId: pl.PrefixListId }),
      (p) => p.Entries,
    );
    s3PrefixLists.push({
      prefixListId: pl.PrefixListId,
      name: pl.PrefixListName ?? `com.amazonaws.${opts.region}.s3`,
      cidrs: entries.flatMap((e) => (e.Cidr ? [e.Cidr] : [])),
    });
  }

  const routeTables: RouteTable[] = tables.map((t) => ({
    routeTableId: t.RouteTableId ?? '',
    vpcId: t.VpcId ?? '',
    routes: (t.Routes ?? []).flatMap((r) => {
      const destination = r.DestinationCidrBlock ?? r.DestinationIpv6CidrBlock ?? r.DestinationPrefixListId;
      const target =
        r.GatewayId ??
        r.NatGatewayId ??
        r.TransitGatewayId ??
        r.VpcPeeringConnectionId ??
        r.NetworkInterfaceId ??
        r.EgressOnlyInternetGatewayId ??
        r.LocalGatewayId ??
        r.CarrierGatewayId ??
        r.CoreNetworkArn;
      // Blackhole routes drop traffic: they carry nothing, so they are not routes for us.
      if (!destination || !target || r.State === 'blackhole') return [];
      return [{ destination, target }];
    }),
  }));
  const explicit = new Map<string, string>();
  const mainByVpc = new Map<string, string>();
  for (const t of tables) {
    for (const a of t.Associations ?? []) {
      if (a.Main && t.VpcId && t.RouteTableId) mainByVpc.set(t.VpcId, t.RouteTableId);
      else if (a.SubnetId && t.RouteTableId) explicit.set(a.SubnetId, t.RouteTableId);
    }
  }

  const endpointStates: Record<string, string> = {};
  const gatewayEndpoints: Environment['gatewayEndpoints'] = [];
  const interfaceEndpoints: Environment['interfaceEndpoints'] = [];
  const eniIps = new Map(
    enis.map((e) => [
      e.NetworkInterfaceId ?? '',
      (e.PrivateIpAddresses ?? []).flatMap((p) => (p.PrivateIpAddress ? [p.PrivateIpAddress] : [])),
    ]),
  );
  for (const ep of endpoints) {
    const id = ep.VpcEndpointId ?? '';
    endpointStates[id] = String(ep.State ?? 'unknown').toLowerCase();
    if (!ep.ServiceName || !S3_SERVICE.test(ep.ServiceName)) continue;
    if (ep.VpcEndpointType === 'Gateway') {
      const pl = s3PrefixLists[0]?.prefixListId ?? '';
      gatewayEndpoints.push({
        vpcEndpointId: id,
        vpcId: ep.VpcId ?? '',
        serviceName: ep.ServiceName,
        prefixListId: pl,
        routeTableIds: ep.RouteTableIds ?? [],
      });
    } else if (ep.VpcEndpointType === 'Interface') {
      const privateDns: PrivateDnsMode = !ep.PrivateDnsEnabled
        ? 'off'
        : ep.DnsOptions?.PrivateDnsOnlyForInboundResolverEndpoint
          ? 'inbound-only'
          : 'on';
      interfaceEndpoints.push({
        vpcEndpointId: id,
        vpcId: ep.VpcId ?? '',
        serviceName: ep.ServiceName,
        ips: (ep.NetworkInterfaceIds ?? []).flatMap((n) => eniIps.get(n) ?? []),
        dnsNames: (ep.DnsEntries ?? []).flatMap((d) => (d.DnsName ? [d.DnsName] : [])),
        privateDns,
      });
    }
  }

  const flowLogs = await all(
    paginateDescribeFlowLogs(client, {
      Filter: [
        {
          Name: 'resource-id',
          Values: [...opts.vpcIds, ...subnets.flatMap((s) => (s.SubnetId ? [s.SubnetId] : []))],
        },
      ],
    }),
    (p) => p.FlowLogs,
  );

  return {
    environment: {
      region: opts.region,
      s3PrefixLists,
      vpcs: vpcs.map((v) => ({
        vpcId: v.VpcId ?? '',
        cidrs: [
          ...(v.CidrBlockAssociationSet ?? []).flatMap((c) =>
            c.CidrBlock && c.CidrBlockState?.State === 'associated' ? [c.CidrBlock] : [],
          ),
          ...(v.Ipv6CidrBlockAssociationSet ?? []).flatMap((c) =>
            c.Ipv6CidrBlock && c.Ipv6CidrBlockState?.State === 'associated' ? [c.Ipv6CidrBlock] : [],
          ),
        ],
      })),
      subnets: subnets.map((s) => ({
        subnetId: s.SubnetId ?? '',
        vpcId: s.VpcId ?? '',
        cidrs: [
          ...(s.CidrBlock ? [s.CidrBlock] : []),
          ...(s.Ipv6CidrBlockAssociationSet ?? []).flatMap((c) => (c.Ipv6CidrBlock ? [c.Ipv6CidrBlock] : [])),
        ],
        routeTableId: explicit.get(s.SubnetId ?? '') ?? mainByVpc.get(s.VpcId ?? '') ?? '',
      })),
      routeTables,
      gatewayEndpoints,
      interfaceEndpoints,
      natGateways: nats
        .filter((n) => n.State === 'available' || n.State === 'pending')
        .map((n) => ({
          natGatewayId: n.NatGatewayId ?? '',
          subnetId: n.SubnetId ?? '',
          eniIds: (n.NatGatewayAddresses ?? []).flatMap((a) =>
            a.NetworkInterfaceId ? [a.NetworkInterfaceId] : [],
          ),
          privateIps: (n.NatGatewayAddresses ?? []).flatMap((a) => (a.PrivateIp ? [a.PrivateIp] : [])),
          publicIps: (n.NatGatewayAddresses ?? []).flatMap((a) => (a.PublicIp ? [a.PublicIp] : [])),
        })),
      networkInterfaces: enis.map((e) => ({
        eniId: e.NetworkInterfaceId ?? '',
        subnetId: e.SubnetId ?? '',
        privateIps: eniIps.get(e.NetworkInterfaceId ?? '') ?? [],
      })),
      onPrem: opts.onPrem,
    },
    flowLogs: flowLogs.map((f) => ({
      flowLogId: f.FlowLogId ?? '',
      resourceId: f.ResourceId ?? '',
      destinationType: f.LogDestinationType ?? 'cloud-watch-logs',
      destination: f.LogGroupName ?? f.LogDestination ?? '',
      logFormat: f.LogFormat ?? '',
      maxAggregationInterval: f.MaxAggregationInterval ?? null,
    })),
    endpointStates,
  };
}
