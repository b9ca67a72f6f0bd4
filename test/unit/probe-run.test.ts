import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SdkPresigner } from '../../functions/aws/presigner.js';
import { runProbes } from '../../functions/lib/probe-run.js';
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
  targets: [{ bucket: 'example-data-bucket', region: 'us-east-1', styles: ['regional', 'global', 'mrap'] }],
});
const presigner = new SdkPresigner({
  credentials: {
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  },
});

function deps(store: MemoryStore, ordersSeen: unknown[]) {
  return {
    cfg,
    store,
    presigner,
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
    // 2 vantages x 2 working styles; mrap fails per probe without stopping the others.
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
    expect(stored.filter((k) => k.startsWith('probes/run-test-1/'))).toHaveLength(4);
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
});
