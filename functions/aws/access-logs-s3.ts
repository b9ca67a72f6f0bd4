import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { AccessLogLineParser } from '../../shared/access-logs/parser.js';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import type { AccessLogBatch, AccessLogSource } from '../../shared/ports/index.js';
import { LineSplitter } from '../../shared/text/line-splitter.js';
import type { RejectCounter } from '../../shared/text/rejects.js';
import { withRetry } from './retry.js';

/**
 * S3 server access logs in the simple-prefix layout (`<prefix>YYYY-mm-DD-HH-MM-SS-<unique>`): keys
 * sort by delivery time, so only objects after the checkpoint key are listed (StartAfter), and
 * the first read starts at the `since` time. Each object is one batch whose checkpoint is its key;
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
  ) {
    this.name = `s3://${bucket}/${prefix}`;
  }

  /** The first key delivered at or after `since` sorts after this. */
  static startKey(prefix: string, since: Date): string {
    const d = since.toISOString();
    return `${prefix}${d.slice(0, 10)}-${d.slice(11, 13)}-${d.slice(14, 16)}-${d.slice(17, 19)}`;
  }

  async *readSince(checkpoint: string | null, since: Date): AsyncIterable<AccessLogBatch> {
    const seen = new Set<string>();
    const startAfter = checkpoint ?? S3AccessLogSource.startKey(this.prefix, since);
    const pages = paginateListObjectsV2(
      { client: this.s3 },
      { Bucket: this.bucket, Prefix: this.prefix, StartAfter: startAfter },
    );
    for await (const page of pages) {
      for (const obj of page.Contents ?? []) {
        if (!obj.Key) continue;
        const key = obj.Key;
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
        yield { records, checkpoint: key, origin: `s3://${this.bucket}/${key}` };
      }
    }
  }
}
