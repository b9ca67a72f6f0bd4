import { type AccessTableSpec, accessTable } from '../shared/athena/access-table.js';
import { accessTableSpec, flowTableSpec } from '../shared/athena/config-tables.js';
import { type FlowTableSpec, flowTable } from '../shared/athena/flow-table.js';
import { tableDdl } from '../shared/athena/table-model.js';
import type { PathGuardConfig } from '../shared/config/index.js';
import { PathGuardError } from '../shared/errors.js';
import type { DeploymentSettings } from './deployment-config.js';
import type { EvidencePlan, PlanIssue } from './evidence.js';

/** The tables the stack creates (deployment.evidence.createAthenaTables). */
export interface AthenaTablesPlan {
  readonly flow?: FlowTableSpec;
  /** `bucket` undefined: the access-log bucket this stack creates (its name is known at deploy). */
  readonly access?: Omit<AccessTableSpec, 'bucket'> & { readonly bucket?: string };
}

/** Stands in for the stack's own access-log bucket while the table is checked as DDL. */
const STACK_BUCKET = 'stack-access-log-bucket';

/**
 * The tables a deployment asks the stack to create, from the same config blocks and generators as
 * `pathguard athena ddl`, or the issues that stop it. Each table is rendered as DDL once here, so a
 * value the DDL refuses (a prefix with a quote) is refused at synth, not after the stack created a
 * table no reviewer could print.
 */
export function planAthenaTables(
  cfg: PathGuardConfig,
  d: DeploymentSettings,
  evidence: EvidencePlan,
): { plan?: AthenaTablesPlan; issues: PlanIssue[] } {
  if (!d.evidence.createAthenaTables) return { issues: [] };
  const issues: PlanIssue[] = [];
  const attempt = <T>(path: string, make: () => T): T | undefined => {
    try {
      return make();
    } catch (e) {
      if (!(e instanceof PathGuardError)) throw e;
      issues.push({ path, message: `${e.message} (deployment.evidence.createAthenaTables)` });
      return undefined;
    }
  };
  // The stack fixes the table's folders and format at deploy: no discovered delivery stands in.
  const flow = attempt('evidence.flowLogs.athena.location', () => flowTableSpec(cfg) ?? undefined);
  const access = planAccess(cfg, evidence, issues, attempt);
  if (!flow && !access && issues.length === 0) {
    issues.push({
      path: 'deployment.evidence.createAthenaTables',
      message: "no evidence source has engine 'athena': nothing would query these tables",
    });
  }
  if (flow && access && flow.database === access.database && flow.table === access.table) {
    issues.push({
      path: 'evidence.accessLogs.athena.table',
      message: `is ${flow.database}.${flow.table}, the flow-log table's name too`,
    });
  }
  if (flow) attempt('evidence.flowLogs.athena', () => tableDdl(flowTable(flow)));
  if (access)
    attempt('evidence.accessLogs', () =>
      tableDdl(accessTable({ ...access, bucket: access.bucket ?? STACK_BUCKET })),
    );
  if (issues.length > 0) return { issues };
  return { plan: { ...(flow ? { flow } : {}), ...(access ? { access } : {}) }, issues };
}

function planAccess(
  cfg: PathGuardConfig,
  evidence: EvidencePlan,
  issues: PlanIssue[],
  attempt: <T>(path: string, make: () => T) => T | undefined,
): AthenaTablesPlan['access'] {
  const located = evidence.accessLogs;
  const bucket = located?.source === 'existing' ? located.bucket : STACK_BUCKET;
  const spec = attempt('evidence.accessLogs', () =>
    located ? accessTableSpec(cfg, { bucket, prefix: located.prefix }) : null,
  );
  if (!spec || !located) return undefined;
  if (located.source === 'stack' && spec.layout === 'partitioned') {
    // Probe buckets this stack creates log with S3's simple key format: no date folders.
    issues.push({
      path: 'evidence.accessLogs.athena.layout',
      message:
        "is 'partitioned' but the access logging this stack sets up writes the simple key format: set 'simple', or name a bucket with date-based partitioning in deployment.evidence.accessLogBucket",
    });
    return undefined;
  }
  if (located.source === 'existing') return spec;
  const { bucket: _placeholder, ...rest } = spec;
  return rest;
}
