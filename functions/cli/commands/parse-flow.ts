import { redactRecord } from '../../../shared/evidence/redact-deep.js';
import { RejectCounter } from '../../../shared/text/rejects.js';
import { countFlowRecords, readFlowRecords, resolveFlowFormat } from '../../lib/read-flow.js';
import { type CommandSpec, writeOut } from '../command.js';
import { parseFlowInfo } from './parse-flow.info.js';

/** `pathguard parse flow [--format SPEC] [--count] [FILE...|-]`: VPC Flow Logs to NDJSON. */
export const parseFlowCommand: CommandSpec = {
  ...parseFlowInfo,
  async run({ values, positionals, io }) {
    const inputs = positionals.length > 0 ? positionals : ['-'];
    const format = resolveFlowFormat(typeof values.format === 'string' ? values.format : undefined);
    const countOnly = values.count === true;
    const rejects = new RejectCounter();
    let records = 0;
    try {
      for (const input of inputs) {
        const opts = { stdin: io.stdin, rejects, ...(format ? { format } : {}) };
        if (countOnly) {
          records += await countFlowRecords(input, opts);
          continue;
        }
        for await (const batch of readFlowRecords(input, opts)) {
          records += batch.length;
          let out = '';
          // Fields are checked, but unknown ones are free text: redact like every output.
          for (const r of batch) out += `${JSON.stringify(redactRecord(r))}\n`;
          await writeOut(io.stdout, out);
        }
      }
    } catch (e) {
      io.stderr.write(`${rejects.format().join('\n')}\n`);
      throw e;
    }
    if (countOnly) await writeOut(io.stdout, `records ${records} rejected ${rejects.count}\n`);
    if (!countOnly || rejects.count > 0) io.stderr.write(`${rejects.format().join('\n')}\n`);
    return 0;
  },
};
