// Worker thread of the CLI (dist/file-worker.mjs): runs FileJobs for `parse flow --count` and
// `classify --summary` given several files, one file at a time, and replies with its counts.
import { parentPort } from 'node:worker_threads';
import { classifyFlowRecord, FLOW_CLASSIFICATION_FIELDS } from '../../shared/classify/index.js';
import { buildEnvironmentIndex, type EnvironmentIndex } from '../../shared/env/environment-index.js';
import type { Environment } from '../../shared/env/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { countFlowRecords, readFlowRecords, resolveFlowFormat } from '../lib/read-flow.js';
import type { FileJob, FileJobResult, JobMessage, JobReply } from './file-jobs.js';

/** The environment index, built once per worker from the environment the CLI validated. */
let index: { key: string; idx: EnvironmentIndex } | null = null;

function environmentIndex(key: string, env: Environment): EnvironmentIndex {
  if (index?.key !== key) index = { key, idx: buildEnvironmentIndex(env) };
  return index.idx;
}

async function run(job: FileJob): Promise<FileJobResult> {
  const rejects = new RejectCounter();
  const format = resolveFlowFormat(job.format);
  const opts = { rejects, ...(format ? { format } : {}) };
  if (job.kind === 'flow-count') {
    const records = await countFlowRecords(job.file, opts);
    return { records, paths: {}, unclassified: 0, rejects };
  }
  const idx = environmentIndex(job.envKey, job.env);
  const paths: Record<string, number> = {};
  let records = 0;
  let unclassified = 0;
  for await (const batch of readFlowRecords(job.file, { ...opts, fields: FLOW_CLASSIFICATION_FIELDS })) {
    records += batch.length;
    for (const r of batch) {
      const d = classifyFlowRecord(r, idx);
      if (d === null) unclassified++;
      else paths[d.path] = (paths[d.path] ?? 0) + 1;
    }
  }
  return { records, paths, unclassified, rejects };
}

parentPort?.on('message', ({ id, job }: JobMessage) => {
  run(job).then(
    (result) => parentPort?.postMessage({ id, result } satisfies JobReply),
    // The CLI reruns a failed file in its own thread, which reports the error as usual.
    () => parentPort?.postMessage({ id, failed: true } satisfies JobReply),
  );
});
