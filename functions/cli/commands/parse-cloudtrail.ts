import { redactRecord } from '../../../shared/evidence/redact-deep.js';
import { RejectCounter } from '../../../shared/text/rejects.js';
import { type CloudTrailReadStats, readCloudTrailRecords } from '../../lib/read-cloudtrail.js';
import { type CommandSpec, writeOut } from '../command.js';
import { parseCloudTrailInfo } from './parse-cloudtrail.info.js';

/**
 * `pathguard parse cloudtrail [--count] [FILE...|-]`: S3 data events and network-activity events
 * from CloudTrail logs to NDJSON, one record per line.
 */
export const parseCloudTrailCommand: CommandSpec = {
  ...parseCloudTrailInfo,
  async run({ values, positionals, io }) {
    const inputs = positionals.length > 0 ? positionals : ['-'];
    const countOnly = values.count === true;
    const rejects = new RejectCounter();
    const stats: CloudTrailReadStats = { events: 0 };
    let records = 0;
    // Rejects, then the skipped count by reason when anything was skipped.
    const report = () => io.stderr.write(`${rejects.format().join('\n')}\n`);
    try {
      for (const input of inputs) {
        for await (const batch of readCloudTrailRecords(input, { stdin: io.stdin, rejects, stats })) {
          records += batch.length;
          if (countOnly) continue;
          let out = '';
          // Any field can carry a presigned URL's secrets (key, userAgent, errorCode, …).
          for (const r of batch) out += `${JSON.stringify(redactRecord(r))}\n`;
          await writeOut(io.stdout, out);
        }
      }
    } catch (e) {
      // What was read before the failure is still reported; the dispatcher prints the error.
      report();
      throw e;
    }
    if (countOnly) await writeOut(io.stdout, `records ${records} rejected ${rejects.count}\n`);
    if (!countOnly || rejects.count > 0 || rejects.skipped > 0) report();
    return 0;
  },
};
