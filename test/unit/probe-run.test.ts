import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SdkPresigner } from '../../functions/aws/presigner.js';
import { runProbes } from '../../functions/lib/probe-run.js';
import { PathGuardError } from '../../shared/errors.js';
import type { Presigner } from '../../shared/ports/index.js';
import type { Probe } from '../../shared/probes/types.js';
import { config } from './loop-fixtures.js';
import { MemoryStore } from './memory-store.js';

// A loopback stand-in for S3 that serves whatever probe objects were created.
const objects = new Map<string, Buffer>();
let server: http.Server;
let port = 0;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '').split('?')[0]!.slice(1));
    res.setHeader('x-amz-request-id', 'REQ0000000000001');
    const body = objects.get(path);
    if (!body) {
      res.statusCode = 404;
      res.end('<Error><Code>NoSuchKey</Code></Error>');
      return;
    }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise((r) => server.close(r)));

const cfg = config({
  targets: [
    {
      bucket: 'example-data-bucket',
      region: 'us-east-1',
      styles: ['regional', 'global', 'mrap'],
      mrapArn: 'arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap',
    },
  ],
});
const sdk = new SdkPresigner({
  credentials: {
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  },
});
/** The SDK presigner, refusing one style as it would a style it cannot mint: a per-probe failure. */
const refusingGlobal: Presigner = {
  presignGet: (req) =>
    req.style === 'global'
      ? Promise.reject(new PathGuardError('STYLE_NOT_SUPPORTED', "endpoint style 'global' refused"))
      : sdk.presignGet(req),
  presignPut: (req) => sdk.presignPut(req),
  presignUpload: (req) => sdk.presignUpload(req),
};

function deps(store: MemoryStore, ordersSeen: unknown[]) {
  return {
    cfg,
    store,
    presigner: refusingGlobal,
    vantageId: 'vpc-app',
    now: new Date(),
    putObject: async (p: { key: string; body: Uint8Array }) => {
      objects.set(p.key, Buffer.from(p.body));
    },
    writeOrders: async (probes: unknown[]) => {
      ordersSeen.push(...probes);
    },
    fetchOptions: {
      // The VPC's DNS answers a public S3 address; the connection goes to the loopback stand-in.
      lookup: (_h: string, _o: unknown, cb: (e: null, a: { address: string; family: number }[]) => void) =>
        cb(null, [{ address: '52.216.8.100', family: 4 }]),
      dial: () => net.connect(port, '127.0.0.1'),
    },
  };
}

describe('runProbes', () => {
  it('creates, presigns, stores and fetches probes; writes on-prem orders; reports failures per probe', async () => {
    const store = new MemoryStore();
    const orders: unknown[] = [];
    const r = await runProbes('run-test-1', deps(store, orders) as never);
    expect(r.duplicate).toBe(false);
    // 2 vantages x 2 working styles (regional, mrap with SigV4a); global fails per probe without stopping the others.
    expect(r.probes).toHaveLength(4);
    expect(r.failures.map((f) => [f.stage, f.code])).toEqual([
      ['mint', 'STYLE_NOT_SUPPORTED'],
      ['mint', 'STYLE_NOT_SUPPORTED'],
    ]);
    expect(r.observations).toHaveLength(2);
    expect(r.observations.every((o) => o.bodyMatches === true && o.remoteAddress === '52.216.8.100')).toBe(
      true,
    );
    expect(orders).toHaveLength(2);
    const stored = [...store.objects.keys()];
    // Probe records are filed by their creation day (the id's time): analysis reads only the window's days.
    const day = r.probes[0]!.createdAt.slice(0, 10).replaceAll('-', '/');
    expect(stored.filter((k) => k.startsWith(`probes/${day}/`))).toHaveLength(4);
    expect(stored.filter((k) => k.startsWith('observations/run-test-1/'))).toHaveLength(2);
    const p = (await store.getJson<Probe>(stored.find((k) => k.startsWith('probes/'))!))!.value;
    expect(p.urlRedacted).toContain('REDACTED');
    const everything = [...store.objects.values()].map((o) => o.body.toString()).join('\n');
    expect(everything).not.toMatch(/X-Amz-Signature=[0-9a-f]{64}/);
    expect(everything).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('runs a repeated delivery of the same schedule slot only once', async () => {
    const store = new MemoryStore();
    await runProbes('run-test-2', deps(store, []) as never);
    const again = await runProbes('run-test-2', deps(store, []) as never);
    expect(again.duplicate).toBe(true);
    expect(again.probes).toHaveLength(0);
  });

  it('writes orders for every on-prem vantage without a VPC vantage, fetching nothing', async () => {
    const store = new MemoryStore();
    const orders: { planned: { vantage: { id: string } } }[] = [];
    let fetches = 0;
    const r = await runProbes('run-orders-1', {
      ...deps(store, orders),
      vantageId: undefined,
      fetch: async () => {
        fetches++;
        throw new Error('the orders writer must not fetch');
      },
    } as never);
    expect(fetches).toBe(0);
    expect(r.observations).toHaveLength(0);
    expect(r.probes.map((p) => p.vantage.kind)).toEqual(['onprem', 'onprem']);
    expect(orders.map((o) => o.planned.vantage.id)).toEqual(['onprem-dc1', 'onprem-dc1']);
    expect([...store.objects.keys()]).toContain('runs/_orders/run-orders-1.json');
  });

  it('writes the on-prem orders before the first fetch starts', async () => {
    const store = new MemoryStore();
    const events: string[] = [];
    await runProbes('run-order-first', {
      ...deps(store, []),
      writeOrders: async () => {
        events.push('orders');
      },
      fetch: async (_url: string, o: { probeId: string; runnerId: string }) => {
        events.push('fetch');
        return fakeObservation(o.probeId, o.runnerId);
      },
    } as never);
    expect(events).toEqual(['orders', 'fetch', 'fetch']);
  });

  it('ends by the deadline with hanging fetches, reporting each one that did not finish', async () => {
    const store = new MemoryStore();
    const manyStyles = config({
      targets: [
        {
          bucket: 'example-data-bucket',
          region: 'us-east-1',
          styles: ['regional', 'global', 'path-style', 'dualstack', 'fips', 'accelerate'],
        },
      ],
    });
    let inFlight = 0;
    let maxInFlight = 0;
    // Room for minting the probes first, even on a loaded machine.
    const deadline = Date.now() + 2_500;
    const r = await runProbes('run-hang', {
      ...deps(store, []),
      presigner: sdk,
      cfg: manyStyles,
      concurrency: 2,
      deadline,
      // Fetches that never answer and ignore their own timeout.
      fetch: () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        return new Promise<never>(() => {});
      },
    } as never);
    // Ends at the deadline (timers may fire a little late), not when the fetches would.
    const late = Date.now() - deadline;
    expect(late).toBeGreaterThanOrEqual(-10);
    expect(late).toBeLessThan(1_000);
    expect(maxInFlight).toBe(2);
    const deadlines = r.failures.filter((f) => f.code === 'RUN_DEADLINE');
    // 6 VPC probes: 2 abandoned while running, 4 never started.
    expect(deadlines).toHaveLength(6);
    expect(deadlines.filter((f) => /still running/.test(f.message))).toHaveLength(2);
    expect(deadlines.filter((f) => /not started/.test(f.message))).toHaveLength(4);
    expect(r.observations).toHaveLength(0);
  });

  it('caps each fetch at the time left and keeps concurrency bounded when fetches finish', async () => {
    const store = new MemoryStore();
    const timeouts: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const r = await runProbes('run-bounded', {
      ...deps(store, []),
      concurrency: 1,
      deadline: Date.now() + 5_000,
      fetch: async (_url: string, o: { probeId: string; runnerId: string; timeoutMs: number }) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        timeouts.push(o.timeoutMs);
        await new Promise((res) => setTimeout(res, 5));
        inFlight--;
        return fakeObservation(o.probeId, o.runnerId);
      },
    } as never);
    expect(maxInFlight).toBe(1);
    expect(r.observations).toHaveLength(2);
    expect(timeouts.every((t) => t <= 5_000 && t > 4_000)).toBe(true);
  });
});

function fakeObservation(probeId: string, runnerId: string) {
  return {
    probeId,
    runnerId,
    vantageKind: 'vpc',
    startedAt: new Date().toISOString(),
    finishedAt: new Date().toISOString(),
    httpStatus: 200,
    remoteAddress: '52.216.8.100',
    bodyMatches: true,
  };
}
