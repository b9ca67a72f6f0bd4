import { redactText } from '../endpoints/redact.js';
import type { AccessLogRecord } from './types.js';

/**
 * The record with presigned-URL secrets removed from the fields that can carry a URL: the
 * Request-URI (a presigned GET logs its whole query string, signature included) and the Referer.
 * Every output of a record goes through this; records in memory keep what S3 logged. Returns the
 * same object when there was nothing to remove.
 *
 * @example
 * out.write(`${JSON.stringify(redactAccessLogRecord(record))}\n`);
 */
export function redactAccessLogRecord(r: AccessLogRecord): AccessLogRecord {
  const requestUri = r.requestUri === null ? null : redactText(r.requestUri);
  const referer = r.referer === null ? null : redactText(r.referer);
  if (requestUri === r.requestUri && referer === r.referer) return r;
  return { ...r, requestUri, referer };
}
