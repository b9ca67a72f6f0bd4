// Flow-log objects and worker stand-ins for the analyze function's flow-thread tests.
import { EventEmitter } from 'node:events';
import { MessageChannel } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { writeFlowParquet } from '../../functions/lab/flow-parquet-writer.js';
import { readFlowObject } from '../../functions/lib/flow-object.js';
import type { FlowWorker } from '../../functions/lib/flow-pool.js';
import { type FlowJobPort, serveFlowJobs } from '../../functions/lib/flow-worker-jobs.js';
import { flowAddressFilter } from '../../shared/evidence/flow-queries.js';
import { FlowLogStreamParser } from '../../shared/flow-logs/index.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';

/** The runner and the S3 address it reached: what the run's query asks for. */
export const ADDRESSES = ['10.0.1.77', '52.216.8.100'];
export const HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id pkt-srcaddr pkt-dstaddr';
const t = Date.UTC(2026, 10, 25, 10, 0) / 1000;

/**
 * `n` v5-style records of a busy VPC: every seventh is the runner's request to S3, every
 * eleventh the reply seen at an endpoint ENI by its packet-level address only, the rest other
 * hosts and other S3 addresses; every 97th line is damaged (a reject).
 */
export function flowText(n: number, seed: number): string {
  const lines = [HEADER];
  for (let i = 0; i < n; i++) {
    const port = 30000 + ((i * 7 + seed * 131) % 30000);
    if (i % 97 === 96) lines.push(`5 123456789012 eni-0a1 10.0.1.${i % 200} 52.216.9.9 ${port} 443 6 x`);
    else if (i % 7 === 0)
      lines.push(
        `5 123456789012 eni-0lambda000000000a 10.0.1.77 52.216.8.100 ${port} 443 6 10 840 ${t + i} ${t + i + 59} ACCEPT OK vpc-0a 10.0.1.77 52.216.8.100`,
      );
    else if (i % 11 === 0)
      lines.push(
        `5 123456789012 eni-0vpce0000000000a 10.0.1.50 10.0.1.${i % 200} 443 ${port} 6 10 840 ${t + i} ${t + i + 59} ACCEPT OK vpc-0a ::ffff:52.216.8.100 10.0.1.${i % 200}`,
      );
    else
      lines.push(
        `5 123456789012 eni-0other00000000000 10.0.2.${i % 250} 52.216.${i % 50}.${i % 250} ${port} 443 6 10 840 ${t + i} ${t + i + 59} ACCEPT OK vpc-0a 10.0.2.${i % 250} 52.216.${i % 50}.${i % 250}`,
      );
  }
  return `${lines.join('\n')}\n`;
}

/** The records of a text body, as AWS would deliver them in Parquet. */
export function parquetOf(text: string): Uint8Array {
  const recs: FlowRecord[] = [];
  const parser = new FlowLogStreamParser({
    source: 'p',
    rejects: new RejectCounter(),
    onRecord: (r) => recs.push(r),
  });
  parser.push(Buffer.from(text));
  parser.end();
  return writeFlowParquet(recs, parser.format, { rowGroupSize: 500 });
}

/** Objects of every kind the S3 reader meets: gzip and plain text, Parquet, a truncated gzip. */
export function flowObjects(): Map<string, Buffer> {
  const gz = gzipSync(flowText(900, 4));
  return new Map([
    ['AWSLogs/a_20261125T1000Z_1.log.gz', gzipSync(flowText(3000, 1))],
    ['AWSLogs/a_20261125T1005Z_2.log', Buffer.from(flowText(500, 2))],
    ['AWSLogs/a_20261125T1010Z_3.log.parquet', Buffer.from(parquetOf(flowText(1200, 3)))],
    ['AWSLogs/a_20261125T1015Z_4.log.gz', gz.subarray(0, Math.floor(gz.length * 0.6))],
    ['AWSLogs/a_20261125T1020Z_5.log.gz', gzipSync(flowText(2500, 5))],
  ]);
}

/** An object's bytes in chunks of `size`, as a download delivers them. */
export async function* chunked(bytes: Buffer, size = 1000, delayMs = 0): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) {
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    yield bytes.subarray(i, i + size);
  }
}

/** What reading the objects in turn in one thread gives: the matching records, all records, rejects. */
export async function inTurn(objects: Map<string, Buffer>) {
  const rejects = new RejectCounter();
  const mayMatch = flowAddressFilter(ADDRESSES);
  const kept: FlowRecord[] = [];
  let read = 0;
  for (const [key, bytes] of objects) {
    for await (const batch of readFlowObject(key, chunked(bytes, 1000), rejects)) {
      read += batch.length;
      kept.push(...batch.filter(mayMatch));
    }
  }
  return { kept, read, rejects };
}

/** Collects what a threaded read yields: records in order and the records passed over. */
export async function collectOut(it: AsyncIterable<FlowRecord[] | { passedOver: number }>) {
  const kept: FlowRecord[] = [];
  let passedOver = 0;
  for await (const b of it) {
    if (Array.isArray(b)) kept.push(...b);
    else passedOver += b.passedOver;
  }
  return { kept, read: kept.length + passedOver };
}

/**
 * A worker in this thread: the pool on one end of a MessageChannel, the worker's code on the
 * other, so every message crosses a structured clone as with a thread. `events` emits the
 * thread's `error` and `exit`.
 */
export function inProcessWorker(): FlowWorker & { terminate(): Promise<void>; events: EventEmitter } {
  const { port1, port2 } = new MessageChannel();
  serveFlowJobs(port2 as unknown as FlowJobPort);
  const events = new EventEmitter();
  return {
    events,
    postMessage: (m, transfer) => port1.postMessage(m, transfer as ArrayBuffer[] | undefined),
    on: (event: string, listener: (x: unknown) => void) =>
      event === 'message' ? port1.on('message', listener) : events.on(event, listener),
    terminate: async () => {
      port1.close();
      port2.close();
    },
  } as FlowWorker & { terminate(): Promise<void>; events: EventEmitter };
}
