import { servesHosts } from '../classify/host-scope.js';
import { classifyAccessLogRecord, classifyCloudTrailRecord, classifyFlowRecord } from '../classify/index.js';
import type { PathKind } from '../classify/types.js';
import {
  buildEnvironmentIndex,
  type EnvironmentIndex,
  proveS3GatewayEndpoint,
} from '../env/environment-index.js';
import type { Environment } from '../env/types.js';
import type { Classifiers } from '../evidence/types.js';
import type { EarlyFacts } from '../probes/early-verdict.js';

/** What the analyzer needs from one environment, built once per run. */
export interface BoundEnvironment {
  index: EnvironmentIndex;
  classify: Classifiers;
  facts: EarlyFacts;
}

/**
 * Indexes an environment once and binds the classifiers and the early-verdict facts to it.
 *
 * @example
 * const { classify, facts } = bindEnvironment(env);
 * classify.access(record).path; // 'vpc-endpoint'
 */
/** The early verdict's reading of a subnet's route for an address (see {@link EarlyFacts.routePath}). */
function routePathOf(
  index: EnvironmentIndex,
  subnetId: string,
  ip: string,
): { path: PathKind; route: string } {
  const route = index.resolveRoute(subnetId, ip);
  if (route === null) return { path: 'unknown', route: 'no route' };
  switch (route.targetKind) {
    case 'gateway-endpoint': {
      const proof = proveS3GatewayEndpoint(route, ip.includes(':') ? 6 : 4);
      return proof.ok
        ? { path: 'gateway-endpoint', route: route.text }
        : { path: 'unknown', route: `${route.text}, not proven an S3 gateway endpoint (${proof.why})` };
    }
    case 'nat-gateway':
      return { path: 'nat-gateway', route: route.text };
    case 'internet-gateway':
    case 'egress-only-internet-gateway':
      return { path: 'internet-gateway', route: route.text };
    default:
      return { path: 'unknown', route: `${route.text} (${route.targetKind})` };
  }
}

export function bindEnvironment(env: Environment): BoundEnvironment {
  const index = buildEnvironmentIndex(env);
  return {
    index,
    classify: {
      flow: (r, scope) => classifyFlowRecord(r, index, scope),
      access: (r) => classifyAccessLogRecord(r, index),
      cloudtrail: (r) => classifyCloudTrailRecord(r, index),
    },
    facts: {
      isInterfaceEndpointIp: (ip, subnetId, scope) => {
        const vpcId = subnetId ? index.subnets.get(subnetId)?.vpcId : undefined;
        if (subnetId && vpcId === undefined) return false;
        return index
          .s3InterfaceEndpointsAt(ip)
          .some(
            (e) =>
              (vpcId === undefined || e.vpcId === vpcId) &&
              (scope === undefined || servesHosts(e.serviceName, scope)),
          );
      },
      isS3Address: (ip) => index.s3PrefixListCidrs.has(ip),
      routePath: (subnetId, ip) => routePathOf(index, subnetId, ip),
    },
  };
}
