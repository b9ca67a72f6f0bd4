import type { AccessLogRecord } from '../access-logs/types.js';
import type { HostScope } from '../classify/host-scope.js';
import type { EvidenceSource, PathDecision } from '../classify/types.js';
import type { CloudTrailRecord } from '../cloudtrail/types.js';
import type { FlowRecord } from '../flow-logs/types.js';

/**
 * How a log record was tied to a probe, strongest first: the S3 request id the runner saw, the
 * probe's unique object key within its URL's lifetime, or (flow logs) the runner's addresses, the
 * remote address and port and a time window overlapping the fetch.
 */
export type MatchMethod = 'request-id' | 'key-and-time' | 'flow-window';

interface MatchedBase {
  matchedBy: MatchMethod;
  /** Identity of the record within its source: a duplicated log record shares it and counts once. */
  dedupKey: string;
  /** Where the record was read (log object key, file name, log stream), when known. */
  origin?: string | null;
}

/** A log record matched to a probe, before classification. */
export type MatchedRecord =
  | (MatchedBase & { source: 'flow'; record: FlowRecord })
  | (MatchedBase & { source: 's3-access'; record: AccessLogRecord })
  | (MatchedBase & { source: 'cloudtrail'; record: CloudTrailRecord });

/**
 * A matched log record with the path the classifier read from it. The decision is made against
 * the environment of the run that matched the record and kept: a later change of routes must not
 * rewrite what an old record showed.
 */
export interface EvidenceItem extends MatchedBase {
  source: EvidenceSource;
  decision: PathDecision;
  record: FlowRecord | AccessLogRecord | CloudTrailRecord;
}

/** Classifiers bound to one environment (see shared/classify). `flow` is null for records without addresses. */
export interface Classifiers {
  /** With a host scope, a record to an interface endpoint that cannot serve that host is not private. */
  flow(r: FlowRecord, scope?: HostScope): PathDecision | null;
  access(r: AccessLogRecord): PathDecision;
  cloudtrail(r: CloudTrailRecord): PathDecision;
}
