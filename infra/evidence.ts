import type { PathGuardConfig } from '../shared/config/index.js';
import type { DeploymentSettings } from './deployment-config.js';

/** Where one evidence source is read: a resource this stack creates, or an existing one. */
export type Located<T> = ({ source: 'stack' } | ({ source: 'existing' } & T)) & { prefix: string };

/**
 * Every evidence location, resolved once by the stack: it creates or names each resource, grants
 * the analyze function read access to exactly these, and passes them to it (EVIDENCE_ENV), so
 * what the code reads and what IAM allows cannot drift apart. null: the source is disabled.
 */
/** Flow logs an existing flow log delivers to S3: the bucket, its prefix, and its SSE-KMS key. */
export interface S3FlowLogs {
  source: 's3';
  bucket: string;
  /** Before `AWSLogs/`: empty or ending in `/`. */
  prefix: string;
  kmsKeyArn?: string;
}

export interface EvidencePlan {
  accessLogs: Located<{ bucket: string }> | null;
  flowLogs: Located<{ logGroupName: string }> | S3FlowLogs | null;
  cloudTrail: (Located<{ bucket: string }> & { networkActivity: boolean }) | null;
}

export interface PlanIssue {
  path: string;
  message: string;
}

/**
 * Resolves the evidence locations from the deployment and checks that the monitoring config
 * agrees: a location set in `evidence.*` that differs from the deployment's is an issue naming
 * the key (before, the config's bucket won in the function while IAM granted the stack's).
 *
 * @example
 * const { plan, issues } = planEvidence(cfg, deployment);
 * // issues: [{ path: 'evidence.accessLogs.bucket', message: 'the stack creates …' }]
 */
export function planEvidence(
  cfg: PathGuardConfig,
  d: DeploymentSettings,
): { plan: EvidencePlan; issues: PlanIssue[] } {
  const issues: PlanIssue[] = [];
  const ev = cfg.evidence;
  const de = d.evidence;
  const disagree = (path: string, value: string, owner: string, ownerValue: string | undefined) =>
    issues.push({
      path,
      message: ownerValue
        ? `is '${value}' but ${owner} is '${ownerValue}': the stack reads and grants only the deployment's; remove this key or make them equal`
        : `the stack creates this location and passes it to the functions: remove this key (or name an existing one in ${owner})`,
    });

  let accessLogs: EvidencePlan['accessLogs'] = null;
  if (ev.accessLogs.enabled) {
    if (ev.accessLogs.bucket && ev.accessLogs.bucket !== de.accessLogBucket)
      disagree(
        'evidence.accessLogs.bucket',
        ev.accessLogs.bucket,
        'deployment.evidence.accessLogBucket',
        de.accessLogBucket,
      );
    if (ev.accessLogs.prefix && ev.accessLogs.prefix !== de.accessLogPrefix)
      disagree(
        'evidence.accessLogs.prefix',
        ev.accessLogs.prefix,
        'deployment.evidence.accessLogPrefix',
        de.accessLogPrefix,
      );
    accessLogs = de.accessLogBucket
      ? { source: 'existing', bucket: de.accessLogBucket, prefix: de.accessLogPrefix }
      : { source: 'stack', prefix: de.accessLogPrefix };
  }

  const flowLogs = planFlowLogs(cfg, d, issues, disagree);

  let cloudTrail: EvidencePlan['cloudTrail'] = null;
  if (!ev.cloudTrail.enabled) {
    if (de.createCloudTrail)
      issues.push({
        path: 'deployment.evidence.createCloudTrail',
        message: 'creates a paid data-event trail that nothing reads: evidence.cloudTrail.enabled is false',
      });
  } else if (de.createCloudTrail) {
    if (ev.cloudTrail.bucket)
      disagree(
        'evidence.cloudTrail.bucket',
        ev.cloudTrail.bucket,
        'deployment.evidence.cloudTrailBucket',
        undefined,
      );
    cloudTrail = { source: 'stack', prefix: '', networkActivity: de.cloudTrailNetworkActivity };
  } else if (de.cloudTrailBucket) {
    if (ev.cloudTrail.bucket && ev.cloudTrail.bucket !== de.cloudTrailBucket)
      disagree(
        'evidence.cloudTrail.bucket',
        ev.cloudTrail.bucket,
        'deployment.evidence.cloudTrailBucket',
        de.cloudTrailBucket,
      );
    if (ev.cloudTrail.prefix && ev.cloudTrail.prefix !== de.cloudTrailPrefix)
      disagree(
        'evidence.cloudTrail.prefix',
        ev.cloudTrail.prefix,
        'deployment.evidence.cloudTrailPrefix',
        de.cloudTrailPrefix,
      );
    cloudTrail = {
      source: 'existing',
      bucket: de.cloudTrailBucket,
      prefix: de.cloudTrailPrefix,
      networkActivity: false,
    };
  } else {
    issues.push({
      path: 'deployment.evidence.cloudTrailBucket',
      message:
        'required when evidence.cloudTrail is enabled and deployment.evidence.createCloudTrail is false',
    });
  }
  if (de.cloudTrailNetworkActivity && !de.createCloudTrail)
    issues.push({
      path: 'deployment.evidence.cloudTrailNetworkActivity',
      message:
        'needs deployment.evidence.createCloudTrail (the selector is added to the trail this stack creates)',
    });
  return { plan: { accessLogs, flowLogs, cloudTrail }, issues };
}

/** Where flow logs are read: a group the stack creates, an existing group, or an existing S3 delivery. */
function planFlowLogs(
  cfg: PathGuardConfig,
  d: DeploymentSettings,
  issues: PlanIssue[],
  disagree: (path: string, value: string, owner: string, ownerValue: string | undefined) => void,
): EvidencePlan['flowLogs'] {
  const ev = cfg.evidence;
  const de = d.evidence;
  if (!ev.flowLogs.enabled) return null;
  const named = ev.flowLogs.logGroupName;
  if (de.flowLogBucket) {
    // One flow-log source: the stack grants and names exactly one.
    if (de.createFlowLogs)
      issues.push({
        path: 'deployment.evidence.createFlowLogs',
        message:
          'creates CloudWatch Logs flow logs while deployment.evidence.flowLogBucket names an S3 delivery: set it to false to read the bucket',
      });
    if (de.flowLogGroupName)
      issues.push({
        path: 'deployment.evidence.flowLogGroupName',
        message: 'names a log group while deployment.evidence.flowLogBucket names an S3 delivery: keep one',
      });
    if (named)
      issues.push({
        path: 'evidence.flowLogs.logGroupName',
        message:
          'names a log group while deployment.evidence.flowLogBucket names an S3 delivery: remove this key',
      });
    return {
      source: 's3',
      bucket: de.flowLogBucket,
      prefix: de.flowLogPrefix,
      ...(de.flowLogKmsKeyArn ? { kmsKeyArn: de.flowLogKmsKeyArn } : {}),
    };
  }
  if (de.flowLogKmsKeyArn)
    issues.push({
      path: 'deployment.evidence.flowLogKmsKeyArn',
      message: 'needs deployment.evidence.flowLogBucket (the key decrypts the flow-log objects there)',
    });
  if (de.createFlowLogs) {
    if (named)
      disagree('evidence.flowLogs.logGroupName', named, 'deployment.evidence.flowLogGroupName', undefined);
    return { source: 'stack', prefix: '' };
  }
  if (de.flowLogGroupName) {
    if (named && named !== de.flowLogGroupName)
      disagree(
        'evidence.flowLogs.logGroupName',
        named,
        'deployment.evidence.flowLogGroupName',
        de.flowLogGroupName,
      );
    return { source: 'existing', logGroupName: de.flowLogGroupName, prefix: '' };
  }
  issues.push({
    path: 'deployment.evidence.flowLogGroupName',
    message:
      'required (or deployment.evidence.flowLogBucket) when evidence.flowLogs is enabled and deployment.evidence.createFlowLogs is false',
  });
  return null;
}
