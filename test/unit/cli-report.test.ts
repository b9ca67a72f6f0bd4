import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { reportCommand } from '../../functions/cli/commands/report.js';
import { FolderReader, loadReportInput } from '../../functions/lib/report-input.js';
import { makeBundle } from './report-fixtures.js';
import { runCommand } from './run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'pathguard-report-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

/** A results-bucket export: dated bundle folders, the latest environment, a real-traffic report, the alert state. */
function exportFolder(): string {
  const dir = join(tmp, `export-${++n}`);
  mkdirSync(join(dir, 'evidence/2026/12/03'), { recursive: true });
  mkdirSync(join(dir, 'evidence/2026/12/04'), { recursive: true });
  mkdirSync(join(dir, 'reports/real-traffic/2026/12/03'), { recursive: true });
  mkdirSync(join(dir, 'state'), { recursive: true });
  const a = makeBundle({ probeId: 'A1', createdAt: '2026-12-03T10:00:00.000Z' });
  const b = makeBundle({ probeId: 'B1', createdAt: '2026-12-04T10:00:00.000Z', verdict: 'private' });
  writeFileSync(join(dir, 'evidence/2026/12/03/A1.json'), JSON.stringify(a));
  writeFileSync(join(dir, 'evidence/2026/12/04/B1.json'), JSON.stringify(b));
  writeFileSync(join(dir, 'evidence/2026/12/04/broken.json'), '{"schemaVersion": 9}');
  writeFileSync(
    join(dir, 'reports/real-traffic/2026/12/03/analyze-1.json'),
    JSON.stringify({
      schemaVersion: 1,
      presignedRequests: 5,
      byPath: { public: 2, 'gateway-endpoint': 3 },
      nonPrivateRequests: 2,
      nonPrivate: [
        {
          remoteIp: '198.51.100.9',
          hostHeader: 'data.s3.amazonaws.com',
          userAgent: '<script>alert(1)</script>',
          path: 'public',
          reason: 'ACCESS_PUBLIC_ADDRESS: public',
          count: 2,
          firstSeen: '2026-12-03T09:00:00Z',
          lastSeen: '2026-12-03T09:05:00Z',
          buckets: ['data'],
          sampleKeys: ['a"><svg onload=alert(1)>'],
        },
      ],
      droppedGroupRequests: 0,
      window: { from: '2026-12-03T09:00:00Z', to: '2026-12-03T09:05:00Z' },
    }),
  );
  writeFileSync(
    join(dir, 'state/alerts.json'),
    JSON.stringify({
      schemaVersion: 1,
      open: {
        'drift|ENDPOINT_ROUTE_REMOVED|rtb-0c3c3c3c3c3c3c3c3': {
          kind: 'posture-drift',
          severity: 'critical',
          openedAt: '2026-12-03T09:00:00Z',
          lastSentAt: '2026-12-03T09:00:00Z',
          sentCount: 1,
          probeId: null,
          detail: 'the S3 gateway endpoint route left rtb-0c3c3c3c3c3c3c3c3',
        },
      },
    }),
  );
  return dir;
}

const run = (values: Record<string, string>) => runCommand(reportCommand, values);

describe('reading an analysis folder', () => {
  it('reads a results-bucket export: dated bundles with the digest of their bytes, real traffic, open drift; a foreign document is named, not fatal', async () => {
    const dir = exportFolder();
    const input = await loadReportInput(new FolderReader(dir), {
      generatedAt: new Date('2026-12-05T00:00:00Z'),
    });
    expect(input.bundles.map((b) => b.key)).toEqual([
      'evidence/2026/12/03/A1.json',
      'evidence/2026/12/04/B1.json',
    ]);
    const bytes = readFileSync(join(dir, 'evidence/2026/12/03/A1.json'));
    expect(input.bundles[0]!.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(input.notes).toEqual([
      'evidence/2026/12/04/broken.json: not an evidence bundle of this version; left out',
    ]);
    expect(input.realTraffic).toHaveLength(1);
    expect(input.drift).toEqual([
      {
        code: 'ENDPOINT_ROUTE_REMOVED',
        severity: 'critical',
        message: 'the S3 gateway endpoint route left rtb-0c3c3c3c3c3c3c3c3',
        resource: 'rtb-0c3c3c3c3c3c3c3c3',
      },
    ]);
    expect(input.environment).toBeNull();
  });
});

describe('pathguard report', () => {
  it('writes DIR/report.html by default and prints its path; --since/--until keep the period', async () => {
    const dir = exportFolder();
    const r = await run({ in: dir, since: '2026-12-04T00:00:00Z' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${join(dir, 'report.html')}\n`);
    const page = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(page.match(/<figure id="p-/g)).toHaveLength(1);
    expect(page).toContain('id="p-B1"');
    expect(page).toContain('ENDPOINT_ROUTE_REMOVED');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('broken.json: not an evidence bundle');
    const out = join(tmp, 'elsewhere.html');
    expect((await run({ in: dir, out, until: '2026-12-03T23:59:59Z' })).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('id="p-A1"');
  });

  it('writes its evidence appendix as sha256sum -c input per folder: GNU sha256sum checks the stored bundles, and fails on a changed one', async () => {
    const dir = exportFolder();
    expect((await run({ in: dir })).code).toBe(0);
    const page = readFileSync(join(dir, 'report.html'), 'utf8');
    const blocks = [...page.matchAll(/<h3 class="mono">([^<]+)<\/h3><pre class="sums">([^<]*)<\/pre>/g)].map(
      (m) => ({ folder: m[1]!, lines: m[2]! }),
    );
    expect(blocks.map((b) => b.folder)).toEqual(['evidence/2026/12/03/', 'evidence/2026/12/04/']);
    const check = (folder: string, lines: string) => {
      const sums = join(tmp, `sums-${++n}`);
      writeFileSync(sums, lines);
      return execFileSync('sha256sum', ['--check', '--strict', sums], {
        cwd: join(dir, folder),
        encoding: 'utf8',
      });
    };
    for (const b of blocks) expect(check(b.folder, b.lines)).toMatch(/^[AB]1\.json: OK\n$/);
    appendFileSync(join(dir, 'evidence/2026/12/03/A1.json'), ' ');
    expect(() => check(blocks[0]!.folder, blocks[0]!.lines)).toThrow(/checksum did NOT match/);
  });

  it('refuses a missing folder (exit 1), bad times and a reversed period (exit 2)', async () => {
    await expect(run({ in: join(tmp, 'nope') })).rejects.toMatchObject({
      code: 'INPUT_UNREADABLE',
      exitCode: 1,
    });
    await expect(run({})).rejects.toMatchObject({ code: 'USAGE', exitCode: 2 });
    await expect(run({ in: tmp, since: 'yesterday' })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(
      run({ in: tmp, since: '2026-12-04T00:00:00Z', until: '2026-12-03T00:00:00Z' }),
    ).rejects.toMatchObject({
      code: 'USAGE',
    });
  });
});
