import { FlowPathMemo } from '../../../shared/classify/flow-memo.js';
import {
  classifyAccessLogRecord,
  classifyCloudTrailRecord,
  classifyFlowRecord,
  type EvidenceSource,
  isPrivatePath,
  PATH_KINDS,
  type PathDecision,
  type PathKind,
} from '../../../shared/classify/index.js';
import { redactText } from '../../../shared/endpoints/redact.js';
import { buildEnvironmentIndex, type EnvironmentIndex } from '../../../shared/env/environment-index.js';
import type { Environment } from '../../../shared/env/types.js';
import { UserInputError } from '../../../shared/errors.js';
import { redactRecord } from '../../../shared/evidence/redact-deep.js';
import { RejectCounter } from '../../../shared/text/rejects.js';
import { loadEnvironmentFile } from '../../lib/environment-file.js';
import { flowPathCounter } from '../../lib/flow-paths.js';
import { readAccessLogRecords } from '../../lib/read-access-logs.js';
import { type CloudTrailReadStats, readCloudTrailRecords } from '../../lib/read-cloudtrail.js';
import {
  pipeFlowRecords,
  type ReadFlowOptions,
  readFlowRecords,
  resolveFlowFormat,
} from '../../lib/read-flow.js';
import { type CommandSpec, writeOut } from '../command.js';
import { runFileJobs, startFileWorkers, threadsFor } from '../file-jobs.js';
import { flowFormatFlag } from '../inputs.js';
import { classifyInfo } from './classify.info.js';

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

/**
 * `--summary` over several flow-log files: each file classified on a worker thread, the counts
 * added in file order. Returns how many files were done; from the first a worker could not read
 * on, the caller reads in turn, so a failure reads as it would without workers.
 */
async function classifyInWorkers(
  files: readonly string[],
  o: { env: Environment; envKey: string; spec: string | undefined; threads: number },
  flow: Tally,
): Promise<number> {
  const jobs = files.map((file) => ({
    kind: 'flow-classify' as const,
    file,
    env: o.env,
    envKey: o.envKey,
    ...(o.spec ? { format: o.spec } : {}),
  }));
  const { results } = await runFileJobs(jobs, o.threads);
  for (const r of results) {
    for (const [path, n] of Object.entries(r.paths)) flow.paths[path as PathKind] += n;
    flow.unclassified += r.unclassified;
    flow.rejects.merge(r.rejects);
  }
  return results.length;
}

/**
 * `--summary` over one flow-log input: no record is built for a line whose kind of record
 * FlowPathMemo has seen (the path read from the line's bytes); the others are built, classified
 * once and remembered.
 */
async function summariseFlows(
  input: string,
  opts: ReadFlowOptions,
  memo: FlowPathMemo,
  flow: Tally,
): Promise<void> {
  const counter = flowPathCounter(memo, flow);
  try {
    await pipeFlowRecords(input, opts, { ...counter, region: () => undefined, flush: () => undefined });
  } finally {
    // What was read before a failure is still reported.
    counter.settle();
  }
}

const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];

/**
 * `pathguard classify --env ENV.json [--flow FILE...] [--access FILE...] [--cloudtrail FILE...]
 * [--summary]`: the path every evidence record shows, as NDJSON or counts.
 */
export const classifyCommand: CommandSpec = {
  ...classifyInfo,
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
    const spec = flowFormatFlag(values, io.stderr, 'classify');
    const format = resolveFlowFormat(spec);
    const threads = threadsFor(values.jobs, flows);
    // Started before the environment is read and indexed, which they need not wait for.
    if (values.summary === true && threads > 1) startFileWorkers(threads);
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
      let done = 0;
      if (summary && threads > 1) {
        flow.read = true;
        done = await classifyInWorkers(flows, { env, envKey: values.env, spec, threads }, flow);
      }
      const memo = summary ? new FlowPathMemo(idx) : null;
      for (const input of flows.slice(done)) {
        flow.read = true;
        const opts = { stdin: io.stdin, rejects: flow.rejects, ...(format ? { format } : {}) };
        if (memo !== null) {
          await summariseFlows(input, opts, memo, flow);
          continue;
        }
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
