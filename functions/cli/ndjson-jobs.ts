import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { RejectCounter } from '../../shared/text/rejects.js';
import { writeChunks } from './command.js';
import { type JobMessage, type JobReply, WORKER_OPTIONS, workerScript } from './file-jobs.js';
import type { PieceResult, PieceTask } from './file-piece-run.js';
import { type FilePiece, planFilePieces } from './file-pieces.js';

/**
 * `parse flow` NDJSON over several threads (issue 16): plain-text files are split at line
 * boundaries into byte ranges (./file-pieces.ts) that worker threads render, and this thread
 * writes their output in file order, one range after the other, as it comes. Everything else
 * (gzip, Parquet, CloudWatch Logs exports, standard input) is rendered here, whole, when its turn
 * comes, exactly as reading the inputs in turn does.
 *
 * Memory stays bounded whatever the input size: a worker sends its output in chunks it gives
 * away (the ArrayBuffer is transferred, not copied) and stops reading once a few megabytes
 * of them are not yet written; this thread acknowledges what it has written, after the standard
 * output's own backpressure. A worker on a range ahead of the one being written fills its window
 * and waits.
 *
 * What is printed is what `--jobs 1` prints: reject samples carry whole-file line numbers (the
 * lines of the ranges before are added), and a range that started under the wrong format (a
 * header line in the middle of the file, before it) is discarded and rendered again here with the
 * format the range before it ended with, as the counting pieces are counted again.
 */

/** A worker's output chunk, its memory moved to this thread. */
export type NdjsonChunk = { readonly id: number; readonly chunk: ArrayBuffer; readonly length: number };
/** This thread's word to a worker: this many of its bytes are written, and their memory is back. */
export type NdjsonAck = { readonly ack: number; readonly buffers: readonly ArrayBuffer[] };

/** What `run` needs: the inputs, the user's --format, and this thread's way of rendering a whole input. */
export interface OrderedNdjsonRun {
  readonly inputs: readonly string[];
  /** The user's --format as given: it wins over header lines, so no range is ever stale. */
  readonly spec: string | undefined;
  readonly threads: number;
  readonly stdout: Writable;
  readonly rejects: RejectCounter;
  /** Renders one whole input in this thread and writes it all (the in-turn path); returns its records. */
  readonly renderWhole: (input: string) => Promise<number>;
  /** @default dist/file-worker.mjs beside the bundle */
  readonly workerScript?: URL;
  /**
   * Whether this thread renders ranges too, between its writes (one thread fewer to start). False
   * leaves every range to the workers (tests: each range's output then crosses a thread boundary).
   * @default true
   */
  readonly thisThreadRenders?: boolean;
}

/** A range and what has come of it so far. */
interface Slot {
  readonly piece: FilePiece;
  /** Who renders it: a worker, this thread (`local`), or nobody yet. */
  owner: Worker | 'local' | null;
  chunks: Buffer[];
  /** Bytes of it written to the output. */
  written: number;
  done: boolean;
  result: PieceResult | null;
  wake: (() => void) | null;
}

const taskOf = (p: FilePiece, spec: string | undefined, startSpec = p.startSpec): PieceTask => ({
  kind: 'flow-ndjson',
  file: p.path,
  ...(spec ? { format: spec } : {}),
  ...(p.range ? { range: p.range } : {}),
  ...(startSpec !== undefined && !spec ? { startSpec } : {}),
});

/**
 * Writes the NDJSON of `run.inputs` to `run.stdout` on `run.threads` threads and returns the
 * records written; rejects go to `run.rejects`, in the order reading in turn adds them. An input
 * that cannot be read fails as it does when read in turn, after everything before it is written.
 */
export async function writeFlowNdjsonOnThreads(run: OrderedNdjsonRun): Promise<number> {
  const pieces = (await planFilePieces(run.inputs, run.threads)).flat();
  const slots: (Slot | null)[] = pieces.map((piece) =>
    piece.range
      ? { piece, owner: null, chunks: [], written: 0, done: false, result: null, wake: null }
      : null,
  );
  const ranges = slots.filter((s) => s !== null).length;
  const script = ranges > 1 ? (run.workerScript ?? workerScript()) : null;
  const workers =
    script === null
      ? []
      : Array.from(
          { length: Math.min(run.threads - 1, ranges - 1) },
          () => new Worker(script, WORKER_OPTIONS),
        );
  const here = workers.length === 0 || run.thisThreadRenders !== false;
  const credit = new LocalCredit();
  try {
    for (const w of workers) serve(w, slots, run.spec);
    // This thread renders ahead too, between its writes, its output held like a worker's.
    const ahead = here ? renderAhead(run, slots, credit) : Promise.resolve();
    const records = await writeInOrder(run, pieces, slots, credit);
    await ahead;
    return records;
  } finally {
    credit.stop();
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** This thread's window: the bytes it rendered ahead and has not written yet (as a worker's). */
class LocalCredit {
  private unwritten = 0;
  private resume: (() => void) | null = null;
  private abort: ((e: Error) => void) | null = null;
  stopped = false;

  /** Counts `bytes` rendered; a promise when too many are waiting to be written, rejected once stopped. */
  take(bytes: number): Promise<void> | undefined {
    if (this.stopped) return Promise.reject(new Error('the run is over'));
    this.unwritten += bytes;
    if (this.unwritten <= LOCAL_WINDOW_BYTES) return undefined;
    return new Promise<void>((resolve, reject) => {
      this.resume = resolve;
      this.abort = reject;
    });
  }

  release(bytes: number): void {
    this.unwritten -= bytes;
    if (this.unwritten <= LOCAL_WINDOW_BYTES && this.resume !== null) {
      const r = this.resume;
      this.resume = null;
      this.abort = null;
      r();
    }
  }

  /** The run is over, or failed: a range being rendered ahead stops at its next read. */
  stop(): void {
    this.stopped = true;
    const a = this.abort;
    this.resume = null;
    this.abort = null;
    a?.(new Error('the run is over'));
  }
}

/** As a worker's window (functions/cli/file-worker.ts). */
const LOCAL_WINDOW_BYTES = 4 * 1024 * 1024;

/** This thread's share: the first range nobody has taken, in turn, while ranges are left. */
async function renderAhead(run: OrderedNdjsonRun, slots: readonly (Slot | null)[], credit: LocalCredit) {
  while (!credit.stopped) {
    const slot = slots.find((s) => s !== null && s.owner === null);
    if (slot === undefined || slot === null) return;
    slot.owner = 'local';
    wake(slot);
    try {
      slot.result = await runHere(taskOf(slot.piece, run.spec), (chunks) => {
        let bytes = 0;
        for (const c of chunks) bytes += c.length;
        slot.chunks.push(...chunks);
        wake(slot);
        return credit.take(bytes);
      });
    } catch {
      slot.result = null;
    }
    slot.done = true;
    wake(slot);
  }
}

/** Until something happens to a slot: taken, a chunk, done. */
const until = (s: Slot) =>
  new Promise<void>((resolve) => {
    s.wake = resolve;
  });

const wake = (s: Slot) => {
  const f = s.wake;
  s.wake = null;
  f?.();
};

/** A worker's share: the first range nobody has taken, each time it is free, its output kept in the range's slot. */
function serve(w: Worker, slots: readonly (Slot | null)[], spec: string | undefined): void {
  let current: Slot | null = null;
  const give = () => {
    current = slots.find((s) => s !== null && s.owner === null) ?? null;
    if (current === null) return;
    current.owner = w;
    const id = slots.indexOf(current);
    w.postMessage({ id, task: taskOf(current.piece, spec) } satisfies JobMessage);
    wake(current);
  };
  const fail = () => {
    // The range is rendered again in this thread when its turn comes (see writeRange).
    if (current !== null && !current.done) {
      current.done = true;
      wake(current);
    }
    current = null;
  };
  w.on('message', (m: JobReply | NdjsonChunk) => {
    if ('chunk' in m) {
      const s = slots[m.id]!;
      s.chunks.push(Buffer.from(m.chunk, 0, m.length));
      wake(s);
      return;
    }
    if ('id' in m) {
      const s = slots[m.id]!;
      s.done = true;
      if ('result' in m) s.result = m.result;
      wake(s);
    }
    give();
  });
  w.on('error', fail);
  w.on('exit', fail);
}

/** Every piece in file order: ranges as their owners render them, whole inputs rendered here. */
async function writeInOrder(
  run: OrderedNdjsonRun,
  pieces: readonly FilePiece[],
  slots: readonly (Slot | null)[],
  credit: LocalCredit,
): Promise<number> {
  let records = 0;
  let file = -1;
  let lines = 0;
  let inForce: string | null = null;
  for (const [i, piece] of pieces.entries()) {
    if (piece.file !== file) {
      file = piece.file;
      lines = 0;
      inForce = null;
    }
    const slot = slots[i];
    if (!slot) {
      records += await run.renderWhole(piece.path);
      continue;
    }
    // A range that assumed another format than the one in force where it starts is rendered again.
    const stale =
      piece.startSpec !== undefined && inForce !== null && piece.startSpec !== inForce && !run.spec;
    const r = await writeRange(run, slot, stale ? inForce! : null, credit);
    records += r.records;
    run.rejects.merge(r.rejects, lines);
    lines += r.lines;
    inForce = r.endSpec;
  }
  return records;
}

/**
 * Writes one range's output as it comes and returns what it counted. With `redoSpec`, or when its
 * worker failed before writing anything, it is rendered here instead (its worker's output, if
 * any, acknowledged and dropped); a range nobody has taken yet is rendered here too.
 */
async function writeRange(
  run: OrderedNdjsonRun,
  slot: Slot,
  redoSpec: string | null,
  credit: LocalCredit,
): Promise<PieceResult> {
  const write = (chunks: Buffer[]) => writeChunks(run.stdout, chunks);
  while (slot.owner === null) await until(slot);
  const owner = slot.owner;
  for (;;) {
    if (slot.chunks.length > 0) {
      const chunks = slot.chunks;
      slot.chunks = [];
      // Counted first: a chunk given back has moved (length 0).
      let bytes = 0;
      for (const c of chunks) bytes += c.length;
      slot.written += bytes;
      if (owner === 'local') {
        if (redoSpec === null) await write(chunks);
        credit.release(bytes);
      } else if (redoSpec === null) await writeBack(run.stdout, owner, chunks);
      else giveBack(owner, chunks);
      continue;
    }
    if (slot.done) break;
    await until(slot);
  }
  if (redoSpec !== null) return runHere(taskOf(slot.piece, run.spec, redoSpec), write);
  if (slot.result !== null) return slot.result;
  // Failed (on a worker, or ahead here): read again, which fails (or not) as reading in turn would.
  if (slot.written === 0) return runHere(taskOf(slot.piece, run.spec), write);
  throw new Error(`${slot.piece.path}: a range failed after part of it was written`);
}

/** Tells a worker its chunks are written, and gives their memory back for its next ones. */
function giveBack(w: Worker, chunks: readonly Buffer[]): void {
  let ack = 0;
  const buffers: ArrayBuffer[] = [];
  for (const c of chunks) {
    ack += c.length;
    buffers.push(c.buffer as ArrayBuffer);
  }
  w.postMessage({ ack, buffers } satisfies NdjsonAck, buffers);
}

/**
 * Writes a worker's chunks with the stream's backpressure; each is given back once the stream
 * says it is written (a chunk in a stream's queue must keep its memory).
 */
function writeBack(out: Writable, w: Worker, chunks: readonly Buffer[]): Promise<void> | undefined {
  for (const [k, c] of chunks.entries()) {
    const ok = out.write(c, (e) => {
      if (e == null) giveBack(w, [c]);
    });
    // Full: the rest when it drains (an 'error' instead rejects).
    if (!ok) return once(out, 'drain').then(() => writeBack(out, w, chunks.slice(k + 1)));
  }
  return undefined;
}

async function runHere(task: PieceTask, write: (chunks: Buffer[]) => Promise<void> | undefined) {
  const { runNdjsonPiece } = await import('./piece-ndjson.js');
  return runNdjsonPiece(task, write);
}
