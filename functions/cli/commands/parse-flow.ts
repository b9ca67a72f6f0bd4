import { redactRecord } from '../../../shared/evidence/redact-deep.js';
import { RejectCounter } from '../../../shared/text/rejects.js';
import { countFlowRecords, readFlowRecords, resolveFlowFormat } from '../../lib/read-flow.js';
import { type CommandSpec, writeOut } from '../command.js';
import { runFileJobs, threadsFor } from '../file-jobs.js';
import { parseFlowInfo } from './parse-flow.info.js';
import { reportParse } from './parse-report.js';

/** `pathguard parse flow [--format SPEC] [--count] [FILE...|-]`: VPC Flow Logs to NDJSON. */
export const parseFlowCommand: CommandSpec = {
  ...parseFlowInfo,
  async run({ values, positionals, io }) {
    const inputs = positionals.length > 0 ? positionals : ['-'];
    const spec = typeof values.format === 'string' ? values.format : undefined;
    const format = resolveFlowFormat(spec);
    const countOnly = values.count === true;
    const threads = threadsFor(values.jobs, inputs);
    const rejects = new RejectCounter();
    return reportParse(io, rejects, countOnly, async () => {
      let records = 0;
      let done = 0;
      if (countOnly && threads > 1) {
        // Several files: counted on worker threads, merged in file order. From the first file a
        // worker could not read on, files are read in turn below, so failures read as before.
        const jobs = inputs.map((file) => ({
          kind: 'flow-count' as const,
          file,
          ...(spec ? { format: spec } : {}),
        }));
        const { results } = await runFileJobs(jobs, threads);
        for (const r of results) {
          records += r.records;
          rejects.merge(r.rejects);
        }
        done = results.length;
      }
      for (const input of inputs.slice(done)) {
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
      return records;
    });
  },
};
