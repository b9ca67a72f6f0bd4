/**
 * The Athena tables a config asks for: one place that turns the `evidence.*.athena` blocks (and,
 * for flow logs, the delivery discovery found) into table specs, for the `athena ddl` command and
 * the analyze function alike, so the table a user reviews is the table the function queries.
 */
import type { PathGuardConfig } from '../config/index.js';
import { UserInputError } from '../errors.js';
import { DEFAULT_FLOW_FORMAT, type FlowFormat, parseFlowFormat } from '../flow-logs/format.js';
import type { AccessTableSpec } from './access-table.js';
import type { FlowLocation, FlowTableSpec } from './flow-table.js';

export const DEFAULT_FLOW_TABLE = 'pathguard_flow_logs';
export const DEFAULT_ACCESS_TABLE = 'pathguard_access_logs';

/** Where and how a flow log delivers to S3 (config `location`, or a flow log discovery found). */
export interface FlowDelivery extends FlowLocation {
  /** The `${field} …` format; empty or absent for the default format. */
  logFormat?: string;
}

function formatOf(spec: string | undefined): FlowFormat {
  if (!spec) return DEFAULT_FLOW_FORMAT;
  const f = parseFlowFormat(spec);
  if (!f.ok) throw new UserInputError('BAD_FLOW_FORMAT', `flow-log format: ${f.error.message}`);
  return f.value;
}

/**
 * The flow-log table, or null when flow logs are not read through Athena. `delivery` is what
 * discovery found; the config's `location` wins when both are there (it is what the user
 * reviewed). Neither: a UserInputError naming the missing setting.
 */
export function flowTableSpec(cfg: PathGuardConfig, delivery?: FlowDelivery): FlowTableSpec | null {
  const ev = cfg.evidence.flowLogs;
  if (!ev.enabled || ev.engine !== 'athena' || !ev.athena) return null;
  const where = ev.athena.location ?? delivery;
  if (!where) {
    throw new UserInputError(
      'FLOW_LOG_LOCATION_UNKNOWN',
      'evidence.flowLogs.athena.location: required when no flow log delivering to S3 is discovered',
    );
  }
  return {
    database: ev.athena.database,
    table: ev.athena.table ?? DEFAULT_FLOW_TABLE,
    bucket: where.bucket,
    prefix: where.prefix,
    layout: where.layout,
    hourly: where.hourly,
    fileFormat: where.fileFormat,
    ...(where.orgId ? { orgId: where.orgId } : {}),
    format: formatOf(where.logFormat),
  };
}

/** The access-log table over the access logs' bucket and prefix, or null when not read through Athena. */
export function accessTableSpec(
  cfg: PathGuardConfig,
  location: { bucket: string; prefix: string } | undefined,
): AccessTableSpec | null {
  const ev = cfg.evidence.accessLogs;
  if (!ev.enabled || ev.engine !== 'athena' || !ev.athena) return null;
  if (!location) {
    throw new UserInputError(
      'ACCESS_LOG_LOCATION_UNKNOWN',
      'evidence.accessLogs.bucket: required to query access logs through Athena',
    );
  }
  return {
    database: ev.athena.database,
    table: ev.athena.table ?? DEFAULT_ACCESS_TABLE,
    bucket: location.bucket,
    prefix: location.prefix,
    layout: ev.athena.layout,
  };
}
