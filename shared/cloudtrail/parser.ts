import { fail, ok, type ParseError, parseError } from '../result.js';
import type { SkipCode } from '../text/rejects.js';
import type { CloudTrailRecord } from './types.js';

/**
 * One event's outcome: a record PathGuard reads; a well-formed event passed over, with why
 * (`INSIGHT_EVENT`, `NOT_PATH_EVENT`: counted as skipped, never as a reject); or a reject.
 */
export type CloudTrailResult =
  | { ok: true; value: CloudTrailRecord }
  | { ok: true; value: null; skip: Extract<SkipCode, 'INSIGHT_EVENT' | 'NOT_PATH_EVENT'> }
  | { ok: false; error: ParseError };

/** The `eventSource` of Amazon S3 in CloudTrail. */
export const S3_EVENT_SOURCE = 's3.amazonaws.com';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Strings as they are; numbers and booleans as text; anything else (absent, objects) `null`. */
function str(v: unknown): string | null {
  if (typeof v === 'string') return v === '' ? null : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

/** A string, or the first string of an array (older events log `"host": ["..."]`). */
function firstStr(v: unknown): string | null {
  if (Array.isArray(v)) return v.length > 0 ? str(v[0]) : null;
  return str(v);
}

function section(event: Json, name: string): Json | null {
  const v = event[name];
  return isObject(v) ? v : null;
}

/** Bucket and key from the event's S3 resources (`arn:aws:s3:::bucket/key`, any partition). */
function fromResources(event: Json): { bucket: string | null; key: string | null } {
  const resources = event.resources;
  if (!Array.isArray(resources)) return { bucket: null, key: null };
  let bucket: string | null = null;
  for (const r of resources) {
    if (!isObject(r) || typeof r.ARN !== 'string') continue;
    const m = /^arn:[^:]+:s3:::([^/]+)(?:\/(.*))?$/.exec(r.ARN);
    if (!m) continue;
    if (r.type === 'AWS::S3::Object' && m[2] !== undefined) return { bucket: m[1]!, key: m[2] };
    bucket ??= m[1]!;
  }
  return { bucket, key: null };
}

/**
 * Flattens any CloudTrail event into a {@link CloudTrailRecord}, whatever its kind. `host` is
 * `requestParameters.Host` (or the lower-case `host` of older events), else
 * `tlsDetails.clientProvidedHostHeader`; `signatureVersion`, `authenticationMethod` and `hostId`
 * (`x-amz-id-2`) come from `additionalEventData`; bucket and key fall back to the event's S3
 * resource ARNs. Missing values are `null`.
 *
 * @example
 * const r = toCloudTrailRecord(event); // r.vpcEndpointId, r.sourceIPAddress, ...
 */
export function toCloudTrailRecord(event: Json): CloudTrailRecord {
  const params = section(event, 'requestParameters');
  const extra = section(event, 'additionalEventData');
  const tls = section(event, 'tlsDetails');
  let bucketName = str(params?.bucketName);
  let key = str(params?.key);
  if (bucketName === null || key === null) {
    const r = fromResources(event);
    bucketName ??= r.bucket;
    if (key === null && r.bucket === bucketName) key = r.key;
  }
  return {
    eventTime: str(event.eventTime),
    eventSource: str(event.eventSource),
    eventName: str(event.eventName),
    eventCategory: str(event.eventCategory),
    awsRegion: str(event.awsRegion),
    sourceIPAddress: str(event.sourceIPAddress),
    vpcEndpointId: str(event.vpcEndpointId),
    vpcEndpointAccountId: str(event.vpcEndpointAccountId),
    bucketName,
    key,
    host: firstStr(params?.Host) ?? firstStr(params?.host) ?? str(tls?.clientProvidedHostHeader),
    authenticationMethod: str(extra?.AuthenticationMethod),
    signatureVersion: str(extra?.SignatureVersion),
    requestId: str(event.requestID),
    hostId: str(extra?.['x-amz-id-2']),
    eventId: str(event.eventID),
    userAgent: str(event.userAgent),
    errorCode: str(event.errorCode),
  };
}

/**
 * Whether an event is one PathGuard reads: an S3 data event, or a network-activity event (calls
 * through a VPC endpoint, including those its policy denied). Events written before CloudTrail
 * added `eventCategory` count as data events when `managementEvent` is false or, lacking that too,
 * when they name an S3 object among their resources.
 */
export function isPathEvidenceEvent(event: Json): boolean {
  const category = event.eventCategory;
  if (category === 'NetworkActivity') return true;
  if (event.eventSource !== S3_EVENT_SOURCE) return false;
  if (category !== undefined) return category === 'Data';
  if (event.managementEvent === false) return true;
  if (event.managementEvent === true) return false;
  const resources = event.resources;
  return Array.isArray(resources) && resources.some((r) => isObject(r) && r.type === 'AWS::S3::Object');
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function isIsoTime(v: unknown): boolean {
  return typeof v === 'string' && ISO_TIME.test(v) && !Number.isNaN(Date.parse(v));
}

/**
 * A CloudTrail Insights event: `eventType` `AwsCloudTrailInsight`, `eventCategory` `Insight`
 * (AWS CloudTrail user guide, "CloudTrail record contents for Insights events for trails"). It
 * reports an unusual API call or error rate, not a request, and has no top-level `eventSource`
 * or `eventName` (they are inside `insightDetails`).
 */
function isInsightEvent(event: Json): boolean {
  return event.eventCategory === 'Insight' || event.eventType === 'AwsCloudTrailInsight';
}

/**
 * Checks and flattens one CloudTrail event. Three outcomes, never a throw:
 * `{ ok: true, value: record }` for an S3 data or network-activity event; `{ ok: true, value: null,
 * skip }` for a well-formed event of another kind (an Insights event, `INSIGHT_EVENT`; any other,
 * `NOT_PATH_EVENT`: skipped, not an error); `{ ok: false, error }` for something that is not a
 * CloudTrail event (NOT_A_RECORD), a bad `eventTime` (BAD_TIME) or a section of the wrong type
 * (BAD_VALUE).
 *
 * @example
 * const r = parseCloudTrailEvent(event);
 * if (!r.ok) rejects.add(name, n, r.error); else if (r.value) out.push(r.value); else rejects.skip(r.skip);
 */
export function parseCloudTrailEvent(value: unknown): CloudTrailResult {
  if (!isObject(value)) return fail(parseError('NOT_A_RECORD', 'not a JSON object'));
  if (isInsightEvent(value)) {
    if (!isIsoTime(value.eventTime))
      return fail(parseError('BAD_TIME', 'eventTime is not an ISO 8601 time', 'eventTime'));
    if (!isObject(value.insightDetails))
      return fail(
        parseError('BAD_VALUE', 'Insights event without an insightDetails object', 'insightDetails'),
      );
    return { ok: true, value: null, skip: 'INSIGHT_EVENT' };
  }
  if (typeof value.eventSource !== 'string' || typeof value.eventName !== 'string') {
    return fail(parseError('NOT_A_RECORD', 'not a CloudTrail event (no eventSource or eventName)'));
  }
  if (!isIsoTime(value.eventTime)) {
    return fail(parseError('BAD_TIME', 'eventTime is not an ISO 8601 time', 'eventTime'));
  }
  for (const name of ['requestParameters', 'additionalEventData', 'tlsDetails'] as const) {
    const v = value[name];
    if (v !== undefined && v !== null && !isObject(v)) {
      return fail(parseError('BAD_VALUE', `${name} is not an object`, name));
    }
  }
  if (value.resources !== undefined && value.resources !== null && !Array.isArray(value.resources)) {
    return fail(parseError('BAD_VALUE', 'resources is not an array', 'resources'));
  }
  if (!isPathEvidenceEvent(value)) return { ok: true, value: null, skip: 'NOT_PATH_EVENT' };
  return ok(toCloudTrailRecord(value));
}

/**
 * {@link parseCloudTrailEvent} for one event given as JSON text (a line, or a CloudWatch Logs
 * message); BAD_JSON when it is not JSON.
 *
 * @example
 * const r = parseCloudTrailJson('{"eventVersion":"1.11","eventSource":"s3.amazonaws.com",...}');
 */
export function parseCloudTrailJson(text: string): CloudTrailResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail(parseError('BAD_JSON', 'not valid JSON'));
  }
  return parseCloudTrailEvent(value);
}
