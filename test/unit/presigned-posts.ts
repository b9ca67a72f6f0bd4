import { createHmac } from 'node:crypto';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { createPresignedPost, type PresignedPostOptions } from '@aws-sdk/s3-presigned-post';
import { vi } from 'vitest';
import { LONG_TERM, SIGNED_AT, type TEMPORARY } from './presigned-urls.js';

/**
 * Real presigned POST forms for tests: made by `createPresignedPost` from
 * @aws-sdk/s3-presigned-post with fake static credentials at a fixed time, and as botocore's
 * `generate_presigned_post` makes them (its steps reproduced below, signatures computed for real).
 */

export interface PostForm {
  url: string;
  fields: Record<string, string>;
}

const noNetwork = {
  handle: () => Promise.reject(new Error('tests must not send requests; presigning is local')),
};

/** A form from `createPresignedPost`, signed at {@link SIGNED_AT}. */
export async function presignPost(
  config: Partial<S3ClientConfig>,
  params: PresignedPostOptions,
  credentials: typeof LONG_TERM | typeof TEMPORARY = LONG_TERM,
): Promise<PostForm> {
  const client = new S3Client({
    credentials,
    region: 'us-east-1',
    requestHandler: noNetwork as unknown as S3ClientConfig['requestHandler'],
    ...config,
  });
  // createPresignedPost signs at Date.now(): hold the clock at the signing time.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(SIGNED_AT);
  try {
    const { url, fields } = await createPresignedPost(client, params);
    return { url, fields: { ...fields } };
  } finally {
    vi.useRealTimers();
    client.destroy();
  }
}

export interface Boto3PostOptions {
  readonly bucket: string;
  readonly key: string;
  readonly fields?: Record<string, string>;
  readonly conditions?: unknown[];
  /** `ExpiresIn`, 3600 by default as in boto3. */
  readonly expiresIn?: number;
  /** `s3` (SigV2, botocore's default for presigning in us-east-1 and other older Regions) or `s3v4`. */
  readonly signatureVersion?: 's3' | 's3v4';
  readonly region?: string;
  readonly url?: string;
  readonly credentials?: typeof LONG_TERM | typeof TEMPORARY;
}

/** Python's `json.dumps` with its default separators (`, ` and `: `), for ASCII input. */
function pyJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pyJson).join(', ')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}: ${pyJson(x)}`)
      .join(', ')}}`;
  return JSON.stringify(v);
}

/**
 * A form as botocore's `generate_presigned_post` returns it (botocore `signers.py`
 * `generate_presigned_post` and `S3PostPresigner`, `auth.py` `HmacV1PostAuth` and
 * `S3SigV4PostAuth`): conditions `{"bucket"}` then `{"key"}` (or `starts-with` for `${filename}`),
 * the field `key`; then, by the signer, `AWSAccessKeyId` (SigV2) or the `x-amz-*` fields with a
 * condition each, the session token as field and condition, `policy` (base64 of `json.dumps`),
 * and `signature` (base64 HMAC-SHA1) or `x-amz-signature` (hex HMAC-SHA256 with the SigV4 key).
 */
export function boto3PresignedPost(o: Boto3PostOptions): PostForm {
  const credentials = o.credentials ?? LONG_TERM;
  const region = o.region ?? 'us-east-1';
  const fields: Record<string, string> = { ...(o.fields ?? {}) };
  const conditions: unknown[] = [...(o.conditions ?? [])];
  conditions.push({ bucket: o.bucket });
  if (o.key.endsWith('${filename}'))
    conditions.push(['starts-with', '$key', o.key.slice(0, -'${filename}'.length)]);
  else conditions.push({ key: o.key });
  fields.key = o.key;
  const expiration = new Date(SIGNED_AT.getTime() + (o.expiresIn ?? 3600) * 1000);
  const policy: { expiration: string; conditions: unknown[] } = {
    expiration: expiration.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    conditions,
  };
  const token = 'sessionToken' in credentials ? credentials.sessionToken : undefined;
  const url = o.url ?? `https://${o.bucket}.s3.amazonaws.com/`;
  if ((o.signatureVersion ?? 's3') === 's3') {
    fields.AWSAccessKeyId = credentials.accessKeyId;
    if (token) {
      fields['x-amz-security-token'] = token;
      conditions.push({ 'x-amz-security-token': token });
    }
    fields.policy = Buffer.from(pyJson(policy), 'utf8').toString('base64');
    fields.signature = createHmac('sha1', credentials.secretAccessKey).update(fields.policy).digest('base64');
    return { url, fields };
  }
  const amzDate = SIGNED_AT.toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const scope = `${credentials.accessKeyId}/${day}/${region}/s3/aws4_request`;
  fields['x-amz-algorithm'] = 'AWS4-HMAC-SHA256';
  fields['x-amz-credential'] = scope;
  fields['x-amz-date'] = amzDate;
  conditions.push({ 'x-amz-algorithm': 'AWS4-HMAC-SHA256' });
  conditions.push({ 'x-amz-credential': scope });
  conditions.push({ 'x-amz-date': amzDate });
  if (token) {
    fields['x-amz-security-token'] = token;
    conditions.push({ 'x-amz-security-token': token });
  }
  fields.policy = Buffer.from(pyJson(policy), 'utf8').toString('base64');
  const hmac = (k: Buffer | string, s: string) => createHmac('sha256', k).update(s).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region), 's3'), 'aws4_request');
  fields['x-amz-signature'] = createHmac('sha256', key).update(fields.policy).digest('hex');
  return { url, fields };
}

/** Base64 of a policy document, for hand-made bad forms. */
export function policyOf(doc: unknown): string {
  return Buffer.from(JSON.stringify(doc), 'utf8').toString('base64');
}
