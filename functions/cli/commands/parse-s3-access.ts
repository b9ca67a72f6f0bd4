import { RejectCounter } from '../../../shared/text/rejects.js';
import { countAccessLogRecords, readAccessLogRecords } from '../../lib/read-access-logs.js';
import { type CommandSpec, writeOut } from '../command.js';
import { runFileJobs, startFileWorkers, threadsFor } from '../file-jobs.js';
import { reportParse } from './parse-report.js';
import { parseS3AccessInfo } from './parse-s3-access.info.js';

/**
 * `pathguard parse s3-access [--count] [--jobs N] [FILE...|-]`: S3 server access logs (text or CloudWatch Logs
 * JSON, plain or gzip) to NDJSON, one record per line.
 */
export const parseS3AccessCommand: CommandSpec = {
  ...parseS3AccessInfo,
  async run({ values, positionals, io }) {
    const inputs = positionals.length > 0 ? positionals : ['-'];
    const countOnly = values.count === true;
    const threads = threadsFor(values.jobs, inputs);
    if (countOnly && threads > 1) startFileWorkers(threads);
    const rejects = new RejectCounter();
    return reportParse(io, rejects, countOnly, async () => {
      let records = 0;
      let done = 0;
      if (countOnly && threads > 1) {
        // Plain files split by line ranges over threads, merged in file order with whole-file line
        // numbers. From the first file a worker could not read on, files are read in turn below.
        const jobs = inputs.map((file) => ({ kind: 'access-count' as const, file }));
        const { results } = await runFileJobs(jobs, threads);
        for (const r of results) {
          records += r.records;
          rejects.merge(r.rejects);
        }
        done = results.length;
      }
      for (const input of inputs.slice(done)) {
        if (countOnly) {
          records += await countAccessLogRecords(input, { stdin: io.stdin, rejects });
          continue;
        }
        // Records come out with every field redacted (`redact`): one check per line, and the
        // field-by-field pass only for a line that may hold a secret.
        for await (const batch of readAccessLogRecords(input, { stdin: io.stdin, rejects, redact: true })) {
          records += batch.length;
          let out = '';
          for (const r of batch) out += `${JSON.stringify(r)}\n`;
          await writeOut(io.stdout, out);
        }
      }
      return records;
    });
  },
};
