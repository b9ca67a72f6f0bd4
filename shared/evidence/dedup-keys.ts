/**
 * Which log records are one: logs repeat records (server access logs are best effort and may
 * deliver twice; exports overlap), so every match carries a key per source and counts once.
 */
import type { AccessLogRecord } from '../access-logs/types.js';
import type { CloudTrailRecord } from '../cloudtrail/types.js';
import { redactText } from '../endpoints/redact.js';
import type { FlowRecord } from '../flow-logs/types.js';
import { canonicalJson } from './canonical.js';

/** Access-log identity: S3 logs one record per request, so a repeated Request ID is a duplicate delivery. */
export function accessLogDedupKey(r: AccessLogRecord): string {
  if (r.requestId) return `s3-access:${r.requestId}:${r.operation ?? '-'}:${r.key ?? '-'}`;
  // Redacted: a key may be stored and printed, and the Request-URI of a presigned GET holds its signature.
  return `s3-access:${redactText(canonicalJson(r))}`;
}

/** CloudTrail identity: the event id (unique per event), else the request id and event name. */
export function cloudTrailDedupKey(r: CloudTrailRecord): string {
  if (r.eventId) return `cloudtrail:${r.eventId}`;
  if (r.requestId) return `cloudtrail:${r.requestId}:${r.eventName ?? '-'}`;
  return `cloudtrail:${redactText(canonicalJson(r))}`;
}

/** Flow identity: the whole record (the same flow read from CloudWatch and from S3 is one flow). */
export function flowDedupKey(r: FlowRecord): string {
  return `flow:${canonicalJson(r)}`;
}
