import { classifyAccessLogRecord, classifyCloudTrailRecord, classifyFlowRecord } from '../classify/index.js';
import { buildEnvironmentIndex, type EnvironmentIndex } from '../env/environment-index.js';
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
export function bindEnvironment(env: Environment): BoundEnvironment {
  const index = buildEnvironmentIndex(env);
  return {
    index,
    classify: {
      flow: (r) => classifyFlowRecord(r, index),
      access: (r) => classifyAccessLogRecord(r, index),
      cloudtrail: (r) => classifyCloudTrailRecord(r, index),
    },
    facts: {
      isInterfaceEndpointIp: (ip) => index.interfaceEndpointIps.has(ip),
      isS3Address: (ip) => index.s3PrefixListCidrs.has(ip),
      routeTarget: (subnetId, ip) => index.resolveRoute(subnetId, ip)?.target ?? null,
    },
  };
}
