// The function's side of reading S3 flow-log objects on worker threads (the workers' side is
// functions/lib/flow-worker-jobs.ts). This thread lists, downloads (its S3 client, its retries
// and resumptions) and correlates; workers inflate and parse, and hand back only the records that
// may match the run's probes. Results come back in key order, whatever order the workers finish.
import { PathGuardError } from '../../shared/errors.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import type { FlowRecordsPassedOver } from '../../shared/ports/index.js';
import type { RejectCounter, RejectTally } from '../../shared/text/rejects.js';
import type { FlowJobMessage, FlowJobReply } from './flow-worker-jobs.js';

/** A worker thread as the pool uses it: `node:worker_threads` Worker, or an in-process stand-in. */
export interface FlowWorker {
  postMessage(message: FlowJobMessage, transfer?: readonly ArrayBuffer[]): void;
  on(event: 'message', listener: (m: FlowJobReply) => void): unknown;
  on(event: 'error', listener: (e: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
}

/** A worker thread died or failed while reading an object: the flow source fails with it. */
export class FlowWorkerError extends PathGuardError {
  constructor(key: string, reason: string, cause?: unknown) {
    super(
      'FLOW_WORKER_FAILED',
      `a flow-log worker thread failed reading ${key}: ${reason}`,
      { key },
      cause === undefined ? undefined : { cause },
    );
  }
}

/**
 * Chunks in flight to one worker before it has taken them: S3 bodies arrive in chunks of 16 to
 * 64 KiB, so at most about 0.5 MiB per worker waits in its queue, and a slow worker slows its
 * download instead of growing memory.
 */
const CREDIT = 8;
/** Objects finished ahead of the one being handed out, per worker, before workers wait for it. */
const AHEAD_PER_WORKER = 4;

type Out = FlowRecord[] | FlowRecordsPassedOver;

interface Job {
  readonly key: string;
  readonly out: Out[];
  rejects: RejectTally | null;
  error: Error | null;
}

interface Slot {
  readonly worker: FlowWorker;
  job: number | null;
  credit: number;
  /** Wakes the download feeding this worker when it takes a chunk or dies. */
  wake: (() => void) | null;
  dead: boolean;
}

/** What one read needs: the objects, their bytes, the run's addresses and where rejects go. */
export interface FlowPoolRead {
  /** Object keys in the order their records are to be handed out. */
  readonly keys: readonly string[];
  /** An object's raw bytes (gzip or not), as downloaded; its errors fail the source. */
  readonly bytesOf: (key: string) => AsyncIterable<Buffer>;
  /** The query's addresses: records holding none are counted, not handed back. */
  readonly addresses: readonly string[];
  /** Each object's rejects are added here in key order, as reading in turn would add them. */
  readonly rejects: RejectCounter;
}

/**
 * Reads `keys` on `workers`, one object per worker at a time, and yields each object's records
 * (and counts of the records passed over) in key order: the same records, counts and rejects as
 * reading the objects in turn. A download error fails the read with that error when its object's
 * turn comes; a worker that dies or fails fails it with {@link FlowWorkerError}; no object is read
 * twice, so nothing is counted twice. The caller owns the workers (starts and terminates them).
 *
 * @example
 * for await (const b of readOnWorkers(workers, { keys, bytesOf, addresses, rejects })) use(b);
 */
export async function* readOnWorkers(
  workers: readonly FlowWorker[],
  read: FlowPoolRead,
): AsyncGenerator<Out> {
  const run = new PoolRun(workers, read);
  try {
    yield* run.results();
  } finally {
    run.stop();
  }
}

class PoolRun {
  private readonly jobs: Job[] = [];
  private readonly slots: Slot[];
  private head = 0;
  private stopped = false;
  /** Set by the first failure: no object after it is started. */
  private failed = false;
  private wake: (() => void) | null = null;

  constructor(
    workers: readonly FlowWorker[],
    private readonly read: FlowPoolRead,
  ) {
    this.slots = workers.map((worker) => ({ worker, job: null, credit: 0, wake: null, dead: false }));
    for (const slot of this.slots) this.listen(slot);
  }

  async *results(): AsyncGenerator<Out> {
    this.dispatch();
    for (let i = 0; i < this.read.keys.length; i++) {
      for (;;) {
        const job = this.jobs[i];
        if (job === undefined && !this.slots.some((s) => !s.dead))
          throw new FlowWorkerError(this.read.keys[i]!, 'every worker thread has stopped');
        if (job !== undefined) {
          while (job.out.length > 0) yield job.out.shift()!;
          if (job.error) throw job.error;
          if (job.rejects) {
            this.read.rejects.merge(job.rejects);
            break;
          }
        }
        await new Promise<void>((r) => {
          this.wake = r;
        });
      }
      this.head = i + 1;
      this.dispatch();
    }
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.slots) this.poke(s);
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private poke(slot: Slot): void {
    const w = slot.wake;
    slot.wake = null;
    w?.();
  }

  /** Starts the next objects on free workers, at most {@link AHEAD_PER_WORKER} per worker ahead of the head. */
  private dispatch(): void {
    for (const slot of this.slots) {
      const next = this.jobs.length;
      if (this.stopped || this.failed || next >= this.read.keys.length) return;
      if (next - this.head >= AHEAD_PER_WORKER * this.slots.length) return;
      if (slot.dead || slot.job !== null) continue;
      const job: Job = { key: this.read.keys[next]!, out: [], rejects: null, error: null };
      this.jobs.push(job);
      slot.job = next;
      slot.credit = CREDIT;
      void this.feed(slot, next, job);
    }
  }

  /** Streams one object's bytes to its worker, no more than {@link CREDIT} chunks ahead of it. */
  private async feed(slot: Slot, id: number, job: Job): Promise<void> {
    slot.worker.postMessage({ kind: 'start', job: id, key: job.key, addresses: this.read.addresses });
    try {
      for await (const chunk of this.read.bytesOf(job.key)) {
        while (slot.credit <= 0 && !this.stopped && !slot.dead)
          await new Promise<void>((r) => {
            slot.wake = r;
          });
        if (this.stopped || slot.dead || job.error) return;
        slot.credit--;
        // A copy with a buffer of its own, moved (not copied again) to the worker.
        const own = new Uint8Array(chunk);
        slot.worker.postMessage({ kind: 'bytes', job: id, chunk: own }, [own.buffer]);
      }
      slot.worker.postMessage({ kind: 'end', job: id });
    } catch (e) {
      if (!slot.dead) slot.worker.postMessage({ kind: 'abort', job: id });
      this.fail(job, e instanceof Error ? e : new Error(String(e)));
    }
  }

  private fail(job: Job, error: Error): void {
    job.error ??= error;
    this.failed = true;
    this.notify();
  }

  private listen(slot: Slot): void {
    slot.worker.on('message', (m) => this.onReply(slot, m));
    const died = (reason: string, cause?: unknown) => {
      if (slot.dead) return;
      slot.dead = true;
      this.poke(slot);
      const job = slot.job === null ? undefined : this.jobs[slot.job];
      if (job && !job.rejects) this.fail(job, new FlowWorkerError(job.key, reason, cause));
      else this.notify();
    };
    slot.worker.on('error', (e) => died(e.message, e));
    slot.worker.on('exit', (code) => died(`the thread exited (code ${code})`));
  }

  private onReply(slot: Slot, m: FlowJobReply): void {
    const job = this.jobs[m.job];
    if (!job || slot.job !== m.job) return;
    if (m.kind === 'taken') {
      slot.credit++;
      this.poke(slot);
      return;
    }
    if (m.kind === 'records') {
      if (m.passedOver > 0) job.out.push({ passedOver: m.passedOver });
      if (m.records.length > 0) job.out.push(m.records);
    } else {
      slot.job = null;
      if (m.kind === 'done') job.rejects = m.rejects;
      else this.fail(job, new FlowWorkerError(job.key, m.message));
      this.dispatch();
    }
    this.notify();
  }
}
