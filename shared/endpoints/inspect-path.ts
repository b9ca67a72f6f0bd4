/**
 * The expected-path section of URL inspection: the path a request for the URL's host should take
 * from the VPC and from on premises, judged in expected-path.ts on {@link EnvironmentIndex} (the one
 * reader of routes, endpoints and addresses), and the findings that follow from it. Findings are
 * named by code; their severity and text are the catalogue's (findings.ts).
 */
import { type EnvironmentIndex, environmentIndexOf } from '../env/environment-index.js';
import { isLeftPath } from '../env/s3-routes.js';
import type { Environment } from '../env/types.js';
import { GATEWAY_ELIGIBLE, judgeOnPremPath, judgeVpcPath, type PathTarget } from './expected-path.js';
import type { Findings } from './findings.js';
import type { ExpectedPath } from './inspect.js';

const NO_ENV_PATH: ExpectedPath = {
  vpc: 'unknown',
  onprem: 'unknown',
  reasons: { vpc: 'no environment given', onprem: 'no environment given' },
};

const NOT_S3_PATH: ExpectedPath = {
  vpc: 'not-s3',
  onprem: 'not-s3',
  reasons: { vpc: 'not an S3 host', onprem: 'not an S3 host' },
};

/** Where the paths are judged: the environment (none: `unknown`) and, optionally, one subnet. */
export interface Vantages {
  readonly env?: Environment;
  readonly subnetId?: string;
}

export function judgeExpectedPath(s: PathTarget, v: Vantages, f: Findings): ExpectedPath {
  if (s.endpointKind === 'not-s3') return NOT_S3_PATH;
  if (v.env === undefined) {
    if (s.endpointKind === 'mrap') f.add('MRAP_NEEDS_GLOBAL_INTERFACE_ENDPOINT', 'no environment given');
    return NO_ENV_PATH;
  }
  let idx: EnvironmentIndex;
  try {
    idx = environmentIndexOf(v.env);
  } catch {
    // The index trusts the document's shape (validateEnvironment's job); a caller that skipped it
    // gets no answer rather than a guess.
    const reason = 'the environment is not a valid environment document';
    return { vpc: 'unknown', onprem: 'unknown', reasons: { vpc: reason, onprem: reason } };
  }
  return judgePaths(s, idx, v.subnetId, f);
}

function judgePaths(
  s: PathTarget,
  idx: EnvironmentIndex,
  subnetId: string | undefined,
  f: Findings,
): ExpectedPath {
  const vpc = judgeVpcPath(idx, s, subnetId);
  const onprem = judgeOnPremPath(idx, s);

  if (s.region !== null && s.region !== idx.region && GATEWAY_ELIGIBLE.has(s.endpointKind)) {
    f.add('CROSS_REGION_FOR_GATEWAY_ENDPOINT', `bucket in ${s.region}, environment in ${idx.region}`);
  }
  if (
    s.endpointKind === 'interface-endpoint' &&
    s.h.vpceId !== null &&
    idx.interfaceEndpointForHost(s.h.host) === undefined
  ) {
    f.add('INTERFACE_ENDPOINT_NOT_IN_ENVIRONMENT', s.h.vpceId);
  }
  if (s.endpointKind === 'mrap') {
    const lacking = [
      ...(vpc.path !== 'interface-endpoint' ? ['the VPC'] : []),
      ...(onprem.path !== 'interface-endpoint' ? ['on premises'] : []),
    ];
    if (lacking.length > 0)
      f.add('MRAP_NEEDS_GLOBAL_INTERFACE_ENDPOINT', `the environment has none for ${lacking.join(' or ')}`);
  }
  if (isLeftPath(vpc.path)) {
    f.add('VPC_NOT_PRIVATE', `${vpc.path} (${vpc.reason})`);
  } else if (vpc.leaving.length > 0) {
    // Part of the S3 addresses the name resolves to (or some subnets) leave: a request whose DNS
    // answer falls there, or that is made there, leaves the endpoint path.
    f.add('VPC_NOT_PRIVATE', `not private everywhere: ${vpc.leaving.join('; ')}`);
  }
  if (isLeftPath(onprem.path)) f.add('ONPREM_NOT_PRIVATE', onprem.reason);
  return {
    vpc: vpc.path,
    onprem: onprem.path,
    reasons: { vpc: vpc.reason, onprem: onprem.reason },
    ...(vpc.shares.length > 0 ? { vpcRoutes: vpc.shares } : {}),
  };
}
