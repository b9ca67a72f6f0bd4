import type { CommandInfo } from '../command.js';

/** What `pathguard classify` says about itself; the command table loads its code only when it runs. */
export const classifyInfo: CommandInfo = {
  path: ['classify'],
  summary: 'classify the network path of flow-log, access-log and CloudTrail records',
  usage:
    'classify --env ENV.json [--flow FILE...] [--access FILE...] [--cloudtrail FILE...] [--format SPEC] [--summary] [--jobs N]',
  help: `Decides, for every record of the given evidence files, which path it shows: gateway-endpoint,
interface-endpoint, vpc-endpoint (an endpoint of unknown kind), nat-gateway, internet-gateway,
public, unknown or not-s3, judged against the environment document (VPCs, subnets, route tables,
endpoints, NAT gateways, S3 prefix lists, on-prem ranges). Files are read as 'parse flow',
'parse s3-access' and 'parse cloudtrail' read them (plain or gzip, CloudWatch Logs exports); '-'
reads standard input (once). Several files follow one option (--flow a.log b.log, or a shell
glob: --flow logs/*.gz), or repeat the option.

Prints one JSON object per classified record:
  {"source":"flow|s3-access|cloudtrail","path":...,"private":true|false|null,"rule":...,
   "reason":"<rule>: <facts>","record":{...the record as 'parse' prints it...}}
private is true for the three endpoint paths, false for nat-gateway, internet-gateway and public,
null for unknown and not-s3. Flow records without addresses (NODATA, SKIPDATA) are not classified
and only counted.

Options:
  --env FILE          environment document (JSON); validated strictly
  --flow FILE...        VPC Flow Log files
  --access FILE...      S3 server access log files
  --cloudtrail FILE...  CloudTrail log files or event streams
  --format SPEC         the flow logs' format when the files have no header line (as in
                        'parse flow'; --flow-format, its old name, still works with a warning)
  --summary           print record counts per source and path instead of records
  --jobs N            threads for the --flow files with --summary, plain files split by line
                      ranges (default: one per core for inputs over 32 MB; at most the cores
                      and 4; 1: this thread only)

Exit status: 0 done (even with rejected lines, reported on stderr), 1 an input could not be read,
2 usage error or invalid environment (the message names the first bad field).

Examples:
  pathguard classify --env env.json --flow 123456789012_vpcflowlogs_us-east-1_fl-0a1b_20260115T1020Z_1a2b3c4d.log.gz
  pathguard classify --env env.json --access logs/2026-01-15-10-15-02-0123456789ABCDEF --summary`,
  options: {
    env: { type: 'string' },
    flow: { type: 'string', multiple: true },
    access: { type: 'string', multiple: true },
    cloudtrail: { type: 'string', multiple: true },
    format: { type: 'string' },
    'flow-format': { type: 'string' },
    summary: { type: 'boolean' },
    jobs: { type: 'string' },
  },
  variadic: ['flow', 'access', 'cloudtrail'],
};
