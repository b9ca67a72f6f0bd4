import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { AccessLogLineParser } from '../../shared/access-logs/parser.js';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import type { AccessLogBatch, AccessLogSource } from '../../shared/ports/index.js';
import { LineSplitter } from '../../shared/text/line-splitter.js';
import type { RejectCounter } from '../../shared/text/rejects.js';
import { withRetry } from './retry.js';

/**
 * S3 server access logs in the simple-prefix layout (`<prefix>YYYY-mm-DD-HH-MM-SS-<unique>`), or the
 * partitioned layout (`<prefix><account>/<region>/<bucket>/YYYY/MM/DD/YYYY-mm-DD-…`): keys sort by
 * delivery time, so only objects after the checkpoint key are listed (StartAfter), day folder by
 * day folder for the partitioned layout, and the first read starts at the `since` time. Each object is one batch whose checkpoint is its key;
 * the caller advances its stored checkpoint only after the batch's results are stored
 * (at-least-once). Records repeated within or across objects are dropped by Request ID.
 */
export class S3AccessLogSource implements AccessLogSource {
  readonly name: string;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly rejects?: RejectCounter,
    /** The partitioned-prefix layout: `<prefix><account>/<region>/<source bucket>/YYYY/MM/DD/…`. */
    private readonly partitioned?: { accountId: string; region: string; sourceBucket: string },
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.name = `s3://${bucket}/${prefix}`;
  }

  /** The first key delivered at or after `since` sorts after this. */
  static startKey(prefix: string, since: Date): string {
    const d = since.toISOString();
    return `${prefix}${d.slice(0, 10)}-${d.slice(11, 13)}-${d.slice(14, 16)}-${d.slice(17, 19)}`;
  }

  /**
   * Day folders of the partitioned layout from `from`'s day to `to`'s: log objects are listed one
   * day at a time.
   */
  static partitionedDays(base: string, from: Date, to: Date): string[] {
    const out: string[] = [];
    for (let t = Math.floor(from.getTime() / 86_400_000) * 86_400_000; t <= to.getTime(); t += 86_400_000) {
      const d = new Date(t).toISOString();
      out.push(`${base}${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/`);
    }
    return out;
  }

  async *readSince(checkpoint: string | null, since: Date): AsyncIterable<AccessLogBatch> {
    const seen = new Set<string>();
    const listings: { prefix: string; startAfter: string }[] = [];
    if (this.partitioned) {
      const p = this.partitioned;
      const base = `${this.prefix}${p.accountId}/${p.region}/${p.sourceBucket}/`;
      // The checkpoint key names its day (…/YYYY/MM/DD/YYYY-MM-DD-…): resume from that day.
      const m = checkpoint ? /(\d{4})\/(\d{2})\/(\d{2})\/[^/]*$/.exec(checkpoint) : null;
      const from = m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!)) : since;
      for (const day of S3AccessLogSource.partitionedDays(base, from, this.clock())) {
        const startAfter = checkpoint?.startsWith(day) ? checkpoint : S3AccessLogSource.startKey(day, since);
        listings.push({ prefix: day, startAfter });
      }
    } else {
      listings.push({
        prefix: this.prefix,
        startAfter: checkpoint ?? S3AccessLogSource.startKey(this.prefix, since),
      });
    }
    for (const { prefix, startAfter } of listings) {
      const pages = paginateListObjectsV2(
        { client: this.s3 },
        { Bucket: this.bucket, Prefix: prefix, StartAfter: startAfter },
      );
      for await (const page of pages) {
        for (const obj of page.Contents ?? []) {
          if (obj.Key) yield await this.readObject(obj.Key, seen);
        }
      }
    }
  }

  private async readObject(key: string, seen: Set<string>): Promise<AccessLogBatch> {
    const text = await withRetry(async () => {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return (await out.Body?.transformToByteArray()) ?? new Uint8Array();
    });
    const records: AccessLogRecord[] = [];
    const parser = new AccessLogLineParser();
    const splitter = new LineSplitter((buf, a, b, n) => {
      if (a === b) return;
      const r = parser.parse(buf, a, b);
      if (!r.ok) {
        this.rejects?.add(key, n, r.error);
        return;
      }
      const id = r.value.requestId;
      if (id) {
        if (seen.has(id)) return;
        seen.add(id);
      }
      records.push(r.value);
    });
    splitter.push(text);
    splitter.end();
    return { records, checkpoint: key, origin: `s3://${this.bucket}/${key}` };
  }
}
