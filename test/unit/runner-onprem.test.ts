import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LAB_S3_CREDENTIAL, type LabS3, startLabS3 } from '../../functions/lab/s3/index.js';
import { refuseSpecialAddress } from '../../functions/runner/fetch.js';
import { httpRequest, parseRunnerConfig, type RunnerConfig, runOnce } from '../../functions/runner/onprem.js';
import type { Order } from '../../shared/probes/orders.js';
import { runCli } from './run-cli.js';

// Everything here talks only to an HTTP server on 127.0.0.1 standing in for S3. The URLs carry a
// SigV4 query string shaped like the SDK's (credentials from the AWS documentation examples), so
// the tests can check that no output ever shows the secret parts.
const SECRET_SIG = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const Q = `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261125%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261125T100000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=${SECRET_SIG}`;
const leaks = (text: string) => text.includes(SECRET_SIG) || text.includes('AKIAIOSFODNN7EXAMPLE');
const body = Buffer.alloc(64, 9);
const sha = createHash('sha256').update(body).digest('hex');
/** The buckets the order's URLs may address (runner.json `probeBuckets`, `resultsBucket`). */
const SCOPE = { probeBuckets: ['example-data-bucket'], resultsBucket: 'example-pathguard-results' };
const ids = ['01JDQ7ZT0000000000000000AA', '01JDQ7ZT0000000000000000AB', '01JDQ7ZT0000000000000000AC'];

let server: http.Server;
let base = '';
let order: Order;
let orderBody: string | null;
let uploads: Record<string, { obs: unknown; contentType: string | undefined }>;
/**
 * Per request kind, how the next requests fail: a status code, 'reset' (socket destroyed) or
 * 'trickle' (a 200 whose body never ends: one byte every 200 ms, so the socket is never idle).
 */
type Failure = number | 'reset' | 'trickle';
let failures: { order: Failure[]; put: Failure[] };
const trickles: ReturnType<typeof setInterval>[] = [];
let hits: { order: number; probe: number; put: number };
let inFlight = 0;
let maxInFlight = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const failWith = (f: Failure | undefined) => {
      if (f === 'reset') {
        req.socket.destroy();
        return true;
      }
      if (f === 'trickle') {
        res.writeHead(200, { 'content-type': 'application/json' });
        const t = setInterval(() => res.write(' '), 200);
        trickles.push(t);
        res.on('close', () => clearInterval(t));
        return true;
      }
      if (f !== undefined) {
        res.statusCode = f;
        res.setHeader('content-type', 'application/xml');
        res.end('<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
        return true;
      }
      return false;
    };
    if (req.method === 'GET' && url.pathname === '/orders/onprem-dc1/latest.json') {
      hits.order++;
      if (failWith(failures.order.shift())) return;
      res.setHeader('content-type', 'application/json');
      res.end(orderBody ?? JSON.stringify(order));
    } else if (req.method === 'GET' && url.pathname.startsWith('/example-data-bucket/probes/')) {
      hits.probe++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // Hold the response briefly so parallel fetches overlap.
      setTimeout(() => {
        inFlight--;
        res.setHeader('x-amz-request-id', 'REQ00000000000001');
        res.end(url.pathname.includes('AC') ? Buffer.alloc(64, 1) : body);
      }, 20);
    } else if (req.method === 'PUT' && url.pathname.startsWith('/example-pathguard-results/observations/')) {
      hits.put++;
      let data = '';
      req.on('data', (c) => {
        data += c;
      });
      req.on('end', () => {
        if (failWith(failures.put.shift())) return;
        uploads[url.pathname] = { obs: JSON.parse(data), contentType: req.headers['content-type'] };
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
afterAll(() => {
  for (const t of trickles) clearInterval(t);
  server.closeAllConnections();
  return new Promise((r) => server.close(r));
});
beforeEach(() => {
  uploads = {};
  failures = { order: [], put: [] };
  hits = { order: 0, probe: 0, put: 0 };
  maxInFlight = 0;
  orderBody = null;
  order = {
    schemaVersion: 1,
    runnerId: 'onprem-dc1',
    runId: 'run-20261125T1000',
    issuedAt: new Date().toISOString(),
    notAfter: new Date(Date.now() + 600_000).toISOString(),
    probes: ids.map((probeId) => ({
      probeId,
      url: `http://${base}/example-data-bucket/probes/${probeId}.bin?${Q}`,
      expectedSha256: sha,
      reportUrl: `http://${base}/example-pathguard-results/observations/run-20261125T1000/${probeId}.json?${Q}`,
    })),
  };
});

const runnerCfg = (over: Partial<RunnerConfig> = {}): RunnerConfig =>
  parseRunnerConfig({
    runnerId: 'onprem-dc1',
    orderUrl: `http://${base}/orders/onprem-dc1/latest.json?${Q}`,
    allowedHosts: [base],
    ...SCOPE,
    concurrency: 2,
    timeoutMs: 5000,
    allowHttp: true,
    ...over,
  });
const sleeps: number[] = [];
const noSleep = async (ms: number) => {
  sleeps.push(ms);
};

describe('runner.json', () => {
  it('applies defaults and requires https for the order unless the lab switch is on', () => {
    const c = parseRunnerConfig({
      runnerId: 'onprem-dc1',
      orderUrl: 'https://example-pathguard-results.s3.us-east-1.amazonaws.com/orders/onprem-dc1/latest.json',
      allowedHosts: ['example-data-bucket.s3.us-east-1.amazonaws.com'],
      ...SCOPE,
    });
    expect(c).toMatchObject({ concurrency: 4, timeoutMs: 15_000, allowHttp: false });
    expect(() =>
      parseRunnerConfig({
        runnerId: 'onprem-dc1',
        orderUrl: 'http://example.com/o.json',
        allowedHosts: ['a'],
        ...SCOPE,
      }),
    ).toThrow(/orderUrl: expected an https URL/);
    expect(() =>
      parseRunnerConfig({
        runnerId: 'onprem-dc1',
        orderUrl: 'https://example.com/o.json',
        allowedHosts: ['https://example.com/'],
        ...SCOPE,
      }),
    ).toThrow(/allowedHosts\.0: expected host or host:port/);
    expect(() =>
      parseRunnerConfig({
        runnerId: 'onprem-dc1',
        orderUrl: 'https://e.com/o',
        allowedHosts: ['a'],
      }),
    ).toThrow(/probeBuckets: .*expected array.*\(and 1 more\)/);
    expect(() =>
      parseRunnerConfig({
        runnerId: 'onprem-dc1',
        orderUrl: 'https://e.com/o',
        allowedHosts: ['a'],
        ...SCOPE,
        probeBuckets: ['Not_A_Bucket'],
      }),
    ).toThrow(/probeBuckets\.0: expected an S3 bucket name/);
    expect(() =>
      parseRunnerConfig({
        runnerId: 'onprem-dc1',
        orderUrl: 'https://e.com/o',
        allowedHosts: ['a'],
        ...SCOPE,
        extra: 1,
      }),
    ).toThrow(/Unrecognized key/);
  });
});

describe('on-prem runner over real HTTP on loopback', () => {
  it('fetches each probe and uploads each observation through its PUT URL', async () => {
    const lines: string[] = [];
    const r = await runOnce(runnerCfg(), { log: (l) => lines.push(l), sleep: noSleep });
    expect(r.ok).toBe(true);
    expect(r.runId).toBe('run-20261125T1000');
    expect(r.probes.map((p) => [p.probeId, p.httpStatus, p.uploaded])).toEqual(
      ids.map((id) => [id, 200, true]),
    );
    const up = uploads[`/example-pathguard-results/observations/run-20261125T1000/${ids[0]}.json`];
    expect(up?.contentType).toBe('application/json');
    expect(up?.obs).toMatchObject({
      probeId: ids[0],
      runnerId: 'onprem-dc1',
      vantageKind: 'onprem',
      httpStatus: 200,
      bodyMatches: true,
      remoteAddress: '127.0.0.1',
      requestId: 'REQ00000000000001',
    });
    // The third probe object has other bytes: the observation says so, and is still reported.
    expect(
      uploads[`/example-pathguard-results/observations/run-20261125T1000/${ids[2]}.json`]?.obs,
    ).toMatchObject({
      bodyMatches: false,
    });
    expect(lines.filter((l) => l.startsWith('probe '))).toHaveLength(3);
    expect(leaks(JSON.stringify(uploads))).toBe(false);
    expect(leaks(lines.join('\n'))).toBe(false);
  });

  it('keeps at most `concurrency` probe fetches in flight', async () => {
    const r = await runOnce(runnerCfg({ concurrency: 2 }), { sleep: noSleep });
    expect(r.ok).toBe(true);
    expect(hits.probe).toBe(3);
    expect(maxInFlight).toBeLessThanOrEqual(2);
    const one = await runOnce(runnerCfg({ concurrency: 1 }), { sleep: noSleep });
    expect(one.ok).toBe(true);
  });

  it('retries the order and the reports on 5xx and dropped connections, with growing backoff', async () => {
    failures.order = [503];
    failures.put = [503, 'reset', 500];
    sleeps.length = 0;
    const r = await runOnce(runnerCfg({ concurrency: 1 }), { sleep: noSleep });
    expect(r.ok).toBe(true);
    expect(hits.order).toBe(2);
    expect(hits.put).toBe(3 + 3);
    expect(Object.keys(uploads)).toHaveLength(3);
    expect(sleeps).toHaveLength(4);
    // Full jitter under a doubling cap: the third retry of one upload may wait up to 1 s.
    for (const ms of sleeps) expect(ms).toBeLessThan(1000);
  });

  it('httpRequest ends a response that trickles past its deadline with ETIMEDOUT', async () => {
    failures.order = ['trickle'];
    const t0 = performance.now();
    const err = await httpRequest(`http://${base}/orders/onprem-dc1/latest.json`, {
      method: 'GET',
      timeoutMs: 700,
    }).catch((e: NodeJS.ErrnoException) => e);
    const elapsed = performance.now() - t0;
    expect(err).toMatchObject({ code: 'ETIMEDOUT', message: 'no complete response within 700 ms' });
    expect(elapsed).toBeGreaterThanOrEqual(690);
    expect(elapsed).toBeLessThan(1500);
    // A response that completes in time is unaffected.
    const ok = await httpRequest(`http://${base}/orders/onprem-dc1/latest.json`, {
      method: 'GET',
      timeoutMs: 700,
    });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ runnerId: 'onprem-dc1' });
  });

  it('gives the order read and each report upload one deadline, so a trickling server cannot stall it', async () => {
    // Each trickled response keeps the socket busy (a byte every 200 ms, under the 1 s idle
    // timeout): only the overall deadline ends it, and the retry then succeeds.
    failures.order = ['trickle'];
    failures.put = ['trickle'];
    const t0 = performance.now();
    const r = await runOnce(runnerCfg({ concurrency: 1, timeoutMs: 1000 }), { sleep: noSleep });
    const elapsed = performance.now() - t0;
    expect(r.ok).toBe(true);
    expect(hits.order).toBe(2);
    expect(hits.put).toBe(3 + 1);
    expect(elapsed).toBeGreaterThanOrEqual(2 * 1000 - 50);
    expect(elapsed).toBeLessThan(4000);
  });

  it('gives up on a report after four tries and does not retry a 4xx; the run is then not ok', async () => {
    failures.put = [503, 503, 503, 503, 403];
    const lines: string[] = [];
    const r = await runOnce(runnerCfg({ concurrency: 1 }), { log: (l) => lines.push(l), sleep: noSleep });
    expect(r.ok).toBe(false);
    expect(r.probes.map((p) => p.uploaded)).toEqual([false, false, true]);
    expect(hits.put).toBe(4 + 1 + 1);
    expect(lines.join('\n')).toMatch(/report upload failed: HTTP 503/);
    expect(lines.join('\n')).toMatch(/report upload failed: HTTP 403/);
    expect(leaks(lines.join('\n'))).toBe(false);
  });

  it('refuses a tampered order before fetching anything', async () => {
    // Still loopback, so even a broken guard could not send traffic off this machine.
    order.probes[1]!.url = `http://127.0.0.2:9/latest/meta-data/?${Q}`;
    const err = await runOnce(runnerCfg(), { sleep: noSleep }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'ORDER_HOST_NOT_ALLOWED' });
    expect(leaks((err as Error).message)).toBe(false);
    expect(hits.probe).toBe(0);
    expect(hits.put).toBe(0);
  });

  it('refuses an order whose URLs reach another bucket through an allowed path-style host', async () => {
    for (const tamper of [
      (o: Order) => {
        o.probes[0]!.reportUrl = `http://${base}/attacker-bucket/collect?${Q}`;
      },
      (o: Order) => {
        o.probes[1]!.url = `http://${base}/example-data-bucket/../attacker-bucket/k?${Q}`;
      },
      (o: Order) => {
        // Another probe's report key: a tampered order could overwrite that evidence.
        o.probes[0]!.reportUrl = o.probes[1]!.reportUrl;
      },
    ]) {
      const o: Order = JSON.parse(JSON.stringify(order));
      tamper(o);
      orderBody = JSON.stringify(o);
      const err = await runOnce(runnerCfg(), { sleep: noSleep }).catch((e: Error) => e);
      expect(err).toMatchObject({ code: 'ORDER_HOST_NOT_ALLOWED' });
      expect(leaks((err as Error).message)).toBe(false);
    }
    expect(hits.probe).toBe(0);
    expect(hits.put).toBe(0);
  });

  it('refuses a stale order, an order for another runner, and a document that is not JSON', async () => {
    order.notAfter = new Date(Date.now() - 1000).toISOString();
    order.issuedAt = new Date(Date.now() - 901_000).toISOString();
    await expect(runOnce(runnerCfg(), { sleep: noSleep })).rejects.toMatchObject({ code: 'ORDER_STALE' });
    await expect(runOnce(runnerCfg({ runnerId: 'onprem-dc2' }), { sleep: noSleep })).rejects.toMatchObject({
      code: 'ORDER_WRONG_RUNNER',
    });
    orderBody = '<Error><Code>AccessDenied</Code></Error>';
    await expect(runOnce(runnerCfg(), { sleep: noSleep })).rejects.toMatchObject({ code: 'ORDER_INVALID' });
    expect(hits.probe).toBe(0);
  });

  it('reports an unreachable order without its URL secrets', async () => {
    failures.order = [403];
    const err = await runOnce(runnerCfg(), { sleep: noSleep }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'ORDER_UNAVAILABLE' });
    expect((err as Error).message).toMatch(/HTTP 403/);
    expect(leaks((err as Error).message)).toBe(false);
    expect(hits.order).toBe(1); // a 403 is not retried
  });

  it('pathguard runner: a runId with line breaks and ANSI codes forges no line and reaches no terminal raw (issue 12 §2 regression)', async () => {
    const forged =
      'run-1\n2026-11-25T10:00:00.000Z onprem-dc1 run ok: 3/3 observations reported\u001b[2J\u0007';
    const dir = mkdtempSync(join(tmpdir(), 'pathguard-runner-cli-'));
    const file = join(dir, 'runner.json');
    writeFileSync(
      file,
      JSON.stringify({
        runnerId: 'onprem-dc1',
        orderUrl: `http://${base}/orders/onprem-dc1/latest.json?${Q}`,
        allowedHosts: [base],
        ...SCOPE,
        concurrency: 1,
        timeoutMs: 5000,
        allowHttp: true,
      }),
    );
    try {
      // A fresh order (the run's log lines quote it) and a stale one (the error quotes it).
      for (const stale of [false, true]) {
        order.runId = forged;
        for (const p of order.probes) {
          p.reportUrl = `http://${base}/example-pathguard-results/observations/${encodeURIComponent(forged)}/${p.probeId}.json?${Q}`;
        }
        if (stale) order.notAfter = new Date(Date.now() - 1000).toISOString();
        const { stdout: out, stderr: err } = await runCli(['runner', '--runner-config', file, '--once']);
        const text = out + err;
        // The run id was quoted somewhere (the premise), always on a line of its own making.
        expect(text).toContain('run-1\\n2026-11-25');
        expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
        for (const line of out.split('\n').filter(Boolean)) {
          expect(line).toMatch(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z onprem-dc1 /);
        }
        expect(out).not.toMatch(/\n2026-11-25T10:00:00\.000Z onprem-dc1 run ok/);
        expect(leaks(text)).toBe(false);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('DNS answers the runner will not connect to', () => {
  it('httpRequest checks the resolved address before connecting (order and reports)', async () => {
    // `localhost` resolves through the system resolver to loopback (this machine's hosts file).
    const port = base.split(':')[1];
    const url = `http://localhost:${port}/orders/onprem-dc1/latest.json`;
    const err = await httpRequest(url, {
      method: 'GET',
      timeoutMs: 2000,
      checkAddress: refuseSpecialAddress,
    }).catch((e: NodeJS.ErrnoException) => e);
    expect(err).toMatchObject({ code: 'EADDRNOTALLOWED' });
    expect((err as Error).message).toMatch(/127\.0\.0\.1 is a loopback/);
    expect(hits.order).toBe(0);
    // The same request with a policy that accepts the answer connects to it.
    const ok = await httpRequest(url, { method: 'GET', timeoutMs: 2000, checkAddress: () => null });
    expect(ok.status).toBe(200);
    expect(hits.order).toBe(1);
  });

  it('records ADDRESS_NOT_ALLOWED for an S3 host resolving to loopback or metadata, and still reports it', async () => {
    // Production settings (no allowHttp): https on the S3 hosts. The order and reports go through
    // an in-memory request; the probe fetch must stop at the check, before any connection.
    const S3HOST = 'example-data-bucket.s3.us-east-1.amazonaws.com';
    const RESULTS = 'example-pathguard-results.s3.us-east-1.amazonaws.com';
    const prodOrder: Order = {
      ...order,
      probes: order.probes.slice(0, 2).map((p) => ({
        ...p,
        url: `https://${S3HOST}/probes/${p.probeId}.bin?${Q}`,
        reportUrl: `https://${RESULTS}/observations/run-20261125T1000/${p.probeId}.json?${Q}`,
      })),
    };
    const reports: Record<
      string,
      { error: { code: string; message: string } | null; remoteAddress: string | null }
    > = {};
    const request = async (url: string, init: { method: 'GET' | 'PUT'; body?: string }) => {
      if (init.method === 'GET') return { status: 200, body: JSON.stringify(prodOrder) };
      reports[new URL(url).pathname] = JSON.parse(init.body ?? '{}');
      return { status: 200, body: '' };
    };
    let connects = 0;
    const answers = ['127.0.0.1', '169.254.169.254'];
    let i = 0;
    const r = await runOnce(
      parseRunnerConfig({
        runnerId: 'onprem-dc1',
        orderUrl: `https://${RESULTS}/orders/onprem-dc1/latest.json?${Q}`,
        allowedHosts: [S3HOST, RESULTS],
        ...SCOPE,
        concurrency: 1,
        timeoutMs: 2000,
      }),
      {
        sleep: noSleep,
        request,
        fetchOptions: {
          lookup: (_h, _o, cb) => cb(null, [{ address: answers[i++ % 2]!, family: 4 }]),
          dial: () => {
            connects++;
            throw new Error('must not connect');
          },
        },
      },
    );
    expect(r.ok).toBe(true);
    expect(connects).toBe(0);
    const seen = Object.values(reports);
    expect(seen).toHaveLength(2);
    for (const [n, obs] of seen.entries()) {
      expect(obs.error?.code).toBe('ADDRESS_NOT_ALLOWED');
      expect(obs.error?.message).toContain(answers[n]);
      expect(obs.remoteAddress).toBeNull();
    }
  });
});

describe("order read with SigV4 and this host's credentials (no presigned order URL)", () => {
  // The lab's S3 endpoint verifies header-signed requests like S3 (403 InvalidAccessKeyId,
  // SignatureDoesNotMatch); it listens on loopback only.
  let lab: LabS3;
  beforeAll(async () => {
    lab = await startLabS3({ buckets: [{ name: 'example-pathguard-results' }] });
  });
  afterAll(() => lab.close());
  const cfg = () =>
    runnerCfg({
      orderUrl: `http://127.0.0.1:${lab.port}/example-pathguard-results/orders/onprem-dc1/latest.json`,
      orderAuth: { kind: 'sigv4', region: 'us-east-1' },
    });
  beforeEach(() => {
    lab.putObject(
      'example-pathguard-results',
      'orders/onprem-dc1/latest.json',
      Buffer.from(JSON.stringify(order)),
    );
  });
  const env = {
    AWS_ACCESS_KEY_ID: LAB_S3_CREDENTIAL.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LAB_S3_CREDENTIAL.secretAccessKey,
  };

  it('signs the GetObject with the environment credentials', async () => {
    const r = await runOnce(cfg(), { sleep: noSleep, env });
    expect(r.ok).toBe(true);
    expect(Object.keys(uploads)).toHaveLength(3);
  });

  it('takes credentials from a credential_process command (the IAM Roles Anywhere helper contract)', async () => {
    const printCreds = `console.log(JSON.stringify({Version:1,AccessKeyId:${JSON.stringify(LAB_S3_CREDENTIAL.accessKeyId)},SecretAccessKey:${JSON.stringify(LAB_S3_CREDENTIAL.secretAccessKey)},Expiration:"2099-01-01T00:00:00Z"}))`;
    const r = await runOnce(
      {
        ...cfg(),
        orderAuth: {
          kind: 'sigv4',
          region: 'us-east-1',
          credentialProcess: [process.execPath, '-e', printCreds],
        },
      },
      { sleep: noSleep, env: {} },
    );
    expect(r.ok).toBe(true);
    const broken = runOnce(
      {
        ...cfg(),
        orderAuth: {
          kind: 'sigv4',
          region: 'us-east-1',
          credentialProcess: [process.execPath, '-e', 'console.log("{")'],
        },
      },
      { sleep: noSleep, env: {} },
    );
    await expect(broken).rejects.toMatchObject({ code: 'ORDER_CREDENTIALS' });
  });

  it('fails clearly without credentials or with a key S3 does not know, never printing the secret', async () => {
    await expect(runOnce(cfg(), { sleep: noSleep, env: {} })).rejects.toMatchObject({
      code: 'ORDER_CREDENTIALS',
    });
    const err = await runOnce(cfg(), {
      sleep: noSleep,
      env: { AWS_ACCESS_KEY_ID: 'AKIAWRONGWRONGWRONG0', AWS_SECRET_ACCESS_KEY: 'wrong-secret-value' },
    }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'ORDER_UNAVAILABLE' });
    expect((err as Error).message).toMatch(/HTTP 403/);
    expect((err as Error).message).not.toContain('wrong-secret-value');
    // The right key id with another secret: the signature itself is checked.
    await expect(
      runOnce(cfg(), {
        sleep: noSleep,
        env: {
          AWS_ACCESS_KEY_ID: LAB_S3_CREDENTIAL.accessKeyId,
          AWS_SECRET_ACCESS_KEY: 'wrong-secret-value',
        },
      }),
    ).rejects.toMatchObject({ code: 'ORDER_UNAVAILABLE' });
    expect(hits.probe).toBe(0);
  });
});

describe('the one-file runner', () => {
  let dir = '';
  let runnerFile = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pg-runner-'));
    runnerFile = join(dir, 'pathguard-runner.mjs');
    const mod = (await import(pathToFileURL(resolve('scripts/build-targets.mjs')).href)) as {
      targets: { name: string }[];
      buildTarget: (t: unknown, o: { define: Record<string, string>; outfile: string }) => Promise<number>;
    };
    const target = mod.targets.find((t) => t.name === 'runner');
    await mod.buildTarget(target, { define: { __PATHGUARD_VERSION__: '"0.0.0-test"' }, outfile: runnerFile });
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Asynchronous: the loopback server runs in this process and must keep answering.
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      const child = execFile(
        process.execPath,
        [runnerFile, ...args],
        { cwd: dir, timeout: 30_000 },
        (_e, o, e) => done({ code: child.exitCode, stdout: o, stderr: e }),
      );
    });
  const writeConfig = (over: Record<string, unknown> = {}) => {
    const file = join(dir, 'runner.json');
    writeFileSync(
      file,
      JSON.stringify({
        runnerId: 'onprem-dc1',
        orderUrl: `http://${base}/orders/onprem-dc1/latest.json?${Q}`,
        allowedHosts: [base],
        ...SCOPE,
        allowHttp: true,
        timeoutMs: 5000,
        ...over,
      }),
    );
    return file;
  };

  it('runs with plain Node from a folder with no node_modules and prints its usage', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(
      /^Usage: pathguard-runner\.mjs --runner-config runner\.json .* \| --allowed-hosts /,
    );
  });

  it('prints its release version, and ships with a checksum file sha256sum -c accepts', async () => {
    for (const flag of ['--version', '-v']) {
      const v = await run([flag]);
      expect(v.code).toBe(0);
      expect(v.stdout).toBe('0.0.0-test\n');
    }
    const sums = readFileSync(`${runnerFile}.sha256`, 'utf8');
    const hex = createHash('sha256').update(readFileSync(runnerFile)).digest('hex');
    expect(sums).toBe(`${hex}  pathguard-runner.mjs\n`);
    const check = (cwd: string) =>
      new Promise<{ code: number | null; out: string }>((done) => {
        const c = execFile('sha256sum', ['-c', 'pathguard-runner.mjs.sha256'], { cwd }, (_e, o, e) =>
          done({ code: c.exitCode, out: o + e }),
        );
      });
    const ok = await check(dir);
    expect(ok.out).toBe('pathguard-runner.mjs: OK\n');
    expect(ok.code).toBe(0);
    // A changed file fails the check.
    const copy = mkdtempSync(join(tmpdir(), 'pg-runner-copy-'));
    try {
      writeFileSync(join(copy, 'pathguard-runner.mjs'), `${readFileSync(runnerFile, 'utf8')}//\n`);
      writeFileSync(join(copy, 'pathguard-runner.mjs.sha256'), sums);
      const bad = await check(copy);
      expect(bad.code).toBe(1);
      expect(bad.out).toMatch(/pathguard-runner\.mjs: FAILED/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('refuses --config, its old name, with the new one in the message (it is the PathGuard config elsewhere)', async () => {
    const file = writeConfig();
    const r = await run(['--config', file, '--once']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `pathguard-runner: --config is now --runner-config (the runner's own file): run with --runner-config ${file}\n`,
    );
    expect(hits.order).toBe(0);
  });

  it('prints the allowed hosts for a PathGuard config', async () => {
    const r = await run(['--allowed-hosts', resolve('pathguard.config.example.json')]);
    expect(r.code).toBe(0);
    const hosts = JSON.parse(r.stdout) as string[];
    expect(hosts).toContain('example-data-bucket.s3.us-east-1.amazonaws.com');
    expect(hosts).toContain('example-pathguard-results.s3.us-east-1.amazonaws.com');
    const bad = await run(['--allowed-hosts', join(dir, 'missing.json')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/CONFIG_INVALID|cannot read/);
  });

  it('reports every observation and exits 0, with one redacted line per probe', async () => {
    const r = await run(['--runner-config', writeConfig(), '--once']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(Object.keys(uploads)).toHaveLength(3);
    const lines = r.stdout.trim().split('\n');
    expect(lines.filter((l) => / onprem-dc1 probe /.test(l))).toHaveLength(3);
    expect(lines.at(-1)).toMatch(/run run-20261125T1000: 3\/3 observations reported$/);
    expect(leaks(r.stdout)).toBe(false);
  });

  it('with --interval, runs pass after pass until SIGTERM, then exits with the last status', async () => {
    const child = spawn(
      process.execPath,
      [runnerFile, '--runner-config', writeConfig(), '--interval', '10'],
      {
        cwd: dir,
      },
    );
    let out = '';
    const firstPass = new Promise<void>((done) =>
      child.stdout.on('data', (c: Buffer) => {
        out += c;
        if (out.includes('observations reported')) done();
      }),
    );
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    await firstPass;
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Object.keys(uploads)).toHaveLength(3);
    expect(leaks(out)).toBe(false);
  });

  it('exits 1 with one clear line for a tampered order, and 2 for a bad runner.json', async () => {
    order.probes[0]!.reportUrl = `http://127.0.0.2:8080/collect?${Q}`;
    const r = await run(['--runner-config', writeConfig()]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/ORDER_HOST_NOT_ALLOWED/);
    expect(leaks(r.stdout + r.stderr)).toBe(false);
    expect(hits.probe).toBe(0);

    const bad = await run(['--runner-config', writeConfig({ concurrency: 0 })]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/concurrency/);
    const both = await run(['--runner-config', writeConfig(), '--once', '--interval', '60']);
    expect(both.code).toBe(2);
  });
});

describe('on-prem runner uploads (put, post) from its order, to the lab S3 endpoint', () => {
  it('uploads the bytes of the order through the PUT URL and the POST form, reports method and ETag, and refuses bytes that are not the named ones', async () => {
    const { PutObjectCommand, S3Client } = await import('@aws-sdk/client-s3');
    const { getSignedUrl } = await import('@aws-sdk/s3-request-presigner');
    const { createPresignedPost } = await import('@aws-sdk/s3-presigned-post');
    const s3 = await startLabS3({
      buckets: [
        {
          name: 'example-data-bucket',
          logging: { targetBucket: 'example-pathguard-results', targetPrefix: 'logs/' },
        },
        { name: 'example-pathguard-results' },
      ],
    });
    try {
      const client = new S3Client({
        region: 'us-east-1',
        endpoint: s3.endpoint,
        forcePathStyle: true,
        credentials: LAB_S3_CREDENTIAL,
      });
      const key = (id: string) => `pathguard/probes/2026/11/25/${id}.bin`;
      const bytes = (n: number) => Buffer.alloc(64, n);
      const digest = (b: Buffer) => createHash('sha256').update(b);
      const report = (id: string) =>
        getSignedUrl(
          client,
          new PutObjectCommand({
            Bucket: 'example-pathguard-results',
            Key: `observations/run-20261125T1000/${id}.json`,
          }),
          { expiresIn: 300 },
        );
      const putUrl = await getSignedUrl(
        client,
        new PutObjectCommand({
          Bucket: 'example-data-bucket',
          Key: key(ids[0]!),
          ContentLength: 64,
          ChecksumSHA256: digest(bytes(1)).digest('base64'),
        }),
        { expiresIn: 300, unhoistableHeaders: new Set(['x-amz-checksum-sha256']) },
      );
      const form = await createPresignedPost(client, {
        Bucket: 'example-data-bucket',
        Key: key(ids[1]!),
        Conditions: [['content-length-range', 64, 64]],
        Expires: 300,
      });
      const uploadOrder: Order = {
        ...order,
        probes: [
          {
            probeId: ids[0]!,
            method: 'put',
            url: putUrl,
            body: bytes(1).toString('base64'),
            expectedSha256: digest(bytes(1)).digest('hex'),
            reportUrl: await report(ids[0]!),
          },
          {
            probeId: ids[1]!,
            method: 'post',
            form: { url: form.url, fields: { ...form.fields } },
            body: bytes(2).toString('base64'),
            expectedSha256: digest(bytes(2)).digest('hex'),
            reportUrl: await report(ids[1]!),
          },
          {
            // A tampered order: bytes that are not the ones its digest names are never sent.
            probeId: ids[2]!,
            method: 'put',
            url: putUrl.replace(ids[0]!, ids[2]!),
            body: bytes(3).toString('base64'),
            expectedSha256: digest(bytes(4)).digest('hex'),
            reportUrl: await report(ids[2]!),
          },
        ],
      };
      orderBody = JSON.stringify(uploadOrder);
      const lines: string[] = [];
      const r = await runOnce(runnerCfg({ allowedHosts: [base, `127.0.0.1:${s3.port}`], concurrency: 1 }), {
        sleep: noSleep,
        log: (l) => lines.push(l),
      });
      expect(r.ok).toBe(true);
      expect(r.probes.map((p) => [p.httpStatus, p.error])).toEqual([
        [200, null],
        [204, null],
        [null, 'SHA_MISMATCH'],
      ]);
      expect(s3.getObject('example-data-bucket', key(ids[0]!))?.equals(bytes(1))).toBe(true);
      expect(s3.getObject('example-data-bucket', key(ids[1]!))?.equals(bytes(2))).toBe(true);
      expect(s3.listKeys('example-data-bucket')).toHaveLength(2);
      const obs = (id: string) =>
        JSON.parse(
          s3.getObject('example-pathguard-results', `observations/run-20261125T1000/${id}.json`)!.toString(),
        );
      expect(obs(ids[0]!)).toMatchObject({
        method: 'put',
        httpStatus: 200,
        etag: expect.stringMatching(/^"[0-9a-f]{32}"$/),
      });
      expect(obs(ids[1]!)).toMatchObject({
        method: 'post',
        httpStatus: 204,
        etag: expect.stringMatching(/^"[0-9a-f]{32}"$/),
      });
      expect(obs(ids[2]!)).toMatchObject({
        method: 'put',
        httpStatus: null,
        remoteAddress: null,
        error: { code: 'SHA_MISMATCH' },
      });
      // Reports and log lines hold no credential of the URL or the form.
      const out = [...lines, ...ids.map((id) => JSON.stringify(obs(id)))].join('\n');
      expect(out.includes(form.fields['X-Amz-Signature']!)).toBe(false);
      expect(out.includes(new URL(putUrl).searchParams.get('X-Amz-Signature')!)).toBe(false);
      expect(out.includes(LAB_S3_CREDENTIAL.accessKeyId)).toBe(false);
      client.destroy();
    } finally {
      await s3.close();
    }
  });
});
