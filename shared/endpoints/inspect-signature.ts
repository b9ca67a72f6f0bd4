/**
 * The signature section of URL inspection: which signature version a presigned URL carries, the
 * credential kind, when it was signed and when it expires, and what S3 would reject in it
 * (aws-facts §6.1 for SigV4 query authentication, §6.2 for SigV2). Findings are named by code;
 * their severity and text are the catalogue's (findings.ts).
 */
import type { Findings } from './findings.js';
import type { CredentialKind, SignatureReading, SignatureVersion } from './inspect.js';

/** "Signature version 4 presigned URLs must have an expiration date less than one week in the future" (@smithy/signature-v4). */
export const MAX_SIGV4_EXPIRY_SECONDS = 604800;
/** S3 accepts requests signed up to 15 minutes ahead of its clock. */
const CLOCK_SKEW_SECONDS = 900;

/** The time expiry is judged against (null when the caller gave no valid time) and the `LONG_EXPIRY` threshold. */
export interface Clock {
  readonly now: Date | null;
  readonly longExpirySeconds: number;
}

export const NO_SIGNATURE: SignatureReading = {
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

/** Query parameters (or form fields) by lower-case name; S3 reads them case-sensitively, we read leniently. */
export type Params = ReadonlyMap<string, readonly string[]>;

export function readParams(entries: Iterable<readonly [string, string]>): Params {
  const m = new Map<string, string[]>();
  for (const [k, v] of entries) {
    const name = k.toLowerCase();
    const list = m.get(name);
    if (list) list.push(v);
    else m.set(name, [v]);
  }
  return m;
}

export const first = (p: Params, name: string): string | undefined => p.get(name)?.[0];

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

/** Reads the query authentication of a presigned URL. */
export function readQuerySignature(p: Params, clock: Clock, f: Findings): SignatureReading {
  const hasV4 = p.has('x-amz-algorithm') || p.has('x-amz-credential') || p.has('x-amz-signature');
  const hasV2 = p.has('awsaccesskeyid') || p.has('signature');
  if (!hasV4 && !hasV2) {
    f.add('NOT_PRESIGNED');
    return NO_SIGNATURE;
  }
  const duplicated = [...SIGV4_PARAMS, ...SIGV2_PARAMS].filter((n) => (p.get(n)?.length ?? 0) > 1);
  if (duplicated.length > 0) f.add('DUPLICATE_AUTH_PARAMETER', duplicated.join(', '));
  if (hasV4 && hasV2) f.add('MALFORMED_SIGNATURE', 'carries both SigV2 and SigV4 parameters; read as SigV4');
  return hasV4 ? readSigV4(p, clock, f) : readSigV2(p, clock, f);
}

/** From the access key id prefix: `AKIA` long-term, `ASIA` temporary (STS); null otherwise. */
export function credentialKindOf(accessKeyId: string | undefined): CredentialKind | null {
  if (accessKeyId === undefined) return null;
  const prefix = accessKeyId.slice(0, 4).toUpperCase();
  return prefix === 'AKIA' ? 'long-term' : prefix === 'ASIA' ? 'temporary' : null;
}

/** The parts of `X-Amz-Credential`, and what is wrong with it (pushed to `problems`). */
export interface CredentialScope {
  readonly accessKeyId: string | undefined;
  readonly date: string | undefined;
  readonly region: string | null;
  readonly service: string | null;
}

/** SigV4: key/date/region/service/aws4_request; SigV4a drops the Region (it is in X-Amz-Region-Set). */
export function readCredential(credential: string | undefined, problems: string[]): CredentialScope {
  const parts = credential?.split('/') ?? [];
  if (credential === undefined) {
    problems.push('X-Amz-Credential missing');
    return { accessKeyId: undefined, date: undefined, region: null, service: null };
  }
  if (parts.length === 5 && parts[4] === 'aws4_request')
    return { accessKeyId: parts[0], date: parts[1], region: parts[2]!, service: parts[3]! };
  if (parts.length === 4 && parts[3] === 'aws4_request')
    return { accessKeyId: parts[0], date: parts[1], region: null, service: parts[2]! };
  problems.push('X-Amz-Credential is not <key>/<date>/<region>/<service>/aws4_request');
  return { accessKeyId: parts[0], date: undefined, region: null, service: null };
}

/** The version named by `X-Amz-Algorithm` (`x-amz-algorithm` in a POST form). */
export function readAlgorithm(algorithm: string | undefined, problems: string[]): SignatureVersion {
  if (algorithm === 'AWS4-ECDSA-P256-SHA256') return 'sigv4a';
  if (algorithm === undefined) problems.push('X-Amz-Algorithm missing');
  else if (algorithm !== 'AWS4-HMAC-SHA256')
    problems.push('X-Amz-Algorithm is not AWS4-HMAC-SHA256 or AWS4-ECDSA-P256-SHA256');
  return 'sigv4';
}

function readSigV4(p: Params, clock: Clock, f: Findings): SignatureReading {
  const problems: string[] = [];
  const version = readAlgorithm(first(p, 'x-amz-algorithm'), problems);
  const scope = readCredential(first(p, 'x-amz-credential'), problems);
  const signingRegion = version === 'sigv4a' ? (first(p, 'x-amz-region-set') ?? scope.region) : scope.region;

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
  if (problems.length > 0) f.add('MALFORMED_SIGNATURE', problems.join('; '));

  judgeScopeDate(scope.date, signedAt, f);
  if (lifetime !== null && lifetime > MAX_SIGV4_EXPIRY_SECONDS)
    f.add('EXPIRY_OVER_SIGV4_MAXIMUM', `X-Amz-Expires is ${lifetime} s`);
  if (lifetime !== null && lifetime > clock.longExpirySeconds) {
    f.add(
      'LONG_EXPIRY',
      `valid for ${formatDuration(lifetime)} (${lifetime} s), more than ${formatDuration(clock.longExpirySeconds)}`,
    );
  }
  const expiresAt =
    signedAt !== null && lifetime !== null ? new Date(signedAt.getTime() + lifetime * 1000) : null;
  const token = p.has('x-amz-security-token');
  const kind = credentialKindOf(scope.accessKeyId);
  judgeTime(signedAt, expiresAt, clock.now, f);
  judgeCredential(kind, token, f);
  return {
    version,
    credentialKind: kind,
    signedAt: signedAt ? isoSeconds(signedAt) : null,
    expiresAt: expiresAt ? isoSeconds(expiresAt) : null,
    expiresInSeconds: secondsUntil(expiresAt, clock.now),
    lifetimeSeconds: lifetime,
    signingRegion,
    signingService: scope.service,
    hasSessionToken: token,
  };
}

function readSigV2(p: Params, clock: Clock, f: Findings): SignatureReading {
  f.add('SIGV2', 'AWSAccessKeyId, Signature and Expires in the query');
  const problems: string[] = [];
  const expiresRaw = first(p, 'expires');
  const epoch = expiresRaw !== undefined && /^\d{1,12}$/.test(expiresRaw) ? Number(expiresRaw) : null;
  if (epoch === null)
    problems.push(expiresRaw === undefined ? 'Expires missing' : 'Expires is not epoch seconds');
  if (!first(p, 'signature')) problems.push('Signature missing or empty');
  const accessKeyId = first(p, 'awsaccesskeyid');
  if (!accessKeyId) problems.push('AWSAccessKeyId missing or empty');
  if (problems.length > 0) f.add('MALFORMED_SIGNATURE', problems.join('; '));
  const expiresAt = epoch !== null ? new Date(epoch * 1000) : null;
  const remaining = secondsUntil(expiresAt, clock.now);
  if (remaining !== null && remaining > clock.longExpirySeconds) {
    f.add(
      'LONG_EXPIRY',
      `valid for another ${formatDuration(remaining)}, more than ${formatDuration(clock.longExpirySeconds)}`,
    );
  }
  const token = p.has('x-amz-security-token');
  const kind = credentialKindOf(accessKeyId);
  judgeTime(null, expiresAt, clock.now, f);
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

/** Whole seconds from `now` to `at`, negative once past; null when either is unknown. */
export function secondsUntil(at: Date | null, now: Date | null): number | null {
  if (at === null || now === null || Number.isNaN(at.getTime())) return null;
  return Math.floor((at.getTime() - now.getTime()) / 1000);
}

/** The credential scope's day must be the `X-Amz-Date` day. */
export function judgeScopeDate(scopeDate: string | undefined, signedAt: Date | null, f: Findings): void {
  if (signedAt !== null && scopeDate !== undefined && scopeDate !== formatScopeDate(signedAt)) {
    f.add('CREDENTIAL_DATE_MISMATCH', `scope date ${scopeDate}, X-Amz-Date day ${formatScopeDate(signedAt)}`);
  }
}

export function judgeTime(
  signedAt: Date | null,
  expiresAt: Date | null,
  now: Date | null,
  f: Findings,
): void {
  if (now === null) return;
  if (expiresAt !== null && expiresAt.getTime() <= now.getTime()) {
    f.add('EXPIRED', `at ${isoSeconds(expiresAt)} (inspected at ${isoSeconds(now)})`);
  }
  if (signedAt !== null && signedAt.getTime() > now.getTime() + CLOCK_SKEW_SECONDS * 1000) {
    f.add('SIGNED_IN_FUTURE', `signed at ${isoSeconds(signedAt)}, inspected at ${isoSeconds(now)}`);
  }
}

export function judgeCredential(kind: CredentialKind | null, token: boolean, f: Findings): void {
  if (kind === 'temporary' && !token) {
    f.add('SESSION_TOKEN_MISMATCH', 'temporary (ASIA) access key without a session token');
  } else if (kind === 'long-term' && token) {
    f.add('SESSION_TOKEN_MISMATCH', 'long-term (AKIA) access key with a session token');
  }
  if (kind === 'temporary') f.add('TEMPORARY_CREDENTIALS');
}

/** Whether the signature is one S3 would check: SigV2, or SigV4/SigV4a scoped to an S3 service. */
export function signedForS3(s: SignatureReading): boolean {
  if (s.version === 'sigv2') return true;
  if (s.version === 'none') return false;
  return s.signingService === null || s.signingService.startsWith('s3');
}

/** `YYYYMMDDTHHMMSSZ` (X-Amz-Date) as a time; null when it is not one, or names no real instant. */
export function parseAmzDate(s: string | undefined): Date | null {
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

export function isoSeconds(d: Date): string {
  const s = d.toISOString();
  return s.endsWith('.000Z') ? `${s.slice(0, -5)}Z` : s;
}

export function formatDuration(seconds: number): string {
  if (seconds % 86400 === 0 && seconds >= 86400) return `${seconds / 86400} d`;
  if (seconds % 3600 === 0 && seconds >= 3600) return `${seconds / 3600} h`;
  if (seconds % 60 === 0 && seconds >= 60) return `${seconds / 60} min`;
  return `${seconds} s`;
}
