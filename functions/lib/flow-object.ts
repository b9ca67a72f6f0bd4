// One S3-delivered flow-log object, from its bytes to its records: what the analyze function's S3
// source does in its own thread and what its worker threads do (functions/lib/flow-worker.ts).
// No AWS SDK here: a worker imports this module and must stay light.
import { FlowLogStreamParser } from '../../shared/flow-logs/index.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { parseError } from '../../shared/result.js';
import type { RejectCounter } from '../../shared/text/rejects.js';
import { readCloudWatchEvents } from './cloudwatch-export.js';
import { collectParquetBytes, FLOW_PARQUET_CODECS, ParquetTooLargeError } from './flow-parquet.js';
import { gunzipIfGzip, isZlibError } from './gzip-stream.js';
import { sniffFirstByte } from './input.js';

/** Records per batch handed to the caller. */
const BATCH = 4096;

/**
 * The records of one flow-log object, in batches, from its raw bytes (gzip or not): Parquet by
 * its `.parquet` name (read whole: the footer is at the end), CloudWatch Logs subscription
 * payloads a Firehose stream wrote by a leading `{`, else text whose first line is the header.
 * A damaged gzip or Parquet object is counted in `rejects` (`BAD_ENCODING`, `BAD_FORMAT`) after
 * the records before the damage; an error of `bytes` itself (the download) is thrown.
 *
 * @example
 * for await (const batch of readFlowObject(key, gunzipIfGzip(s3ObjectBytes(s3, bucket, key)), rejects)) use(batch);
 */
export async function* readFlowObject(
  key: string,
  bytes: AsyncIterable<Buffer>,
  rejects: RejectCounter,
): AsyncGenerator<FlowRecord[]> {
  if (key.endsWith('.parquet')) yield* readParquetObject(key, bytes, rejects);
  else yield* readTextObject(key, bytes, rejects);
}

async function* readParquetObject(
  key: string,
  bytes: AsyncIterable<Buffer>,
  rejects: RejectCounter,
): AsyncGenerator<FlowRecord[]> {
  let whole: Buffer;
  try {
    whole = await collectParquetBytes(gunzipIfGzip(bytes));
  } catch (e) {
    if (e instanceof ParquetTooLargeError) {
      rejects.add(key, 0, parseError('BAD_FORMAT', e.message));
      return;
    }
    if (!isZlibError(e)) throw e;
    rejects.add(key, 0, parseError('BAD_ENCODING', `unreadable gzip: ${(e as Error).message}`));
    return;
  }
  // hyparquet loads with the first Parquet object, not with this module.
  const { FlowParquetReader } = await import('../../shared/flow-logs/parquet.js');
  const reader = new FlowParquetReader(whole, { source: key, rejects, compressors: FLOW_PARQUET_CODECS });
  yield* reader.batches();
  if (reader.failure) rejects.add(key, reader.failure.row, reader.failure.error);
}

async function* readTextObject(
  key: string,
  bytes: AsyncIterable<Buffer>,
  rejects: RejectCounter,
): AsyncGenerator<FlowRecord[]> {
  const batch: FlowRecord[] = [];
  // S3-delivered text files start with their header line: it gives the format.
  const parser = new FlowLogStreamParser({ source: key, rejects, onRecord: (r) => batch.push(r) });
  try {
    const text = await sniffFirstByte(gunzipIfGzip(bytes));
    if (text.firstByte === 0x7b) {
      for await (const ev of readCloudWatchEvents(text.chunks, { source: key, rejects })) {
        parser.pushLine(ev.message);
        if (batch.length >= BATCH) yield batch.splice(0, batch.length);
      }
    } else {
      for await (const chunk of text.chunks) {
        parser.push(chunk);
        // Each chunk's records at once (an inflated chunk is 16 KiB, about 65 v5 records): a
        // batch kept until 4,096 records outlived young-generation collections and was copied
        // and promoted (see read-flow.ts).
        if (batch.length > 0) yield batch.splice(0, batch.length);
      }
      parser.end();
    }
  } catch (e) {
    if (!isZlibError(e)) throw e;
    // Damaged gzip: keep what was read before the damage, count the object, read the next one.
    rejects.add(
      key,
      parser.records + 1,
      parseError('BAD_ENCODING', `unreadable gzip: ${(e as Error).message}`),
    );
  }
  if (batch.length > 0) yield batch;
}
