import { timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../lib/smithy-sha256.js';

/** The lab's one set of static credentials (not secret: they open nothing outside the lab). */
export const LAB_CREDENTIALS = {
  accessKeyId: 'AKIAPATHGUARDLAB0001',
  secretAccessKey: 'pathguard-lab-secret-key-0000000000000000',
};

export type PresignCheck =
  | { ok: true; accessKeyId: string }
  | {
      ok: false;
      status: 403;
      code:
        | 'SignatureDoesNotMatch'
        | 'AccessDenied'
        | 'InvalidAccessKeyId'
        | 'RequestTimeTooSkewed'
        | 'AuthorizationQueryParametersError';
      message: string;
    };

/**
 * Verifies a SigV4 presigned request the way S3 does: the credential's key must be known, the
 * time window (X-Amz-Date + X-Amz-Expires) must hold, and the signature must equal one recomputed
 * over the method, path, query, the signed headers (host included) and UNSIGNED-PAYLOAD.
 */
export async function verifyPresigned(
  req: {
    method: string;
    rawPath: string;
    query: URLSearchParams;
    host: string;
    /** The request's headers: those X-Amz-SignedHeaders names are signed with their values. */
    headers?: Record<string, string | string[] | undefined>;
  },
  now: Date,
  credentials: { accessKeyId: string; secretAccessKey: string } = LAB_CREDENTIALS,
): Promise<PresignCheck> {
  const q = req.query;
  const signature = q.get('X-Amz-Signature');
  const credential = q.get('X-Amz-Credential');
  const date = q.get('X-Amz-Date');
  const expires = Number(q.get('X-Amz-Expires'));
  if (
    q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' ||
    !signature ||
    !credential ||
    !date ||
    !Number.isInteger(expires)
  ) {
    return {
      ok: false,
      status: 403,
      code: 'AuthorizationQueryParametersError',
      message:
        'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    };
  }
  const [keyId, shortDate, region, service] = credential.split('/');
  if (keyId !== credentials.accessKeyId) {
    return {
      ok: false,
      status: 403,
      code: 'InvalidAccessKeyId',
      message: 'The AWS Access Key Id you provided does not exist in our records.',
    };
  }
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
  if (!m || shortDate !== date.slice(0, 8)) {
    return {
      ok: false,
      status: 403,
      code: 'AuthorizationQueryParametersError',
      message: 'X-Amz-Date must be in the ISO8601 Long Format.',
    };
  }
  const signedAt = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  if (now.getTime() > signedAt.getTime() + expires * 1000) {
    return { ok: false, status: 403, code: 'AccessDenied', message: 'Request has expired' };
  }
  const headers: Record<string, string> = { host: req.host };
  // Headers the client signed besides host (a presigned PUT's Content-Type, say) must be sent with
  // the same values; they stay headers, never hoisted into the query.
  const signedNames = (q.get('X-Amz-SignedHeaders') ?? 'host').split(';').filter((h) => h && h !== 'host');
  for (const h of signedNames) {
    const v = req.headers?.[h];
    headers[h] = v === undefined ? '' : Array.isArray(v) ? v.join(',') : v;
  }
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of q) {
    if (k === 'X-Amz-Signature') continue;
    // Hoisted x-amz-* headers go back to headers; presign() moves them to the query again.
    if (k === 'X-Amz-Content-Sha256') headers[k] = v;
    else query[k] = v;
  }
  const signer = new SignatureV4({
    credentials,
    region: region ?? 'us-east-1',
    service: service ?? 's3',
    sha256: NodeSha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const expected = await signer.presign(
    {
      method: req.method,
      protocol: 'https:',
      hostname: req.host.replace(/:\d+$/, ''),
      path: req.rawPath,
      query,
      headers,
    },
    { signingDate: signedAt, expiresIn: expires, unhoistableHeaders: new Set(signedNames) },
  );
  const want = Buffer.from(String(expected.query?.['X-Amz-Signature'] ?? ''));
  const got = Buffer.from(signature);
  if (want.length !== got.length || !timingSafeEqual(want, got)) {
    return {
      ok: false,
      status: 403,
      code: 'SignatureDoesNotMatch',
      message:
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    };
  }
  return { ok: true, accessKeyId: keyId };
}

/**
 * Verifies a request signed in the Authorization header (what SDK clients send): the key must be
 * known and the signature must equal one recomputed over the signed headers, with the payload hash
 * the client declared in x-amz-content-sha256.
 */
export async function verifyHeaderSigned(
  req: {
    method: string;
    rawPath: string;
    query: URLSearchParams;
    headers: Record<string, string | string[] | undefined>;
  },
  now: Date,
  credentials: { accessKeyId: string; secretAccessKey: string } = LAB_CREDENTIALS,
): Promise<PresignCheck> {
  const auth = String(req.headers.authorization ?? '');
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m) return { ok: false, status: 403, code: 'AccessDenied', message: 'Access Denied' };
  const [, keyId, , region, service, signedList, signature] = m;
  if (keyId !== credentials.accessKeyId) {
    return {
      ok: false,
      status: 403,
      code: 'InvalidAccessKeyId',
      message: 'The AWS Access Key Id you provided does not exist in our records.',
    };
  }
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const d = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!d) return { ok: false, status: 403, code: 'AccessDenied', message: 'Access Denied' };
  const signedAt = new Date(Date.UTC(+d[1]!, +d[2]! - 1, +d[3]!, +d[4]!, +d[5]!, +d[6]!));
  // S3 allows 15 minutes between the request's time and its own clock.
  if (Math.abs(now.getTime() - signedAt.getTime()) > 15 * 60_000) {
    return {
      ok: false,
      status: 403,
      code: 'RequestTimeTooSkewed',
      message: 'The difference between the request time and the current time is too large.',
    };
  }
  const headers: Record<string, string> = {};
  for (const h of signedList!.split(';')) {
    const v = req.headers[h];
    if (v !== undefined) headers[h] = Array.isArray(v) ? v.join(',') : v;
  }
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of req.query) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const signer = new SignatureV4({
    credentials,
    region: region!,
    service: service!,
    sha256: NodeSha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: req.method,
      protocol: 'https:',
      hostname: String(headers.host ?? '').replace(/:\d+$/, ''),
      path: req.rawPath,
      query,
      headers,
    },
    { signingDate: signedAt, signableHeaders: new Set(Object.keys(headers)) },
  );
  const got = /Signature=([0-9a-f]{64})$/.exec(String(signed.headers.authorization ?? ''))?.[1] ?? '';
  if (got.length !== signature!.length || !timingSafeEqual(Buffer.from(got), Buffer.from(signature!))) {
    return {
      ok: false,
      status: 403,
      code: 'SignatureDoesNotMatch',
      message:
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    };
  }
  return { ok: true, accessKeyId: keyId! };
}
