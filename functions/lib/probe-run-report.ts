import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { runIdFor } from '../../shared/probes/plan.js';
import type { HandlerEvent } from './events.js';
import { logger, metrics } from './powertools.js';
import type { ProbeRunResult } from './probe-run.js';

/**
 * The run id of a probe or orders invocation: the schedule slot of a scheduled event (so a
 * repeated delivery claims the same run), else an ad-hoc id from the time.
 */
export function probeRunId(
  ev: Extract<HandlerEvent, { kind: 'scheduled' | 'probe-now' }>,
  now: Date,
  scheduleMinutes: number,
): string {
  return ev.kind === 'scheduled'
    ? runIdFor(ev.time, scheduleMinutes)
    : `adhoc-${now.toISOString().replace(/[-:.]/g, '')}`;
}

/**
 * The metrics and log lines every probe run reports (the probe and orders functions alike): the
 * alarms read `ProbesCreated`, `ProbeFailures` and `MintFailures`, so both emit them one way.
 * The caller adds its own dimension first.
 */
export function reportProbeRun(result: ProbeRunResult, startedMs: number): void {
  metrics.addMetric('ProbesCreated', MetricUnit.Count, result.probes.length);
  metrics.addMetric('ProbeFailures', MetricUnit.Count, result.failures.length);
  metrics.addMetric(
    'MintFailures',
    MetricUnit.Count,
    result.failures.filter((f) => f.stage === 'mint').length,
  );
  metrics.addMetric('RunDurationMs', MetricUnit.Milliseconds, Date.now() - startedMs);
  const runId = result.runId;
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
}
