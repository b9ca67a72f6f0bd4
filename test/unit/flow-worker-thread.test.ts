import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOnWorkers } from '../../functions/lib/flow-pool.js';
import { lambdaFlowThreads } from '../../functions/lib/flow-threads.js';
// @ts-expect-error: a plain .mjs build script without types
import { buildTarget, targets } from '../../scripts/build-targets.mjs';
import { RejectCounter } from '../../shared/text/rejects.js';
import { ADDRESSES, collectOut, flowObjects, inTurn } from './flow-pool-fixtures.js';

// The worker as Lambda runs it: the bundle beside the handler, started as a real thread.
const dir = mkdtempSync(join(tmpdir(), 'pathguard-flow-worker-'));
const script = join(dir, 'flow-worker.mjs');
const objects = flowObjects();

beforeAll(async () => {
  const t = (targets as { name: string }[]).find((x) => x.name === 'analyze-flow-worker');
  await buildTarget(t, { define: { __PATHGUARD_VERSION__: '"test"' }, outfile: script });
  for (const [key, bytes] of objects) writeFileSync(join(dir, key.replace('AWSLogs/', '')), bytes);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the analyze function reading flow logs on worker threads', () => {
  // Two workers need two cores (flowWorkerCount never starts more threads than cores).
  it.skipIf(availableParallelism() < 2)(
    'reads local files on real worker threads with the records, counts and rejects of one thread',
    async () => {
      // Prepare: 3,538 MB is two vCPUs' worth (1,769 MB each).
      const threads = lambdaFlowThreads({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '3538' }, pathToFileURL(script));
      expect(threads?.count).toBe(2);
      const workers = [threads!.start(), threads!.start()];
      const rejects = new RejectCounter();
      // Act: file streams in 1,000-byte chunks stand in for the download (as the reference reads).
      const got = await collectOut(
        readOnWorkers(workers, {
          keys: [...objects.keys()],
          bytesOf: (key) => createReadStream(join(dir, key.replace('AWSLogs/', '')), { highWaterMark: 1000 }),
          addresses: ADDRESSES,
          rejects,
        }),
      ).finally(() => Promise.all(workers.map((w) => w.terminate())));
      // Assess
      const want = await inTurn(objects);
      expect(got.kept).toEqual(want.kept);
      expect(got.read).toBe(want.read);
      expect({ ...rejects }).toEqual({ ...want.rejects });
    },
    60_000,
  );

  it('starts no worker below two vCPUs of memory, or without the worker script', () => {
    expect(lambdaFlowThreads({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024' }, pathToFileURL(script))).toBeNull();
    expect(lambdaFlowThreads({}, pathToFileURL(script))).toBeNull();
    expect(
      lambdaFlowThreads({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '3538' }, pathToFileURL(join(dir, 'missing.mjs'))),
    ).toBeNull();
  });
});
