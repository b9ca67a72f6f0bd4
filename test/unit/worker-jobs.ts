// Runs file jobs with every piece on a worker thread of the built CLI (dist/file-worker.mjs, which
// the calling test builds), for comparison with reading the files in turn in this thread.
import { pathToFileURL } from 'node:url';
import { type FileJob, type FileJobResult, runFileJobs } from '../../functions/cli/file-jobs.js';
import { loadEnvironmentFile } from '../../functions/lib/environment-file.js';

const WORKER_SCRIPT = pathToFileURL('dist/file-worker.mjs');

type Outcome = { results: FileJobResult[]; failedAt: number | null };

/** `jobs` on `threads - 1` workers, none read in this thread: each result crosses a thread boundary. */
export const onWorkersOnly = (jobs: readonly FileJob[], threads: number): Promise<Outcome> =>
  runFileJobs(jobs, threads, { workerScript: WORKER_SCRIPT, thisThreadReads: false });

/** `jobs` read in turn in this thread, as `--jobs 1` reads them. */
export const inTurn = (jobs: readonly FileJob[]): Promise<Outcome> => runFileJobs(jobs, 1);

/** The jobs of `parse flow --count` (`format`: its --format) over `files`. */
export const flowCountJobs = (files: readonly string[], format?: string): FileJob[] =>
  files.map((file) => ({ kind: 'flow-count', file, ...(format ? { format } : {}) }));

/** The jobs of `parse s3-access --count` over `files`. */
export const accessCountJobs = (files: readonly string[]): FileJob[] =>
  files.map((file) => ({ kind: 'access-count', file }));

/** The jobs of `classify --summary --env envFile --flow files...`. */
export async function flowClassifyJobs(envFile: string, files: readonly string[]): Promise<FileJob[]> {
  const env = await loadEnvironmentFile(envFile);
  return files.map((file) => ({ kind: 'flow-classify', file, env, envKey: envFile }));
}
