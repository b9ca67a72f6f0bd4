import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runOnce } from '../../functions/runner/onprem.js';
import { allowedS3Hosts, checkOrderUrl, type Order, validateOrder } from '../../shared/probes/orders.js';
import { config } from './loop-fixtures.js';

const SIG = 'X-Amz-Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const body = Buffer.alloc(64, 9);
const sha = createHash('sha256').update(body).digest('hex');
const ids = ['01JDQ7ZT0000000000000000AA', '01JDQ7ZT0000000000000000AB'];

let server: http.Server;
let base = '';
let order: Order;
let uploads: Record<string, unknown> = {};
let failPutsLeft = 0;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && url.pathname === '/orders/onprem-dc1/latest.json') {
      res.end(JSON.stringify(order));
    } else if (req.method === 'GET' && url.pathname.startsWith('/probes/')) {
      res.setHeader('x-amz-request-id', 'REQ00000000000001');
      res.end(body);
    } else if (req.method === 'PUT' && url.pathname.startsWith('/observations/')) {
      let data = '';
      req.on('data', (c) => {
        data += c;
      });
      req.on('end', () => {
        if (failPutsLeft-- > 0) {
          res.statusCode = 503;
          res.end('<Error><Code>SlowDown</Code></Error>');
          return;
        }
        uploads[url.pathname] = JSON.parse(data);
        res.end();
      });
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));
beforeEach(() => {
  uploads = {};
  failPutsLeft = 0;
  order = {
    schemaVersion: 1,
    runnerId: 'onprem-dc1',
    runId: 'run-20261125T1000',
    issuedAt: new Date().toISOString(),
    notAfter: new Date(Date.now() + 600_000).toISOString(),
    probes: ids.map((probeId) => ({
      probeId,
      url: `http://${base}/probes/${probeId}.bin?${SIG}`,
      expectedSha256: sha,
      reportUrl: `http://${base}/observations/${probeId}.json?${SIG}`,
    })),
  };
});

const runnerCfg = () => ({
  runnerId: 'onprem-dc1',
  orderUrl: `http://${base}/orders/onprem-dc1/latest.json`,
  allowedHosts: [base],
  concurrency: 2,
  timeoutMs: 5000,
  allowHttp: true,
});
const noSleep = async () => {};

describe('order validation (SSRF guard)', () => {
  const allowed = ['example-data-bucket.s3.us-east-1.amazonaws.com'];
  it('accepts only https URLs on the exact allowed hosts', () => {
    expect(
      checkOrderUrl(`https://example-data-bucket.s3.us-east-1.amazonaws.com/k?${SIG}`, {
        allowedHosts: allowed,
      }),
    ).toBeNull();
    expect(checkOrderUrl('https://evil.example.com/k', { allowedHosts: allowed })).toMatch(
      /not an allowed S3 endpoint host/,
    );
    expect(
      checkOrderUrl('https://example-data-bucket.s3.us-east-1.amazonaws.com.evil.example/k', {
        allowedHosts: allowed,
      }),
    ).toMatch(/not an allowed/);
    expect(
      checkOrderUrl('http://example-data-bucket.s3.us-east-1.amazonaws.com/k', { allowedHosts: allowed }),
    ).toMatch(/scheme http/);
    expect(
      checkOrderUrl('https://169.254.169.254/latest/meta-data/', { allowedHosts: ['169.254.169.254'] }),
    ).toMatch(/IP address/);
    expect(
      checkOrderUrl('https://user:pw@example-data-bucket.s3.us-east-1.amazonaws.com/k', {
        allowedHosts: allowed,
      }),
    ).toMatch(/user info/);
    expect(
      checkOrderUrl('https://example-data-bucket.s3.us-east-1.amazonaws.com:8443/k', {
        allowedHosts: allowed,
      }),
    ).toMatch(/not an allowed/);
  });

  it('derives the allowed hosts from the config styles', () => {
    const hosts = allowedS3Hosts(
      config({
        targets: [
          {
            bucket: 'example-data-bucket',
            region: 'us-east-1',
            styles: ['regional', 'global', 'accelerate'],
          },
        ],
      }),
    );
    expect(hosts).toEqual(
      expect.arrayContaining([
        'example-data-bucket.s3.us-east-1.amazonaws.com',
        'example-data-bucket.s3.amazonaws.com',
        'example-data-bucket.s3-accelerate.amazonaws.com',
        'example-pathguard-results.s3.us-east-1.amazonaws.com',
      ]),
    );
  });

  it('refuses stale orders and orders for another runner, with redacted messages', () => {
    const stale = { ...order, notAfter: '2020-01-01T00:00:00.000Z' };
    const r = validateOrder(stale, {
      now: new Date(),
      runnerId: 'onprem-dc1',
      allowedHosts: [base],
      allowHttp: true,
    });
    expect(!r.ok && r.error.code).toBe('ORDER_STALE');
    const w = validateOrder(order, {
      now: new Date(),
      runnerId: 'onprem-dc2',
      allowedHosts: [base],
      allowHttp: true,
    });
    expect(!w.ok && w.error.code).toBe('ORDER_WRONG_RUNNER');
    const t = validateOrder(
      { ...order, probes: [{ ...order.probes[0]!, url: `https://attacker.example/x?${SIG}` }] },
      { now: new Date(), runnerId: 'onprem-dc1', allowedHosts: [base] },
    );
    expect(!t.ok && t.error.code).toBe('ORDER_HOST_NOT_ALLOWED');
    expect(!t.ok && t.error.message).not.toContain('0123456789abcdef');
  });
});

describe('on-prem runner over real HTTP on loopback', () => {
  it('fetches each probe and uploads each observation through its PUT URL', async () => {
    const lines: string[] = [];
    const r = await runOnce(runnerCfg(), { log: (l) => lines.push(l), sleep: noSleep });
    expect(r.ok).toBe(true);
    expect(r.probes.map((p) => [p.httpStatus, p.uploaded])).toEqual([
      [200, true],
      [200, true],
    ]);
    const obs = uploads[`/observations/${ids[0]}.json`] as {
      bodyMatches: boolean;
      vantageKind: string;
      urlRedacted: string;
    };
    expect(obs).toMatchObject({ bodyMatches: true, vantageKind: 'onprem' });
    expect(JSON.stringify(uploads)).not.toContain('0123456789abcdef');
    expect(lines.join('\n')).not.toContain('0123456789abcdef');
  });

  it('retries a report upload on 503 and succeeds', async () => {
    failPutsLeft = 2;
    const r = await runOnce({ ...runnerCfg(), concurrency: 1 }, { sleep: noSleep });
    expect(r.ok).toBe(true);
    expect(Object.keys(uploads)).toHaveLength(2);
  });

  it('refuses a tampered order and fetches nothing', async () => {
    order.probes[1]!.url = `http://127.0.0.2:9/${SIG}`;
    await expect(runOnce(runnerCfg(), { sleep: noSleep })).rejects.toMatchObject({
      code: 'ORDER_HOST_NOT_ALLOWED',
    });
    expect(uploads).toEqual({});
  });

  it('ships as one file that runs with plain Node and no node_modules', () => {
    execFileSync(process.execPath, ['scripts/build.mjs']);
    const dir = mkdtempSync(join(tmpdir(), 'pg-runner-'));
    try {
      copyFileSync('dist/pathguard-runner.mjs', join(dir, 'pathguard-runner.mjs'));
      const help = spawnSync(process.execPath, [join(dir, 'pathguard-runner.mjs'), '--help'], {
        cwd: dir,
        encoding: 'utf8',
      });
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(/--config runner\.json/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
