// What every test of the deployed functions sets up: the example config, the environment the
// stack gives a function (read once, at cold start, so set before the handler is imported, and
// restored after the file), a Lambda context, and the handlers.
import { readFileSync } from 'node:fs';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll } from 'vitest';

/** pathguard.config.example.json as the repository ships it. */
export const EXAMPLE_CONFIG = JSON.parse(
  readFileSync(new URL('../../pathguard.config.example.json', import.meta.url), 'utf8'),
);

/** The example config with an SNS topic for alerts, as PATHGUARD_CONFIG holds it. */
export const ALERTING_CONFIG = JSON.stringify({
  ...EXAMPLE_CONFIG,
  alerts: { ...EXAMPLE_CONFIG.alerts, topicArn: 'arn:aws:sns:us-east-1:123456789012:alerts' },
});

/** A handler invoked with the context the test gives every call. */
type Invoke = (event: unknown) => Promise<Record<string, unknown>>;
type Handler = (event: unknown, context: Context) => Promise<Record<string, unknown>>;

const HANDLERS = {
  analyze: () => import('../../functions/handlers/analyze.js'),
  probe: () => import('../../functions/handlers/probe.js'),
} as const;

/** Sets `vars` (with metrics off and the Region us-east-1 unless given) and removes `unset` for this test file. */
function setFunctionEnvironment(vars: Record<string, string>, unset: readonly string[]): void {
  const saved = { ...process.env };
  Object.assign(process.env, { POWERTOOLS_METRICS_DISABLED: 'true', AWS_REGION: 'us-east-1', ...vars });
  for (const k of unset) delete process.env[k];
  afterAll(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });
}

/**
 * The `name` function's handler, imported before the file's tests, invoked with a context of that
 * name; with `account`, the context's function ARN is in that account.
 */
function importedHandler(name: keyof typeof HANDLERS, account?: string): Invoke {
  const context = {
    functionName: name,
    awsRequestId: 'req-1',
    ...(account ? { invokedFunctionArn: `arn:aws:lambda:us-east-1:${account}:function:${name}` } : {}),
    getRemainingTimeInMillis: () => 60_000,
  } as unknown as Context;
  let handler: Handler | undefined;
  beforeAll(async () => {
    handler = (await HANDLERS[name]()).handler as never;
  });
  return (event) => {
    if (!handler) throw new Error(`the ${name} handler is imported before the tests run`);
    return handler(event, context);
  };
}

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
): Invoke {
  setFunctionEnvironment(vars, unset);
  return importedHandler('analyze', vars.PATHGUARD_ACCOUNT_ID);
}

/**
 * The probe and analyze functions of the example deployment: the alerting config, the vantage
 * `vpc-app` and its VPC, no account (the context has no function ARN). Sets that environment for
 * this test file and imports both handlers before its tests.
 *
 * @example
 * const { probe } = exampleFunctions();
 * const r = await probe({ action: 'inspect-url', url });
 */
export function exampleFunctions(): { readonly analyze: Invoke; readonly probe: Invoke } {
  setFunctionEnvironment(
    {
      PATHGUARD_CONFIG: ALERTING_CONFIG,
      PATHGUARD_VANTAGE: 'vpc-app',
      PATHGUARD_VPC_IDS: 'vpc-0abcdef0123456789',
    },
    [],
  );
  return { analyze: importedHandler('analyze'), probe: importedHandler('probe') };
}
