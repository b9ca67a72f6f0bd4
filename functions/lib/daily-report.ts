import type { S3Client } from '@aws-sdk/client-s3';
import type { ReportLocation } from '../../shared/alerts/render.js';
import type { DriftItem } from '../../shared/alerts/state.js';
import type { PathGuardConfig } from '../../shared/config/index.js';
import type { Environment } from '../../shared/env/types.js';
import type { ObjectStore } from '../../shared/ports/index.js';
import { evidenceReportHtml } from '../../shared/reports/render-report.js';
import { BucketReader } from '../aws/bucket-reader.js';
import { type AnalysisReader, loadReportInput, sha256Base64 } from './report-input.js';

/** Store key of a day's evidence report: `reports/YYYY/MM/DD.html` (UTC day). */
export function dailyReportKey(day: Date): string {
  const d = day.toISOString();
  return `reports/${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}.html`;
}

/** Where the day's report of the results bucket (or of a member's folder of it) is, for the alerts. */
export function dailyReportLocation(cfg: PathGuardConfig, day: Date, prefix = ''): ReportLocation {
  return { bucket: cfg.resultsBucket, key: prefix + dailyReportKey(day), region: cfg.region };
}

/** The state document that records the last day whose report was written whole. */
export const DAILY_REPORT_STATE_KEY = 'state/daily-report.json';

/** What the analyze function may read for a report: its own prefixes (its role can read nothing else there). */
const READABLE = ['evidence/', 'reports/real-traffic/', 'state/alerts.json'];

/** The results bucket as the report reads it (`prefix`: the store's, a member's folder). */
export function resultsBucketReader(
  s3: S3Client,
  bucket: string,
  store: ObjectStore,
  prefix = '',
): AnalysisReader {
  return new BucketReader(s3, bucket, store, READABLE, prefix);
}

export interface DailyReportDeps {
  reader: AnalysisReader;
  store: ObjectStore;
  cfg: PathGuardConfig;
  /** The environment just discovered (its routes draw the paths). */
  environment: Environment;
  /** Posture drift of this run (today's report only). */
  drift?: readonly DriftItem[];
  now: Date;
}

/**
 * Writes the evidence report of one UTC day (`day`'s bundles and real-traffic reports) to
 * `reports/YYYY/MM/DD.html` in the results bucket. The bucket's default encryption (SSE-KMS
 * with the stack's key) applies, like every other object PathGuard writes there.
 *
 * @example
 * await writeDailyReport(new Date('2026-12-03T00:00:00Z'), { reader, store, cfg, environment, now });
 */
export async function writeDailyReport(
  day: Date,
  deps: DailyReportDeps,
): Promise<{ key: string; probes: number; bytes: number }> {
  const d = day.toISOString().slice(0, 10);
  const folder = `${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/`;
  const input = await loadReportInput(deps.reader, {
    since: `${d}T00:00:00.000Z`,
    until: `${d}T23:59:59.999Z`,
    generatedAt: deps.now,
    evidencePrefixes: [`evidence/${folder}`],
    realTrafficPrefixes: [`reports/real-traffic/${folder}`],
    environment: deps.environment,
    drift: deps.drift ?? [],
    order: {
      vantages: deps.cfg.vantages.map((v) => v.id),
      styles: [...new Set(deps.cfg.targets.flatMap((t) => t.styles))],
    },
  });
  const html = Buffer.from(evidenceReportHtml(input, { sha256Base64 }), 'utf8');
  const key = dailyReportKey(day);
  await deps.store.putBytes(key, html, 'text/html; charset=utf-8');
  return { key, probes: input.bundles.length, bytes: html.length };
}

/**
 * The reports a run writes: today's (the day so far) when the run sent an alert, so the page the
 * alert names exists, and yesterday's, once, on the first run of a new UTC day (recorded in
 * `state/daily-report.json`). A run without alerts on a day already reported writes nothing:
 * rebuilding a day's page reads every bundle of the day.
 */
export async function dailyReports(
  deps: DailyReportDeps & { alertsSent: number },
): Promise<{ key: string; probes: number; bytes: number }[]> {
  const out: { key: string; probes: number; bytes: number }[] = [];
  const today = new Date(`${deps.now.toISOString().slice(0, 10)}T00:00:00.000Z`);
  const yesterday = new Date(today.getTime() - 86_400_000);
  const done = (await deps.store.getJson<{ day?: string }>(DAILY_REPORT_STATE_KEY))?.value?.day ?? null;
  const yDay = yesterday.toISOString().slice(0, 10);
  if (done === null || done < yDay) {
    out.push(await writeDailyReport(yesterday, { ...deps, drift: [] }));
    await deps.store.putJson(DAILY_REPORT_STATE_KEY, { day: yDay, writtenAt: deps.now.toISOString() });
  }
  if (deps.alertsSent > 0) out.push(await writeDailyReport(today, deps));
  return out;
}
