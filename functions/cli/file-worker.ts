// Worker thread of the CLI (dist/file-worker.mjs): runs pieces of `parse flow --count` and
// `classify --summary` (whole files or byte ranges of them), one at a time, and replies with counts.
import { parentPort } from 'node:worker_threads';
import type { JobMessage, JobReply } from './file-jobs.js';
import { runPiece } from './file-piece-run.js';

parentPort?.on('message', ({ id, task, env }: JobMessage) => {
  runPiece(task, env).then(
    (result) => parentPort?.postMessage({ id, result } satisfies JobReply),
    // The CLI reruns a failed file in its own thread, which reports the error as usual.
    () => parentPort?.postMessage({ id, failed: true } satisfies JobReply),
  );
});
// Pieces are handed out only to threads that can start them at once (a worker's start takes
// 60-100 ms, during which the CLI's own thread is already reading).
parentPort?.postMessage({ ready: true } satisfies JobReply);
