import type { FlowRecord } from '../../shared/flow-logs/types.js';
import type { FlowLogSource, FlowQuery, FlowRecordsPassedOver } from '../../shared/ports/index.js';
import type { RejectCounter } from '../../shared/text/rejects.js';
import type { FlowThreads } from '../lib/flow-threads.js';
import type { S3FlowLogSource } from './flow-logs-s3.js';

/**
 * Flow logs delivered to S3, read on worker threads: {@link S3FlowLogSource} lists the window's
 * objects and downloads each; workers inflate and parse them, one object per worker at a time,
 * and hand back the records holding a query address (the others cannot match a probe and are
 * counted). Records, counts and rejects come out in key order, as reading in turn gives them.
 * One object is read in this thread: a worker's start would not be repaid.
 */
export class ThreadedS3FlowLogSource implements FlowLogSource {
  readonly name: string;
  readonly readsWholeWindow = true;

  constructor(
    private readonly source: S3FlowLogSource,
    private readonly threads: FlowThreads,
    /** The counter `source` was built with. */
    private readonly rejects: RejectCounter,
  ) {
    this.name = source.name;
  }

  async *findFlows(query: FlowQuery): AsyncIterable<FlowRecord[] | FlowRecordsPassedOver> {
    const keys: string[] = [];
    for await (const key of this.source.candidateKeys(query.window.from, query.window.to)) keys.push(key);
    if (keys.length < 2) {
      for (const key of keys) yield* this.source.readObject(key);
      return;
    }
    // The pool loads with the first run that uses it, not with the function.
    const { readOnWorkers } = await import('../lib/flow-pool.js');
    const workers = Array.from({ length: Math.min(this.threads.count, keys.length) }, this.threads.start);
    try {
      yield* readOnWorkers(workers, {
        keys,
        bytesOf: (key) => this.source.objectBytes(key),
        addresses: query.addresses,
        rejects: this.rejects,
      });
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  }
}
