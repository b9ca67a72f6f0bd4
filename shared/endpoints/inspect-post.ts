/**
 * Static reading of a presigned POST form, the upload counterpart of {@link inspectUrl}: the
 * `{"url": …, "fields": {…}}` that `createPresignedPost` (@aws-sdk/s3-presigned-post) and
 * botocore's `generate_presigned_post` return. The `url` is read as any URL is (endpoint kind,
 * expected path per vantage, endpoint findings); the signature comes from the fields
 * (`x-amz-algorithm`, `x-amz-credential`, `x-amz-date`, `x-amz-signature`, `x-amz-security-token`
 * for SigV4; `AWSAccessKeyId` and `signature` for SigV2), the expiry and the conditions from the
 * policy (post-policy.ts).
 *
 * Pure and total: any value in (the form, or its JSON text, read by post-form.ts's readPostForm),
 * an inspection out; never throws.
 * Every string of the result is redacted, the fields by name (redactFormFields), so no signature,
 * token, access key id or policy document (which repeats the token) is ever echoed.
 */
import { redactDeep } from '../evidence/redact-deep.js';
import { Findings } from './findings.js';
import {
  clockOf,
  type InspectOptions,
  invalidInspection,
  parseTarget,
  readTarget,
  type SignatureReading,
  type UrlInspection,
} from './inspect.js';
import {
  type Clock,
  credentialKindOf,
  first,
  isoSeconds,
  judgeCredential,
  judgeScopeDate,
  judgeTime,
  NO_SIGNATURE,
  type Params,
  parseAmzDate,
  readAlgorithm,
  readCredential,
  readParams,
  secondsUntil,
} from './inspect-signature.js';
import { type PresignedPostForm, readPostForm } from './post-form.js';
import { type DecodedPolicy, decodePolicy, judgePolicy, type PostPolicyReading } from './post-policy.js';
import { readAsUrl, redactFormFields } from './redact.js';

/** What a presigned POST form adds to the reading of its URL. */
export interface PostReading {
  /** The form fields as given, secret values (and the policy, which repeats them) redacted. */
  readonly fields: Readonly<Record<string, string>>;
  /** The decoded policy; null when it is missing or cannot be read (a finding says why). */
  readonly policy: PostPolicyReading | null;
}

/**
 * The reading of a presigned POST form: the reading of its `url`, with the signature and expiry
 * of the form (`signature.expiresAt` is the policy's expiration; `lifetimeSeconds` the time from
 * `x-amz-date` to it), `key` from the `key` field, and the form's own reading under `post`.
 */
export interface PostInspection extends UrlInspection {
  readonly post: PostReading;
}

/**
 * Inspects one presigned POST form. Never throws: anything that is not a form comes back as
 * `not-s3` with a `POST_FORM_INVALID` finding saying why.
 *
 * @example
 * const r = inspectPost(await createPresignedPost(client, { Bucket, Key }), { now: new Date() });
 * r.post.policy?.key; // { match: 'exact', value: Key }
 * r.findings.map((f) => f.code); // ['POST_POLICY_NO_LENGTH_LIMIT', …]
 */
export function inspectPost(input: unknown, opts: InspectOptions): PostInspection {
  let r: PostInspection;
  try {
    const read = readPostForm(input);
    r = read.ok ? inspectForm(read.value, opts) : invalidForm(read.error);
  } catch {
    // Defensive only: every step is written not to throw; a bug must still not break a caller.
    r = invalidForm('the form could not be inspected');
  }
  return redactDeep(r);
}

function invalidForm(detail: string): PostInspection {
  return { ...invalidInspection('', 'POST_FORM_INVALID', detail), post: { fields: {}, policy: null } };
}

function inspectForm(form: PresignedPostForm, opts: InspectOptions): PostInspection {
  const findings = new Findings();
  const clock = clockOf(opts);
  const fields = readParams(Object.entries(form.fields));
  const policy = decodePolicy(first(fields, 'policy'), findings);
  const signature = readFormSignature(fields, policy, clock, findings);
  const url = readAsUrl(form.url);
  const target = parseTarget(url);
  const post: PostReading = { fields: redactFormFields(form.fields), policy: policy?.reading ?? null };
  if (!target.ok) {
    // The URL cannot be posted to; what the fields and the policy say is still worth reporting.
    findings.list.push(...target.inspection.findings);
    return { ...target.inspection, signature, findings: findings.sorted(), post };
  }
  const base = readTarget(url, target.url, signature, opts, findings);
  if (policy !== null) {
    judgePolicy(
      policy,
      {
        fields: new Map([...fields].map(([k, v]) => [k, v[0] ?? ''])),
        urlBucket: base.bucket,
        signedAt: signature.signedAt !== null ? new Date(signature.signedAt) : null,
        now: clock.now,
        longExpirySeconds: clock.longExpirySeconds,
      },
      findings,
    );
  }
  return {
    ...base,
    bucket: base.bucket ?? first(fields, 'bucket') ?? policy?.reading.bucket ?? null,
    key: first(fields, 'key') ?? null,
    findings: findings.sorted(),
    post,
  };
}

const SIGV4_FIELDS = [
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-signature',
  'x-amz-security-token',
];
const SIGV2_FIELDS = ['awsaccesskeyid', 'signature'];

/**
 * The signature of a form: SigV4 (`x-amz-*` fields) or SigV2 (`AWSAccessKeyId`, `signature`),
 * with the policy's expiration as the expiry. A form carries no `X-Amz-Expires`: its lifetime is
 * the policy's, and the 7-day SigV4 maximum of presigned URLs does not apply to it.
 */
function readFormSignature(
  p: Params,
  policy: DecodedPolicy | null,
  clock: Clock,
  f: Findings,
): SignatureReading {
  const hasV4 = p.has('x-amz-algorithm') || p.has('x-amz-credential') || p.has('x-amz-signature');
  const hasV2 = p.has('awsaccesskeyid') || p.has('signature');
  const expiresAt = policy?.expiresAt ?? null;
  if (!hasV4 && !hasV2) {
    if (policy !== null)
      f.add('MALFORMED_SIGNATURE', 'a policy but no x-amz-signature (SigV4) or signature (SigV2) field');
    return NO_SIGNATURE;
  }
  const duplicated = [...SIGV4_FIELDS, ...SIGV2_FIELDS, 'policy'].filter((n) => (p.get(n)?.length ?? 0) > 1);
  if (duplicated.length > 0) f.add('DUPLICATE_AUTH_PARAMETER', duplicated.join(', '));
  if (hasV4 && hasV2) f.add('MALFORMED_SIGNATURE', 'carries both SigV2 and SigV4 fields; read as SigV4');
  const token = p.has('x-amz-security-token');
  const problems: string[] = [];
  if (!hasV4) {
    f.add('SIGV2', 'AWSAccessKeyId and signature form fields');
    const accessKeyId = first(p, 'awsaccesskeyid');
    if (!accessKeyId) problems.push('AWSAccessKeyId missing or empty');
    if (!first(p, 'signature')) problems.push('signature missing or empty');
    if (problems.length > 0) f.add('MALFORMED_SIGNATURE', problems.join('; '));
    const kind = credentialKindOf(accessKeyId);
    judgeTime(null, expiresAt, clock.now, f);
    judgeCredential(kind, token, f);
    return {
      ...reading(expiresAt, null, clock),
      version: 'sigv2',
      credentialKind: kind,
      hasSessionToken: token,
    };
  }
  const version = readAlgorithm(first(p, 'x-amz-algorithm'), problems);
  const scope = readCredential(first(p, 'x-amz-credential'), problems);
  const signedAt = parseAmzDate(first(p, 'x-amz-date'));
  if (signedAt === null)
    problems.push(p.has('x-amz-date') ? 'x-amz-date is not YYYYMMDDTHHMMSSZ' : 'x-amz-date missing');
  if (!first(p, 'x-amz-signature')) problems.push('x-amz-signature missing or empty');
  if (problems.length > 0) f.add('MALFORMED_SIGNATURE', problems.join('; '));
  judgeScopeDate(scope.date, signedAt, f);
  const kind = credentialKindOf(scope.accessKeyId);
  judgeTime(signedAt, expiresAt, clock.now, f);
  judgeCredential(kind, token, f);
  return {
    ...reading(expiresAt, signedAt, clock),
    version,
    credentialKind: kind,
    signingRegion: scope.region,
    signingService: scope.service,
    hasSessionToken: token,
  };
}

function reading(expiresAt: Date | null, signedAt: Date | null, clock: Clock): SignatureReading {
  return {
    ...NO_SIGNATURE,
    signedAt: signedAt ? isoSeconds(signedAt) : null,
    expiresAt: expiresAt ? isoSeconds(expiresAt) : null,
    expiresInSeconds: secondsUntil(expiresAt, clock.now),
    lifetimeSeconds:
      expiresAt && signedAt ? Math.floor((expiresAt.getTime() - signedAt.getTime()) / 1000) : null,
  };
}
