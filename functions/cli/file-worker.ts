// Worker thread of the CLI (dist/file-worker.mjs): runs pieces of `parse flow --count`,
// `classify --summary` and `parse s3-access --count` (whole files or byte ranges of them), one at
// a time, and replies with counts; for `parse flow` NDJSON (byte ranges), it also sends the output
// as it is rendered, in chunks whose memory it gives away, holding back while too much of it is
// not yet written (functions/cli/ndjson-jobs.ts).
import { parentPort } from 'node:worker_threads';
import type { JobMessage, JobReply } from './file-jobs.js';
import { type PieceResult, runPiece } from './file-piece-run.js';
import type { NdjsonAck, NdjsonChunk } from './ndjson-jobs.js';

/**
 * Output bytes of `flow-ndjson` pieces sent that the CLI has not written yet: a worker that far
 * ahead stops reading until it is not.
 */
const NDJSON_WINDOW_BYTES = 4 * 1024 * 1024;

/** Output bytes sent and not yet acknowledged as written, and the piece waiting for them. */
let unwritten = 0;
let resume: (() => void) | null = null;
/** Chunks the CLI has written and given back, reused for output (at most a window's worth). */
const spare: Buffer[] = [];
const MAX_SPARE = 8;

function send(id: number, chunks: readonly Buffer[]): Promise<void> | undefined {
  for (const c of chunks) {
    // The writer's chunks own their memory (1 MiB, never the shared pool): moved, not copied.
    const own = c.byteOffset === 0 && c.buffer.byteLength > Buffer.poolSize;
    const ab = own ? (c.buffer as ArrayBuffer) : new Uint8Array(c).buffer;
    // Read before the transfer: a Buffer whose memory has moved has length 0.
    const length = c.length;
    parentPort?.postMessage({ id, chunk: ab, length } satisfies NdjsonChunk, [ab]);
    unwritten += length;
  }
  if (unwritten <= NDJSON_WINDOW_BYTES) return undefined;
  return new Promise<void>((r) => {
    resume = r;
  });
}

async function run(id: number, m: JobMessage): Promise<PieceResult> {
  if (m.task.kind !== 'flow-ndjson') return runPiece(m.task, m.env);
  // Loaded by the first NDJSON piece only, as each kind of piece loads its own modules.
  const { runNdjsonPiece } = await import('./piece-ndjson.js');
  return runNdjsonPiece(m.task, (chunks) => send(id, chunks), spare);
}

parentPort?.on('message', (m: JobMessage | NdjsonAck) => {
  if ('ack' in m) {
    unwritten -= m.ack;
    for (const ab of m.buffers) if (spare.length < MAX_SPARE) spare.push(Buffer.from(ab));
    if (unwritten <= NDJSON_WINDOW_BYTES && resume !== null) {
      const r = resume;
      resume = null;
      r();
    }
    return;
  }
  const { id } = m;
  run(id, m).then(
    (result) => parentPort?.postMessage({ id, result } satisfies JobReply),
    // The CLI reruns a failed file in its own thread, which reports the error as usual.
    () => parentPort?.postMessage({ id, failed: true } satisfies JobReply),
  );
});
// Pieces are handed out only to threads that can start them at once (a worker's start takes
// 60-100 ms, during which the CLI's own thread is already reading).
parentPort?.postMessage({ ready: true } satisfies JobReply);
