/**
 * Static reading of a presigned S3 URL, the way an engineer who knows S3 networking would read it:
 * which endpoint it names, how it is signed and for how long, which network path it should take
 * from a VPC and from on premises given what we know of the environment, and what is wrong with it.
 *
 * Pure and total: any string in, an inspection out; the URL in the result is always redacted and
 * no message quotes a secret. The input is read as a WHATWG URL parser reads it (TAB, LF and CR
 * removed), so a secret name split by a line break is still recognised, and never echoed raw.
 *
 * This file holds the types and the orchestration; each section lives beside it: the signature
 * (inspect-signature.ts), the endpoint (inspect-endpoint.ts), the expected path (inspect-path.ts,
 * judged on the environment index in expected-path.ts) and the findings catalogue (findings.ts),
 * which alone decides each code's severity and text.
 */
import type { PathKind } from '../classify/types.js';
import type { RouteShare } from '../env/s3-routes.js';
import type { Environment } from '../env/types.js';
import { redactDeep } from '../evidence/redact-deep.js';
import { escapeControlChars } from '../text/escape.js';
import type { PathTarget } from './expected-path.js';
import { Findings, findingOf, type UrlFinding, type UrlFindingCode } from './findings.js';
import {
  type AddressingStyle,
  type EndpointKind,
  type Partition,
  parseS3Hostname,
  readBucketAndKey,
  type S3Hostname,
} from './hostname.js';
import {
  bucketRegion,
  type ENDPOINT_DETAIL_KEYS,
  endpointDetails,
  ipLiteral,
  judgeEndpoint,
  judgeScope,
  NO_ENDPOINT,
} from './inspect-endpoint.js';
import { judgeExpectedPath } from './inspect-path.js';
import {
  type Clock,
  NO_SIGNATURE,
  readParams,
  readQuerySignature,
  signedForS3,
} from './inspect-signature.js';
import { readAsUrl, redactUrl } from './redact.js';

export { isAtLeast, type Severity, type UrlFinding, type UrlFindingCode } from './findings.js';
export { MAX_SIGV4_EXPIRY_SECONDS } from './inspect-signature.js';

export type SignatureVersion = 'sigv4' | 'sigv4a' | 'sigv2' | 'none';
export type CredentialKind = 'long-term' | 'temporary';

export interface SignatureReading {
  readonly version: SignatureVersion;
  /** From the access key id prefix: `AKIA` long-term, `ASIA` temporary (STS); null otherwise. */
  readonly credentialKind: CredentialKind | null;
  /** `X-Amz-Date` (SigV4); null for SigV2, which does not carry it. ISO 8601 UTC. */
  readonly signedAt: string | null;
  /** SigV4: `X-Amz-Date` + `X-Amz-Expires`; SigV2: `Expires`. ISO 8601 UTC. */
  readonly expiresAt: string | null;
  /** Seconds from the inspection time to `expiresAt`; negative once expired. */
  readonly expiresInSeconds: number | null;
  /** `X-Amz-Expires` (SigV4 only). */
  readonly lifetimeSeconds: number | null;
  /** Region of the credential scope (SigV4), or the `X-Amz-Region-Set` (SigV4a). */
  readonly signingRegion: string | null;
  /** Service of the credential scope (`s3`, `s3express`, `s3-object-lambda`). */
  readonly signingService: string | null;
  readonly hasSessionToken: boolean;
}

/** The path a request for this URL should take from each vantage; `unknown` without an environment. */
export interface ExpectedPath {
  readonly vpc: PathKind;
  readonly onprem: PathKind;
  /** One line per vantage naming the facts used. */
  readonly reasons: { readonly vpc: string; readonly onprem: string };
  /**
   * From one subnet, when routes decided: how the S3 addresses the name can resolve to split
   * between the routes of its table, each part with its path and route (several parts when a more
   * specific route takes some of them).
   */
  readonly vpcRoutes?: readonly RouteShare[];
}

/** Endpoint details beyond `endpointKind`: these fields of {@link S3Hostname}, documented there. */
export type EndpointDetails = Pick<S3Hostname, (typeof ENDPOINT_DETAIL_KEYS)[number]>;

export interface UrlInspection {
  /** The URL with every secret redacted. */
  readonly url: string;
  readonly scheme: string | null;
  readonly host: string | null;
  readonly bucket: string | null;
  readonly key: string | null;
  /** Region of the bucket as far as the URL tells: the host's, else the credential scope's. */
  readonly region: string | null;
  readonly partition: Partition | null;
  readonly endpointKind: EndpointKind;
  readonly addressingStyle: AddressingStyle | null;
  readonly endpoint: EndpointDetails;
  readonly signature: SignatureReading;
  readonly expectedPath: ExpectedPath;
  /** Most severe first. */
  readonly findings: readonly UrlFinding[];
}

export interface InspectOptions {
  /** The time expiry is judged against. */
  readonly now: Date;
  /**
   * What is known of the network; without it every expected path is `unknown`. Treated as immutable:
   * the facts inspection derives from it are cached per object.
   */
  readonly env?: Environment;
  /** Expiry (lifetime for SigV4, remaining time for SigV2) above which `LONG_EXPIRY` is raised. @default 3600 */
  readonly longExpirySeconds?: number;
  /** Judge the VPC vantage from this subnet only; by default from every subnet of the environment. */
  readonly subnetId?: string;
}

/** `LONG_EXPIRY` threshold when none is given: one hour. */
export const DEFAULT_LONG_EXPIRY_SECONDS = 3600;

/**
 * Inspects one presigned URL. Never throws: a string that is not a URL comes back as `not-s3`
 * with an `INVALID_URL` finding.
 *
 * @example
 * const r = inspectUrl('https://my-bucket.s3.amazonaws.com/k?X-Amz-…', { now: new Date(), env });
 * r.endpointKind; // 'global'
 * r.findings.map((f) => f.code); // ['LEGACY_GLOBAL_ENDPOINT', …]
 */
export function inspectUrl(url: string, opts: InspectOptions): UrlInspection {
  // What a URL parser (and so S3) reads: TAB, LF and CR removed, C0 and spaces trimmed.
  const input = typeof url === 'string' ? readAsUrl(url) : '';
  let r: UrlInspection;
  try {
    r = inspect(input, opts);
  } catch {
    // Defensive only: every step above is written not to throw; a bug must still not break a caller.
    r = invalidInspection(input, 'INVALID_URL', 'the URL could not be inspected');
  }
  // Every string of the reading derives from the input (host, bucket, key, messages): a secret
  // may sit in any of them, not only in the query, so all of them go through redaction.
  return redactDeep(r);
}

function inspect(input: string, opts: InspectOptions): UrlInspection {
  const target = parseTarget(input);
  if (!target.ok) return target.inspection;
  const findings = new Findings();
  const signature = readQuerySignature(readParams(target.url.searchParams), clockOf(opts), findings);
  return readTarget(input, target.url, signature, opts, findings);
}

/** Longest echo of an input that is not a URL: enough to recognise it, not to carry a payload. */
const MAX_INVALID_ECHO = 200;

/** The reading of an input that is not an http(s) URL: `not-s3`, with one finding saying why. */
export function invalidInspection(input: string, code: UrlFindingCode, detail?: string): UrlInspection {
  const echo = escapeControlChars(redactUrl(input));
  const finding: UrlFinding = findingOf(code, detail);
  return {
    url: echo.length > MAX_INVALID_ECHO ? `${echo.slice(0, MAX_INVALID_ECHO - 1)}…` : echo,
    scheme: null,
    host: null,
    bucket: null,
    key: null,
    region: null,
    partition: null,
    endpointKind: 'not-s3',
    addressingStyle: null,
    endpoint: NO_ENDPOINT,
    signature: NO_SIGNATURE,
    expectedPath: {
      vpc: 'not-s3',
      onprem: 'not-s3',
      reasons: { vpc: finding.message, onprem: finding.message },
    },
    findings: [finding],
  };
}

/** An http(s) URL, or the reading that says why the input is not one. */
export function parseTarget(
  input: string,
): { ok: true; url: URL; scheme: string } | { ok: false; inspection: UrlInspection } {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return { ok: false, inspection: invalidInspection(input, 'INVALID_URL') };
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (scheme !== 'https' && scheme !== 'http') {
    return {
      ok: false,
      inspection: { ...invalidInspection(input, 'UNSUPPORTED_SCHEME', `scheme ${scheme}`), scheme },
    };
  }
  return { ok: true, url, scheme };
}

/** The time and threshold expiry is judged with: an invalid `now` judges no expiry. */
export function clockOf(opts: InspectOptions): Clock {
  const now = opts.now instanceof Date && !Number.isNaN(opts.now.getTime()) ? opts.now : null;
  const n = opts.longExpirySeconds;
  const valid = typeof n === 'number' && Number.isFinite(n) && n >= 0;
  return { now, longExpirySeconds: valid ? n : DEFAULT_LONG_EXPIRY_SECONDS };
}

/**
 * Everything after the signature: the endpoint the URL names, whether the signature's scope fits
 * it, and the expected path from each vantage. `input` is the URL as read (redacted for output).
 */
export function readTarget(
  input: string,
  url: URL,
  signature: SignatureReading,
  opts: InspectOptions,
  findings: Findings,
): UrlInspection {
  const scheme = url.protocol.replace(/:$/, '');
  const h = parseS3Hostname(url.hostname);
  const isCustom = h.endpointKind === 'not-s3' && signedForS3(signature);
  const endpointKind: EndpointKind = isCustom ? 'custom' : h.endpointKind;
  const place = readBucketAndKey(h, url.pathname, isCustom);
  const region = bucketRegion(h, signature, endpointKind);

  judgeEndpoint(
    { h, kind: endpointKind, scheme, bucket: place.bucket, style: place.addressingStyle },
    findings,
  );
  judgeScope(h, signature, findings);
  if (scheme === 'http') findings.add('INSECURE_HTTP');

  const subject: PathTarget = { h, endpointKind, region, hostIp: ipLiteral(url.hostname) };
  const expectedPath = judgeExpectedPath(subject, opts, findings);

  return {
    url: redactUrl(input),
    scheme,
    host: url.host,
    bucket: place.bucket,
    key: place.key,
    region,
    partition: endpointKind === 'custom' ? null : h.partition,
    endpointKind,
    addressingStyle: place.addressingStyle,
    endpoint: endpointDetails(h, endpointKind),
    signature,
    expectedPath,
    findings: findings.sorted(),
  };
}
