import { createHash } from 'node:crypto';
import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { AccessLogLineParser } from '../../shared/access-logs/parser.js';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import type { AccessLogBatch, AccessLogSource } from '../../shared/ports/index.js';
import { parseError } from '../../shared/result.js';
import { LineSplitter } from '../../shared/text/line-splitter.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { gunzipIfGzip, isZlibError } from '../lib/gzip-stream.js';
import { sniffFirstByte } from '../lib/input.js';
import { readAccessLogChunks } from '../lib/read-access-logs.js';
import { AwsCallError } from './retry.js';
import { type ObjectStreamOptions, s3ObjectBytes } from './s3-object-stream.js';

/** The partitioned-prefix layout: `<prefix><account>/<region>/<source bucket>/YYYY/MM/DD/…`. */
export interface PartitionedPrefix {
  accountId: string;
  region: string;
  sourceBucket: string;
  /**
   * `EventTime` (S3's default): the folder is the day the requests happened, and every key of a
   * day reads `YYYY-MM-DD-00-00-00-…`; `DeliveryTime`: folder and key name the delivery time.
   * @default 'EventTime'
   */
  dateSource?: 'EventTime' | 'DeliveryTime';
}

export interface S3AccessLogOptions {
  rejects?: RejectCounter;
  partitioned?: PartitionedPrefix;
  clock?: () => Date;
  /**
   * How far before the newest object already read the next run looks again, for objects whose
   * upload finished later than a newer one's (their Last-Modified is older). @default 15
   */
  slackMinutes?: number;
  /**
   * EventTime layout: days back from the checkpoint whose folders are listed again, for logs
   * delivered after their day ended ("most … within a few hours"). @default 2
   */
  eventTimeLookbackDays?: number;
  stream?: ObjectStreamOptions;
}

/**
 * The position after a batch: the newest Last-Modified read (`hwm`, ISO) and the objects read
 * within the slack before it (`done`: key digest → Last-Modified, epoch seconds). Stored as JSON
 * text; the port treats it as opaque.
 */
export interface AccessLogCheckpoint {
  v: 2;
  hwm: string;
  done: Record<string, number>;
}

/** Key names carry a time (`…YYYY-MM-DD-hh-mm-ss-<unique>`) within a few minutes of Last-Modified. */
const NAME_MARGIN_MS = 3_600_000;
const DAY = 86_400_000;

const digest = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 16);

/** The delivery time in a log object's name, or null. */
export function accessLogKeyTime(key: string): number | null {
  const m = /(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-[^/]*$/.exec(key);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : null;
}

/**
 * Reads a stored checkpoint: the JSON of {@link AccessLogCheckpoint}, or (from earlier versions)
 * the last key read, whose name gives the time. Null for none or one that cannot be read.
 */
export function parseAccessLogCheckpoint(text: string | null): AccessLogCheckpoint | null {
  if (!text) return null;
  if (text.startsWith('{')) {
    try {
      const c = JSON.parse(text) as Partial<AccessLogCheckpoint>;
      if (
        c.v === 2 &&
        typeof c.hwm === 'string' &&
        !Number.isNaN(Date.parse(c.hwm)) &&
        c.done &&
        typeof c.done === 'object'
      )
        return { v: 2, hwm: c.hwm, done: c.done };
    } catch {
      // Unreadable: start again from `since` (at-least-once).
    }
    return null;
  }
  const t = accessLogKeyTime(text);
  return t === null ? null : { v: 2, hwm: new Date(t).toISOString(), done: { [digest(text)]: t / 1000 } };
}

interface Candidate {
  key: string;
  lm: number;
}

/**
 * S3 server access logs, read only from objects new since the checkpoint, for the simple prefix
 * (`<prefix>YYYY-MM-DD-hh-mm-ss-<unique>`) and the partitioned one (`EventTime` or `DeliveryTime`).
 *
 * Why not just `StartAfter` the last key: a key's time is the delivery time to the second and the
 * rest is a random string, so two objects delivered in the same second, or one whose upload
 * finished after a later-named one, would sort before the checkpoint and be skipped; in the
 * EventTime layout every key of a day has the same time and objects for past days keep arriving.
 * So objects are ordered by Last-Modified: each run lists the folders that can hold new objects
 * (keys after the checkpoint time less a margin; for EventTime, the day folders from a few days
 * before), keeps those modified at or after the checkpoint's high-water mark less a slack and not
 * already read, and reads them oldest first. The checkpoint after each object records the new
 * high-water mark and the objects read within the slack.
 *
 * One batch per object. The caller stores a batch's checkpoint only after the batch's results are
 * stored: after a crash the next run reads the same objects again (at-least-once, never a loss),
 * and once a checkpoint is stored its objects are never read again. Records repeated within a run
 * (S3 may deliver a record twice) are dropped by Request ID.
 */
export class S3AccessLogSource implements AccessLogSource {
  readonly name: string;
  private readonly opts: S3AccessLogOptions;
  private readonly clock: () => Date;
  private readonly slackMs: number;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
    rejectsOrOptions?: RejectCounter | S3AccessLogOptions,
    partitioned?: PartitionedPrefix,
    clock?: () => Date,
  ) {
    const base: S3AccessLogOptions =
      rejectsOrOptions && !('add' in rejectsOrOptions)
        ? rejectsOrOptions
        : rejectsOrOptions
          ? { rejects: rejectsOrOptions as RejectCounter }
          : {};
    this.opts = {
      ...base,
      ...(partitioned ? { partitioned } : {}),
      ...(clock ? { clock } : {}),
    };
    this.clock = this.opts.clock ?? (() => new Date());
    this.slackMs = (this.opts.slackMinutes ?? 15) * 60_000;
    this.name = `s3://${bucket}/${prefix}`;
  }

  /** The first key named at or after `since` sorts after this. */
  static startKey(prefix: string, since: Date): string {
    const d = since.toISOString();
    return `${prefix}${d.slice(0, 10)}-${d.slice(11, 13)}-${d.slice(14, 16)}-${d.slice(17, 19)}`;
  }

  /** Day folders of the partitioned layout from `from`'s day to `to`'s. */
  static partitionedDays(base: string, from: Date, to: Date): string[] {
    const out: string[] = [];
    for (let t = Math.floor(from.getTime() / DAY) * DAY; t <= to.getTime(); t += DAY) {
      const d = new Date(t).toISOString();
      out.push(`${base}${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/`);
    }
    return out;
  }

  /** The listings (prefix, start-after) that can hold objects modified at or after `floor`. */
  listings(floor: number): { prefix: string; startAfter?: string }[] {
    const p = this.opts.partitioned;
    const named = new Date(floor - NAME_MARGIN_MS);
    if (!p) return [{ prefix: this.prefix, startAfter: S3AccessLogSource.startKey(this.prefix, named) }];
    const base = `${this.prefix}${p.accountId}/${p.region}/${p.sourceBucket}/`;
    if ((p.dateSource ?? 'EventTime') === 'DeliveryTime') {
      return S3AccessLogSource.partitionedDays(base, named, this.clock()).map((day, i) =>
        i === 0 ? { prefix: day, startAfter: S3AccessLogSource.startKey(day, named) } : { prefix: day },
      );
    }
    const lookback = (this.opts.eventTimeLookbackDays ?? 2) * DAY;
    return S3AccessLogSource.partitionedDays(base, new Date(floor - lookback), this.clock()).map((day) => ({
      prefix: day,
    }));
  }

  async *readSince(checkpoint: string | null, since: Date): AsyncIterable<AccessLogBatch> {
    const cp = parseAccessLogCheckpoint(checkpoint);
    const hwm = cp ? Date.parse(cp.hwm) : since.getTime();
    const floor = cp ? hwm - this.slackMs : since.getTime();
    const done = new Map(Object.entries(cp?.done ?? {}));

    const candidates: Candidate[] = [];
    for (const { prefix, startAfter } of this.listings(floor)) {
      const pages = paginateListObjectsV2(
        { client: this.s3 },
        { Bucket: this.bucket, Prefix: prefix, ...(startAfter ? { StartAfter: startAfter } : {}) },
      );
      try {
        for await (const page of pages) {
          for (const obj of page.Contents ?? []) {
            if (!obj.Key || obj.Key.endsWith('/')) continue;
            const lm = obj.LastModified?.getTime() ?? accessLogKeyTime(obj.Key) ?? floor;
            if (lm < floor || done.has(digest(obj.Key))) continue;
            candidates.push({ key: obj.Key, lm });
          }
        }
      } catch (e) {
        throw new AwsCallError(`S3 ListObjectsV2 s3://${this.bucket}/${prefix}`, e);
      }
    }
    candidates.sort((a, b) => a.lm - b.lm || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

    const seen = new Set<string>();
    let mark = hwm;
    for (const c of candidates) {
      const records = await this.readObject(c.key, seen);
      mark = Math.max(mark, c.lm);
      done.set(digest(c.key), Math.floor(c.lm / 1000));
      const keep: Record<string, number> = {};
      for (const [k, t] of done) if (t * 1000 >= mark - this.slackMs - 1000) keep[k] = t;
      const next: AccessLogCheckpoint = { v: 2, hwm: new Date(mark).toISOString(), done: keep };
      yield { records, checkpoint: JSON.stringify(next), origin: `s3://${this.bucket}/${c.key}` };
    }
  }

  /**
   * One log object's records, repeats within the run dropped by Request ID. Text as S3 writes it,
   * or, when it starts with `{`, CloudWatch Logs JSON: records S3 delivers to CloudWatch Logs, or
   * subscription payloads a Firehose stream wrote (gzip or not). A damaged gzip object keeps the
   * records before the damage and is counted (`BAD_ENCODING`).
   */
  private async readObject(key: string, seen: Set<string>): Promise<AccessLogRecord[]> {
    const records: AccessLogRecord[] = [];
    const rejects = this.opts.rejects ?? new RejectCounter();
    const keep = (r: AccessLogRecord): void => {
      const id = r.requestId;
      if (id) {
        if (seen.has(id)) return;
        seen.add(id);
      }
      records.push(r);
    };
    try {
      const bytes = await sniffFirstByte(
        gunzipIfGzip(s3ObjectBytes(this.s3, this.bucket, key, this.opts.stream)),
      );
      if (bytes.firstByte === 0x7b) {
        for await (const batch of readAccessLogChunks({ name: key, ...bytes }, { rejects }))
          for (const r of batch) keep(r);
        return records;
      }
      const parser = new AccessLogLineParser();
      const splitter = new LineSplitter((buf, a, b, n) => {
        if (a === b) return;
        const r = parser.parse(buf, a, b);
        if (!r.ok) {
          rejects.add(key, n, r.error);
          return;
        }
        keep(r.value);
      });
      for await (const chunk of bytes.chunks) splitter.push(chunk);
      splitter.end();
    } catch (e) {
      if (!isZlibError(e)) throw e;
      rejects.add(
        key,
        0,
        parseError('BAD_ENCODING', `unreadable gzip: ${(e as Error).message.slice(0, 120)}`),
      );
    }
    return records;
  }
}
