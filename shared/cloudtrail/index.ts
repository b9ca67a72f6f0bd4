/** CloudTrail: S3 data events and network-activity events, flattened for path classification. */
export {
  type CloudTrailResult,
  isPathEvidenceEvent,
  parseCloudTrailEvent,
  parseCloudTrailJson,
  S3_EVENT_SOURCE,
  toCloudTrailRecord,
} from './parser.js';
export type { CloudTrailRecord } from './types.js';
