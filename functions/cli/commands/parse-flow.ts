import { FlowNdjsonWriter } from '../../../shared/flow-logs/ndjson.js';
import { RejectCounter } from '../../../shared/text/rejects.js';
import { countFlowRecords, pipeFlowRecords, resolveFlowFormat } from '../../lib/read-flow.js';
import { type CommandSpec, writeChunks } from '../command.js';
import { runFileJobs, startFileWorkers, threadsFor } from '../file-jobs.js';
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
    if (countOnly && threads > 1) startFileWorkers(threads);
    const rejects = new RejectCounter();
    return reportParse(io, rejects, countOnly, async () => {
      let records = 0;
      let done = 0;
      const ndjson = new FlowNdjsonWriter();
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
      // One input the way reading in turn takes it; NDJSON written out as it is rendered.
      const readWhole = async (input: string) => {
        const opts = { stdin: io.stdin, rejects, ...(format ? { format } : {}) };
        if (countOnly) return countFlowRecords(input, opts);
        // Redacted like every output (unknown fields are free text): the writer copies only
        // fields that cannot hold a secret and sends the rest through redaction.
        const n = await pipeFlowRecords(input, opts, {
          region: (b, from, to) => ndjson.region(b, from, to),
          render: (b, start, f, max) => ndjson.render(b, start, f, max),
          line: (b, start, end, f) => ndjson.line(b, start, end, f),
          record: (r) => ndjson.record(r),
          flush: () => writeChunks(io.stdout, ndjson.take()),
        });
        await writeChunks(io.stdout, ndjson.finish());
        return n;
      };
      // Threads for NDJSON only when asked for: by default one thread renders faster than ranges on
      // threads do (2M records: 2.3 s on one thread, 3.2 s on two; issue 16).
      if (!countOnly && threads > 1 && values.jobs !== undefined) {
        // Plain files rendered by byte ranges on worker threads, written here in file order.
        const { writeFlowNdjsonOnThreads } = await import('../ndjson-jobs.js');
        return writeFlowNdjsonOnThreads({
          inputs,
          spec,
          threads,
          stdout: io.stdout,
          rejects,
          renderWhole: readWhole,
        });
      }
      for (const input of inputs.slice(done)) records += await readWhole(input);
      return records;
    });
  },
};
