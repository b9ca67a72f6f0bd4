import type { CommandInfo } from '../command.js';

/** Exit status when a verdict reaches `--fail-on` (as `inspect-url --fail-on`). */
export const EXIT_VERDICT = 3;

/** What `pathguard lab` says about itself; the command table loads its code only when it runs. */
export const labInfo: CommandInfo = {
  path: ['lab'],
  summary: 'run a whole monitoring cycle on the embedded local lab (no AWS account needed)',
  usage:
    'lab [--scenario FILE] [--out DIR] [--flow-file-format plain-text|parquet] [--json] [--fail-on left-path|no-evidence]',
  help: `Starts an S3-compatible endpoint that verifies SigV4 presigned URLs and writes S3 server access
logs, and a lab network whose paths (gateway endpoint, interface endpoint, NAT gateway, on-prem over
a private VIF or over the internet, GWLB endpoints, transit gateways) are real TCP forwarders on
loopback that write VPC Flow Logs.
The real probe planner, runners (VPC and on-prem, through the order protocol), parsers, classifier
and analyzer then run one cycle and print the verdicts and the alerts.

Options:
  --scenario FILE  a scenario (default: functions/lab/scenarios/default.json; beside it also
                   nat-override, gwlb-egress, tgw-central-egress, customer-prefix-list)
  --out DIR        where logs, bundles and the alert outbox go: empty, new or made by the lab
                   (default: a folder under the system temporary folder)
  --flow-file-format plain-text|parquet
                   how the flow log is delivered, as the flow log's S3 FileFormat option: text
                   with a header line, or Parquet as AWS writes it (default: the scenario's
                   flowLogFileFormat, else plain-text)
  --json           one JSON document: { verdicts, alerts, outDir, report }
  --fail-on VERDICT  exit ${EXIT_VERDICT} when a probe's verdict is left-path (left-path), or
                   left-path or no-evidence (no-evidence)

The folder also holds report.html (the evidence report: open it in a browser, print it to PDF),
analysis.json, env.json, config.json, probes.ndjson and observations.ndjson: the output's last
line is the \`pathguard analyze\` command that reruns the analysis offline from them.

Exit status: 0 done, ${EXIT_VERDICT} a verdict reached --fail-on, 2 usage, an invalid scenario or
one the lab cannot simulate, or an --out folder it did not make, 1 an unreadable scenario.`,
  options: {
    scenario: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
    'fail-on': { type: 'string' },
    'flow-file-format': { type: 'string' },
  },
};
