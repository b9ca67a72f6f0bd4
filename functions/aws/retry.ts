/** Error names AWS services use for throttling. */
const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'SlowDown',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
]);
const TRANSIENT = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ServiceUnavailable',
  'InternalError',
]);

/** True for throttling, 5xx and network timeouts: worth another try. */
export function isRetryable(e: unknown): boolean {
  const err = e as {
    name?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
  };
  if (err?.$retryable) return true;
  if (err?.name && (THROTTLING.has(err.name) || TRANSIENT.has(err.name))) return true;
  if (err?.code && TRANSIENT.has(err.code)) return true;
  const status = err?.$metadata?.httpStatusCode;
  return status !== undefined && (status >= 500 || status === 429);
}

export interface RetryOptions {
  /** Tries in all. @default 4 */
  readonly attempts?: number;
  /** First backoff, ms; doubles each try, with full jitter. @default 100 */
  readonly baseMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Calls `fn` again on throttling, 5xx and timeouts, with exponential backoff and full jitter.
 * The SDK clients retry too (standard mode); this outer loop covers the operations whose failure
 * would lose work (publishing an alert, storing results), and makes the policy testable.
 */
export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 4;
  const base = opts.baseMs ?? 100;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= attempts || !isRetryable(e)) throw e;
      await sleep(Math.random() * base * 2 ** (i - 1));
    }
  }
}
