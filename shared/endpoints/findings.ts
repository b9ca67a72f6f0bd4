/**
 * The catalogue of inspection findings: every code inspect-url can report, with its one severity
 * and its one text. Call sites name the code and, where the finding is about this URL's values,
 * the facts of this instance (`detail`: a Region, a lifetime, a route); they never choose a
 * severity or write the explanation, so one code cannot mean two things in two places.
 *
 * Severities: `high` the request leaves (or can leave) the endpoint path, or is not a URL at all;
 * `medium` S3 rejects the request, or it depends on a network fact that is often missing;
 * `low` works today but fragile; `info` worth knowing, no action needed.
 */

export type Severity = 'high' | 'medium' | 'low' | 'info';

/** One catalogue entry: the severity of the code and the sentence that explains it. */
export interface FindingSpec {
  readonly severity: Severity;
  /** Why it matters, in one line, naming the facts; never holds input. */
  readonly text: string;
}

/**
 * Every finding code, its severity and text. Texts cite the facts they rest on (aws-facts §N in
 * the comments); the catalogue test holds this list equal to the codes the inspector can emit.
 */
export const FINDINGS = {
  // --- What was given ------------------------------------------------------------------------
  INVALID_URL: { severity: 'high', text: 'not a URL: there is nothing S3 could receive' },
  UNSUPPORTED_SCHEME: { severity: 'high', text: 'the scheme is not http or https: not an S3 request' },
  NOT_S3: {
    severity: 'medium',
    text: 'not an Amazon S3 name and not signed for S3: no S3 path to judge',
  },
  CUSTOM_ENDPOINT: {
    severity: 'info',
    text: 'not an Amazon S3 name (custom or S3-compatible endpoint): its path depends on what the name resolves to',
  },
  INSECURE_HTTP: {
    severity: 'high',
    text: 'plain HTTP: the signed URL and the object cross the network unencrypted and can be read or replayed on the way',
  },

  // --- Endpoint (aws-facts §4, §5.3, §6) --------------------------------------------------------
  LEGACY_GLOBAL_ENDPOINT: {
    // aws-facts §4 H3, §7 item 8: routed to us-east-1 by default, not served by PrivateLink.
    severity: 'high',
    text: 'legacy global endpoint (s3.amazonaws.com): routed by bucket Region with us-east-1 as default, not served by S3 interface endpoints (PrivateLink), and from a VPC in another Region it misses the gateway endpoint; presign with a regional endpoint',
  },
  LEGACY_DASH_REGION_ENDPOINT: {
    severity: 'medium',
    text: 'legacy name (s3-<region> or s3-external-1): not covered by interface-endpoint private DNS; use s3.<region>.amazonaws.com',
  },
  PUBLIC_ONLY_ENDPOINT: {
    // aws-facts §4 H8 (CloudFront edges), website endpoints: never a VPC endpoint.
    severity: 'high',
    text: 'an endpoint no VPC endpoint serves: the request always leaves the endpoint path',
  },
  MRAP_NEEDS_GLOBAL_INTERFACE_ENDPOINT: {
    // aws-facts §4 H10, §5.3: "Other endpoint types cannot access Multi-Region Access Points".
    // Medium, whatever the environment: it states a requirement that may be met. Where the
    // environment shows it is not met, the path findings (VPC_NOT_PRIVATE, ONPREM_NOT_PRIVATE,
    // high) carry the consequence, so the severity of leaving is reported once, by them.
    severity: 'medium',
    text: 'Multi-Region Access Point: private only through an interface endpoint for com.amazonaws.s3-global.accesspoint with private DNS; regional gateway and interface endpoints do not carry it',
  },
  PATH_STYLE_URL: {
    severity: 'low',
    text: 'path-style request (bucket in the path): AWS plans to retire path style; SDKs fall back to it for bucket names with dots or upper case',
  },
  DOTTED_BUCKET_VIRTUAL_HOST: {
    severity: 'low',
    text: 'bucket name with dots in the host over HTTPS: the S3 wildcard certificate does not match it; clients fail or skip verification',
  },
  DUALSTACK_ENDPOINT: {
    // aws-facts §7 item 17: gateway-endpoint IPv6 depends on the Region and the route tables.
    severity: 'info',
    text: 'dual-stack name: clients may connect over IPv6, which reaches a gateway endpoint only where the S3 prefix list and the route tables carry IPv6',
  },
  FIPS_ENDPOINT: {
    severity: 'info',
    text: 'FIPS name: not covered by S3 interface-endpoint private DNS (PrivateLink for S3 listed FIPS endpoints as unsupported)',
  },
  CONTROL_PLANE_ENDPOINT: {
    severity: 'info',
    text: 'control-plane endpoint: object downloads do not go through it',
  },

  // --- Signature (aws-facts §6.1, §6.2) ---------------------------------------------------------
  NOT_PRESIGNED: {
    severity: 'info',
    text: 'no query authentication: not a presigned URL (it works only for public objects)',
  },
  SIGV2: {
    // aws-facts §6.2: botocore presigns with SigV2 by default in older Regions.
    severity: 'medium',
    text: 'SigV2 authentication (botocore presigns this way by default in older Regions): deprecated by AWS; presign with SigV4 (s3v4)',
  },
  MALFORMED_SIGNATURE: { severity: 'medium', text: 'S3 will reject it' },
  DUPLICATE_AUTH_PARAMETER: {
    severity: 'medium',
    text: 'authentication parameter repeated: S3 rejects the request or reads a value other than the one inspected',
  },
  EXPIRY_OVER_SIGV4_MAXIMUM: {
    // aws-facts §6.1: MAX_PRESIGNED_TTL, 604800 s.
    severity: 'medium',
    text: 'over the SigV4 maximum of 604800 s (7 days): S3 rejects the URL',
  },
  LONG_EXPIRY: { severity: 'medium', text: 'a leaked URL stays usable that long' },
  EXPIRED: { severity: 'medium', text: 'expired: S3 answers 403 AccessDenied' },
  SIGNED_IN_FUTURE: {
    severity: 'low',
    text: "signed over 15 minutes after the inspection time: the signer's clock is ahead; S3 rejects it until then",
  },
  CREDENTIAL_REGION_MISMATCH: {
    severity: 'medium',
    text: 'the credential scope names another Region than the host: S3 rejects it (AuthorizationHeaderMalformed)',
  },
  CREDENTIAL_DATE_MISMATCH: {
    severity: 'medium',
    text: 'the credential scope date differs from the X-Amz-Date day: S3 rejects the signature',
  },
  SESSION_TOKEN_MISMATCH: {
    severity: 'medium',
    text: 'a temporary (ASIA) key needs a session token and a long-term (AKIA) key takes none: S3 rejects it',
  },
  TEMPORARY_CREDENTIALS: {
    // aws-facts §6.1, §7 item 12: the URL dies with the session.
    severity: 'info',
    text: 'signed with temporary credentials: it stops working when the session ends, which may be before its expiry',
  },

  // --- Expected path (aws-facts §4, §5.2, §7) ---------------------------------------------------
  INTERFACE_ENDPOINT_NOT_IN_ENVIRONMENT: {
    severity: 'medium',
    text: 'not an interface endpoint of the environment: its private addresses may be unreachable from here',
  },
  CROSS_REGION_FOR_GATEWAY_ENDPOINT: {
    // aws-facts §5.2: a gateway endpoint serves only its own Region.
    severity: 'high',
    text: "the bucket Region differs from the environment's: a gateway endpoint only carries traffic to its own Region, so VPC traffic leaves through NAT or an internet gateway",
  },
  VPC_NOT_PRIVATE: { severity: 'high', text: 'from the VPC the request leaves the endpoint path' },
  ONPREM_NOT_PRIVATE: {
    // aws-facts §7 items 4 to 6: only interface-endpoint addresses are private from on premises.
    severity: 'high',
    text: 'from on premises the name resolves to public addresses, off the endpoint path',
  },
} as const satisfies Record<string, FindingSpec>;

/** Every finding code inspect-url can report. */
export type UrlFindingCode = keyof typeof FINDINGS;

export interface UrlFinding {
  readonly code: UrlFindingCode;
  readonly severity: Severity;
  /** One line; never contains a secret. */
  readonly message: string;
}

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { high: 3, medium: 2, low: 1, info: 0 };

/** True when `s` is `threshold` or more severe. */
export function isAtLeast(s: Severity, threshold: Severity): boolean {
  return SEVERITY_RANK[s] >= SEVERITY_RANK[threshold];
}

/**
 * The finding for `code`: the catalogue's severity, and its text followed by the facts of this
 * instance when there are any.
 *
 * @example
 * findingOf('LONG_EXPIRY', 'valid for 2 h (7200 s), more than 1 h').message;
 * // 'a leaked URL stays usable that long: valid for 2 h (7200 s), more than 1 h'
 */
export function findingOf(code: UrlFindingCode, detail?: string): UrlFinding {
  const spec: FindingSpec = FINDINGS[code];
  return { code, severity: spec.severity, message: detail ? `${spec.text}: ${detail}` : spec.text };
}

/** The findings of one inspection, in the order found; {@link sorted} puts the most severe first. */
export class Findings {
  readonly list: UrlFinding[] = [];

  add(code: UrlFindingCode, detail?: string): void {
    this.list.push(findingOf(code, detail));
  }

  /** Most severe first; equal severities keep the order they were found in. */
  sorted(): UrlFinding[] {
    return this.list
      .map((f, i) => ({ f, i }))
      .sort((a, b) => SEVERITY_RANK[b.f.severity] - SEVERITY_RANK[a.f.severity] || a.i - b.i)
      .map((x) => x.f);
  }
}
