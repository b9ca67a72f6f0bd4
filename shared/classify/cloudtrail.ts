/**
 * Path of one CloudTrail S3 data or network-activity event (design §4; aws-facts §3, §5.5). The
 * numbered rules, first match wins:
 *
 * 1. `vpcEndpointId` is a known gateway endpoint → `gateway-endpoint`; a known interface endpoint
 *    → `interface-endpoint`; present but not in the environment → `vpc-endpoint` (CloudTrail sets
 *    it only for requests that came through an endpoint).
 * 2. No `vpcEndpointId`: `sourceIPAddress` a NAT gateway public address → `nat-gateway`; not an
 *    address (an AWS service name such as `s3.amazonaws.com`) → `unknown`; a private address (a
 *    VPC block, RFC 1918, 100.64.0.0/10, fc00::/7) → `unknown`; any other address → `public`.
 *
 * Also `unknown`: a `vpcEndpointId` that is not a `vpce-<hex>` id, no `sourceIPAddress` at all,
 * and loopback, link-local, unspecified or multicast addresses.
 */
import type { CloudTrailRecord } from '../cloudtrail/types.js';
import type { EnvironmentIndex } from '../env/environment-index.js';
import { addressScope, IpAddress } from '../net/ip.js';
import { constantDecision, decision, quote } from './decision.js';
import type { PathDecision } from './types.js';

/** Stable ids of the CloudTrail rules, as they appear in `PathDecision.rule`. */
export const CLOUDTRAIL_RULES = {
  GATEWAY_ENDPOINT: 'CLOUDTRAIL_GATEWAY_ENDPOINT',
  INTERFACE_ENDPOINT: 'CLOUDTRAIL_INTERFACE_ENDPOINT',
  UNKNOWN_ENDPOINT: 'CLOUDTRAIL_UNKNOWN_ENDPOINT',
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
  if (typeof endpointId === 'string' && endpointId !== '') {
    const gateway = idx.gatewayEndpoints.get(endpointId);
    if (gateway !== undefined) {
      return decision(
        'gateway-endpoint',
        CLOUDTRAIL_RULES.GATEWAY_ENDPOINT,
        `${CLOUDTRAIL_RULES.GATEWAY_ENDPOINT}: vpcEndpointId ${endpointId} is a gateway endpoint of ${gateway.vpcId}`,
      );
    }
    const iface = idx.interfaceEndpoints.get(endpointId);
    if (iface !== undefined) {
      return decision(
        'interface-endpoint',
        CLOUDTRAIL_RULES.INTERFACE_ENDPOINT,
        `${CLOUDTRAIL_RULES.INTERFACE_ENDPOINT}: vpcEndpointId ${endpointId} is an interface endpoint of ${iface.vpcId}`,
      );
    }
    if (!VPCE_ID.test(endpointId)) {
      // Not the form AWS writes: a damaged or hand-made event proves no endpoint.
      return decision(
        'unknown',
        CLOUDTRAIL_RULES.BAD_ENDPOINT_ID,
        `${CLOUDTRAIL_RULES.BAD_ENDPOINT_ID}: vpcEndpointId ${quote(endpointId, 40)} is not a vpce-… id`,
      );
    }
    const account = r.vpcEndpointAccountId ? ` (endpoint account ${quote(r.vpcEndpointAccountId, 20)})` : '';
    return decision(
      'vpc-endpoint',
      CLOUDTRAIL_RULES.UNKNOWN_ENDPOINT,
      `${CLOUDTRAIL_RULES.UNKNOWN_ENDPOINT}: vpcEndpointId ${quote(endpointId, 40)} is not in the environment${account}; the request came through a VPC endpoint`,
    );
  }

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
