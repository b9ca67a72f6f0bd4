import { redactText } from '../../../shared/endpoints/redact.js';
import { UserInputError } from '../../../shared/errors.js';
import { styleAndMethod } from '../../../shared/probes/types.js';
import { loadLabScenario, parseLabScenario } from '../../lab/network/index.js';
import { analyzeCommandFor, type LabResult, runLab } from '../../lab/run-lab.js';
import defaultScenario from '../../lab/scenarios/default.json' with { type: 'json' };
import { type CommandSpec, writeOut } from '../command.js';
import { inspectionFindings, verdictRowCore } from '../verdict-row.js';
import { EXIT_VERDICT, labInfo } from './lab.info.js';

type LabOutcome = LabResult['analysis']['results'][number];

/** The matrix's columns in config order: each target's styles, each with its methods (`regional put`). */
function columns(r: LabResult): string[] {
  return [
    ...new Set(
      r.config.targets.flatMap((t) =>
        t.styles.flatMap((style) => t.methods.map((method) => styleAndMethod({ style, method }))),
      ),
    ),
  ];
}

function rank(r: LabResult, x: LabOutcome, cols: readonly string[] = columns(r)): number {
  return (
    r.config.vantages.findIndex((v) => v.id === x.probe.vantage.id) * 1000 +
    cols.indexOf(styleAndMethod(x.probe))
  );
}

/** The verdict matrix and details as one JSON document. */
export function labJson(r: LabResult) {
  return {
    scenario: r.scenario,
    // Config order (vantages, then the target's styles), as in the report's matrix.
    verdicts: [...r.analysis.results]
      .sort((a, b) => rank(r, a) - rank(r, b))
      // The same row head as `analyze --json` (bucket, urlFindings), so one reader serves both.
      .map((x) => verdictRowCore(x.probe, x.verdict)),
    alerts: r.alerts.map((a) => ({ severity: a.severity, subject: a.subject })),
    outDir: r.outDir,
    report: r.files.report,
  };
}

/** The readable report: verdict matrix, each left-path with evidence and fix, alerts, files. */
export function labReport(r: LabResult): string {
  // Config order (targets' styles and methods, vantages), not probe-id order.
  const styles = columns(r);
  const vantages = r.config.vantages.map((v) => v.id);
  const cell = (v: string, s: string) => {
    const x = r.analysis.results.find((y) => y.probe.vantage.id === v && styleAndMethod(y.probe) === s);
    return x ? `${x.verdict.verdict}${x.verdict.path ? ` (${x.verdict.path})` : ''}` : '-';
  };
  const rows = [['vantage', ...styles], ...vantages.map((v) => [v, ...styles.map((s) => cell(v, s))])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const out = [
    `PathGuard lab, scenario '${r.scenario}': probes presigned with the AWS SDK, fetched over loopback through the`,
    "scenario's DNS and routes; verdicts decided from the flow log and access log the lab wrote in the AWS formats.",
    '',
    ...rows.map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    ),
    '',
  ];
  // Config order, as the matrix: the analyzer's result order depends on probe ids.
  const leftPath = r.analysis.results
    .filter((y) => y.verdict.verdict === 'left-path')
    .sort((a, b) => rank(r, a) - rank(r, b));
  for (const x of leftPath) {
    const alert = r.alerts.find(
      (a) =>
        a.attributes.style === x.probe.style &&
        (a.attributes.method ?? 'get') === (x.probe.method ?? 'get') &&
        a.attributes.vantage === x.probe.vantage.id,
    );
    out.push(
      `LEFT-PATH ${styleAndMethod(x.probe)} from ${x.probe.vantage.id} (${x.probe.urlHost})`,
      `  ${x.verdict.reason}`,
    );
    for (const e of x.verdict.evidence.slice(0, 3))
      out.push(`  - ${e.source}: ${e.decision.path}: ${e.decision.reason}`);
    const codes = inspectionFindings(x.probe.inspection);
    if (codes.length > 0) out.push(`  URL findings: ${codes.join(', ')}`);
    const fix = alert?.text.split('\n').find((l) => /^\s*1\. /.test(l) || /^Fix:/.test(l));
    if (fix) out.push(`  Fix: ${fix.replace(/^\s*(1\.|Fix:)\s*/, '')}`);
    out.push('');
  }
  out.push(`Alerts (${r.alerts.length}), written as SNS messages to ${r.files.outbox}:`);
  for (const a of r.alerts) out.push(`  ${a.severity.padEnd(8)} ${a.subject}`);
  out.push(
    '',
    `Evidence report: ${r.files.report}`,
    `Evidence bundles: ${r.files.bundles}`,
    `VPC Flow Logs: ${r.files.flowLog}`,
    `S3 server access logs: ${r.files.accessLog}`,
    `Rerun offline: pathguard ${analyzeCommandFor(r).join(' ')}`,
    '',
  );
  return redactText(out.join('\n'));
}

/** The verdicts each `--fail-on` value fails on: a left path is worse than a blind spot. */
const FAIL_ON_VERDICTS: Readonly<Record<'left-path' | 'no-evidence', readonly string[]>> = {
  'left-path': ['left-path'],
  'no-evidence': ['left-path', 'no-evidence'],
};

/** `pathguard lab`: a whole monitoring cycle on this machine, no AWS account needed. */
export const labCommand: CommandSpec = {
  ...labInfo,
  async run({ values, io }) {
    const failOn = parseFailOn(values['fail-on']);
    const fileFormat = parseFlowFileFormat(values['flow-file-format']);
    // The default scenario travels inside the bundle: `npm start` works from any directory.
    const scenario =
      typeof values.scenario === 'string'
        ? await loadLabScenario(values.scenario)
        : parseLabScenario(defaultScenario, 'default scenario');
    const r = await runLab(scenario, {
      ...(typeof values.out === 'string' ? { outDir: values.out } : {}),
      ...(fileFormat ? { flowLogFileFormat: fileFormat } : {}),
    });
    await writeOut(
      io.stdout,
      values.json ? `${redactText(JSON.stringify(labJson(r), null, 2))}\n` : labReport(r),
    );
    const failing = failOn === null ? [] : FAIL_ON_VERDICTS[failOn];
    return r.analysis.results.some((x) => failing.includes(x.verdict.verdict)) ? EXIT_VERDICT : 0;
  },
};

function parseFlowFileFormat(v: unknown): 'plain-text' | 'parquet' | null {
  if (v === undefined) return null;
  if (v === 'plain-text' || v === 'parquet') return v;
  throw new UserInputError('USAGE', '--flow-file-format must be one of plain-text, parquet');
}

function parseFailOn(v: unknown): keyof typeof FAIL_ON_VERDICTS | null {
  if (v === undefined) return null;
  if (v === 'left-path' || v === 'no-evidence') return v;
  throw new UserInputError('USAGE', '--fail-on must be one of left-path, no-evidence');
}
