// The evidence report of 10,000 probes: its size, the time to render the HTML in Node, and the
// time headless Chromium (Debian's, through playwright-core) takes to load and lay it out, with a
// baseline in the same run: Chromium loading a plain page of the same size (one <pre>).
// Probes: two vantages × four styles, one run every 5 minutes (1,250 runs, about 4.3 days), the
// lab's mix of verdicts and records (an access-log line and a flow record each).
import { createHash } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { buildEvidenceReport, type EvidenceReportInput } from '../../shared/reports/evidence-report.js';
import { renderEvidenceReport } from '../../shared/reports/render-report.js';
import { reportBundle } from '../unit/report-fixtures.js';

const PROBES = 10_000;
const CHROMIUM = process.env.PATHGUARD_CHROMIUM ?? '/usr/bin/chromium';
const sha256Base64 = (t: string) => createHash('sha256').update(t, 'utf8').digest('base64');

function input(n: number): EvidenceReportInput {
  const styles = ['regional', 'global', 'interface-endpoint', 'accelerate'] as const;
  const start = Date.parse('2026-12-01T00:00:00Z');
  const bundles = Array.from({ length: n }, (_, i) => {
    const run = Math.floor(i / 8);
    const onprem = i % 8 >= 4;
    const style = styles[i % 4]!;
    const left = style === 'accelerate' || (onprem && style !== 'interface-endpoint');
    // A ULID-shaped id and a realistic key, so sizes are those of real bundles.
    const id = `01M8${String(i).padStart(22, '0')}`;
    const b = reportBundle({
      probeId: id,
      createdAt: new Date(start + run * 300_000).toISOString(),
      kind: onprem ? 'onprem' : 'vpc',
      style,
      verdict: i % 97 === 0 ? 'no-evidence' : left ? 'left-path' : 'private',
      path: left ? (onprem ? 'public' : 'nat-gateway') : onprem ? 'interface-endpoint' : 'gateway-endpoint',
      requestId: createHash('md5').update(id).digest('hex').slice(0, 16).toUpperCase(),
    });
    return {
      ...b,
      key: `evidence/2026/12/0${1 + Math.floor(run / 288)}/${id}.json`,
      sha256: createHash('sha256').update(id).digest('hex'),
    };
  });
  return {
    generatedAt: new Date().toISOString(),
    since: null,
    until: null,
    source: 'benchmark',
    bundles,
    environment: null,
    environmentDigest: null,
    drift: [],
    realTraffic: [],
    notes: [],
  };
}

function best<T>(runs: number, fn: () => T): { ms: number; value: T } {
  let ms = Number.POSITIVE_INFINITY;
  let value!: T;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    value = fn();
    ms = Math.min(ms, performance.now() - t);
  }
  return { ms, value };
}

export default async function bench(): Promise<void> {
  const data = input(PROBES);
  const { ms: renderMs, value: html } = best(3, () =>
    renderEvidenceReport(buildEvidenceReport(data), { sha256Base64 }),
  );
  const bytes = Buffer.byteLength(html);
  console.log(
    `report of ${PROBES} probes: ${(bytes / 1e6).toFixed(2)} MB, rendered in Node in ${renderMs.toFixed(0)} ms`,
  );
  if (!existsSync(CHROMIUM)) {
    console.log(`no Chromium at ${CHROMIUM}: browser figures skipped`);
    return;
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  try {
    // Opened from a file, as a person opens it: the page's own timing, from navigation start to
    // the end of the load event, then two animation frames (style, layout and first paint done),
    // and to the first contentful paint (the summary at the top of the page).
    const load = async (page: string) => {
      const file = join(tmpdir(), `pathguard-report-bench-${process.pid}.html`);
      writeFileSync(file, page);
      let ms = Number.POSITIVE_INFINITY;
      let fcp = Number.POSITIVE_INFINITY;
      try {
        for (let i = 0; i < 3; i++) {
          const p = await browser.newPage({ viewport: { width: 1200, height: 900 } });
          await p.route('**/*', (r) => (r.request().url().startsWith('file:') ? r.continue() : r.abort()));
          await p.goto(pathToFileURL(file).href, { waitUntil: 'load' });
          const [t, paint] = await p.evaluate(
            () =>
              new Promise<[number, number]>((resolve) => {
                const g = globalThis as unknown as {
                  requestAnimationFrame(f: () => void): void;
                  performance: { now(): number; getEntriesByName(n: string): { startTime: number }[] };
                };
                g.requestAnimationFrame(() =>
                  g.requestAnimationFrame(() =>
                    resolve([
                      g.performance.now(),
                      g.performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN,
                    ]),
                  ),
                );
              }),
          );
          ms = Math.min(ms, t);
          fcp = Math.min(fcp, paint);
          await p.close();
        }
      } finally {
        rmSync(file, { force: true });
      }
      return { ms, fcp };
    };
    const report = await load(html);
    // Baseline: a plain page of the same size, text in 80-character lines.
    const baseline = await load(
      `<!DOCTYPE html><pre>${`${'x'.repeat(79)}\n`.repeat(Math.floor(bytes / 80))}</pre>`,
    );
    console.log(
      '| probes | size | Node render | Chromium: first paint (summary) | Chromium: load + laid out | baseline, plain page of the same size: first paint / load |',
    );
    console.log('|---:|---:|---:|---:|---:|---:|');
    console.log(
      `| ${PROBES.toLocaleString('en')} | ${(bytes / 1e6).toFixed(2)} MB | ${renderMs.toFixed(0)} ms | ${report.fcp.toFixed(0)} ms | ${report.ms.toFixed(0)} ms | ${baseline.fcp.toFixed(0)} / ${baseline.ms.toFixed(0)} ms |`,
    );
  } finally {
    await browser.close();
  }
}
