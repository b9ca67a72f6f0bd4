import { randomBytes } from 'node:crypto';
import { formatAccessLogRecord } from '../../../shared/access-logs/index.js';
import type { AccessLogRecord } from '../../../shared/access-logs/types.js';
import { type LabBucket, storeObject } from './store.js';

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

/**
 * The endpoint's server access logs: every line written, and the lines pending per logging target
 * until {@link AccessLogDelivery.flush} delivers them as objects of the target bucket.
 */
export class AccessLogDelivery {
  private readonly written: { readonly bucket: string; readonly line: string }[] = [];
  /** Pending lines per logging target `bucket\nprefix`. */
  private readonly pending = new Map<string, string[]>();

  /** Writes a request's record when its bucket has logging; a bucket without logs nothing. */
  write(bucket: LabBucket, record: AccessLogRecord): void {
    const logging = bucket.config.logging;
    if (!logging) return;
    const line = formatAccessLogRecord(record);
    this.written.push({ bucket: bucket.config.name, line });
    const target = `${logging.targetBucket}\n${logging.targetPrefix}`;
    const list = this.pending.get(target);
    if (list) list.push(line);
    else this.pending.set(target, [line]);
  }

  /** Every line written so far (of one bucket, or all), delivered or not, in request order. */
  lines(bucket?: string): string[] {
    return this.written.filter((l) => bucket === undefined || l.bucket === bucket).map((l) => l.line);
  }

  /** Delivers the pending lines, one object per target; returns the `bucket/key` of each. */
  flush(buckets: ReadonlyMap<string, LabBucket>, at: Date): string[] {
    const delivered: string[] = [];
    for (const [target, lines] of this.pending) {
      const [targetBucket, targetPrefix] = target.split('\n') as [string, string];
      const b = buckets.get(targetBucket);
      // S3 drops logs whose target bucket is gone; so does the lab.
      if (!b || lines.length === 0) continue;
      const key = accessLogObjectKey(targetPrefix, at, newRequestId());
      storeObject(b, key, Buffer.from(`${lines.join('\n')}\n`, 'utf8'), 'text/plain', new Map(), at);
      delivered.push(`${targetBucket}/${key}`);
    }
    this.pending.clear();
    return delivered;
  }
}
