/**
 * What the request-logging sources (S3 server access logs, CloudTrail) offer the matcher: the
 * request id S3 returned to the runner (`x-amz-request-id`, logged as `Request ID` / `requestID`),
 * else the probe's object key within the URL's lifetime, for the operations the probe's own
 * request leaves (probe keys are unique per probe, so the key is a sound fallback).
 */
import type { AccessLogRecord } from '../access-logs/types.js';
import type { CloudTrailRecord } from '../cloudtrail/types.js';
import type { ProbeMethod } from '../probes/types.js';

/** What the key matcher reads of an access-log or CloudTrail record: the same facts, named apart. */
export interface KeyedRecord {
  readonly requestId: string | null;
  readonly operation: string | null;
  readonly bucket: string | null;
  readonly key: string | null;
  readonly time: string | null;
}

export function accessLogKeys(r: AccessLogRecord): KeyedRecord {
  return { requestId: r.requestId, operation: r.operation, bucket: r.bucket, key: r.key, time: r.time };
}

export function cloudTrailKeys(r: CloudTrailRecord): KeyedRecord {
  return {
    requestId: r.requestId,
    operation: r.eventName,
    bucket: r.bucketName,
    key: r.key,
    time: r.eventTime,
  };
}

/** Where a probe's own request is looked for by key: its object and its URL's lifetime, widened. */
export interface KeySide {
  probeId: string;
  bucket: string;
  key: string;
  /** What the runner did: only a record of that request is the probe's (see {@link PROBE_REQUESTS}). */
  method: ProbeMethod;
  fromMs: number;
  toMs: number;
}

/**
 * The records a probe's own request leaves, by method, for the key-and-time fallback: a probe key
 * also sees other requests (the probe function's PutObject that creates a GET probe's object, the
 * analyzer's DeleteObject after an upload's verdict), which are not the runner's. Access-log
 * operations are `REST.<method>.OBJECT` (aws-facts §2.1); a POST form upload is logged as
 * `REST.POST.OBJECT` and its CloudTrail event is accepted as `PostObject` or `PutObject`.
 */
export const PROBE_REQUESTS: Readonly<
  Record<ProbeMethod, { readonly accessLog: readonly string[]; readonly cloudTrail: readonly string[] }>
> = {
  get: { accessLog: ['REST.GET.OBJECT', 'REST.HEAD.OBJECT'], cloudTrail: ['GetObject', 'HeadObject'] },
  put: { accessLog: ['REST.PUT.OBJECT'], cloudTrail: ['PutObject'] },
  post: { accessLog: ['REST.POST.OBJECT'], cloudTrail: ['PostObject', 'PutObject'] },
};
