// The analyze function: on schedule it refreshes the environment, collects evidence, decides
// verdicts, writes evidence bundles and sends alerts. Ad hoc it analyzes from a given time,
// explains one probe (returns its evidence bundle) or inspects a URL. Thin: validation, one call.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { AthenaClient } from '@aws-sdk/client-athena';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { AnalyzerRunResult } from '../../shared/analyzer/run.js';
import { UserInputError } from '../../shared/errors.js';
import { bundleKey } from '../../shared/evidence/bundle.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { S3AccessLogSource } from '../aws/access-logs-s3.js';
import { createAwsClient } from '../aws/clients.js';
import { S3CloudTrailSource } from '../aws/cloudtrail-s3.js';
import { discoverEnvironment } from '../aws/discovery.js';
import { S3ProbeObjects } from '../aws/probe-objects-s3.js';
import { SnsAlertSink } from '../aws/sns-sink.js';
import { S3ObjectStore } from '../aws/store-s3.js';
import { findProbe, runAnalysis } from '../lib/analyze-run.js';
import { dailyReportLocation, dailyReports, resultsBucketReader } from '../lib/daily-report.js';
import { accessSourceByEngine, flowSourceByEngine } from '../lib/engine-sources.js';
import { inspectionOf, parseHandlerEvent } from '../lib/events.js';
import { evidenceLocations } from '../lib/evidence-locations.js';
import { lambdaFlowThreads } from '../lib/flow-threads.js';
import { settingsLoader } from '../lib/lambda-config.js';
import { logInvocationErrors } from '../lib/log-errors.js';
import { analyzeOrganization } from '../lib/member-analysis.js';
import { logger, metrics } from '../lib/powertools.js';

// The SDK's own adaptive retry and timeouts, configured once for every client.
const s3 = createAwsClient(S3Client);
const cwl = createAwsClient(CloudWatchLogsClient, {}, { maxAttempts: 8 });
// The EC2 and SNS clients load on first use, not at cold start: EC2's module is most of the SDK
// this function loads (about 0.5 s of CPU), and explain or inspect-url events need neither.
let ec2: Promise<EC2Client> | undefined;
let sns: Promise<SNSClient> | undefined;
const ec2Client = () =>
  (ec2 ??= import('@aws-sdk/client-ec2').then((m) => createAwsClient(m.EC2Client, {}, { maxAttempts: 8 })));
const snsClient = () => (sns ??= import('../aws/sdk-sns.js').then((m) => createAwsClient(m.SNSClient)));
// The Athena client likewise, only for a source on the athena engine.
let athena: Promise<AthenaClient> | undefined;
const athenaClient = () =>
  (athena ??= import('../aws/sdk-athena.js').then((m) =>
    createAwsClient(m.AthenaClient, {}, { maxAttempts: 8 }),
  ));
/** Bytes Athena scanned for evidence, one metric per query (what the engine costs). */
const countScanned = (s: { bytesScanned: number }) =>
  metrics.addMetric('AthenaBytesScanned', MetricUnit.Bytes, s.bytesScanned);
// Worker threads for S3 flow-log objects when the function's memory buys more than one vCPU.
const flowThreads = lambdaFlowThreads();
// The environment and the config, validated once, at cold start; a bad one is the handler's coded error.
const settings = settingsLoader(process.env, () => s3);

async function analyzeHandler(event: unknown, context: Context): Promise<Record<string, unknown>> {
  const { cfg, env } = await settings();
  const ev = parseHandlerEvent(event);
  const now = new Date();
  const store = new S3ObjectStore(s3, cfg.resultsBucket);
  if (ev.kind === 'inspect-url' || ev.kind === 'inspect-post') return { inspection: inspectionOf(ev, now) };
  if (ev.kind === 'explain') {
    // The id's time names the probe's day folder: one GET, however long the history.
    const found = await findProbe(store, ev.probeId);
    if (!found) throw new UserInputError('NOT_FOUND', `no probe ${ev.probeId} in the results bucket`);
    const bundle = await store.getJson(bundleKey(found));
    return { probeId: ev.probeId, bundle: bundle?.value ?? null };
  }
  if (ev.kind === 'probe-now') throw new UserInputError('BAD_EVENT', "send 'probe-now' to a probe function");
  const topicArn = env.topicArn ?? cfg.alerts.topicArn;
  if (!topicArn) throw new UserInputError('CONFIG_MISSING', 'no alert topic configured');
  const since = ev.kind === 'analyze' && ev.since ? { since: ev.since } : {};
  if (env.organization) {
    // An organisation's central function: every member account x Region, none of its own.
    return analyzeOrganization({
      cfg,
      organization: env.organization,
      clients: { s3, cwl },
      sink: new SnsAlertSink(await snsClient(), topicArn),
      probeObjects: new S3ProbeObjects(s3),
      engines: { athena: athenaClient, onQuery: countScanned },
      now,
      ...since,
    });
  }
  const vpcIds = [...env.vpcIds];
  const runnerSubnetIds = cfg.vantages.flatMap((v) => (v.kind === 'vpc' ? [v.subnetId] : []));
  const where = evidenceLocations(cfg, env.evidence);
  const started = Date.now();
  const rejects = new RejectCounter();
  // Discovery first: the flow logs are read with their own format, from where DescribeFlowLogs
  // says the runner subnets' (or their VPC's) flow log delivers, or the stack's location.
  const found = await discoverEnvironment(await ec2Client(), {
    region: cfg.region,
    vpcIds,
    runnerSubnetIds,
    onPrem: cfg.onPrem,
  });
  const accountId = env.accountId ?? accountOf(context);
  const engines = { cfg, athena: athenaClient, onQuery: countScanned };
  const flows = await flowSourceByEngine(
    {
      enabled: cfg.evidence.flowLogs.enabled,
      where,
      flowLogs: found.flowLogs,
      runnerSubnetIds,
      vpcIds: found.vpcIds,
      ...(env.flowFormat ? { groupFormat: env.flowFormat } : {}),
      account: { accountId, region: cfg.region },
      clients: { s3, cwl },
      rejects,
      threads: flowThreads,
    },
    engines,
  );
  const access = await accessSourceByEngine(
    where.accessLogs,
    accountId,
    engines,
    (loc) => new S3AccessLogSource(s3, loc.bucket, loc.prefix, rejects),
  );
  const summary = await runAnalysis({
    cfg,
    store,
    sink: new SnsAlertSink(await snsClient(), topicArn),
    probeObjects: new S3ProbeObjects(s3),
    now,
    report: dailyReportLocation(cfg, now),
    ...since,
    discover: async () => found,
    ...(flows ? { flows } : {}),
    ...(access ? { access } : {}),
    ...(where.cloudTrail
      ? {
          cloudTrail: new S3CloudTrailSource(
            s3,
            {
              ...where.cloudTrail,
              accountId,
              region: cfg.region,
            },
            rejects,
          ),
        }
      : {}),
  });
  for (const source of unlocated(cfg, where, flows !== undefined))
    logger.warn('evidence source enabled but not located; its probes stay no-evidence', { source });
  const verdicts = reportVerdicts(summary, rejects, now);
  // The evidence report the alerts name, and yesterday's once the day is over. A failure here
  // is reported, never a reason to lose the run's verdicts and alerts.
  const reports: { key: string; probes: number }[] = [];
  try {
    for (const r of await dailyReports({
      reader: resultsBucketReader(s3, cfg.resultsBucket, store),
      store,
      cfg,
      environment: found.environment,
      drift: summary.drift,
      now,
      alertsSent: summary.alerts.sent.length,
    }))
      reports.push({ key: r.key, probes: r.probes });
  } catch (e) {
    summary.errors.push({ source: 'store', message: `writing the evidence report: ${(e as Error).message}` });
  }
  metrics.addMetric('RunDurationMs', MetricUnit.Milliseconds, Date.now() - started);
  if (summary.errors.length === 0 && summary.alerts.failed.length === 0)
    metrics.addMetric('RunSucceeded', MetricUnit.Count, 1);
  // `message` is Powertools' own key (extra keys named so are dropped): the reason goes in `reason`.
  for (const e of summary.errors)
    logger.warn('evidence source failed', { source: e.source, reason: e.message });
  for (const f of summary.alerts.failed)
    logger.error('alert not sent', { dedupKey: f.alert.dedupKey, error: f.error });
  logger.info('analysis finished', {
    probes: summary.results.length,
    verdicts,
    alertsSent: summary.alerts.sent.length,
    records: summary.records,
  });
  return {
    runId: summary.runId,
    probes: summary.results.length,
    verdicts,
    alertsSent: summary.alerts.sent.length,
    records: summary.records,
    reports,
    partialFailure: summary.errors.length + summary.alerts.failed.length > 0,
    errors: summary.errors,
    alertFailures: summary.alerts.failed.map((f) => ({ dedupKey: f.alert.dedupKey, error: f.error })),
  };
}

/** The run's verdict, alert, evidence-lag and reject metrics, and the rejected lines' samples. */
function reportVerdicts(
  summary: AnalyzerRunResult,
  rejects: RejectCounter,
  now: Date,
): Record<string, number> {
  const verdicts: Record<string, number> = {};
  for (const r of summary.results) verdicts[r.verdict.verdict] = (verdicts[r.verdict.verdict] ?? 0) + 1;
  for (const [verdict, n] of Object.entries(verdicts)) {
    const m = metrics.singleMetric();
    m.addDimension('verdict', verdict);
    m.addMetric('ProbeVerdict', MetricUnit.Count, n);
  }
  metrics.addMetric('AlertsSent', MetricUnit.Count, summary.alerts.sent.length);
  metrics.addMetric('RejectedLogLines', MetricUnit.Count, rejects.count);
  // Evidence lag: from a probe's creation to the run that decided it.
  for (const r of summary.results) {
    if (r.changed && ['private', 'left-path', 'blocked'].includes(r.verdict.verdict)) {
      metrics.addMetric(
        'EvidenceLagSeconds',
        MetricUnit.Seconds,
        Math.round((now.getTime() - Date.parse(r.probe.createdAt)) / 1000),
      );
    }
  }
  if (rejects.count > 0)
    logger.warn('log lines rejected', {
      count: rejects.count,
      byCode: rejects.byCode,
      samples: rejects.samples.map((x) => ({ source: x.source, line: x.line, code: x.code })),
    });
  // Passed over, not rejected (subscription health checks, CloudTrail Insights and other events).
  if (rejects.skipped > 0)
    logger.info('log items skipped', { count: rejects.skipped, byReason: rejects.skippedBy });
  return verdicts;
}

/** The account in the function's ARN (`arn:aws:lambda:<region>:<account>:function:<name>`). */
function accountOf(context: Context): string {
  return context.invokedFunctionArn?.split(':')[4] ?? '';
}

/** Enabled sources the analysis cannot read: neither the stack nor the config says where they are. */
function unlocated(
  cfg: { evidence: Record<'flowLogs' | 'accessLogs' | 'cloudTrail', { enabled: boolean }> },
  where: ReturnType<typeof evidenceLocations>,
  hasFlows: boolean,
): string[] {
  const out: string[] = [];
  if (cfg.evidence.flowLogs.enabled && !hasFlows) out.push('flowLogs');
  if (cfg.evidence.accessLogs.enabled && !where.accessLogs) out.push('accessLogs');
  if (cfg.evidence.cloudTrail.enabled && !where.cloudTrail) out.push('cloudTrail');
  return out;
}

export const handler = middy(analyzeHandler)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .use(logInvocationErrors(logger));
