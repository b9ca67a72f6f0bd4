/**
 * Base error of PathGuard. Every error the product raises on purpose is a subclass with a stable
 * UPPER_SNAKE `code` and structured `context`, so callers and logs can act on it without parsing
 * messages.
 */
export class PathGuardError extends Error {
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
  /** Process exit code a CLI should use. */
  readonly exitCode: number;

  constructor(code: string, message: string, context: Record<string, unknown> = {}, exitCode = 2) {
    super(code, message, context);
    this.exitCode = exitCode;
  }
}

/** A configuration or environment document failed validation; `issues` name each bad path. */
export class ValidationError extends PathGuardError {
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
