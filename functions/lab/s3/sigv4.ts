import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { regionSetCovers, SIGV4A_ALGORITHM, sigV4aStringToSign, verifySigV4aSignature } from './sigv4a.js';

/** One access key the lab's S3 endpoint knows, and the principal S3 would log as Requester. */
export interface LabCredential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The IAM identity logged in the access log's Requester field. */
  readonly principalArn: string;
}

/** The lab's default key (not secret: it opens nothing outside the lab's loopback endpoint). */
export const LAB_S3_CREDENTIAL: LabCredential = {
  accessKeyId: 'AKIAIOSFODNN7LAB0001',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYLABKEY0001',
  principalArn: 'arn:aws:sts::123456789012:assumed-role/PathGuardProbe/pathguard-probe',
};

/** How a request authenticated, as the access log's Authentication Type names it. */
export type AuthType = 'AuthHeader' | 'QueryString';

/** The error codes S3 answers authentication failures with. */
export type AuthErrorCode =
  | 'AccessDenied'
  | 'SignatureDoesNotMatch'
  | 'InvalidAccessKeyId'
  | 'AuthorizationQueryParametersError'
  | 'AuthorizationHeaderMalformed'
  | 'RequestTimeTooSkewed'
  | 'InvalidRequest'
  | 'XAmzContentSHA256Mismatch'
  /** POST uploads (handlers/post-object.ts): a body that is no multipart form, a missing field. */
  | 'MalformedPOSTRequest'
  | 'InvalidArgument';

/** The outcome of checking one request's SigV4 authentication. */
export type AuthOutcome =
  | { readonly kind: 'anonymous' }
  | {
      readonly kind: 'signed';
      readonly authType: AuthType;
      readonly credential: LabCredential;
      /**
       * The Region of the credential scope (S3 checks it against the bucket's Region); for SigV4a
       * the `X-Amz-Region-Set` (see {@link authCoversRegion}).
       */
      readonly region: string;
      /** Which signature: SigV4's HMAC (absent: SigV4) or SigV4a's ECDSA (Multi-Region Access Points). */
      readonly algorithm?: 'sigv4' | 'sigv4a';
    }
  | {
      readonly kind: 'error';
      /** Null when the request did not get as far as naming a method (malformed auth). */
      readonly authType: AuthType | null;
      readonly status: 400 | 403;
      readonly code: AuthErrorCode;
      readonly message: string;
      /** Extra elements of S3's XML error body, in order (e.g. `X-Amz-Expires`, `ServerTime`). */
      readonly details: readonly (readonly [string, string])[];
    };

/** What the verifier needs of a request: the request line as sent and the headers. */
export interface SignedRequestParts {
  readonly method: string;
  /** The path exactly as sent (still percent-encoded): S3 signs it without normalising. */
  readonly rawPath: string;
  /** The query exactly as sent, without the `?`. */
  readonly rawQuery: string;
  readonly headers: IncomingHttpHeaders;
  /** Lower-case hex SHA-256 of the body received (checked against a declared payload hash). */
  readonly bodySha256: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** S3 rejects presigned URLs valid for longer than seven days. */
const MAX_EXPIRES_SECONDS = 604_800;
/** S3's tolerated clock difference for header-signed requests and not-yet-valid URLs. */
const MAX_SKEW_MS = 15 * 60 * 1000;

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** RFC 3986 encoding as SigV4 specifies it: everything but `A-Za-z0-9-_.~` is `%XX`. */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decodeComponent(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    // A stray `%` is kept literally: the client then signed it literally too.
    return s;
  }
}

/**
 * The query's parameters, decoded. `+` stays a plus (SigV4 clients encode a space as `%20`), a
 * parameter without `=` has the empty value, repeated names are all kept in order.
 */
export function parseRawQuery(rawQuery: string): [string, string][] {
  const out: [string, string][] = [];
  if (rawQuery === '') return out;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    out.push(
      eq === -1
        ? [decodeComponent(part), '']
        : [decodeComponent(part.slice(0, eq)), decodeComponent(part.slice(eq + 1))],
    );
  }
  return out;
}

function canonicalQuery(params: readonly (readonly [string, string])[], skipSignature: boolean): string {
  const encoded: [string, string][] = [];
  for (const [k, v] of params) {
    if (skipSignature && k === 'X-Amz-Signature') continue;
    encoded.push([uriEncode(k), uriEncode(v)]);
  }
  // Sorted by code point of the encoded name, then value (ASCII after encoding, so plain < works).
  encoded.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return encoded.map(([k, v]) => `${k}=${v}`).join('&');
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(',') : v;
}

function canonicalHeaders(headers: IncomingHttpHeaders, signed: readonly string[]): string | null {
  let out = '';
  for (const name of signed) {
    const v = headerValue(headers, name);
    if (v === undefined) return null;
    out += `${name}:${v.trim().replace(/\s+/g, ' ')}\n`;
  }
  return out;
}

function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** The SigV4 signature of `stringToSign` under the scope `date/region/service`. */
export function sigV4Signature(
  secretAccessKey: string,
  date: string,
  region: string,
  service: string,
  stringToSign: string,
): string {
  const kDate = hmac(`AWS4${secretAccessKey}`, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, service);
  const kSigning = hmac(kService, 'aws4_request');
  return createHmac('sha256', kSigning).update(stringToSign, 'utf8').digest('hex');
}

export function parseAmzDate(s: string): Date | null {
  const m = AMZ_DATE.exec(s);
  if (!m) return null;
  const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  return Number.isNaN(d.getTime()) ? null : d;
}

function isoSeconds(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

function equalHex(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

function fail(
  authType: AuthType | null,
  status: 400 | 403,
  code: AuthErrorCode,
  message: string,
  details: readonly (readonly [string, string])[] = [],
): AuthOutcome {
  return { kind: 'error', authType, status, code, message, details };
}

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your key and signing method.';
const UNKNOWN_KEY = 'The AWS Access Key Id you provided does not exist in our records.';

export interface Scope {
  keyId: string;
  date: string;
  region: string;
  service: string;
}

/** `<key>/<date>/<service>/aws4_request`: SigV4a's credential, whose Regions come from the Region set. */
function parseSigV4aScope(credential: string, regionSet: string): Scope | null {
  const parts = credential.split('/');
  if (parts.length !== 4 || parts[3] !== 'aws4_request') return null;
  const [keyId, date, service] = parts as [string, string, string];
  if (!/^\d{8}$/.test(date) || service === '') return null;
  return { keyId, date, region: regionSet, service };
}

/** `<key id>/<yyyymmdd>/<region>/<service>/aws4_request`, read; null when malformed. */
export function parseScope(credential: string): Scope | null {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request') return null;
  const [keyId, date, region, service] = parts as [string, string, string, string];
  if (!/^\d{8}$/.test(date) || region === '' || service === '') return null;
  return { keyId, date, region, service };
}

/**
 * Checks a request's SigV4 authentication the way S3 does, in S3's order: a presigned query
 * (`X-Amz-Signature`) or an `Authorization` header; then the access key, the time window
 * (`X-Amz-Date` + `X-Amz-Expires` for a presigned URL, 15 minutes of clock skew for a header), and
 * finally the signature, recomputed over the method, the path as sent, the query, the signed headers
 * (the Host header among them) and the payload hash. A request carrying neither is anonymous.
 * Implemented from the SigV4 specification with node:crypto; the tests check it against the AWS SDK's
 * own signer and presigner.
 *
 * @example
 * const outcome = verifySigV4(parts, new Map([[key.accessKeyId, key]]), new Date());
 * if (outcome.kind === 'error') reply(outcome.status, outcome.code, outcome.message);
 */
export function verifySigV4(
  req: SignedRequestParts,
  keys: ReadonlyMap<string, LabCredential>,
  now: Date,
): AuthOutcome {
  const params = parseRawQuery(req.rawQuery);
  if (params.some(([k]) => k === 'X-Amz-Signature' || k === 'X-Amz-Credential')) {
    return verifyPresigned(req, params, keys, now);
  }
  if (req.headers.authorization !== undefined) return verifyHeader(req, params, keys, now);
  return { kind: 'anonymous' };
}

function verifyPresigned(
  req: SignedRequestParts,
  params: readonly [string, string][],
  keys: ReadonlyMap<string, LabCredential>,
  now: Date,
): AuthOutcome {
  const get = (name: string) => params.find(([k]) => k === name)?.[1];
  const algorithm = get('X-Amz-Algorithm');
  const credential = get('X-Amz-Credential');
  const amzDate = get('X-Amz-Date');
  const expiresText = get('X-Amz-Expires');
  const signedList = get('X-Amz-SignedHeaders');
  const signature = get('X-Amz-Signature');
  if (
    algorithm === undefined ||
    credential === undefined ||
    amzDate === undefined ||
    expiresText === undefined ||
    signedList === undefined ||
    signature === undefined
  ) {
    return fail(
      'QueryString',
      400,
      'AuthorizationQueryParametersError',
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  const v4a = algorithm === SIGV4A_ALGORITHM;
  if (algorithm !== ALGORITHM && !v4a) {
    return fail(
      'QueryString',
      400,
      'AuthorizationQueryParametersError',
      'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256" and "AWS4-ECDSA-P256-SHA256"',
    );
  }
  // SigV4a: the scope has no Region; the Regions are the signed X-Amz-Region-Set (aws-facts §10.2).
  const regionSet = v4a ? get('X-Amz-Region-Set') : undefined;
  const scope = v4a
    ? regionSet === undefined || regionSet === ''
      ? null
      : parseSigV4aScope(credential, regionSet)
    : parseScope(credential);
  if (!scope) {
    return fail(
      'QueryString',
      400,
      'AuthorizationQueryParametersError',
      v4a
        ? 'Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/SERVICE/aws4_request" with an X-Amz-Region-Set.'
        : 'Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
    );
  }
  const key = keys.get(scope.keyId);
  if (!key) {
    return fail('QueryString', 403, 'InvalidAccessKeyId', UNKNOWN_KEY, [['AWSAccessKeyId', scope.keyId]]);
  }
  const signedAt = parseAmzDate(amzDate);
  if (!signedAt || amzDate.slice(0, 8) !== scope.date) {
    return fail(
      'QueryString',
      400,
      'AuthorizationQueryParametersError',
      "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
    );
  }
  const expires = /^\d{1,9}$/.test(expiresText) ? Number(expiresText) : Number.NaN;
  if (!Number.isInteger(expires)) {
    return fail('QueryString', 400, 'AuthorizationQueryParametersError', 'X-Amz-Expires should be a number');
  }
  if (expires > MAX_EXPIRES_SECONDS) {
    return fail(
      'QueryString',
      400,
      'AuthorizationQueryParametersError',
      'X-Amz-Expires must be less than a week (in seconds) that is 604800',
    );
  }
  const expiresAt = new Date(signedAt.getTime() + expires * 1000);
  if (now.getTime() > expiresAt.getTime()) {
    return fail('QueryString', 403, 'AccessDenied', 'Request has expired', [
      ['X-Amz-Expires', String(expires)],
      ['Expires', isoSeconds(expiresAt)],
      ['ServerTime', isoSeconds(now)],
    ]);
  }
  if (signedAt.getTime() - now.getTime() > MAX_SKEW_MS) {
    return fail('QueryString', 403, 'AccessDenied', 'Request is not valid yet');
  }
  const signed = signedList.split(';');
  if (!signed.includes('host')) {
    return fail(
      'QueryString',
      400,
      'AuthorizationQueryParametersError',
      'Query-string authentication requires the Host header to be signed.',
    );
  }
  const headers = canonicalHeaders(req.headers, signed);
  // A signed header the request does not carry can never match.
  const payloadHash = get('X-Amz-Content-Sha256') ?? UNSIGNED_PAYLOAD;
  const canonicalRequest =
    headers === null
      ? null
      : `${req.method}\n${req.rawPath}\n${canonicalQuery(params, true)}\n${headers}\n${signedList}\n${payloadHash}`;
  return checkSignature(
    v4a ? 'sigv4a' : 'sigv4',
    'QueryString',
    key,
    scope,
    amzDate,
    canonicalRequest,
    signature,
  );
}

function verifyHeader(
  req: SignedRequestParts,
  params: readonly [string, string][],
  keys: ReadonlyMap<string, LabCredential>,
  now: Date,
): AuthOutcome {
  const auth = headerValue(req.headers, 'authorization') ?? '';
  if (!auth.startsWith(`${ALGORITHM} `)) {
    // SigV2 and other schemes: the lab speaks SigV4 only.
    return fail(
      null,
      400,
      'InvalidRequest',
      'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
    );
  }
  const fields = new Map<string, string>();
  for (const part of auth.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedList = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  const scope = credential === undefined ? null : parseScope(credential);
  if (!scope || signedList === undefined || signature === undefined) {
    return fail(
      'AuthHeader',
      400,
      'AuthorizationHeaderMalformed',
      'The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.',
    );
  }
  const key = keys.get(scope.keyId);
  if (!key) {
    return fail('AuthHeader', 403, 'InvalidAccessKeyId', UNKNOWN_KEY, [['AWSAccessKeyId', scope.keyId]]);
  }
  const amzDate = headerValue(req.headers, 'x-amz-date');
  const signedAt = amzDate === undefined ? null : parseAmzDate(amzDate);
  if (amzDate === undefined || !signedAt) {
    return fail(
      'AuthHeader',
      403,
      'AccessDenied',
      'AWS authentication requires a valid Date or x-amz-date header',
    );
  }
  if (amzDate.slice(0, 8) !== scope.date) {
    return fail(
      'AuthHeader',
      400,
      'AuthorizationHeaderMalformed',
      `The authorization header is malformed; Invalid credential date "${scope.date}". This date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`,
    );
  }
  if (Math.abs(signedAt.getTime() - now.getTime()) > MAX_SKEW_MS) {
    return fail(
      'AuthHeader',
      403,
      'RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.',
      [
        ['RequestTime', amzDate],
        ['ServerTime', isoSeconds(now)],
        ['MaxAllowedSkewMilliseconds', String(MAX_SKEW_MS)],
      ],
    );
  }
  const payloadHash = headerValue(req.headers, 'x-amz-content-sha256');
  if (payloadHash === undefined) {
    return fail(
      'AuthHeader',
      400,
      'InvalidRequest',
      'Missing required header for this request: x-amz-content-sha256',
    );
  }
  const signed = signedList.split(';');
  if (!signed.includes('host')) {
    return fail(
      'AuthHeader',
      400,
      'AuthorizationHeaderMalformed',
      'The authorization header is malformed; the Host header must be signed.',
    );
  }
  const headers = canonicalHeaders(req.headers, signed);
  const canonicalRequest =
    headers === null
      ? null
      : `${req.method}\n${req.rawPath}\n${canonicalQuery(params, false)}\n${headers}\n${signedList}\n${payloadHash}`;
  const outcome = checkSignature('sigv4', 'AuthHeader', key, scope, amzDate, canonicalRequest, signature);
  if (outcome.kind !== 'signed') return outcome;
  // The signature covers the declared hash; S3 then checks the body against it.
  if (/^[0-9a-f]{64}$/.test(payloadHash) && payloadHash !== req.bodySha256) {
    return fail(
      'AuthHeader',
      400,
      'XAmzContentSHA256Mismatch',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
      [
        ['ClientComputedContentSHA256', payloadHash],
        ['S3ComputedContentSHA256', req.bodySha256],
      ],
    );
  }
  return outcome;
}

type SignatureAlgorithm = 'sigv4' | 'sigv4a';

/** How each algorithm builds its string to sign and verifies a signature over it. */
const SIGNERS: Readonly<
  Record<
    SignatureAlgorithm,
    {
      stringToSign(amzDate: string, scope: Scope, canonicalRequest: string): string;
      verify(key: LabCredential, scope: Scope, stringToSign: string, signature: string): boolean;
    }
  >
> = {
  // SigV4: an HMAC-SHA256 chain keyed by the secret, scoped to one Region.
  sigv4: {
    stringToSign: (amzDate, scope, canonicalRequest) =>
      `${ALGORITHM}\n${amzDate}\n${scope.date}/${scope.region}/${scope.service}/aws4_request\n${sha256Hex(canonicalRequest)}`,
    verify: (key, scope, stringToSign, signature) =>
      equalHex(
        sigV4Signature(key.secretAccessKey, scope.date, scope.region, scope.service, stringToSign),
        signature,
      ),
  },
  // SigV4a: an ECDSA P-256 signature under the key derived from the secret; no Region in the scope.
  sigv4a: {
    stringToSign: (amzDate, scope, canonicalRequest) =>
      sigV4aStringToSign(amzDate, `${scope.date}/${scope.service}/aws4_request`, canonicalRequest),
    verify: (key, _scope, stringToSign, signature) =>
      verifySigV4aSignature(key.accessKeyId, key.secretAccessKey, stringToSign, signature),
  },
};

/**
 * Checks `signature` over `canonicalRequest` (null: a signed header the request does not carry,
 * which can never match) with `algorithm`.
 */
function checkSignature(
  algorithm: SignatureAlgorithm,
  authType: AuthType,
  key: LabCredential,
  scope: Scope,
  amzDate: string,
  canonicalRequest: string | null,
  signature: string,
): AuthOutcome {
  const signer = SIGNERS[algorithm];
  const stringToSign =
    canonicalRequest === null ? null : signer.stringToSign(amzDate, scope, canonicalRequest);
  if (
    stringToSign === null ||
    scope.service !== 's3' ||
    !signer.verify(key, scope, stringToSign, signature)
  ) {
    // S3 returns the string to sign and the canonical request (no secret in either) to help debug.
    return fail(authType, 403, 'SignatureDoesNotMatch', SIGNATURE_MISMATCH, [
      ['AWSAccessKeyId', key.accessKeyId],
      ...(stringToSign === null ? [] : ([['StringToSign', stringToSign]] as const)),
      ...(canonicalRequest === null ? [] : ([['CanonicalRequest', canonicalRequest]] as const)),
    ]);
  }
  return { kind: 'signed', authType, credential: key, region: scope.region, algorithm };
}

/**
 * Whether a signed request may act on a bucket of `region`: SigV4's scope names exactly one
 * Region; SigV4a's Region set may name several or `*` (what the SDK signs Multi-Region Access
 * Point requests for, aws-facts §10.2).
 */
export function authCoversRegion(auth: Extract<AuthOutcome, { kind: 'signed' }>, region: string): boolean {
  return auth.algorithm === 'sigv4a' ? regionSetCovers(auth.region, region) : auth.region === region;
}
