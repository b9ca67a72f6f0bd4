/**
 * What a route table does with the addresses of the Region's S3 prefix lists, read through
 * {@link EnvironmentIndex} (the one route resolver: longest prefix match across CIDR routes and
 * every prefix list's entries, aws-facts §5.2). An S3 list holds many blocks and a more specific
 * route (a CIDR, or a customer prefix list holding 52.216.8.0/24) may take part of one, so the
 * blocks are cut where the winning route changes ({@link routeShares}), and each part gets the path
 * flow rule 6 gives a record without `traffic-path` ({@link pathOfRoute}). URL inspection, fix
 * suggestions, vantage facts and posture drift all read routes here.
 */
import type { PathKind } from '../classify/types.js';
import { IpAddress } from '../net/ip.js';
import { type EnvironmentIndex, proveS3GatewayEndpoint, type ResolvedRoute } from './environment-index.js';

/** Part of a destination that takes one route from one subnet. */
export interface RouteShare {
  readonly path: PathKind;
  /** The route as the table holds it (`rtb-… routes pl-… to nat-…`); null when no route matches. */
  readonly route: string | null;
  /** The route's destination (a CIDR or `pl-…`) and target as written; null when no route matches. */
  readonly destination: string | null;
  readonly target: string | null;
  /** The blocks of the route that carry this part (the CIDR, or the prefix-list entries). */
  readonly routeBlocks: readonly string[];
  /** The destination addresses of this part: first and last address of each piece. */
  readonly pieces: readonly { readonly first: string; readonly last: string }[];
  /** The destination blocks (of those asked about) the pieces belong to. */
  readonly destinationBlocks: readonly string[];
  /** Why the route gives this path, naming the facts. */
  readonly why: string;
}

/** Paths that left the endpoint path (design §4). */
const NOT_PRIVATE: ReadonlySet<PathKind> = new Set(['nat-gateway', 'internet-gateway', 'public']);

/** Whether a path left the endpoint path. */
export function isLeftPath(path: PathKind): boolean {
  return NOT_PRIVATE.has(path);
}

const SCRATCH = new IpAddress();

/**
 * The path a route gives an S3 address from a subnet of `vpcId` when nothing else is known (no
 * `traffic-path`): flow rule 9 (FLOW_ROUTE_TABLE) of `shared/classify/flow.ts` in its outcomes. A
 * gateway endpoint is private only when {@link proveS3GatewayEndpoint} holds (an S3 endpoint of
 * the table's VPC, reached through its own prefix list, serving the address family, no unresolved
 * route: aws-facts §5.1, §5.2, §7 item 17) and the endpoint is of the subnet's VPC. A `vpce-…`
 * target that is not a listed gateway endpoint (a Gateway Load Balancer endpoint) proves nothing.
 */
export function pathOfRoute(
  route: ResolvedRoute | null,
  ipv6: boolean,
  vpcId?: string,
): { path: PathKind; why: string } {
  if (route === null) return { path: 'unknown', why: 'no route matches' };
  switch (route.targetKind) {
    case 'gateway-endpoint': {
      const proof = proveS3GatewayEndpoint(route, ipv6 ? 6 : 4);
      if (!proof.ok) return { path: 'unknown', why: `a gateway endpoint, but ${proof.why}` };
      if (vpcId !== undefined && proof.endpoint.vpcId !== vpcId)
        return {
          path: 'unknown',
          why: `a gateway endpoint of ${proof.endpoint.vpcId}, but the subnet is in ${vpcId}`,
        };
      return { path: 'gateway-endpoint', why: 'a gateway endpoint' };
    }
    case 'nat-gateway':
      return { path: 'nat-gateway', why: 'a NAT gateway' };
    case 'internet-gateway':
    case 'egress-only-internet-gateway':
      return { path: 'internet-gateway', why: 'an internet gateway' };
    case 'vpc-endpoint':
      return {
        path: 'unknown',
        why: 'not a known gateway endpoint (a Gateway Load Balancer endpoint is also vpce-)',
      };
    default:
      return { path: 'unknown', why: `${route.targetKind}, which shows no S3 path` };
  }
}

/**
 * The blocks a name of `service` (`s3`, `s3express`) in the environment's Region resolves to: the
 * S3 prefix lists named `com.amazonaws.<region>.<service>` and those of the service's gateway
 * endpoints. IPv6 blocks only when `ipv6` (a dual-stack name).
 */
export function s3BlocksOf(idx: EnvironmentIndex, service: 's3' | 's3express', ipv6: boolean): string[] {
  const name = `com.amazonaws.${idx.region}.${service}`;
  const ids = new Set<string>();
  for (const g of idx.gatewayEndpoints.values()) if (g.serviceName === name) ids.add(g.prefixListId);
  const out: string[] = [];
  for (const pl of idx.env.s3PrefixLists) {
    if (pl.name !== name && !ids.has(pl.prefixListId)) continue;
    for (const c of pl.cidrs) if (ipv6 || !c.includes(':')) out.push(c);
  }
  return out;
}

/**
 * How the addresses of `blocks` split between the routes of `routeTableId`: one share per route
 * (in address order of first appearance), each with the path {@link pathOfRoute} gives it.
 */
export function routeShares(
  idx: EnvironmentIndex,
  routeTableId: string,
  blocks: readonly string[],
  vpcId?: string,
): RouteShare[] {
  const byRoute = new Map<string, { share: RouteShare; blocks: Set<string> }>();
  for (const block of blocks) {
    const ipv6 = block.includes(':');
    for (const piece of idx.resolveRoutesOver(routeTableId, block)) {
      const r = piece.route;
      const { path, why } = pathOfRoute(r, ipv6, vpcId);
      const key = r === null ? `none|${path}` : `${r.routeIndex}|${path}`;
      let entry = byRoute.get(key);
      if (entry === undefined) {
        entry = {
          share: {
            path,
            route: r === null ? null : routeText(r),
            destination: r?.destination ?? null,
            target: r?.target ?? null,
            routeBlocks: [],
            pieces: [],
            destinationBlocks: [],
            why,
          },
          blocks: new Set(),
        };
        byRoute.set(key, entry);
      }
      (entry.share.pieces as { first: string; last: string }[]).push({
        first: piece.first,
        last: piece.last,
      });
      const dests = entry.share.destinationBlocks as string[];
      if (dests[dests.length - 1] !== block) dests.push(block);
      if (r !== null && !entry.blocks.has(r.matchedCidr)) {
        entry.blocks.add(r.matchedCidr);
        (entry.share.routeBlocks as string[]).push(r.matchedCidr);
      }
    }
  }
  return [...byRoute.values()].map((e) => e.share);
}

/** `rtb-… routes pl-… to vpce-…` (the list, not one of its blocks) or `rtb-… routes 52.216.0.0/16 to nat-…`. */
export function routeText(r: ResolvedRoute): string {
  return `${r.routeTable.routeTableId} routes ${r.destination} to ${r.target}`;
}

/** ` (52.216.8.0/24)`: the entries of a prefix list that take S3 addresses off the endpoint, else nothing. */
export function entriesText(s: RouteShare): string {
  return s.path !== 'gateway-endpoint' && s.route !== null && / routes pl-/.test(s.route)
    ? ` (${clipList(s.routeBlocks)})`
    : '';
}

/** The addresses of a share: `52.216.8.0/24` for a piece that is one block, else `first-last`. */
export function piecesText(s: RouteShare): string {
  return clipList(s.pieces.map((p) => rangeText(p.first, p.last)));
}

const LAST = new IpAddress();

function rangeText(first: string, last: string): string {
  if (first === last) return first;
  if (!SCRATCH.parse(first) || !LAST.parse(last) || SCRATCH.family !== LAST.family) return `${first}-${last}`;
  const a = bigOf(SCRATCH);
  const size = bigOf(LAST) - a + 1n;
  // One CIDR block: a power-of-two size, aligned on it.
  if ((size & (size - 1n)) !== 0n || a % size !== 0n) return `${first}-${last}`;
  const bits = SCRATCH.family === 4 ? 32 : 128;
  return `${first}/${bits - (size.toString(2).length - 1)}`;
}

function bigOf(a: IpAddress): bigint {
  if (a.family === 4) return BigInt(a.v4 >>> 0);
  let v = 0n;
  for (let k = 0; k < 4; k++) v = (v << 32n) | BigInt(a.words[k]! >>> 0);
  return v;
}

export function clipList(items: readonly string[], max = 3): string {
  return items.length <= max
    ? items.join(', ')
    : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/** `52.216.8.0-52.216.8.255: nat-gateway, rtb-… routes pl-… to nat-… (52.216.8.0/24)`: for messages. */
export function shareSummary(s: RouteShare): string {
  return `${piecesText(s)}: ${s.path}, ${s.route === null ? s.why : `${s.route}${entriesText(s)}`}`;
}

export function shareText(s: RouteShare): string {
  return s.route === null ? `${s.path}, ${s.why}` : `${s.path}, ${s.route}${entriesText(s)}: ${s.why}`;
}

/**
 * The route of `routeTableId` from a listed S3 gateway endpoint's prefix list to that endpoint
 * (the route, not the endpoint's association list, decides: aws-facts §5.2), or null. It may take
 * no address when more specific routes take every block.
 */
export function s3GatewayRouteOf(
  idx: EnvironmentIndex,
  routeTableId: string,
  service: 's3' | 's3express' = 's3',
): { readonly destination: string; readonly target: string } | null {
  const name = `com.amazonaws.${idx.region}.${service}`;
  const table = idx.routeTables.get(routeTableId);
  if (table === undefined) return null;
  for (const r of table.routes) {
    const g = idx.gatewayEndpoints.get(r.target);
    if (g !== undefined && g.serviceName === name && g.prefixListId === r.destination) return r;
  }
  return null;
}

/** What the route table of a VPC vantage does with the Region's S3 addresses. */
export interface VpcRouteFacts {
  readonly routeTableId: string | null;
  /** The S3 gateway endpoint the table routes the S3 prefix list to (see {@link s3GatewayRouteOf}). */
  readonly s3GatewayEndpointId: string | null;
  /** With such a route: the first route that takes S3 addresses from it (longest prefix wins). */
  readonly moreSpecificRoute: { readonly destination: string; readonly target: string } | null;
  /** The default route (`0.0.0.0/0`, else `::/0`). */
  readonly defaultRoute: { readonly destination: string; readonly target: string } | null;
  /** How the Region's IPv4 S3 addresses split between the table's routes. */
  readonly shares: readonly RouteShare[];
}

/** The route facts of a subnet for the Region's S3 addresses. */
export function vpcRouteFacts(idx: EnvironmentIndex, subnetId: string): VpcRouteFacts {
  const subnet = idx.subnets.get(subnetId);
  if (subnet === undefined || !idx.routeTables.has(subnet.routeTableId)) {
    return {
      routeTableId: subnet?.routeTableId ?? null,
      s3GatewayEndpointId: null,
      moreSpecificRoute: null,
      defaultRoute: null,
      shares: [],
    };
  }
  const rtb = subnet.routeTableId;
  const gw = s3GatewayRouteOf(idx, rtb);
  const shares = routeShares(idx, rtb, s3BlocksOf(idx, 's3', false), subnet.vpcId);
  const beating = gw === null ? undefined : shares.find((s) => s.target !== null && s.target !== gw.target);
  const def = (ip: string, block: string) => {
    const r = idx.resolveRouteInTable(rtb, ip);
    return r !== null && r.matchedCidr === block ? { destination: r.destination, target: r.target } : null;
  };
  return {
    routeTableId: rtb,
    s3GatewayEndpointId: gw?.target ?? null,
    moreSpecificRoute:
      beating === undefined ? null : { destination: beating.destination!, target: beating.target! },
    defaultRoute: def('0.0.0.0', '0.0.0.0/0') ?? def('::', '::/0'),
    shares,
  };
}
