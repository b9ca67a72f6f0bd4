import {
  classifyAccessLogRecord,
  classifyCloudTrailRecord,
  classifyFlowRecord,
  type EvidenceSource,
  FLOW_CLASSIFICATION_FIELDS,
  isPrivatePath,
  PATH_KINDS,
  type PathDecision,
  type PathKind,
} from '../../../shared/classify/index.js';
import { redactText } from '../../../shared/endpoints/redact.js';
import { buildEnvironmentIndex, type EnvironmentIndex } from '../../../shared/env/environment-index.js';
import { UserInputError } from '../../../shared/errors.js';
import { redactRecord } from '../../../shared/evidence/redact-deep.js';
import { RejectCounter } from '../../../shared/text/rejects.js';
import { loadEnvironmentFile } from '../../lib/environment-file.js';
import { readAccessLogRecords } from '../../lib/read-access-logs.js';
import { type CloudTrailReadStats, readCloudTrailRecords } from '../../lib/read-cloudtrail.js';
import { readFlowRecords, resolveFlowFormat } from '../../lib/read-flow.js';
import { type CommandSpec, writeOut } from '../command.js';
import { flowFormatFlag } from '../inputs.js';

/** Per-source tallies for `--summary` and the end-of-run report. */
interface Tally {
  readonly source: EvidenceSource;
  readonly paths: Record<PathKind, number>;
  unclassified: number;
  readonly rejects: RejectCounter;
  read: boolean;
}

function tally(source: EvidenceSource): Tally {
  const paths = Object.fromEntries(PATH_KINDS.map((p) => [p, 0])) as Record<PathKind, number>;
  return { source, paths, unclassified: 0, rejects: new RejectCounter(), read: false };
}

/** One output line; every string of the record (any field may hold a presigned URL's secrets) is redacted. */
function line(source: EvidenceSource, d: PathDecision, record: object): string {
  return `${JSON.stringify({ source, path: d.path, private: d.private, rule: d.rule, reason: redactText(d.reason), record: redactRecord(record) })}\n`;
}

function summaryTable(tallies: readonly Tally[]): string {
  const rows: string[][] = [['SOURCE', 'PATH', 'PRIVATE', 'RECORDS']];
  for (const t of tallies) {
    if (!t.read) continue;
    for (const p of PATH_KINDS) {
      if (t.paths[p] > 0) rows.push([t.source, p, String(isPrivatePath(p)), String(t.paths[p])]);
    }
    if (t.source === 'flow') rows.push([t.source, '(unclassified)', '-', String(t.unclassified)]);
    // Passed over, not rejected: CloudTrail events of other kinds, subscription CONTROL_MESSAGEs.
    if (t.source === 'cloudtrail' || t.rejects.skipped > 0)
      rows.push([t.source, '(skipped events)', '-', String(t.rejects.skipped)]);
    rows.push([t.source, '(rejected)', '-', String(t.rejects.count)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r.map((c, i) => (i === r.length - 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  '),
    )
    .join('\n')
    .concat('\n');
}

const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];

/**
 * `pathguard classify --env ENV.json [--flow FILE...] [--access FILE...] [--cloudtrail FILE...]
 * [--summary]`: the path every evidence record shows, as NDJSON or counts.
 */
export const classifyCommand: CommandSpec = {
  path: ['classify'],
  summary: 'classify the network path of flow-log, access-log and CloudTrail records',
  usage:
    'classify --env ENV.json [--flow FILE...] [--access FILE...] [--cloudtrail FILE...] [--format SPEC] [--summary]',
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
  },
  variadic: ['flow', 'access', 'cloudtrail'],
  async run({ values, positionals, io }) {
    if (positionals.length > 0) {
      throw new UserInputError(
        'USAGE',
        `unexpected argument '${positionals[0]}': name files with --flow, --access or --cloudtrail`,
      );
    }
    if (typeof values.env !== 'string') throw new UserInputError('USAGE', '--env ENV.json is required');
    const flows = list(values.flow);
    const accesses = list(values.access);
    const trails = list(values.cloudtrail);
    if (flows.length + accesses.length + trails.length === 0) {
      throw new UserInputError('USAGE', 'give at least one --flow, --access or --cloudtrail file');
    }
    if ([...flows, ...accesses, ...trails].filter((f) => f === '-').length > 1) {
      throw new UserInputError('USAGE', "standard input ('-') can be read only once");
    }
    const format = resolveFlowFormat(flowFormatFlag(values, io.stderr, 'classify'));
    const env = await loadEnvironmentFile(values.env);
    const idx: EnvironmentIndex = buildEnvironmentIndex(env);
    for (const w of idx.warnings) io.stderr.write(`pathguard classify: warning: ${w.path}: ${w.message}\n`);

    const summary = values.summary === true;
    const flow = tally('flow');
    const access = tally('s3-access');
    const trail = tally('cloudtrail');
    const stats: CloudTrailReadStats = { events: 0 };
    const report = () => {
      for (const t of [flow, access, trail]) {
        if (t.rejects.count > 0 || t.rejects.skipped > 0)
          io.stderr.write(`${t.source}: ${t.rejects.format().join('\n')}\n`);
      }
    };

    try {
      for (const input of flows) {
        flow.read = true;
        const opts = {
          stdin: io.stdin,
          rejects: flow.rejects,
          ...(format ? { format } : {}),
          // Counting only: build just the fields the classifier reads (every field is still checked).
          ...(summary ? { fields: FLOW_CLASSIFICATION_FIELDS } : {}),
        };
        for await (const batch of readFlowRecords(input, opts)) {
          let out = '';
          for (const r of batch) {
            const d = classifyFlowRecord(r, idx);
            if (d === null) {
              flow.unclassified++;
              continue;
            }
            flow.paths[d.path]++;
            if (!summary) out += line('flow', d, r);
          }
          if (out !== '') await writeOut(io.stdout, out);
        }
      }
      for (const input of accesses) {
        access.read = true;
        for await (const batch of readAccessLogRecords(input, { stdin: io.stdin, rejects: access.rejects })) {
          let out = '';
          for (const r of batch) {
            const d = classifyAccessLogRecord(r, idx);
            access.paths[d.path]++;
            if (!summary) out += line('s3-access', d, r);
          }
          if (out !== '') await writeOut(io.stdout, out);
        }
      }
      for (const input of trails) {
        trail.read = true;
        for await (const batch of readCloudTrailRecords(input, {
          stdin: io.stdin,
          rejects: trail.rejects,
          stats,
        })) {
          let out = '';
          for (const r of batch) {
            const d = classifyCloudTrailRecord(r, idx);
            trail.paths[d.path]++;
            if (!summary) out += line('cloudtrail', d, r);
          }
          if (out !== '') await writeOut(io.stdout, out);
        }
      }
    } catch (e) {
      // What was read before the failure is still reported; the dispatcher prints the error.
      report();
      throw e;
    }
    if (summary) await writeOut(io.stdout, summaryTable([flow, access, trail]));
    report();
    return 0;
  },
};
