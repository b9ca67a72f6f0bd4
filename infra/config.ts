import { readFileSync } from 'node:fs';
import { aws_logs as logs } from 'aws-cdk-lib';
import { formatIssuePath, type PathGuardConfig, validateConfig } from '../shared/config/index.js';
import { ValidationError } from '../shared/errors.js';
import { planAthenaTables } from './athena-tables.js';
import { athenaEngineGrants } from './constructs/athena-grants.js';
import { type DeploymentSettings, deploymentSchema } from './deployment-config.js';
import { type EvidencePlan, planEvidence } from './evidence.js';
import {
  centralEnvironmentBytes,
  LAMBDA_ENVIRONMENT_MAX,
  type MemberPlacement,
  memberPlacements,
  type OrganizationSettings,
  organizationSchema,
} from './organization-config.js';
import type { StackMonitoringConfig } from './stacks/pathguard-stack.js';

export interface InfraConfig {
  monitoring: StackMonitoringConfig;
  /** The monitoring config (without `deployment`) as the functions read it from PATHGUARD_CONFIG. */
  configJson: string;
  deployment: DeploymentSettings;
  /** Present when the config has an `organization` section: the central and member stacks. */
  organization?: OrganizationPlan;
}

/** The organisation as the stacks build it: its settings and each member x Region's vantages. */
export interface OrganizationPlan {
  readonly settings: OrganizationSettings;
  /** Whether flow logs are read (evidence.flowLogs.enabled): member stacks deliver them. */
  readonly flowLogs: boolean;
  readonly members: readonly (MemberPlacement & {
    readonly vpcVantages: readonly { readonly id: string; readonly subnetId: string }[];
  })[];
}

type Issue = { path: string; message: string };
type Parsed<T> =
  | { success: true; data: T }
  | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };

function parseSection<T>(
  schema: { safeParse(x: unknown): Parsed<T> },
  doc: unknown,
  key: string,
  issues: Issue[],
) {
  const r = schema.safeParse(doc);
  if (!r.success)
    issues.push(
      ...r.error.issues.map((i) => ({
        path: `${key}.${formatIssuePath(i.path)}`.replace(/\.$/, ''),
        message: i.message,
      })),
    );
  return r;
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
  const issues: Issue[] = [];
  const cfg = validateConfig(doc);
  if (!cfg.ok) issues.push(...cfg.error.issues);
  const raw = doc as { deployment?: unknown; organization?: unknown };
  const dep = parseSection(deploymentSchema, raw.deployment ?? {}, 'deployment', issues);
  const org =
    raw.organization === undefined
      ? undefined
      : parseSection(organizationSchema, raw.organization, 'organization', issues);
  if (issues.length > 0 || !cfg.ok || !dep.success || (org && !org.success))
    throw new ValidationError(file, issues);
  const c = cfg.value;
  const d = dep.data;
  if (!Object.values(logs.RetentionDays).includes(d.logRetentionDays)) {
    issues.push({
      path: 'deployment.logRetentionDays',
      message: 'not a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)',
    });
  }
  const organization = org?.success ? planOrganization(c, d, org.data, issues) : undefined;
  if (!organization) checkSingleAccountNetwork(c, d, issues);
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
  // An organisation reads its evidence from the log archive (organization.logArchive), not from
  // locations one stack creates.
  const evidence = organization ? { plan: NO_STACK_EVIDENCE, issues: [] } : planEvidence(c, d);
  issues.push(...evidence.issues);
  const tables = organization ? { issues: organizationTables(d) } : planAthenaTables(c, d, evidence.plan);
  issues.push(...tables.issues);
  const { deployment: _d, organization: _o, ...monitoringDoc } = doc as Record<string, unknown>;
  const configJson = JSON.stringify(monitoringDoc);
  if (configJson.length > MAX_INLINE_CONFIG) {
    issues.push({
      path: '(root)',
      message: `the config is ${configJson.length} bytes; Lambda environment variables total at most 4 KB: upload it to S3 and set PATHGUARD_CONFIG to s3://bucket/key`,
    });
  }
  if (organization) {
    const env = centralEnvironmentBytes(organization.settings, organization.members, configJson);
    if (env.total > LAMBDA_ENVIRONMENT_MAX)
      issues.push({
        path: 'organization.members',
        message: `the central analyze function's environment would be about ${env.total} bytes (the config ${configJson.length}, the member lists ${env.members} for ${organization.members.length} members x Regions); Lambda allows ${LAMBDA_ENVIRONMENT_MAX} in all: shorten the config or deploy one central stack per group of accounts`,
      });
  }
  if (issues.length > 0) throw new ValidationError(file, issues);
  const athena = athenaEngineGrants(c);
  return {
    deployment: d,
    ...(organization ? { organization } : {}),
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
      ...(athena ? { athena } : {}),
      ...(tables.plan ? { athenaTables: tables.plan } : {}),
    },
  };
}

/** The central stack does not create Athena tables yet: say so rather than ignore the setting. */
function organizationTables(d: DeploymentSettings): Issue[] {
  return d.evidence.createAthenaTables
    ? [
        {
          path: 'deployment.evidence.createAthenaTables',
          message:
            'not supported with an organization section yet: create the tables `pathguard athena ddl` prints',
        },
      ]
    : [];
}

const NO_STACK_EVIDENCE: EvidencePlan = { accessLogs: null, flowLogs: null, cloudTrail: null };

/** Without an organisation, every VPC vantage runs in a subnet of `deployment.network`. */
function checkSingleAccountNetwork(c: PathGuardConfig, d: DeploymentSettings, issues: Issue[]): void {
  if (!d.network) {
    issues.push({
      path: 'deployment.network',
      message:
        'required (the VPC and subnets of the vantages) unless an organization section lists them per member',
    });
    return;
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
}

/**
 * Places each VPC vantage in the one member account x Region whose subnets list its subnet, and
 * checks that the log archive has a location for every evidence source the config enables.
 */
function planOrganization(
  c: PathGuardConfig,
  d: DeploymentSettings,
  org: OrganizationSettings,
  issues: Issue[],
): OrganizationPlan {
  if (d.network)
    issues.push({
      path: 'deployment.network',
      message:
        'not used with an organization section: list each network under organization.members[].regions[].network',
    });
  if (d.createProbeBuckets.length > 0)
    issues.push({
      path: 'deployment.createProbeBuckets',
      message:
        'not supported with an organization section: probe buckets must already exist and allow the member probe roles',
    });
  if (d.onPremRunners.length > 0)
    issues.push({
      path: 'deployment.onPremRunners',
      message:
        'not supported with an organization section yet: on-prem runners report to a single-account stack',
    });
  const placements = memberPlacements(org);
  const where = new Map<string, number>();
  placements.forEach((p, i) => {
    for (const s of p.network.subnets) where.set(s.subnetId, i);
  });
  const vantagesOf = placements.map(() => [] as { id: string; subnetId: string }[]);
  c.vantages.forEach((v, i) => {
    if (v.kind !== 'vpc') {
      issues.push({ path: `vantages[${i}].kind`, message: 'only vpc vantages run in member accounts' });
      return;
    }
    const at = where.get(v.subnetId);
    if (at === undefined)
      issues.push({
        path: `vantages[${i}].subnetId`,
        message: `${v.subnetId} is not listed in any organization.members[].regions[].network.subnets`,
      });
    else vantagesOf[at]!.push({ id: v.id, subnetId: v.subnetId });
  });
  const archive = org.logArchive;
  const sources = [
    ['flowLogs', c.evidence.flowLogs.enabled],
    ['accessLogs', c.evidence.accessLogs.enabled],
    ['cloudTrail', c.evidence.cloudTrail.enabled],
  ] as const;
  for (const [source, enabled] of sources) {
    if (enabled && !archive?.[source])
      issues.push({
        path: `organization.logArchive.${source}`,
        message: `required: evidence.${source} is enabled and an organisation reads it from the log archive`,
      });
  }
  if (org.stackSet?.regions) {
    const memberRegions = new Set(placements.map((p) => p.region));
    org.stackSet.regions.forEach((r, i) => {
      if (!memberRegions.has(r))
        issues.push({ path: `organization.stackSet.regions[${i}]`, message: `${r} is no member's Region` });
    });
  }
  return {
    settings: org,
    flowLogs: c.evidence.flowLogs.enabled,
    members: placements.map((p, i) => ({ ...p, vpcVantages: vantagesOf[i]! })),
  };
}
