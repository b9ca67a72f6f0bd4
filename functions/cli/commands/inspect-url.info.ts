import type { CommandInfo } from '../command.js';

/** Exit status when a finding reaches the `--fail-on` severity. */
export const EXIT_FINDINGS = 3;
/**
 * Longest standard-input line read. S3 refuses requests whose URL and headers exceed 8 KiB (a
 * presigned URL with a session token is about 1.5 KiB); an SDK's POST form on one line, token
 * included, is under 5 KiB. Longer lines are counted, not kept.
 */
export const MAX_LINE_BYTES = 16 * 1024;

/** What `pathguard inspect-url` says about itself; the command table loads its code only when it runs. */
export const inspectUrlInfo: CommandInfo = {
  path: ['inspect-url'],
  summary: 'read presigned S3 URLs and POST forms: endpoint, signature, expiry, expected path, findings',
  usage:
    'inspect-url URL...|FORM...|- [--env ENV.json] [--subnet SUBNET] [--json] [--fail-on high|medium|low] [--now ISO] [--long-expiry SECONDS]',
  help: `Reads each presigned URL (or, with '-', one URL per line from standard input; blank lines and
lines starting with # are skipped) and reports the endpoint it names (regional, global, dualstack,
fips, accelerate, access-point, mrap, interface-endpoint, website, s3express, custom, not-s3), the
bucket, key and Region, the signature (SigV4, SigV4a, SigV2), the credential kind (AKIA long-term,
ASIA temporary), the signing and expiry times, and findings with a severity. URLs are always
printed redacted.

A presigned POST form is read too: the JSON an SDK returns ({"url": ..., "fields": {...}}, from
createPresignedPost or boto3's generate_presigned_post), as an argument or on standard input (one
form per line, or one JSON document: a form or a list of forms, pretty-printed or not). Besides
what a URL shows, it reports the policy's expiry and conditions (bucket, key or starts-with prefix,
content-length-range) and the POST_* findings. Signature, token, access key and policy fields are
always printed redacted (the policy repeats the token).

With --env, the path a request should take is judged from the VPC (gateway endpoint route for the
Region, interface-endpoint private DNS) and from on premises (DNS mode, interface endpoints);
without it both are 'unknown'.

Options:
  --env FILE          environment document (JSON) to judge the expected paths against
  --subnet ID         judge the VPC path from this subnet only (default: every subnet)
  --json              one JSON object per URL (NDJSON) instead of the table
  --fail-on SEVERITY  exit ${EXIT_FINDINGS} when any finding is at or above high, medium or low
  --now ISO           judge expiry at this time instead of now (e.g. 2026-01-15T10:30:00Z)
  --long-expiry SECS  LONG_EXPIRY above this many seconds (default 3600)

Standard input is read line by line as it arrives; lines longer than ${MAX_LINE_BYTES} bytes and lines
that are not URLs are counted and reported by line number (never echoed), and the others are
inspected. Input is read as a URL parser reads it: tabs and line breaks inside a URL are removed.

Exit status: 0 done, ${EXIT_FINDINGS} a finding reached --fail-on, 2 usage or environment error or an
input that is neither a URL nor a form, 1 standard input unreadable.

Examples:
  pathguard inspect-url "https://my-bucket.s3.amazonaws.com/k?X-Amz-Algorithm=..."
  python3 make_form.py | pathguard inspect-url --fail-on medium -
  pathguard inspect-url --env env.json --fail-on high --json - < urls.txt`,
  options: {
    env: { type: 'string' },
    subnet: { type: 'string' },
    json: { type: 'boolean' },
    'fail-on': { type: 'string' },
    now: { type: 'string' },
    'long-expiry': { type: 'string' },
  },
};
