import type { CommandInfo } from '../command.js';

/** What `pathguard parse s3-access` says about itself; the command table loads its code only when it runs. */
export const parseS3AccessInfo: CommandInfo = {
  path: ['parse', 's3-access'],
  summary: 'parse S3 server access logs to NDJSON',
  usage: 'parse s3-access [--count] [--jobs N] [FILE...|-]',
  help: `Reads S3 server access log files (plain or gzip, detected by content) or standard input
('-', the default) and prints one JSON object per record. Also reads the JSON records S3 delivers
to CloudWatch Logs (one per line), and CloudWatch Logs exports ('aws logs filter-log-events'
output) whose messages are such records or text lines. Bad lines are counted and reported on
stderr; reading goes on.

Options:
  --count   print only 'records N rejected M' (every line is checked as for the full output,
            but no record is built)
  --jobs N  threads for --count, plain files split by line ranges (default: one per core
            for inputs over 32 MB; at most the cores and 4; 1: this thread only)

Fields: bucketOwner bucket time remoteIp requester requestId operation key requestUri httpStatus
errorCode bytesSent objectSize totalTime turnAroundTime referer userAgent versionId hostId
signatureVersion cipherSuite authenticationType hostHeader tlsVersion accessPointArn aclRequired
extra. time is ISO 8601 UTC; - is null; fields AWS appends after aclRequired are kept in extra.
Presigned-URL secrets (signature, security token, access key id) in any field (requestUri and
referer most often) are replaced with REDACTED.

Exit status: 0 when every input was read to its end (even with rejected lines), 1 when an input
could not be read (missing, unreadable, truncated gzip), 2 on a usage error.

Examples:
  pathguard parse s3-access logs/2026-01-15-10-15-02-0123456789ABCDEF
  pathguard parse s3-access --count access.log.gz`,
  options: { count: { type: 'boolean' }, jobs: { type: 'string' } },
};
