import { type HostScope, hostScopeOf, scopeText } from '../classify/host-scope.js';
import type { PathKind } from '../classify/types.js';
import type { EarlyVerdict } from '../verdicts/engine.js';
import { refusalOf } from '../verdicts/refusal.js';
import type { Observation, Probe } from './types.js';

/** What the early verdict needs to know of the network (an EnvironmentIndex provides it). */
export interface EarlyFacts {
  /**
   * Whether `ip` is an address of an S3 interface endpoint, in the VPC of `subnetId` when one is
   * given (overlapping VPCs reuse addresses; another service's endpoint is no S3 path: aws-facts
   * §5.1). Without a subnet (an on-prem runner) any S3 interface endpoint counts. With a host
   * scope, only endpoints that serve that kind of host name (./../classify/host-scope.ts).
   */
  isInterfaceEndpointIp(ip: string, subnetId?: string | null, scope?: HostScope): boolean;
  isS3Address(ip: string): boolean;
  /**
   * The path the subnet's most specific route for `ip` takes, and the route for messages: a
   * gateway endpoint only when the route provably ends at an S3 one (a `vpce-` target may be a
   * Gateway Load Balancer endpoint: aws-facts §5.2), else NAT, internet gateway or `unknown`.
   */
  routePath(subnetId: string, ip: string): { path: PathKind; route: string };
}

/** The path the connected address implies from the probe's vantage, with the facts used. */
function pathOf(
  probe: Probe,
  ip: string,
  facts: EarlyFacts,
): { path: PathKind; why: string; routeDerived: boolean } {
  const subnetId = probe.vantage.kind === 'vpc' ? (probe.vantage.subnetId ?? null) : null;
  const scope = hostScopeOf(probe.style);
  if (facts.isInterfaceEndpointIp(ip, subnetId, scope)) {
    return {
      path: 'interface-endpoint',
      why: `connected to interface-endpoint address ${ip}`,
      routeDerived: false,
    };
  }
  if (facts.isInterfaceEndpointIp(ip, subnetId)) {
    // The request reached an endpoint that cannot serve its host: no private path, and no left path either.
    return {
      path: 'unknown',
      why: `connected to ${ip}, an address of an S3 interface endpoint that ${scopeText(scope)}`,
      routeDerived: false,
    };
  }
  if (probe.vantage.kind === 'onprem') {
    // From outside AWS the only private way in is an interface endpoint's addresses.
    return {
      path: 'public',
      why: `on-prem runner ${probe.vantage.id} connected to ${ip}, which is not an interface-endpoint address`,
      routeDerived: false,
    };
  }
  const subnet = probe.vantage.subnetId;
  if (!subnet)
    return { path: 'unknown', why: `VPC vantage ${probe.vantage.id} has no subnet`, routeDerived: false };
  const { path, route } = facts.routePath(subnet, ip);
  const s3 = facts.isS3Address(ip) ? 'S3 address' : 'address';
  return {
    path,
    why: `${s3} ${ip}: ${route} in ${subnet}`,
    routeDerived: true,
  };
}

/** What is known of the route tables at request time (shared/analyzer/request-environment.ts). */
export interface EarlyOptions {
  /**
   * Set when the subnet's route tables changed between request and analysis, or no snapshot shows
   * them at request time: a VPC runner's path read from the route table then decides nothing.
   */
  routeChange?: string | null;
}

/**
 * The verdict an observation supports before any log arrives:
 * - a 403 whose message names an explicit deny in a resource-based or VPC endpoint policy →
 *   `blocked` (a network-conditioned control refused the request, wherever it travelled;
 *   aws-facts §10.1). Any other 403 (expired, signature, identity policy, no policy named) says
 *   nothing about the path: it is judged like any other S3 error answer below;
 * - a transport or integrity failure (nothing connected, TLS refused, body not the probe object,
 *   timeout or reset before an answer) → no decision: the peer is not proven to be S3, or the
 *   request may never have been sent, so only the logs can tell;
 * - connected to an interface-endpoint address → `private`;
 * - an on-prem runner connected to anything else → `left-path` now (logs confirm later);
 * - a VPC runner → what its subnet's route table does with the address it connected to
 *   (gateway endpoint → `private`, NAT or internet gateway → `left-path`), confirmed by logs later;
 *   no decision when `opts.routeChange` says the table of the request is not known.
 * An S3 error answer that names no network control (404 NoSuchKey, a 403 for an expired URL)
 * still proves the request travelled to the connected address, so the path decides as for a
 * success.
 *
 * @example
 * earlyVerdict(probe, obs, bindEnvironment(env).facts);
 * // { verdict: 'left-path', path: 'public', reason: 'on-prem runner onprem-dc1 connected to 52.216.10.20, …' }
 */
export function earlyVerdict(
  probe: Probe,
  obs: Observation,
  facts: EarlyFacts,
  opts: EarlyOptions = {},
): EarlyVerdict {
  const ip = obs.remoteAddress;
  const read = ip ? pathOf(probe, ip, facts) : null;
  const refusal = refusalOf(obs);
  if (refusal?.blocks) {
    return {
      verdict: 'blocked',
      path: read && read.path !== 'unknown' ? read.path : null,
      reason: `${refusal.cause}${read ? ` (${read.why})` : ''}`,
    };
  }
  if (!ip || !read) {
    return { verdict: null, path: null, reason: `no connection (${obs.error?.code ?? 'unknown'})` };
  }
  if (obs.error && obs.error.code !== 'HTTP_ERROR') {
    return {
      verdict: null,
      path: read.path,
      reason: `${read.why}, but the fetch failed (${obs.error.code}): no decision before the logs`,
    };
  }
  const change = opts.routeChange ?? null;
  if (change !== null && read.routeDerived) {
    return {
      verdict: null,
      path: null,
      reason: `${read.why}, but the route table of the request is not known: ${change}`,
    };
  }
  switch (read.path) {
    case 'interface-endpoint':
      return { verdict: 'private', path: read.path, reason: read.why };
    case 'public':
    case 'nat-gateway':
    case 'internet-gateway':
      return { verdict: 'left-path', path: read.path, reason: read.why };
    case 'gateway-endpoint':
      return { verdict: 'private', path: read.path, reason: `${read.why} (to be confirmed by logs)` };
    default:
      return { verdict: null, path: read.path, reason: read.why };
  }
}
