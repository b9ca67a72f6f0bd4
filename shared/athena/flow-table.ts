/**
 * The Athena table over VPC flow logs delivered to S3, and the query that reads a run's probe
 * evidence from it. The columns are the flow log's own fields in its own order (a custom format
 * gives a custom table; names with `_` for `-`, aws-facts §10.3), typed as AWS's DDL types them
 * (aws-facts §1.6, §10.3); text files keep their header line out with `skip.header.line.count`.
 * The folders are projected (./partitions.ts): plain, Hive-compatible and organisation layouts,
 * daily or hourly.
 */
import type { FlowFormat } from '../flow-logs/format.js';
import type { FlowQuery } from '../ports/index.js';
import {
  datePredicate,
  dateProjection,
  hivePredicate,
  hiveProjection,
  injectedProjection,
} from './partitions.js';
import {
  identifier,
  queryInteger,
  queryName,
  queryString,
  queryStringList,
  queryTable,
  SqlValueError,
} from './sql.js';
import {
  type AthenaTable,
  LAZY_SIMPLE_SERDE,
  PARQUET_INPUT_FORMAT,
  PARQUET_OUTPUT_FORMAT,
  PARQUET_SERDE,
  TEXT_INPUT_FORMAT,
  TEXT_OUTPUT_FORMAT,
  tableDdl,
} from './table-model.js';

/** Where and how a flow log delivers to S3: the folders a table reads and how they are laid out. */
export interface FlowLocation {
  bucket: string;
  /** The flow log's own prefix, before `AWSLogs/` (empty, or ending in `/`). */
  prefix: string;
  layout: 'plain' | 'hive';
  hourly: boolean;
  fileFormat: 'text' | 'parquet';
  /** Organisation layout: `AWSLogs/<org-id>/<account>/…`. */
  orgId?: string;
}

export interface FlowTableSpec extends FlowLocation {
  database: string;
  table: string;
  format: FlowFormat;
}

/** Partition columns that carry the account and Region of the folder (injected). */
export const FLOW_ACCOUNT_COLUMN = 'log_account';
export const FLOW_REGION_COLUMN = 'log_region';
/** The date projection column of the plain and organisation layouts. */
export const FLOW_DATE_COLUMN = 'dt';

/** Files are named for 5 minutes of record end times, and a record ends up to 10 minutes after its traffic (flow-logs-s3.ts). */
const BEFORE_MS = 10 * 60_000;
const AFTER_MS = 10 * 60_000;

const INT = new Set(['version', 'srcport', 'dstport', 'tcp-flags', 'traffic-path']);
const BIGINT = new Set([
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
  'packets-lost-no-route',
  'packets-lost-blackhole',
  'packets-lost-mtu-exceeded',
  'packets-lost-ttl-expired',
]);

/** `pkt-srcaddr` → `pkt_srcaddr`. */
export function flowColumn(field: string): string {
  return identifier(field.replaceAll('-', '_'), `flow-log field '${field}'`);
}

function columnType(field: string): string {
  return INT.has(field) ? 'int' : BIGINT.has(field) ? 'bigint' : 'string';
}

const ADDRESS_FIELDS = ['srcaddr', 'dstaddr', 'pkt-srcaddr', 'pkt-dstaddr'];

/** The folder template, with `${…}` for the projected partitions. */
export function flowLocationTemplate(spec: FlowTableSpec): { location: string; template: string } {
  const org = spec.orgId ? `${spec.orgId}/` : '';
  const root = `s3://${spec.bucket}/${spec.prefix}AWSLogs/${org}`;
  const acct = `\${${FLOW_ACCOUNT_COLUMN}}`;
  const region = `\${${FLOW_REGION_COLUMN}}`;
  if (spec.layout === 'hive') {
    const hour = spec.hourly ? '/hour=${hour}' : '';
    return {
      location: root,
      template: `${root}aws-account-id=${acct}/aws-service=vpcflowlogs/aws-region=${region}/year=\${year}/month=\${month}/day=\${day}${hour}/`,
    };
  }
  return { location: root, template: `${root}${acct}/vpcflowlogs/${region}/\${${FLOW_DATE_COLUMN}}/` };
}

/**
 * The table over the flow log `spec` describes: its fields as columns, the account, Region and
 * time folders as projected partitions.
 */
export function flowTable(spec: FlowTableSpec): AthenaTable {
  if (spec.format.fields.length === 0) throw new SqlValueError('flow-log format', 'has no field');
  const columns = spec.format.fields.map((f) => ({ name: flowColumn(f.name), type: columnType(f.name) }));
  const partitionKeys = [
    { name: FLOW_ACCOUNT_COLUMN, type: 'string' },
    { name: FLOW_REGION_COLUMN, type: 'string' },
    ...(spec.layout === 'hive'
      ? [
          { name: 'year', type: 'int' },
          { name: 'month', type: 'int' },
          { name: 'day', type: 'int' },
          ...(spec.hourly ? [{ name: 'hour', type: 'int' }] : []),
        ]
      : [{ name: FLOW_DATE_COLUMN, type: 'string' }]),
  ];
  const { location, template } = flowLocationTemplate(spec);
  const parquet = spec.fileFormat === 'parquet';
  const properties: [string, string][] = [
    ...(parquet ? [] : ([['skip.header.line.count', '1']] as [string, string][])),
    ['projection.enabled', 'true'],
    ...injectedProjection(FLOW_ACCOUNT_COLUMN),
    ...injectedProjection(FLOW_REGION_COLUMN),
    ...(spec.layout === 'hive' ? hiveProjection(spec.hourly) : dateProjection(FLOW_DATE_COLUMN, spec.hourly)),
    ['storage.location.template', template],
  ];
  return {
    database: identifier(spec.database, 'database'),
    table: identifier(spec.table, 'table'),
    columns,
    partitionKeys,
    location,
    serde: parquet
      ? { library: PARQUET_SERDE, parameters: {} }
      : { library: LAZY_SIMPLE_SERDE, parameters: { 'field.delim': ' ', 'serialization.format': ' ' } },
    inputFormat: parquet ? PARQUET_INPUT_FORMAT : TEXT_INPUT_FORMAT,
    outputFormat: parquet ? PARQUET_OUTPUT_FORMAT : TEXT_OUTPUT_FORMAT,
    properties,
  };
}

/**
 * `CREATE EXTERNAL TABLE IF NOT EXISTS …` for the flow log `spec` describes.
 *
 * @example flowTableDdl({ database: 'pathguard', table: 'flow_logs', bucket: 'logs', prefix: '', layout: 'plain', hourly: false, fileFormat: 'text', format: DEFAULT_FLOW_FORMAT })
 */
export function flowTableDdl(spec: FlowTableSpec): string {
  return tableDdl(flowTable(spec));
}

export interface FlowSelect {
  /** Accounts whose folders to read (injected partition values). */
  accounts: readonly string[];
  region: string;
  query: FlowQuery;
}

/**
 * The query for one {@link FlowQuery}: the window's folders only (widened by the delivery margins
 * the direct reader uses), records whose interval overlaps the window, and any of the query's
 * addresses on either side, or its ENIs. It returns every record the direct reader would hand
 * the correlator that the correlator can match (a match needs the probe's remote address among
 * the record's addresses, a start and an end overlapping the window), so verdicts cannot differ;
 * IPv6 addresses are compared in SQL only as "is IPv6" (the log's spelling of an address may not
 * be the canonical one the correlator compares after normalising).
 */
export function flowSelectSql(spec: FlowTableSpec, sel: FlowSelect): string {
  const names = spec.format.fields.map((f) => f.name);
  const cols = names.map((n) => queryName(flowColumn(n))).join(', ');
  const from = new Date(sel.query.window.from.getTime() - BEFORE_MS);
  const to = new Date(sel.query.window.to.getTime() + AFTER_MS);
  const where = [
    `${queryName(FLOW_ACCOUNT_COLUMN)} IN ${queryStringList(sel.accounts, 'accounts')}`,
    `${queryName(FLOW_REGION_COLUMN)} = ${queryString(sel.region)}`,
    spec.layout === 'hive'
      ? hivePredicate(from, to, spec.hourly)
      : datePredicate(FLOW_DATE_COLUMN, from, to, spec.hourly),
    ...timePredicates(names, sel.query),
    ...matchPredicate(names, sel.query),
  ];
  return `SELECT ${cols}
FROM ${queryTable(spec.database, spec.table)}
WHERE ${where.join('\n  AND ')}`;
}

function timePredicates(names: readonly string[], q: FlowQuery): string[] {
  // The correlator never matches a record without a start, and takes a missing end as the start.
  if (!names.includes('start')) return ['FALSE'];
  const fromSec = queryInteger(Math.floor(q.window.from.getTime() / 1000), 'window start');
  const toSec = queryInteger(Math.ceil(q.window.to.getTime() / 1000), 'window end');
  const end = names.includes('end') ? 'coalesce("end", "start")' : '"start"';
  return [`"start" <= ${toSec}`, `${end} >= ${fromSec}`];
}

function matchPredicate(names: readonly string[], q: FlowQuery): string[] {
  const addrCols = ADDRESS_FIELDS.filter((f) => names.includes(f)).map((f) => queryName(flowColumn(f)));
  const v4 = [...new Set(q.addresses.filter((a) => !a.includes(':')))].sort();
  const hasV6 = q.addresses.some((a) => a.includes(':'));
  const enis = [...new Set(q.eniIds ?? [])].sort();
  const any: string[] = [];
  if (v4.length > 0) for (const c of addrCols) any.push(`${c} IN ${queryStringList(v4, 'addresses')}`);
  if (hasV6) for (const c of addrCols) any.push(`strpos(${c}, ':') > 0`);
  if (enis.length > 0 && names.includes('interface-id'))
    any.push(`"interface_id" IN ${queryStringList(enis, 'ENIs')}`);
  // Nothing to look for: nothing the correlator could match, and no reason to read the folders.
  if (any.length === 0) return ['FALSE'];
  return [`(${any.join('\n    OR ')})`];
}
