// A handler run as Lambda runs it, for contract tests: a fresh module (handlers read their
// environment at cold start) with the environment a synthesized template gives the function,
// metrics enabled, and stdout and stderr captured as EMF metrics and log lines.
import type { Context } from 'aws-lambda';
import { vi } from 'vitest';

const context = (name: string) =>
  ({
    functionName: name,
    awsRequestId: 'req-contract',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    getRemainingTimeInMillis: () => 120_000,
  }) as unknown as Context;

/** One EMF metric as CloudWatch files it: namespace, name and the dimensions with their values. */
export interface EmittedMetric {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
}

/**
 * Runs a handler module fresh (it reads its environment at cold start) with the function's
 * template environment, metrics enabled, and stdout captured: returns the EMF metrics and log
 * lines it wrote.
 */
export async function invoke(
  kind: string,
  env: Record<string, string>,
  event: unknown,
  mocks: Record<string, () => Record<string, unknown>> = {},
  extraEnv: Record<string, string> = {},
): Promise<{
  result: unknown;
  error: unknown;
  metrics: EmittedMetric[];
  /** The EMF documents, values included. */
  emf: Record<string, unknown>[];
  logs: Record<string, unknown>[];
}> {
  const saved = { ...process.env };
  const { NODE_OPTIONS: _n, ...vars } = env;
  // Lambda gives every function credentials: the presigner signs with them (fake ones here).
  Object.assign(
    process.env,
    vars,
    {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    },
    extraEnv,
  );
  delete process.env.POWERTOOLS_METRICS_DISABLED;
  delete process.env.POWERTOOLS_DEV;
  vi.resetModules();
  for (const [path, factory] of Object.entries(mocks)) vi.doMock(path, factory);
  const lines: string[] = [];
  // Powertools writes EMF and info logs to stdout, warnings and errors to stderr.
  const capture = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  let result: unknown;
  let error: unknown;
  try {
    const mod = (await HANDLERS[kind as keyof typeof HANDLERS]()) as {
      handler: (e: unknown, c: Context) => Promise<unknown>;
    };
    result = await mod.handler(event, context(kind));
  } catch (e) {
    error = e;
  } finally {
    out.mockRestore();
    err.mockRestore();
    for (const path of Object.keys(mocks)) vi.doUnmock(path);
    process.env = saved;
  }
  const docs = lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const metrics: EmittedMetric[] = [];
  for (const d of docs) {
    const aws = d._aws as
      | { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] }
      | undefined;
    for (const directive of aws?.CloudWatchMetrics ?? [])
      for (const set of directive.Dimensions)
        for (const m of directive.Metrics)
          metrics.push({
            namespace: directive.Namespace,
            name: m.Name,
            dimensions: Object.fromEntries(set.map((k) => [k, String(d[k])])),
          });
  }
  return { result, error, metrics, emf: docs.filter((d) => d._aws), logs: docs.filter((d) => !d._aws) };
}

const HANDLERS = {
  probe: () => import('../../functions/handlers/probe.js'),
  orders: () => import('../../functions/handlers/orders.js'),
  analyze: () => import('../../functions/handlers/analyze.js'),
};
