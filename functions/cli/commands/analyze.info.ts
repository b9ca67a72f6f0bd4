import type { CommandInfo } from '../command.js';

/** What `pathguard analyze` says about itself; the command table loads its code only when it runs. */
export const analyzeInfo: CommandInfo = {
  path: ['analyze'],
  summary: 'decide probe verdicts from exported logs and print the alerts that would be sent',
  usage:
    'analyze --config C --env ENV --probes PROBES.ndjson [--observations F] [--flow F...] [--format SPEC] [--access F...] [--cloudtrail F...] [--now ISO] [--json] [--fail-on left-path|no-evidence] [--out DIR] [--report FILE]',
  help: `Runs the analyzer offline, the same code the analyze function runs: matches each probe with
its runner's observation and the log records (by S3 request id, probe key and time, and for flow
logs the runner's ENI addresses, the remote address and port and the fetch window), classifies each
record's path, decides the verdict (private, left-path, blocked, pending, no-evidence) and prints
the alerts that would be sent, then the audit of real presigned traffic in the monitored buckets.
Nothing is sent; nothing is written unless --out or --report asks.

Options:
  --config FILE        PathGuard config (JSON)
  --env FILE           environment document (discovery output or hand-written JSON)
  --probes FILE        probes, one JSON object per line (as the probe function stores them)
  --observations FILE  runner observations, one JSON object per line (default: none reported)
  --flow FILE...       VPC Flow Logs: text (with header line or --format), gzip, or a
                       CloudWatch Logs export
  --format SPEC        format of flow-log files without a header line (as in 'parse flow';
                       --flow-format, its old name, still works with a warning)
  --access FILE...     S3 server access logs (text, gzip or CloudWatch Logs JSON)
  --cloudtrail FILE... CloudTrail log files or exports
  --now ISO            judge deadlines at this time (default: now), e.g. 2026-11-25T10:30:00Z
  --json               one JSON document: verdicts, alerts (every channel), real traffic
  --fail-on VERDICT    exit 3 when any probe's verdict is left-path or no-evidence; repeat or
                       separate with commas for both (--fail-on left-path,no-evidence)
  --out DIR            write the analysis folder (config.json, env.json, analysis.json and
                       evidence/ with every bundle) that 'pathguard report --in DIR' reads; DIR
                       must be new, empty or one analyze wrote
  --report FILE        write the evidence report (one self-contained HTML file)
Several files follow one option (--flow a.log b.log, or a shell glob: --access logs/*), or repeat
the option.
Every named file is read. Flow records are looked up by the runner's addresses, so without
--observations (or with that evidence turned off in the config) the run asks for none: such files
are still read to the end, bad lines counted, and stderr says why their records were not used
(unusedInputs in --json).

Exit status: 0 the analysis ran (whatever the verdicts), 3 a verdict named by --fail-on was
decided (the report is printed first), 1 an input could not be read, 2 usage error or invalid
config, environment, probes or observations.

Example:
  pathguard analyze --config pathguard.config.json --env env.json --probes probes.ndjson \\
    --observations observations.ndjson --flow flows.log.gz --access access-logs/* --now 2026-11-25T10:30:00Z`,
  options: {
    config: { type: 'string' },
    env: { type: 'string' },
    probes: { type: 'string' },
    observations: { type: 'string' },
    flow: { type: 'string', multiple: true },
    format: { type: 'string' },
    'flow-format': { type: 'string' },
    access: { type: 'string', multiple: true },
    cloudtrail: { type: 'string', multiple: true },
    now: { type: 'string' },
    json: { type: 'boolean' },
    'fail-on': { type: 'string', multiple: true },
    out: { type: 'string' },
    report: { type: 'string' },
  },
  variadic: ['flow', 'access', 'cloudtrail'],
};
