/**
 * Path of one CloudTrail S3 data or network-activity event (design §4; aws-facts §3, §5.1, §5.5).
 * The numbered rules, first match wins:
 *
 * 1. `vpcEndpointId` present (CloudTrail sets it only for requests that came through an endpoint,
 *    aws-facts §3):
 *    - CLOUDTRAIL_BAD_ENDPOINT_ID: not a `vpce-<hex>` id → `unknown`;
 *    - CLOUDTRAIL_OTHER_SERVICE_ENDPOINT: a listed gateway or interface endpoint of another
 *      service (DynamoDB, SSM, STS, …) → `unknown`: an S3 request does not travel through it, so
 *      the event and the environment disagree;
 *    - CLOUDTRAIL_ENDPOINT_CONTRADICTED → `unknown` when `sourceIPAddress` contradicts the
 *      endpoint: a NAT gateway's public address (S3 sees a NAT's Elastic IP only over the
 *      internet path, aws-facts §2.5); for a gateway endpoint, an address outside the endpoint's
 *      VPC (gateway endpoints serve only their own VPC's resources, and S3 sees their private
 *      VPC address, aws-facts §2.5, §5.1), or an address of a family the endpoint does not serve
 *      (IPv6 only with `ipAddressType` `dualstack`/`ipv6`, IPv4 not with `ipv6`, aws-facts §7
 *      item 17);
 *    - CLOUDTRAIL_GATEWAY_ENDPOINT / CLOUDTRAIL_INTERFACE_ENDPOINT: otherwise a listed S3 gateway
 *      endpoint → `gateway-endpoint`, a listed S3 interface endpoint → `interface-endpoint`;
 *    - CLOUDTRAIL_UNKNOWN_ENDPOINT: an endpoint the environment does not list → `vpc-endpoint`.
 * 2. No `vpcEndpointId`: CLOUDTRAIL_NAT_GATEWAY_IP: `sourceIPAddress` a NAT gateway public
 *    address → `nat-gateway`; CLOUDTRAIL_SERVICE_SOURCE: not an address (an AWS service name such
 *    as `s3.amazonaws.com`) → `unknown`; CLOUDTRAIL_PRIVATE_ADDRESS: a private address (a VPC
 *    block, RFC 1918, 100.64.0.0/10, fc00::/7) → `unknown`; CLOUDTRAIL_SPECIAL_ADDRESS: loopback,
 *    link-local, unspecified, multicast → `unknown`; CLOUDTRAIL_PUBLIC_ADDRESS: any other
 *    address → `public`. CLOUDTRAIL_NO_SOURCE: no `sourceIPAddress` at all → `unknown`.
 *
 * Interface-endpoint ENI addresses play no part: CloudTrail's `sourceIPAddress` is the
 * requester's, and only the endpoint id names the endpoint.
 */
import type { CloudTrailRecord } from '../cloudtrail/types.js';
import { type EnvironmentIndex, isS3ServiceName } from '../env/environment-index.js';
import type { GatewayEndpoint, InterfaceEndpoint } from '../env/types.js';
import { addressScope, IpAddress } from '../net/ip.js';
import { constantDecision, decision, quote } from './decision.js';
import type { PathDecision } from './types.js';

/** Stable ids of the CloudTrail rules, as they appear in `PathDecision.rule`. */
export const CLOUDTRAIL_RULES = {
  GATEWAY_ENDPOINT: 'CLOUDTRAIL_GATEWAY_ENDPOINT',
  INTERFACE_ENDPOINT: 'CLOUDTRAIL_INTERFACE_ENDPOINT',
  UNKNOWN_ENDPOINT: 'CLOUDTRAIL_UNKNOWN_ENDPOINT',
  /** A listed endpoint of another service than S3. */
  OTHER_SERVICE_ENDPOINT: 'CLOUDTRAIL_OTHER_SERVICE_ENDPOINT',
  /** The source address contradicts the endpoint the event names. */
  ENDPOINT_CONTRADICTED: 'CLOUDTRAIL_ENDPOINT_CONTRADICTED',
  /** `vpcEndpointId` present but not of the form `vpce-<hex>`. */
  BAD_ENDPOINT_ID: 'CLOUDTRAIL_BAD_ENDPOINT_ID',
  NAT_GATEWAY_IP: 'CLOUDTRAIL_NAT_GATEWAY_IP',
  SERVICE_SOURCE: 'CLOUDTRAIL_SERVICE_SOURCE',
  PRIVATE_ADDRESS: 'CLOUDTRAIL_PRIVATE_ADDRESS',
  PUBLIC_ADDRESS: 'CLOUDTRAIL_PUBLIC_ADDRESS',
  NO_SOURCE: 'CLOUDTRAIL_NO_SOURCE',
  SPECIAL_ADDRESS: 'CLOUDTRAIL_SPECIAL_ADDRESS',
} as const;

const NO_SOURCE = constantDecision(
  'unknown',
  CLOUDTRAIL_RULES.NO_SOURCE,
  `${CLOUDTRAIL_RULES.NO_SOURCE}: no vpcEndpointId and no sourceIPAddress`,
);

const A = new IpAddress();
const VPCE_ID = /^vpce-[0-9a-f]{8,17}$/;

/**
 * Classifies one CloudTrail record. Pure, total and deterministic.
 *
 * @example
 * classifyCloudTrailRecord({ ...event, vpcEndpointId: 'vpce-0195956f54d54c70a' }, idx).path; // 'gateway-endpoint'
 */
export function classifyCloudTrailRecord(r: CloudTrailRecord, idx: EnvironmentIndex): PathDecision {
  const endpointId = r.vpcEndpointId;
  if (typeof endpointId === 'string' && endpointId !== '') return viaEndpoint(r, endpointId, idx);

  const src = r.sourceIPAddress;
  if (src === null || src === undefined || src === '') return NO_SOURCE;
  if (typeof src !== 'string' || !A.parse(src)) {
    return decision(
      'unknown',
      CLOUDTRAIL_RULES.SERVICE_SOURCE,
      `${CLOUDTRAIL_RULES.SERVICE_SOURCE}: no vpcEndpointId; sourceIPAddress ${quote(String(src))} is not an address (an AWS service acting for the caller)`,
    );
  }
  const facts = idx.addressFacts.get(A);
  const nat = facts?.natPublic;
  if (nat !== undefined) {
    return decision(
      'nat-gateway',
      CLOUDTRAIL_RULES.NAT_GATEWAY_IP,
      `${CLOUDTRAIL_RULES.NAT_GATEWAY_IP}: no vpcEndpointId; sourceIPAddress ${src} is a public address of NAT gateway ${nat.natGatewayId}`,
    );
  }
  const scope = addressScope(A);
  const vpc = facts?.vpc;
  if (scope === 'private' || vpc !== undefined) {
    return decision(
      'unknown',
      CLOUDTRAIL_RULES.PRIVATE_ADDRESS,
      `${CLOUDTRAIL_RULES.PRIVATE_ADDRESS}: no vpcEndpointId but sourceIPAddress ${src} is ${vpc ? `in ${vpc.vpcId}` : 'a private address'}; the event does not show the path`,
    );
  }
  if (scope === 'special') {
    return decision(
      'unknown',
      CLOUDTRAIL_RULES.SPECIAL_ADDRESS,
      `${CLOUDTRAIL_RULES.SPECIAL_ADDRESS}: no vpcEndpointId; sourceIPAddress ${src} is a loopback, link-local, unspecified or multicast address`,
    );
  }
  const egress = facts?.onPremEgress;
  return decision(
    'public',
    CLOUDTRAIL_RULES.PUBLIC_ADDRESS,
    egress !== undefined
      ? `${CLOUDTRAIL_RULES.PUBLIC_ADDRESS}: no vpcEndpointId; sourceIPAddress ${src} is on-prem public egress address ${egress}`
      : `${CLOUDTRAIL_RULES.PUBLIC_ADDRESS}: no vpcEndpointId; sourceIPAddress ${src} is a public address not in the environment`,
  );
}

/** Rule 1: the event names the endpoint the request came through. */
function viaEndpoint(r: CloudTrailRecord, endpointId: string, idx: EnvironmentIndex): PathDecision {
  const gateway = idx.gatewayEndpoints.get(endpointId);
  const iface = gateway === undefined ? idx.interfaceEndpoints.get(endpointId) : undefined;
  const listed: GatewayEndpoint | InterfaceEndpoint | undefined = gateway ?? iface;
  if (listed === undefined && !VPCE_ID.test(endpointId)) {
    // Not the form AWS writes: a damaged or hand-made event proves no endpoint.
    return decision(
      'unknown',
      CLOUDTRAIL_RULES.BAD_ENDPOINT_ID,
      `${CLOUDTRAIL_RULES.BAD_ENDPOINT_ID}: vpcEndpointId ${quote(endpointId, 40)} is not a vpce-… id`,
    );
  }
  const kind = gateway !== undefined ? 'gateway' : 'interface';
  const named = listed === undefined ? '' : `${kind} endpoint ${endpointId} of ${listed.vpcId}`;
  if (listed !== undefined && !isS3ServiceName(listed.serviceName)) {
    return decision(
      'unknown',
      CLOUDTRAIL_RULES.OTHER_SERVICE_ENDPOINT,
      `${CLOUDTRAIL_RULES.OTHER_SERVICE_ENDPOINT}: vpcEndpointId ${endpointId} is the ${named} for ${quote(listed.serviceName, 60)}, not S3; an S3 request does not travel through it`,
    );
  }
  const contradiction = sourceContradiction(r.sourceIPAddress, gateway, idx);
  if (contradiction !== null) {
    return decision(
      'unknown',
      CLOUDTRAIL_RULES.ENDPOINT_CONTRADICTED,
      `${CLOUDTRAIL_RULES.ENDPOINT_CONTRADICTED}: vpcEndpointId ${quote(endpointId, 40)}${listed ? ` is the ${named}` : ''}, but ${contradiction}`,
    );
  }
  if (gateway !== undefined) {
    return decision(
      'gateway-endpoint',
      CLOUDTRAIL_RULES.GATEWAY_ENDPOINT,
      `${CLOUDTRAIL_RULES.GATEWAY_ENDPOINT}: vpcEndpointId ${endpointId} is a gateway endpoint of ${gateway.vpcId}`,
    );
  }
  if (iface !== undefined) {
    return decision(
      'interface-endpoint',
      CLOUDTRAIL_RULES.INTERFACE_ENDPOINT,
      `${CLOUDTRAIL_RULES.INTERFACE_ENDPOINT}: vpcEndpointId ${endpointId} is an interface endpoint of ${iface.vpcId}`,
    );
  }
  const account = r.vpcEndpointAccountId ? ` (endpoint account ${quote(r.vpcEndpointAccountId, 20)})` : '';
  return decision(
    'vpc-endpoint',
    CLOUDTRAIL_RULES.UNKNOWN_ENDPOINT,
    `${CLOUDTRAIL_RULES.UNKNOWN_ENDPOINT}: vpcEndpointId ${quote(endpointId, 40)} is not in the environment${account}; the request came through a VPC endpoint`,
  );
}

/** Why `src` cannot have come through the endpoint (a gateway endpoint when `gateway` is set), or null. */
function sourceContradiction(
  src: string | null | undefined,
  gateway: GatewayEndpoint | undefined,
  idx: EnvironmentIndex,
): string | null {
  if (typeof src !== 'string' || !A.parse(src)) return null;
  const nat = idx.addressFacts.get(A)?.natPublic;
  if (nat !== undefined) {
    return `sourceIPAddress ${src} is a public address of NAT gateway ${nat.natGatewayId}, which S3 sees only over the internet path`;
  }
  if (gateway === undefined) return null;
  const type = gateway.ipAddressType ?? 'ipv4';
  if (A.family === 6 ? type === 'ipv4' : type === 'ipv6') {
    return `sourceIPAddress ${src} is an IPv${A.family} address and the endpoint has IP address type ${type}`;
  }
  const vpc = idx.vpcs.get(gateway.vpcId);
  if (vpc !== undefined && !idx.vpcsForAddress(A).includes(vpc)) {
    return `sourceIPAddress ${src} is not in ${gateway.vpcId}, and a gateway endpoint serves only its own VPC`;
  }
  return null;
}
