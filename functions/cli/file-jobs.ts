import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Environment } from '../../shared/env/types.js';
import { UserInputError } from '../../shared/errors.js';
import { RejectCounter, type RejectTally } from '../../shared/text/rejects.js';
import type { PieceResult, PieceTask } from './file-piece-run.js';
import { type FilePiece, planFilePieces } from './file-pieces.js';

/**
 * One input file's work, spread over threads: counting flow-log records (`parse flow --count`),
 * classifying them into per-path counts (`classify --summary`) or counting S3 server access log
 * records (`parse s3-access --count`). Only counting modes are spread:
 * their result is a few numbers, whatever the file's size.
 */
export type FileJob =
  | { readonly kind: 'flow-count'; readonly file: string; readonly format?: string }
  /** `parse s3-access --count`: plain files split by line ranges as flow logs are. */
  | { readonly kind: 'access-count'; readonly file: string; readonly format?: undefined }
  | {
      readonly kind: 'flow-classify';
      readonly file: string;
      readonly format?: string;
      /** The environment the CLI validated, sent as data so workers never load the validator. */
      readonly env: Environment;
      /** Names `env`: a worker builds its index once per key. */
      readonly envKey: string;
    };

/** What a file's job counted. `paths` and `unclassified` are for `flow-classify` only. */
export interface FileJobResult {
  readonly records: number;
  readonly paths: Readonly<Record<string, number>>;
  readonly unclassified: number;
  readonly rejects: RejectTally;
}

/** Messages between the CLI and its workers: a worker says it is ready, then gets one piece at a time. */
export type JobMessage = { readonly id: number; readonly task: PieceTask; readonly env?: Environment };
export type JobReply =
  | { readonly ready: true }
  | { readonly id: number; readonly result: PieceResult }
  | { readonly id: number; readonly failed: true };

/**
 * Most threads a command uses, its own included, whatever --jobs asks: each worker holds about
 * 40 MB at peak while classifying, so three and the CLI's own thread stay under 200 MB RSS.
 */
export const MAX_THREADS = 4;
/**
 * A 16 MB young generation. 4 MB kept a classifying worker's RSS low but made it collect so often
 * that it took 1.47x the CPU time of V8's default on the same 500k records (paired runs); 16 MB
 * took about the default's CPU time with less memory.
 */
export const WORKER_OPTIONS = { resourceLimits: { maxYoungGenerationSizeMb: 16 } };
/**
 * Without --jobs, inputs smaller than this are read in this thread: starting a worker costs
 * 60-100 ms of CPU (a V8 isolate and its modules), what counting 30 MB of flow logs costs.
 */
const AUTO_PARALLEL_BYTES = 32 * 1024 * 1024;

/**
 * The worker script beside the bundle (dist/file-worker.mjs); null when running from the sources
 * (tests), where files are read in turn in this thread.
 */
export function workerScript(): URL | null {
  const here = new URL('.', import.meta.url);
  const url = new URL(
    here.pathname.endsWith('/cli-chunks/') ? '../file-worker.mjs' : 'file-worker.mjs',
    here,
  );
  return existsSync(fileURLToPath(url)) ? url : null;
}

function inputBytes(inputs: readonly string[]): number {
  let n = 0;
  for (const f of inputs) {
    try {
      n += statSync(f).size;
    } catch {
      // Unreadable: its reader says why.
    }
  }
  return n;
}

/**
 * Threads for `inputs`, this one included: `--jobs N` when given (1 = this thread only), else
 * one per core when the inputs are large enough to repay a worker's start; never more than the
 * cores or {@link MAX_THREADS}, and 1 when standard input is among them or no worker script exists. One
 * plain-text file is split by byte ranges, so one input can use several threads too.
 */
export function threadsFor(jobs: unknown, inputs: readonly string[]): number {
  let n = availableParallelism();
  if (jobs !== undefined) {
    n = typeof jobs === 'string' && /^[1-9]\d{0,2}$/.test(jobs) ? Number(jobs) : Number.NaN;
    if (Number.isNaN(n)) throw new UserInputError('USAGE', '--jobs must be a whole number from 1 to 999');
  }
  if (n < 2 || inputs.length === 0 || inputs.includes('-') || workerScript() === null) return 1;
  if (jobs === undefined && inputBytes(inputs) < AUTO_PARALLEL_BYTES) return 1;
  // More threads than cores only take turns: 4 threads on 2 cores classified 2M records with
  // twice the CPU time of 2 threads, and more memory.
  return Math.min(n, availableParallelism(), MAX_THREADS);
}

/** The task of a piece of a job. */
function taskOf(job: FileJob, p: FilePiece, startSpec = p.startSpec): PieceTask {
  return {
    kind: job.kind,
    file: p.path,
    ...(job.format ? { format: job.format } : {}),
    ...(job.kind === 'flow-classify' ? { envKey: job.envKey } : {}),
    ...(p.range ? { range: p.range } : {}),
    // A given --format wins over every header line: no range needs to know what came before.
    ...(p.range && startSpec !== undefined && !job.format ? { startSpec } : {}),
  };
}

const envOf = (job: FileJob) => (job.kind === 'flow-classify' ? job.env : undefined);

/**
 * Pieces handed out heaviest first, to this thread and to workers as each becomes free. Parquet
 * files all go to the thread that takes the first of them: a Parquet decoder holds a row group's
 * pages and dictionaries, and each thread is its own V8 heap whose garbage (and up to 64 MB of
 * inflated pages outside it, what V8 lets build up between collections) comes on top of the
 * others'. Four 500,000-row files took a peak of 249 MiB over two threads (`parse flow --count
 * --jobs 2`), 159 MiB on one; plain-text ranges still use every thread.
 */
export class PieceQueue {
  readonly results: (PieceResult | undefined)[];
  /** The first file a piece failed on: pieces of it and of later files are not started. */
  failedFile = Number.POSITIVE_INFINITY;
  private readonly order: number[];
  private next = 0;
  /** The thread that reads Parquet pieces, once one has taken a first. */
  private parquetThread: string | null = null;

  constructor(readonly pieces: readonly FilePiece[]) {
    this.results = new Array(pieces.length);
    this.order = pieces.map((_, i) => i).sort((a, b) => pieces[b]!.weight - pieces[a]!.weight || a - b);
  }

  /** The next piece `thread` may run (another thread's Parquet pieces skipped), or -1. */
  take(thread: string): number {
    for (let k = this.next; k < this.order.length; k++) {
      const i = this.order[k]!;
      if (i < 0) continue;
      const p = this.pieces[i]!;
      if (p.parquet && this.parquetThread !== null && this.parquetThread !== thread) continue;
      this.order[k] = -1;
      if (k === this.next) this.next++;
      if (p.file >= this.failedFile) continue;
      if (p.parquet) this.parquetThread = thread;
      return i;
    }
    return -1;
  }

  settle(i: number, result: PieceResult | null): void {
    if (result !== null) this.results[i] = result;
    else this.failedFile = Math.min(this.failedFile, this.pieces[i]!.file);
  }
}

type RunPiece = (task: PieceTask, env?: Environment) => Promise<PieceResult>;

/**
 * A worker thread from its start: `ready` when it says so (its first message), `failed` on an
 * error or an exit, whenever they come, so a worker started before its pieces were planned loses
 * neither. Started unreferenced (a command that fails before its pieces run exits as usual) and
 * referenced when its loop begins.
 */
class StartedWorker {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  readonly failed: Promise<never>;

  constructor(readonly script: URL) {
    const w = new Worker(script, WORKER_OPTIONS);
    this.worker = w;
    this.ready = new Promise((ok) => w.once('message', () => ok()));
    this.failed = new Promise((_, fail) => {
      w.on('error', fail);
      w.once('exit', (code) =>
        fail(new Error(`a worker thread exited (${code}) before its pieces were done`)),
      );
    });
    // Observed by the worker's loop; a failure after the loop ended (terminate) is nobody's.
    this.failed.catch(() => undefined);
    w.unref();
  }
}

/** Workers started by {@link startFileWorkers} and not yet taken by {@link runFileJobs}. */
let early: StartedWorker[] = [];

/**
 * Starts the workers of a coming {@link runFileJobs} on `threads` threads now, so that their
 * start (a V8 isolate and its modules, 60 to 100 ms of CPU) runs on the other cores while this
 * thread does its own setting up: reading and checking an environment, planning the pieces. A
 * command calls it as soon as it knows it will spread its inputs; the workers are taken by the
 * next runFileJobs with the same script, and cost nothing but their start if it never comes.
 */
export function startFileWorkers(threads: number): void {
  const script = workerScript();
  if (script === null) return;
  while (early.length < Math.min(threads, MAX_THREADS) - 1) early.push(new StartedWorker(script));
}

/** `n` workers running `script` (none: null): those started early first, surplus ones stopped. */
function takeWorkers(n: number, script: URL | null): StartedWorker[] {
  const taken = early.filter((w) => w.script.href === script?.href).slice(0, n);
  for (const w of early) if (!taken.includes(w)) void w.worker.terminate();
  early = [];
  while (script !== null && taken.length < n) taken.push(new StartedWorker(script));
  for (const w of taken) w.worker.ref();
  return taken;
}

/** A worker's share: pieces one at a time from when it says it is ready until none are left. */
function workerLoop(sw: StartedWorker, jobs: readonly FileJob[], q: PieceQueue): Promise<void> {
  const w = sw.worker;
  const tag = `worker ${w.threadId}`;
  return new Promise<void>((resolve, reject) => {
    sw.failed.catch(reject);
    const sent = new Set<string>();
    const give = () => {
      const i = q.take(tag);
      if (i < 0) return resolve();
      const piece = q.pieces[i]!;
      const job = jobs[piece.file]!;
      // The environment crosses once per worker: each piece names it by key.
      const env = job.kind === 'flow-classify' && !sent.has(job.envKey) ? job.env : undefined;
      if (job.kind === 'flow-classify') sent.add(job.envKey);
      w.postMessage({ id: i, task: taskOf(job, piece), ...(env ? { env } : {}) } satisfies JobMessage);
    };
    w.on('message', (m: JobReply) => {
      if (!('id' in m)) return;
      q.settle(m.id, 'result' in m ? m.result : null);
      give();
    });
    void sw.ready.then(give);
  });
}

/** This thread's share: pieces in turn while workers take theirs between its reads. */
async function localLoop(jobs: readonly FileJob[], q: PieceQueue, run: RunPiece): Promise<void> {
  for (let i = q.take('this'); i >= 0; i = q.take('this')) {
    const piece = q.pieces[i]!;
    const job = jobs[piece.file]!;
    q.settle(i, await run(taskOf(job, piece), envOf(job)).catch(() => null));
  }
}

/**
 * One file's pieces added up in order: line numbers of reject samples shifted by the lines of
 * the ranges before, and a range read again when the format it assumed is not the one the range
 * before it ended with (a header line in the middle of the file). Null when that rereading fails.
 */
async function mergeFile(
  job: FileJob,
  pieces: readonly { piece: FilePiece; result: PieceResult }[],
  run: RunPiece,
): Promise<FileJobResult | null> {
  const paths: Record<string, number> = {};
  const rejects = new RejectCounter();
  let records = 0;
  let unclassified = 0;
  let lines = 0;
  let inForce: string | null = null;
  for (const { piece, result } of pieces) {
    let r = result;
    if (piece.startSpec !== undefined && inForce !== null && piece.startSpec !== inForce && !job.format) {
      const again = await run(taskOf(job, piece, inForce), envOf(job)).catch(() => null);
      if (again === null) return null;
      r = again;
    }
    records += r.records;
    unclassified += r.unclassified;
    for (const [path, n] of Object.entries(r.paths)) paths[path] = (paths[path] ?? 0) + n;
    rejects.merge(r.rejects, lines);
    lines += r.lines;
    inForce = r.endSpec;
  }
  return { records, paths, unclassified, rejects };
}

/** How {@link runFileJobs} spreads pieces; the CLI's commands pass none. */
export interface RunFileJobsOptions {
  /**
   * The worker script to start.
   * @default dist/file-worker.mjs beside the bundle; none when running from the sources
   */
  readonly workerScript?: URL;
  /**
   * Whether this thread reads pieces too while its workers start. False leaves every piece to the
   * workers, so each result crosses a thread boundary even on inputs this thread would have read
   * before a worker was ready.
   * @default true
   */
  readonly thisThreadReads?: boolean;
}

/**
 * Runs `jobs` on `threads` threads (this one and `threads - 1` workers): each plain-text file
 * split at line boundaries into byte ranges, other files whole, pieces handed out as threads free
 * up, and returns the results in file order, exactly what reading the files in turn counts. A
 * file a piece failed on ends the list: `failedAt` is its index, the results before it are kept,
 * so the caller rereads that file in its own thread and fails exactly as reading in turn would.
 */
export async function runFileJobs(
  jobs: readonly FileJob[],
  threads: number,
  options: RunFileJobsOptions = {},
): Promise<{ results: FileJobResult[]; failedAt: number | null }> {
  const plan = await planFilePieces(
    jobs.map((j) => j.file),
    threads,
  );
  const flat = plan.flat();
  const { runPiece } = await import('./file-piece-run.js');
  const q = new PieceQueue(flat);
  // Parquet pieces count as one: they run on one thread.
  const parquet = flat.filter((p) => p.parquet).length;
  const n = Math.min(threads - 1, flat.length - Math.max(0, parquet - 1) - 1);
  const script = n > 0 ? (options.workerScript ?? workerScript()) : null;
  if (n > 0 && script === null) throw new Error('worker script missing: run the built CLI');
  const workers = takeWorkers(n, script);
  try {
    const local = n > 0 && options.thisThreadReads === false ? [] : [localLoop(jobs, q, runPiece)];
    await Promise.all([...local, ...workers.map((w) => workerLoop(w, jobs, q))]);
  } finally {
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
  const results: FileJobResult[] = [];
  let at = 0;
  for (const [f, pieces] of plan.entries()) {
    const done = pieces.map((piece, k) => ({ piece, result: q.results[at + k]! }));
    at += pieces.length;
    if (f >= q.failedFile) break;
    const merged = await mergeFile(jobs[f]!, done, runPiece);
    if (merged === null) return { results, failedAt: f };
    results.push(merged);
  }
  return { results, failedAt: Number.isFinite(q.failedFile) ? q.failedFile : null };
}
