import { accessTableDdl } from '../../../shared/athena/access-table.js';
import { accessTableSpec, flowTableSpec } from '../../../shared/athena/config-tables.js';
import { flowTableDdl } from '../../../shared/athena/flow-table.js';
import { SqlValueError } from '../../../shared/athena/sql.js';
import type { PathGuardConfig } from '../../../shared/config/index.js';
import { UserInputError } from '../../../shared/errors.js';
import { type CommandSpec, writeOut } from '../command.js';
import { readConfigFile } from '../inputs.js';
import { athenaDdlInfo } from './athena.info.js';

/** `pathguard athena ddl`: the tables of the athena engines, from the config alone (no AWS call). */
export const athenaDdlCommand: CommandSpec = {
  ...athenaDdlInfo,
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
