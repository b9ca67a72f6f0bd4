/**
 * The Athena table over S3 server access logs and the two queries a run sends it.
 *
 * The table is the one AWS documents (aws-facts §2.4: the RegexSerDe and its 26 columns, the
 * trailing `.*$` tolerating fields AWS adds later), over the date-based partitioning S3 writes
 * with a `PartitionedPrefix`: `[DestinationPrefix][SourceAccountId]/[SourceRegion]/[SourceBucket]/
 * [YYYY]/[MM]/[DD]/…` (aws-facts §2.3). Account, Region and source bucket are injected partition
 * values, the day a date projection. With the simple key format there are no folders to prune and
 * the table has no partitions: every query reads the whole prefix.
 *
 * Queries:
 * - probe evidence: every record of the target buckets under the probe prefix in the window's
 *   days, returned whole and parsed by the same parser as the direct reader;
 * - the real-traffic audit: presigned (`QueryString`) requests of the monitored buckets outside
 *   the probe prefix, aggregated in Athena by Remote IP, Host header, User-Agent and bucket (the
 *   audit's own grouping), so a busy bucket returns one row per client, not one per request.
 */
import { datePredicate, dateProjection, injectedProjection } from './partitions.js';
import { identifier, queryName, queryString, queryStringList, queryTable } from './sql.js';
import {
  type AthenaTable,
  REGEX_SERDE,
  TEXT_INPUT_FORMAT,
  TEXT_OUTPUT_FORMAT,
  tableDdl,
} from './table-model.js';

export interface AccessTableSpec {
  database: string;
  table: string;
  bucket: string;
  /** The logging configuration's `TargetPrefix` (may be empty). */
  prefix: string;
  layout: 'partitioned' | 'simple';
}

/** The columns of AWS's table, in log order (aws-facts §2.4). */
export const ACCESS_COLUMNS = [
  ['bucketowner', 'string'],
  ['bucket_name', 'string'],
  ['requestdatetime', 'string'],
  ['remoteip', 'string'],
  ['requester', 'string'],
  ['requestid', 'string'],
  ['operation', 'string'],
  ['key', 'string'],
  ['request_uri', 'string'],
  ['httpstatus', 'string'],
  ['errorcode', 'string'],
  ['bytessent', 'bigint'],
  ['objectsize', 'bigint'],
  ['totaltime', 'string'],
  ['turnaroundtime', 'string'],
  ['referrer', 'string'],
  ['useragent', 'string'],
  ['versionid', 'string'],
  ['hostid', 'string'],
  ['sigv', 'string'],
  ['ciphersuite', 'string'],
  ['authtype', 'string'],
  ['endpoint', 'string'],
  ['tlsversion', 'string'],
  ['accesspointarn', 'string'],
  ['aclrequired', 'string'],
] as const;

/**
 * AWS's `input.regex` (aws-facts §2.4) as Glue stores it; its DDL writes it with Hive's escapes
 * (`\\[`, `\"`), as {@link tableDdl} does. Each group is one whole token of the line, quotes and
 * all, except the time without its brackets: joining the columns with spaces (and the time in
 * brackets) gives back the line's first 26 fields.
 */
export const ACCESS_INPUT_REGEX =
  '([^ ]*) ([^ ]*) \\[(.*?)\\] ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) (-|[0-9]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) ([^ ]*)(?: ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*))?.*$';

export const ACCESS_ACCOUNT_COLUMN = 'source_account';
export const ACCESS_REGION_COLUMN = 'source_region';
export const ACCESS_BUCKET_COLUMN = 'source_bucket';
export const ACCESS_DATE_COLUMN = 'dt';

/** The table over the access logs `spec` describes (partitioned: account, Region, bucket and day projected). */
export function accessTable(spec: AccessTableSpec): AthenaTable {
  const root = `s3://${spec.bucket}/${spec.prefix}`;
  const partitioned = spec.layout === 'partitioned';
  const template = `${root}\${${ACCESS_ACCOUNT_COLUMN}}/\${${ACCESS_REGION_COLUMN}}/\${${ACCESS_BUCKET_COLUMN}}/\${${ACCESS_DATE_COLUMN}}/`;
  const keys = [ACCESS_ACCOUNT_COLUMN, ACCESS_REGION_COLUMN, ACCESS_BUCKET_COLUMN, ACCESS_DATE_COLUMN];
  return {
    database: identifier(spec.database, 'database'),
    table: identifier(spec.table, 'table'),
    columns: ACCESS_COLUMNS.map(([name, type]) => ({ name, type })),
    partitionKeys: partitioned ? keys.map((name) => ({ name, type: 'string' })) : [],
    location: root,
    serde: { library: REGEX_SERDE, parameters: { 'input.regex': ACCESS_INPUT_REGEX } },
    inputFormat: TEXT_INPUT_FORMAT,
    outputFormat: TEXT_OUTPUT_FORMAT,
    properties: partitioned
      ? [
          ['projection.enabled', 'true'],
          ...injectedProjection(ACCESS_ACCOUNT_COLUMN),
          ...injectedProjection(ACCESS_REGION_COLUMN),
          ...injectedProjection(ACCESS_BUCKET_COLUMN),
          ...dateProjection(ACCESS_DATE_COLUMN, false),
          ['storage.location.template', template],
        ]
      : [],
  };
}

/** `CREATE EXTERNAL TABLE IF NOT EXISTS …` for the access logs `spec` describes. */
export function accessTableDdl(spec: AccessTableSpec): string {
  return tableDdl(accessTable(spec));
}

export interface AccessSelect {
  /** The account and Region of the logged buckets (injected partition values). */
  accountId: string;
  region: string;
  /** Buckets whose logs to read. */
  buckets: readonly string[];
  /** The days whose folders to read: `from`'s day to `to`'s. */
  from: Date;
  to: Date;
}

function partitionWhere(spec: AccessTableSpec, sel: AccessSelect): string[] {
  if (spec.layout !== 'partitioned') return [];
  return [
    `${queryName(ACCESS_ACCOUNT_COLUMN)} = ${queryString(sel.accountId)}`,
    `${queryName(ACCESS_REGION_COLUMN)} = ${queryString(sel.region)}`,
    `${queryName(ACCESS_BUCKET_COLUMN)} IN ${queryStringList([...sel.buckets].sort(), 'buckets')}`,
    datePredicate(ACCESS_DATE_COLUMN, sel.from, sel.to, false),
  ];
}

/** Probe evidence: whole records of the target buckets whose key starts with `keyPrefix`. */
export function accessProbeSql(spec: AccessTableSpec, sel: AccessSelect & { keyPrefix: string }): string {
  const where = [
    ...partitionWhere(spec, sel),
    `"bucket_name" IN ${queryStringList([...sel.buckets].sort(), 'buckets')}`,
    `starts_with("key", ${queryString(sel.keyPrefix)})`,
  ];
  return `SELECT ${ACCESS_COLUMNS.map(([c]) => queryName(c)).join(', ')}
FROM ${queryTable(spec.database, spec.table)}
WHERE ${where.join('\n  AND ')}`;
}

/** The audit query's columns, in order. */
export const AUDIT_COLUMNS = [
  'remoteip',
  'endpoint',
  'useragent',
  'bucket_name',
  'requests',
  'first_seen',
  'last_seen',
  'sample_keys',
] as const;

/**
 * The real-traffic audit as one aggregate: presigned requests of the monitored buckets whose
 * request time is in `[requestsFrom, requestsTo)`, outside `excludeKeyPrefix`, one row per Remote
 * IP, Host header, User-Agent and bucket, with the distinct requests (a record S3 delivered twice
 * counts once, as in the direct audit), the first and last times as logged and the first three
 * keys in key order (a JSON array: a key may hold any character).
 */
export function accessAuditSql(
  spec: AccessTableSpec,
  sel: AccessSelect & { excludeKeyPrefix: string; requestsFrom: Date; requestsTo: Date },
): string {
  const where = [
    ...partitionWhere(spec, sel),
    `"bucket_name" IN ${queryStringList([...sel.buckets].sort(), 'buckets')}`,
    `"authtype" = 'QueryString'`,
    `NOT starts_with(coalesce("key", ''), ${queryString(sel.excludeKeyPrefix)})`,
  ];
  return `WITH r AS (
  SELECT "remoteip", "endpoint", "useragent", "bucket_name", "requestid", "key", "requestdatetime",
    try(parse_datetime("requestdatetime", 'dd/MMM/yyyy:HH:mm:ss Z')) AS t
  FROM ${queryTable(spec.database, spec.table)}
  WHERE ${where.join('\n    AND ')}
)
SELECT "remoteip", "endpoint", "useragent", "bucket_name",
  count(DISTINCT "requestid") + count_if("requestid" IS NULL) AS "requests",
  min_by("requestdatetime", t) AS "first_seen",
  max_by("requestdatetime", t) AS "last_seen",
  json_format(CAST(slice(array_sort(array_distinct(filter(array_agg("key"), k -> k IS NOT NULL AND k <> '-'))), 1, 3) AS JSON)) AS "sample_keys"
FROM r
WHERE t >= from_iso8601_timestamp(${queryString(sel.requestsFrom.toISOString())})
  AND t < from_iso8601_timestamp(${queryString(sel.requestsTo.toISOString())})
GROUP BY 1, 2, 3, 4`;
}
