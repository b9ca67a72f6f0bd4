import type { CommandInfo } from '../command.js';

/** What `pathguard parse cloudtrail` says about itself; the command table loads its code only when it runs. */
export const parseCloudTrailInfo: CommandInfo = {
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
};
