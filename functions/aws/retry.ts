/**
 * Retry policy for the AWS adapters, in two layers:
 *
 * 1. The SDK's own retry strategy, configured once per client with {@link awsClientConfig}:
 *    adaptive mode (exponential backoff with jitter plus a client-side rate limiter that slows
 *    down after throttling), a bounded number of attempts, and connection/request/idle timeouts
 *    so a stalled call becomes a retryable `TimeoutError` instead of hanging the Lambda. This
 *    covers every request the adapters send: throttling (`ThrottlingException`,
 *    `RequestLimitExceeded`, `SlowDown`, ...), 5xx, timeouts and connection resets.
 * 2. {@link withRetry}, only around work the SDK cannot retry: reading an S3 object's body after
 *    the response headers arrived (a reset mid-stream surfaces from the body, outside the SDK's
 *    retry middleware).
 *
 * A persistent fault surfaces as {@link AwsCallError}, naming the operation, the AWS error code,
 * the HTTP status, the request id and the attempts made.
 */

import { ServiceCallError } from '../../shared/errors.js';

/** Error names AWS services use for throttling (the SDK's own list, plus older spellings). */
const THROTTLING = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);
/** Timeouts and network faults: the request may not have reached AWS, or its answer was lost. */
const TRANSIENT = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ServiceUnavailable',
  'InternalError',
  'InternalFailure',
]);

interface AwsErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number };
  $retryable?: unknown;
}

/** True for throttling, 5xx and network timeouts: worth another try. */
export function isRetryable(e: unknown): boolean {
  const err = e as AwsErrorShape | null | undefined;
  if (!err || typeof err !== 'object') return false;
  if (err instanceof AwsCallError) return isRetryable(err.cause);
  if (err.$retryable) return true;
  if (err.name && (THROTTLING.has(err.name) || TRANSIENT.has(err.name))) return true;
  if (err.code && TRANSIENT.has(err.code)) return true;
  const status = err.$metadata?.httpStatusCode;
  return status !== undefined && (status >= 500 || status === 429);
}

/** True when AWS asked us to slow down (as opposed to a server fault or a timeout). */
export function isThrottling(e: unknown): boolean {
  const err = e as AwsErrorShape | null | undefined;
  return !!err && (THROTTLING.has(err.name ?? '') || err.$metadata?.httpStatusCode === 429);
}

/** Timeouts for every AWS call; the body of a streamed S3 object is bounded by `idleMs`. */
export interface AwsTimeouts {
  /** TCP/TLS connection. @default 3000 */
  readonly connectMs?: number;
  /** From sending the request to the response headers. @default 20000 */
  readonly requestMs?: number;
  /** Socket inactivity, including while a response body streams. @default 30000 */
  readonly idleMs?: number;
}

export interface AwsClientOptions extends AwsTimeouts {
  /** Attempts per call, the first included. @default 5 */
  readonly maxAttempts?: number;
  /** `adaptive` adds client-side rate limiting after throttling. @default 'adaptive' */
  readonly retryMode?: 'adaptive' | 'standard';
}

/** The part of an SDK v3 client configuration PathGuard sets. */
export interface AwsClientConfig {
  maxAttempts: number;
  retryMode: 'adaptive' | 'standard';
  requestHandler: {
    connectionTimeout: number;
    requestTimeout: number;
    throwOnRequestTimeout: true;
    socketTimeout: number;
  };
}

/**
 * SDK client settings for the adapters: spread into any v3 client, e.g.
 * `new EC2Client({ region, ...awsClientConfig({ maxAttempts: 8 }) })`. EC2 Describe calls and
 * CloudWatch Logs FilterLogEvents have low per-account rate limits shared with other tools, so
 * adaptive mode is the default: it backs off and then paces the client after a throttle.
 */
export function awsClientConfig(opts: AwsClientOptions = {}): AwsClientConfig {
  return {
    maxAttempts: opts.maxAttempts ?? 5,
    retryMode: opts.retryMode ?? 'adaptive',
    requestHandler: {
      connectionTimeout: opts.connectMs ?? 3_000,
      // Cleared when the response headers arrive; a stalled body is caught by socketTimeout.
      requestTimeout: opts.requestMs ?? 20_000,
      throwOnRequestTimeout: true,
      socketTimeout: opts.idleMs ?? 30_000,
    },
  };
}

/**
 * An AWS call that failed for good: what, why, and where to look it up. The SDK's error is the
 * `cause`; its kind is `aws-fault` (see `ErrorKind` in shared/errors.ts).
 */
export class AwsCallError extends ServiceCallError {
  /** The AWS error code (`ThrottlingException`, `AccessDenied`, ...) or the network error name. */
  readonly awsCode: string;
  readonly httpStatus: number | undefined;
  readonly requestId: string | undefined;
  /** Attempts made, the SDK's and ours. */
  readonly attempts: number | undefined;
  readonly retryable: boolean;

  constructor(
    readonly operation: string,
    cause: unknown,
    extraAttempts = 0,
  ) {
    const err = (cause ?? {}) as AwsErrorShape;
    const awsCode = err.name && err.name !== 'Error' ? err.name : (err.code ?? 'Error');
    const status = err.$metadata?.httpStatusCode;
    const requestId = err.$metadata?.requestId;
    const sdkAttempts = err.$metadata?.attempts;
    const attempts =
      sdkAttempts !== undefined || extraAttempts > 0
        ? (sdkAttempts ?? 1) * Math.max(1, extraAttempts)
        : undefined;
    const detail = [
      status !== undefined ? `HTTP ${status}` : null,
      attempts !== undefined ? `after ${attempts} attempt${attempts === 1 ? '' : 's'}` : null,
      requestId ? `request id ${requestId}` : null,
    ].filter(Boolean);
    super(
      'AWS_CALL_FAILED',
      `${operation} failed: ${awsCode}: ${err.message ?? String(cause)}${detail.length ? ` (${detail.join(', ')})` : ''}`,
      { operation, awsCode, httpStatus: status, requestId, attempts },
      { cause },
    );
    this.awsCode = awsCode;
    this.httpStatus = status;
    this.requestId = requestId;
    this.attempts = attempts;
    this.retryable = isRetryable(cause);
  }
}

export interface RetryOptions {
  /** Tries in all. @default 3 */
  readonly attempts?: number;
  /** First backoff, ms; doubles each try, with full jitter. @default 200 */
  readonly baseMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Names the operation in the error thrown when every try failed. */
  readonly operation?: string;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Calls `fn` again on throttling, 5xx and timeouts, with exponential backoff and full jitter.
 * Use it only around work the SDK's retry cannot cover (a response body read), not around a
 * plain `send`: that would multiply the attempts the client already makes. When `operation` is
 * given, the final failure is wrapped in an {@link AwsCallError}.
 */
export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 3;
  const base = opts.baseMs ?? 200;
  const sleep = opts.sleep ?? realSleep;
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= attempts || !isRetryable(e)) {
        throw opts.operation && !(e instanceof AwsCallError) ? new AwsCallError(opts.operation, e, i) : e;
      }
      await sleep(Math.random() * base * 2 ** (i - 1));
    }
  }
}

/** Sends through the SDK (which retries) and names the operation when it fails for good. */
export async function sendNamed<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw e instanceof AwsCallError ? e : new AwsCallError(operation, e);
  }
}
