/**
 * One Athena table, as data: what `pathguard athena ddl` prints as `CREATE EXTERNAL TABLE` and
 * what the stack writes as an `AWS::Glue::Table` (infra/constructs/athena-tables.ts). Both
 * renderings read this one value, so the table a reviewer runs by hand and the table the stack
 * creates cannot differ in a column, a partition key, a SerDe or a projection property.
 *
 * Values here are the catalog's values, not SQL text: the access logs' `input.regex` is the
 * regular expression itself (Glue stores it so); {@link tableDdl} writes it as a Hive literal.
 */

import { tblProperties } from './partitions.js';
import { ddlName, ddlString, ddlTable } from './sql.js';

export interface TableColumn {
  readonly name: string;
  /** Hive type name: `string`, `int`, `bigint`. */
  readonly type: string;
}

export interface AthenaTable {
  readonly database: string;
  readonly table: string;
  readonly columns: readonly TableColumn[];
  /** Projected partitions, in folder order. Empty: the table reads its whole location. */
  readonly partitionKeys: readonly TableColumn[];
  /** `s3://bucket/prefix/`. */
  readonly location: string;
  readonly serde: { readonly library: string; readonly parameters: Readonly<Record<string, string>> };
  readonly inputFormat: string;
  readonly outputFormat: string;
  /** Table properties (partition projection, header skipping), in the order the DDL lists them. */
  readonly properties: readonly (readonly [string, string])[];
}

export const LAZY_SIMPLE_SERDE = 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe';
export const REGEX_SERDE = 'org.apache.hadoop.hive.serde2.RegexSerDe';
export const PARQUET_SERDE = 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe';
export const TEXT_INPUT_FORMAT = 'org.apache.hadoop.mapred.TextInputFormat';
export const TEXT_OUTPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat';
export const PARQUET_INPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat';
export const PARQUET_OUTPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat';

/**
 * A Hive string literal of any text: backslash and double quote escaped as AWS's own access-log
 * DDL writes them (Hive unescapes `\\` and `\"`); a single quote, which no SerDe value PathGuard
 * writes holds, escaped the same way.
 */
export function hiveString(value: string): string {
  return `'${value.replace(/[\\"']/g, '\\$&')}'`;
}

/** `ROW FORMAT … [STORED AS …]`: delimited text in Hive's short form, any other SerDe spelled out. */
function storageClause(t: AthenaTable): string {
  const delim = t.serde.parameters['field.delim'];
  if (
    t.serde.library === LAZY_SIMPLE_SERDE &&
    delim !== undefined &&
    t.inputFormat === TEXT_INPUT_FORMAT &&
    t.outputFormat === TEXT_OUTPUT_FORMAT
  ) {
    // Hive's default for ROW FORMAT DELIMITED is TEXTFILE: these very input and output formats.
    return `ROW FORMAT DELIMITED\nFIELDS TERMINATED BY ${ddlString(delim, 'field.delim')}`;
  }
  const params = Object.entries(t.serde.parameters);
  const withProps =
    params.length > 0
      ? `\nWITH SERDEPROPERTIES (\n${params.map(([k, v]) => `  ${ddlString(k, 'SerDe property')} = ${hiveString(v)}`).join(',\n')}\n)`
      : '';
  return `ROW FORMAT SERDE ${ddlString(t.serde.library, 'SerDe')}${withProps}
STORED AS INPUTFORMAT ${ddlString(t.inputFormat, 'input format')}
OUTPUTFORMAT ${ddlString(t.outputFormat, 'output format')}`;
}

/**
 * `CREATE EXTERNAL TABLE IF NOT EXISTS …` for `t`, in Hive DDL (what Athena runs for DDL).
 *
 * @example tableDdl(flowTable(spec)) // the statement `pathguard athena ddl` prints
 */
export function tableDdl(t: AthenaTable): string {
  const columns = t.columns.map((c) => `  ${ddlName(c.name)} ${c.type}`).join(',\n');
  const partitions =
    t.partitionKeys.length > 0
      ? `PARTITIONED BY (${t.partitionKeys.map((c) => `${ddlName(c.name)} ${c.type}`).join(', ')})\n`
      : '';
  const storage = storageClause(t);
  const location = ddlString(t.location, 'location');
  const props = t.properties.length > 0 ? `\n${tblProperties(t.properties)}` : '';
  return `CREATE EXTERNAL TABLE IF NOT EXISTS ${ddlTable(t.database, t.table)} (
${columns}
)
${partitions}${storage}
LOCATION ${location}${props}`;
}
