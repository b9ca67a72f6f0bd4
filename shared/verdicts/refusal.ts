/**
 * Why S3 refused a probe with 403, and whether the refusal says anything about the path
 * (aws-facts §10.1). A catalogue: each cause has one entry with its stable code, whether it is a
 * network-conditioned control (and so makes the probe `blocked`), and its text.
 *
 * Only three refusals are network-conditioned:
 * - the error message names an explicit deny in a resource-based policy (a bucket or access point
 *   policy, where `aws:SourceVpce` / `aws:SourceIp` conditions live);
 * - the error message names an explicit deny in a VPC endpoint policy;
 * - CloudTrail logs the request with `errorCode` `VpceAccessDenied` (a network activity event for
 *   a VPC endpoint, aws-facts §3, §10.1).
 * Every other 403 (the URL expired, the signature does not match, an identity-based, organization
 * or session policy refused, or a bare "Access Denied" that names no policy) is a probe failure:
 * it says nothing about the path, which the evidence decides like for any request.
 */
import type { CloudTrailRecord } from '../cloudtrail/types.js';
import type { EvidenceItem } from '../evidence/types.js';
import type { Observation } from '../probes/types.js';

export type RefusalCode =
  | 'RESOURCE_POLICY_DENY'
  | 'VPCE_POLICY_DENY'
  | 'VPCE_ACCESS_DENIED'
  | 'URL_EXPIRED'
  | 'SIGNATURE_MISMATCH'
  | 'IDENTITY_POLICY'
  | 'ORGANIZATION_POLICY'
  | 'SESSION_POLICY'
  | 'ACCESS_DENIED_UNATTRIBUTED';

export interface Refusal {
  code: RefusalCode;
  /** True for a network-conditioned control: the probe is `blocked`. */
  blocks: boolean;
  /** One line: what refused, from which fact. */
  cause: string;
}

const CATALOGUE: Readonly<Record<RefusalCode, { blocks: boolean; text: string }>> = {
  RESOURCE_POLICY_DENY: { blocks: true, text: 'an explicit deny in a resource-based policy refused it' },
  VPCE_POLICY_DENY: { blocks: true, text: 'an explicit deny in a VPC endpoint policy refused it' },
  VPCE_ACCESS_DENIED: {
    blocks: true,
    text: 'CloudTrail logged it as VpceAccessDenied (a VPC endpoint policy refused it)',
  },
  URL_EXPIRED: { blocks: false, text: 'the presigned URL had expired' },
  SIGNATURE_MISMATCH: { blocks: false, text: 'the signature did not match' },
  IDENTITY_POLICY: { blocks: false, text: "the signer's identity-based policy refused it" },
  ORGANIZATION_POLICY: { blocks: false, text: 'an organization policy (SCP or RCP) refused it' },
  SESSION_POLICY: { blocks: false, text: 'a session policy or permissions boundary refused it' },
  ACCESS_DENIED_UNATTRIBUTED: {
    blocks: false,
    text: 'S3 named no policy, so the refusal cannot be tied to a network control',
  },
};

// Wording of S3's access-denied context (aws-facts §10.1), first match wins. Explicit denies in
// resource-based and VPC endpoint policies come first: a message names one policy type.
const MESSAGE_RULES: readonly { code: RefusalCode; test: RegExp }[] = [
  { code: 'VPCE_POLICY_DENY', test: /explicit deny in a VPC endpoint policy/i },
  { code: 'RESOURCE_POLICY_DENY', test: /explicit deny in a resource-based policy/i },
  { code: 'URL_EXPIRED', test: /request has expired/i },
  { code: 'ORGANIZATION_POLICY', test: /(service|resource) control policy/i },
  { code: 'SESSION_POLICY', test: /session policy|permissions boundary/i },
  { code: 'IDENTITY_POLICY', test: /identity-based policy/i },
];

function refusal(code: RefusalCode, detail = ''): Refusal {
  const c = CATALOGUE[code];
  return { code, blocks: c.blocks, cause: `${code}: ${c.text}${detail}` };
}

/** True for a CloudTrail record of a request a VPC endpoint policy refused. */
export function isVpceDenial(r: CloudTrailRecord): boolean {
  return r.errorCode === 'VpceAccessDenied';
}

/**
 * The refusal behind a probe, from its runner's 403 and the CloudTrail records matched to it; null
 * when nothing was refused. A `VpceAccessDenied` record decides even without a runner report.
 *
 * @example
 * refusalOf(obs, evidence); // { code: 'URL_EXPIRED', blocks: false, cause: 'URL_EXPIRED: the presigned URL had expired ("Request has expired")' }
 */
export function refusalOf(obs: Observation | null, evidence: readonly EvidenceItem[] = []): Refusal | null {
  if (evidence.some((e) => e.source === 'cloudtrail' && isVpceDenial(e.record as CloudTrailRecord))) {
    return refusal('VPCE_ACCESS_DENIED');
  }
  if (!obs) return null;
  if (obs.httpStatus !== 403) return null;
  const message = typeof obs.s3ErrorMessage === 'string' ? obs.s3ErrorMessage : '';
  const said = `${obs.s3ErrorCode ?? 'no error code'}${message ? ` "${message.slice(0, 200)}"` : ', no message'}`;
  const detail = ` (S3 answered 403 ${said})`;
  if (obs.s3ErrorCode === 'SignatureDoesNotMatch') return refusal('SIGNATURE_MISMATCH', detail);
  // Only AccessDenied carries the policy context; another code never names a policy.
  if (obs.s3ErrorCode === 'AccessDenied') {
    for (const rule of MESSAGE_RULES) if (rule.test.test(message)) return refusal(rule.code, detail);
  }
  return refusal('ACCESS_DENIED_UNATTRIBUTED', detail);
}
