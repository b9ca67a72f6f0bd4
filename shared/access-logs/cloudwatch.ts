import { fail, ok, type ParseError, parseError, type Result } from '../result.js';
import { type AccessLogRecord, emptyAccessLogRecord } from './types.js';

/**
 * S3 server access logs delivered to CloudWatch Logs are JSON objects with snake_case keys
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/sal-cw-log-format.html): `schema_version_id`,
 * `bucket_arn`, `bucket_name`, `request_time` (ISO 8601 with milliseconds), `bucket_owner_id`,
 * `remote_ip`, `requester`, `request_id`, `operation`, `key_name`, `request_uri`, `http_status`, ...
 * Later keys follow the text format's field names in snake_case; a few spellings are accepted for
 * each so that a renamed key still lands in the right field.
 */
const STRING_KEYS: readonly (readonly [keyof AccessLogRecord, readonly string[]])[] = [
  ['bucketOwner', ['bucket_owner_id', 'bucket_owner']],
  ['bucket', ['bucket_name', 'bucket']],
  ['remoteIp', ['remote_ip']],
  ['requester', ['requester']],
  ['requestId', ['request_id']],
  ['operation', ['operation']],
  ['key', ['key_name', 'key']],
  ['requestUri', ['request_uri']],
  ['errorCode', ['error_code']],
  ['referer', ['referrer', 'referer']],
  ['userAgent', ['user_agent']],
  ['versionId', ['version_id']],
  ['hostId', ['host_id']],
  ['signatureVersion', ['signature_version']],
  ['cipherSuite', ['cipher_suite']],
  ['authenticationType', ['authentication_type', 'auth_type']],
  ['hostHeader', ['host_header']],
  ['tlsVersion', ['tls_version']],
  ['accessPointArn', ['access_point_arn']],
];

const NUMBER_KEYS: readonly (readonly [keyof AccessLogRecord, readonly string[]])[] = [
  ['httpStatus', ['http_status']],
  ['bytesSent', ['bytes_sent']],
  ['objectSize', ['object_size']],
  ['totalTime', ['total_time']],
  ['turnAroundTime', ['turn_around_time', 'turnaround_time']],
];

/** Keys that mark an object as an access log record rather than some other JSON. */
const MARKER_KEYS = ['request_time', 'bucket_arn', 'bucket_name', 'request_id', 'schema_version_id'];

function pick(o: Record<string, unknown>, keys: readonly string[]): unknown {
  for (const k of keys) {
    const v = o[k];
    if (v !== undefined) return v;
  }
  return undefined;
}

function str(v: unknown): string | null {
  if (typeof v === 'string') return v === '' || v === '-' ? null : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

/**
 * Maps one JSON record S3 delivered to CloudWatch Logs onto an {@link AccessLogRecord}, the same
 * shape the text format parses to. `request_time` is normalised to ISO 8601 UTC with
 * milliseconds; absent, empty, `-` and `null` values are `null`; a boolean `acl_required` true
 * becomes `Yes` as in the text format; `source_region`, when present, is `extra[0]`, where the
 * text format carries the Region. Never throws.
 *
 * @example
 * const r = fromCloudWatchAccessLogRecord(JSON.parse(event.message));
 */
export function fromCloudWatchAccessLogRecord(value: unknown): Result<AccessLogRecord> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(parseError('NOT_A_RECORD', 'not a JSON object'));
  }
  const o = value as Record<string, unknown>;
  if (!MARKER_KEYS.some((k) => o[k] !== undefined)) {
    return fail(parseError('NOT_A_RECORD', 'JSON object has none of the access log record keys'));
  }
  const time = isoTime(o.request_time);
  if (typeof time === 'object' && time !== null) return fail(time);

  const record: AccessLogRecord = { ...emptyAccessLogRecord(), time };
  const fields = record as unknown as Record<string, string | number | null>;
  for (const [field, keys] of STRING_KEYS) fields[field] = str(pick(o, keys));
  for (const [field, keys] of NUMBER_KEYS) {
    const n = num(pick(o, keys));
    if (n === undefined) {
      return fail(parseError('BAD_NUMBER', `${keys[0]} is not a non-negative integer`, field));
    }
    fields[field] = n;
  }
  if (record.bucket === null) record.bucket = bucketFromArn(o.bucket_arn);
  const acl = o.acl_required;
  record.aclRequired = acl === true ? 'Yes' : acl === false ? null : str(acl);
  const region = str(o.source_region);
  if (region !== null) record.extra.push(region);
  return ok(record);
}

/**
 * Parses one CloudWatch Logs message holding an access log JSON record.
 *
 * @example
 * const r = parseCloudWatchAccessLogJson('{"schema_version_id":"V_1_0","request_time":"2026-01-01T00:00:00.000Z",...}');
 */
export function parseCloudWatchAccessLogJson(text: string): Result<AccessLogRecord> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail(parseError('BAD_JSON', 'not valid JSON'));
  }
  return fromCloudWatchAccessLogRecord(value);
}

/** `undefined` marks a bad value; `null` an absent one. */
function num(v: unknown): number | null | undefined {
  if (v === undefined || v === null || v === '-' || v === '') return null;
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  if (typeof v === 'string' && /^\d{1,15}$/.test(v)) return Number(v);
  return undefined;
}

function isoTime(v: unknown): string | null | ParseError {
  if (v === undefined || v === null || v === '' || v === '-') return null;
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/.test(v)) {
    return parseError('BAD_TIME', 'request_time is not an ISO 8601 time', 'time');
  }
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) return parseError('BAD_TIME', 'request_time is not an ISO 8601 time', 'time');
  return new Date(ms).toISOString();
}

/** `arn:aws:s3:::bucket` (any partition) → `bucket`. */
function bucketFromArn(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const m = /^arn:[^:]+:s3:::([^/]+)$/.exec(v);
  return m ? m[1]! : null;
}
