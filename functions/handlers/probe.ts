// The probe function: one per VPC vantage, attached to that vantage's subnet. On schedule it plans
// the run's probes for its vantage, creates the probe objects, presigns, fetches from inside the
// VPC with bounded concurrency inside the function's time, and stores the observations. On-prem
// orders are the orders function's (handlers/orders.ts). Thin: validation, one call, response.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
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
import { runDeadline, runProbes } from '../lib/probe-run.js';
import { probeRunId, reportProbeRun } from '../lib/probe-run-report.js';

const s3 = createAwsClient(S3Client);
// The environment and the config, validated once, at cold start; a bad one is the handler's coded error.
const settings = settingsLoader(process.env, () => s3);

async function probeHandler(event: unknown, context: Context): Promise<Record<string, unknown>> {
  const { cfg, env: lambdaEnv } = await settings();
  const ev = parseHandlerEvent(event);
  const now = new Date();
  if (ev.kind === 'inspect-url' || ev.kind === 'inspect-post') {
    // No AWS call: the reading of a URL the operator pasted, secrets removed.
    return { inspection: inspectionOf(ev, now) };
  }
  if (ev.kind !== 'scheduled' && ev.kind !== 'probe-now') {
    throw new UserInputError(
      'BAD_EVENT',
      `the probe function does not handle '${ev.kind}'; send it to the analyze function`,
    );
  }
  const vantageId = lambdaEnv.vantage;
  if (!vantageId || !cfg.vantages.some((v) => v.id === vantageId && v.kind === 'vpc')) {
    throw new UserInputError('CONFIG_MISSING', 'PATHGUARD_VANTAGE must name a vpc vantage of the config');
  }
  const runId = probeRunId(ev, now, cfg.scheduleMinutes);
  // A member account of an organisation keeps everything under its own prefix of the central
  // bucket (the bucket policy allows that account no other key).
  const store = new S3ObjectStore(s3, cfg.resultsBucket, process.env.PATHGUARD_RESULTS_PREFIX ?? '');
  const env = (await store.getJson<Environment>('environment/latest.json'))?.value;
  const started = Date.now();
  const result = await runProbes(runId, {
    cfg,
    store,
    presigner: new SdkPresigner(),
    vantageId,
    now,
    deadline: runDeadline(context),
    ...(env ? { env } : {}),
    putObject: (p) => putProbeObject(s3, p),
  });
  metrics.addDimension('vantage', vantageId);
  reportProbeRun(result, started);
  logger.info('probe run finished', {
    runId,
    probes: result.probes.length,
    observations: result.observations.length,
  });
  return {
    runId,
    duplicate: result.duplicate,
    probes: result.probes.length,
    observations: result.observations.map((o) => ({
      probeId: o.probeId,
      status: o.httpStatus,
      remote: o.remoteAddress,
      error: o.error?.code ?? null,
    })),
    partialFailure: result.failures.length > 0,
    failures: result.failures,
  };
}

export const handler = middy(probeHandler)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .use(logInvocationErrors(logger));
