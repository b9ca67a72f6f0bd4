import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { parseCloudTrailEvent } from '../../shared/cloudtrail/parser.js';
import type { CloudTrailRecord } from '../../shared/cloudtrail/types.js';
import type { CloudTrailQuery, CloudTrailSource } from '../../shared/ports/index.js';
import { parseError } from '../../shared/result.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { withRetry } from './retry.js';

/**
 * CloudTrail log files in S3 (`<prefix>AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/…json.gz`):
 * lists only the days of the window and keeps the S3 data events on the queried bucket and keys.
 * Optional: data events are opt-in and paid; PathGuard's own trail logs only the probe prefix.
 */
export class S3CloudTrailSource implements CloudTrailSource {
  readonly name: string;

  constructor(
    private readonly s3: S3Client,
    private readonly loc: { bucket: string; prefix: string; accountId: string; region: string },
    private readonly rejects: RejectCounter = new RejectCounter(),
  ) {
    this.name = `s3://${loc.bucket}/${loc.prefix}`;
  }

  static dayPrefixes(
    loc: { prefix: string; accountId: string; region: string },
    from: Date,
    to: Date,
  ): string[] {
    const out: string[] = [];
    for (let t = Math.floor(from.getTime() / 86_400_000) * 86_400_000; t <= to.getTime(); t += 86_400_000) {
      const d = new Date(t).toISOString();
      out.push(
        `${loc.prefix}AWSLogs/${loc.accountId}/CloudTrail/${loc.region}/${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/`,
      );
    }
    return out;
  }

  async *findEvents(query: CloudTrailQuery): AsyncIterable<CloudTrailRecord[]> {
    const keys = query.keys ? new Set(query.keys) : null;
    const from = query.window.from.getTime();
    const to = query.window.to.getTime();
    for (const prefix of S3CloudTrailSource.dayPrefixes(this.loc, query.window.from, query.window.to)) {
      for await (const page of paginateListObjectsV2(
        { client: this.s3 },
        { Bucket: this.loc.bucket, Prefix: prefix },
      )) {
        for (const obj of page.Contents ?? []) {
          const key = obj.Key;
          if (!key?.endsWith('.json.gz') && !key?.endsWith('.json')) continue;
          const bytes = await withRetry(async () => {
            const out = await this.s3.send(new GetObjectCommand({ Bucket: this.loc.bucket, Key: key }));
            return (await out.Body?.transformToByteArray()) ?? new Uint8Array();
          });
          let doc: { Records?: unknown[] };
          try {
            doc = JSON.parse(
              (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : Buffer.from(bytes)).toString(
                'utf8',
              ),
            );
          } catch (e) {
            this.rejects.add(key, 0, parseError('BAD_JSON', (e as Error).message.slice(0, 120)));
            continue;
          }
          const batch: CloudTrailRecord[] = [];
          (doc.Records ?? []).forEach((ev, i) => {
            const r = parseCloudTrailEvent(ev);
            if (!r.ok) {
              this.rejects.add(key, i + 1, r.error);
              return;
            }
            const rec = r.value;
            if (!rec) return;
            const t = rec.eventTime ? Date.parse(rec.eventTime) : Number.NaN;
            if (!(t >= from && t <= to)) return;
            if (query.bucket && rec.bucketName !== query.bucket) return;
            if (keys && (!rec.key || !keys.has(rec.key))) return;
            batch.push(rec);
          });
          if (batch.length > 0) yield batch;
        }
      }
    }
  }
}
