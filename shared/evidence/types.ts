import type { AccessLogRecord } from '../access-logs/types.js';
import type { EvidenceSource, PathDecision } from '../classify/types.js';
import type { CloudTrailRecord } from '../cloudtrail/types.js';
import type { FlowRecord } from '../flow-logs/types.js';

/** A log record matched to a probe, with the path the classifier read from it. */
export interface EvidenceItem {
  source: EvidenceSource;
  /** How it was matched: `request-id`, `key-and-time`, `flow-window`. */
  matchedBy: 'request-id' | 'key-and-time' | 'flow-window';
  /** Identity of the record, so a duplicated log record counts once. */
  dedupKey: string;
  decision: PathDecision;
  record: FlowRecord | AccessLogRecord | CloudTrailRecord;
}

/** Classifiers bound to one environment (see shared/classify). */
export interface Classifiers {
  flow(r: FlowRecord): PathDecision | null;
  access(r: AccessLogRecord): PathDecision;
  cloudtrail(r: CloudTrailRecord): PathDecision;
}
