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
import { AddressPartition } from '../net/address-partition.js';
import { CidrSet, type CidrSetBuild } from '../net/cidr-set.js';
import { IpAddress } from '../net/ip.js';
import { indexRouteTables, isS3ServiceName, type ResolvedRoute, type TableIndex } from './route-index.js';
import type {
  Environment,
  GatewayEndpoint,
  InterfaceEndpoint,
  NatGateway,
  NetworkInterface,
  PrefixList,
  RouteTable,
  S3PrefixList,
  Subnet,
  Vpc,
} from './types.js';

export {
  type GatewayEndpointProof,
  type GatewayEndpointRefusal,
  indexRouteTables,
  isS3ServiceName,
  proveS3GatewayEndpoint,
  type ResolvedRoute,
  type RouteTargetKind,
} from './route-index.js';

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

/** An endpoint-specific S3 interface-endpoint host name (aws-facts §4 H11), in any partition. */
const VPCE_S3_HOST = /(^|\.)(vpce-[0-9a-z]+(?:-[0-9a-z]+)*)\.s3\.[a-z0-9-]+\.vpce\.amazonaws\.com(\.cn)?$/;

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
  private partition: AddressPartition | undefined;

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

    [this.dnsExact, this.dnsWildcard] = dnsNameIndex(env.interfaceEndpoints);

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

    this.subnetCidrsByVpc = subnetCidrsByVpc(env.subnets, collect);

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
    this.tableIndex = indexRouteTables(env, this.prefixLists, this.gatewayEndpoints, warnings);
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

  /**
   * The address space cut where any address lookup of this index may answer differently: two
   * addresses in one piece get the same answer from every method and set of the index (each set
   * it holds is in the partition; a set added to the index must be added here). Built on first use.
   */
  addressPartition(): AddressPartition {
    this.partition ??= AddressPartition.of([
      this.s3PrefixListCidrs,
      this.interfaceEndpointIps,
      this.s3InterfaceEndpointIps,
      this.s3InterfaceEndpointsByIp,
      ...this.vpcBlocks.map(([, blocks]) => blocks),
      this.natPrivateIps,
      this.natPublicIps,
      this.vpcCidrs,
      ...this.subnetCidrsByVpc.values(),
      this.onPremCidrs,
      this.onPremEgress,
      this.addressFacts,
      ...[...this.tableIndex.values()].map((t) => t.routes),
    ]);
    return this.partition;
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

/**
 * Whether `host` has the form of an endpoint-specific S3 interface-endpoint name
 * (`bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com`, zonal and `.cn` forms included),
 * whether or not the environment lists the endpoint.
 */
export function isS3InterfaceEndpointHost(host: string): boolean {
  return VPCE_S3_HOST.test(normaliseHost(host));
}

/** The interface endpoints by DNS name: exact names, and the suffixes of `*.` names. */
function dnsNameIndex(
  endpoints: readonly InterfaceEndpoint[],
): [Map<string, InterfaceEndpoint>, Map<string, InterfaceEndpoint>] {
  const dnsExact = new Map<string, InterfaceEndpoint>();
  const dnsWildcard = new Map<string, InterfaceEndpoint>();
  for (const e of endpoints) {
    for (const name of e.dnsNames) {
      const n = normaliseHost(name);
      if (n.startsWith('*.')) {
        if (!dnsWildcard.has(n.slice(2))) dnsWildcard.set(n.slice(2), e);
      } else if (!dnsExact.has(n)) {
        dnsExact.set(n, e);
      }
    }
  }
  return [dnsExact, dnsWildcard];
}

/** One block set per VPC: subnets of one VPC never overlap, subnets of different VPCs may. */
function subnetCidrsByVpc(
  subnets: readonly Subnet[],
  collect: <V>(built: CidrSetBuild<V>, paths: readonly string[], code: IndexWarning['code']) => CidrSet<V>,
): Map<string, CidrSet<readonly Subnet[]>> {
  const byVpc = new Map<string, [string, readonly Subnet[], string][]>();
  subnets.forEach((s, i) => {
    let list = byVpc.get(s.vpcId);
    if (!list) {
      list = [];
      byVpc.set(s.vpcId, list);
    }
    const one = Object.freeze([s]);
    for (const [j, c] of s.cidrs.entries()) list.push([c, one, `subnets[${i}].cidrs[${j}]`]);
  });
  return new Map(
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
}

function normaliseHost(host: string): string {
  const h = host.toLowerCase();
  return h.endsWith('.') ? h.slice(0, -1) : h;
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
