import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { DriftItem } from '../../shared/alerts/state.js';
import { validateEnvironment } from '../../shared/env/schema.js';
import type { Environment } from '../../shared/env/types.js';
import { environmentDigest, readBundle } from '../../shared/evidence/bundle.js';
import type { EvidenceReportInput, ReportBundle } from '../../shared/reports/evidence-report.js';
import type { RealTrafficReport } from '../../shared/reports/real-traffic.js';
import { evidenceReportHtml } from '../../shared/reports/render-report.js';
import { displayText } from '../../shared/text/escape.js';

/**
 * Where an analysis is read from: a folder (what `pathguard lab --out` and `analyze --out` write,
 * or a results-bucket export) or the results bucket itself. Keys are `/`-separated and relative.
 */
export interface AnalysisReader {
  readonly name: string;
  /** Keys under `prefix` (any depth). */
  list(prefix: string): AsyncIterable<string>;
  /** The bytes at `key`, or null when absent. */
  read(key: string): Promise<Buffer | null>;
}

/** Reads a folder. */
export class FolderReader implements AnalysisReader {
  constructor(readonly name: string) {}

  async *list(prefix: string): AsyncIterable<string> {
    const dir = join(this.name, ...prefix.split('/').filter(Boolean));
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true, recursive: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR')
        return;
      throw e;
    }
    const keys = entries
      .filter((d) => d.isFile())
      .map((d) => relative(this.name, join(d.parentPath, d.name)).split(sep).join('/'))
      .sort();
    yield* keys;
  }

  async read(key: string): Promise<Buffer | null> {
    try {
      return await readFile(join(this.name, ...key.split('/')));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return null;
      throw e;
    }
  }
}

/** What the analysis folder holds besides bundles: one run's drift and real-traffic audit (`analysis.json`). */
export interface AnalysisSummary {
  schemaVersion: 1;
  runId: string;
  now: string;
  drift: DriftItem[];
  realTraffic: RealTrafficReport;
}

export const ANALYSIS_FILE = 'analysis.json';

export interface LoadReportOptions {
  since?: string | null;
  until?: string | null;
  generatedAt: Date;
  /** Where bundles are read. @default ['evidence/'] */
  evidencePrefixes?: readonly string[];
  /** Where stored real-traffic reports are read. @default ['reports/real-traffic/'] */
  realTrafficPrefixes?: readonly string[];
  /** Used instead of the stored environment (the analyze function has just discovered it). */
  environment?: Environment | null;
  /** Drift found by the current run, added to what the input records. */
  drift?: readonly DriftItem[];
  /** Vantage and style order (from the config) when the input has no config.json. */
  order?: { vantages: readonly string[]; styles: readonly string[] } | null;
}

const sha256Hex = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

function isRealTraffic(v: unknown): v is RealTrafficReport {
  const r = v as Partial<RealTrafficReport> | null;
  return (
    !!r &&
    typeof r === 'object' &&
    typeof r.presignedRequests === 'number' &&
    Array.isArray(r.nonPrivate) &&
    typeof r.byPath === 'object'
  );
}

function isDrift(v: unknown): v is DriftItem {
  const d = v as Partial<DriftItem> | null;
  return !!d && typeof d.code === 'string' && typeof d.message === 'string' && typeof d.resource === 'string';
}

/** Open posture-drift alerts of a stored alert state (`state/alerts.json`, key `drift|CODE|resource`). */
function driftFromState(v: unknown): DriftItem[] {
  const open = (v as { open?: Record<string, { kind?: string; severity?: string; detail?: string }> } | null)
    ?.open;
  if (!open || typeof open !== 'object') return [];
  const out: DriftItem[] = [];
  for (const [key, a] of Object.entries(open)) {
    if (a?.kind !== 'posture-drift') continue;
    const [, code = 'DRIFT', ...rest] = key.split('|');
    out.push({
      code,
      severity: a.severity === 'critical' ? 'critical' : 'warning',
      message: typeof a.detail === 'string' ? a.detail : 'open posture-drift alert',
      resource: rest.join('|') || '-',
    });
  }
  return out;
}

/**
 * The report's input from an analysis folder or the results bucket. Every bundle's SHA-256 is of
 * its bytes as stored. Nothing here throws on a foreign or broken document: it is left out and
 * named in `notes`, which the report shows.
 *
 * @example
 * const input = await loadReportInput(new FolderReader('/tmp/lab'), { generatedAt: new Date() });
 */
export async function loadReportInput(
  reader: AnalysisReader,
  opts: LoadReportOptions,
): Promise<EvidenceReportInput> {
  const notes: string[] = [];
  const bundles: ReportBundle[] = [];
  for (const prefix of opts.evidencePrefixes ?? ['evidence/']) {
    for await (const key of reader.list(prefix)) {
      if (!key.endsWith('.json')) continue;
      const bytes = await reader.read(key);
      if (!bytes) continue;
      const bundle = readBundle(parseJson(bytes));
      if (!bundle || typeof bundle.probe?.createdAt !== 'string' || !bundle.probe.vantage) {
        notes.push(`${displayText(key)}: not an evidence bundle of this version; left out`);
        continue;
      }
      bundles.push({ key, sha256: sha256Hex(bytes), bundle });
    }
  }

  let environment = opts.environment ?? null;
  if (!environment) {
    for (const key of ['env.json', 'environment/latest.json']) {
      const bytes = await reader.read(key);
      if (!bytes) continue;
      const env = validateEnvironment(parseJson(bytes));
      if (env.ok) {
        environment = env.value;
        break;
      }
      notes.push(
        `${key}: not a valid environment document (${displayText(env.error.message)}); routes are read from the bundles`,
      );
    }
  }

  let order = opts.order ?? null;
  const cfgBytes = await reader.read('config.json');
  if (cfgBytes && !order) {
    const cfg = parseJson(cfgBytes) as {
      vantages?: { id?: unknown }[];
      targets?: { styles?: unknown[] }[];
    } | null;
    if (cfg && Array.isArray(cfg.vantages) && Array.isArray(cfg.targets)) {
      order = {
        vantages: cfg.vantages.map((v) => String(v?.id)),
        styles: [
          ...new Set(cfg.targets.flatMap((t) => (Array.isArray(t?.styles) ? t.styles.map(String) : []))),
        ],
      };
    }
  }

  const drift: DriftItem[] = [...(opts.drift ?? [])];
  const realTraffic: RealTrafficReport[] = [];
  const summaryBytes = await reader.read(ANALYSIS_FILE);
  if (summaryBytes) {
    const s = parseJson(summaryBytes) as Partial<AnalysisSummary> | undefined;
    if (s && Array.isArray(s.drift)) drift.push(...s.drift.filter(isDrift));
    if (s && isRealTraffic(s.realTraffic)) realTraffic.push(s.realTraffic);
    if (!s) notes.push(`${ANALYSIS_FILE}: not JSON; drift and real traffic left out`);
  }
  for (const prefix of opts.realTrafficPrefixes ?? ['reports/real-traffic/']) {
    for await (const key of reader.list(prefix)) {
      const bytes = key.endsWith('.json') ? await reader.read(key) : null;
      const v = bytes ? parseJson(bytes) : undefined;
      if (isRealTraffic(v)) realTraffic.push(v);
      else if (bytes) notes.push(`${displayText(key)}: not a real-traffic report; left out`);
    }
  }
  const state = await reader.read('state/alerts.json');
  if (state) {
    const have = new Set(drift.map((d) => `${d.code}|${d.resource}`));
    for (const d of driftFromState(parseJson(state))) if (!have.has(`${d.code}|${d.resource}`)) drift.push(d);
  }

  return {
    generatedAt: opts.generatedAt.toISOString(),
    since: opts.since ?? null,
    until: opts.until ?? null,
    source: reader.name,
    bundles,
    environment,
    environmentDigest: environment ? environmentDigest(environment, sha256Hex) : null,
    order,
    drift: dedupeDrift(drift),
    realTraffic,
    notes,
  };
}

function dedupeDrift(items: readonly DriftItem[]): DriftItem[] {
  const seen = new Map<string, DriftItem>();
  for (const d of items) if (!seen.has(`${d.code}|${d.resource}`)) seen.set(`${d.code}|${d.resource}`, d);
  return [...seen.values()];
}

/** Base64 SHA-256, for the report's CSP hashes. */
export function sha256Base64(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64');
}

/**
 * The evidence report of an analysis folder (or bucket) as HTML.
 *
 * @example
 * await writeFile('report.html', await analysisReportHtml(new FolderReader(dir), { generatedAt: new Date() }));
 */
export async function analysisReportHtml(reader: AnalysisReader, opts: LoadReportOptions): Promise<string> {
  return evidenceReportHtml(await loadReportInput(reader, opts), { sha256Base64 });
}

/** Files held in memory (what `analyze --report` reads when no `--out` folder is written). */
export class MemoryReader implements AnalysisReader {
  constructor(
    readonly name: string,
    private readonly files: ReadonlyMap<string, string>,
  ) {}

  async *list(prefix: string): AsyncIterable<string> {
    yield* [...this.files.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  async read(key: string): Promise<Buffer | null> {
    const f = this.files.get(key);
    return f === undefined ? null : Buffer.from(f, 'utf8');
  }
}
