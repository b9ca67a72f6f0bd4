import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { CloudTrailRecord } from '../../shared/cloudtrail/types.js';
import type { CloudTrailQuery, CloudTrailSource } from '../../shared/ports/index.js';
import { parseError } from '../../shared/result.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { gunzipIfGzip } from '../lib/gzip-stream.js';
import { readCloudTrailChunks } from '../lib/read-cloudtrail.js';
import { AwsCallError } from './retry.js';
import { type ObjectStreamOptions, s3ObjectBytes } from './s3-object-stream.js';

export interface CloudTrailLocation {
  bucket: string;
  /** The trail's S3 key prefix, before `AWSLogs/` (may be empty; ends with `/` when not). */
  prefix: string;
  accountId: string;
  region: string;
  /** An organization trail: `AWSLogs/<org-id>/<account>/CloudTrail/…`. */
  orgId?: string;
  /**
   * How long after the window a file may still be delivered with its events ("typically … about
   * 5 minutes … not guaranteed"). @default 60
   */
  deliveryTailMinutes?: number;
}

const DAY = 86_400_000;

/** The delivery time in a CloudTrail file name (`…_CloudTrail_<region>_YYYYMMDDTHHmmZ_<unique>.json.gz`). */
export function cloudTrailFileTime(key: string): number | null {
  const m = /_CloudTrail_[a-z0-9-]+_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[^/]*$/.exec(key);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!) : null;
}

/**
 * CloudTrail log files in S3 (`<prefix>AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/…json.gz`):
 * lists only the day folders from the window's start to its end plus the delivery tail, skips
 * files delivered before the window began (a file holds events written before its delivery
 * time), and keeps the S3 data events on the queried bucket and keys within the window. Files are
 * streamed (a broken download resumes) and read one event at a time by the same reader as `parse
 * cloudtrail` (a log file, or CloudWatch Logs subscription payloads a Firehose stream wrote);
 * Insights and other events are counted as skipped, bad events and a file that is not JSON in
 * `rejects`. Optional: data events are opt-in and paid.
 */
export class S3CloudTrailSource implements CloudTrailSource {
  readonly name: string;

  constructor(
    private readonly s3: S3Client,
    private readonly loc: CloudTrailLocation,
    private readonly rejects: RejectCounter = new RejectCounter(),
    private readonly stream: ObjectStreamOptions = {},
  ) {
    this.name = `s3://${loc.bucket}/${loc.prefix}`;
  }

  static dayPrefixes(
    loc: Pick<CloudTrailLocation, 'prefix' | 'accountId' | 'region' | 'orgId'>,
    from: Date,
    to: Date,
  ): string[] {
    const out: string[] = [];
    const root = `${loc.prefix}AWSLogs/${loc.orgId ? `${loc.orgId}/` : ''}${loc.accountId}/CloudTrail/${loc.region}/`;
    for (let t = Math.floor(from.getTime() / DAY) * DAY; t <= to.getTime(); t += DAY) {
      const d = new Date(t).toISOString();
      out.push(`${root}${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/`);
    }
    return out;
  }

  async *findEvents(query: CloudTrailQuery): AsyncIterable<CloudTrailRecord[]> {
    const keys = query.keys ? new Set(query.keys) : null;
    const from = query.window.from.getTime();
    const to = query.window.to.getTime();
    const last = to + (this.loc.deliveryTailMinutes ?? 60) * 60_000;
    for (const prefix of S3CloudTrailSource.dayPrefixes(this.loc, query.window.from, new Date(last))) {
      const files: string[] = [];
      try {
        for await (const page of paginateListObjectsV2(
          { client: this.s3 },
          { Bucket: this.loc.bucket, Prefix: prefix },
        )) {
          for (const obj of page.Contents ?? []) {
            const key = obj.Key;
            if (!key || !(key.endsWith('.json.gz') || key.endsWith('.json'))) continue;
            const delivered = cloudTrailFileTime(key);
            if (delivered !== null && (delivered < from || delivered > last)) continue;
            files.push(key);
          }
        }
      } catch (e) {
        throw new AwsCallError(`S3 ListObjectsV2 s3://${this.loc.bucket}/${prefix}`, e);
      }
      for (const key of files) {
        const batch: CloudTrailRecord[] = [];
        try {
          const bytes = gunzipIfGzip(s3ObjectBytes(this.s3, this.loc.bucket, key, this.stream));
          for await (const records of readCloudTrailChunks(key, bytes, { rejects: this.rejects })) {
            for (const rec of records) {
              const t = rec.eventTime ? Date.parse(rec.eventTime) : Number.NaN;
              if (!(t >= from && t <= to)) continue;
              if (query.bucket && rec.bucketName !== query.bucket) continue;
              if (keys && (!rec.key || !keys.has(rec.key))) continue;
              batch.push(rec);
            }
          }
        } catch (e) {
          if (e instanceof AwsCallError) throw e;
          this.rejects.add(
            key,
            0,
            parseError('BAD_ENCODING', `unreadable gzip: ${(e as Error).message.slice(0, 120)}`),
          );
        }
        if (batch.length > 0) yield batch;
      }
    }
  }
}
