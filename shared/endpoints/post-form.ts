/**
 * Presigned POST forms: what `createPresignedPost` (`@aws-sdk/s3-presigned-post`) and boto3's
 * `generate_presigned_post` return, `{ url, fields }`. A browser or runner sends the fields, then the
 * file, as `multipart/form-data` to `url`; S3 checks the base64 `Policy` field (its expiration and
 * conditions) and the signature over that base64 text.
 *
 * A form is a credential like a presigned URL: the signature, session token and access key id in
 * its fields open the bucket to an upload until the policy expires. {@link redactPostForm} removes
 * them field by field with `redactFormField` (redact.ts: the rules of {@link redactText}, by the
 * query parameter names of a presigned URL: `X-Amz-Signature`, `X-Amz-Security-Token`,
 * `X-Amz-Credential`, SigV2 `Signature` and `AWSAccessKeyId`, any letter case), and from the
 * policy too, whose conditions repeat `X-Amz-Credential` (and the session token) base64-encoded
 * where no text scanner sees them.
 */
import { fail, ok, type Result } from '../result.js';
import { type PolicyCondition, readPolicyCondition } from './post-policy.js';
import { redactFormFields, redactText, redactUrl } from './redact.js';

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
 * Longest form text read. S3 refuses form data over 20 KB (HTTPPOSTForms); JSON escaping and
 * pretty printing can double it; anything longer is not a form an SDK made.
 */
export const MAX_POST_FORM_CHARS = 64 * 1024;

/**
 * Reads an untrusted value as a presigned POST form: its JSON text (at most
 * {@link MAX_POST_FORM_CHARS} characters) or the parsed value, an object with a string `url` and a
 * `fields` object of string values (at most 32 fields of 16 KB, each on one line). The one reader
 * of forms: orders, runners and inspect-url all go through it. Never throws; the reason is in
 * words of our own and never echoes a value (fields hold credentials; a JSON parser's message
 * quotes the text around its error).
 *
 * @example
 * readPostForm('{"url":"https://b.s3.us-east-1.amazonaws.com/","fields":{"key":"k"}}');
 * // { ok: true, value: { url: 'https://b.s3.us-east-1.amazonaws.com/', fields: { key: 'k' } } }
 */
export function readPostForm(input: unknown): Result<PresignedPostForm, string> {
  let doc = input;
  if (typeof input === 'string') {
    if (input.length > MAX_POST_FORM_CHARS) return fail(`longer than ${MAX_POST_FORM_CHARS} characters`);
    try {
      doc = JSON.parse(input);
    } catch {
      return fail('not JSON');
    }
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return fail('a form is a JSON object');
  const { url, fields } = doc as { url?: unknown; fields?: unknown };
  if (typeof url !== 'string' || url === '' || url.length > 8192) return fail('url: expected a URL string');
  if (fields === undefined) return fail('fields: missing (no "fields" object)');
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
  // One rule set per field (redactFormField, the one used by inspect-url); only the policy differs:
  // here it stays readable, its own copies of the credential and token removed.
  const fields = redactFormFields(form.fields);
  for (const [k, v] of Object.entries(form.fields))
    if (k.toLowerCase() === 'policy') fields[redactText(k)] = redactPolicyText(v);
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

/** One condition of a POST policy (read by `readPolicyCondition`, the one condition reader). */
export type PostPolicyCondition = PolicyCondition;

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
    const read = readPolicyCondition(c);
    if (read === null)
      return invalid(`condition ${i} is not an exact match, eq, starts-with or content-length-range`);
    out.push(read);
  }
  return ok({ expiration, expiresAtMs, conditions: out });
}
