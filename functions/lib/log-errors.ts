import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import { redactText } from '../../shared/endpoints/redact.js';
import { causeChain, errorKind, PathGuardError } from '../../shared/errors.js';

/**
 * The one log line of a failed invocation: the error's kind (user error, AWS fault, coded fault,
 * bug), its code and the causes behind it, so an operator sees whether to fix the config, look at
 * AWS or report a defect. A bug also carries its stack. Every text is redacted: an error message
 * can quote a presigned URL. Fields, not the Error itself, because Powertools would print the
 * message and the stack unredacted.
 */
export function invocationErrorFields(e: unknown): Record<string, unknown> {
  const kind = errorKind(e);
  const err = e instanceof Error ? e : undefined;
  return {
    kind,
    errorName: err?.name ?? typeof e,
    ...(e instanceof PathGuardError ? { code: e.code } : {}),
    reason: redactText(err ? err.message : String(e)),
    causes: causeChain(e).map((c) => ({ ...c, message: redactText(c.message) })),
    ...(kind === 'bug' && err?.stack ? { stack: redactText(err.stack) } : {}),
  };
}

/**
 * middy middleware: logs a failed invocation with {@link invocationErrorFields} and lets the error
 * through (Lambda still reports the invocation failed, and retries an asynchronous one).
 *
 * @example middy(handler).use(injectLambdaContext(logger)).use(logInvocationErrors(logger))
 */
export function logInvocationErrors(logger: Logger): MiddlewareObj {
  return {
    onError: async function logInvocationError(request) {
      logger.error('invocation failed', invocationErrorFields(request.error));
    },
  };
}
