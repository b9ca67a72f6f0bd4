// An organisation's scheduled run: the central analyze function analyses every member account x
// Region with the same analysis as a single account (runAnalysis: classifier, verdict engine,
// bundles, alerts), each on its own folder of the central results bucket, its network discovered
// through its discovery role in its Region, its evidence read from the log archive.
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { S3Client } from '@aws-sdk/client-s3';
import { labelAlert } from '../../shared/alerts/account-label.js';
import type { AnalyzerRunResult } from '../../shared/analyzer/run.js';
import type { PathGuardConfig } from '../../shared/config/index.js';
import type {
  AlertSink,
  CloudTrailSource,
  FlowLogSource,
  ProbeObjectRemover,
} from '../../shared/ports/index.js';
import { memberResultsPrefix } from '../../shared/probes/results-keys.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { S3CloudTrailSource } from '../aws/cloudtrail-s3.js';
import { type DiscoveryResult, discoverEnvironment } from '../aws/discovery.js';
import { S3ObjectStore } from '../aws/store-s3.js';
import { runAnalysis } from './analyze-run.js';
import { dailyReportLocation, dailyReports, resultsBucketReader } from './daily-report.js';
import { type EngineContext, flowSourceByEngine } from './engine-sources.js';
import type { EvidenceLocations } from './evidence-locations.js';
import type { MemberTarget, OrganizationEnv } from './organization-env.js';

/** What {@link runMembers} needs. */
export interface MemberRunDeps {
  readonly cfg: PathGuardConfig;
  readonly organization: OrganizationEnv;
  readonly clients: {
    /** The central account's S3: results bucket and log archive. */
    readonly s3: S3Client;
    readonly cwl: CloudWatchLogsClient;
    /**
     * An EC2 client in the member's Region on its discovery role, resolved only once the role is
     * assumed (so a refused AssumeRole is told from a refused Describe call).
     */
    readonly ec2: (account: string, region: string) => Promise<EC2Client>;
  };
  /** The central topic; every alert is labelled with its member's account and Region. */
  readonly sink: AlertSink;
  readonly probeObjects?: ProbeObjectRemover;
  readonly engines: Omit<EngineContext, 'cfg'>;
  readonly now: Date;
  readonly since?: Date;
  /** Members analysed at once: each holds its evidence in memory. @default 3 */
  readonly concurrency?: number;
}

/** Why a member's run stopped, and where. */
export interface MemberFailure {
  readonly stage: 'assume-role' | 'discovery' | 'evidence' | 'analysis';
  /** The AWS error code (`AccessDenied`, `ThrottlingException`…) or PathGuard's error code. */
  readonly code: string;
  readonly message: string;
}

interface MemberOutcomeBase {
  readonly account: string;
  readonly region: string;
  /** The member's folder of the results bucket (`members/<account>/<region>/`). */
  readonly prefix: string;
  readonly rejects: RejectCounter;
}

/** One member's run: its summary, or why it failed (its probes then keep their last verdicts). */
export type MemberOutcome = MemberOutcomeBase &
  (
    | {
        readonly ok: true;
        readonly summary: AnalyzerRunResult;
        readonly reports: readonly { key: string; probes: number }[];
        /** Enabled sources the log archive does not locate: their probes stay no-evidence. */
        readonly unlocated: readonly string[];
      }
    | { readonly ok: false; readonly error: MemberFailure }
  );

/**
 * Analyses every member, `concurrency` at a time. One member's failure (AssumeRole denied,
 * throttling past the retries, a discovery or store fault) is that member's outcome and never
 * stops the others; a failed member decides nothing, so none of its probes turns compliant.
 *
 * @example
 * const outcomes = await runMembers({ cfg, organization, clients, sink, engines, now });
 * const failed = outcomes.filter((o) => !o.ok).length;
 */
export async function runMembers(deps: MemberRunDeps): Promise<MemberOutcome[]> {
  const members = deps.organization.members;
  const out: MemberOutcome[] = new Array(members.length);
  let next = 0;
  const worker = async () => {
    while (next < members.length) {
      const i = next++;
      out[i] = await runMember(members[i]!, deps);
    }
  };
  const n = Math.max(1, Math.min(deps.concurrency ?? 3, members.length));
  await Promise.all(Array.from({ length: n }, worker));
  return out;
}

/** The config as one member sees it: only its own VPC vantages (the runner subnets discovered). */
export function memberConfig(cfg: PathGuardConfig, m: MemberTarget): PathGuardConfig {
  const own = new Set(m.vantageIds);
  return { ...cfg, vantages: cfg.vantages.filter((v) => v.kind === 'vpc' && own.has(v.id)) };
}

/**
 * The log-archive locations of the enabled sources. Access logs are not read per member: their
 * archive folders are named after the account owning each logged bucket, which the config does
 * not say.
 */
export function archiveLocations(cfg: PathGuardConfig, org: OrganizationEnv): EvidenceLocations {
  const a = org.logArchive;
  const ev = cfg.evidence;
  return {
    ...(a?.flowLogs && ev.flowLogs.enabled ? { flowLogS3: a.flowLogs } : {}),
    ...(a?.cloudTrail && ev.cloudTrail.enabled ? { cloudTrail: a.cloudTrail } : {}),
  };
}

async function runMember(m: MemberTarget, deps: MemberRunDeps): Promise<MemberOutcome> {
  const base = { account: m.account, region: m.region, prefix: memberResultsPrefix(m.account, m.region) };
  const rejects = new RejectCounter();
  let stage: MemberFailure['stage'] = 'assume-role';
  try {
    const cfg = memberConfig(deps.cfg, m);
    const runnerSubnetIds = cfg.vantages.flatMap((v) => (v.kind === 'vpc' ? [v.subnetId] : []));
    const ec2 = await deps.clients.ec2(m.account, m.region);
    stage = 'discovery';
    const found = await discoverEnvironment(ec2, {
      region: m.region,
      vpcIds: [m.vpcId],
      runnerSubnetIds,
      onPrem: cfg.onPrem,
    });
    stage = 'evidence';
    const { where, flows, cloudTrail } = await memberEvidence(m, cfg, found, deps, rejects);
    stage = 'analysis';
    const store = new S3ObjectStore(deps.clients.s3, cfg.resultsBucket, base.prefix);
    const summary = await runAnalysis({
      cfg,
      store,
      sink: { publish: (alert) => deps.sink.publish(labelAlert(alert, m)) },
      now: deps.now,
      report: dailyReportLocation(cfg, deps.now, base.prefix),
      ...(deps.since ? { since: deps.since } : {}),
      discover: async () => found,
      ...(flows ? { flows } : {}),
      ...(cloudTrail ? { cloudTrail } : {}),
      ...(deps.probeObjects ? { probeObjects: deps.probeObjects } : {}),
    });
    const reports = await memberReports(cfg, store, base.prefix, found.environment, summary, deps);
    const unlocated = unlocatedSources(cfg, where, flows !== undefined);
    return { ...base, rejects, ok: true, summary, reports, unlocated };
  } catch (e) {
    return { ...base, rejects, ok: false, error: failureOf(stage, e) };
  }
}

/**
 * The member's evidence sources in the log archive. Flow logs only from the archive's delivery: a
 * CloudWatch Logs group in the member account is out of reach of the central function's client.
 */
async function memberEvidence(
  m: MemberTarget,
  cfg: PathGuardConfig,
  found: DiscoveryResult,
  deps: MemberRunDeps,
  rejects: RejectCounter,
): Promise<{ where: EvidenceLocations; flows?: FlowLogSource; cloudTrail?: CloudTrailSource }> {
  const { s3, cwl } = deps.clients;
  const where = archiveLocations(cfg, deps.organization);
  const flows = where.flowLogS3
    ? await flowSourceByEngine(
        {
          enabled: true,
          where,
          flowLogs: found.flowLogs.filter((f) => f.destinationType === 's3'),
          runnerSubnetIds: cfg.vantages.flatMap((v) => (v.kind === 'vpc' ? [v.subnetId] : [])),
          vpcIds: found.vpcIds,
          account: { accountId: m.account, region: m.region },
          clients: { s3, cwl },
          rejects,
        },
        { ...deps.engines, cfg },
      )
    : undefined;
  const trail = where.cloudTrail;
  const orgId = deps.organization.logArchive?.organizationId;
  const cloudTrail = trail
    ? new S3CloudTrailSource(
        s3,
        { ...trail, accountId: m.account, region: m.region, ...(orgId ? { orgId } : {}) },
        rejects,
      )
    : undefined;
  return { where, ...(flows ? { flows } : {}), ...(cloudTrail ? { cloudTrail } : {}) };
}

/** The member's evidence reports (its folder); a failure is a store error of its run, not its end. */
async function memberReports(
  cfg: PathGuardConfig,
  store: S3ObjectStore,
  prefix: string,
  environment: DiscoveryResult['environment'],
  summary: AnalyzerRunResult,
  deps: MemberRunDeps,
): Promise<{ key: string; probes: number }[]> {
  const reports: { key: string; probes: number }[] = [];
  try {
    for (const r of await dailyReports({
      reader: resultsBucketReader(deps.clients.s3, cfg.resultsBucket, store, prefix),
      store,
      cfg,
      environment,
      drift: summary.drift,
      now: deps.now,
      alertsSent: summary.alerts.sent.length,
    }))
      reports.push({ key: prefix + r.key, probes: r.probes });
  } catch (e) {
    summary.errors.push({ source: 'store', message: `writing the evidence report: ${(e as Error).message}` });
  }
  return reports;
}

function unlocatedSources(cfg: PathGuardConfig, where: EvidenceLocations, hasFlows: boolean): string[] {
  const ev = cfg.evidence;
  const out: string[] = [];
  if (ev.flowLogs.enabled && !hasFlows) out.push('flowLogs');
  if (ev.accessLogs.enabled) out.push('accessLogs');
  if (ev.cloudTrail.enabled && !where.cloudTrail) out.push('cloudTrail');
  return out;
}

function failureOf(stage: MemberFailure['stage'], e: unknown): MemberFailure {
  const err = e as { awsCode?: string; code?: string; name?: string; message?: string };
  return {
    stage,
    code: err.awsCode ?? err.code ?? err.name ?? 'Error',
    message: err.message ?? String(e),
  };
}
