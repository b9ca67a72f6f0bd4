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

/**
 * A flat record (a parsed log line: strings, numbers, nulls, string arrays) with every string
 * passed through the product's redaction, whatever its field: a presigned URL's secrets can reach
 * a key, a user agent, a host header or a field AWS adds next year as easily as the Request-URI.
 * Copy on write: returns the same object when nothing was removed, which is the common case, so
 * printing records costs one pre-check per string (see `redactText`).
 *
 * @example
 * out += `${JSON.stringify(redactRecord(record))}\n`;
 */
export function redactRecord<T extends object>(record: T): T {
  const src = record as Record<string, unknown>;
  let out: Record<string, unknown> | null = null;
  for (const k in src) {
    const v = src[k];
    let w: unknown = v;
    if (typeof v === 'string') w = redactText(v);
    else if (Array.isArray(v)) w = redactArray(v);
    if (w !== v) {
      out ??= { ...src };
      out[k] = w;
    }
  }
  return (out ?? record) as T;
}

function redactArray(values: readonly unknown[]): readonly unknown[] {
  let out: unknown[] | null = null;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const w = typeof v === 'string' ? redactText(v) : v;
    if (w !== v) {
      out ??= values.slice();
      out[i] = w;
    }
  }
  return out ?? values;
}
