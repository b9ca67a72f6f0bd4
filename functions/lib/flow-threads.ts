// How many worker threads the analyze function reads S3 flow-log objects on, and how they start.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FlowWorker } from './flow-pool.js';

/**
 * Lambda gives a function CPU in proportion to its memory: at 1,769 MB the equivalent of one
 * vCPU (one vCPU-second of credit per second; Lambda developer guide, "Configure Lambda function
 * memory"). The cores the function sees are not that share: a 1,024 MB function may see two
 * cores and get 0.58 of one, where a second thread only takes turns.
 */
const MB_PER_VCPU = 1769;
/**
 * Memory kept for the function's own thread (SDK clients, downloads in flight, the correlator and
 * the evidence bundles): the analyze function ran in 1,024 MB with one thread.
 */
const OWN_THREAD_MB = 512;
/**
 * A 16 MB young generation, as the CLI's workers: 4 MB made parsing workers collect so often that
 * they took 1.47x the CPU time (docs/benchmarks.md, "Every core").
 */
const YOUNG_GENERATION_MB = 16;

/** Worker threads to read on, and how to start one. */
export interface FlowThreads {
  readonly count: number;
  readonly start: () => FlowWorker & { terminate(): Promise<unknown> };
}

/**
 * Worker threads for `memoryMb` of Lambda memory on `cores` cores: the vCPU share rounded
 * (2 from 2,654 MB, 3 from 4,423 MB, ...), never more than the cores, and none below a share of
 * 1.5 vCPU or on one core, where a worker's start (60 to 100 ms of CPU) would not be repaid.
 *
 * @example flowWorkerCount(3538, 2) // 2
 */
export function flowWorkerCount(memoryMb: number, cores: number): number {
  const share = memoryMb / MB_PER_VCPU;
  if (!Number.isFinite(share) || share < 1.5 || cores < 2) return 0;
  return Math.min(cores, Math.round(share));
}

/**
 * Old-generation heap of each of `workers` workers in `memoryMb`: what the function's own thread
 * leaves, shared. A worker over it stops with ERR_WORKER_OUT_OF_MEMORY (its object's source fails
 * with that reason) instead of the whole function being stopped at its memory limit. At 3,538 MB,
 * two workers get 1,513 MB each: a Parquet object (AWS closes one at 75 MB; at most 256 MB is read)
 * held whole with one decoded row group, or a text object's few MB of buffers.
 */
export function workerHeapMb(memoryMb: number, workers: number): number {
  return Math.max(64, Math.floor((memoryMb - OWN_THREAD_MB) / Math.max(1, workers)));
}

/**
 * The analyze function's flow threads from its environment (AWS_LAMBDA_FUNCTION_MEMORY_SIZE, set
 * by Lambda) and its cores, or null: too little memory, one core, or no worker script beside the
 * running bundle (running from the sources, as tests do).
 */
export function lambdaFlowThreads(
  env: NodeJS.ProcessEnv = process.env,
  script: URL = new URL('./flow-worker.mjs', import.meta.url),
): FlowThreads | null {
  const memoryMb = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  const count = flowWorkerCount(memoryMb, availableParallelism());
  if (count === 0 || !existsSync(fileURLToPath(script))) return null;
  const resourceLimits = {
    maxYoungGenerationSizeMb: YOUNG_GENERATION_MB,
    maxOldGenerationSizeMb: workerHeapMb(memoryMb, count),
  };
  return { count, start: () => new Worker(script, { resourceLimits }) };
}
