/**
 * POST Object: a browser-style upload with a presigned POST form (`createPresignedPost`,
 * `generate_presigned_post`), sent as `multipart/form-data` to the bucket. S3 authenticates the
 * form, not the request: the SigV4 signature is an HMAC of the base64 `Policy` field under the
 * credential's signing key, and the policy's expiration and conditions decide what may be stored.
 *
 * Checked in this order, each refusal answered as S3 answers it:
 * 1. the body is a multipart form (`MalformedPOSTRequest`);
 * 2. {@link authenticatePostForm}: algorithm, credential, known key, a policy, the signature over
 *    the policy text (`InvalidArgument`, `InvalidAccessKeyId`, `SignatureDoesNotMatch`);
 * 3. then (after the endpoint's Region and bucket-policy checks) {@link postObject}: the policy
 *    reads (`InvalidPolicyDocument`), has not expired ("Invalid according to Policy: Policy
 *    expired."), names every field sent ("Extra input fields: …"), every condition holds ("Policy
 *    Condition failed: […]"), a key and one file were sent, and the file's size is within
 *    `content-length-range` (`EntityTooSmall` / `EntityTooLarge`);
 * 4. the object is stored and the answer follows `success_action_status` (`204` by default, `200`,
 *    or `201` with a `PostResponse` document).
 */
import { timingSafeEqual } from 'node:crypto';
import { type PostPolicyCondition, readPostPolicy } from '../../../../shared/endpoints/post-form.js';
import { notImplemented, type S3Reply, type S3Request } from '../exchange.js';
import type { MultipartForm } from '../multipart.js';
import { type AuthOutcome, type LabCredential, parseAmzDate, parseScope, sigV4Signature } from '../sigv4.js';
import { storeObject } from '../store.js';
import { escapeXml } from '../xml.js';

/** A form field's value by name, without case (S3 reads form field names so). */
function field(form: MultipartForm, name: string): string | undefined {
  return form.fields.get(name.toLowerCase())?.value;
}

/** The key the upload is stored under: the `key` field with `${filename}` replaced by the file's name. */
export function formObjectKey(form: MultipartForm): string | null {
  const key = field(form, 'key');
  if (key === undefined || key === '') return null;
  return key.replaceAll('${filename}', form.file?.filename ?? '');
}

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your key and signing method.';

function refuse(
  status: 400 | 403,
  code: Extract<AuthOutcome, { kind: 'error' }>['code'],
  message: string,
  details: readonly (readonly [string, string])[] = [],
): AuthOutcome {
  // The form's signature travels in the body: AWS documents only AuthHeader, QueryString and `-`
  // as Authentication Type (aws-facts §2.1); the lab logs a form upload as AuthHeader.
  return { kind: 'error', authType: 'AuthHeader', status, code, message, details };
}

/**
 * Authenticates a POST form: no signature and no policy is an anonymous request; otherwise SigV4
 * (`X-Amz-Algorithm` AWS4-HMAC-SHA256, a well-formed `X-Amz-Credential` of a known key, an
 * `X-Amz-Date` of the credential's day, a `Policy`) and `X-Amz-Signature` equal to the HMAC of the
 * policy's base64 text. A null form (not multipart) is `MalformedPOSTRequest`.
 */
export function authenticatePostForm(
  form: MultipartForm | null,
  keys: ReadonlyMap<string, LabCredential>,
): AuthOutcome {
  if (form === null)
    return refuse(
      400,
      'MalformedPOSTRequest',
      'The body of your POST request is not well-formed multipart/form-data.',
    );
  const policy = field(form, 'policy');
  const signature = field(form, 'x-amz-signature');
  if (policy === undefined && signature === undefined) {
    if (field(form, 'signature') !== undefined || field(form, 'awsaccesskeyid') !== undefined)
      return refuse(400, 'InvalidArgument', 'SigV2 POST forms are not supported by this endpoint', [
        ['ArgumentName', 'Signature'],
      ]);
    return { kind: 'anonymous' };
  }
  const algorithm = field(form, 'x-amz-algorithm');
  if (algorithm !== 'AWS4-HMAC-SHA256')
    return refuse(400, 'InvalidArgument', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"', [
      ['ArgumentName', 'x-amz-algorithm'],
    ]);
  const scope = parseScope(field(form, 'x-amz-credential') ?? '');
  if (!scope)
    return refuse(400, 'InvalidArgument', 'Bucket POST must contain a valid x-amz-credential field', [
      ['ArgumentName', 'x-amz-credential'],
    ]);
  const key = keys.get(scope.keyId);
  if (!key)
    return refuse(
      403,
      'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.',
      [['AWSAccessKeyId', scope.keyId]],
    );
  const amzDate = field(form, 'x-amz-date') ?? '';
  if (!parseAmzDate(amzDate) || amzDate.slice(0, 8) !== scope.date)
    return refuse(
      400,
      'InvalidArgument',
      "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
      [['ArgumentName', 'x-amz-date']],
    );
  if (policy === undefined)
    return refuse(
      400,
      'InvalidArgument',
      "Bucket POST must contain a field named 'policy'.  If it is specified, please check the order of the fields.",
      [['ArgumentName', 'policy']],
    );
  const expected = sigV4Signature(key.secretAccessKey, scope.date, scope.region, scope.service, policy);
  const given = signature ?? '';
  if (given.length !== expected.length || !timingSafeEqual(Buffer.from(given), Buffer.from(expected)))
    return refuse(403, 'SignatureDoesNotMatch', SIGNATURE_MISMATCH);
  return { kind: 'signed', authType: 'AuthHeader', credential: key, region: scope.region };
}

/** Fields S3 does not require the policy to name (its docs: the signature, the file, the policy, `x-ignore-*`). */
function exempt(name: string): boolean {
  return name === 'x-amz-signature' || name === 'policy' || name === 'file' || name.startsWith('x-ignore-');
}

/** A condition as S3 prints it in "Policy Condition failed: …". */
function conditionText(c: PostPolicyCondition): string {
  if (c.kind === 'content-length-range') return `["content-length-range", ${c.min}, ${c.max}]`;
  return `["${c.kind}", "$${c.field}", "${c.value}"]`;
}

const INVALID = 'Invalid according to Policy:';

/** Whether the policy's conditions hold for this form and bucket; answers the first failure. */
function conditionsHold(
  conditions: readonly PostPolicyCondition[],
  form: MultipartForm,
  bucket: string,
  reply: S3Reply,
): boolean {
  const named = new Set(conditions.flatMap((c) => (c.kind === 'content-length-range' ? [] : [c.field])));
  for (const lower of form.fields.keys()) {
    if (!exempt(lower) && !named.has(lower)) {
      reply.fail(403, 'AccessDenied', `${INVALID} Extra input fields: ${form.fields.get(lower)!.name}`);
      return false;
    }
  }
  for (const c of conditions) {
    if (c.kind === 'content-length-range') continue;
    const actual = c.field === 'bucket' ? bucket : (field(form, c.field) ?? '');
    const holds = c.kind === 'eq' ? actual === c.value : actual.startsWith(c.value);
    if (!holds) {
      reply.fail(403, 'AccessDenied', `${INVALID} Policy Condition failed: ${conditionText(c)}`);
      return false;
    }
  }
  return true;
}

/** Whether the file's size is within every `content-length-range`; answers the failure. */
function sizeAllowed(conditions: readonly PostPolicyCondition[], size: number, reply: S3Reply): boolean {
  for (const c of conditions) {
    if (c.kind !== 'content-length-range') continue;
    if (size < c.min) {
      reply.fail(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', [
        ['ProposedSize', String(size)],
        ['MinSizeAllowed', String(c.min)],
      ]);
      return false;
    }
    if (size > c.max) {
      reply.fail(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', [
        ['ProposedSize', String(size)],
        ['MaxSizeAllowed', String(c.max)],
      ]);
      return false;
    }
  }
  return true;
}

const POLICY_ERRORS = {
  POLICY_NOT_BASE64: "Invalid Policy: Invalid 'Base64' encoding.",
  POLICY_NOT_JSON: 'Invalid Policy: Invalid JSON.',
  POLICY_INVALID: 'Invalid Policy: the document is not an expiration and a list of conditions.',
} as const;

/** Whether a request is a POST form upload (routes.ts): the table sends only those here. */
export function isFormPost(req: S3Request): boolean {
  return req.form !== undefined;
}

/** POST Object, after {@link authenticatePostForm} and the endpoint's checks (see the header). */
export function postObject(req: S3Request, reply: S3Reply): void {
  const form = req.form;
  if (!form) {
    reply.fail(
      400,
      'MalformedPOSTRequest',
      'The body of your POST request is not well-formed multipart/form-data.',
    );
    return;
  }
  for (const unsupported of ['success_action_redirect', 'redirect']) {
    if (field(form, unsupported) !== undefined) {
      notImplemented(reply, unsupported);
      return;
    }
  }
  const policy = readPostPolicy(field(form, 'policy') ?? '');
  if (!policy.ok) {
    reply.fail(400, 'InvalidPolicyDocument', POLICY_ERRORS[policy.error.code]);
    return;
  }
  if (req.now().getTime() > policy.value.expiresAtMs) {
    reply.fail(403, 'AccessDenied', `${INVALID} Policy expired.`);
    return;
  }
  const key = formObjectKey(form);
  if (key === null) {
    reply.fail(
      400,
      'InvalidArgument',
      "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
      [
        ['ArgumentName', 'key'],
        ['ArgumentValue', ''],
      ],
    );
    return;
  }
  if (!form.file) {
    reply.fail(400, 'InvalidArgument', 'POST requires exactly one file upload per request.', [
      ['ArgumentName', 'file'],
      ['ArgumentValue', '0'],
    ]);
    return;
  }
  const conditions = policy.value.conditions;
  if (!conditionsHold(conditions, form, req.bucket.config.name, reply)) return;
  if (!sizeAllowed(conditions, form.file.body.length, reply)) return;
  const contentType = field(form, 'content-type') ?? 'binary/octet-stream';
  const o = storeObject(req.bucket, key, form.file.body, contentType, new Map(), req.now());
  reply.setObjectSize(form.file.body.length);
  const location = `/${encodeURIComponent(req.bucket.config.name)}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
  const status = field(form, 'success_action_status');
  if (status === '201') {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse><Location>${escapeXml(location)}</Location><Bucket>${escapeXml(req.bucket.config.name)}</Bucket><Key>${escapeXml(key)}</Key><ETag>${escapeXml(o.etag)}</ETag></PostResponse>`;
    reply.send(
      201,
      { etag: o.etag, location, 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) },
      xml,
    );
    return;
  }
  reply.send(status === '200' ? 200 : 204, { etag: o.etag, location });
}
