import { readFileSync } from 'node:fs';
import { aws_logs as logs } from 'aws-cdk-lib';
import { formatIssuePath, validateConfig } from '../shared/config/index.js';
import { ValidationError } from '../shared/errors.js';
import { type DeploymentSettings, deploymentSchema } from './deployment-config.js';
import { planEvidence } from './evidence.js';
import type { StackMonitoringConfig } from './stacks/pathguard-stack.js';

export interface InfraConfig {
  monitoring: StackMonitoringConfig;
  /** The monitoring config (without `deployment`) as the functions read it from PATHGUARD_CONFIG. */
  configJson: string;
  deployment: DeploymentSettings;
}

/** Lambda environment variables total at most 4 KB; leave room for the others. */
const MAX_INLINE_CONFIG = 3000;

/**
 * Reads and validates `pathguard.config.json`: the monitoring config the functions run with plus
 * a `deployment` section for the stack. Every problem is collected before one throw.
 */
export function loadInfraConfig(file: string): InfraConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  const issues: { path: string; message: string }[] = [];
  const cfg = validateConfig(doc);
  if (!cfg.ok) issues.push(...cfg.error.issues);
  const dep = deploymentSchema.safeParse((doc as { deployment?: unknown }).deployment ?? {});
  if (!dep.success) {
    issues.push(
      ...dep.error.issues.map((i) => ({
        path: `deployment.${formatIssuePath(i.path)}`.replace(/\.$/, ''),
        message: i.message,
      })),
    );
  }
  if (issues.length > 0 || !cfg.ok || !dep.success) throw new ValidationError(file, issues);
  const c = cfg.value;
  const d = dep.data;
  if (!Object.values(logs.RetentionDays).includes(d.logRetentionDays)) {
    issues.push({
      path: 'deployment.logRetentionDays',
      message: 'not a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)',
    });
  }
  const subnets = new Set(d.network.subnets.map((s) => s.subnetId));
  c.vantages.forEach((v, i) => {
    if (v.kind === 'vpc' && !subnets.has(v.subnetId)) {
      issues.push({
        path: `vantages[${i}].subnetId`,
        message: `${v.subnetId} is not listed in deployment.network.subnets`,
      });
    }
  });
  const targetBuckets = new Set(c.targets.map((t) => t.bucket));
  d.createProbeBuckets.forEach((b, i) => {
    if (!targetBuckets.has(b))
      issues.push({ path: `deployment.createProbeBuckets[${i}]`, message: `${b} is not a target bucket` });
  });
  const runners = new Set(c.vantages.filter((v) => v.kind === 'onprem').map((v) => v.id));
  d.onPremRunners.forEach((r, i) => {
    if (!runners.has(r.runnerId))
      issues.push({
        path: `deployment.onPremRunners[${i}].runnerId`,
        message: `${r.runnerId} is not an on-prem vantage`,
      });
  });
  const evidence = planEvidence(c, d);
  issues.push(...evidence.issues);
  const { deployment: _d, ...monitoringDoc } = doc as Record<string, unknown>;
  const configJson = JSON.stringify(monitoringDoc);
  if (configJson.length > MAX_INLINE_CONFIG) {
    issues.push({
      path: '(root)',
      message: `the config is ${configJson.length} bytes; Lambda environment variables total at most 4 KB: upload it to S3 and set PATHGUARD_CONFIG to s3://bucket/key`,
    });
  }
  if (issues.length > 0) throw new ValidationError(file, issues);
  return {
    deployment: d,
    configJson,
    monitoring: {
      region: c.region,
      probePrefix: c.probePrefix,
      resultsBucket: c.resultsBucket,
      scheduleMinutes: c.scheduleMinutes,
      targetBuckets: [...targetBuckets],
      /** Buckets with upload probes (`put`, `post`): the analyzer deletes those probes' objects. */
      uploadBuckets: [
        ...new Set(c.targets.filter((t) => t.methods.some((m) => m !== 'get')).map((t) => t.bucket)),
      ],
      vpcVantages: c.vantages.flatMap((v) => (v.kind === 'vpc' ? [{ id: v.id, subnetId: v.subnetId }] : [])),
      onPremVantages: c.vantages.flatMap((v) => (v.kind === 'onprem' ? [v.id] : [])),
      retention: c.retention,
      evidence: evidence.plan,
    },
  };
}
