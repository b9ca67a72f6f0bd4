import { randomBytes } from 'node:crypto';

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * The key of a delivered server access log object in the simple-prefix format (aws-facts §2.3):
 * `TargetPrefix` + `YYYY-mm-DD-HH-MM-SS-UniqueString`, the time being the delivery time in UTC.
 *
 * @example
 * accessLogObjectKey('logs/', new Date('2013-11-01T21:32:16Z'), 'E568B2907131C0C0');
 * // 'logs/2013-11-01-21-32-16-E568B2907131C0C0'
 */
export function accessLogObjectKey(targetPrefix: string, deliveredAt: Date, uniqueString: string): string {
  const d = deliveredAt;
  return `${targetPrefix}${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}-${pad2(
    d.getUTCHours(),
  )}-${pad2(d.getUTCMinutes())}-${pad2(d.getUTCSeconds())}-${uniqueString}`;
}

/** 16 upper-case hex digits, the shape of S3's `x-amz-request-id` and of log keys' UniqueString. */
export function newRequestId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}

/** An `x-amz-id-2` value: 76 base64 characters, as S3 returns. */
export function newHostId(): string {
  return randomBytes(56).toString('base64');
}

/** The Key field of an access log record: URL-encoded, slashes kept (as S3 writes it). */
export function accessLogKeyField(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/');
}
