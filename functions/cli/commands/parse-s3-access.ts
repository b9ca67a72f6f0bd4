import { RejectCounter } from '../../../shared/text/rejects.js';
import { countAccessLogRecords, readAccessLogRecords } from '../../lib/read-access-logs.js';
import { type CommandSpec, writeOut } from '../command.js';
import { reportParse } from './parse-report.js';
import { parseS3AccessInfo } from './parse-s3-access.info.js';

/**
 * `pathguard parse s3-access [--count] [FILE...|-]`: S3 server access logs (text or CloudWatch Logs
 * JSON, plain or gzip) to NDJSON, one record per line.
 */
export const parseS3AccessCommand: CommandSpec = {
  ...parseS3AccessInfo,
  async run({ values, positionals, io }) {
    const inputs = positionals.length > 0 ? positionals : ['-'];
    const countOnly = values.count === true;
    const rejects = new RejectCounter();
    return reportParse(io, rejects, countOnly, async () => {
      let records = 0;
      for (const input of inputs) {
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
