// Route tables resolved for longest-prefix matching, and the proof that a route ends at an S3
// gateway endpoint: the routing half of the environment index (environment-index.ts).
import { CidrSet, formatCidr, parseCidr } from '../net/cidr-set.js';
import type { IndexWarning } from './environment-index.js';
import type { Environment, GatewayEndpoint, PrefixList, Route, RouteTable, S3PrefixList } from './types.js';

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

/** Interface endpoints whose service is S3 (regional, directory buckets, Multi-Region Access Points). */
const S3_SERVICE = /(^|\.)s3(express)?$|^com\.amazonaws\.s3-global\.accesspoint$/;

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

export interface TableIndex {
  readonly table: RouteTable;
  readonly routes: CidrSet<ResolvedRoute>;
}

function canonicalCidr(text: string): string {
  const c = parseCidr(text);
  return typeof c === 'string' ? text : formatCidr(c);
}

/**
 * Every route table of `env` as a block set of its resolved routes (prefix-list routes stand for
 * each of the list's blocks); what cannot be evaluated is reported in `warnings` and kept in each
 * route's `unresolved`.
 */
export function indexRouteTables(
  env: Environment,
  prefixLists: ReadonlyMap<string, S3PrefixList | PrefixList>,
  gatewayEndpoints: ReadonlyMap<string, GatewayEndpoint>,
  warnings: IndexWarning[],
): Map<string, TableIndex> {
  const gatewayIds = new Set(gatewayEndpoints.keys());
  const tableIndex = new Map<string, TableIndex>();
  env.routeTables.forEach((table, ti) => {
    const unresolved: Route[] = [];
    const entries: [string, ResolvedRoute][] = [];
    // Filled in after the loop: every resolution of this table shares the list.
    const make = (route: Route, routeIndex: number, matched: string, prefixListId: string | null) => {
      const matchedCidr = canonicalCidr(matched);
      const gatewayEndpoint = gatewayEndpoints.get(route.target) ?? null;
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
        const pl = prefixLists.get(dest);
        if (!pl) {
          // A listed gateway endpoint of another service (DynamoDB) routed through its own
          // AWS-managed prefix list: those lists never hold S3 addresses, and if they did the
          // traffic would still end at a gateway endpoint, so the route cannot change an S3
          // verdict and is not counted as unresolved.
          const gw = gatewayEndpoints.get(route.target);
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
  env.subnets.forEach((s, i) => {
    if (!tableIndex.has(s.routeTableId)) {
      warnings.push({
        code: 'MISSING_ROUTE_TABLE',
        path: `subnets[${i}].routeTableId`,
        message: `${s.routeTableId} of ${s.subnetId} is not in routeTables`,
      });
    }
  });
  return tableIndex;
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
