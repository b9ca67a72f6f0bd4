import type {
  EC2Client,
  NatGateway as Ec2NatGateway,
  NetworkInterface as Ec2NetworkInterface,
  Route as Ec2Route,
  RouteTable as Ec2RouteTable,
  Subnet as Ec2Subnet,
  Vpc as Ec2Vpc,
  FlowLog,
  ManagedPrefixList,
  VpcEndpoint,
} from '@aws-sdk/client-ec2';
import type { FlowLogFacts } from '../../shared/env/drift.js';
import type {
  Environment,
  NetworkInterface,
  PrivateDnsMode,
  Route,
  RouteTable,
} from '../../shared/env/types.js';
import { UserInputError } from '../../shared/errors.js';
import { AwsCallError } from './retry.js';

/** A flow log as DescribeFlowLogs reports it: what the analyzer needs to read and trust it. */
export interface FlowLogConfig extends FlowLogFacts {
  flowLogId: string;
  /** The VPC, subnet or ENI the flow log is attached to. */
  resourceId: string;
  /** `cloud-watch-logs`, `s3` or `kinesis-data-firehose`. */
  destinationType: string;
  /** CloudWatch Logs group name, else the destination ARN (S3: `arn:aws:s3:::bucket/prefix/`). */
  destination: string;
  /** The `${field} …` format; empty means the default v2 format. */
  logFormat: string;
  /** 60 or 600 seconds; null when EC2 did not say. */
  maxAggregationInterval: number | null;
  /** `ACCEPT`, `REJECT` or `ALL`; null when EC2 did not say. */
  trafficType: string | null;
  /** `SUCCESS` or `FAILED` (delivery is failing: PathGuard is blind); null when EC2 did not say. */
  deliverLogsStatus: string | null;
  /** Why delivery fails (`Rate limited`, `Access error`, …), when it does. */
  deliverLogsErrorMessage?: string;
  /** S3 destinations: the delivery options that decide the object keys. */
  s3?: { fileFormat: 'plain-text' | 'parquet'; hiveCompatiblePartitions: boolean; perHourPartition: boolean };
}

export interface DiscoveryOptions {
  region: string;
  /** The VPCs to describe; when empty, the VPCs of `runnerSubnetIds`. */
  vpcIds?: readonly string[];
  /**
   * Subnets the VPC runners (probe functions) run in. Their Lambda (Hyperplane) ENIs are described
   * and their flow logs looked up; without them, the Lambda ENIs of the whole VPCs are described.
   */
  runnerSubnetIds?: readonly string[];
  /** Copied into the environment; discovery cannot see on-premises networks. */
  onPrem?: Environment['onPrem'];
}

export interface DiscoveryResult {
  environment: Environment;
  flowLogs: FlowLogConfig[];
  /** Every endpoint of the VPCs (any service) → its state as EC2 spells it, lower-cased (`available`, `pending`, `deleting`, …). */
  endpointStates: Record<string, string>;
  /** VPCs actually described (the configured ones, or those of the runner subnets). */
  vpcIds: string[];
}

const S3_SERVICE = /^(com|cn\.com)\.amazonaws\.[a-z0-9-]+\.s3$/;
/** Endpoint states in which an endpoint carries no traffic and is not part of the network any more. */
const GONE_STATES = new Set(['deleting', 'deleted', 'rejected', 'failed', 'expired']);
/** EC2 filters take at most 200 values. */
const FILTER_VALUES_MAX = 200;

const NO_ON_PREM: Environment['onPrem'] = { cidrs: [], publicEgressIps: [], dnsMode: 'public' };

async function all<T, P>(
  what: string,
  pages: AsyncIterable<P>,
  pick: (p: P) => T[] | undefined,
): Promise<T[]> {
  const out: T[] = [];
  try {
    for await (const p of pages) out.push(...(pick(p) ?? []));
  } catch (e) {
    throw new AwsCallError(`EC2 ${what}`, e);
  }
  return out;
}

function chunks<T>(list: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += n) out.push(list.slice(i, i + n));
  return out;
}

const defined = <T>(v: T | undefined | null): v is T => v !== undefined && v !== null && v !== '';

/** The route's destination and target, or null for a route that carries nothing. */
function toRoute(r: Ec2Route): Route | null {
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
    r.CoreNetworkArn ??
    r.InstanceId;
  // A blackhole route drops traffic (its target is gone): it carries nothing.
  if (!destination || !target || r.State === 'blackhole') return null;
  return { destination, target };
}

/** Private IPv4 and IPv6 addresses of an ENI. */
function eniAddresses(e: Ec2NetworkInterface): string[] {
  const v4 = (e.PrivateIpAddresses ?? []).map((p) => p.PrivateIpAddress).filter(defined);
  if (v4.length === 0 && e.PrivateIpAddress) v4.push(e.PrivateIpAddress);
  const v6 = (e.Ipv6Addresses ?? []).map((a) => a.Ipv6Address).filter(defined);
  return [...v4, ...v6];
}

function privateDnsMode(ep: VpcEndpoint): PrivateDnsMode {
  if (!ep.PrivateDnsEnabled) return 'off';
  return ep.DnsOptions?.PrivateDnsOnlyForInboundResolverEndpoint ? 'inbound-only' : 'on';
}

/** The endpoint-specific names (`*.vpce-….s3.<region>.vpce.amazonaws.com`), not the private DNS names. */
function endpointDnsNames(ep: VpcEndpoint): string[] {
  return (ep.DnsEntries ?? [])
    .map((d) => d.DnsName?.toLowerCase())
    .filter(defined)
    .filter((n) => /(^|\.)vpce-[0-9a-z-]+\./.test(n) && /\.vpce\.amazonaws\.com(\.cn)?\.?$/.test(n));
}

function toFlowLogConfig(f: FlowLog): FlowLogConfig {
  const type = f.LogDestinationType ?? 'cloud-watch-logs';
  const opts = f.DestinationOptions;
  return {
    flowLogId: f.FlowLogId ?? '',
    resourceId: f.ResourceId ?? '',
    destinationType: type,
    destination: (type === 'cloud-watch-logs' ? f.LogGroupName : undefined) ?? f.LogDestination ?? '',
    logFormat: f.LogFormat ?? '',
    maxAggregationInterval: f.MaxAggregationInterval ?? null,
    trafficType: f.TrafficType ?? null,
    deliverLogsStatus: f.DeliverLogsStatus ?? null,
    ...(f.DeliverLogsErrorMessage ? { deliverLogsErrorMessage: f.DeliverLogsErrorMessage } : {}),
    ...(type === 's3'
      ? {
          s3: {
            fileFormat: opts?.FileFormat === 'parquet' ? ('parquet' as const) : ('plain-text' as const),
            hiveCompatiblePartitions: opts?.HiveCompatiblePartitions ?? false,
            perHourPartition: opts?.PerHourPartition ?? false,
          },
        }
      : {}),
  };
}

/**
 * The EC2 client's module. Loaded by {@link discoverEnvironment}, not with this file: it is most
 * of the AWS SDK the analyze function loads (about 0.5 s of CPU), and only discovery needs it.
 */
type Ec2Sdk = typeof import('@aws-sdk/client-ec2');
type Ec2Pages = Parameters<Ec2Sdk['paginateDescribeManagedPrefixLists']>[0];

/** Whether AWS owns the list (`OwnerId` `AWS`), as opposed to a customer (aws-facts §5.6). */
const isAwsManaged = (pl: ManagedPrefixList) => pl.OwnerId === 'AWS';

/**
 * Every prefix list a route of `tables` names, with its entries, sorted into the S3 lists and the
 * others. Routes to prefix lists take part in longest-prefix match like CIDR routes (aws-facts
 * §5.2), so a list left unresolved leaves its table undecidable: a DynamoDB gateway endpoint's
 * route or a customer list's route next to the S3 route made S3 flows `unknown`.
 *
 * - `s3Named`: the Region's S3 list found by name; kept even when no route names it, since it
 *   says which addresses are S3 at all (aws-facts §5.6).
 * - An S3 list is AWS-managed (`OwnerId` `AWS`) and is either named `com.amazonaws.<region>.s3`
 *   or routed to an S3 gateway endpoint (the endpoint adds the route to its service's list,
 *   aws-facts §5.2). A customer list is never S3, whatever its name: its blocks resolve routes
 *   and never make an address S3. So are other services' lists (DynamoDB, S3 Express).
 * - Lists named by id through the `prefix-list-id` filter, not `PrefixListIds`: an id EC2 does
 *   not return (a list deleted or no longer shared since the route was made) is then missing, not
 *   a failed call; its route stays unresolved and the environment index reports it.
 * - Entries are read with every page (`GetManagedPrefixListEntries`); a failure names the list.
 */
async function resolvePrefixLists(
  sdk: Ec2Sdk,
  client: Ec2Pages,
  region: string,
  tables: readonly Ec2RouteTable[],
  s3Named: readonly ManagedPrefixList[],
  s3GatewayIds: ReadonlySet<string | undefined>,
): Promise<Pick<Environment, 's3PrefixLists' | 'prefixLists'>> {
  const s3Routed = new Set<string>();
  const routed = new Set<string>();
  for (const t of tables) {
    for (const r of t.Routes ?? []) {
      const id = r.DestinationPrefixListId;
      // A blackhole route carries nothing (see toRoute): its list resolves nothing.
      if (!id || r.State === 'blackhole') continue;
      routed.add(id);
      if (r.GatewayId && s3GatewayIds.has(r.GatewayId)) s3Routed.add(id);
    }
  }
  const lists = new Map<string, ManagedPrefixList>();
  for (const pl of s3Named) if (pl.PrefixListId) lists.set(pl.PrefixListId, pl);
  const missing = [...routed].filter((id) => !lists.has(id)).sort();
  for (const ids of chunks(missing, FILTER_VALUES_MAX)) {
    const found = await all(
      'DescribeManagedPrefixLists',
      sdk.paginateDescribeManagedPrefixLists(client, { Filters: [{ Name: 'prefix-list-id', Values: ids }] }),
      (p) => p.PrefixLists,
    );
    for (const pl of found) if (pl.PrefixListId) lists.set(pl.PrefixListId, pl);
  }
  const withEntries = await Promise.all(
    [...lists.values()].map(async (pl) => {
      const id = pl.PrefixListId as string;
      const entries = await all(
        `GetManagedPrefixListEntries (${id})`,
        sdk.paginateGetManagedPrefixListEntries(client, { PrefixListId: id }),
        (p) => p.Entries,
      );
      return { pl, id, cidrs: entries.map((e) => e.Cidr).filter(defined) };
    }),
  );
  const out: Pick<Environment, 's3PrefixLists' | 'prefixLists'> = { s3PrefixLists: [], prefixLists: [] };
  for (const { pl, id, cidrs } of withEntries) {
    const name = pl.PrefixListName;
    const isS3 = isAwsManaged(pl) && ((!!name && S3_SERVICE.test(name)) || s3Routed.has(id));
    if (isS3) {
      out.s3PrefixLists.push({ prefixListId: id, name: name ?? `com.amazonaws.${region}.s3`, cidrs });
    } else {
      out.prefixLists.push({ prefixListId: id, name: name || id, cidrs });
    }
  }
  return out;
}

type Ec2Call = { sdk: Ec2Sdk; client: Ec2Pages };

/** The configured VPCs, else those of the runner subnets. */
async function resolveVpcIds({ sdk, client }: Ec2Call, opts: DiscoveryOptions, runnerSubnetIds: string[]) {
  const vpcIds = [...new Set(opts.vpcIds ?? [])];
  if (vpcIds.length > 0) return vpcIds;
  if (runnerSubnetIds.length === 0) {
    throw new UserInputError('CONFIG_MISSING', 'discovery needs VPC ids or runner subnet ids');
  }
  const runnerSubnets = await all(
    'DescribeSubnets',
    sdk.paginateDescribeSubnets(client, { SubnetIds: runnerSubnetIds }),
    (p) => p.Subnets,
  );
  return [...new Set(runnerSubnets.map((s) => s.VpcId).filter(defined))];
}

/** The VPCs, their subnets, route tables, endpoints and NAT gateways, and the Region's S3 list by name. */
async function describeVpcParts({ sdk, client }: Ec2Call, vpcIds: string[], region: string) {
  const vpcFilter = [{ Name: 'vpc-id', Values: vpcIds }];
  const [vpcs, subnets, tables, endpoints, nats, s3Named] = await Promise.all([
    all('DescribeVpcs', sdk.paginateDescribeVpcs(client, { VpcIds: vpcIds }), (p) => p.Vpcs),
    all('DescribeSubnets', sdk.paginateDescribeSubnets(client, { Filters: vpcFilter }), (p) => p.Subnets),
    all(
      'DescribeRouteTables',
      sdk.paginateDescribeRouteTables(client, { Filters: vpcFilter }),
      (p) => p.RouteTables,
    ),
    all(
      'DescribeVpcEndpoints',
      sdk.paginateDescribeVpcEndpoints(client, { Filters: vpcFilter }),
      (p) => p.VpcEndpoints,
    ),
    all(
      'DescribeNatGateways',
      sdk.paginateDescribeNatGateways(client, { Filter: vpcFilter }),
      (p) => p.NatGateways,
    ),
    all(
      'DescribeManagedPrefixLists',
      sdk.paginateDescribeManagedPrefixLists(client, {
        // AWS's own list only: a customer may name a list the same (aws-facts §5.6).
        Filters: [
          { Name: 'prefix-list-name', Values: [`com.amazonaws.${region}.s3`] },
          { Name: 'owner-id', Values: ['AWS'] },
        ],
      }),
      (p) => p.PrefixLists,
    ),
  ]);
  return { vpcs, subnets, tables, endpoints, nats, s3Named };
}

/** The state of every endpoint, and the S3 endpoints still part of the network. */
function sortEndpoints(endpoints: readonly VpcEndpoint[]) {
  const endpointStates: Record<string, string> = {};
  const liveEndpoints: VpcEndpoint[] = [];
  for (const ep of endpoints) {
    if (!ep.VpcEndpointId) continue;
    const state = String(ep.State ?? 'unknown').toLowerCase();
    endpointStates[ep.VpcEndpointId] = state;
    if (!GONE_STATES.has(state)) liveEndpoints.push(ep);
  }
  const s3Endpoints = liveEndpoints.filter((ep) => ep.ServiceName && S3_SERVICE.test(ep.ServiceName));
  return { endpointStates, s3Endpoints };
}

/**
 * ENIs: those of the S3 interface endpoints and NAT gateways by id, and the Lambda ENIs of the
 * runner subnets (of the VPCs when no runner subnet is known).
 */
async function describeEnis(
  { sdk, client }: Ec2Call,
  s3Endpoints: readonly VpcEndpoint[],
  liveNats: readonly Ec2NatGateway[],
  vpcIds: string[],
  runnerSubnetIds: string[],
) {
  const byIdEnis = [
    ...s3Endpoints.flatMap((ep) => ep.NetworkInterfaceIds ?? []),
    ...liveNats.flatMap((n) => (n.NatGatewayAddresses ?? []).map((a) => a.NetworkInterfaceId)),
  ].filter(defined);
  const eniQueries = chunks([...new Set(byIdEnis)], FILTER_VALUES_MAX).map((ids) =>
    all(
      'DescribeNetworkInterfaces',
      sdk.paginateDescribeNetworkInterfaces(client, {
        Filters: [{ Name: 'network-interface-id', Values: ids }],
      }),
      (p) => p.NetworkInterfaces,
    ),
  );
  const lambdaFilter =
    runnerSubnetIds.length > 0
      ? [{ Name: 'subnet-id', Values: runnerSubnetIds }]
      : [
          { Name: 'vpc-id', Values: vpcIds },
          { Name: 'interface-type', Values: ['lambda'] },
        ];
  eniQueries.push(
    all(
      'DescribeNetworkInterfaces',
      sdk.paginateDescribeNetworkInterfaces(client, { Filters: lambdaFilter }),
      (p) => p.NetworkInterfaces,
    ),
  );
  const enis = new Map<string, Ec2NetworkInterface>();
  for (const list of await Promise.all(eniQueries))
    for (const e of list) if (e.NetworkInterfaceId) enis.set(e.NetworkInterfaceId, e);
  const runnerEnis = [...enis.values()].filter(
    (e) =>
      e.InterfaceType === 'lambda' &&
      (runnerSubnetIds.length === 0 || runnerSubnetIds.includes(e.SubnetId ?? '')),
  );
  return { enis, runnerEnis };
}

/** Each subnet's explicitly associated table and each VPC's main table. */
function tableAssociations(tables: readonly Ec2RouteTable[]) {
  const explicit = new Map<string, string>();
  const mainByVpc = new Map<string, string>();
  for (const t of tables) {
    for (const a of t.Associations ?? []) {
      // A disassociated (or failed) association no longer applies.
      const state = a.AssociationState?.State;
      if (state && state !== 'associated' && state !== 'associating') continue;
      if (a.Main && t.VpcId && t.RouteTableId) mainByVpc.set(t.VpcId, t.RouteTableId);
      else if (a.SubnetId && t.RouteTableId) explicit.set(a.SubnetId, t.RouteTableId);
    }
  }
  return { explicit, mainByVpc };
}

/** The S3 gateway and interface endpoints as the environment document models them. */
function toS3Endpoints(
  s3Endpoints: readonly VpcEndpoint[],
  tables: readonly Ec2RouteTable[],
  s3PrefixLists: Environment['s3PrefixLists'],
  enis: ReadonlyMap<string, Ec2NetworkInterface>,
): Pick<Environment, 'gatewayEndpoints' | 'interfaceEndpoints'> {
  const gatewayEndpoints: Environment['gatewayEndpoints'] = [];
  const interfaceEndpoints: Environment['interfaceEndpoints'] = [];
  for (const ep of s3Endpoints) {
    const id = ep.VpcEndpointId ?? '';
    if (ep.VpcEndpointType === 'Gateway') {
      // The prefix list the endpoint's routes use; else the Region's S3 list.
      const routed = tables
        .flatMap((t) => t.Routes ?? [])
        .find((r) => r.GatewayId === id && r.DestinationPrefixListId)?.DestinationPrefixListId;
      gatewayEndpoints.push({
        vpcEndpointId: id,
        vpcId: ep.VpcId ?? '',
        serviceName: ep.ServiceName ?? '',
        prefixListId: routed ?? s3PrefixLists[0]?.prefixListId ?? '',
        routeTableIds: ep.RouteTableIds ?? [],
        ipAddressType:
          ep.IpAddressType === 'dualstack' || ep.IpAddressType === 'ipv6' ? ep.IpAddressType : 'ipv4',
      });
    } else if (ep.VpcEndpointType === 'Interface') {
      interfaceEndpoints.push({
        vpcEndpointId: id,
        vpcId: ep.VpcId ?? '',
        serviceName: ep.ServiceName ?? '',
        ips: (ep.NetworkInterfaceIds ?? []).flatMap((n) => {
          const eni = enis.get(n);
          return eni ? eniAddresses(eni) : [];
        }),
        dnsNames: endpointDnsNames(ep),
        privateDns: privateDnsMode(ep),
      });
    }
  }
  return { gatewayEndpoints, interfaceEndpoints };
}

/** The flow logs attached to any of `resourceIds`, in chunks EC2 filters accept. */
async function describeFlowLogs(
  { sdk, client }: Ec2Call,
  resourceIds: readonly string[],
): Promise<FlowLog[]> {
  const flowLogs: FlowLog[] = [];
  for (const ids of chunks(resourceIds, FILTER_VALUES_MAX)) {
    flowLogs.push(
      ...(await all(
        'DescribeFlowLogs',
        sdk.paginateDescribeFlowLogs(client, { Filter: [{ Name: 'resource-id', Values: ids }] }),
        (p) => p.FlowLogs,
      )),
    );
  }
  return flowLogs;
}

/** A VPC with its associated IPv4 and IPv6 blocks. */
function toVpc(v: Ec2Vpc): Environment['vpcs'][number] {
  return {
    vpcId: v.VpcId ?? '',
    cidrs: [
      ...(v.CidrBlockAssociationSet ?? [])
        .filter((c) => c.CidrBlockState?.State === 'associated')
        .map((c) => c.CidrBlock),
      ...(v.Ipv6CidrBlockAssociationSet ?? [])
        .filter((c) => c.Ipv6CidrBlockState?.State === 'associated')
        .map((c) => c.Ipv6CidrBlock),
    ].filter(defined),
  };
}

/** A subnet with its blocks and its route table (explicit association, else its VPC's main table). */
function toSubnet(
  s: Ec2Subnet,
  { explicit, mainByVpc }: ReturnType<typeof tableAssociations>,
): Environment['subnets'][number] {
  return {
    subnetId: s.SubnetId ?? '',
    vpcId: s.VpcId ?? '',
    cidrs: [
      s.CidrBlock,
      ...(s.Ipv6CidrBlockAssociationSet ?? [])
        .filter((c) => !c.Ipv6CidrBlockState?.State || c.Ipv6CidrBlockState.State === 'associated')
        .map((c) => c.Ipv6CidrBlock),
    ].filter(defined),
    routeTableId: explicit.get(s.SubnetId ?? '') ?? mainByVpc.get(s.VpcId ?? '') ?? '',
  };
}

function toNatGateway(n: Ec2NatGateway): Environment['natGateways'][number] {
  const addrs = n.NatGatewayAddresses ?? [];
  return {
    natGatewayId: n.NatGatewayId ?? '',
    subnetId: n.SubnetId ?? '',
    eniIds: [...new Set(addrs.map((a) => a.NetworkInterfaceId).filter(defined))],
    privateIps: addrs.map((a) => a.PrivateIp).filter(defined),
    publicIps: addrs.map((a) => a.PublicIp).filter(defined),
  };
}

/**
 * Builds the environment document of the VPCs from EC2, following every page:
 *
 * - VPCs and subnets with their associated IPv4 and IPv6 blocks;
 * - route tables; a subnet without an explicit association uses its VPC's main table;
 * - S3 gateway and interface endpoints: routes, endpoint-specific DNS names, private-DNS mode
 *   (`off`, `on`, or `inbound-only` with `PrivateDnsOnlyForInboundResolverEndpoint`), the private
 *   addresses of their ENIs; the state of every endpoint (deleted ones are left out of the model);
 * - the S3 managed prefix list `com.amazonaws.<region>.s3` and every other prefix list a route names
 *   (other services' and customer-managed lists), with their CIDRs (they change: read each run);
 * - NAT gateways with their private and public addresses and ENIs;
 * - the Lambda (Hyperplane) ENIs of the runner subnets;
 * - the flow logs on the VPCs, the runner subnets and their Lambda ENIs (destination, format,
 *   aggregation interval, traffic type, delivery status).
 *
 * Only the ENIs that matter are described (endpoint, NAT and Lambda ENIs), never every ENI of a
 * large VPC. Read-only: the role needs the EC2 `Describe*` actions and
 * `ec2:GetManagedPrefixListEntries`. An EC2 failure (after the client's own retries) rejects
 * with an AwsCallError naming the call: a partial environment is never returned.
 */
export async function discoverEnvironment(ec2: EC2Client, opts: DiscoveryOptions): Promise<DiscoveryResult> {
  const ec2Call: Ec2Call = { sdk: await import('@aws-sdk/client-ec2'), client: { client: ec2 } };
  const runnerSubnetIds = [...new Set(opts.runnerSubnetIds ?? [])];
  const vpcIds = await resolveVpcIds(ec2Call, opts, runnerSubnetIds);
  const { vpcs, subnets, tables, endpoints, nats, s3Named } = await describeVpcParts(
    ec2Call,
    vpcIds,
    opts.region,
  );

  const liveNats = nats.filter((n) => n.State === 'available' || n.State === 'pending');
  const { endpointStates, s3Endpoints } = sortEndpoints(endpoints);
  const { enis, runnerEnis } = await describeEnis(ec2Call, s3Endpoints, liveNats, vpcIds, runnerSubnetIds);

  const { s3PrefixLists, prefixLists } = await resolvePrefixLists(
    ec2Call.sdk,
    ec2Call.client,
    opts.region,
    tables,
    s3Named,
    new Set(s3Endpoints.filter((ep) => ep.VpcEndpointType === 'Gateway').map((ep) => ep.VpcEndpointId)),
  );

  const routeTables: RouteTable[] = tables.map((t) => ({
    routeTableId: t.RouteTableId ?? '',
    vpcId: t.VpcId ?? '',
    routes: (t.Routes ?? []).map(toRoute).filter((r): r is Route => r !== null),
  }));
  const associations = tableAssociations(tables);
  const { gatewayEndpoints, interfaceEndpoints } = toS3Endpoints(s3Endpoints, tables, s3PrefixLists, enis);

  const flowLogs = await describeFlowLogs(ec2Call, [
    ...vpcIds,
    ...subnets.map((s) => s.SubnetId).filter(defined),
    ...runnerEnis.map((e) => e.NetworkInterfaceId).filter(defined),
  ]);

  const networkInterfaces: NetworkInterface[] = [...enis.values()].map((e) => ({
    eniId: e.NetworkInterfaceId ?? '',
    subnetId: e.SubnetId ?? '',
    privateIps: eniAddresses(e),
  }));

  return {
    environment: {
      region: opts.region,
      s3PrefixLists,
      prefixLists,
      vpcs: vpcs.map(toVpc),
      subnets: subnets.map((s) => toSubnet(s, associations)),
      routeTables,
      gatewayEndpoints,
      interfaceEndpoints,
      natGateways: liveNats.map(toNatGateway),
      networkInterfaces,
      onPrem: opts.onPrem ?? NO_ON_PREM,
    },
    flowLogs: flowLogs.map(toFlowLogConfig),
    endpointStates,
    vpcIds,
  };
}
