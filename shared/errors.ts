/**
 * What an error means for whoever runs PathGuard:
 *
 * - `user-error`: input, config or usage the user can fix ({@link UserInputError}, {@link ValidationError}).
 * - `aws-fault`: a call to AWS failed for good, after the SDK's retries ({@link ServiceCallError}).
 * - `fault`: a condition PathGuard detected and coded (a store object that is not JSON, a stale
 *   order, a lost write race): neither the user's input nor a defect.
 * - `bug`: anything not raised on purpose (a `TypeError`, an undefined read): a defect to report.
 */
export type ErrorKind = 'user-error' | 'aws-fault' | 'fault' | 'bug';

/**
 * Base error of PathGuard. Every error the product raises on purpose is a subclass with a stable
 * UPPER_SNAKE `code` and structured `context`, so callers and logs can act on it without parsing
 * messages. The error that led to it stays in `cause` (ErrorOptions).
 */
export class PathGuardError extends Error {
  /** See {@link ErrorKind}; subclasses name theirs. */
  readonly kind: ErrorKind = 'fault';
  readonly code: string;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.context = context;
  }
}

/** Bad user input that the user can fix (usage, config, files): printed as one line, never a stack. */
export class UserInputError extends PathGuardError {
  override readonly kind: ErrorKind = 'user-error';
  /** Process exit code a CLI should use. */
  readonly exitCode: number;

  constructor(
    code: string,
    message: string,
    context: Record<string, unknown> = {},
    exitCode = 2,
    options?: ErrorOptions,
  ) {
    super(code, message, context, options);
    this.exitCode = exitCode;
  }
}

/**
 * A call to AWS (or another service PathGuard depends on) that failed for good; the service's own
 * error is the `cause`. `functions/aws/retry.ts` raises its AWS subclass, `AwsCallError`.
 */
export class ServiceCallError extends PathGuardError {
  override readonly kind: ErrorKind = 'aws-fault';
}

/** A configuration or environment document failed validation; `issues` name each bad path. */
export class ValidationError extends PathGuardError {
  override readonly kind: ErrorKind = 'user-error';
  readonly issues: readonly { path: string; message: string }[];

  constructor(what: string, issues: readonly { path: string; message: string }[]) {
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    super(
      'VALIDATION_FAILED',
      first ? `${what}: ${first.path || '(root)'}: ${first.message}${more}` : `${what}: invalid`,
      { what, issues },
    );
    this.issues = issues;
  }
}

/**
 * The kind of any thrown value: a PathGuard error names its own; anything else is a bug.
 *
 * @example
 * errorKind(new UserInputError('USAGE', 'unknown option')) // 'user-error'
 * errorKind(new TypeError("cannot read properties of undefined")) // 'bug'
 */
export function errorKind(e: unknown): ErrorKind {
  return e instanceof PathGuardError ? e.kind : 'bug';
}

/**
 * The chain of causes of an error, outermost first, each as `{ name, code?, message }`: what a log
 * line records so the reason a call failed is not lost behind its wrapper. Bounded (a cause chain
 * can be cyclic).
 */
export function causeChain(e: unknown, max = 5): { name: string; code?: string; message: string }[] {
  const out: { name: string; code?: string; message: string }[] = [];
  let cur: unknown = e instanceof Error ? e.cause : undefined;
  while (cur !== undefined && out.length < max) {
    const err = cur as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown };
    const name = typeof err?.name === 'string' ? err.name : typeof cur;
    const message = typeof err?.message === 'string' ? err.message : String(cur);
    out.push({ name, ...(typeof err?.code === 'string' ? { code: err.code } : {}), message });
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return out;
}
