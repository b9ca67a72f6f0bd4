/**
 * Path of one S3 server access log record from its Remote IP A (design §4; aws-facts §2.5). The
 * numbered rules, first match wins:
 *
 * 1. A is null → `unknown`.
 * 2. The Host header is an S3 interface-endpoint DNS name (`…vpce-….s3.<region>.vpce.amazonaws.com`)
 *    and A is private → `interface-endpoint`.
 * 3. A in `onPrem.cidrs` → `interface-endpoint` (on-prem private addresses reach S3 only through
 *    an interface endpoint: gateway endpoints cannot be used from outside the VPC, §5.1).
 * 4. A in a VPC block or another private range (RFC 1918, 100.64.0.0/10, fc00::/7) →
 *    `vpc-endpoint` (S3 sees a private source only through an endpoint; the log does not say
 *    which kind).
 * 5. A is a NAT gateway's public address → `nat-gateway`.
 * 6. Any other address → `public`; the reason says whether it is an on-prem egress address.
 *
 * "Private" in rule 2 means rule 3's or rule 4's ranges. Two cases the rules above do not name
 * are `unknown`: a Remote IP that is not an address, and loopback, link-local, unspecified or
 * multicast addresses, which name no client and prove no path.
 */

import type { AccessLogRecord } from '../access-logs/types.js';
import { type EnvironmentIndex, isS3InterfaceEndpointHost } from '../env/environment-index.js';
import { addressScope, IpAddress } from '../net/ip.js';
import { constantDecision, decision, quote } from './decision.js';
import type { PathDecision } from './types.js';

/** Stable ids of the access-log rules, as they appear in `PathDecision.rule`. */
export const ACCESS_RULES = {
  NO_REMOTE_IP: 'ACCESS_NO_REMOTE_IP',
  /** Remote IP present but not an address. */
  BAD_REMOTE_IP: 'ACCESS_BAD_REMOTE_IP',
  INTERFACE_ENDPOINT_HOST: 'ACCESS_INTERFACE_ENDPOINT_HOST',
  ONPREM_CIDR: 'ACCESS_ONPREM_CIDR',
  PRIVATE_ADDRESS: 'ACCESS_PRIVATE_ADDRESS',
  /** Loopback, link-local, unspecified, multicast. */
  SPECIAL_ADDRESS: 'ACCESS_SPECIAL_ADDRESS',
  NAT_GATEWAY_IP: 'ACCESS_NAT_GATEWAY_IP',
  PUBLIC_ADDRESS: 'ACCESS_PUBLIC_ADDRESS',
} as const;

const NO_REMOTE_IP = constantDecision(
  'unknown',
  ACCESS_RULES.NO_REMOTE_IP,
  `${ACCESS_RULES.NO_REMOTE_IP}: the record has no Remote IP`,
);

const A = new IpAddress();

/**
 * Classifies one S3 server access log record. Pure, total and deterministic.
 *
 * @example
 * classifyAccessLogRecord(record, idx).path; // 'vpc-endpoint' for Remote IP 10.0.1.15
 */
export function classifyAccessLogRecord(r: AccessLogRecord, idx: EnvironmentIndex): PathDecision {
  const a = r.remoteIp;
  if (a === null || a === undefined) return NO_REMOTE_IP;
  if (typeof a !== 'string' || !A.parse(a)) {
    return decision(
      'unknown',
      ACCESS_RULES.BAD_REMOTE_IP,
      `${ACCESS_RULES.BAD_REMOTE_IP}: Remote IP ${quote(String(a))} is not an IP address`,
    );
  }
  const scope = addressScope(A);
  const facts = idx.addressFacts.get(A);
  const onPrem = facts?.onPrem;
  const vpc = facts?.vpc;
  const isPrivate = scope === 'private' || onPrem !== undefined || vpc !== undefined;

  // Rule 2.
  const host = r.hostHeader;
  if (isPrivate && typeof host === 'string' && host !== '') {
    const endpoint = idx.interfaceEndpointForHost(host);
    if (endpoint !== undefined) {
      return decision(
        'interface-endpoint',
        ACCESS_RULES.INTERFACE_ENDPOINT_HOST,
        `${ACCESS_RULES.INTERFACE_ENDPOINT_HOST}: Host ${quote(host)} is a DNS name of interface endpoint ${endpoint.vpcEndpointId} and Remote IP ${a} is private`,
      );
    }
    if (isS3InterfaceEndpointHost(host)) {
      return decision(
        'interface-endpoint',
        ACCESS_RULES.INTERFACE_ENDPOINT_HOST,
        `${ACCESS_RULES.INTERFACE_ENDPOINT_HOST}: Host ${quote(host)} is an S3 interface-endpoint DNS name (endpoint not in the environment) and Remote IP ${a} is private`,
      );
    }
  }

  // Rule 3.
  if (onPrem !== undefined) {
    return decision(
      'interface-endpoint',
      ACCESS_RULES.ONPREM_CIDR,
      `${ACCESS_RULES.ONPREM_CIDR}: Remote IP ${a} is in on-prem block ${onPrem}; on-prem addresses reach S3 privately only through an interface endpoint`,
    );
  }

  // Rule 4.
  if (vpc !== undefined) {
    return decision(
      'vpc-endpoint',
      ACCESS_RULES.PRIVATE_ADDRESS,
      `${ACCESS_RULES.PRIVATE_ADDRESS}: Remote IP ${a} is in ${vpc.vpcId}; S3 sees a VPC address only through a VPC endpoint (the log does not say which kind)`,
    );
  }
  if (scope === 'private') {
    return decision(
      'vpc-endpoint',
      ACCESS_RULES.PRIVATE_ADDRESS,
      `${ACCESS_RULES.PRIVATE_ADDRESS}: Remote IP ${a} is a private address (RFC 1918, 100.64.0.0/10 or fc00::/7); S3 sees one only through a VPC endpoint`,
    );
  }
  if (scope === 'special') {
    return decision(
      'unknown',
      ACCESS_RULES.SPECIAL_ADDRESS,
      `${ACCESS_RULES.SPECIAL_ADDRESS}: Remote IP ${a} is a loopback, link-local, unspecified or multicast address, which shows no path`,
    );
  }

  // Rule 5.
  const nat = facts?.natPublic;
  if (nat !== undefined) {
    return decision(
      'nat-gateway',
      ACCESS_RULES.NAT_GATEWAY_IP,
      `${ACCESS_RULES.NAT_GATEWAY_IP}: Remote IP ${a} is a public address of NAT gateway ${nat.natGatewayId}`,
    );
  }

  // Rule 6.
  const egress = facts?.onPremEgress;
  return decision(
    'public',
    ACCESS_RULES.PUBLIC_ADDRESS,
    egress !== undefined
      ? `${ACCESS_RULES.PUBLIC_ADDRESS}: Remote IP ${a} is on-prem public egress address ${egress}: the request reached S3's public endpoint`
      : `${ACCESS_RULES.PUBLIC_ADDRESS}: Remote IP ${a} is a public address not in the environment`,
  );
}
