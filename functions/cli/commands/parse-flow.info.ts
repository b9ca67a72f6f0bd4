import type { CommandInfo } from '../command.js';

/** What `pathguard parse flow` says about itself; the command table loads its code only when it runs. */
export const parseFlowInfo: CommandInfo = {
  path: ['parse', 'flow'],
  summary: 'parse VPC Flow Logs to NDJSON',
  usage: 'parse flow [--format SPEC] [--count] [--jobs N] [FILE...|-]',
  help: `Reads VPC and transit gateway Flow Log files (plain or gzip, detected by content, not by
name), CloudWatch Logs exports ('aws logs filter-log-events' JSON or NDJSON events, whose messages
are records), CloudWatch Logs subscription payloads (Firehose's concatenated DATA_MESSAGE objects,
a Lambda {"awslogs":{"data":...}} event; CONTROL_MESSAGEs are counted as skipped) or standard
input ('-', the default), and prints one JSON object per record.

The record format comes from, first match wins: --format; the header line S3-delivered files start
with; the default version-2 format (14 fields). Any field AWS defines, in any order; unknown field
names are kept as strings.

Options:
  --format SPEC   the flow log's format: '\${version} \${srcaddr} ...' or 'version srcaddr ...'
  --count         print only 'records N rejected M'
  --jobs N        threads, plain files split by line ranges; at most the cores and 4; 1: this
                  thread only. Default: with --count one per core for inputs over 32 MB; NDJSON
                  output on one thread unless --jobs is given

Output keys are the AWS field names in camelCase (pkt-srcaddr -> pktSrcaddr); integer fields
(version, srcport, dstport, protocol, packets, bytes, start, end, tcp-flags, traffic-path) are
numbers, as are the packets-lost-* counters of transit gateway flow logs; '-' is null. NODATA and
SKIPDATA records are records too. Values must mean what their field says: addresses are IP
addresses (BAD_ADDRESS), ports 0-65535 and protocol 0-255 (OUT_OF_RANGE), action and log-status
AWS values (BAD_VALUE), start not after end (BAD_TIME): a wrong --format shows as rejects.

Exit status: 0 when every input was read to its end (even with rejected lines, reported on
stderr with line numbers and reasons), 1 when an input could not be read (missing, unreadable,
truncated gzip), 2 on a usage error.

Examples:
  pathguard parse flow 123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz
  aws logs filter-log-events --log-group-name vpc-flow > export.json && pathguard parse flow \\
    --format '\${version} \${account-id} ... \${traffic-path}' export.json
  pathguard parse flow --count flows.log`,
  options: { format: { type: 'string' }, count: { type: 'boolean' }, jobs: { type: 'string' } },
};
