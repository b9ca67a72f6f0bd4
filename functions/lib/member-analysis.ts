// The central analyze function's scheduled run for an organisation: the member runs
// (member-runs.ts) on STS role chaining (member-access.ts), then the metrics, logs and the
// response the operator reads. Every SDK import on this path is a type or dynamic: a
// single-account function never loads STS or EC2 for it.
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { STSClient } from '@aws-sdk/client-sts';
import { centralStsClient, MemberClients } from '../aws/member-access.js';
import { type MemberOutcome, type MemberRunDeps, runMembers } from './member-runs.js';
import type { OrganizationEnv } from './organization-env.js';
import { logger, metrics } from './powertools.js';

/** The member runs' inputs, without the EC2 clients: those come from the members' roles. */
export type OrganizationRunDeps = Omit<MemberRunDeps, 'clients' | 'organization'> & {
  readonly organization: OrganizationEnv;
  readonly clients: Omit<MemberRunDeps['clients'], 'ec2'> & {
    /** The central function's STS client. @default one in the function's Region */
    readonly sts?: STSClient;
  };
};

/**
 * Analyses every member (bounded concurrency), each on its own discovery role's credentials, and
 * reports: `MemberRunFailed` (one per failed member) and the usual run metrics summed over the
 * members; `RunSucceeded` only when every member ran without an error, so a member that keeps
 * failing keeps the AnalyzeSilent alarm raised.
 *
 * @example
 * return await analyzeOrganization({ cfg, organization, clients: { s3, cwl }, sink, engines, now });
 */
export async function analyzeOrganization(deps: OrganizationRunDeps): Promise<Record<string, unknown>> {
  const started = Date.now();
  const org = deps.organization;
  const members = new MemberClients(deps.clients.sts ?? (await centralStsClient()), org.members, {
    ...(org.externalId ? { externalId: org.externalId } : {}),
  });
  const outcomes = await runMembers({
    ...deps,
    clients: {
      ...deps.clients,
      ec2: async (account, region) => {
        await members.credentials(account, region)();
        return members.ec2(account, region);
      },
    },
  });
  const verdicts: Record<string, number> = {};
  let alertsSent = 0;
  let rejected = 0;
  for (const o of outcomes) {
    rejected += o.rejects.count;
    if (!o.ok) {
      metrics.addMetric('MemberRunFailed', MetricUnit.Count, 1);
      logger.error('member run failed', {
        account: o.account,
        region: o.region,
        stage: o.error.stage,
        code: o.error.code,
        reason: o.error.message,
      });
      continue;
    }
    for (const r of o.summary.results) verdicts[r.verdict.verdict] = (verdicts[r.verdict.verdict] ?? 0) + 1;
    alertsSent += o.summary.alerts.sent.length;
    logMember(o);
  }
  for (const [verdict, n] of Object.entries(verdicts)) {
    const m = metrics.singleMetric();
    m.addDimension('verdict', verdict);
    m.addMetric('ProbeVerdict', MetricUnit.Count, n);
  }
  metrics.addMetric('AlertsSent', MetricUnit.Count, alertsSent);
  metrics.addMetric('RejectedLogLines', MetricUnit.Count, rejected);
  metrics.addMetric('RunDurationMs', MetricUnit.Milliseconds, Date.now() - started);
  const failed = outcomes.filter(
    (o) => !o.ok || o.summary.errors.length + o.summary.alerts.failed.length > 0,
  );
  if (failed.length === 0) metrics.addMetric('RunSucceeded', MetricUnit.Count, 1);
  logger.info('organisation analysis finished', {
    members: outcomes.length,
    membersFailed: outcomes.filter((o) => !o.ok).length,
    verdicts,
    alertsSent,
  });
  return {
    members: outcomes.map(memberResponse),
    membersFailed: outcomes.filter((o) => !o.ok).length,
    probes: outcomes.reduce((n, o) => n + (o.ok ? o.summary.results.length : 0), 0),
    verdicts,
    alertsSent,
    partialFailure: failed.length > 0,
  };
}

/** One member's evidence-source errors, rejects and unlocated sources, named by account. */
function logMember(o: Extract<MemberOutcome, { ok: true }>): void {
  const at = { account: o.account, region: o.region };
  for (const e of o.summary.errors)
    logger.warn('evidence source failed', { ...at, source: e.source, reason: e.message });
  for (const f of o.summary.alerts.failed)
    logger.error('alert not sent', { ...at, dedupKey: f.alert.dedupKey, error: f.error });
  for (const source of o.unlocated)
    logger.warn('evidence source enabled but not located; its probes stay no-evidence', { ...at, source });
  if (o.rejects.count > 0)
    logger.warn('log lines rejected', {
      ...at,
      count: o.rejects.count,
      byCode: o.rejects.byCode,
      samples: o.rejects.samples.map((x) => ({ source: x.source, line: x.line, code: x.code })),
    });
}

function memberResponse(o: MemberOutcome): Record<string, unknown> {
  const at = { account: o.account, region: o.region, prefix: o.prefix };
  if (!o.ok) return { ...at, ok: false, error: o.error };
  const verdicts: Record<string, number> = {};
  for (const r of o.summary.results) verdicts[r.verdict.verdict] = (verdicts[r.verdict.verdict] ?? 0) + 1;
  return {
    ...at,
    ok: true,
    runId: o.summary.runId,
    probes: o.summary.results.length,
    verdicts,
    alertsSent: o.summary.alerts.sent.length,
    records: o.summary.records,
    reports: o.reports,
    unlocated: o.unlocated,
    errors: o.summary.errors,
    alertFailures: o.summary.alerts.failed.map((f) => ({ dedupKey: f.alert.dedupKey, error: f.error })),
  };
}
