import { accessTableDdl } from '../../../shared/athena/access-table.js';
import { accessTableSpec, flowTableSpec } from '../../../shared/athena/config-tables.js';
import { flowTableDdl } from '../../../shared/athena/flow-table.js';
import { SqlValueError } from '../../../shared/athena/sql.js';
import type { PathGuardConfig } from '../../../shared/config/index.js';
import { UserInputError } from '../../../shared/errors.js';
import { type CommandSpec, writeOut } from '../command.js';
import { readConfigFile } from '../inputs.js';

/**
 * `pathguard athena ddl --config C`: the CREATE TABLE statements the analyze function queries when
 * a source's engine is `athena`, printed for review (and for running once in the workgroup). Pure:
 * no AWS call, the config says everything.
 */
export const athenaDdlCommand: CommandSpec = {
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
  async run({ values, io }) {
    if (typeof values.config !== 'string') throw new UserInputError('USAGE', 'give --config FILE');
    const cfg = await readConfigFile(values.config);
    let statements: string[];
    try {
      statements = tableStatements(cfg);
    } catch (e) {
      // A value the config let through but DDL cannot hold (an access-log prefix with a quote).
      if (e instanceof SqlValueError)
        throw new UserInputError('CONFIG_INVALID', `${values.config}: ${e.message}`);
      throw e;
    }
    if (statements.length === 0) {
      throw new UserInputError('USAGE', `${values.config}: no evidence source has engine 'athena'`);
    }
    await writeOut(io.stdout, `${statements.join(';\n\n')};\n`);
    return 0;
  },
};

function tableStatements(cfg: PathGuardConfig): string[] {
  const statements: string[] = [];
  const flow = flowTableSpec(cfg);
  if (flow) statements.push(`-- VPC flow logs (evidence.flowLogs)\n${flowTableDdl(flow)}`);
  const ev = cfg.evidence.accessLogs;
  const access = accessTableSpec(cfg, ev.bucket ? { bucket: ev.bucket, prefix: ev.prefix } : undefined);
  if (access) statements.push(`-- S3 server access logs (evidence.accessLogs)\n${accessTableDdl(access)}`);
  return statements;
}
