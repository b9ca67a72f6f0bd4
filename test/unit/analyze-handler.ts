// What every test of the deployed analyze function sets up: the example config, the environment
// the stack gives the function (read once, at cold start, so set before the handler is imported,
// and restored after the file), a Lambda context in the function's account, and the handler.
import { readFileSync } from 'node:fs';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll } from 'vitest';

/** pathguard.config.example.json as the repository ships it. */
export const EXAMPLE_CONFIG = JSON.parse(
  readFileSync(new URL('../../pathguard.config.example.json', import.meta.url), 'utf8'),
);

type AnalyzeHandler = (event: unknown, context: Context) => Promise<Record<string, unknown>>;

/**
 * Sets `vars` (with metrics off and the Region us-east-1 unless given) and removes `unset` for
 * this test file; imports the analyze handler before its tests. Returns the handler invoked with
 * a context in `vars.PATHGUARD_ACCOUNT_ID`.
 *
 * @example
 * const analyze = analyzeFunction({ PATHGUARD_CONFIG: JSON.stringify(EXAMPLE_CONFIG), PATHGUARD_ACCOUNT_ID: '123456789012' });
 * const r = await analyze({ action: 'analyze' });
 */
export function analyzeFunction(
  vars: Record<string, string> & { PATHGUARD_ACCOUNT_ID: string },
  unset: readonly string[] = [],
): (event: unknown) => Promise<Record<string, unknown>> {
  const saved = { ...process.env };
  Object.assign(process.env, { POWERTOOLS_METRICS_DISABLED: 'true', AWS_REGION: 'us-east-1', ...vars });
  for (const k of unset) delete process.env[k];
  afterAll(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });
  const context = {
    functionName: 'analyze',
    awsRequestId: 'req-1',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:${vars.PATHGUARD_ACCOUNT_ID}:function:analyze`,
    getRemainingTimeInMillis: () => 60_000,
  } as unknown as Context;
  let handler: AnalyzeHandler | undefined;
  beforeAll(async () => {
    handler = (await import('../../functions/handlers/analyze.js')).handler as never;
  });
  return (event) => {
    if (!handler) throw new Error('the analyze handler is imported before the tests run');
    return handler(event, context);
  };
}
