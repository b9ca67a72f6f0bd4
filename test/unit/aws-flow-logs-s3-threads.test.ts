import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3FlowLogSource } from '../../functions/aws/flow-logs-s3.js';
import { ThreadedS3FlowLogSource } from '../../functions/aws/flow-logs-s3-threads.js';
import { flowLogSourceFor } from '../../functions/lib/flow-log-source.js';
import type { FlowThreads } from '../../functions/lib/flow-threads.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { s3Body } from './aws-fakes.js';
import { ADDRESSES, collectOut, flowObjects, inProcessWorker, inTurn } from './flow-pool-fixtures.js';

const s3 = mockClient(S3Client);
beforeEach(() => s3.reset());

const loc = { bucket: 'flow-logs-bucket', prefix: '', accountId: '123456789012', region: 'us-east-1' };
const DAY = 'AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/25/';
const objects = new Map([...flowObjects()].map(([k, v]) => [k.replace('AWSLogs/', DAY), v]));
const query = {
  window: { from: new Date('2026-11-25T10:00:00Z'), to: new Date('2026-11-25T10:20:00Z') },
  addresses: ADDRESSES,
};

/** The bucket: one listing page, each object's body in 1,000-byte chunks. */
function bucket(keys: string[]) {
  s3.on(ListObjectsV2Command).resolves({ Contents: keys.map((Key) => ({ Key })) });
  s3.on(GetObjectCommand).callsFake(async (input: { Key: string }) => {
    const bytes = objects.get(input.Key)!;
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 1000) chunks.push(bytes.subarray(i, i + 1000));
    return { ETag: '"e1"', Body: s3Body(chunks) };
  });
}

function threads(): FlowThreads & { started: number } {
  const t = {
    started: 0,
    count: 2,
    start: () => {
      t.started++;
      return inProcessWorker();
    },
  };
  return t;
}

describe('S3 flow logs on worker threads', () => {
  it('lists and downloads here, parses on the workers, and gives what the one-thread source gives', async () => {
    // Prepare
    bucket([...objects.keys()]);
    const rejects = new RejectCounter();
    const t = threads();
    const source = new ThreadedS3FlowLogSource(
      new S3FlowLogSource(new S3Client({}), loc, rejects),
      t,
      rejects,
    );
    // Act
    const got = await collectOut(source.findFlows(query));
    // Assess
    const want = await inTurn(objects);
    expect(t.started).toBe(2);
    expect(got.kept).toEqual(want.kept);
    expect(got.read).toBe(want.read);
    expect({ ...rejects }).toEqual({ ...want.rejects });
    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key)).toEqual([...objects.keys()]);
  });

  it('reads a lone object in this thread, starting no worker', async () => {
    const key = [...objects.keys()][1]!;
    bucket([key]);
    const rejects = new RejectCounter();
    const t = threads();
    const source = new ThreadedS3FlowLogSource(
      new S3FlowLogSource(new S3Client({}), loc, rejects),
      t,
      rejects,
    );
    const got = await collectOut(source.findFlows(query));
    expect(t.started).toBe(0);
    expect(got.read).toBe((await inTurn(new Map([[key, objects.get(key)!]]))).read);
  });

  it('is what the analyze function chooses for the granted S3 delivery when it has threads', () => {
    const base = {
      enabled: true,
      where: { flowLogS3: { bucket: 'flow-logs-bucket', prefix: '' } },
      flowLogs: [],
      runnerSubnetIds: [],
      vpcIds: [],
      account: { accountId: '123456789012', region: 'us-east-1' },
      clients: { s3: new S3Client({}), cwl: {} as never },
      rejects: new RejectCounter(),
    };
    expect(flowLogSourceFor({ ...base, threads: threads() })).toBeInstanceOf(ThreadedS3FlowLogSource);
    expect(flowLogSourceFor({ ...base, threads: null })).toBeInstanceOf(S3FlowLogSource);
  });
});
