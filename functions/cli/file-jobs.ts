import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Environment } from '../../shared/env/types.js';
import { UserInputError } from '../../shared/errors.js';
import type { RejectTally } from '../../shared/text/rejects.js';

/**
 * One input file's work in a worker thread: counting flow-log records (`parse flow --count`) or
 * classifying them into per-path counts (`classify --summary`). Only counting modes go to
 * workers: their result is a few numbers, whatever the file's size.
 */
export type FileJob =
  | { readonly kind: 'flow-count'; readonly file: string; readonly format?: string }
  | {
      readonly kind: 'flow-classify';
      readonly file: string;
      readonly format?: string;
      /** The environment the CLI validated, sent as data so workers never load the validator. */
      readonly env: Environment;
      /** Names `env`: a worker builds its index once per key. */
      readonly envKey: string;
    };

/** What a job counted. `paths` and `unclassified` are for `flow-classify` only. */
export interface FileJobResult {
  readonly records: number;
  readonly paths: Readonly<Record<string, number>>;
  readonly unclassified: number;
  readonly rejects: RejectTally;
}

/** Messages between the CLI and its workers. */
export type JobMessage = { readonly id: number; readonly job: FileJob };
export type JobReply =
  | { readonly id: number; readonly result: FileJobResult }
  | { readonly id: number; readonly failed: true };

/**
 * Most worker threads a command starts, whatever --jobs asks: with the young generation below,
 * each holds about 30 MB at peak, so four and the CLI's own thread stay under 200 MB RSS.
 */
export const MAX_THREADS = 4;
/**
 * A 4 MB young generation: V8's default (16 MB semi-spaces) took a classifying worker's peak RSS
 * from 128 to 182 MB for two workers over 2M records, at the same CPU time.
 */
const WORKER_OPTIONS = { resourceLimits: { maxYoungGenerationSizeMb: 4 } };

/**
 * The worker script beside the bundle (dist/file-worker.mjs); null when running from the sources
 * (tests), where files are read in turn in this thread.
 */
function workerScript(): URL | null {
  const here = new URL('.', import.meta.url);
  const url = new URL(
    here.pathname.endsWith('/cli-chunks/') ? '../file-worker.mjs' : 'file-worker.mjs',
    here,
  );
  return existsSync(fileURLToPath(url)) ? url : null;
}

/**
 * Worker threads for `inputs`: `--jobs N` when given (1 = this thread only), else one per core,
 * never more than the files or {@link MAX_THREADS}, and 1 when standard input is among them or no
 * worker script exists.
 */
export function threadsFor(jobs: unknown, inputs: readonly string[]): number {
  let n = availableParallelism();
  if (jobs !== undefined) {
    n = typeof jobs === 'string' && /^[1-9]\d{0,2}$/.test(jobs) ? Number(jobs) : Number.NaN;
    if (Number.isNaN(n)) throw new UserInputError('USAGE', '--jobs must be a whole number from 1 to 999');
  }
  if (inputs.includes('-') || inputs.length < 2 || workerScript() === null) return 1;
  return Math.min(n, inputs.length, MAX_THREADS);
}

/**
 * Runs `jobs` on `threads` worker threads, files handed out in order as workers free up, and
 * returns the results in file order. A job that failed (an unreadable file, a truncated gzip)
 * ends the list: `failedAt` is its index, the results before it are kept, so the caller reruns
 * that file in its own thread and fails exactly as reading the files in turn would.
 */
export async function runFileJobs(
  jobs: readonly FileJob[],
  threads: number,
): Promise<{ results: FileJobResult[]; failedAt: number | null }> {
  const script = workerScript();
  if (script === null) throw new Error('worker script missing: run the built CLI');
  const results: (FileJobResult | undefined)[] = new Array(jobs.length);
  let failedAt: number | null = null;
  let next = 0;
  const workers = Array.from(
    { length: Math.min(threads, jobs.length) },
    () => new Worker(script, WORKER_OPTIONS),
  );
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const give = () => {
              // After a failure, files after it are not started: their work would be discarded.
              if (next >= jobs.length || (failedAt !== null && next > failedAt)) return resolve();
              const id = next++;
              w.postMessage({ id, job: jobs[id]! } satisfies JobMessage);
            };
            w.on('message', (m: JobReply) => {
              if ('result' in m) results[m.id] = m.result;
              else if (failedAt === null || m.id < failedAt) failedAt = m.id;
              give();
            });
            w.on('error', reject);
            give();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  const end = failedAt ?? jobs.length;
  return { results: results.slice(0, end) as FileJobResult[], failedAt };
}
