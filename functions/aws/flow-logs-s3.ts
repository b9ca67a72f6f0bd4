import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { FlowLogStreamParser } from '../../shared/flow-logs/index.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import type { FlowLogSource, FlowQuery } from '../../shared/ports/index.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { withRetry } from './retry.js';

export interface S3FlowLogLocation {
  bucket: string;
  /** The flow log's own prefix, before `AWSLogs/` (may be empty). */
  prefix: string;
  accountId: string;
  region: string;
  /** Hive-compatible prefixes (`aws-account-id=…/aws-service=vpcflowlogs/…`). */
  hive?: boolean;
  /** Hourly partitions. */
  hourly?: boolean;
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * The date (and hour) prefixes a time window touches, in the plain or the Hive-compatible layout
 * AWS documents for flow logs delivered to S3:
 * `…/AWSLogs/<acct>/vpcflowlogs/<region>/YYYY/MM/DD[/HH]/` or
 * `…/AWSLogs/aws-account-id=<acct>/aws-service=vpcflowlogs/aws-region=<region>/year=YYYY/month=MM/day=DD[/hour=HH]/`.
 */
export function flowLogPrefixes(loc: S3FlowLogLocation, from: Date, to: Date): string[] {
  const out: string[] = [];
  const step = loc.hourly ? 3_600_000 : 86_400_000;
  const start = Math.floor(from.getTime() / step) * step;
  for (let t = start; t <= to.getTime(); t += step) {
    const d = new Date(t);
    const [y, m, day, h] = [
      d.getUTCFullYear(),
      pad(d.getUTCMonth() + 1),
      pad(d.getUTCDate()),
      pad(d.getUTCHours()),
    ];
    const base = loc.hive
      ? `${loc.prefix}AWSLogs/aws-account-id=${loc.accountId}/aws-service=vpcflowlogs/aws-region=${loc.region}/year=${y}/month=${m}/day=${day}/${loc.hourly ? `hour=${h}/` : ''}`
      : `${loc.prefix}AWSLogs/${loc.accountId}/vpcflowlogs/${loc.region}/${y}/${m}/${day}/${loc.hourly ? `${h}/` : ''}`;
    out.push(base);
  }
  return out;
}

/** `…_20180620T1620Z_…`: files hold records ending in the 5 minutes from that time. */
function fileTime(key: string): number | null {
  const m = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_/.exec(key);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5])) : null;
}

/**
 * Flow logs delivered to S3 (gzip text with a header line): lists only the date/hour prefixes of
 * the window, skips files whose name says they end before the window or start after it, and
 * parses each file with its own header (the format the flow log was created with).
 */
export class S3FlowLogSource implements FlowLogSource {
  readonly name: string;

  constructor(
    private readonly s3: S3Client,
    private readonly loc: S3FlowLogLocation,
    private readonly rejects: RejectCounter = new RejectCounter(),
  ) {
    this.name = `s3://${loc.bucket}/${loc.prefix}`;
  }

  async *findFlows(query: FlowQuery): AsyncIterable<FlowRecord[]> {
    const { from, to } = query.window;
    for (const prefix of flowLogPrefixes(this.loc, from, to)) {
      for await (const page of paginateListObjectsV2(
        { client: this.s3 },
        { Bucket: this.loc.bucket, Prefix: prefix },
      )) {
        for (const obj of page.Contents ?? []) {
          const key = obj.Key;
          if (!key || key.endsWith('.parquet')) continue;
          const t = fileTime(key);
          // Delivery is late by design: keep 10 minutes of slack on both sides of the name's time.
          if (t !== null && (t + 15 * 60_000 < from.getTime() || t - 10 * 60_000 > to.getTime())) continue;
          const bytes = await withRetry(async () => {
            const out = await this.s3.send(new GetObjectCommand({ Bucket: this.loc.bucket, Key: key }));
            return (await out.Body?.transformToByteArray()) ?? new Uint8Array();
          });
          const text = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : Buffer.from(bytes);
          const batch: FlowRecord[] = [];
          // S3-delivered text files start with their header line: it gives the format.
          const parser = new FlowLogStreamParser({
            source: key,
            rejects: this.rejects,
            onRecord: (r) => batch.push(r),
          });
          parser.push(text);
          parser.end();
          if (batch.length > 0) yield batch;
        }
      }
    }
  }
}
