import type { CommandInfo } from '../command.js';

/**
 * `pathguard athena ddl --config C`: the CREATE TABLE statements the analyze function queries when
 * a source's engine is `athena`, printed for review (and for running once in the workgroup). Pure:
 * no AWS call, the config says everything.
 */
export const athenaDdlInfo: CommandInfo = {
  path: ['athena', 'ddl'],
  summary: 'print the Athena tables the athena engines query',
  usage: 'athena ddl --config C',
  help: `Prints, for each evidence source whose engine is 'athena' in the config, the CREATE EXTERNAL
TABLE statement the analyze function queries, separated by ';' lines, ready to review and to run
in the configured workgroup and database. The tables use partition projection (account, Region and
source bucket injected by each query; dates projected), so no crawler and no MSCK REPAIR is needed.

  flow logs     from evidence.flowLogs.athena.location: bucket, prefix, layout (plain | hive),
                hourly, fileFormat (text | parquet), orgId, logFormat
  access logs   from evidence.accessLogs.bucket and prefix, athena.layout (partitioned | simple)

Options:
  --config FILE   PathGuard config

Exit status: 0 with at least one table printed, 2 on a usage error, an invalid config, or a config
with no source on the athena engine.

Examples:
  pathguard athena ddl --config pathguard.config.json > tables.sql`,
  options: { config: { type: 'string' } },
};
