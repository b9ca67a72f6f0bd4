/**
 * Path of one S3 server access log record from its Remote IP A (design §4; aws-facts §2.5). The
 * numbered rules, first match wins:
 *
 * 1. ACCESS_NO_REMOTE_IP / ACCESS_BAD_REMOTE_IP: A is null or not an address → `unknown`.
 * 2. ACCESS_INTERFACE_ENDPOINT_HOST: the Host header is an endpoint-specific DNS name of an S3
 *    interface endpoint (`…vpce-….s3.<region>.vpce.amazonaws.com`, aws-facts §4 H11, §5.3) and A
 *    is private → `interface-endpoint`. A name of an endpoint of another service (SSM, STS, …)
 *    never counts.
 * 3. ACCESS_PRIVATE_ADDRESS: A is an IPv4 address of a VPC block → `vpc-endpoint` (an internet
 *    gateway and a NAT gateway both translate IPv4 sources, so S3 sees a VPC's own IPv4 address
 *    only through an endpoint, aws-facts §2.5; the log has no endpoint id and does not say which
 *    kind). This comes before rule 4: an address of a VPC that `onPrem.cidrs` also holds may be a
 *    VPC host, which reaches S3 through a gateway endpoint too. When several VPCs hold A
 *    (overlapping blocks), the reason names them all and no VPC is picked.
 * 4. ACCESS_ONPREM_CIDR: A is a private address in `onPrem.cidrs` and in no VPC block →
 *    `interface-endpoint` (on-prem private addresses reach S3 only through an interface endpoint:
 *    gateway endpoints cannot be used from outside the VPC, aws-facts §5.1, §7 item 5).
 * 5. ACCESS_PRIVATE_ADDRESS: A is in another private range (RFC 1918, 100.64.0.0/10, fc00::/7) →
 *    `vpc-endpoint` (S3 sees such a source only through an endpoint).
 * 6. ACCESS_NAT_GATEWAY_IP: A is a NAT gateway's public address → `nat-gateway`.
 * 7. ACCESS_PUBLIC_ADDRESS: any other address → `public`; the reason says whether it is an
 *    on-prem egress address.
 *
 * "Private" in rules 2 to 5 means an address S3 can only have seen through an endpoint: a private
 * range (RFC 1918, 100.64.0.0/10, fc00::/7), or an IPv4 address of a VPC block. Where that does
 * not hold the answer is `unknown`, never an endpoint:
 *
 * - ACCESS_VPC_IPV6_ADDRESS: an IPv6 address in a VPC block: VPC IPv6 blocks are global unicast
 *   and not translated, so S3 sees the same address through an internet or egress-only internet
 *   gateway as through an endpoint (whatever the gateway endpoint's `ipAddressType`);
 * - ACCESS_ONPREM_PUBLIC_ADDRESS: a public address in `onPrem.cidrs`: an on-prem network that
 *   uses public addresses reaches S3's public endpoints with them directly (internet, Direct
 *   Connect public VIF, aws-facts §5.4), so rule 4's reasoning does not apply;
 * - ACCESS_SPECIAL_ADDRESS: loopback, link-local, unspecified or multicast addresses, which name
 *   no client.
 *
 * A NAT gateway public address or an `onPrem.publicEgressIps` entry is never private, even if a
 * (contradictory) document also lists it inside a VPC or on-prem block: rules 6 and 7 decide.
 * Interface-endpoint ENI addresses play no part here: S3 logs the requester's address, not the
 * endpoint's (aws-facts §2.5).
 */

import type { AccessLogRecord } from '../access-logs/types.js';
import {
  type EnvironmentIndex,
  isS3InterfaceEndpointHost,
  isS3ServiceName,
} from '../env/environment-index.js';
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
  /** An IPv6 address of a VPC block: S3 sees it through an endpoint and a gateway alike. */
  VPC_IPV6_ADDRESS: 'ACCESS_VPC_IPV6_ADDRESS',
  /** A public address in `onPrem.cidrs`: it can reach S3's public endpoints directly. */
  ONPREM_PUBLIC_ADDRESS: 'ACCESS_ONPREM_PUBLIC_ADDRESS',
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
  const nat = facts?.natPublic;
  const egress = facts?.onPremEgress;
  const knownPublic = nat !== undefined || egress !== undefined;
  const onPrem = knownPublic || scope !== 'private' ? undefined : facts?.onPrem;
  const vpc = knownPublic ? undefined : facts?.vpc;
  const vpcV4 = A.family === 4 ? vpc : undefined;
  const isPrivate = !knownPublic && (scope === 'private' || vpcV4 !== undefined);

  // Rule 2.
  const host = r.hostHeader;
  // Only an endpoint-specific name counts: with private DNS the regional name (which an endpoint's
  // DNS entries may also list) is used for the gateway endpoint too, so it does not tell them apart.
  if (isPrivate && typeof host === 'string' && isS3InterfaceEndpointHost(host)) {
    const endpoint = idx.interfaceEndpointForHost(host);
    if (endpoint !== undefined && isS3ServiceName(endpoint.serviceName)) {
      return decision(
        'interface-endpoint',
        ACCESS_RULES.INTERFACE_ENDPOINT_HOST,
        `${ACCESS_RULES.INTERFACE_ENDPOINT_HOST}: Host ${quote(host)} is a DNS name of interface endpoint ${endpoint.vpcEndpointId} and Remote IP ${a} is private`,
      );
    }
    if (endpoint === undefined) {
      return decision(
        'interface-endpoint',
        ACCESS_RULES.INTERFACE_ENDPOINT_HOST,
        `${ACCESS_RULES.INTERFACE_ENDPOINT_HOST}: Host ${quote(host)} is an S3 interface-endpoint DNS name (endpoint not in the environment) and Remote IP ${a} is private`,
      );
    }
  }

  // Rule 3.
  if (vpcV4 !== undefined) {
    const vpcs = idx.vpcsForAddress(A);
    const where =
      vpcs.length > 1
        ? `in ${vpcs.length} overlapping VPCs (${vpcs.map((v) => v.vpcId).join(', ')}), which one the log does not say`
        : `in ${vpcV4.vpcId}`;
    const alsoOnPrem =
      onPrem !== undefined ? ` (also in on-prem block ${onPrem}: a VPC host may use a gateway endpoint)` : '';
    return decision(
      'vpc-endpoint',
      ACCESS_RULES.PRIVATE_ADDRESS,
      `${ACCESS_RULES.PRIVATE_ADDRESS}: Remote IP ${a} is ${where}${alsoOnPrem}; S3 sees a VPC IPv4 address only through a VPC endpoint (the log does not say which kind)`,
    );
  }

  // Rule 4.
  if (onPrem !== undefined) {
    return decision(
      'interface-endpoint',
      ACCESS_RULES.ONPREM_CIDR,
      `${ACCESS_RULES.ONPREM_CIDR}: Remote IP ${a} is in on-prem block ${onPrem}; on-prem addresses reach S3 privately only through an interface endpoint`,
    );
  }

  // Rule 5.
  if (isPrivate) {
    return decision(
      'vpc-endpoint',
      ACCESS_RULES.PRIVATE_ADDRESS,
      `${ACCESS_RULES.PRIVATE_ADDRESS}: Remote IP ${a} is a private address (RFC 1918, 100.64.0.0/10 or fc00::/7); S3 sees one only through a VPC endpoint`,
    );
  }
  if (vpc !== undefined) {
    return decision(
      'unknown',
      ACCESS_RULES.VPC_IPV6_ADDRESS,
      `${ACCESS_RULES.VPC_IPV6_ADDRESS}: Remote IP ${a} is an IPv6 address of ${vpc.vpcId}; S3 sees it unchanged through an internet or egress-only internet gateway as through an endpoint`,
    );
  }
  const onPremBlock = knownPublic ? undefined : facts?.onPrem;
  if (onPremBlock !== undefined && scope === 'public') {
    return decision(
      'unknown',
      ACCESS_RULES.ONPREM_PUBLIC_ADDRESS,
      `${ACCESS_RULES.ONPREM_PUBLIC_ADDRESS}: Remote IP ${a} is in on-prem block ${onPremBlock} but is a public address, which can reach S3's public endpoints directly`,
    );
  }
  if (scope === 'special') {
    return decision(
      'unknown',
      ACCESS_RULES.SPECIAL_ADDRESS,
      `${ACCESS_RULES.SPECIAL_ADDRESS}: Remote IP ${a} is a loopback, link-local, unspecified or multicast address, which shows no path`,
    );
  }

  // Rule 6.
  if (nat !== undefined) {
    return decision(
      'nat-gateway',
      ACCESS_RULES.NAT_GATEWAY_IP,
      `${ACCESS_RULES.NAT_GATEWAY_IP}: Remote IP ${a} is a public address of NAT gateway ${nat.natGatewayId}`,
    );
  }

  // Rule 7.
  return decision(
    'public',
    ACCESS_RULES.PUBLIC_ADDRESS,
    egress !== undefined
      ? `${ACCESS_RULES.PUBLIC_ADDRESS}: Remote IP ${a} is on-prem public egress address ${egress}: the request reached S3's public endpoint`
      : `${ACCESS_RULES.PUBLIC_ADDRESS}: Remote IP ${a} is a public address not in the environment`,
  );
}
