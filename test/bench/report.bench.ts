// The evidence report of 10,000 probes: its size, the time to render the HTML in Node, and the
// time headless Chromium (Debian's, through playwright-core) takes to load and lay it out, with a
// baseline in the same run: Chromium loading a plain page of the same size (one <pre>).
// Probes: two vantages × four styles, one run every 5 minutes (1,250 runs, about 4.3 days), the
// lab's mix of verdicts. Two sets of records: `two records` (an access-log line and a flow record
// each, every probe the same DNS answer), and `as in AWS`: S3 answers each VPC probe from a
// rotating pool of addresses, and a VPC probe's flow log holds two connections in both directions
// (four records) while an on-prem probe has no flow log, only its access-log line.
import { createHash } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { buildEvidenceReport, type EvidenceReportInput } from '../../shared/reports/evidence-report.js';
import { renderEvidenceReport } from '../../shared/reports/render-report.js';
import { reportBundle } from '../unit/report-fixtures.js';

const PROBES = 10_000;
const CHROMIUM = process.env.PATHGUARD_CHROMIUM ?? '/usr/bin/chromium';
const sha256Base64 = (t: string) => createHash('sha256').update(t, 'utf8').digest('base64');

/** Four flow records (two connections, both directions) between the runner and S3 address `s3`. */
function flowRecords(b: ReturnType<typeof reportBundle>, s3: string, i: number) {
  const flow = b.bundle.evidence.find((e) => e.source === 'flow')!;
  return [0, 1].flatMap((c) => {
    const port = 40_000 + ((i * 2 + c) % 20_000);
    const out = { srcaddr: '10.0.1.77', srcport: port, dstaddr: s3, dstport: 443 };
    const back = { srcaddr: s3, srcport: 443, dstaddr: '10.0.1.77', dstport: port };
    return [out, back].map((r, k) => ({
      ...flow,
      dedupKey: `flow:${c}:${k}`,
      record: { ...(flow.record as object), ...r } as never,
    }));
  });
}

function input(n: number, asInAws: boolean): EvidenceReportInput {
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
    if (asInAws) {
      const obs = b.bundle.observations[0]!;
      if (!onprem && style !== 'interface-endpoint') {
        const s3 = `52.216.${(i * 37) % 256}.${(i * 101) % 256}`;
        obs.dns = { answers: [{ address: s3, family: 4 }] } as never;
        (obs as { remoteAddress: string }).remoteAddress = s3;
      }
      const access = b.bundle.evidence.filter((e) => e.source !== 'flow');
      const s3 = (obs as { remoteAddress: string }).remoteAddress;
      b.bundle.evidence = onprem || access.length === 0 ? access : [...flowRecords(b, s3, i), ...access];
    }
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

/** Opens a page from a file, as a person opens it; best of three of the page's own clock. */
async function load(browser: Browser, page: string): Promise<{ ms: number; fcp: number }> {
  const file = join(tmpdir(), `pathguard-report-bench-${process.pid}.html`);
  writeFileSync(file, page);
  let ms = Number.POSITIVE_INFINITY;
  let fcp = Number.POSITIVE_INFINITY;
  try {
    for (let i = 0; i < 3; i++) {
      const p = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await p.route('**/*', (r) => (r.request().url().startsWith('file:') ? r.continue() : r.abort()));
      await p.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      // From navigation start: to the second animation frame after the load event (style,
      // layout and paint done), and to the first contentful paint (the summary at the top).
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
}

export default async function bench(): Promise<void> {
  const browser = existsSync(CHROMIUM) ? await chromium.launch({ executablePath: CHROMIUM }) : null;
  if (!browser) console.log(`no Chromium at ${CHROMIUM}: browser figures skipped`);
  try {
    console.log(
      '| records | probes | size | Node render | Chromium: first paint (summary) | Chromium: load + laid out | baseline, plain page of the same size: first paint / load |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const asInAws of [false, true]) {
      const data = input(PROBES, asInAws);
      const { ms: renderMs, value: html } = best(3, () =>
        renderEvidenceReport(buildEvidenceReport(data), { sha256Base64 }),
      );
      const bytes = Buffer.byteLength(html);
      const report = browser ? await load(browser, html) : null;
      // Baseline: a plain page of the same size, text in 80-character lines.
      const baseline = browser
        ? await load(
            browser,
            `<!DOCTYPE html><pre>${`${'x'.repeat(79)}\n`.repeat(Math.floor(bytes / 80))}</pre>`,
          )
        : null;
      const ms = (x: number | undefined) => (x === undefined ? '-' : `${x.toFixed(0)} ms`);
      console.log(
        `| ${asInAws ? 'as in AWS' : 'two records'} | ${PROBES.toLocaleString('en')} | ${(bytes / 1e6).toFixed(2)} MB | ${ms(renderMs)} | ${ms(report?.fcp)} | ${ms(report?.ms)} | ${ms(baseline?.fcp)} / ${ms(baseline?.ms)} |`,
      );
    }
  } finally {
    await browser?.close();
  }
}
