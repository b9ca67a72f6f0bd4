// The evidence report in a real browser: Debian's headless Chromium driven by playwright-core
// (no browser download). The default lab's report must open with no console error and no network
// request, show one matrix cell per (vantage, target, style) and one path diagram per probe naming
// the hop its verdict names, print to PDF on A4 and Letter, and keep planted XSS as text.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labJson } from '../../functions/cli/commands/lab.js';
import { parseLabScenario } from '../../functions/lab/network/index.js';
import { type LabResult, runLab } from '../../functions/lab/run-lab.js';
import defaultScenario from '../../functions/lab/scenarios/default.json' with { type: 'json' };
import { analysisReportHtml, FolderReader } from '../../functions/lib/report-input.js';

/** Debian's package installs it here; PATHGUARD_CHROMIUM names another build. */
const CHROMIUM = process.env.PATHGUARD_CHROMIUM ?? '/usr/bin/chromium';
const IN_CI = !!process.env.CI;
const available = existsSync(CHROMIUM);
if (!available && !IN_CI) {
  console.warn(
    `browser test skipped: no Chromium at ${CHROMIUM} (install Debian's chromium or set PATHGUARD_CHROMIUM); in CI it runs`,
  );
}
const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;

const PLANTED = [
  '<script>window.__pwned=1</script>',
  '"><svg onload=window.__pwned=2>',
  'javascript:window.__pwned=3',
] as const;

// Types of the few DOM members read in the page: the project's tsconfig has no DOM library.
interface El {
  hidden: boolean;
  innerText: string;
  textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(sel: string): El | null;
  getBoundingClientRect(): { width: number; height: number };
}
interface Doc {
  querySelector(sel: string): El | null;
  body: El;
}

interface Loaded {
  page: Page;
  consoleErrors: string[];
  requests: string[];
}

describe.skipIf(!available && !IN_CI)('the evidence report in headless Chromium', () => {
  let browser: Browser;
  let lab: LabResult;
  let tmp: string;
  let loaded: Loaded;

  /** Opens a report as a page with every request routed (and refused) and counted. */
  async function open(html: string): Promise<Loaded> {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const consoleErrors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.on('request', (r) => requests.push(r.url()));
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load' });
    return { page, consoleErrors, requests };
  }

  /** Whether each path drawing of the page decodes and paints something (drawn onto a canvas). */
  async function inkedDrawings(page: Page): Promise<boolean[]> {
    return page.$$eval('#paths defs image', async (images) => {
      const g = globalThis as unknown as {
        Image: new () => { src: string; width: number; height: number; decode(): Promise<void> };
        document: {
          createElement(t: 'canvas'): {
            width: number;
            height: number;
            getContext(c: '2d'): {
              drawImage(i: unknown, x: number, y: number): void;
              getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
            };
          };
        };
      };
      return Promise.all(
        images.map(async (el) => {
          const img = new g.Image();
          img.src = el.getAttribute('href') ?? '';
          try {
            await img.decode();
          } catch {
            return false;
          }
          const c = g.document.createElement('canvas');
          c.width = img.width;
          c.height = img.height;
          const ctx = c.getContext('2d');
          ctx.drawImage(img, 0, 0);
          const px = ctx.getImageData(0, 0, c.width, c.height).data;
          let ink = 0;
          for (let i = 3; i < px.length; i += 4) if (px[i]! > 0) ink++;
          return c.width > 0 && ink > (c.width * c.height) / 50;
        }),
      );
    });
  }

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'pathguard-browser-'));
    lab = await runLab(parseLabScenario(defaultScenario, 'default scenario'), { outDir: join(tmp, 'lab') });
    browser = await chromium.launch({ executablePath: CHROMIUM });
    loaded = await open(readFileSync(lab.files.report, 'utf8'));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('opens with no console error and no network request, its filter script allowed by the CSP hash', async () => {
    const { page } = loaded;
    // The script ran (it shows the filter controls) and filters path diagrams by verdict.
    await expect(page.locator('#filters').isVisible()).resolves.toBe(true);
    await page.selectOption('#filters [name=verdict]', 'left-path');
    const visible = await page.$$eval('#paths figure', (fs) =>
      fs.filter((f) => !(f as unknown as El).hidden).map((f) => f.getAttribute('data-verdict')),
    );
    const leftPath = lab.analysis.results.filter((r) => r.verdict.verdict === 'left-path').length;
    expect(leftPath).toBeGreaterThan(0);
    expect(visible).toEqual(Array.from({ length: leftPath }, () => 'left-path'));
    await page.selectOption('#filters [name=verdict]', '');
    expect(loaded.consoleErrors).toEqual([]);
    expect(loaded.requests).toEqual([]);
  });

  it('shows one matrix cell per (vantage, target, style) with the verdict of that probe', async () => {
    const cells = await loaded.page.$$eval('td.cell[data-vantage]', (tds) =>
      tds.map((td) => ({
        key: `${td.getAttribute('data-vantage')} ${td.getAttribute('data-bucket')} ${td.getAttribute('data-style')} ${td.getAttribute('data-method')}`,
        verdict: td.getAttribute('data-verdict'),
        // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a reader sees
        text: (td as unknown as El).innerText,
      })),
    );
    // A probe's method (GET, or an upload's PUT or POST) is part of its target when probes carry one.
    const expected = labJson(lab).verdicts.map((v) => ({
      key: `${v.vantage} ${v.bucket} ${v.style} ${(v as { method?: string }).method ?? ''}`,
      verdict: v.verdict,
    }));
    expect(
      cells.map((c) => ({ key: c.key, verdict: c.verdict })).sort((a, b) => a.key.localeCompare(b.key)),
    ).toEqual(expected.sort((a, b) => a.key.localeCompare(b.key)));
    // Colour never carries the meaning alone: each cell's text names its verdict.
    for (const c of cells) expect(c.text).toContain(c.verdict);
  });

  it('draws one path diagram per probe, showing the hop its verdict names', async () => {
    const figures = await loaded.page.$$eval('#paths figure', (fs) =>
      fs.map((f) => {
        const ref = f.querySelector('use')?.getAttribute('href') ?? '';
        const shape = (globalThis as unknown as { document: Doc }).document.querySelector(`${ref}[data-hop]`);
        const box = f.querySelector('svg')?.getBoundingClientRect();
        return {
          id: f.id,
          verdict: f.getAttribute('data-verdict'),
          hop: shape?.getAttribute('data-hop') ?? null,
          hopText: shape?.querySelector('title')?.textContent ?? '',
          drawing: decodeURIComponent(
            (shape?.querySelector('image')?.getAttribute('href') ?? '').replace(/^data:image\/svg\+xml,/, ''),
          ),
          drawn: !!box && box.width > 300 && box.height > 60,
          // Where the probe's own text landed, as fractions of the diagram: the record ids in
          // their column under the nodes, the DNS answer inside the DNS node (the second of five).
          placed: [
            ...(f as unknown as { querySelectorAll(s: string): El[] }).querySelectorAll('svg > text'),
          ].map((t) => {
            const r = (
              t as unknown as { getBoundingClientRect(): { x: number; y: number } }
            ).getBoundingClientRect();
            const b = f.querySelector('svg') as unknown as {
              getBoundingClientRect(): { x: number; y: number; width: number };
            };
            const o = b.getBoundingClientRect();
            return { id: !t.getAttribute('x'), x: (r.x - o.x) / o.width, y: (r.y - o.y) / o.width };
          }),
        };
      }),
    );
    const results = lab.analysis.results;
    expect(figures).toHaveLength(results.length);
    for (const r of results) {
      const f = figures.find((x) => x.id === `p-${r.probe.probeId}`);
      expect(f, r.probe.probeId).toBeDefined();
      expect(f!.verdict).toBe(r.verdict.verdict);
      expect(f!.hop).toBe(r.verdict.path ?? 'unknown');
      expect(f!.drawn).toBe(true);
      const ids = f!.placed.filter((p) => p.id);
      expect(ids.length).toBeGreaterThan(0);
      // 1000 units wide: ids from x 470, rows from y 109 (baseline) under nodes 80 high.
      for (const p of ids) expect(p.x).toBeGreaterThan(0.46);
      for (const p of ids) expect(p.y).toBeGreaterThan(0.085);
      expect(ids.map((p) => p.y)).toEqual([...ids.map((p) => p.y)].sort((a, b) => a - b));
      const dns = f!.placed.filter((p) => !p.id);
      for (const p of dns) expect([p.x > 0.2 && p.x < 0.4, p.y > 0.02 && p.y < 0.08]).toEqual([true, true]);
    }
    // A left-path hop names its gateway, in the drawing and in its text: the NAT gateway and its
    // Elastic IP for the VPC accelerate probe.
    const nat = figures.find((f) => f.hop === 'nat-gateway');
    expect(nat?.hopText).toContain('NAT gateway');
    expect(nat?.hopText).toContain('198.51.100.7');
    expect(nat?.drawing).toMatch(/data-hop="nat-gateway">.*NAT gateway.*EIP 198\.51\.100\.7/);
    // Every drawing is an image Chromium decodes and paints: ink on at least 2% of its pixels.
    expect(await inkedDrawings(loaded.page)).toEqual(
      Array.from({ length: new Set(figures.map((f) => f.drawing)).size }, () => true),
    );
    mkdirSync(ARTIFACTS, { recursive: true });
    await loaded.page.screenshot({ path: join(ARTIFACTS, 'lab-report.png'), fullPage: true });
  });

  it('prints to PDF on A4 and on Letter', async () => {
    for (const format of ['A4', 'Letter'] as const) {
      const pdf = await loaded.page.pdf({ format, printBackground: true });
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(pdf.length).toBeGreaterThan(10_000);
    }
  });

  it('shows planted <script>, "><svg onload=…> and javascript: from keys and user agents as text, never run', async () => {
    // The lab's folder, with a bundle whose key, user agent, Host and vantage an attacker chose,
    // and a real-traffic group of the same.
    const dir = join(tmp, 'planted');
    mkdirSync(join(dir, 'evidence'), { recursive: true });
    const [first] = lab.analysis.bundlesWritten;
    const bundle = JSON.parse(readFileSync(join(lab.files.bundles, first!.split('/').pop()!), 'utf8'));
    PLANTED.forEach((p, i) => {
      const b = structuredClone(bundle);
      b.probe.probeId = `${b.probe.probeId.slice(0, -1)}${i}`;
      b.probe.key = `pathguard/probes/${p}`;
      b.probe.vantage.id = p;
      for (const e of b.evidence) {
        if (e.source !== 's3-access') continue;
        e.record.userAgent = p;
        e.record.key = p;
        e.record.hostHeader = p;
      }
      b.observations[0].host = p;
      writeFileSync(join(dir, 'evidence', `${i}.json`), JSON.stringify(b));
    });
    writeFileSync(
      join(dir, 'analysis.json'),
      JSON.stringify({
        schemaVersion: 1,
        runId: 'x',
        now: lab.analyzedAt,
        drift: [
          { code: 'ROUTE', severity: 'warning', message: PLANTED[1], resource: PLANTED[2], fix: PLANTED[0] },
        ],
        realTraffic: {
          presignedRequests: 3,
          byPath: { public: 3 },
          nonPrivateRequests: 3,
          nonPrivate: PLANTED.map((p) => ({
            remoteIp: '198.51.100.9',
            hostHeader: p,
            userAgent: p,
            path: 'public',
            reason: p,
            count: 1,
            firstSeen: null,
            lastSeen: null,
            buckets: ['b'],
            sampleKeys: [p],
          })),
          droppedGroupRequests: 0,
          window: { from: null, to: null },
        },
      }),
    );
    const page = await open(await analysisReportHtml(new FolderReader(dir), { generatedAt: new Date() }));
    expect(
      await page.page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned),
    ).toBeUndefined();
    const text = await page.page.evaluate(
      // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a reader sees
      () => (globalThis as unknown as { document: Doc }).document.body.innerText,
    );
    for (const p of PLANTED) expect(text).toContain(p);
    // No element, attribute or link came from the planted strings.
    expect(await page.page.$$eval('[onload], [onerror]', (x) => x.length)).toBe(0);
    const links = await page.page.$$eval('a[href]', (as) => as.map((a) => a.getAttribute('href')!));
    expect(links.every((h) => h.startsWith('#'))).toBe(true);
    expect(await page.page.$$eval('script', (s) => s.length)).toBe(1);
    // The drawings holding the planted strings are well-formed images that paint.
    const inked = await inkedDrawings(page.page);
    expect(inked.length).toBeGreaterThan(0);
    expect(inked.every(Boolean)).toBe(true);
    expect(page.consoleErrors).toEqual([]);
    expect(page.requests).toEqual([]);
  });
});
