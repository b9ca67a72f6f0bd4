/**
 * Presigned POST forms: what `createPresignedPost` (`@aws-sdk/s3-presigned-post`) and boto3's
 * `generate_presigned_post` return, `{ url, fields }`. A browser or runner sends the fields, then the
 * file, as `multipart/form-data` to `url`; S3 checks the base64 `Policy` field (its expiration and
 * conditions) and the signature over that base64 text.
 *
 * A form is a credential like a presigned URL: the signature, session token and access key id in
 * its fields open the bucket to an upload until the policy expires. {@link redactPostForm} is the
 * one place that removes them, by the same rules as {@link redactText} (the field names are the
 * query parameter names of a presigned URL: `X-Amz-Signature`, `X-Amz-Security-Token`,
 * `X-Amz-Credential`, SigV2 `Signature` and `AWSAccessKeyId`, any letter case), and from the
 * policy too, whose conditions repeat `X-Amz-Credential` (and the session token) base64-encoded
 * where no text scanner sees them.
 */
import { fail, ok, type Result } from '../result.js';
import { redactText, redactUrl } from './redact.js';

/** A presigned POST form as the SDKs return it. */
export interface PresignedPostForm {
  /** Where the form is posted: the bucket's endpoint (carries no secret). */
  readonly url: string;
  /** Form fields, sent in this order before the file. */
  readonly fields: Readonly<Record<string, string>>;
}

/** Largest form accepted from an order or a file: fields are short (a policy is a few KB). */
const MAX_FIELDS = 32;
const MAX_FIELD_BYTES = 16 * 1024;

/**
 * Reads an untrusted value as a presigned POST form: an object with a string `url` and a `fields`
 * object of string values (at most 32 fields of 16 KB). Never throws; the reason never echoes a
 * value (fields hold credentials).
 */
export function readPostForm(doc: unknown): Result<PresignedPostForm, string> {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return fail('a form is a JSON object');
  const { url, fields } = doc as { url?: unknown; fields?: unknown };
  if (typeof url !== 'string' || url === '' || url.length > 8192) return fail('url: expected a URL string');
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields))
    return fail('fields: expected an object of strings');
  const entries = Object.entries(fields as Record<string, unknown>);
  if (entries.length > MAX_FIELDS) return fail(`fields: more than ${MAX_FIELDS}`);
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (typeof v !== 'string') return fail(`fields.${fieldLabel(k)}: expected a string`);
    if (k === '' || k.length > 128 || !/^[\x21-\x7e]+$/.test(k) || /["\\]/.test(k))
      return fail(`fields: a field name is not a printable token`);
    if (v.length > MAX_FIELD_BYTES || /[\r\n]/.test(v))
      return fail(`fields.${fieldLabel(k)}: longer than ${MAX_FIELD_BYTES} or spans lines`);
    out[k] = v;
  }
  return ok({ url, fields: out });
}

/** A field name safe to print in a reason (names are not secret; values are). */
function fieldLabel(name: string): string {
  return /^[A-Za-z0-9._-]{1,64}$/.test(name) ? name : '(a field)';
}

/**
 * A field's value by name, case-insensitively as S3 reads form field names (`Policy` and `policy`,
 * `X-Amz-Signature` and `x-amz-signature`), or undefined. The first match wins.
 */
export function postFormField(fields: Readonly<Record<string, string>>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(fields)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/**
 * The form with every credential removed: the url redacted as a URL, each field value redacted as
 * the query parameter of the same name would be, and the policy's own copies of the credential
 * and token redacted inside its JSON (then base64-encoded again, so a reader still decodes it).
 * A policy that is not base64 JSON is replaced whole: it cannot be checked, so it is not kept.
 *
 * @example
 * redactPostForm({ url: 'https://b.s3.us-east-1.amazonaws.com/', fields: { key: 'k', 'X-Amz-Signature': 'ab12' } })
 * // { url: 'https://b.s3.us-east-1.amazonaws.com/', fields: { key: 'k', 'X-Amz-Signature': 'REDACTED' } }
 */
export function redactPostForm(form: PresignedPostForm): PresignedPostForm {
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(form.fields)) {
    const name = redactText(k);
    if (k.toLowerCase() === 'policy') {
      fields[name] = redactPolicyText(v);
      continue;
    }
    // `name=value` is how the same secret reads in a query string: one rule set for both.
    const line = redactText(`${k}=${v}`);
    fields[name] = line.startsWith(`${k}=`) ? line.slice(k.length + 1) : redactText(v);
  }
  return { url: redactUrl(form.url), fields };
}

function redactPolicyText(base64: string): string {
  const json = decodePolicyText(base64);
  if (json === null) return redactText(base64) === base64 ? 'REDACTED' : redactText(base64);
  const clean = redactText(json);
  return clean === json ? base64 : Buffer.from(clean, 'utf8').toString('base64');
}

/** The text of a base64 policy, or null when it is not base64 of UTF-8 text. */
function decodePolicyText(base64: string): string | null {
  const compact = base64.replace(/\s+/g, '');
  if (compact === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact) || compact.length % 4 !== 0) return null;
  const text = Buffer.from(compact, 'base64').toString('utf8');
  return text.includes('\uFFFD') ? null : text;
}

/** One condition of a POST policy, normalised from its object or array form. */
export type PostPolicyCondition =
  /** `{"field": "value"}` or `["eq", "$field", "value"]`: the field must equal the value. */
  | { readonly kind: 'eq'; readonly field: string; readonly value: string }
  /** `["starts-with", "$field", "prefix"]`: the field must start with the prefix (`""`: any value). */
  | { readonly kind: 'starts-with'; readonly field: string; readonly value: string }
  /** `["content-length-range", min, max]`: the file's size in bytes. */
  | { readonly kind: 'content-length-range'; readonly min: number; readonly max: number };

/** A POST policy document, read. */
export interface PostPolicy {
  /** ISO 8601 time after which S3 refuses the form ("Invalid according to Policy: Policy expired."). */
  readonly expiration: string;
  readonly expiresAtMs: number;
  readonly conditions: readonly PostPolicyCondition[];
}

/** Why a policy field could not be read (coded, for findings and the lab's S3 answers). */
export type PostPolicyError =
  | { readonly code: 'POLICY_NOT_BASE64'; readonly message: string }
  | { readonly code: 'POLICY_NOT_JSON'; readonly message: string }
  | { readonly code: 'POLICY_INVALID'; readonly message: string };

/**
 * Reads the base64 `Policy` field of a POST form: `{"expiration": ISO-8601, "conditions": [...]}`,
 * each condition an object of one field (exact match) or an array `["eq"|"starts-with", "$field",
 * value]` or `["content-length-range", min, max]`. Field names lose their `$` and are lower-cased
 * (S3 compares form field names without case). Never throws; messages never echo the policy.
 *
 * @example
 * readPostPolicy(btoa('{"expiration":"2026-12-03T12:34:43Z","conditions":[{"bucket":"b"},["content-length-range",64,64]]}'))
 * // { ok: true, value: { expiration: '2026-12-03T12:34:43Z', expiresAtMs: …, conditions: [{ kind: 'eq', field: 'bucket', value: 'b' }, …] } }
 */
export function readPostPolicy(base64: string): Result<PostPolicy, PostPolicyError> {
  const text = decodePolicyText(base64);
  if (text === null) return fail({ code: 'POLICY_NOT_BASE64', message: 'the policy is not base64 text' });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return fail({ code: 'POLICY_NOT_JSON', message: 'the policy is not JSON' });
  }
  const invalid = (message: string) => fail<PostPolicyError>({ code: 'POLICY_INVALID', message });
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    return invalid('the policy is not an object');
  const { expiration, conditions } = doc as { expiration?: unknown; conditions?: unknown };
  if (typeof expiration !== 'string') return invalid('the policy has no expiration');
  const expiresAtMs = Date.parse(expiration);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(expiration) || Number.isNaN(expiresAtMs))
    return invalid('the policy expiration is not an ISO 8601 time');
  if (!Array.isArray(conditions)) return invalid('the policy has no conditions list');
  const out: PostPolicyCondition[] = [];
  for (const [i, c] of conditions.entries()) {
    const read = readCondition(c);
    if (read === null)
      return invalid(`condition ${i} is not an exact match, eq, starts-with or content-length-range`);
    out.push(read);
  }
  return ok({ expiration, expiresAtMs, conditions: out });
}

function readCondition(c: unknown): PostPolicyCondition | null {
  if (Array.isArray(c)) {
    const [op, a, b] = c as unknown[];
    if (c.length !== 3 || typeof op !== 'string') return null;
    const name = op.toLowerCase();
    if (name === 'content-length-range') {
      if (!isSize(a) || !isSize(b) || a > b) return null;
      return { kind: 'content-length-range', min: a, max: b };
    }
    if (
      (name === 'eq' || name === 'starts-with') &&
      typeof a === 'string' &&
      a.startsWith('$') &&
      typeof b === 'string'
    )
      return { kind: name, field: a.slice(1).toLowerCase(), value: b };
    return null;
  }
  if (c !== null && typeof c === 'object') {
    const entries = Object.entries(c as Record<string, unknown>);
    const [first] = entries;
    if (entries.length !== 1 || !first || typeof first[1] !== 'string') return null;
    return { kind: 'eq', field: first[0].toLowerCase(), value: first[1] };
  }
  return null;
}

function isSize(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
