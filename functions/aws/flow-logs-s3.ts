import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { UserInputError } from '../../shared/errors.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import type { FlowLogSource, FlowQuery } from '../../shared/ports/index.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { readFlowObject } from '../lib/flow-object.js';
import type { FlowLogConfig } from './discovery.js';
import { AwsCallError } from './retry.js';
import { type ObjectStreamOptions, s3ObjectBytes } from './s3-object-stream.js';

export interface S3FlowLogLocation {
  bucket: string;
  /** The flow log's own prefix, before `AWSLogs/` (may be empty; ends with `/` when not). */
  prefix: string;
  accountId: string;
  region: string;
  /** Hive-compatible prefixes (`aws-account-id=…/aws-service=vpcflowlogs/…`). */
  hive?: boolean;
  /** Hourly partitions. */
  hourly?: boolean;
  /** Logs centralised under an organization id: `AWSLogs/<org-id>/<account>/…`. */
  orgId?: string;
}

/**
 * A file named `…_YYYYMMDDTHHmmZ_…` holds the records whose end time falls in the 5 minutes from
 * that time; a record ends at most one aggregation interval (10 minutes) after its traffic. So a
 * window's traffic is in files named from 5 minutes before it to 10 minutes after it (with a
 * further 5 minutes of margin on the early side).
 */
const BEFORE_MS = 10 * 60_000;
const AFTER_MS = 10 * 60_000;

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * The date (and hour) prefixes a time window touches, in the plain or the Hive-compatible layout
 * AWS documents for flow logs delivered to S3:
 * `…/AWSLogs/<acct>/vpcflowlogs/<region>/YYYY/MM/DD[/HH]/` or
 * `…/AWSLogs/aws-account-id=<acct>/aws-service=vpcflowlogs/aws-region=<region>/year=YYYY/month=MM/day=DD[/hour=HH]/`.
 * The window is taken as given; {@link S3FlowLogSource} widens it by the delivery margins first.
 */
export function flowLogPrefixes(loc: S3FlowLogLocation, from: Date, to: Date): string[] {
  const out: string[] = [];
  const step = loc.hourly ? 3_600_000 : 86_400_000;
  const start = Math.floor(from.getTime() / step) * step;
  const root = `${loc.prefix}AWSLogs/${loc.orgId ? `${loc.orgId}/` : ''}`;
  for (let t = start; t <= to.getTime(); t += step) {
    const d = new Date(t);
    const [y, m, day, h] = [
      d.getUTCFullYear(),
      pad(d.getUTCMonth() + 1),
      pad(d.getUTCDate()),
      pad(d.getUTCHours()),
    ];
    out.push(
      loc.hive
        ? `${root}aws-account-id=${loc.accountId}/aws-service=vpcflowlogs/aws-region=${loc.region}/year=${y}/month=${m}/day=${day}/${loc.hourly ? `hour=${h}/` : ''}`
        : `${root}${loc.accountId}/vpcflowlogs/${loc.region}/${y}/${m}/${day}/${loc.hourly ? `${h}/` : ''}`,
    );
  }
  return out;
}

/** The time in a flow-log file name (`…_20180620T1620Z_…`), or null. */
export function flowFileTime(key: string): number | null {
  const m = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[^/]*$/.exec(key);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5])) : null;
}

/** Where a flow log discovery found delivers: `arn:aws:s3:::bucket/optional/prefix/` + its options. */
export function s3FlowLogLocation(
  flowLog: FlowLogConfig,
  account: { accountId: string; region: string },
): S3FlowLogLocation {
  const m = /^arn:aws[a-z-]*:s3:::([^/]+)(?:\/(.*))?$/.exec(flowLog.destination);
  if (flowLog.destinationType !== 's3' || !m) {
    throw new UserInputError(
      'FLOW_LOG_NOT_S3',
      `flow log ${flowLog.flowLogId} delivers to ${flowLog.destinationType} (${flowLog.destination}), not to S3`,
    );
  }
  const prefix = m[2] ?? '';
  return {
    bucket: m[1]!,
    prefix: prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix,
    accountId: account.accountId,
    region: account.region,
    hive: flowLog.s3?.hiveCompatiblePartitions ?? false,
    hourly: flowLog.s3?.perHourPartition ?? false,
  };
}

/**
 * Flow logs delivered to S3 (gzip text whose first line is the header of field names). For a
 * query it lists only the date (or hour) folders of the window, widened by the delivery margins,
 * skips files whose name says they cannot hold the window's records, and streams each file
 * (constant memory, a broken download resumed where it stopped) through a parser that takes the
 * format from the file's own header. Parquet files (`….log.parquet`, aws-facts §10.3) are read
 * whole (their footer is at the end; AWS closes a file at 75 MB) and decoded row group by row
 * group, their columns naming the fields. A corrupt or truncated gzip or Parquet file is counted
 * (`BAD_ENCODING`) after the records before the damage; reading goes on with the next file.
 */
export class S3FlowLogSource implements FlowLogSource {
  readonly name: string;
  /** Objects are read whole: one query for all vantages reads each once. */
  readonly readsWholeWindow = true;

  constructor(
    private readonly s3: S3Client,
    private readonly loc: S3FlowLogLocation,
    private readonly rejects: RejectCounter = new RejectCounter(),
    private readonly stream: ObjectStreamOptions = {},
  ) {
    this.name = `s3://${loc.bucket}/${loc.prefix}`;
  }

  /** A source for a flow log discovery found (destination ARN, Hive and hourly options). */
  static fromFlowLog(
    s3: S3Client,
    flowLog: FlowLogConfig,
    account: { accountId: string; region: string },
    rejects?: RejectCounter,
  ): S3FlowLogSource {
    return new S3FlowLogSource(s3, s3FlowLogLocation(flowLog, account), rejects);
  }

  /** The keys of the files that may hold the window's records, folder by folder. */
  async *candidateKeys(from: Date, to: Date): AsyncGenerator<string> {
    const lo = from.getTime() - BEFORE_MS;
    const hi = to.getTime() + AFTER_MS;
    for (const prefix of flowLogPrefixes(this.loc, new Date(lo), new Date(hi))) {
      const pages = paginateListObjectsV2({ client: this.s3 }, { Bucket: this.loc.bucket, Prefix: prefix });
      try {
        for await (const page of pages) {
          for (const obj of page.Contents ?? []) {
            const key = obj.Key;
            if (!key || key.endsWith('/')) continue;
            const t = flowFileTime(key);
            if (t !== null && (t < lo || t > hi)) continue;
            yield key;
          }
        }
      } catch (e) {
        throw new AwsCallError(`S3 ListObjectsV2 s3://${this.loc.bucket}/${prefix}`, e);
      }
    }
  }

  async *findFlows(query: FlowQuery): AsyncIterable<FlowRecord[]> {
    for await (const key of this.candidateKeys(query.window.from, query.window.to))
      yield* this.readObject(key);
  }

  /** The records of one object, read in this thread. */
  readObject(key: string): AsyncGenerator<FlowRecord[]> {
    return readFlowObject(key, this.objectBytes(key), this.rejects);
  }

  /** The raw bytes of one object, streamed (a broken download resumed where it stopped). */
  objectBytes(key: string): AsyncGenerator<Buffer> {
    return s3ObjectBytes(this.s3, this.loc.bucket, key, this.stream);
  }
}
