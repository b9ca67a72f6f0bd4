import type { PathGuardConfig } from '../../shared/config/index.js';

/**
 * The environment variables through which the stack tells the analyze function where each
 * evidence source is. The stack resolves every location (the buckets and log group it creates or
 * the deployment names) and checks the config agrees at synth time, so IAM grants and reads come
 * from one source of truth (infra/evidence.ts).
 */
export const EVIDENCE_ENV = {
  accessLogBucket: 'PATHGUARD_ACCESS_LOG_BUCKET',
  accessLogPrefix: 'PATHGUARD_ACCESS_LOG_PREFIX',
  flowLogGroup: 'PATHGUARD_FLOW_LOG_GROUP',
  flowLogBucket: 'PATHGUARD_FLOW_LOG_BUCKET',
  flowLogPrefix: 'PATHGUARD_FLOW_LOG_PREFIX',
  cloudTrailBucket: 'PATHGUARD_CLOUDTRAIL_BUCKET',
  cloudTrailPrefix: 'PATHGUARD_CLOUDTRAIL_PREFIX',
  accountId: 'PATHGUARD_ACCOUNT_ID',
} as const;

export interface EvidenceLocations {
  accessLogs?: { bucket: string; prefix: string };
  /** The configured flow-log group, read when discovery finds no CloudWatch flow log for the runners. */
  flowLogGroup?: string;
  /**
   * Flow logs delivered to S3 (text or Parquet) that the stack granted: read instead of any log
   * group. Only the stack names it (deployment.evidence.flowLogBucket).
   */
  flowLogS3?: { bucket: string; prefix: string };
  cloudTrail?: { bucket: string; prefix: string };
}

/**
 * Where the analyze function reads each enabled source: the location the stack passed, else the
 * config's (a deployment without this stack). A disabled source has no location.
 *
 * @example evidenceLocations(cfg, process.env).accessLogs // { bucket: 'pathguard-logs', prefix: 'access-logs/' }
 */
export function evidenceLocations(
  cfg: PathGuardConfig,
  env: Readonly<Record<string, string | undefined>>,
): EvidenceLocations {
  const ev = cfg.evidence;
  const out: EvidenceLocations = {};
  const accessBucket = env[EVIDENCE_ENV.accessLogBucket] || ev.accessLogs.bucket;
  if (ev.accessLogs.enabled && accessBucket) {
    out.accessLogs = {
      bucket: accessBucket,
      prefix: env[EVIDENCE_ENV.accessLogPrefix] ?? ev.accessLogs.prefix,
    };
  }
  const group = env[EVIDENCE_ENV.flowLogGroup] || ev.flowLogs.logGroupName;
  const flowBucket = env[EVIDENCE_ENV.flowLogBucket];
  if (ev.flowLogs.enabled && flowBucket)
    out.flowLogS3 = { bucket: flowBucket, prefix: env[EVIDENCE_ENV.flowLogPrefix] ?? '' };
  else if (ev.flowLogs.enabled && group) out.flowLogGroup = group;
  const trailBucket = env[EVIDENCE_ENV.cloudTrailBucket] || ev.cloudTrail.bucket;
  if (ev.cloudTrail.enabled && trailBucket) {
    out.cloudTrail = {
      bucket: trailBucket,
      prefix: env[EVIDENCE_ENV.cloudTrailPrefix] ?? ev.cloudTrail.prefix,
    };
  }
  return out;
}
