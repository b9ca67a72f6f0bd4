export { ACCESS_RULES, classifyAccessLogRecord } from './access-log.js';
export { CLOUDTRAIL_RULES, classifyCloudTrailRecord } from './cloudtrail.js';
export { classifyFlowRecord, FLOW_CLASSIFICATION_FIELDS, FLOW_RULES } from './flow.js';
export { type EvidenceSource, isPrivatePath, type PathDecision, type PathKind } from './types.js';

/** Every path, in the order reports list them. */
export const PATH_KINDS = [
  'gateway-endpoint',
  'interface-endpoint',
  'vpc-endpoint',
  'nat-gateway',
  'internet-gateway',
  'public',
  'unknown',
  'not-s3',
] as const;
