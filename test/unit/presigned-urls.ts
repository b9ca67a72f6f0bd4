import { GetObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

/**
 * Real presigned URLs for tests, made by the AWS SDK for JavaScript v3 with fake static
 * credentials. Presigning is local computation; the request handler below fails any attempt to
 * send a request, so a configuration that would need the network (e.g. an S3 Express session)
 * fails the test instead of leaving the machine.
 */

/** The example key pair from the AWS documentation (IAM user guide, "Managing access keys"). */
export const LONG_TERM = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
} as const;

/** Temporary credentials shaped like an STS session (ASIA key id, base64 session token with `/`, `+`, `=`). */
export const TEMPORARY = {
  accessKeyId: 'ASIAQWERTYUIOPASDFGH',
  secretAccessKey: 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY',
  sessionToken: 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD6m7x3Y+example/session+token==',
} as const;

/** Fixed signing time so expiries are exact. */
export const SIGNED_AT = new Date('2026-01-15T10:20:00Z');

export interface PresignOptions {
  readonly credentials?: typeof LONG_TERM | typeof TEMPORARY;
  readonly expiresIn?: number;
  readonly key?: string;
}

const noNetwork = {
  handle: () => Promise.reject(new Error('tests must not send requests; presigning is local')),
};

/** A presigned GetObject URL for `bucket` with the given client settings. */
export async function presign(
  config: Partial<S3ClientConfig>,
  bucket: string,
  options: PresignOptions = {},
): Promise<string> {
  const client = new S3Client({
    credentials: options.credentials ?? LONG_TERM,
    region: 'us-east-1',
    requestHandler: noNetwork as unknown as S3ClientConfig['requestHandler'],
    ...config,
  });
  try {
    return await getSignedUrl(
      client,
      new GetObjectCommand({ Bucket: bucket, Key: options.key ?? 'reports/2026/q1.csv' }),
      {
        expiresIn: options.expiresIn ?? 900,
        signingDate: SIGNED_AT,
      },
    );
  } finally {
    client.destroy();
  }
}

/** The secrets a presigned URL carries (raw query values), for asserting that none survives redaction. */
export function secretsOf(url: string): string[] {
  const q = new URL(url).searchParams;
  const out: string[] = [];
  const sig = q.get('X-Amz-Signature') ?? q.get('Signature');
  if (sig) out.push(sig);
  const token = q.get('X-Amz-Security-Token') ?? q.get('x-amz-security-token');
  if (token) out.push(token);
  const cred = q.get('X-Amz-Credential');
  if (cred) out.push(cred.split('/')[0]!);
  const v2Key = q.get('AWSAccessKeyId');
  if (v2Key) out.push(v2Key);
  return out;
}

/** Every form a secret may take in text: raw, percent-encoded once and twice. */
export function encodedForms(secret: string): string[] {
  const once = encodeURIComponent(secret);
  return [secret, once, encodeURIComponent(once)];
}
