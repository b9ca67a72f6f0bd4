/**
 * The path a request for an S3 host name should take from a vantage (a subnet of the environment,
 * or on premises), read from the environment through {@link EnvironmentIndex}, the one reader of
 * routes, endpoints and addresses. URL inspection, the fix suggestions of alerts and posture drift
 * all ask here, so they cannot disagree with each other or with flow-log classification, which
 * resolves routes through the same index.
 *
 * A host name is a set of addresses, not one: a regional name resolves to any block of the
 * Region's S3 prefix list (aws-facts §5.6). Each block is resolved in the subnet's route table
 * with longest prefix match across CIDR routes and prefix-list entries (aws-facts §5.2), so a
 * more specific route (a CIDR, or a customer prefix list holding 52.216.8.0/24) to a NAT or
 * internet gateway over part of one block is seen. The VPC path is the path every S3 address
 * takes, else `unknown`, with the route that takes each part named (`shares`). Per address the
 * route decides exactly as flow rule 6 does for a record without `traffic-path`
 * ({@link pathOfRoute}); a property test holds the two equal.
 */
import { MRAP_ENDPOINT_SERVICE } from '../classify/host-scope.js';
import { isPrivatePath, type PathKind } from '../classify/types.js';
import type { EnvironmentIndex, ResolvedRoute } from '../env/environment-index.js';
import {
  clipList,
  entriesText,
  isLeftPath,
  pathOfRoute,
  piecesText,
  type RouteShare,
  routeShares,
  routeText,
  s3BlocksOf,
  s3GatewayRouteOf,
  shareSummary,
  shareText,
} from '../env/s3-routes.js';
import type { InterfaceEndpoint } from '../env/types.js';
import { addressScope, IpAddress, isIpAddress } from '../net/ip.js';
import { type EndpointKind, parseS3Hostname, type S3Hostname } from './hostname.js';

/** What is judged: a host name as read, the kind of endpoint and the bucket's Region. */
export interface PathTarget {
  readonly h: S3Hostname;
  readonly endpointKind: EndpointKind;
  /** The bucket's Region as the URL tells it; null when it does not (SigV2 on the global name). */
  readonly region: string | null;
  /** The host when it is an IP literal, canonical text. */
  readonly hostIp: string | null;
}

/** The path from one vantage, the facts it rests on, and what would make it private. */
export interface PathJudgement {
  readonly path: PathKind;
  /** One line naming the facts used. */
  readonly reason: string;
  /** How the destination's addresses split between routes, when routes decided (one subnet). */
  readonly shares: readonly RouteShare[];
  /**
   * What must change in the network for this host name to be private from this vantage (a route,
   * an endpoint, the DNS mode); null when it already is, or when the name can never be (then
   * `reason` says why).
   */
  readonly change: string | null;
  /**
   * From the VPC: the parts that leave the endpoint path, one line each naming the subnet and the
   * route (a subnet whose every S3 address leaves, or the S3 blocks a more specific route takes).
   */
  readonly leaving: readonly string[];
}

/** Endpoint kinds a same-Region gateway endpoint can carry (by IP: the name resolves to the Region's S3 addresses). */
export const GATEWAY_ELIGIBLE: ReadonlySet<EndpointKind> = new Set([
  'regional',
  'global',
  'dualstack',
  'fips',
  'access-point',
  's3express',
]);

const SCRATCH = new IpAddress();

/** A place a VPC client sits: a subnet, or a route table when the environment lists no subnets. */
interface Unit {
  readonly id: string;
  readonly vpcId: string;
  readonly routeTableId: string;
}

function unitsOf(idx: EnvironmentIndex, subnetId: string | undefined): Unit[] {
  if (idx.subnets.size > 0 || subnetId !== undefined) {
    const subnets =
      subnetId === undefined
        ? [...idx.subnets.values()]
        : [idx.subnets.get(subnetId)].filter((s) => s !== undefined);
    return subnets.map((s) => ({ id: s.subnetId, vpcId: s.vpcId, routeTableId: s.routeTableId }));
  }
  return [...idx.routeTables.values()].map((t) => ({
    id: t.routeTableId,
    vpcId: t.vpcId,
    routeTableId: t.routeTableId,
  }));
}

/**
 * The path from the VPC: from `subnetId`, or from every subnet of the environment (one answer
 * when they agree, else `unknown` naming each).
 */
export function judgeVpcPath(idx: EnvironmentIndex, t: PathTarget, subnetId?: string): PathJudgement {
  const units = unitsOf(idx, subnetId);
  if (units.length === 0) {
    return judged(
      'unknown',
      subnetId === undefined
        ? 'the environment lists no subnets or route tables'
        : `subnet ${subnetId} is not in the environment`,
    );
  }
  const results = units.map((u) => ({ unit: u, j: judgeVpcUnit(idx, t, u) }));
  const leaving = results.flatMap(({ unit, j }) =>
    isLeftPath(j.path)
      ? [`${unit.id}: ${j.path} (${j.reason})`]
      : j.shares.filter((x) => isLeftPath(x.path)).map((x) => `${unit.id}: ${shareSummary(x)}`),
  );
  const first = results[0]!;
  if (results.length === 1) return { ...first.j, reason: `${first.unit.id}: ${first.j.reason}`, leaving };
  if (results.every((r) => r.j.path === first.j.path)) {
    return {
      path: first.j.path,
      reason: `all ${results.length} subnets: ${first.j.reason}`,
      shares: [],
      change: first.j.change,
      leaving,
    };
  }
  return {
    ...judged(
      'unknown',
      `differs by subnet: ${results.map((r) => `${r.unit.id} ${r.j.path}`).join(', ')}; give a subnet`,
    ),
    leaving,
  };
}

function judged(
  path: PathKind,
  reason: string,
  change: string | null = null,
  shares: readonly RouteShare[] = [],
): PathJudgement {
  return { path, reason, shares, change, leaving: [] };
}

/** Names S3 interface-endpoint private DNS answers: regional bucket, access point and control names. */
export function coveredByPrivateDns(h: S3Hostname): boolean {
  if (h.fips || h.dualstack || h.legacyDashRegion || h.s3External1) return false;
  if (h.endpointKind === 'regional') return h.service === 's3' || h.service === 's3-control';
  if (h.endpointKind === 'access-point') return h.service === 's3';
  return false;
}

function interfaceEndpointsOf(idx: EnvironmentIndex, serviceName: string): InterfaceEndpoint[] {
  return [...idx.interfaceEndpoints.values()].filter((e) => e.serviceName === serviceName);
}

/**
 * A custom endpoint given as an IP address: private only when it is an S3 interface endpoint's
 * address, in VPC `vpcId` when the path is judged from a subnet (overlapping VPCs reuse addresses,
 * aws-facts §5.1); any S3 interface endpoint from on premises.
 */
function judgeCustomHost(idx: EnvironmentIndex, t: PathTarget, vpcId: string | null): PathJudgement {
  const ep =
    t.hostIp !== null && isIpAddress(t.hostIp)
      ? idx.s3InterfaceEndpointsAt(t.hostIp).find((e) => vpcId === null || e.vpcId === vpcId)
      : undefined;
  return ep
    ? judged('interface-endpoint', `${t.hostIp} is an address of S3 interface endpoint ${ep.vpcEndpointId}`)
    : judged('unknown', 'custom endpoint: the path depends on what its name resolves to');
}

function judgeVpcUnit(idx: EnvironmentIndex, t: PathTarget, u: Unit): PathJudgement {
  const { h, endpointKind: kind } = t;
  switch (kind) {
    case 'custom':
    case 'not-s3':
      return judgeCustomHost(idx, t, u.vpcId);
    case 'interface-endpoint':
      return interfaceName(idx, t);
    case 'accelerate':
      return egress(
        idx,
        u,
        'Transfer Acceleration uses CloudFront edge addresses, outside the S3 prefix list',
        null,
      );
    case 'website':
      return egress(idx, u, 'website endpoints are not served through VPC endpoints', null);
    case 'mrap': {
      const ep = interfaceEndpointsOf(idx, MRAP_ENDPOINT_SERVICE).find(
        (e) => e.vpcId === u.vpcId && e.privateDns === 'on',
      );
      return ep
        ? judged(
            'interface-endpoint',
            `private DNS of ${ep.vpcEndpointId} (com.amazonaws.s3-global.accesspoint) answers MRAP names`,
          )
        : egress(
            idx,
            u,
            'no com.amazonaws.s3-global.accesspoint interface endpoint with private DNS in this VPC',
            `create an interface endpoint for com.amazonaws.s3-global.accesspoint with private DNS in ${u.vpcId}`,
          );
    }
    default:
      break;
  }
  if (t.region === null) {
    return judged(
      'unknown',
      'the bucket Region is unknown (SigV2 names none), so the addresses the global name resolves to are unknown',
    );
  }
  if (t.region !== idx.region) {
    return egress(
      idx,
      u,
      `bucket Region ${t.region} is not the environment's ${idx.region}`,
      `reach ${t.region} through an interface endpoint for com.amazonaws.${t.region}.s3 (a gateway endpoint serves only its own Region)`,
    );
  }
  const service = kind === 's3express' ? 's3express' : 's3';
  const serviceName = `com.amazonaws.${idx.region}.${service}`;
  const privateDnsEndpoint = interfaceEndpointsOf(idx, serviceName).find(
    (e) => e.vpcId === u.vpcId && e.privateDns === 'on',
  );
  if (service === 's3' && coveredByPrivateDns(h) && privateDnsEndpoint) {
    return judged(
      'interface-endpoint',
      `private DNS of ${privateDnsEndpoint.vpcEndpointId} answers ${h.host} with endpoint addresses`,
    );
  }
  const routed = s3Routes(idx, u, service, h.dualstack);
  // The global name is answered with the bucket Region's addresses (us-east-1 by default): same routes, said so.
  const g = h.legacyGlobal
    ? { ...routed, reason: `the global name resolves to ${t.region} addresses; ${routed.reason}` }
    : routed;
  if (g.path !== 'gateway-endpoint' && service === 's3express' && privateDnsEndpoint) {
    return judged(
      'interface-endpoint',
      `private DNS of ${privateDnsEndpoint.vpcEndpointId} answers directory-bucket names`,
    );
  }
  return g;
}

/** The routes of a unit's table for the S3 addresses a name of `service` resolves to. */
function s3Routes(
  idx: EnvironmentIndex,
  u: Unit,
  service: 's3' | 's3express',
  dualstack: boolean,
): PathJudgement {
  const name = `com.amazonaws.${idx.region}.${service}`;
  if (!idx.routeTables.has(u.routeTableId))
    return judged('unknown', `route table ${u.routeTableId} is not in the environment`);
  const blocks = s3BlocksOf(idx, service, dualstack);
  const gateway = `associate the ${name} gateway endpoint with ${u.routeTableId} (a route from its prefix list)`;
  if (blocks.length === 0) {
    // No list and no gateway endpoint of the service: its addresses are public addresses like any
    // other; with a gateway endpoint whose list is missing, which route wins is unknown.
    if (![...idx.gatewayEndpoints.values()].some((g) => g.serviceName === name)) {
      return egress(idx, u, `the environment has no ${name} gateway endpoint or prefix list`, gateway);
    }
    return judged(
      'unknown',
      `the environment lists no ${name} prefix-list blocks, so the addresses the name resolves to are unknown`,
    );
  }
  if (dualstack && !blocks.some((b) => b.includes(':'))) {
    // A dual-stack name also has AAAA records; without the list's IPv6 blocks their route is unknown.
    const v4 = s3Routes(idx, u, service, false);
    return judged(
      'unknown',
      `${v4.reason}; but the prefix list has no IPv6 ranges and a dual-stack client may use IPv6`,
      v4.change,
      v4.shares,
    );
  }
  const shares = routeShares(idx, u.routeTableId, blocks, u.vpcId);
  const paths = new Set(shares.map((s) => s.path));
  const beating = shares.filter((s) => s.path !== 'gateway-endpoint' && s.route !== null);
  const change = (): string | null => {
    if (paths.size === 1 && paths.has('gateway-endpoint')) return null;
    if (!shares.some((s) => s.path === 'gateway-endpoint')) {
      // No S3 address reaches a gateway endpoint: the endpoint route is missing (or every block is taken).
      const hasEndpointRoute = s3GatewayRouteOf(idx, u.routeTableId, service) !== null;
      if (!hasEndpointRoute) return gateway;
    }
    const routes = beating.map((s) => `${s.route}${entriesText(s)}`);
    return routes.length > 0
      ? `remove or narrow ${clipList(routes)}: longest prefix wins over the gateway endpoint's prefix-list route`
      : null;
  };
  if (paths.size === 1) {
    const s = shares[0]!;
    const all =
      shares.length === 1 ? `every ${name} address` : `every ${name} address (${shares.length} routes)`;
    const reason =
      shares.length === 1
        ? `${all}: ${shareText(s)}`
        : `${all}: ${s.path}, ${shares.map((x) => `${x.route ?? 'no route'}${entriesText(x)}`).join('; ')}`;
    return judged(
      s.path,
      s.path === 'gateway-endpoint' || s.route !== null ? reason : `${reason} in ${u.routeTableId}`,
      change(),
      shares,
    );
  }
  // Some S3 addresses take one route, some another: which one a request takes depends on the DNS answer.
  const parts = shares.map((s) => `${piecesText(s)}: ${shareText(s)}`);
  return judged(
    'unknown',
    `not every ${name} address takes the same route: ${parts.join('; ')}`,
    change(),
    shares,
  );
}

/**
 * The path to public addresses outside the Region's S3 prefix lists (CloudFront edges, another
 * Region's S3): the routes that win anywhere in the public IPv4 space, leaving out local routes,
 * gateway endpoints (they carry only their own service's list) and the S3 lists' own routes. One
 * path when they agree, else `unknown` naming them.
 */
function egress(idx: EnvironmentIndex, u: Unit, why: string, change: string | null): PathJudgement {
  if (!idx.routeTables.has(u.routeTableId))
    return judged('unknown', `${why}; route table ${u.routeTableId} is not in the environment`, change);
  const routes = new Map<number, ResolvedRoute>();
  for (const piece of idx.resolveRoutesOver(u.routeTableId, '0.0.0.0/0')) {
    const r = piece.route;
    if (r === null || !hasPublicAddress(piece.first, piece.last)) continue;
    if (r.targetKind === 'local' || r.targetKind === 'gateway-endpoint') continue;
    if (r.prefixListId !== null && idx.env.s3PrefixLists.some((p) => p.prefixListId === r.prefixListId))
      continue;
    if (!routes.has(r.routeIndex)) routes.set(r.routeIndex, r);
  }
  if (routes.size === 0)
    return judged(
      'unknown',
      `${why}; no route in ${u.routeTableId} for public addresses (the request fails or leaves another way)`,
      change,
    );
  const judgedRoutes = [...routes.values()].map((r) => ({ r, ...pathOfRoute(r, false) }));
  const paths = new Set(judgedRoutes.map((j) => j.path));
  const text = judgedRoutes.map((j) => `${routeText(j.r)} (${j.path})`).join('; ');
  if (paths.size === 1) return judged(judgedRoutes[0]!.path, `${why}; ${text}`, change);
  return judged('unknown', `${why}; public addresses leave by several routes: ${text}`, change);
}

/**
 * Whether the IPv4 range holds a public address. Non-public space is a few ranges, each inside
 * one /8 except multicast and reserved (224/3), so a range whose ends are both non-public and in
 * the same /8 (or both in 224/3) holds none; any other range holds some.
 */
function hasPublicAddress(first: string, last: string): boolean {
  SCRATCH.parse(first);
  const a = SCRATCH.v4;
  const firstPublic = isPublic(SCRATCH);
  SCRATCH.parse(last);
  const b = SCRATCH.v4;
  if (firstPublic || isPublic(SCRATCH)) return true;
  return !(a >>> 24 === b >>> 24 || (a >>> 24 >= 224 && b >>> 24 >= 224));
}

function isPublic(a: IpAddress): boolean {
  return addressScope(a) === 'public';
}

function interfaceName(idx: EnvironmentIndex, t: PathTarget): PathJudgement {
  const ep = idx.interfaceEndpointForHost(t.h.host);
  return ep
    ? judged('interface-endpoint', `the vpce name resolves to the private addresses of ${ep.vpcEndpointId}`)
    : judged(
        'interface-endpoint',
        `vpce names resolve to endpoint addresses (${t.h.vpceId} is not in the environment)`,
      );
}

/** The path from on premises: by DNS (the name, the on-prem DNS mode and interface-endpoint private DNS). */
export function judgeOnPremPath(idx: EnvironmentIndex, t: PathTarget): PathJudgement {
  const { h, endpointKind: kind } = t;
  const dnsMode = idx.env.onPrem.dnsMode;
  const forward = (region: string) =>
    `forward ${region === idx.region ? `s3.${region}.amazonaws.com` : 'S3 names'} from on-prem DNS to a Route 53 Resolver inbound endpoint in the VPC of the S3 interface endpoint`;
  switch (kind) {
    case 'custom':
    case 'not-s3':
      return judgeCustomHost(idx, t, null);
    case 'interface-endpoint':
      return interfaceName(idx, t);
    case 'mrap': {
      const change =
        'create an interface endpoint for com.amazonaws.s3-global.accesspoint with private DNS, resolved on premises through a Route 53 Resolver inbound endpoint';
      if (dnsMode !== 'inbound-resolver') return judged('public', 'on-prem DNS is public', change);
      const ep = interfaceEndpointsOf(idx, MRAP_ENDPOINT_SERVICE).find((e) => e.privateDns !== 'off');
      return ep
        ? judged(
            'interface-endpoint',
            `the inbound resolver answers with ${ep.vpcEndpointId} (com.amazonaws.s3-global.accesspoint)`,
          )
        : judged(
            'public',
            'no com.amazonaws.s3-global.accesspoint interface endpoint with private DNS',
            change,
          );
    }
    default:
      break;
  }
  const privateName = kind === 's3express' ? !h.fips && !h.dualstack : coveredByPrivateDns(h);
  if (!privateName)
    return judged('public', `interface-endpoint private DNS does not cover ${describeName(h)}`);
  if (t.region !== idx.region) {
    return judged(
      'public',
      `private DNS of the environment's endpoints covers ${idx.region} names, not ${t.region ?? 'this Region'}`,
    );
  }
  const serviceName = `com.amazonaws.${idx.region}.${kind === 's3express' ? 's3express' : 's3'}`;
  const ep = interfaceEndpointsOf(idx, serviceName).find((e) => e.privateDns !== 'off');
  if (dnsMode !== 'inbound-resolver') {
    return judged(
      'public',
      'on-prem resolves S3 names through public DNS (dnsMode public)',
      ep
        ? forward(t.region)
        : `create an interface endpoint for ${serviceName} with private DNS and ${forward(t.region)}`,
    );
  }
  if (ep === undefined) {
    return judged(
      'public',
      `no ${serviceName} interface endpoint with private DNS: the inbound resolver answers public addresses`,
      `create an interface endpoint for ${serviceName} with private DNS (or enable private DNS on one) in the VPC of the inbound resolver`,
    );
  }
  return judged(
    'interface-endpoint',
    `the inbound resolver answers with the addresses of ${ep.vpcEndpointId} (private DNS ${ep.privateDns})`,
  );
}

function describeName(h: S3Hostname): string {
  if (h.legacyGlobal) return 'the legacy global name';
  if (h.s3External1) return 's3-external-1';
  if (h.legacyDashRegion) return 'dash-Region names';
  if (h.fips) return 'FIPS names';
  if (h.dualstack) return 'dual-stack names';
  if (h.endpointKind === 'accelerate') return 'Transfer Acceleration names';
  if (h.endpointKind === 'website') return 'website names';
  return `${h.endpointKind} names`;
}

/** A URL style a fix may suggest, checked against the environment from one vantage. */
export interface StyleCheck {
  /** `regional` (`bucket.s3.<region>.amazonaws.com`) or `interface-endpoint` (an endpoint-specific name). */
  readonly style: 'regional' | 'interface-endpoint';
  /** The host a URL of this style has, `bucket` standing for the bucket name. */
  readonly host: string;
  readonly path: PathKind;
  readonly reason: string;
  /** What must change in the network for the style to be private; null when it is. */
  readonly change: string | null;
}

/**
 * The URL styles a fix can point to (the regional name and the S3 interface endpoint's name),
 * each judged from the vantage by the same functions as `inspect-url`, for buckets in the
 * environment's Region. A suggestion is sound only for a style whose `path` is private.
 *
 * @example
 * urlStyleChecks(idx, { kind: 'vpc', subnetId: 'subnet-0a1b' })
 *   .filter((c) => isPrivatePath(c.path)).map((c) => c.host); // ['bucket.vpce-0a1b-abcd.s3.us-east-1.vpce.amazonaws.com']
 */
export function urlStyleChecks(
  idx: EnvironmentIndex,
  vantage: { readonly kind: 'vpc' | 'onprem'; readonly subnetId?: string | null },
): StyleCheck[] {
  const region = idx.region;
  const judge = (host: string): PathJudgement => {
    const h = parseS3Hostname(host);
    const t: PathTarget = { h, endpointKind: h.endpointKind, region: h.region ?? region, hostIp: null };
    if (vantage.kind === 'onprem') return judgeOnPremPath(idx, t);
    if (!vantage.subnetId) return judged('unknown', 'the vantage names no subnet');
    return judgeVpcPath(idx, t, vantage.subnetId);
  };
  const regionalHost = `bucket.s3.${region}.amazonaws.com`;
  const regional = judge(regionalHost);
  const vpcId =
    vantage.kind === 'vpc' && vantage.subnetId ? idx.subnets.get(vantage.subnetId)?.vpcId : undefined;
  const serviceName = `com.amazonaws.${region}.s3`;
  const endpoint = [...idx.interfaceEndpoints.values()]
    .filter((e) => e.serviceName === serviceName && (vpcId === undefined || e.vpcId === vpcId))
    .find((e) => e.dnsNames.some((n) => n.startsWith('*.vpce-')));
  const name = endpoint?.dnsNames.find((n) => n.startsWith('*.vpce-'));
  const checks: StyleCheck[] = [{ style: 'regional', host: regionalHost, ...pick(regional) }];
  if (name !== undefined) {
    const host = `bucket.${name.slice(2)}`;
    checks.push({ style: 'interface-endpoint', host, ...pick(judge(host)) });
  } else {
    checks.push({
      style: 'interface-endpoint',
      host: `bucket.vpce-<endpoint-id>.s3.${region}.vpce.amazonaws.com`,
      path: 'unknown',
      reason: `no ${serviceName} interface endpoint${vpcId ? ` in ${vpcId}` : ''}`,
      change:
        vantage.kind === 'onprem'
          ? `create an interface endpoint for ${serviceName} in a VPC reachable over Direct Connect or VPN`
          : `create an interface endpoint for ${serviceName} in ${vpcId ?? 'the VPC'}`,
    });
  }
  return checks;
}

function pick(j: PathJudgement): Pick<StyleCheck, 'path' | 'reason' | 'change'> {
  return { path: j.path, reason: j.reason, change: isPrivatePath(j.path) === true ? null : j.change };
}
