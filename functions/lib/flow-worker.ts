// Worker thread of the analyze function (dist/functions/analyze/flow-worker.mjs, beside
// index.mjs): reads the S3 flow-log objects its thread hands it (functions/lib/flow-pool.ts).
import { parentPort } from 'node:worker_threads';
import { serveFlowJobs } from './flow-worker-jobs.js';

if (parentPort) serveFlowJobs(parentPort);
