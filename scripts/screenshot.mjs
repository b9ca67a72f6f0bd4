// `npm run screenshot`: regenerates docs/report.png, the README's picture of the default lab's
// evidence report: runs the lab (the built CLI), opens its report.html in Debian's headless
// Chromium through playwright-core and captures the top of the page (summary, matrix, timeline,
// the first path diagrams). PATHGUARD_CHROMIUM names another Chromium binary.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'docs', 'report.png');
const dir = mkdtempSync(join(tmpdir(), 'pathguard-screenshot-'));
try {
  const doc = JSON.parse(
    execFileSync(
      process.execPath,
      [join(root, 'bin', 'pathguard.mjs'), 'lab', '--json', '--out', join(dir, 'lab')],
      {
        encoding: 'utf8',
      },
    ),
  );
  const browser = await chromium.launch({
    executablePath: process.env.PATHGUARD_CHROMIUM ?? '/usr/bin/chromium',
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 1700 }, deviceScaleFactor: 1 });
    await page.route('**/*', (route) => route.abort());
    await page.setContent(readFileSync(doc.report, 'utf8'), { waitUntil: 'load' });
    await page.screenshot({ path: out, clip: { x: 0, y: 0, width: 1100, height: 1700 } });
  } finally {
    await browser.close();
  }
  console.log(out);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
