import type { CommandInfo } from '../command.js';

/** What `pathguard runner` says about itself; the command table loads its code only when it runs. */
export const runnerInfo: CommandInfo = {
  path: ['runner'],
  summary: "on-prem runner: fetch this runner's order, fetch its probes, report the observations",
  usage:
    'runner --runner-config runner.json [--once | --interval SECONDS] | runner --allowed-hosts pathguard.config.json',
  help: `Reads its order (a JSON document with presigned probe URLs), refuses it when it is stale
or when any URL's host is not one of allowedHosts or its bucket (from the host, or the first path
segment of a path-style URL) is not one of probeBuckets (probes) or resultsBucket (reports),
fetches each probe as this host sees the
network (its DNS, its routes) and uploads each observation through the presigned PUT URL the
order carries. It holds no AWS credentials for writing.

runner.json:
  { "runnerId": "onprem-dc1", "orderUrl": "https://…", "allowedHosts": ["bucket.s3.us-east-1.amazonaws.com", …],
    "probeBuckets": ["bucket"], "resultsBucket": "results-bucket", "concurrency": 4, "timeoutMs": 15000 }
  orderUrl is a presigned GET of orders/<runnerId>/latest.json, or, with
  "orderAuth": { "kind": "sigv4", "region": "us-east-1", "credentialProcess": ["aws_signing_helper", …] },
  its plain S3 URL read with this host's credentials (credentialProcess, else AWS_* variables).

Options:
  --runner-config FILE  runner.json (the runner's own file; not the PathGuard config that
                        'analyze --config' and 'discover --config' read)
  --once              one pass, then exit (default; for cron and systemd timers)
  --interval SECONDS  repeat every SECONDS until SIGINT/SIGTERM
  --allowed-hosts FILE  print the allowedHosts list for a PathGuard config (JSON), then exit

Exit status: 0 when every observation was uploaded, 1 when some were not or the order could not
be used (stale, tampered, unreachable), 2 on a usage error. See docs/onprem-runner.md.`,
  options: {
    'runner-config': { type: 'string' },
    // Its old name, refused with a hint: '--config' is the PathGuard config everywhere else.
    config: { type: 'string' },
    once: { type: 'boolean' },
    interval: { type: 'string' },
    'allowed-hosts': { type: 'string' },
  },
};
