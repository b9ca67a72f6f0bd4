/**
 * Ports: how the domain reaches the outside world. Adapters in `functions/` implement them (AWS:
 * functions/aws; lab: functions/lab). The domain never imports an adapter.
 */
import type { AccessLogRecord } from '../access-logs/types.js';
import type { CloudTrailRecord } from '../cloudtrail/types.js';
import { PathGuardError } from '../errors.js';
import type { FlowRecord } from '../flow-logs/types.js';
import type { RealTrafficAggregate } from '../reports/real-traffic.js';

export interface TimeWindow {
  from: Date;
  to: Date;
}

/** Flow-log records that may involve the given addresses/ENIs and overlap the window. */
export interface FlowQuery {
  window: TimeWindow;
  /** Addresses on either side of the flow (runner addresses, remote addresses). */
  addresses: string[];
  /** ENIs whose records to read, when known (narrows CloudWatch log streams). */
  eniIds?: string[];
}

/**
 * Records a source read and left out of its batches because none of their addresses is an
 * address of the query (shared/evidence/flow-queries.ts, flowAddressFilter): they cannot match a
 * probe, but they were read and count as read.
 */
export interface FlowRecordsPassedOver {
  readonly passedOver: number;
}

export interface FlowLogSource {
  readonly name: string;
  /**
   * The source returns every record of a query's window whatever its addresses (S3 objects are
   * read whole): the analyzer sends it one query for all vantages, not one each. @default false
   */
  readonly readsWholeWindow?: boolean;
  /**
   * Yields batches; a source may return records outside the query (the caller filters), and may
   * leave out records none of whose addresses is a query address if it counts them
   * ({@link FlowRecordsPassedOver}).
   */
  findFlows(query: FlowQuery): AsyncIterable<FlowRecord[] | FlowRecordsPassedOver>;
}

/** A batch of access-log records and the checkpoint reached after it. */
export interface AccessLogBatch {
  records: AccessLogRecord[];
  /** Opaque position to resume after this batch (e.g. the last log object key read). */
  checkpoint: string;
  /** Where the records came from (object key or file), for evidence. */
  origin: string;
  /**
   * Presigned requests a query engine already grouped for the real-traffic audit (the Athena
   * engine aggregates them instead of returning each request); absent for the direct readers,
   * whose records the audit counts one by one.
   */
  aggregates?: RealTrafficAggregate[];
}

export interface AccessLogSource {
  readonly name: string;
  /** Records of log objects/files newer than `checkpoint` (null: from the beginning of `since`). */
  readSince(checkpoint: string | null, since: Date): AsyncIterable<AccessLogBatch>;
}

export interface CloudTrailQuery {
  window: TimeWindow;
  bucket?: string;
  keys?: string[];
}

export interface CloudTrailSource {
  readonly name: string;
  findEvents(query: CloudTrailQuery): AsyncIterable<CloudTrailRecord[]>;
}

/** A JSON object read from the store with its version tag for conditional writes. */
export interface StoredJson<T> {
  value: T;
  etag: string;
}

export interface PutCondition {
  /** Write only if the current object's ETag equals this (optimistic update). */
  ifMatch?: string;
  /** `*`: write only if no object exists (create once). */
  ifNoneMatch?: '*';
}

/** Raised by a store when a conditional write lost a race (S3 412 PreconditionFailed / 409). */
export class WriteConflictError extends PathGuardError {
  constructor(
    readonly key: string,
    options?: ErrorOptions,
  ) {
    super('WRITE_CONFLICT', `conditional write lost a race for ${key}`, { key }, options);
  }
}

/** The results bucket (or a folder in the lab). Keys are `/`-separated relative paths. */
export interface ObjectStore {
  getJson<T>(key: string): Promise<StoredJson<T> | null>;
  /** Throws WriteConflictError when `condition` does not hold. Returns the new ETag. */
  putJson(key: string, value: unknown, condition?: PutCondition): Promise<{ etag: string }>;
  putBytes(key: string, body: Uint8Array, contentType: string): Promise<{ etag: string }>;
  /** Keys under `prefix`, in lexicographic order, after `startAfter` when given. */
  list(prefix: string, startAfter?: string): AsyncIterable<string>;
}

export type AlertSeverity = 'critical' | 'warning' | 'info';

/** One alert, rendered for every channel. Contains no secret (URLs redacted). */
export interface RenderedAlert {
  /** Dedup key: target, style, vantage and kind. */
  dedupKey: string;
  severity: AlertSeverity;
  /** Email subject, at most 100 characters. */
  subject: string;
  /** Plain-text body for email. */
  text: string;
  /** AWS Chatbot custom-notification document (version 1.0, source custom). */
  chatbot: Record<string, unknown>;
  /** SNS message attributes (severity, verdict, vantage, bucket, ...). */
  attributes: Record<string, string>;
}

export interface AlertSink {
  /** Resolves only when the channel accepted the alert; rejects otherwise. */
  publish(alert: RenderedAlert): Promise<{ messageId: string }>;
}

/** A presigned-URL minting service (the AWS SDK in functions/; never in shared/). */
export interface Presigner {
  presignGet(req: PresignRequest): Promise<string>;
  /**
   * A presigned upload of exactly `size` bytes whose SHA-256 is `sha256Base64`: a PutObject URL
   * (`put`) or a POST form (`post`) for the request's bucket, key and endpoint style.
   */
  presignUpload(req: PresignUploadRequest): Promise<PresignedUpload>;
  presignPut(req: {
    bucket: string;
    key: string;
    region: string;
    expiresInSeconds: number;
    contentType?: string;
  }): Promise<string>;
}

export interface PresignRequest {
  bucket: string;
  key: string;
  region: string;
  style: import('../probes/types.js').EndpointStyle;
  expiresInSeconds: number;
  accessPointArn?: string;
  /** Multi-Region Access Point ARN for the `mrap` style. */
  mrapArn?: string;
  /** Interface endpoint DNS name for the `interface-endpoint` style. */
  interfaceEndpointDns?: string;
}

/**
 * Removes the object an upload probe created (S3 DeleteObject in AWS). Only the analyzer calls it,
 * and only for keys under the probe prefix of a target bucket.
 */
export interface ProbeObjectRemover {
  deleteProbeObject(bucket: string, key: string): Promise<void>;
}

/** What {@link Presigner.presignUpload} presigns: the object's key, style, size and checksum. */
export interface PresignUploadRequest extends PresignRequest {
  method: 'put' | 'post';
  /** The exact size of the upload, in bytes (signed: S3 refuses any other length). */
  size: number;
  /** Base64 SHA-256 of the bytes to upload (`x-amz-checksum-sha256`). */
  sha256Base64: string;
}

/** A minted upload: a presigned PutObject URL, or a presigned POST form. Both are credentials. */
export type PresignedUpload =
  | { method: 'put'; url: string }
  | { method: 'post'; form: import('../endpoints/post-form.js').PresignedPostForm };

/** Clock port, so verdict deadlines are testable. */
export type Clock = () => Date;
