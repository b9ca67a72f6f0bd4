import { createHash } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeEvidence } from '../../../shared/alerts/render.js';
import { bindEnvironment } from '../../../shared/analyzer/environment-ports.js';
import { MemoryObjectStore, RecordingAlertSink } from '../../../shared/analyzer/memory.js';
import { type AnalyzerRunResult, runAnalyzer } from '../../../shared/analyzer/run.js';
import type { PathGuardConfig } from '../../../shared/config/schema.js';
import { redactText } from '../../../shared/endpoints/redact.js';
import { validateEnvironment } from '../../../shared/env/schema.js';
import { UserInputError } from '../../../shared/errors.js';
import { redactDeep } from '../../../shared/evidence/redact-deep.js';
import {
  methodOf,
  type Observation,
  PROBE_METHODS,
  type Probe,
  type ProbeMethod,
  styleAndMethod,
} from '../../../shared/probes/types.js';
import { displayText } from '../../../shared/text/escape.js';
import { RejectCounter } from '../../../shared/text/rejects.js';
import { ANALYSIS_FILE, analysisReportHtml, FolderReader, MemoryReader } from '../../lib/report-input.js';
import { fileSources, type InputOption } from '../analyze-sources.js';
import { type CommandSpec, writeOut } from '../command.js';
import { failingVerdicts, parseVerdictFailOn } from '../fail-on.js';
import { flowFormatFlag, readConfigFile, readJsonFile, readNdjson } from '../inputs.js';
import { verdictRowCore } from '../verdict-row.js';
import { analyzeInfo } from './analyze.info.js';

/**
 * `pathguard analyze`: the analyzer run the Lambda performs, offline, over exported logs. Sources
 * are the given files, the store is in memory and the alert sink only records what it would send,
 * so the output is exactly what a first run over these exports would decide and alert.
 */
export const analyzeCommand: CommandSpec = {
  ...analyzeInfo,
  async run({ values, positionals, io }) {
    if (positionals.length > 0) {
      throw new UserInputError(
        'USAGE',
        `unexpected argument '${redactText(positionals[0]!)}'; log files go after --flow, --access or --cloudtrail`,
      );
    }
    for (const k of ['config', 'env', 'probes'] as const) {
      if (typeof values[k] !== 'string') throw new UserInputError('USAGE', `--${k} FILE is required`);
    }
    const now = parseNow(values.now);
    const failOn = parseVerdictFailOn(values['fail-on']);
    const cfg = await readConfigFile(values.config as string);
    const envDoc = await readJsonFile(values.env as string, 'environment');
    const env = validateEnvironment(envDoc);
    if (!env.ok) throw new UserInputError('ENV_INVALID', `${values.env}: ${env.error.message}`);
    const probes = (await readNdjson(values.probes as string, 'probes')).map((v, i) =>
      checkProbe(v, `${values.probes}:${i + 1}`),
    );
    const observations =
      typeof values.observations === 'string'
        ? (await readNdjson(values.observations, 'observations')).map((v, i) =>
            checkObservation(v, `${values.observations}:${i + 1}`),
          )
        : [];

    const rejects = new RejectCounter();
    const sources = fileSources({
      flow: list(values.flow),
      access: list(values.access),
      cloudtrail: list(values.cloudtrail),
      format: flowFormatFlag(values, io.stderr, 'analyze'),
      rejects,
      stdin: io.stdin,
    });
    const bound = bindEnvironment(env.value);
    const store = new MemoryObjectStore();
    const result = await runAnalyzer(
      {
        cfg,
        env: env.value,
        probes,
        observations,
        runId: `analyze-${now.toISOString()}`,
        accessSince: new Date(0),
      },
      {
        store,
        sink: new RecordingAlertSink(),
        clock: () => now,
        sha256: (text) => createHash('sha256').update(text).digest('hex'),
        classify: bound.classify,
        earlyFacts: bound.facts,
        flowSource: sources.flowSource,
        accessLogSource: sources.accessLogSource,
        cloudTrailSource: sources.cloudTrailSource,
      },
    );
    // A source that failed (unreadable file) is an input error here, not a partial result.
    const failed = result.errors.find(
      (e) => e.source === 'flow' || e.source === 's3-access' || e.source === 'cloudtrail',
    );
    if (failed) throw new UserInputError('INPUT_UNREADABLE', `${failed.source}: ${failed.message}`, {}, 1);
    // Every named file is read: one the run did not ask for still has its bad lines counted (and
    // an unreadable one is an InputReadError, exit 1).
    const unused = (await sources.readUnused()).map((u) => ({
      ...u,
      reason: unusedReason(u.option, cfg, probes.length, observations.length),
    }));

    if (values.json === true) {
      const doc = { ...jsonReport(result, rejects), unusedInputs: unused };
      await writeOut(io.stdout, `${redactText(JSON.stringify(doc, null, 2))}\n`);
    } else {
      await writeOut(io.stdout, redactText(textReport(result)));
    }
    for (const u of unused) {
      io.stderr.write(
        `${displayText(`analyze: ${u.option} ${u.files.join(' ')}: ${u.records} record(s) read but not used: ${u.reason}`)}\n`,
      );
    }
    if (rejects.count > 0) io.stderr.write(`${redactText(rejects.format().join('\n'))}\n`);
    if (typeof values.out === 'string' || typeof values.report === 'string') {
      const files = await analysisFiles(result, store, cfg, env.value);
      if (typeof values.out === 'string') await writeAnalysisFolder(values.out, files);
      if (typeof values.report === 'string') {
        const reader =
          typeof values.out === 'string'
            ? new FolderReader(values.out)
            : new MemoryReader('pathguard analyze', files);
        await writeFile(values.report, await analysisReportHtml(reader, { generatedAt: now }));
      }
    }
    return failingVerdicts(result.results, failOn, io.stderr, 'analyze');
  },
};

/** Marks a folder `analyze --out` wrote: only such a folder (or an empty or new one) is written again. */
const ANALYSIS_MARKER = '.pathguard-analysis';

/**
 * The analysis folder: config, environment, every evidence bundle, and the run's drift and
 * real-traffic audit (analysis.json), laid out as \`pathguard report --in\` reads it.
 */
async function analysisFiles(
  r: AnalyzerRunResult,
  store: MemoryObjectStore,
  cfg: unknown,
  env: unknown,
): Promise<Map<string, string>> {
  const json = (v: unknown) => `${redactText(JSON.stringify(v, null, 2))}\n`;
  const files = new Map<string, string>([
    ['config.json', json(cfg)],
    ['env.json', json(env)],
    [
      ANALYSIS_FILE,
      json({ schemaVersion: 1, runId: r.runId, now: r.now, drift: r.drift, realTraffic: r.realTraffic }),
    ],
  ]);
  for (const key of r.bundlesWritten) {
    const b = await store.getJson(key);
    if (b) files.set(`evidence/${key.split('/').pop()}`, json(b.value));
  }
  return files;
}

async function writeAnalysisFolder(dir: string, files: ReadonlyMap<string, string>): Promise<void> {
  let entries: string[] = [];
  try {
    entries = await readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR')
      throw new UserInputError('OUT_NOT_A_DIRECTORY', `${dir}: exists and is not a folder`);
    if (code !== 'ENOENT') throw e;
  }
  if (entries.length > 0 && !entries.includes(ANALYSIS_MARKER))
    throw new UserInputError(
      'OUT_NOT_EMPTY',
      `${dir}: not empty and not an analysis folder (no ${ANALYSIS_MARKER}); choose an empty or new folder`,
    );
  // Only what an earlier run wrote is replaced; a bundle of a probe no longer analysed goes with it.
  await rm(join(dir, 'evidence'), { recursive: true, force: true });
  await mkdir(join(dir, 'evidence'), { recursive: true });
  await writeFile(join(dir, ANALYSIS_MARKER), 'A folder written by `pathguard analyze --out`.\n');
  for (const [name, text] of files) await writeFile(join(dir, name), text);
}

function list(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];
}

function parseNow(v: unknown): Date {
  if (v === undefined) return new Date();
  const d = typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v) ? new Date(v) : new Date(Number.NaN);
  if (Number.isNaN(d.getTime())) {
    throw new UserInputError('USAGE', '--now must be an ISO 8601 time, e.g. 2026-11-25T10:30:00Z');
  }
  return d;
}

function field(o: Record<string, unknown>, name: string, where: string, type: 'string' | 'object'): void {
  if (typeof o[name] !== type || o[name] === null) {
    throw new UserInputError(
      'BAD_INPUT',
      `${where}: ${name}: expected ${type === 'string' ? 'a string' : 'an object'}`,
    );
  }
}

function isoField(o: Record<string, unknown>, name: string, where: string): void {
  field(o, name, where, 'string');
  if (Number.isNaN(Date.parse(o[name] as string)))
    throw new UserInputError('BAD_INPUT', `${where}: ${name}: expected an ISO 8601 time`);
}

function checkProbe(v: unknown, where: string): Probe {
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new UserInputError('BAD_INPUT', `${where}: expected a probe object`);
  const o = v as Record<string, unknown>;
  for (const f of ['probeId', 'runId', 'bucket', 'region', 'style', 'key', 'urlHost', 'expectedPath'])
    field(o, f, where, 'string');
  isoField(o, 'createdAt', where);
  isoField(o, 'expiresAt', where);
  field(o, 'vantage', where, 'object');
  const vantage = o.vantage as Record<string, unknown>;
  if (typeof vantage.id !== 'string' || (vantage.kind !== 'vpc' && vantage.kind !== 'onprem')) {
    throw new UserInputError('BAD_INPUT', `${where}: vantage: expected { id, kind: 'vpc' | 'onprem' }`);
  }
  if (o.method !== undefined && !PROBE_METHODS.includes(o.method as ProbeMethod)) {
    throw new UserInputError('BAD_INPUT', `${where}: method: expected one of ${PROBE_METHODS.join(', ')}`);
  }
  return { urlRedacted: '', inspection: null, sha256: '', size: 0, ...o } as unknown as Probe;
}

function checkObservation(v: unknown, where: string): Observation {
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new UserInputError('BAD_INPUT', `${where}: expected an observation object`);
  const o = v as Record<string, unknown>;
  field(o, 'probeId', where, 'string');
  field(o, 'runnerId', where, 'string');
  isoField(o, 'startedAt', where);
  return {
    remoteAddress: null,
    remotePort: null,
    localAddress: null,
    localPort: null,
    httpStatus: null,
    requestId: null,
    s3ErrorCode: null,
    error: null,
    ...o,
    timingsMs: { total: 0, ...((o.timingsMs as object | undefined) ?? {}) },
  } as Observation;
}

/** Why the analyzer asked nothing of an option's files. */
function unusedReason(
  option: InputOption,
  cfg: PathGuardConfig,
  probes: number,
  observations: number,
): string {
  const off = {
    '--flow': ['flowLogs', cfg.evidence.flowLogs.enabled],
    '--access': ['accessLogs', cfg.evidence.accessLogs.enabled],
    '--cloudtrail': ['cloudTrail', cfg.evidence.cloudTrail.enabled],
  } as const;
  const [key, enabled] = off[option];
  if (!enabled) return `the config turns this evidence off (evidence.${key}.enabled is false)`;
  if (probes === 0) return 'there is no probe to match records to';
  if (option === '--flow' && observations === 0) {
    return "flow records are matched by the runner's addresses, and no runner observation was given (--observations)";
  }
  return "no probe's observation gives an address or key to look for";
}

// --- Output ----------------------------------------------------------------------------------

function jsonReport(r: AnalyzerRunResult, rejects: RejectCounter) {
  return redactDeep({
    now: r.now,
    runId: r.runId,
    verdicts: r.results.map(({ probe, verdict: v, observation }) => ({
      ...verdictRowCore(probe, v),
      probeId: probe.probeId,
      runId: probe.runId,
      region: probe.region,
      vantageKind: probe.vantage.kind,
      urlHost: probe.urlHost,
      expectedPath: probe.expectedPath,
      observed: observation !== null,
      code: v.code,
      reason: v.reason,
      deciding: v.deciding ? describeEvidence(v.deciding) : null,
      evidence: v.evidence.map((e) => ({
        source: e.source,
        matchedBy: e.matchedBy,
        origin: e.origin ?? null,
        path: e.decision.path,
        private: e.decision.private,
        rule: e.decision.rule,
        reason: e.decision.reason,
      })),
      silentSources: v.silentSources,
      undecidedSources: v.undecidedSources,
      awaiting: v.awaiting,
      early: v.early,
      failure: v.failure ?? null,
      findings: v.findings ?? [],
    })),
    alerts: r.alerts.sent.map((s) => s.alert),
    realTraffic: r.realTraffic,
    records: r.records,
    rejected: { count: rejects.count, byCode: rejects.byCode, samples: rejects.samples },
  });
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}

function textReport(r: AnalyzerRunResult): string {
  const out: string[] = [];
  out.push(
    `PathGuard analysis at ${r.now}: ${r.results.length} probe(s); records read: flow ${r.records.flow}, access ${r.records.access}, CloudTrail ${r.records.cloudtrail}`,
    '',
  );
  if (r.results.length > 0) {
    out.push(
      ...table([
        ['PROBE', 'VANTAGE', 'STYLE', 'METHOD', 'BUCKET', 'VERDICT', 'PATH', 'RULE'],
        ...r.results.map(({ probe: p, verdict: v }) => [
          p.probeId,
          p.vantage.id,
          p.style,
          methodOf(p),
          p.bucket,
          v.verdict,
          v.path ?? '-',
          v.code,
        ]),
      ]),
      '',
    );
  }
  for (const { probe: p, verdict: v } of r.results) {
    for (const f of v.findings ?? []) out.push(`${f.code}  ${p.probeId}: ${f.message}`);
    if (v.verdict === 'private') continue;
    out.push(
      `${v.verdict.toUpperCase()}  ${p.bucket} ${styleAndMethod(p)} from ${p.vantage.id} (${p.urlHost})`,
      `  ${v.reason}`,
    );
    for (const e of v.evidence.slice(0, 6)) out.push(`  - ${describeEvidence(e)}`);
    if (v.evidence.length > 6) out.push(`  - ... ${v.evidence.length - 6} more record(s)`);
    const codes = ((p.inspection as { findings?: { code?: string }[] } | null)?.findings ?? [])
      .map((f) => f.code)
      .filter((c) => c && c !== 'TEMPORARY_CREDENTIALS');
    if (codes.length > 0) out.push(`  URL findings: ${codes.join(', ')}`);
    out.push('');
  }
  const rank = { critical: 0, warning: 1, info: 2 } as const;
  const alerts = r.alerts.sent.map((s) => s.alert).sort((a, b) => rank[a.severity] - rank[b.severity]);
  out.push(`Alerts that would be sent: ${alerts.length}`);
  for (const a of alerts) out.push(`  ${a.severity.toUpperCase().padEnd(8)}  ${a.subject}`);
  for (const a of alerts) out.push('', `--- ${a.subject}`, a.text.trimEnd());
  const rt = r.realTraffic;
  out.push(
    '',
    `Real presigned traffic in monitored buckets: ${rt.presignedRequests} request(s), ${rt.nonPrivateRequests} not private`,
  );
  if (rt.nonPrivate.length > 0) {
    out.push(
      ...table([
        ['COUNT', 'REMOTE IP', 'HOST', 'PATH', 'FIRST SEEN', 'LAST SEEN', 'USER AGENT'],
        ...rt.nonPrivate.map((g) => [
          String(g.count),
          g.remoteIp ?? '-',
          g.hostHeader ?? '-',
          g.path,
          g.firstSeen ?? '-',
          g.lastSeen ?? '-',
          (g.userAgent ?? '-').slice(0, 60),
        ]),
      ]).map((l) => `  ${l}`),
    );
  }
  return `${out.join('\n')}\n`;
}
