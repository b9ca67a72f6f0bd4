import { describe, expect, it } from 'vitest';
import { FlowWorkerError, readOnWorkers } from '../../functions/lib/flow-pool.js';
import { flowWorkerCount, workerHeapMb } from '../../functions/lib/flow-threads.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import {
  ADDRESSES,
  chunked,
  collectOut,
  flowObjects,
  inProcessWorker,
  inTurn,
} from './flow-pool-fixtures.js';

const objects = flowObjects();
const keys = [...objects.keys()];

function read(
  workers: ReturnType<typeof inProcessWorker>[],
  over: { bytesOf?: (k: string) => AsyncIterable<Buffer> } = {},
) {
  const rejects = new RejectCounter();
  const it = readOnWorkers(workers, {
    keys,
    bytesOf: over.bytesOf ?? ((k) => chunked(objects.get(k)!, 1000)),
    addresses: ADDRESSES,
    rejects,
  });
  return { it, rejects };
}

describe('flow-log objects read on workers', () => {
  it('gives the records, counts and rejects of reading the objects in turn, in key order', async () => {
    // Prepare
    const want = await inTurn(objects);
    const workers = [inProcessWorker(), inProcessWorker()];
    // The first object arrives slowest, so later ones finish before it.
    const bytesOf = (k: string) => chunked(objects.get(k)!, 1000, k === keys[0] ? 2 : 0);
    // Act
    const { it: out, rejects } = read(workers, { bytesOf });
    const got = await collectOut(out);
    // Assess
    expect(want.kept.length).toBeGreaterThan(500);
    expect(want.kept.length).toBeLessThan(want.read / 4);
    expect(got.kept).toEqual(want.kept);
    expect(got.read).toBe(want.read);
    expect(rejects.count).toBeGreaterThan(10);
    expect(rejects.byCode.BAD_ENCODING).toBe(1);
    expect({ ...rejects }).toEqual({ ...want.rejects });
    await Promise.all(workers.map((w) => w.terminate()));
  });

  it('fails with the download error when its object comes, after the objects before it, and reads no further', async () => {
    const workers = [inProcessWorker(), inProcessWorker()];
    const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
    const started: string[] = [];
    const { it: out } = read(workers, {
      bytesOf: async function* (k) {
        started.push(k);
        if (k === keys[2]) throw denied;
        yield* chunked(objects.get(k)!, 1000);
      },
    });
    const kept: unknown[] = [];
    const failure = await (async () => {
      for await (const b of out) if (Array.isArray(b)) kept.push(...b);
    })().catch((e: unknown) => e);
    expect(failure).toBe(denied);
    const before = await inTurn(new Map(keys.slice(0, 2).map((k) => [k, objects.get(k)!])));
    expect(kept).toEqual(before.kept);
    expect(started).not.toContain(keys[4]);
    await Promise.all(workers.map((w) => w.terminate()));
  });

  it('fails the source naming the object when a worker thread dies, and never hands out its records twice', async () => {
    const healthy = inProcessWorker();
    const dying = inProcessWorker();
    const post = dying.postMessage;
    dying.postMessage = (m, transfer) => {
      post(m, transfer);
      if (m.kind === 'bytes') {
        dying.postMessage = () => {};
        setImmediate(() =>
          dying.events.emit(
            'error',
            new Error('Worker terminated due to reaching memory limit: JS heap out of memory'),
          ),
        );
      }
    };
    const { it: out } = read([dying, healthy]);
    const seen = new Set<string>();
    let twice = 0;
    const failure = await (async () => {
      for await (const b of out)
        if (Array.isArray(b))
          for (const r of b) {
            const id = `${r.srcport} ${r.start} ${r.interfaceId}`;
            if (seen.has(id)) twice++;
            seen.add(id);
          }
    })().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(FlowWorkerError);
    expect((failure as Error).message).toBe(
      `a flow-log worker thread failed reading ${keys[0]}: Worker terminated due to reaching memory limit: JS heap out of memory`,
    );
    expect(twice).toBe(0);
    await Promise.all([healthy.terminate(), dying.terminate()]);
  });

  it('fails when a worker thread exits mid-object, and when every worker has stopped', async () => {
    const w = inProcessWorker();
    const post = w.postMessage;
    w.postMessage = (m, transfer) => {
      if (m.kind === 'bytes') {
        w.postMessage = () => {};
        setImmediate(() => w.events.emit('exit', 1));
        return;
      }
      post(m, transfer);
    };
    const failure = await collectOut(read([w]).it).catch((e: unknown) => e);
    expect((failure as Error).message).toBe(
      `a flow-log worker thread failed reading ${keys[0]}: the thread exited (code 1)`,
    );
    await w.terminate();
  });
});

describe('flow threads in Lambda', () => {
  it('starts workers only when the memory buys more than one vCPU (1,769 MB each)', () => {
    expect(flowWorkerCount(1024, 2)).toBe(0);
    expect(flowWorkerCount(1769, 2)).toBe(0);
    expect(flowWorkerCount(2654, 2)).toBe(2);
    expect(flowWorkerCount(3538, 1)).toBe(0);
    expect(flowWorkerCount(10_240, 6)).toBe(6);
    expect(flowWorkerCount(Number.NaN, 4)).toBe(0);
    expect(workerHeapMb(3538, 2)).toBe(1513);
  });
});
