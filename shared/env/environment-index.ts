/**
 * The lookups every consumer of an environment needs, computed once per environment so that a
 * query per log record is a map lookup or one binary search: interface-endpoint addresses and DNS
 * names, S3 prefix-list blocks, NAT gateway ENIs and addresses, subnets by id, ENI and address,
 * VPC and on-prem blocks, and route resolution per subnet (longest prefix match over CIDR routes
 * and the blocks of prefix-list routes).
 *
 * Endpoint facts are scoped as AWS scopes them, so that no consumer can take an address or a route
 * for more than it proves: {@link EnvironmentIndex.s3InterfaceEndpointsAt} gives every S3 interface
 * endpoint (and its VPC) holding an address, since overlapping VPCs may reuse an endpoint's address
 * (aws-facts §5.1: interface endpoints "use private IP addresses from your VPC");
 * {@link EnvironmentIndex.vpcsForAddress} gives every VPC holding an address; and
 * {@link proveS3GatewayEndpoint} says whether a resolved route really ends at an S3 gateway
 * endpoint for an address family. None of them reads `gatewayEndpoints[].routeTableIds`: the
 * route in the table, not the endpoint's association list, decides (aws-facts §5.2).
 *
 * The index trusts the document's shape (validate it with `validateEnvironment` first) but not
 * its values: a block that does not parse, or a route to a prefix list whose blocks the document
 * does not give, is skipped and reported in `warnings`, never thrown.
 */
import { CidrSet, type CidrSetBuild, formatCidr, parseCidr } from '../net/cidr-set.js';
import { IpAddress } from '../net/ip.js';
import type {
  Environment,
  GatewayEndpoint,
  InterfaceEndpoint,
  NatGateway,
  NetworkInterface,
  PrefixList,
  Route,
  RouteTable,
  S3PrefixList,
  Subnet,
  Vpc,
} from './types.js';

/** What a route target id says about the path. */
export type RouteTargetKind =
  | 'local'
  /** `vpce-…` listed in `gatewayEndpoints`. */
  | 'gateway-endpoint'
  /** `vpce-…` not listed as a gateway endpoint: for example a Gateway Load Balancer endpoint. */
  | 'vpc-endpoint'
  | 'nat-gateway'
  | 'internet-gateway'
  | 'egress-only-internet-gateway'
  | 'transit-gateway'
  | 'virtual-private-gateway'
  | 'network-interface'
  | 'peering-connection'
  | 'other';

/** The route that carries traffic to an address, as {@link EnvironmentIndex.resolveRoute} found it. */
export interface ResolvedRoute {
  /** The winning route, as written in the document. */
  readonly route: Route;
  /** Its position in `routeTable.routes`. */
  readonly routeIndex: number;
  readonly routeTable: RouteTable;
  /** `route.destination`: the CIDR block or prefix-list id as written. */
  readonly destination: string;
  /** `route.target`. */
  readonly target: string;
  readonly targetKind: RouteTargetKind;
  /** The listed gateway endpoint the target names (`targetKind` `gateway-endpoint`), else null. */
  readonly gatewayEndpoint: GatewayEndpoint | null;
  /** Whether `gatewayEndpoint` is an S3 one (see {@link isS3ServiceName}). */
  readonly s3GatewayEndpoint: boolean;
  /** The block that matched, canonical: the route's CIDR, or the prefix-list entry. */
  readonly matchedCidr: string;
  /** The prefix list when the route's destination is one, else null. */
  readonly prefixListId: string | null;
  /** `rtb-… routes pl-… (52.216.0.0/15) to vpce-…`: for messages, built once per route. */
  readonly text: string;
  /**
   * Routes of the same table the index could not evaluate (a prefix list whose blocks the document
   * does not list, a malformed destination). Any of them might be more specific than `route`, so a
   * conclusion drawn from `route` holds only if this is empty. Not counted: the route of a listed
   * gateway endpoint of another service (DynamoDB) to its own prefix list, which holds no S3
   * address.
   */
  readonly unresolved: readonly Route[];
}

/** One piece of {@link EnvironmentIndex.resolveRoutesOver}: addresses that share a route. */
export interface RoutePiece {
  /** First address of the piece, canonical text. */
  readonly first: string;
  /** Last address of the piece, canonical text. */
  readonly last: string;
  /** The route every address of the piece takes, or null when no route matches. */
  readonly route: ResolvedRoute | null;
}

/** Something in the document the index skipped. `path` names it as validation would. */
export interface IndexWarning {
  readonly code:
    | 'BAD_CIDR'
    | 'BAD_ADDRESS'
    | 'UNRESOLVED_PREFIX_LIST_ROUTE'
    | 'BAD_ROUTE_DESTINATION'
    | 'MISSING_ROUTE_TABLE';
  readonly path: string;
  readonly message: string;
}

/**
 * Everything the environment says about one address, from one lookup in
 * {@link EnvironmentIndex.addressFacts}. A key is absent when its set has no block for the address.
 */
export interface AddressFacts {
  /** The S3 prefix list holding the address. */
  readonly s3PrefixList?: S3PrefixList;
  /** The interface endpoint (any service) the address belongs to. */
  readonly interfaceEndpoint?: InterfaceEndpoint;
  /** The S3 interface endpoint the address belongs to. */
  readonly s3InterfaceEndpoint?: InterfaceEndpoint;
  /** The NAT gateway whose private address it is. */
  readonly natPrivate?: NatGateway;
  /** The NAT gateway whose public (Elastic) address it is. */
  readonly natPublic?: NatGateway;
  /** The VPC whose block holds it. */
  readonly vpc?: Vpc;
  /** The `onPrem.cidrs` block holding it. */
  readonly onPrem?: string;
  /** The `onPrem.publicEgressIps` entry holding it. */
  readonly onPremEgress?: string;
}

/** Interface endpoints whose service is S3 (regional, directory buckets, Multi-Region Access Points). */
const S3_SERVICE = /(^|\.)s3(express)?$|^com\.amazonaws\.s3-global\.accesspoint$/;

/** An endpoint-specific S3 interface-endpoint host name (aws-facts §4 H11), in any partition. */
const VPCE_S3_HOST = /(^|\.)(vpce-[0-9a-z]+(?:-[0-9a-z]+)*)\.s3\.[a-z0-9-]+\.vpce\.amazonaws\.com(\.cn)?$/;

/** Whether `serviceName` is an S3 endpoint service (`com.amazonaws.<region>.s3`, `.s3express`, `s3-global.accesspoint`). */
export function isS3ServiceName(serviceName: string): boolean {
  return S3_SERVICE.test(serviceName);
}

function targetKindOf(target: string, gatewayIds: ReadonlySet<string>): RouteTargetKind {
  if (target === 'local') return 'local';
  const dash = target.indexOf('-');
  switch (dash < 0 ? target : target.slice(0, dash)) {
    case 'vpce':
      return gatewayIds.has(target) ? 'gateway-endpoint' : 'vpc-endpoint';
    case 'nat':
      return 'nat-gateway';
    case 'igw':
      return 'internet-gateway';
    case 'eigw':
      return 'egress-only-internet-gateway';
    case 'tgw':
      return 'transit-gateway';
    case 'vgw':
      return 'virtual-private-gateway';
    case 'eni':
      return 'network-interface';
    case 'pcx':
      return 'peering-connection';
    default:
      return 'other';
  }
}

/** Ranking of two routes for the same block; higher wins. */
function routeRank(r: ResolvedRoute): number {
  // AWS: a route to a CIDR block takes priority over a prefix-list route for the same block. Two
  // routes of one kind for one block cannot exist in AWS; if a document has them, the one that
  // does not end at an endpoint wins, so an inconsistent document never yields a private verdict.
  return (
    (r.prefixListId === null ? 2 : 0) +
    (r.targetKind === 'gateway-endpoint' || r.targetKind === 'vpc-endpoint' ? 0 : 1)
  );
}

interface TableIndex {
  readonly table: RouteTable;
  readonly routes: CidrSet<ResolvedRoute>;
}

const EMPTY_SUBNETS: readonly Subnet[] = Object.freeze([]);
const EMPTY_VPCS: readonly Vpc[] = Object.freeze([]);
const EMPTY_ENDPOINTS: readonly InterfaceEndpoint[] = Object.freeze([]);

/**
 * Precomputed lookups over one environment. Build with {@link buildEnvironmentIndex}; immutable
 * afterwards and safe to share. Address arguments are text or a parsed {@link IpAddress} (pass the
 * parsed form in per-record loops to parse once).
 *
 * @example
 * const idx = buildEnvironmentIndex(env);
 * idx.s3PrefixListCidrs.get('52.216.8.1')?.prefixListId;          // 'pl-63a5400a'
 * idx.resolveRoute('subnet-0a1b2c3d', '52.216.8.1')?.targetKind;  // 'gateway-endpoint'
 */
export class EnvironmentIndex {
  readonly env: Environment;
  readonly region: string;
  /** Everything skipped while building, in document order. */
  readonly warnings: readonly IndexWarning[];

  /** Every S3 prefix-list block → its prefix list. */
  readonly s3PrefixListCidrs: CidrSet<S3PrefixList>;
  /** Every prefix list of the document by id: the S3 ones and `prefixLists` (customer, other services). */
  readonly prefixLists: ReadonlyMap<string, S3PrefixList | PrefixList>;
  /** Every interface-endpoint address (any service) → its endpoint. */
  readonly interfaceEndpointIps: CidrSet<InterfaceEndpoint>;
  /** Addresses of S3 interface endpoints only (see {@link isS3ServiceName}). */
  readonly s3InterfaceEndpointIps: CidrSet<InterfaceEndpoint>;
  /** As {@link s3InterfaceEndpointIps}, every endpoint of an address (overlapping VPCs may reuse it). */
  private readonly s3InterfaceEndpointsByIp: CidrSet<readonly InterfaceEndpoint[]>;
  /** One block set per VPC, to find every VPC holding an address (VPC blocks may overlap). */
  private readonly vpcBlocks: readonly (readonly [Vpc, CidrSet<true>])[];
  readonly gatewayEndpoints: ReadonlyMap<string, GatewayEndpoint>;
  readonly interfaceEndpoints: ReadonlyMap<string, InterfaceEndpoint>;
  /** NAT gateway ENI id → gateway. */
  readonly natGatewayByEni: ReadonlyMap<string, NatGateway>;
  /** NAT gateway private addresses → gateway. */
  readonly natPrivateIps: CidrSet<NatGateway>;
  /** NAT gateway public (Elastic) addresses → gateway. */
  readonly natPublicIps: CidrSet<NatGateway>;
  readonly vpcs: ReadonlyMap<string, Vpc>;
  /** Every VPC block → its VPC (the first listed when VPCs share a block). */
  readonly vpcCidrs: CidrSet<Vpc>;
  readonly subnets: ReadonlyMap<string, Subnet>;
  /** ENI id → subnet, from `networkInterfaces` and NAT gateway ENIs. */
  readonly subnetByEni: ReadonlyMap<string, Subnet>;
  readonly routeTables: ReadonlyMap<string, RouteTable>;
  /** `onPrem.cidrs`. */
  readonly onPremCidrs: CidrSet<string>;
  /** `onPrem.publicEgressIps` (addresses or blocks). */
  readonly onPremEgress: CidrSet<string>;
  /**
   * All the address sets above in one: a single lookup per address answers every question the
   * classifiers ask about it (per-record code should prefer it to several lookups).
   */
  readonly addressFacts: CidrSet<AddressFacts>;

  private readonly tableIndex: ReadonlyMap<string, TableIndex>;
  private readonly subnetCidrsByVpc: ReadonlyMap<string, CidrSet<readonly Subnet[]>>;
  private readonly dnsExact: ReadonlyMap<string, InterfaceEndpoint>;
  private readonly dnsWildcard: ReadonlyMap<string, InterfaceEndpoint>;
  private readonly scratch = new IpAddress();

  /** Use {@link buildEnvironmentIndex}. */
  constructor(env: Environment) {
    const warnings: IndexWarning[] = [];
    this.env = env;
    this.region = env.region;
    this.warnings = warnings;

    const collect = <V>(built: CidrSetBuild<V>, paths: readonly string[], code: IndexWarning['code']) => {
      for (const e of built.errors) {
        warnings.push({ code, path: paths[e.index] ?? '', message: `${e.cidr}: ${e.message}` });
      }
      return built.set;
    };
    /** Builds a set from `[text, value, path]`; single addresses become /32 or /128 blocks. */
    const setOf = <V>(entries: [string, V, string][], addresses: boolean): CidrSet<V> =>
      collect(
        CidrSet.build(entries.map(([text, value]) => [addresses ? hostBlock(text) : text, value] as const)),
        entries.map(([, , p]) => p),
        addresses ? 'BAD_ADDRESS' : 'BAD_CIDR',
      );

    // Routes resolve through every list; only the S3 lists make an address an S3 address.
    this.prefixLists = new Map<string, S3PrefixList | PrefixList>([
      // Older documents (and test fixtures read without validation) have no `prefixLists`.
      ...(env.prefixLists ?? []).map((p) => [p.prefixListId, p] as const),
      ...env.s3PrefixLists.map((p) => [p.prefixListId, p] as const),
    ]);
    this.s3PrefixListCidrs = setOf(
      env.s3PrefixLists.flatMap((p, i) =>
        p.cidrs.map((c, j): [string, S3PrefixList, string] => [c, p, `s3PrefixLists[${i}].cidrs[${j}]`]),
      ),
      false,
    );

    this.gatewayEndpoints = new Map(env.gatewayEndpoints.map((e) => [e.vpcEndpointId, e]));
    this.interfaceEndpoints = new Map(env.interfaceEndpoints.map((e) => [e.vpcEndpointId, e]));
    const endpointIps = env.interfaceEndpoints.flatMap((e, i) =>
      e.ips.map((ip, j): [string, InterfaceEndpoint, string] => [
        ip,
        e,
        `interfaceEndpoints[${i}].ips[${j}]`,
      ]),
    );
    this.interfaceEndpointIps = setOf(endpointIps, true);
    const s3EndpointIps = endpointIps.filter(([, e]) => isS3ServiceName(e.serviceName));
    this.s3InterfaceEndpointIps = CidrSet.build(
      s3EndpointIps.map(([ip, e]) => [hostBlock(ip), e] as const),
    ).set;
    this.s3InterfaceEndpointsByIp = CidrSet.build(
      s3EndpointIps.map(([ip, e]) => [hostBlock(ip), Object.freeze([e])] as const),
      { onDuplicate: (a, b) => (a.includes(b[0]!) ? a : Object.freeze([...a, ...b])) },
    ).set;

    const dnsExact = new Map<string, InterfaceEndpoint>();
    const dnsWildcard = new Map<string, InterfaceEndpoint>();
    for (const e of env.interfaceEndpoints) {
      for (const name of e.dnsNames) {
        const n = normaliseHost(name);
        if (n.startsWith('*.')) {
          if (!dnsWildcard.has(n.slice(2))) dnsWildcard.set(n.slice(2), e);
        } else if (!dnsExact.has(n)) {
          dnsExact.set(n, e);
        }
      }
    }
    this.dnsExact = dnsExact;
    this.dnsWildcard = dnsWildcard;

    this.natGatewayByEni = new Map(env.natGateways.flatMap((n) => n.eniIds.map((eni) => [eni, n] as const)));
    this.natPrivateIps = setOf(
      env.natGateways.flatMap((n, i) =>
        n.privateIps.map((ip, j): [string, NatGateway, string] => [
          ip,
          n,
          `natGateways[${i}].privateIps[${j}]`,
        ]),
      ),
      true,
    );
    this.natPublicIps = setOf(
      env.natGateways.flatMap((n, i) =>
        n.publicIps.map((ip, j): [string, NatGateway, string] => [
          ip,
          n,
          `natGateways[${i}].publicIps[${j}]`,
        ]),
      ),
      true,
    );

    this.vpcs = new Map(env.vpcs.map((v) => [v.vpcId, v]));
    this.vpcCidrs = setOf(
      env.vpcs.flatMap((v, i) =>
        v.cidrs.map((c, j): [string, Vpc, string] => [c, v, `vpcs[${i}].cidrs[${j}]`]),
      ),
      false,
    );
    // Bad blocks are already reported once, by vpcCidrs.
    this.vpcBlocks = env.vpcs.map(
      (v) => [v, CidrSet.build(v.cidrs.map((c) => [c, true] as const)).set] as const,
    );

    this.subnets = new Map(env.subnets.map((s) => [s.subnetId, s]));
    const subnetByEni = new Map<string, Subnet>();
    for (const n of env.networkInterfaces) {
      const s = this.subnets.get(n.subnetId);
      if (s) subnetByEni.set(n.eniId, s);
    }
    for (const n of env.natGateways) {
      const s = this.subnets.get(n.subnetId);
      if (s) for (const eni of n.eniIds) if (!subnetByEni.has(eni)) subnetByEni.set(eni, s);
    }
    this.subnetByEni = subnetByEni;

    // One set per VPC: subnets of one VPC never overlap, subnets of different VPCs may.
    const byVpc = new Map<string, [string, readonly Subnet[], string][]>();
    env.subnets.forEach((s, i) => {
      let list = byVpc.get(s.vpcId);
      if (!list) {
        list = [];
        byVpc.set(s.vpcId, list);
      }
      const one = Object.freeze([s]);
      for (const [j, c] of s.cidrs.entries()) list.push([c, one, `subnets[${i}].cidrs[${j}]`]);
    });
    this.subnetCidrsByVpc = new Map(
      [...byVpc].map(([vpcId, entries]) => [
        vpcId,
        collect(
          CidrSet.build(
            entries.map(([c, v]) => [c, v] as const),
            { onDuplicate: (a, b) => Object.freeze([...a, ...b]) },
          ),
          entries.map(([, , p]) => p),
          'BAD_CIDR',
        ),
      ]),
    );

    this.onPremCidrs = setOf(
      env.onPrem.cidrs.map((c, j): [string, string, string] => [c, c, `onPrem.cidrs[${j}]`]),
      false,
    );
    this.onPremEgress = setOf(
      env.onPrem.publicEgressIps.map((c, j): [string, string, string] => [
        c,
        c,
        `onPrem.publicEgressIps[${j}]`,
      ]),
      true,
    );

    this.addressFacts = CidrSet.zip({
      s3PrefixList: this.s3PrefixListCidrs,
      interfaceEndpoint: this.interfaceEndpointIps,
      s3InterfaceEndpoint: this.s3InterfaceEndpointIps,
      natPrivate: this.natPrivateIps,
      natPublic: this.natPublicIps,
      vpc: this.vpcCidrs,
      onPrem: this.onPremCidrs,
      onPremEgress: this.onPremEgress,
    });

    this.routeTables = new Map(env.routeTables.map((t) => [t.routeTableId, t]));
    const gatewayIds = new Set(this.gatewayEndpoints.keys());
    const tableIndex = new Map<string, TableIndex>();
    env.routeTables.forEach((table, ti) => {
      const unresolved: Route[] = [];
      const entries: [string, ResolvedRoute][] = [];
      // Filled in after the loop: every resolution of this table shares the list.
      const make = (route: Route, routeIndex: number, matched: string, prefixListId: string | null) => {
        const matchedCidr = canonicalCidr(matched);
        const gatewayEndpoint = this.gatewayEndpoints.get(route.target) ?? null;
        const via = prefixListId === null ? matchedCidr : `${prefixListId} (${matchedCidr})`;
        return {
          route,
          routeIndex,
          routeTable: table,
          destination: route.destination,
          target: route.target,
          targetKind: targetKindOf(route.target, gatewayIds),
          gatewayEndpoint,
          s3GatewayEndpoint: gatewayEndpoint !== null && isS3ServiceName(gatewayEndpoint.serviceName),
          matchedCidr,
          prefixListId,
          unresolved,
          text: `${table.routeTableId} routes ${via} to ${route.target}`,
        } satisfies ResolvedRoute;
      };
      table.routes.forEach((route, ri) => {
        const path = `routeTables[${ti}].routes[${ri}].destination`;
        const dest = route.destination;
        if (dest.startsWith('pl-')) {
          const pl = this.prefixLists.get(dest);
          if (!pl) {
            // A listed gateway endpoint of another service (DynamoDB) routed through its own
            // AWS-managed prefix list: those lists never hold S3 addresses, and if they did the
            // traffic would still end at a gateway endpoint, so the route cannot change an S3
            // verdict and is not counted as unresolved.
            const gw = this.gatewayEndpoints.get(route.target);
            if (gw !== undefined && gw.prefixListId === dest && !isS3ServiceName(gw.serviceName)) return;
            unresolved.push(route);
            warnings.push({
              code: 'UNRESOLVED_PREFIX_LIST_ROUTE',
              path,
              message: `${dest} → ${route.target}: the prefix list's blocks are not in s3PrefixLists or prefixLists`,
            });
            return;
          }
          for (const c of pl.cidrs) entries.push([c, make(route, ri, c, dest)]);
          return;
        }
        entries.push([dest, make(route, ri, dest, null)]);
      });
      const built = CidrSet.build(entries, {
        onDuplicate: (kept, incoming) => (routeRank(incoming) > routeRank(kept) ? incoming : kept),
      });
      for (const e of built.errors) {
        const r = entries[e.index]![1];
        // A bad block inside a prefix list is reported once, for the list, by s3PrefixListCidrs.
        if (r.prefixListId !== null) continue;
        unresolved.push(r.route);
        warnings.push({
          code: 'BAD_ROUTE_DESTINATION',
          path: `routeTables[${ti}].routes[${r.routeIndex}].destination`,
          message: `${e.cidr}: ${e.message}`,
        });
      }
      tableIndex.set(table.routeTableId, { table, routes: built.set });
    });
    this.tableIndex = tableIndex;
    env.subnets.forEach((s, i) => {
      if (!tableIndex.has(s.routeTableId)) {
        warnings.push({
          code: 'MISSING_ROUTE_TABLE',
          path: `subnets[${i}].routeTableId`,
          message: `${s.routeTableId} of ${s.subnetId} is not in routeTables`,
        });
      }
    });
  }

  /**
   * The route that carries traffic from `subnetId` to `ip`: the most specific route of the
   * subnet's route table whose destination holds `ip`, a prefix-list destination standing for
   * each of the list's blocks. For one block matched by several routes, a CIDR route beats a
   * prefix-list route (AWS route priority); other ties (which AWS does not allow) go to the route
   * that does not end at an endpoint, then to the earlier route. Null when the subnet or its route
   * table is unknown or no route matches.
   */
  resolveRoute(subnetId: string, ip: string | IpAddress): ResolvedRoute | null {
    const s = this.subnets.get(subnetId);
    return s ? this.resolveRouteInTable(s.routeTableId, ip) : null;
  }

  /** As {@link resolveRoute}, for a route table id. */
  resolveRouteInTable(routeTableId: string, ip: string | IpAddress): ResolvedRoute | null {
    const t = this.tableIndex.get(routeTableId);
    return t ? (t.routes.get(ip) ?? null) : null;
  }

  /**
   * {@link resolveRouteInTable} for every address of `block` at once: the block cut where the
   * winning route changes, in address order, each piece with its first and last address and its
   * route (null where no route matches). This is how a question about a destination that is a
   * set of addresses (the blocks of an S3 prefix list a host name can resolve to) is answered
   * exactly: a more specific route over part of a block shows as its own piece (aws-facts §5.2).
   * Empty when the route table is unknown or the block is malformed.
   *
   * @example
   * idx.resolveRoutesOver('rtb-0aaa', '52.216.0.0/15').map((p) => `${p.first} ${p.route?.target}`);
   * // ['52.216.0.0 vpce-0gw', '52.216.8.0 nat-0f1e', '52.216.9.0 vpce-0gw']
   */
  resolveRoutesOver(routeTableId: string, block: string): RoutePiece[] {
    const ranges = this.tableIndex.get(routeTableId)?.routes.rangesWithin(block);
    if (ranges === undefined || typeof ranges === 'string') return [];
    return ranges.map((r) => ({ first: r.first, last: r.last, route: r.value ?? null }));
  }

  /**
   * The network interfaces of `subnetId` that can carry a client's traffic (a runner's Lambda
   * ENIs): those of `networkInterfaces` in the subnet, less NAT gateway ENIs and any interface
   * holding a NAT gateway or interface-endpoint address (requester-managed, never a client).
   */
  clientInterfacesOf(subnetId: string): NetworkInterface[] {
    const out: NetworkInterface[] = [];
    for (const n of this.env.networkInterfaces) {
      if (n.subnetId !== subnetId || this.natGatewayByEni.has(n.eniId)) continue;
      const managed = n.privateIps.some((ip) => {
        const f = this.addressFacts.get(ip);
        return f?.interfaceEndpoint !== undefined || f?.natPrivate !== undefined;
      });
      if (!managed) out.push(n);
    }
    return out;
  }

  /** The route table of a subnet, or undefined when the subnet or its table is not in the document. */
  routeTableOf(subnetId: string): RouteTable | undefined {
    const s = this.subnets.get(subnetId);
    return s ? this.routeTables.get(s.routeTableId) : undefined;
  }

  /**
   * The subnets whose blocks hold `ip`: within `vpcId` when given (at most one), else across
   * VPCs (several when VPCs overlap: the caller must not pick one). Empty when none.
   */
  subnetsForAddress(ip: string | IpAddress, vpcId?: string | null): readonly Subnet[] {
    let a: IpAddress;
    if (typeof ip === 'string') {
      if (!this.scratch.parse(ip)) return EMPTY_SUBNETS;
      a = this.scratch;
    } else {
      a = ip;
    }
    if (vpcId) return this.subnetCidrsByVpc.get(vpcId)?.get(a) ?? EMPTY_SUBNETS;
    let found: readonly Subnet[] = EMPTY_SUBNETS;
    for (const set of this.subnetCidrsByVpc.values()) {
      const hit = set.get(a);
      if (hit === undefined) continue;
      found = found.length === 0 ? hit : [...found, ...hit];
    }
    return found;
  }

  /**
   * Every VPC whose blocks hold `ip`, in document order: several when VPC blocks overlap (the
   * caller must not pick one), empty when none or when `ip` is not an address.
   */
  vpcsForAddress(ip: string | IpAddress): readonly Vpc[] {
    const a = this.parsed(ip);
    if (a === null) return EMPTY_VPCS;
    let found: Vpc[] | null = null;
    for (const [vpc, blocks] of this.vpcBlocks) {
      if (!blocks.has(a)) continue;
      found ??= [];
      found.push(vpc);
    }
    return found ?? EMPTY_VPCS;
  }

  /**
   * Every S3 interface endpoint one of whose addresses is `ip`, in document order. An address
   * is an endpoint's only inside the endpoint's VPC (`vpcId`): another VPC with overlapping blocks
   * may give the same address to a host, or to its own endpoint, and an ENI address is reused
   * after the ENI is deleted. Endpoints of other services (SSM, STS, …) are never listed.
   */
  s3InterfaceEndpointsAt(ip: string | IpAddress): readonly InterfaceEndpoint[] {
    const a = this.parsed(ip);
    return a === null ? EMPTY_ENDPOINTS : (this.s3InterfaceEndpointsByIp.get(a) ?? EMPTY_ENDPOINTS);
  }

  private parsed(ip: string | IpAddress): IpAddress | null {
    if (typeof ip !== 'string') return ip.family === 0 ? null : ip;
    return this.scratch.parse(ip) ? this.scratch : null;
  }

  /**
   * The interface endpoint a host name belongs to: one of its `dnsNames` (a `*.` name matches any
   * name below it; a plain name matches itself and the names below it, as S3 prefixes `bucket.`,
   * `accesspoint.` or `control.`), or an endpoint-specific S3 name carrying its id
   * (`…vpce-<id>-<suffix>.s3.<region>.vpce.amazonaws.com`). Case and a trailing dot are ignored.
   */
  interfaceEndpointForHost(host: string): InterfaceEndpoint | undefined {
    const h = normaliseHost(host);
    const exact = this.dnsExact.get(h);
    if (exact) return exact;
    for (let dot = h.indexOf('.'); dot >= 0; dot = h.indexOf('.', dot + 1)) {
      const suffix = h.slice(dot + 1);
      const e = this.dnsWildcard.get(suffix) ?? this.dnsExact.get(suffix);
      if (e) return e;
    }
    const label = VPCE_S3_HOST.exec(h)?.[2];
    if (label === undefined) return undefined;
    for (const e of this.interfaceEndpoints.values()) {
      if (label === e.vpcEndpointId || label.startsWith(`${e.vpcEndpointId}-`)) return e;
    }
    return undefined;
  }
}

/** Why a resolved route does not prove the S3 gateway endpoint (see {@link proveS3GatewayEndpoint}). */
export type GatewayEndpointRefusal =
  /** The target is not a listed gateway endpoint (NAT, internet gateway, a GWLB endpoint, …). */
  | 'NOT_GATEWAY_ENDPOINT'
  /** A listed gateway endpoint of another service (DynamoDB). */
  | 'NOT_S3'
  /** The endpoint belongs to another VPC than the route table. */
  | 'OTHER_VPC'
  /** The route's destination is not the endpoint's own prefix list. */
  | 'NOT_OWN_PREFIX_LIST'
  /** The endpoint does not serve the address family (`ipAddressType`). */
  | 'IP_TYPE'
  /** The table has routes the index cannot evaluate; one of them might be more specific. */
  | 'UNRESOLVED';

/** The answer of {@link proveS3GatewayEndpoint}; `why` is one line naming the facts. */
export type GatewayEndpointProof =
  | { readonly ok: true; readonly endpoint: GatewayEndpoint }
  | { readonly ok: false; readonly code: GatewayEndpointRefusal; readonly why: string };

/**
 * Whether `route` (as {@link EnvironmentIndex.resolveRoute} found it for an address of `family`)
 * carries that address through an S3 gateway endpoint. Every condition rests on an AWS fact:
 *
 * - the target is a listed gateway endpoint (a `vpce-…` target can also be a Gateway Load
 *   Balancer endpoint) of an S3 service;
 * - the endpoint is in the route table's VPC ("A gateway endpoint is available only in the
 *   Region where you created it"; endpoint connections "cannot be extended out of a VPC",
 *   aws-facts §5.1);
 * - the route's destination is the endpoint's own prefix list: AWS adds exactly the route
 *   `pl-… → vpce-…` when a table is associated (aws-facts §5.2), so any other destination is a
 *   document that contradicts AWS;
 * - the endpoint serves the family: IPv6 only when `ipAddressType` is `dualstack` or `ipv6`, IPv4
 *   only when it is `ipv4` or `dualstack` (aws-facts §7 item 17);
 * - no route of the table is unresolved (code `UNRESOLVED`, checked last so that a caller holding
 *   stronger evidence, such as traffic-path 7, may accept it).
 *
 * `gatewayEndpoints[].routeTableIds` is deliberately not read: the route decides.
 */
export function proveS3GatewayEndpoint(route: ResolvedRoute, family: 4 | 6): GatewayEndpointProof {
  const endpoint = route.gatewayEndpoint;
  if (route.targetKind !== 'gateway-endpoint' || endpoint === null) {
    return refuse('NOT_GATEWAY_ENDPOINT', `${route.target} is not a listed gateway endpoint`);
  }
  if (!route.s3GatewayEndpoint) {
    return refuse(
      'NOT_S3',
      `${endpoint.vpcEndpointId} is a gateway endpoint of ${endpoint.serviceName}, not of S3`,
    );
  }
  if (endpoint.vpcId !== route.routeTable.vpcId) {
    return refuse(
      'OTHER_VPC',
      `${endpoint.vpcEndpointId} is a gateway endpoint of ${endpoint.vpcId}, not of ${route.routeTable.vpcId} whose table routes to it`,
    );
  }
  if (route.prefixListId !== endpoint.prefixListId) {
    return refuse(
      'NOT_OWN_PREFIX_LIST',
      `the route's destination ${route.destination} is not ${endpoint.vpcEndpointId}'s prefix list ${endpoint.prefixListId}, the only route AWS creates to it`,
    );
  }
  const type = endpoint.ipAddressType ?? 'ipv4';
  if (family === 6 ? type === 'ipv4' : type === 'ipv6') {
    return refuse(
      'IP_TYPE',
      `${endpoint.vpcEndpointId} has IP address type ${type} and does not carry IPv${family} traffic`,
    );
  }
  if (route.unresolved.length > 0) {
    const pending = route.unresolved.map((u) => `${u.destination} → ${u.target}`).join(', ');
    return refuse('UNRESOLVED', `routes ${pending} cannot be resolved and might be more specific`);
  }
  return { ok: true, endpoint };
}

function refuse(code: GatewayEndpointRefusal, why: string): GatewayEndpointProof {
  return { ok: false, code, why };
}

/**
 * Whether `host` has the form of an endpoint-specific S3 interface-endpoint name
 * (`bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com`, zonal and `.cn` forms included),
 * whether or not the environment lists the endpoint.
 */
export function isS3InterfaceEndpointHost(host: string): boolean {
  return VPCE_S3_HOST.test(normaliseHost(host));
}

function normaliseHost(host: string): string {
  const h = host.toLowerCase();
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

function canonicalCidr(text: string): string {
  const c = parseCidr(text);
  return typeof c === 'string' ? text : formatCidr(c);
}

/** A single address as a one-address block; text that already is a block is kept. */
function hostBlock(text: string): string {
  if (typeof text !== 'string' || text.includes('/')) return text;
  return `${text}/${text.includes(':') ? 128 : 32}`;
}

/**
 * Builds the index of `env`. Never throws on bad values: what cannot be used is in `warnings`.
 *
 * @example
 * const r = validateEnvironment(JSON.parse(text));
 * if (r.ok) {
 *   const idx = buildEnvironmentIndex(r.value);
 *   for (const w of idx.warnings) console.warn(`${w.path}: ${w.message}`);
 * }
 */
export function buildEnvironmentIndex(env: Environment): EnvironmentIndex {
  return new EnvironmentIndex(env);
}

const indexes = new WeakMap<Environment, EnvironmentIndex>();

/**
 * The index of `env`, built on first use and kept as long as `env` lives: for callers that are
 * handed the same document many times (URL inspection, vantage facts). Treat `env` as immutable.
 */
export function environmentIndexOf(env: Environment): EnvironmentIndex {
  let idx = indexes.get(env);
  if (idx === undefined) {
    idx = new EnvironmentIndex(env);
    indexes.set(env, idx);
  }
  return idx;
}
