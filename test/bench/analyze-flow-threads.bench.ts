// The analyze function's S3 flow-log source with one thread and on two worker threads
// (functions/aws/flow-logs-s3-threads.ts): the same gzip objects, downloaded by the real S3 client
// from a stand-in on loopback over HTTP, read whole for one query, runs alternating. Wall time and
// the process's CPU time (every thread), medians. The worker script is the release bundle, built
// into a temp folder first.
//
// BENCH_FLOW_OBJECTS (default 4) objects of BENCH_FLOW_OBJECT_RECORDS (default 250,000) records;
// BENCH_FLOW_THREAD_RUNS (default 3) runs per row. `npm run bench -- analyze-flow-threads` alone.

import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { S3Client } from '@aws-sdk/client-s3';
import { S3FlowLogSource } from '../../functions/aws/flow-logs-s3.js';
import { ThreadedS3FlowLogSource } from '../../functions/aws/flow-logs-s3-threads.js';
import { lambdaFlowThreads } from '../../functions/lib/flow-threads.js';
// @ts-expect-error: a plain .mjs build script without types
import { buildTarget, targets } from '../../scripts/build-targets.mjs';
import type { FlowLogSource } from '../../shared/ports/index.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { flowLine, rng, V5_FIELDS } from './flow-data.js';

const OBJECTS = Number(process.env.BENCH_FLOW_OBJECTS ?? 4);
const RECORDS = Number(process.env.BENCH_FLOW_OBJECT_RECORDS ?? 250_000);
const RUNS = Number(process.env.BENCH_FLOW_THREAD_RUNS ?? 3);
const DAY = 'AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/25/';

/** Gzip objects as AWS delivers them, five minutes apart. */
function objects(): Map<string, Buffer> {
  const r = rng(0xf10);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < OBJECTS; i++) {
    const lines = [V5_FIELDS];
    for (let n = 0; n < RECORDS; n++) lines.push(flowLine(r, 1_795_600_800 + ((n / 2000) | 0)));
    const mm = String(i * 5).padStart(2, '0');
    const key = `${DAY}123456789012_vpcflowlogs_us-east-1_fl-0b1_20261125T10${mm}Z_${i}.log.gz`;
    out.set(key, gzipSync(`${lines.join('\n')}\n`));
  }
  return out;
}

/** S3 on loopback: ListObjectsV2 of the day folder and GetObject of each object. */
async function bucket(objs: Map<string, Buffer>) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    res.setHeader('x-amz-request-id', 'bench');
    if (url.searchParams.get('list-type') === '2') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const keys = [...objs.keys()].filter((k) => k.startsWith(prefix));
      res.setHeader('content-type', 'application/xml');
      return res.end(
        `<ListBucketResult><KeyCount>${keys.length}</KeyCount><IsTruncated>false</IsTruncated>${keys.map((k) => `<Contents><Key>${k}</Key></Contents>`).join('')}</ListBucketResult>`,
      );
    }
    const body = objs.get(decodeURIComponent(url.pathname.replace(/^\/flow-logs\//, '')));
    if (!body) {
      res.statusCode = 404;
      return res.end('<Error><Code>NoSuchKey</Code></Error>');
    }
    res.setHeader('etag', '"bench"');
    res.setHeader('content-length', body.length);
    res.end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export default async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pg-flow-threads-'));
  const script = join(dir, 'flow-worker.mjs');
  const worker = (targets as { name: string }[]).find((t) => t.name === 'analyze-flow-worker');
  await buildTarget(worker, { define: { __PATHGUARD_VERSION__: '"bench"' }, outfile: script });
  const objs = objects();
  const server = await bucket(objs);
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' },
  });
  const loc = { bucket: 'flow-logs', prefix: '', accountId: '123456789012', region: 'us-east-1' };
  // Two vCPUs' worth of Lambda memory (1,769 MB each): two workers on this machine's two cores.
  const threads = lambdaFlowThreads({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '3538' }, pathToFileURL(script))!;
  const sources: Record<string, () => FlowLogSource> = {
    'one thread (S3FlowLogSource)': () => new S3FlowLogSource(s3, loc, new RejectCounter()),
    // One worker: what a worker costs beside the thread's own reading, without two threads at once.
    '1 worker (ThreadedS3FlowLogSource)': () => {
      const rejects = new RejectCounter();
      return new ThreadedS3FlowLogSource(
        new S3FlowLogSource(s3, loc, rejects),
        { ...threads, count: 1 },
        rejects,
      );
    },
    [`${threads.count} workers (ThreadedS3FlowLogSource)`]: () => {
      const rejects = new RejectCounter();
      return new ThreadedS3FlowLogSource(new S3FlowLogSource(s3, loc, rejects), threads, rejects);
    },
  };
  const query = {
    window: { from: new Date('2026-11-25T10:00:00Z'), to: new Date('2026-11-25T10:20:00Z') },
    addresses: ['10.0.3.77', '52.216.8.100'],
  };
  const times = new Map<string, { wall: number[]; cpu: number[]; read: number }>();
  for (let i = 0; i < RUNS; i++) {
    for (const [name, make] of Object.entries(sources)) {
      const t0 = performance.now();
      const c0 = cpuSeconds();
      let read = 0;
      for await (const b of make().findFlows(query)) read += Array.isArray(b) ? b.length : b.passedOver;
      const row = times.get(name) ?? { wall: [], cpu: [], read };
      row.wall.push((performance.now() - t0) / 1000);
      row.cpu.push(cpuSeconds() - c0);
      times.set(name, row);
    }
  }
  server.close();
  rmSync(dir, { recursive: true, force: true });
  const mb = [...objs.values()].reduce((n, b) => n + b.length, 0) / 1e6;
  console.log(
    `${OBJECTS} gzip objects of ${RECORDS} v5 records (${mb.toFixed(1)} MB), medians of ${RUNS} alternating runs`,
  );
  console.log('| source | records read | wall s | CPU s (all threads) | records/s (wall) |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [name, t] of times) {
    const wall = median(t.wall);
    console.log(
      `| ${name} | ${t.read} | ${wall.toFixed(3)} | ${median(t.cpu).toFixed(3)} | ${Math.round(t.read / wall).toLocaleString('en-US')} |`,
    );
  }
}
