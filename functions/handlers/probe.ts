// The probe function: one per VPC vantage, attached to that vantage's subnet. On schedule it plans
// the run's probes for its vantage, creates the probe objects, presigns, fetches from inside the
// VPC with bounded concurrency inside the function's time, and stores the observations. On-prem
// orders are the orders function's (handlers/orders.ts). Thin: validation, one call, response.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { inspectUrl } from '../../shared/endpoints/index.js';
import type { Environment } from '../../shared/env/types.js';
import { UserInputError } from '../../shared/errors.js';
import { runIdFor } from '../../shared/probes/plan.js';
import { SdkPresigner } from '../aws/presigner.js';
import { awsClientConfig } from '../aws/retry.js';
import { putProbeObject, S3ObjectStore } from '../aws/store-s3.js';
import { parseHandlerEvent } from '../lib/events.js';
import { configLoader } from '../lib/lambda-config.js';
import { logger, metrics } from '../lib/powertools.js';
import { runDeadline, runProbes } from '../lib/probe-run.js';

const s3 = new S3Client(awsClientConfig());
// Read and validated once, at cold start; a bad config is the handler's coded error.
const config = configLoader(process.env.PATHGUARD_CONFIG, () => s3);

async function probeHandler(event: unknown, context: Context): Promise<Record<string, unknown>> {
  const cfg = await config();
  const ev = parseHandlerEvent(event);
  const now = new Date();
  if (ev.kind === 'inspect-url') {
    // No AWS call: the reading of a URL the operator pasted, secrets removed.
    return { inspection: inspectUrl(ev.url, { now }) };
  }
  if (ev.kind !== 'scheduled' && ev.kind !== 'probe-now') {
    throw new UserInputError(
      'BAD_EVENT',
      `the probe function does not handle '${ev.kind}'; send it to the analyze function`,
    );
  }
  const vantageId = process.env.PATHGUARD_VANTAGE;
  if (!vantageId || !cfg.vantages.some((v) => v.id === vantageId && v.kind === 'vpc')) {
    throw new UserInputError('CONFIG_MISSING', 'PATHGUARD_VANTAGE must name a vpc vantage of the config');
  }
  const runId =
    ev.kind === 'scheduled'
      ? runIdFor(ev.time, cfg.scheduleMinutes)
      : `adhoc-${now.toISOString().replace(/[-:.]/g, '')}`;
  const store = new S3ObjectStore(s3, cfg.resultsBucket);
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
  metrics.addMetric('ProbesCreated', MetricUnit.Count, result.probes.length);
  metrics.addMetric('ProbeFailures', MetricUnit.Count, result.failures.length);
  metrics.addMetric(
    'MintFailures',
    MetricUnit.Count,
    result.failures.filter((f) => f.stage === 'mint').length,
  );
  metrics.addMetric('RunDurationMs', MetricUnit.Milliseconds, Date.now() - started);
  if (result.duplicate) logger.info('run already claimed; repeated delivery ignored', { runId });
  // `message` is Powertools' own key (extra keys named so are dropped): the reason goes in `reason`.
  for (const f of result.failures)
    logger.warn('probe step failed', {
      runId,
      probeId: f.probeId,
      stage: f.stage,
      code: f.code,
      reason: f.message,
    });
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
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
