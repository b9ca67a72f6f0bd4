import { redactText } from '../endpoints/redact.js';

/**
 * A deep copy of a JSON-like value with every string (keys included) passed through the product's
 * redaction: presigned-URL secrets can hide in any field of a log record, an observation or an
 * error message. Never throws; non-JSON values (functions, symbols) are dropped like JSON does.
 *
 * @example
 * redactDeep({ requestUri: 'GET /k?X-Amz-Signature=abc HTTP/1.1' });
 * // { requestUri: 'GET /k?X-Amz-Signature=REDACTED HTTP/1.1' }
 */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redactText(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value instanceof Date) return value.toISOString() as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === 'function' || typeof v === 'symbol') continue;
      out[redactText(k)] = redactDeep(v);
    }
    return out as T;
  }
  return value;
}
