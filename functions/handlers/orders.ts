// The orders function: on schedule it plans every on-prem vantage's probes, creates the probe
// objects, presigns them and writes each runner's order, whatever the VPC vantages (a Direct
// Connect shop may start with on-prem vantages only). It is the only writer under `orders/`
// (a VPC probe role cannot tamper with a runner's order). Not attached to a VPC: it fetches nothing.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Environment } from '../../shared/env/types.js';
import { UserInputError } from '../../shared/errors.js';
import { createAwsClient } from '../aws/clients.js';
import { SdkPresigner } from '../aws/presigner.js';
import { putProbeObject, S3ObjectStore } from '../aws/store-s3.js';
import { inspectionOf, parseHandlerEvent } from '../lib/events.js';
import { settingsLoader } from '../lib/lambda-config.js';
import { logInvocationErrors } from '../lib/log-errors.js';
import { logger, metrics } from '../lib/powertools.js';
import { runProbes } from '../lib/probe-run.js';
import { probeRunId, reportProbeRun } from '../lib/probe-run-report.js';
import { writeOrders } from '../runner/orders.js';

const s3 = createAwsClient(S3Client);
// The environment and the config, validated once, at cold start; a bad one is the handler's coded error.
const settings = settingsLoader(process.env, () => s3);

async function ordersHandler(event: unknown, _context: Context): Promise<Record<string, unknown>> {
  const { cfg } = await settings();
  const ev = parseHandlerEvent(event);
  const now = new Date();
  if (ev.kind === 'inspect-url' || ev.kind === 'inspect-post') return { inspection: inspectionOf(ev, now) };
  if (ev.kind !== 'scheduled' && ev.kind !== 'probe-now') {
    throw new UserInputError(
      'BAD_EVENT',
      `the orders function does not handle '${ev.kind}'; send it to the analyze function`,
    );
  }
  const runId = probeRunId(ev, now, cfg.scheduleMinutes);
  const store = new S3ObjectStore(s3, cfg.resultsBucket);
  const env = (await store.getJson<Environment>('environment/latest.json'))?.value;
  const presigner = new SdkPresigner();
  const started = Date.now();
  let orders = 0;
  const result = await runProbes(runId, {
    cfg,
    store,
    presigner,
    now,
    ...(env ? { env } : {}),
    putObject: (p) => putProbeObject(s3, p),
    writeOrders: async (items, id, at) => {
      orders = (await writeOrders(store, presigner, cfg, items, id, at)).length;
    },
  });
  metrics.addDimension('function', 'orders');
  reportProbeRun(result, started);
  metrics.addMetric('OrdersWritten', MetricUnit.Count, orders);
  logger.info('orders written', { runId, probes: result.probes.length, orders });
  return {
    runId,
    duplicate: result.duplicate,
    probes: result.probes.length,
    orders,
    partialFailure: result.failures.length > 0,
    failures: result.failures,
  };
}

export const handler = middy(ordersHandler)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .use(logInvocationErrors(logger));
