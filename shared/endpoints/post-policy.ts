/**
 * The POST policy of a presigned POST form (what `createPresignedPost` in JavaScript and
 * `generate_presigned_post` in boto3 return as `fields.Policy` / `fields.policy`): decoded, read
 * and judged. Source: AWS S3 API Reference, "POST Policy" (sigv4-HTTPPOSTConstructPolicy) and
 * "HTML forms" (HTTPPOSTForms):
 *
 * - the policy is "a UTF-8 and base64-encoded document written in JavaScript Object Notation" and
 *   "always contains the expiration and conditions elements"; `expiration` is an ISO 8601 GMT time
 *   after which S3 refuses the form;
 * - a condition is an exact match (`{"acl": "public-read"}` or `["eq", "$acl", "public-read"]`),
 *   a prefix match (`["starts-with", "$key", "user/eric/"]`, where an empty prefix matches any
 *   content) or a range (`["content-length-range", min, max]`, bytes of the uploaded object);
 * - every form field except the signature, the policy, `file` and `x-ignore-` fields must appear
 *   in a condition, and every condition must hold, else S3 answers 403 "Invalid according to
 *   Policy"; botocore adds no condition for a field the caller adds (its documentation says so),
 *   which is how working code ships forms S3 refuses.
 *
 * Pure and total: any string in, a reading or a coded problem out.
 */
import type { Findings } from './findings.js';
import { formatDuration, isoSeconds } from './inspect-signature.js';
import { redactFormField } from './redact.js';

/** One condition as S3 reads it; field names lower case, without `$`. */
export type PolicyCondition = FieldCondition | LengthCondition;

/** An exact or prefix match on one form field. */
export interface FieldCondition {
  readonly kind: 'eq' | 'starts-with';
  readonly field: string;
  readonly value: string;
}

/** The size the uploaded object may have, in bytes. */
export interface LengthCondition {
  readonly kind: 'content-length-range';
  readonly min: number;
  readonly max: number;
}

/** The policy as read: its expiry and the conditions that matter, each condition as JSON. */
export interface PostPolicyReading {
  /** ISO 8601 UTC; null when the policy has no valid `expiration`. */
  readonly expiration: string | null;
  /** The bucket the policy names (`{"bucket": …}`), if any. */
  readonly bucket: string | null;
  /** The key the policy allows: exactly one key, or every key starting with a prefix. */
  readonly key: { readonly match: 'exact' | 'starts-with'; readonly value: string } | null;
  /** Bytes the uploaded object may have, when limited. */
  readonly contentLengthRange: { readonly min: number; readonly max: number } | null;
  /** Every condition, one JSON text each, secret values redacted. */
  readonly conditions: readonly string[];
}

/** A decoded policy: the reading, and what the judgements need. */
export interface DecodedPolicy {
  readonly reading: PostPolicyReading;
  readonly expiresAt: Date | null;
  readonly conditions: readonly PolicyCondition[];
}

/**
 * Longest policy read, in base64 characters. S3 refuses form data (fields and boundaries) over
 * 20 KB (HTTPPOSTForms), so a longer policy can never be sent.
 */
const MAX_POLICY_CHARS = 20 * 1024;
/** Longest field name or value quoted in a message. */
const MAX_QUOTE = 80;

/** Standard base64 (RFC 4648 §4) with padding, as S3 expects it and both SDKs write it. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** ISO 8601 UTC as the policy documents write it: `2007-12-01T12:00:00.000Z` (fraction optional). */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

/**
 * Decodes the `policy` field: base64, then UTF-8, then JSON, then the document's shape. A
 * problem at any step is one finding naming the step, and no reading (null).
 */
export function decodePolicy(policy: string | undefined, f: Findings): DecodedPolicy | null {
  if (policy === undefined || policy === '') {
    f.add('POST_POLICY_MISSING');
    return null;
  }
  if (policy.length > MAX_POLICY_CHARS) {
    f.add(
      'POST_POLICY_INVALID',
      `${policy.length} characters, longer than the 20 KB of form data S3 accepts`,
    );
    return null;
  }
  if (!BASE64.test(policy)) {
    f.add('POST_POLICY_NOT_BASE64');
    return null;
  }
  let doc: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(policy, 'base64'));
    doc = JSON.parse(text);
  } catch {
    f.add('POST_POLICY_NOT_JSON');
    return null;
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    f.add('POST_POLICY_NOT_JSON', 'the document is not a JSON object');
    return null;
  }
  return readDocument(doc as Record<string, unknown>, f);
}

function readDocument(doc: Record<string, unknown>, f: Findings): DecodedPolicy | null {
  const problems: string[] = [];
  const exp = doc.expiration;
  const expiresAt = typeof exp === 'string' && ISO_UTC.test(exp) ? new Date(exp) : null;
  if (expiresAt === null || Number.isNaN(expiresAt.getTime()))
    problems.push('expiration missing or not an ISO 8601 UTC time');
  const raw = doc.conditions;
  if (!Array.isArray(raw)) problems.push('conditions missing or not a list');
  const conditions: PolicyCondition[] = [];
  const texts: string[] = [];
  (Array.isArray(raw) ? raw : []).forEach((c, i) => {
    const read = readPolicyCondition(c);
    texts.push(conditionText(c));
    if (read === null) problems.push(`condition ${i + 1} is not a field match or a content-length-range`);
    else conditions.push(read);
  });
  if (problems.length > 0) f.add('POST_POLICY_INVALID', problems.slice(0, 3).join('; '));
  const valid = expiresAt !== null && !Number.isNaN(expiresAt.getTime()) ? expiresAt : null;
  return {
    reading: {
      expiration: valid ? isoSeconds(valid) : null,
      bucket: conditions.find(isExact('bucket'))?.value ?? null,
      key: keyOf(conditions),
      contentLengthRange: lengthRangeOf(conditions),
      conditions: texts,
    },
    expiresAt: valid,
    conditions,
  };
}

const isExact =
  (field: string) =>
  (c: PolicyCondition): c is FieldCondition =>
    c.kind === 'eq' && c.field === field;

/**
 * One condition of a POST policy, normalised from its object or array form: `{"field": value}`,
 * `["eq"|"starts-with", "$field", value]` or `["content-length-range", min, max]`; null when it is
 * none of them. The one reader of conditions: URL inspection and the lab's S3 both use it, so they
 * accept the same policies.
 */
export function readPolicyCondition(c: unknown): PolicyCondition | null {
  if (Array.isArray(c)) {
    const op = typeof c[0] === 'string' ? c[0].toLowerCase() : null;
    if (op === 'content-length-range' && c.length === 3) {
      const [min, max] = [lengthBound(c[1]), lengthBound(c[2])];
      return min !== null && max !== null && min <= max ? { kind: 'content-length-range', min, max } : null;
    }
    if ((op === 'eq' || op === 'starts-with') && c.length === 3 && typeof c[1] === 'string') {
      const value = scalarText(c[2]);
      if (!c[1].startsWith('$') || value === null) return null;
      return { kind: op, field: c[1].slice(1).toLowerCase(), value };
    }
    return null;
  }
  if (c !== null && typeof c === 'object') {
    const entries = Object.entries(c);
    if (entries.length !== 1) return null;
    const [field, v] = entries[0]!;
    const value = scalarText(v);
    return value === null ? null : { kind: 'eq', field: field.toLowerCase(), value };
  }
  return null;
}

function scalarText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

/** A byte count: a non-negative whole number, given as a number or as its decimal text. */
function lengthBound(v: unknown): number | null {
  const n =
    typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,16}$/.test(v) ? Number(v) : Number.NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** One condition as JSON with the values of secret-bearing fields redacted (the token, the credential). */
function conditionText(c: unknown): string {
  let safe: unknown = c;
  if (Array.isArray(c) && c.length === 3 && typeof c[1] === 'string' && typeof c[2] === 'string') {
    safe = [c[0], c[1], redactFormField(c[1], c[2])];
  } else if (c !== null && typeof c === 'object' && !Array.isArray(c)) {
    safe = Object.fromEntries(
      Object.entries(c).map(([k, v]) => [k, typeof v === 'string' ? redactFormField(k, v) : v]),
    );
  }
  const text = JSON.stringify(safe) ?? String(safe);
  return text.length > 2 * MAX_QUOTE ? `${text.slice(0, 2 * MAX_QUOTE - 1)}…` : text;
}

function keyOf(conditions: readonly PolicyCondition[]): PostPolicyReading['key'] {
  const exact = conditions.find(isExact('key'));
  if (exact) return { match: 'exact', value: exact.value };
  // The narrowest prefix decides what can be written: every prefix condition must hold.
  const prefixes = conditions.filter(
    (c): c is FieldCondition => c.kind === 'starts-with' && c.field === 'key',
  );
  if (prefixes.length === 0) return null;
  const longest = prefixes.reduce((a, b) => (b.value.length > a.value.length ? b : a));
  return { match: 'starts-with', value: longest.value };
}

function lengthRangeOf(conditions: readonly PolicyCondition[]): PostPolicyReading['contentLengthRange'] {
  let range: { min: number; max: number } | null = null;
  for (const c of conditions) {
    if (c.kind !== 'content-length-range') continue;
    // Several ranges all apply: the object must fit their intersection.
    range = range
      ? { min: Math.max(range.min, c.min), max: Math.min(range.max, c.max) }
      : { min: c.min, max: c.max };
  }
  return range;
}

/** What the policy judgements need beyond the policy: the fields, the time and the threshold. */
export interface PolicyContext {
  /** Form fields by lower-case name. */
  readonly fields: ReadonlyMap<string, string>;
  /** The bucket the form's URL names, when it names one. */
  readonly urlBucket: string | null;
  /** When the form was signed (`x-amz-date`); null for SigV2, which carries no signing time. */
  readonly signedAt: Date | null;
  readonly now: Date | null;
  readonly longExpirySeconds: number;
}

/** Fields S3 does not look for in the conditions (HTTPPOSTForms, sigv4-HTTPPOSTForms). */
const UNCONDITIONED = new Set(['policy', 'x-amz-signature', 'signature', 'awsaccesskeyid', 'file']);

/** The findings of a decoded policy: how much it allows, for how long, and whether the form satisfies it. */
export function judgePolicy(p: DecodedPolicy, ctx: PolicyContext, f: Findings): void {
  const { reading } = p;
  if (reading.contentLengthRange === null) f.add('POST_POLICY_NO_LENGTH_LIMIT');
  // "To configure the POST policy to allow any content within a form field, use starts-with with
  // an empty value" (sigv4-HTTPPOSTConstructPolicy): for $key, any key of the bucket.
  if (reading.key?.match === 'starts-with' && reading.key.value === '') f.add('POST_POLICY_BROAD_KEY');
  judgePolicyExpiry(p.expiresAt, ctx, f);
  const violations = [...uncoveredFields(p, ctx), ...failedConditions(p, ctx)];
  if (violations.length > 0) {
    const more = violations.length > 3 ? ` (and ${violations.length - 3} more)` : '';
    f.add('POST_FIELDS_VIOLATE_POLICY', `${violations.slice(0, 3).join('; ')}${more}`);
  }
}

function judgePolicyExpiry(expiresAt: Date | null, ctx: PolicyContext, f: Findings): void {
  if (expiresAt === null) return;
  // SigV4 forms carry their signing time, so the lifetime is known; SigV2 forms only the expiry,
  // so the remaining time is judged, as for a SigV2 URL.
  if (ctx.signedAt !== null) {
    const lifetime = Math.floor((expiresAt.getTime() - ctx.signedAt.getTime()) / 1000);
    if (lifetime > ctx.longExpirySeconds) {
      f.add(
        'POST_POLICY_LONG_EXPIRY',
        `expiration ${isoSeconds(expiresAt)} is ${formatDuration(lifetime)} after signing, more than ${formatDuration(ctx.longExpirySeconds)}`,
      );
    }
    return;
  }
  if (ctx.now === null) return;
  const remaining = Math.floor((expiresAt.getTime() - ctx.now.getTime()) / 1000);
  if (remaining > ctx.longExpirySeconds) {
    f.add(
      'POST_POLICY_LONG_EXPIRY',
      `valid for another ${formatDuration(remaining)}, more than ${formatDuration(ctx.longExpirySeconds)}`,
    );
  }
}

function quote(name: string, value?: string): string {
  const clip = (s: string) => (s.length > MAX_QUOTE ? `${s.slice(0, MAX_QUOTE - 1)}…` : s);
  return value === undefined
    ? JSON.stringify(clip(name))
    : JSON.stringify(clip(redactFormField(name, value)));
}

function uncoveredFields(p: DecodedPolicy, ctx: PolicyContext): string[] {
  const named = new Set(p.conditions.flatMap((c) => (c.kind === 'content-length-range' ? [] : [c.field])));
  const out: string[] = [];
  for (const name of ctx.fields.keys()) {
    if (UNCONDITIONED.has(name) || name.startsWith('x-ignore-') || named.has(name)) continue;
    out.push(`no condition names field ${quote(name)}`);
  }
  return out;
}

function failedConditions(p: DecodedPolicy, ctx: PolicyContext): string[] {
  const out: string[] = [];
  for (const c of p.conditions) {
    if (c.kind === 'content-length-range') continue;
    // The bucket is the request's: the form's bucket field when present, else the URL's.
    const actual =
      c.field === 'bucket' ? (ctx.fields.get('bucket') ?? ctx.urlBucket) : ctx.fields.get(c.field);
    if (c.kind === 'starts-with' && c.value === '') continue;
    if (actual === undefined || actual === null) {
      out.push(`the policy requires field ${quote(c.field)}, the form has none`);
    } else if (c.kind === 'eq' ? actual !== c.value : !actual.startsWith(c.value)) {
      const want = c.kind === 'eq' ? 'to be' : 'to start with';
      out.push(
        `field ${quote(c.field)} is ${quote(c.field, actual)}, the policy requires it ${want} ${quote(c.field, c.value)}`,
      );
    }
  }
  return out;
}
