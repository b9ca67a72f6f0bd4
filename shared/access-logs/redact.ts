import { redactRecord } from '../evidence/redact-deep.js';
import type { AccessLogRecord } from './types.js';

/**
 * The record with presigned-URL secrets removed from every string field: the Request-URI (a
 * presigned GET logs its whole query string, signature included) and the Referer most often, but
 * a key, user agent, host header, error code or a trailing field AWS adds can carry one too.
 * Every output of a record goes through this; records in memory keep what S3 logged. Returns the
 * same object when there was nothing to remove.
 *
 * @example
 * out.write(`${JSON.stringify(redactAccessLogRecord(record))}\n`);
 */
export function redactAccessLogRecord(r: AccessLogRecord): AccessLogRecord {
  return redactRecord(r);
}
