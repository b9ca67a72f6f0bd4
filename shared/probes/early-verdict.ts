import type { PathKind } from '../classify/types.js';
import type { EarlyVerdict } from '../verdicts/engine.js';
import type { Observation, Probe } from './types.js';

/** What the early verdict needs to know of the network (an EnvironmentIndex provides it). */
export interface EarlyFacts {
  isInterfaceEndpointIp(ip: string): boolean;
  isS3Address(ip: string): boolean;
  /** Target of the most specific route for `ip` in the subnet's route table, or null. */
  routeTarget(subnetId: string, ip: string): string | null;
}

function pathOfTarget(target: string | null): PathKind {
  if (!target) return 'unknown';
  if (target.startsWith('vpce-')) return 'gateway-endpoint';
  if (target.startsWith('nat-')) return 'nat-gateway';
  if (target.startsWith('igw-') || target.startsWith('eigw-')) return 'internet-gateway';
  return 'unknown';
}

/**
 * The verdict an observation supports before any log arrives: connected to an interface-endpoint
 * address → private; an on-prem runner connected to anything else → left-path now (on-prem can
 * only be private through interface-endpoint addresses); a VPC runner → what its subnet's route
 * table does with the address it connected to; 403 AccessDenied → blocked.
 */
export function earlyVerdict(probe: Probe, obs: Observation, facts: EarlyFacts): EarlyVerdict {
  if (obs.httpStatus === 403 && obs.s3ErrorCode === 'AccessDenied') {
    return { verdict: 'blocked', path: null, reason: 'S3 answered 403 AccessDenied' };
  }
  const ip = obs.remoteAddress;
  if (!ip) return { verdict: null, path: null, reason: `no connection (${obs.error?.code ?? 'unknown'})` };
  if (facts.isInterfaceEndpointIp(ip)) {
    return {
      verdict: 'private',
      path: 'interface-endpoint',
      reason: `connected to interface-endpoint address ${ip}`,
    };
  }
  if (probe.vantage.kind === 'onprem') {
    return {
      verdict: 'left-path',
      path: 'public',
      reason: `on-prem runner ${probe.vantage.id} connected to ${ip}, which is not an interface-endpoint address`,
    };
  }
  const subnet = probe.vantage.subnetId;
  if (!subnet) return { verdict: null, path: null, reason: 'VPC vantage without subnet' };
  const target = facts.routeTarget(subnet, ip);
  const path = pathOfTarget(target);
  const s3 = facts.isS3Address(ip) ? 'S3 address' : 'address';
  const why = `${s3} ${ip} routes to ${target ?? 'no route'} in ${subnet}`;
  if (path === 'nat-gateway' || path === 'internet-gateway')
    return { verdict: 'left-path', path, reason: why };
  if (path === 'gateway-endpoint')
    return { verdict: 'private', path, reason: `${why} (to be confirmed by logs)` };
  return { verdict: null, path: 'unknown', reason: why };
}
