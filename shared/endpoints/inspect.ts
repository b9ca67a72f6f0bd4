/**
 * Static reading of a presigned S3 URL, the way an engineer who knows S3 networking would read it:
 * which endpoint it names, how it is signed and for how long, which network path it should take
 * from a VPC and from on premises given what we know of the environment, and what is wrong with it.
 *
 * Pure and total: any string in, an inspection out; the URL in the result is always redacted and
 * no message quotes a secret. The input is read as a WHATWG URL parser reads it (TAB, LF and CR
 * removed), so a secret name split by a line break is still recognised, and never echoed raw.
 */
import type { PathKind } from '../classify/types.js';
import { type EnvironmentIndex, environmentIndexOf } from '../env/environment-index.js';
import { isLeftPath, type RouteShare } from '../env/s3-routes.js';
import type { Environment } from '../env/types.js';
import { redactDeep } from '../evidence/redact-deep.js';
import { escapeControlChars } from '../text/escape.js';
import { GATEWAY_ELIGIBLE, judgeOnPremPath, judgeVpcPath, type PathTarget } from './expected-path.js';
import {
  type AddressingStyle,
  type EndpointKind,
  type Partition,
  parseS3Hostname,
  readBucketAndKey,
  type S3Hostname,
  type S3Service,
} from './hostname.js';
import { readAsUrl, redactUrl } from './redact.js';

export type Severity = 'high' | 'medium' | 'low' | 'info';

/** Every finding code inspect-url can report. */
export type UrlFindingCode =
  | 'INVALID_URL'
  | 'UNSUPPORTED_SCHEME'
  | 'NOT_S3'
  | 'CUSTOM_ENDPOINT'
  | 'INSECURE_HTTP'
  | 'LEGACY_GLOBAL_ENDPOINT'
  | 'LEGACY_DASH_REGION_ENDPOINT'
  | 'PUBLIC_ONLY_ENDPOINT'
  | 'MRAP_NEEDS_GLOBAL_INTERFACE_ENDPOINT'
  | 'PATH_STYLE_URL'
  | 'DOTTED_BUCKET_VIRTUAL_HOST'
  | 'DUALSTACK_ENDPOINT'
  | 'FIPS_ENDPOINT'
  | 'CONTROL_PLANE_ENDPOINT'
  | 'NOT_PRESIGNED'
  | 'SIGV2'
  | 'MALFORMED_SIGNATURE'
  | 'DUPLICATE_AUTH_PARAMETER'
  | 'EXPIRY_OVER_SIGV4_MAXIMUM'
  | 'LONG_EXPIRY'
  | 'EXPIRED'
  | 'SIGNED_IN_FUTURE'
  | 'CREDENTIAL_REGION_MISMATCH'
  | 'CREDENTIAL_DATE_MISMATCH'
  | 'SESSION_TOKEN_MISMATCH'
  | 'TEMPORARY_CREDENTIALS'
  | 'INTERFACE_ENDPOINT_NOT_IN_ENVIRONMENT'
  | 'CROSS_REGION_FOR_GATEWAY_ENDPOINT'
  | 'VPC_NOT_PRIVATE'
  | 'ONPREM_NOT_PRIVATE';

export interface UrlFinding {
  readonly code: UrlFindingCode;
  readonly severity: Severity;
  /** One line; never contains a secret. */
  readonly message: string;
}

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

/** Endpoint details beyond `endpointKind` (see {@link S3Hostname}). */
export interface EndpointDetails {
  readonly service: S3Service | null;
  readonly dualstack: boolean;
  readonly fips: boolean;
  readonly legacyGlobal: boolean;
  readonly legacyDashRegion: boolean;
  readonly s3External1: boolean;
  readonly vpceId: string | null;
  readonly accessPoint: { readonly name: string; readonly accountId: string } | null;
  readonly accessPointAlias: boolean;
  readonly mrapAlias: string | null;
  readonly availabilityZoneId: string | null;
}

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
/** "Signature version 4 presigned URLs must have an expiration date less than one week in the future" (@smithy/signature-v4). */
export const MAX_SIGV4_EXPIRY_SECONDS = 604800;
/** S3 accepts requests signed up to 15 minutes ahead of its clock. */
const CLOCK_SKEW_SECONDS = 900;

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { high: 3, medium: 2, low: 1, info: 0 };

/** True when `s` is `threshold` or more severe. */
export function isAtLeast(s: Severity, threshold: Severity): boolean {
  return SEVERITY_RANK[s] >= SEVERITY_RANK[threshold];
}

const NO_SIGNATURE: SignatureReading = {
  version: 'none',
  credentialKind: null,
  signedAt: null,
  expiresAt: null,
  expiresInSeconds: null,
  lifetimeSeconds: null,
  signingRegion: null,
  signingService: null,
  hasSessionToken: false,
};

const NO_ENDPOINT: EndpointDetails = {
  service: null,
  dualstack: false,
  fips: false,
  legacyGlobal: false,
  legacyDashRegion: false,
  s3External1: false,
  vpceId: null,
  accessPoint: null,
  accessPointAlias: false,
  mrapAlias: null,
  availabilityZoneId: null,
};

const NO_ENV_PATH: ExpectedPath = {
  vpc: 'unknown',
  onprem: 'unknown',
  reasons: { vpc: 'no environment given', onprem: 'no environment given' },
};

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
    r = invalid(input, 'INVALID_URL', 'the URL could not be inspected');
  }
  // Every string of the reading derives from the input (host, bucket, key, messages): a secret
  // may sit in any of them, not only in the query, so all of them go through redaction.
  return redactDeep(r);
}

/** Longest echo of an input that is not a URL: enough to recognise it, not to carry a payload. */
const MAX_INVALID_ECHO = 200;

function invalid(input: string, code: UrlFindingCode, message: string): UrlInspection {
  const echo = escapeControlChars(redactUrl(input));
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
    expectedPath: { vpc: 'not-s3', onprem: 'not-s3', reasons: { vpc: message, onprem: message } },
    findings: [{ code, severity: 'high', message }],
  };
}

class Findings {
  readonly list: UrlFinding[] = [];
  add(code: UrlFindingCode, severity: Severity, message: string): void {
    this.list.push({ code, severity, message });
  }
  sorted(): UrlFinding[] {
    return this.list
      .map((f, i) => ({ f, i }))
      .sort((a, b) => SEVERITY_RANK[b.f.severity] - SEVERITY_RANK[a.f.severity] || a.i - b.i)
      .map((x) => x.f);
  }
}

function inspect(input: string, opts: InspectOptions): UrlInspection {
  let parsed: URL;
  try {
    parsed = new URL(input);
  } catch {
    return invalid(input, 'INVALID_URL', 'not a URL');
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  if (scheme !== 'https' && scheme !== 'http') {
    return { ...invalid(input, 'UNSUPPORTED_SCHEME', `scheme ${scheme} is not http or https`), scheme };
  }
  const findings = new Findings();
  const params = readParams(parsed.searchParams);
  const now = opts.now instanceof Date && !Number.isNaN(opts.now.getTime()) ? opts.now : null;
  const longExpiry = validThreshold(opts.longExpirySeconds) ?? DEFAULT_LONG_EXPIRY_SECONDS;
  const signature = readSignature(params, now, longExpiry, findings);

  const h = parseS3Hostname(parsed.hostname);
  const isCustom = h.endpointKind === 'not-s3' && signedForS3(signature);
  const endpointKind: EndpointKind = isCustom ? 'custom' : h.endpointKind;
  const place = readBucketAndKey(h, parsed.pathname, isCustom);
  const region = bucketRegion(h, signature, endpointKind);

  readEndpoint(h, endpointKind, scheme, place.bucket, place.addressingStyle, findings);
  checkScope(h, signature, findings);
  if (scheme === 'http') {
    findings.add(
      'INSECURE_HTTP',
      'high',
      'plain HTTP: the signed URL and the object cross the network unencrypted and can be read or replayed on the way',
    );
  }

  const subject: PathTarget = { h, endpointKind, region, hostIp: ipLiteral(parsed.hostname) };
  const expectedPath = judgeExpectedPath(subject, opts, findings);

  return {
    url: redactUrl(input),
    scheme,
    host: parsed.host,
    bucket: place.bucket,
    key: place.key,
    region,
    partition: endpointKind === 'custom' ? null : h.partition,
    endpointKind,
    addressingStyle: place.addressingStyle,
    endpoint:
      endpointKind === 'not-s3' || endpointKind === 'custom'
        ? NO_ENDPOINT
        : {
            service: h.service,
            dualstack: h.dualstack,
            fips: h.fips,
            legacyGlobal: h.legacyGlobal,
            legacyDashRegion: h.legacyDashRegion,
            s3External1: h.s3External1,
            vpceId: h.vpceId,
            accessPoint: h.accessPoint,
            accessPointAlias: h.accessPointAlias,
            mrapAlias: h.mrapAlias,
            availabilityZoneId: h.availabilityZoneId,
          },
    signature,
    expectedPath,
    findings: findings.sorted(),
  };
}

function validThreshold(n: number | undefined): number | null {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : null;
}

// ---------------------------------------------------------------------------------------------
// Query parameters and signature

/** Query parameters by lower-case name; S3 reads them case-sensitively, we read leniently. */
type Params = ReadonlyMap<string, readonly string[]>;

function readParams(q: URLSearchParams): Params {
  const m = new Map<string, string[]>();
  for (const [k, v] of q) {
    const name = k.toLowerCase();
    const list = m.get(name);
    if (list) list.push(v);
    else m.set(name, [v]);
  }
  return m;
}

const first = (p: Params, name: string): string | undefined => p.get(name)?.[0];

const SIGV4_PARAMS = [
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-signedheaders',
  'x-amz-signature',
  'x-amz-security-token',
  'x-amz-region-set',
];
const SIGV2_PARAMS = ['awsaccesskeyid', 'signature', 'expires'];

function readSignature(p: Params, now: Date | null, longExpiry: number, f: Findings): SignatureReading {
  const hasV4 = p.has('x-amz-algorithm') || p.has('x-amz-credential') || p.has('x-amz-signature');
  const hasV2 = p.has('awsaccesskeyid') || p.has('signature');
  if (!hasV4 && !hasV2) {
    f.add(
      'NOT_PRESIGNED',
      'info',
      'no query authentication: not a presigned URL (it works only for public objects)',
    );
    return NO_SIGNATURE;
  }
  const duplicated = [...SIGV4_PARAMS, ...SIGV2_PARAMS].filter((n) => (p.get(n)?.length ?? 0) > 1);
  if (duplicated.length > 0) {
    f.add(
      'DUPLICATE_AUTH_PARAMETER',
      'medium',
      `authentication parameter(s) repeated (${duplicated.join(', ')}): S3 rejects the request or reads a value other than the one inspected`,
    );
  }
  if (hasV4 && hasV2) {
    f.add('MALFORMED_SIGNATURE', 'medium', 'carries both SigV2 and SigV4 parameters; read as SigV4');
  }
  return hasV4 ? readSigV4(p, now, longExpiry, f) : readSigV2(p, now, longExpiry, f);
}

function credentialKindOf(accessKeyId: string | undefined): CredentialKind | null {
  if (accessKeyId === undefined) return null;
  const prefix = accessKeyId.slice(0, 4).toUpperCase();
  return prefix === 'AKIA' ? 'long-term' : prefix === 'ASIA' ? 'temporary' : null;
}

function readSigV4(p: Params, now: Date | null, longExpiry: number, f: Findings): SignatureReading {
  const problems: string[] = [];
  const algorithm = first(p, 'x-amz-algorithm');
  let version: SignatureVersion = 'sigv4';
  if (algorithm === 'AWS4-ECDSA-P256-SHA256') version = 'sigv4a';
  else if (algorithm === undefined) problems.push('X-Amz-Algorithm missing');
  else if (algorithm !== 'AWS4-HMAC-SHA256')
    problems.push('X-Amz-Algorithm is not AWS4-HMAC-SHA256 or AWS4-ECDSA-P256-SHA256');

  // SigV4: key/date/region/service/aws4_request; SigV4a drops the Region (it is in X-Amz-Region-Set).
  const credential = first(p, 'x-amz-credential');
  const parts = credential?.split('/') ?? [];
  let accessKeyId: string | undefined;
  let scopeDate: string | undefined;
  let scopeRegion: string | null = null;
  let service: string | null = null;
  if (credential === undefined) problems.push('X-Amz-Credential missing');
  else if (parts.length === 5 && parts[4] === 'aws4_request') {
    [accessKeyId, scopeDate, scopeRegion, service] = [parts[0], parts[1], parts[2]!, parts[3]!];
  } else if (parts.length === 4 && parts[3] === 'aws4_request') {
    [accessKeyId, scopeDate, service] = [parts[0], parts[1], parts[2]!];
  } else {
    accessKeyId = parts[0];
    problems.push('X-Amz-Credential is not <key>/<date>/<region>/<service>/aws4_request');
  }
  if (version === 'sigv4a') scopeRegion = first(p, 'x-amz-region-set') ?? scopeRegion;

  const signedAt = parseAmzDate(first(p, 'x-amz-date'));
  if (signedAt === null)
    problems.push(p.has('x-amz-date') ? 'X-Amz-Date is not YYYYMMDDTHHMMSSZ' : 'X-Amz-Date missing');
  const expiresRaw = first(p, 'x-amz-expires');
  const lifetime = expiresRaw !== undefined && /^\d{1,12}$/.test(expiresRaw) ? Number(expiresRaw) : null;
  if (lifetime === null)
    problems.push(
      expiresRaw === undefined ? 'X-Amz-Expires missing' : 'X-Amz-Expires is not a number of seconds',
    );
  if (!first(p, 'x-amz-signature')) problems.push('X-Amz-Signature missing or empty');
  if (problems.length > 0)
    f.add('MALFORMED_SIGNATURE', 'medium', `S3 will reject it: ${problems.join('; ')}`);

  if (signedAt !== null && scopeDate !== undefined && scopeDate !== formatScopeDate(signedAt)) {
    f.add(
      'CREDENTIAL_DATE_MISMATCH',
      'medium',
      `credential scope date ${scopeDate} differs from the X-Amz-Date day: S3 rejects the signature`,
    );
  }
  if (lifetime !== null && lifetime > MAX_SIGV4_EXPIRY_SECONDS) {
    f.add(
      'EXPIRY_OVER_SIGV4_MAXIMUM',
      'medium',
      `X-Amz-Expires ${lifetime} s is over the SigV4 maximum of ${MAX_SIGV4_EXPIRY_SECONDS} s (7 days): S3 rejects the URL`,
    );
  }
  if (lifetime !== null && lifetime > longExpiry) {
    f.add(
      'LONG_EXPIRY',
      'medium',
      `valid for ${formatDuration(lifetime)} (${lifetime} s), more than ${formatDuration(longExpiry)}: a leaked URL stays usable that long`,
    );
  }
  const expiresAt =
    signedAt !== null && lifetime !== null ? new Date(signedAt.getTime() + lifetime * 1000) : null;
  const token = p.has('x-amz-security-token');
  const kind = credentialKindOf(accessKeyId);
  judgeTime(signedAt, expiresAt, now, f);
  judgeCredential(kind, token, f);
  return {
    version,
    credentialKind: kind,
    signedAt: signedAt ? isoSeconds(signedAt) : null,
    expiresAt: expiresAt ? isoSeconds(expiresAt) : null,
    expiresInSeconds: expiresAt && now ? Math.floor((expiresAt.getTime() - now.getTime()) / 1000) : null,
    lifetimeSeconds: lifetime,
    signingRegion: scopeRegion,
    signingService: service,
    hasSessionToken: token,
  };
}

function readSigV2(p: Params, now: Date | null, longExpiry: number, f: Findings): SignatureReading {
  f.add(
    'SIGV2',
    'medium',
    'SigV2 query authentication (botocore presigns this way by default in older Regions): deprecated by AWS; presign with SigV4 (s3v4)',
  );
  const problems: string[] = [];
  const expiresRaw = first(p, 'expires');
  const epoch = expiresRaw !== undefined && /^\d{1,12}$/.test(expiresRaw) ? Number(expiresRaw) : null;
  if (epoch === null)
    problems.push(expiresRaw === undefined ? 'Expires missing' : 'Expires is not epoch seconds');
  if (!first(p, 'signature')) problems.push('Signature missing or empty');
  const accessKeyId = first(p, 'awsaccesskeyid');
  if (!accessKeyId) problems.push('AWSAccessKeyId missing or empty');
  if (problems.length > 0)
    f.add('MALFORMED_SIGNATURE', 'medium', `S3 will reject it: ${problems.join('; ')}`);
  const expiresAt = epoch !== null ? new Date(epoch * 1000) : null;
  const remaining = expiresAt && now ? Math.floor((expiresAt.getTime() - now.getTime()) / 1000) : null;
  if (remaining !== null && remaining > longExpiry) {
    f.add(
      'LONG_EXPIRY',
      'medium',
      `valid for another ${formatDuration(remaining)}, more than ${formatDuration(longExpiry)}: a leaked URL stays usable that long`,
    );
  }
  const token = p.has('x-amz-security-token');
  const kind = credentialKindOf(accessKeyId);
  judgeTime(null, expiresAt, now, f);
  judgeCredential(kind, token, f);
  return {
    version: 'sigv2',
    credentialKind: kind,
    signedAt: null,
    expiresAt: expiresAt && !Number.isNaN(expiresAt.getTime()) ? isoSeconds(expiresAt) : null,
    expiresInSeconds: remaining,
    lifetimeSeconds: null,
    signingRegion: null,
    signingService: null,
    hasSessionToken: token,
  };
}

function judgeTime(signedAt: Date | null, expiresAt: Date | null, now: Date | null, f: Findings): void {
  if (now === null) return;
  if (expiresAt !== null && expiresAt.getTime() <= now.getTime()) {
    f.add(
      'EXPIRED',
      'medium',
      `expired at ${isoSeconds(expiresAt)} (inspected at ${isoSeconds(now)}): S3 answers 403 AccessDenied`,
    );
  }
  if (signedAt !== null && signedAt.getTime() > now.getTime() + CLOCK_SKEW_SECONDS * 1000) {
    f.add(
      'SIGNED_IN_FUTURE',
      'low',
      `signed at ${isoSeconds(signedAt)}, over 15 minutes after ${isoSeconds(now)}: the signer's clock is ahead; S3 rejects it until then`,
    );
  }
}

function judgeCredential(kind: CredentialKind | null, token: boolean, f: Findings): void {
  if (kind === 'temporary' && !token) {
    f.add(
      'SESSION_TOKEN_MISMATCH',
      'medium',
      'temporary (ASIA) access key without X-Amz-Security-Token: S3 rejects it',
    );
  } else if (kind === 'long-term' && token) {
    f.add(
      'SESSION_TOKEN_MISMATCH',
      'medium',
      'long-term (AKIA) access key with a session token: S3 rejects the token',
    );
  }
  if (kind === 'temporary') {
    f.add(
      'TEMPORARY_CREDENTIALS',
      'info',
      'signed with temporary credentials: the URL stops working when the session ends, which may be before its expiry',
    );
  }
}

function signedForS3(s: SignatureReading): boolean {
  if (s.version === 'sigv2') return true;
  if (s.version === 'none') return false;
  return s.signingService === null || s.signingService.startsWith('s3');
}

function parseAmzDate(s: string | undefined): Date | null {
  if (s === undefined) return null;
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (m === null) return null;
  const [y, mo, d, hh, mi, ss] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = new Date(Date.UTC(y, mo - 1, d, hh, mi, ss));
  // Date.UTC rolls 2026-02-30 over to March; a real timestamp reads back the same.
  if (
    t.getUTCMonth() !== mo - 1 ||
    t.getUTCDate() !== d ||
    t.getUTCHours() !== hh ||
    t.getUTCMinutes() !== mi
  )
    return null;
  return t;
}

function formatScopeDate(d: Date): string {
  return d.toISOString().slice(0, 10).replaceAll('-', '');
}

function isoSeconds(d: Date): string {
  const s = d.toISOString();
  return s.endsWith('.000Z') ? `${s.slice(0, -5)}Z` : s;
}

function formatDuration(seconds: number): string {
  if (seconds % 86400 === 0 && seconds >= 86400) return `${seconds / 86400} d`;
  if (seconds % 3600 === 0 && seconds >= 3600) return `${seconds / 3600} h`;
  if (seconds % 60 === 0 && seconds >= 60) return `${seconds / 60} min`;
  return `${seconds} s`;
}

// ---------------------------------------------------------------------------------------------
// Endpoint

/** Region of the bucket as the URL states it: the host's; for names without one, the signing scope's. */
function bucketRegion(h: S3Hostname, s: SignatureReading, kind: EndpointKind): string | null {
  if (h.region !== null) return h.region;
  if (kind === 'mrap' || s.version === 'sigv4a') return null;
  return s.signingRegion;
}

function readEndpoint(
  h: S3Hostname,
  kind: EndpointKind,
  scheme: string,
  bucket: string | null,
  style: AddressingStyle | null,
  f: Findings,
): void {
  switch (kind) {
    case 'not-s3':
      f.add(
        'NOT_S3',
        'medium',
        `${h.host || 'the host'} is not an Amazon S3 name and the URL is not signed for S3`,
      );
      return;
    case 'custom':
      f.add(
        'CUSTOM_ENDPOINT',
        'info',
        `${h.host} is not an Amazon S3 name (custom or S3-compatible endpoint): its path depends on what the name resolves to`,
      );
      return;
    case 'global':
      f.add(
        'LEGACY_GLOBAL_ENDPOINT',
        'high',
        'legacy global endpoint (s3.amazonaws.com): routed by bucket Region with us-east-1 as default, not served by S3 interface endpoints (PrivateLink), and from a VPC in another Region it misses the gateway endpoint; presign with a regional endpoint',
      );
      break;
    case 'accelerate':
      f.add(
        'PUBLIC_ONLY_ENDPOINT',
        'high',
        'Transfer Acceleration goes through CloudFront edge locations: never a gateway or interface endpoint',
      );
      break;
    case 'website':
      f.add(
        'PUBLIC_ONLY_ENDPOINT',
        'high',
        'website endpoint: HTTP only, public content only (no presigned requests), and not served through VPC endpoints',
      );
      break;
    default:
      break;
  }
  if (h.legacyDashRegion || h.s3External1) {
    f.add(
      'LEGACY_DASH_REGION_ENDPOINT',
      'medium',
      `legacy ${h.s3External1 ? 's3-external-1' : 'dash-Region (s3-<region>)'} name: not covered by interface-endpoint private DNS; use s3.${h.region ?? '<region>'}.amazonaws.com`,
    );
  }
  if (h.dualstack) {
    f.add(
      'DUALSTACK_ENDPOINT',
      'info',
      'dual-stack name: clients may connect over IPv6, which reaches a gateway endpoint only where the S3 prefix list and the route tables carry IPv6',
    );
  }
  if (h.fips) {
    f.add(
      'FIPS_ENDPOINT',
      'info',
      'FIPS name: not covered by S3 interface-endpoint private DNS (PrivateLink for S3 listed FIPS endpoints as unsupported)',
    );
  }
  if (h.service === 's3-control' || h.service === 's3express-control') {
    f.add('CONTROL_PLANE_ENDPOINT', 'info', 'control-plane endpoint: object downloads do not go through it');
  }
  if (
    style === 'path' &&
    h.service !== 's3-control' &&
    h.service !== 's3express-control' &&
    bucket !== null
  ) {
    f.add(
      'PATH_STYLE_URL',
      'low',
      'path-style request (bucket in the path): AWS plans to retire path style; SDKs fall back to it for bucket names with dots or upper case',
    );
  }
  if (style === 'virtual' && scheme === 'https' && bucket?.includes('.')) {
    f.add(
      'DOTTED_BUCKET_VIRTUAL_HOST',
      'low',
      `bucket name with dots in the host over HTTPS: the S3 wildcard certificate does not match ${h.host}; clients fail or skip verification`,
    );
  }
}

function checkScope(h: S3Hostname, s: SignatureReading, f: Findings): void {
  if (s.version !== 'sigv4' || s.signingRegion === null || h.region === null) return;
  // The accelerate Region label and MRAP names are not what S3 checks the scope against.
  if (h.endpointKind === 'accelerate' || h.endpointKind === 'mrap') return;
  if (s.signingRegion !== h.region) {
    f.add(
      'CREDENTIAL_REGION_MISMATCH',
      'medium',
      `signed for ${s.signingRegion} but the host is in ${h.region}: S3 rejects it (AuthorizationHeaderMalformed)`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Expected path (judged in expected-path.ts, on the environment index)

const NOT_S3_PATH: ExpectedPath = {
  vpc: 'not-s3',
  onprem: 'not-s3',
  reasons: { vpc: 'not an S3 host', onprem: 'not an S3 host' },
};

function judgeExpectedPath(s: PathTarget, opts: InspectOptions, f: Findings): ExpectedPath {
  if (s.endpointKind === 'not-s3') return NOT_S3_PATH;
  if (opts.env === undefined) {
    if (s.endpointKind === 'mrap') {
      f.add(
        'MRAP_NEEDS_GLOBAL_INTERFACE_ENDPOINT',
        'medium',
        'Multi-Region Access Point: private only through an interface endpoint for com.amazonaws.s3-global.accesspoint; regional gateway and interface endpoints do not carry it',
      );
    }
    return NO_ENV_PATH;
  }
  let idx: EnvironmentIndex;
  try {
    idx = environmentIndexOf(opts.env);
  } catch {
    // The index trusts the document's shape (validateEnvironment's job); a caller that skipped it
    // gets no answer rather than a guess.
    const reason = 'the environment is not a valid environment document';
    return { vpc: 'unknown', onprem: 'unknown', reasons: { vpc: reason, onprem: reason } };
  }
  return judgePaths(s, idx, opts.subnetId, f);
}

function judgePaths(
  s: PathTarget,
  idx: EnvironmentIndex,
  subnetId: string | undefined,
  f: Findings,
): ExpectedPath {
  const vpc = judgeVpcPath(idx, s, subnetId);
  const onprem = judgeOnPremPath(idx, s);

  const crossRegion = s.region !== null && s.region !== idx.region && GATEWAY_ELIGIBLE.has(s.endpointKind);
  if (crossRegion) {
    f.add(
      'CROSS_REGION_FOR_GATEWAY_ENDPOINT',
      'high',
      `bucket Region ${s.region} differs from the environment's ${idx.region}: a gateway endpoint only carries traffic to its own Region, so VPC traffic leaves through NAT or an internet gateway`,
    );
  }
  if (
    s.endpointKind === 'interface-endpoint' &&
    s.h.vpceId !== null &&
    idx.interfaceEndpointForHost(s.h.host) === undefined
  ) {
    f.add(
      'INTERFACE_ENDPOINT_NOT_IN_ENVIRONMENT',
      'medium',
      `${s.h.vpceId} is not an interface endpoint of the environment: its private addresses may be unreachable from here`,
    );
  }
  if (
    s.endpointKind === 'mrap' &&
    (vpc.path !== 'interface-endpoint' || onprem.path !== 'interface-endpoint')
  ) {
    f.add(
      'MRAP_NEEDS_GLOBAL_INTERFACE_ENDPOINT',
      'high',
      'Multi-Region Access Point: the environment has no com.amazonaws.s3-global.accesspoint interface endpoint with private DNS for this vantage; regional endpoints do not carry it',
    );
  }
  if (isLeftPath(vpc.path)) {
    f.add('VPC_NOT_PRIVATE', 'high', `from the VPC: ${vpc.path} (${vpc.reason})`);
  } else if (vpc.leaving.length > 0) {
    // Part of the S3 addresses the name resolves to (or some subnets) leave: a request whose DNS
    // answer falls there, or that is made there, leaves the endpoint path.
    f.add('VPC_NOT_PRIVATE', 'high', `from the VPC: not private everywhere: ${vpc.leaving.join('; ')}`);
  }
  if (isLeftPath(onprem.path)) {
    f.add(
      'ONPREM_NOT_PRIVATE',
      'high',
      `from on premises the name resolves to public addresses, off the endpoint path (${onprem.reason})`,
    );
  }
  return {
    vpc: vpc.path,
    onprem: onprem.path,
    reasons: { vpc: vpc.reason, onprem: onprem.reason },
    ...(vpc.shares.length > 0 ? { vpcRoutes: vpc.shares } : {}),
  };
}

function ipLiteral(hostname: string): string | null {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(bare) || bare.includes(':')) return bare.toLowerCase();
  return null;
}
