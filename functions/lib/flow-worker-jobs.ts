// The worker-thread side of the analyze function's flow-log reading (functions/lib/flow-pool.ts
// is the other side): S3 objects arrive as byte chunks, leave as the records that may match the
// run's probes, a count of the others, and the object's rejects. No AWS SDK and no client here:
// the function's own thread downloads, so workers hold no credentials.
import { flowAddressFilter } from '../../shared/evidence/flow-queries.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { RejectCounter, type RejectTally } from '../../shared/text/rejects.js';
import { readFlowObject } from './flow-object.js';

/** Records kept, or passed over, before a worker sends them: one message per many batches. */
const SEND_RECORDS = 1024;
const SEND_PASSED_OVER = 65_536;

/** From the function's thread to a worker: one object at a time, its bytes as they download. */
export type FlowJobMessage =
  | {
      readonly kind: 'start';
      readonly job: number;
      readonly key: string;
      readonly addresses: readonly string[];
    }
  | { readonly kind: 'bytes'; readonly job: number; readonly chunk: Uint8Array }
  | { readonly kind: 'end'; readonly job: number }
  /** The download failed: the worker drops the object (the function's thread reports why). */
  | { readonly kind: 'abort'; readonly job: number };

/** From a worker: a chunk taken (room for the next), records, and the object's end. */
export type FlowJobReply =
  | { readonly kind: 'taken'; readonly job: number }
  | {
      readonly kind: 'records';
      readonly job: number;
      readonly records: FlowRecord[];
      readonly passedOver: number;
    }
  | { readonly kind: 'done'; readonly job: number; readonly rejects: RejectTally }
  /** Reading failed for a reason that is no reject (a bug): the object's source fails. */
  | { readonly kind: 'failed'; readonly job: number; readonly message: string };

/** What a worker replies through: `parentPort`, or one end of a MessageChannel in tests. */
export interface FlowJobPort {
  postMessage(message: FlowJobReply): void;
  on(event: 'message', listener: (m: FlowJobMessage) => void): unknown;
}

/** An object's chunks as they arrive, read once; `taken` is told as each is read. */
class ChunkQueue implements AsyncIterable<Buffer> {
  private readonly chunks: Buffer[] = [];
  private ended = false;
  private aborted = false;
  private wake: (() => void) | null = null;

  constructor(private readonly taken: () => void) {}

  push(chunk: Uint8Array): void {
    this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.poke();
  }

  end(): void {
    this.ended = true;
    this.poke();
  }

  abort(): void {
    this.aborted = true;
    this.poke();
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    for (;;) {
      if (this.aborted) throw new Error('download aborted');
      const c = this.chunks.shift();
      if (c !== undefined) {
        this.taken();
        yield c;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((r) => {
        this.wake = r;
      });
    }
  }
}

/** Reads one object and replies; never throws (a failure is a `failed` reply). */
async function runJob(
  port: FlowJobPort,
  job: number,
  key: string,
  addresses: readonly string[],
  queue: ChunkQueue,
): Promise<void> {
  const rejects = new RejectCounter();
  const mayMatch = flowAddressFilter(addresses);
  let records: FlowRecord[] = [];
  let passedOver = 0;
  const send = () => {
    port.postMessage({ kind: 'records', job, records, passedOver });
    records = [];
    passedOver = 0;
  };
  try {
    for await (const batch of readFlowObject(key, queue, rejects)) {
      for (const r of batch) {
        if (mayMatch(r)) records.push(r);
        else passedOver++;
      }
      if (records.length >= SEND_RECORDS || passedOver >= SEND_PASSED_OVER) send();
    }
    if (records.length > 0 || passedOver > 0) send();
    port.postMessage({ kind: 'done', job, rejects: tallyOf(rejects) });
  } catch (e) {
    port.postMessage({ kind: 'failed', job, message: (e as Error)?.message ?? String(e) });
  }
}

/** A counter as plain data (a class instance loses nothing it needs in a structured clone, but say so). */
function tallyOf(r: RejectCounter): RejectTally {
  return { count: r.count, byCode: r.byCode, samples: r.samples, skipped: r.skipped, skippedBy: r.skippedBy };
}

/**
 * Serves flow-log objects on `port` until it closes: each `start` opens an object, its `bytes`
 * feed the reader, `end` finishes it.
 *
 * @example
 * import { parentPort } from 'node:worker_threads';
 * if (parentPort) serveFlowJobs(parentPort);
 */
export function serveFlowJobs(port: FlowJobPort): void {
  const open = new Map<number, ChunkQueue>();
  port.on('message', (m) => {
    if (m.kind === 'start') {
      const queue = new ChunkQueue(() => port.postMessage({ kind: 'taken', job: m.job }));
      open.set(m.job, queue);
      void runJob(port, m.job, m.key, m.addresses, queue).finally(() => open.delete(m.job));
      return;
    }
    const queue = open.get(m.job);
    if (!queue) return;
    if (m.kind === 'bytes') queue.push(m.chunk);
    else if (m.kind === 'end') queue.end();
    else queue.abort();
  });
}
