import { redactRecord } from '../../../shared/evidence/redact-deep.js';
import { RejectCounter } from '../../../shared/text/rejects.js';
import { type CloudTrailReadStats, readCloudTrailRecords } from '../../lib/read-cloudtrail.js';
import { type CommandSpec, writeOut } from '../command.js';

/**
 * `pathguard parse cloudtrail [--count] [FILE...|-]`: S3 data events and network-activity events
 * from CloudTrail logs to NDJSON, one record per line.
 */
export const parseCloudTrailCommand: CommandSpec = {
  path: ['parse', 'cloudtrail'],
  summary: 'parse CloudTrail S3 data and network-activity events to NDJSON',
  usage: 'parse cloudtrail [--count] [FILE...|-]',
  help: `Reads CloudTrail log files ({"Records": [...]}, plain or gzip, detected by content), one
event per line, CloudWatch Logs exports ('aws logs filter-log-events' output) of a trail's log
group, or standard input ('-', the default), and prints one JSON object per S3 data event or
network-activity event. Also reads CloudWatch Logs subscription payloads (Firehose's
concatenated DATA_MESSAGE objects, a Lambda {"awslogs":{"data":...}} event). Other events
(management events, other services, Insights events) and CONTROL_MESSAGE payloads are skipped and
counted on stderr, apart from rejects; malformed events are rejected and reported.
Presigned-URL secrets (signature, security token, access key id) in any field are replaced with
REDACTED.

Options:
  --count   print only 'records N rejected M'

Fields: eventTime eventSource eventName eventCategory awsRegion sourceIPAddress vpcEndpointId
vpcEndpointAccountId bucketName key host authenticationMethod signatureVersion requestId hostId
eventId userAgent errorCode. host is requestParameters.Host, else
tlsDetails.clientProvidedHostHeader; missing values are null.

Exit status: 0 when every input was read to its end (even with rejected events), 1 when an input
could not be read (missing, unreadable, truncated gzip), 2 on a usage error.

Examples:
  pathguard parse cloudtrail 111122223333_CloudTrail_us-east-1_20260115T1020Z_AbCdEfGh12345678.json.gz
  pathguard parse cloudtrail --count events.ndjson`,
  options: { count: { type: 'boolean' } },
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
