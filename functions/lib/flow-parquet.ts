import { type FileHandle, open } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { Compressors } from 'hyparquet';
import { PathGuardError } from '../../shared/errors.js';
import type { ParquetBytes } from '../../shared/flow-logs/parquet.js';

/**
 * Page codecs for Parquet flow logs. AWS compresses Parquet flow logs with Gzip ("Data in Parquet
 * format with Gzip compression", VPC user guide, flow-logs-s3-path); hyparquet reads SNAPPY and
 * uncompressed pages itself. Gzip (and Brotli, free alongside it) go to Node's native zlib rather
 * than the pure-JavaScript inflater of hyparquet-compressors: native inflate is faster, its
 * `maxOutputLength` stops a page that inflates past what its header claims (a decompression
 * bomb) inside zlib, and the Lambda bundle stays 115 KB smaller (the codec package minified).
 * ZSTD and LZ4, which AWS does not write, are refused with the codec named.
 */
export const FLOW_PARQUET_CODECS: Compressors = {
  GZIP: (input, length) => gunzipSync(input, inflateOptions(collectEvery(length))),
  BROTLI: (input, length) => brotliDecompressSync(input, inflateOptions(collectEvery(length))),
};

/**
 * Runs a full collection after every {@link COLLECT_AFTER_INFLATED_BYTES} of inflated pages while
 * the process holds more than {@link COLLECT_ABOVE_RSS_BYTES}. An inflated page is a buffer outside
 * the V8 heap that a slice decodes from for thousands of rows, so it outlives scavenges and is
 * promoted; once done with, only a full collection frees it. V8 starts one when the old
 * generation or that outside memory (64 MB) has grown enough, which a million-row group (43 MB
 * of pages, each data page inflated twice: checked, then decoded) does not reach: `classify
 * --summary` of it ran two full collections, both in its first 0.6 s, and peaked at 194-201 MiB
 * with 55 MB of spent pages outside the heap. Collecting every 8 MB above 128 MiB: four more full
 * collections (about 45 ms each), peak 173-177 MiB; every 12 MB: 172-179; every 8 MB above 144
 * MiB: 178-180. Inputs that stay under 128 MiB (a 500,000-row file of 100,000-row groups) run
 * none.
 */
export class InflateCollector {
  private since = 0;

  constructor(
    private readonly rss: () => number,
    private readonly collect: () => void,
    private readonly every = COLLECT_AFTER_INFLATED_BYTES,
    private readonly above = COLLECT_ABOVE_RSS_BYTES,
  ) {}

  /** Counts a page of `length` bytes about to be inflated; returns `length`. */
  count(length: number): number {
    this.since += Math.max(0, length);
    if (this.since >= this.every) {
      this.since = 0;
      if (this.rss() >= this.above) this.collect();
    }
    return length;
  }
}

export const COLLECT_AFTER_INFLATED_BYTES = 8 * 1024 * 1024;
export const COLLECT_ABOVE_RSS_BYTES = 128 * 1024 * 1024;

/**
 * The RSS above which {@link InflateCollector} collects: {@link COLLECT_ABOVE_RSS_BYTES} for the
 * CLI (its bound is 200 MB for any input); in a Lambda function (AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
 * MB, set by Lambda) half of the function's memory when that is higher, so a function sized for
 * its objects does not pay a full collection (about 45 ms) per 8 MB of pages while far under its
 * own limit.
 */
export function collectAboveBytes(env: NodeJS.ProcessEnv = process.env): number {
  const mb = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  const half = Number.isFinite(mb) && mb > 0 ? Math.floor(mb / 2) * 1024 * 1024 : 0;
  return Math.max(COLLECT_ABOVE_RSS_BYTES, half);
}

let fullGc: (() => void) | null = null;

/** V8's full collection, exposed on first use (the flag only adds the `gc` global to new contexts). */
function fullCollection(): void {
  if (fullGc === null) {
    setFlagsFromString('--expose-gc');
    fullGc = runInNewContext('gc') as () => void;
  }
  fullGc();
}

/** This thread's collector (each worker thread has its own heap and its own count). */
const collector = new InflateCollector(
  () => process.memoryUsage.rss(),
  fullCollection,
  COLLECT_AFTER_INFLATED_BYTES,
  collectAboveBytes(),
);
const collectEvery = (length: number): number => collector.count(length);

/**
 * One output buffer of the page's size (and a little more, so that zlib, finding it full, does not
 * allocate another): with the default 16 KB chunks a 1 MB page was inflated into 64 buffers and
 * copied into a 65th, twice the page in garbage outside the heap, which piles up between
 * collections (up to V8's 64 MB external-memory allowance per thread while counting), and twice
 * the time (1.70 → 0.87 ms per 1 MB page).
 */
function inflateOptions(length: number): { maxOutputLength: number; chunkSize: number } {
  return {
    maxOutputLength: Math.max(1, length),
    chunkSize: Math.min(Math.max(1, length), INFLATE_CHUNK_MAX_BYTES) + 64,
  };
}

/**
 * Largest buffer allocated up front for one page: the size is the page header's claim, and a
 * damaged or hostile page of a few bytes may claim up to MAX_PARQUET_PAGE_BYTES (128 MB), which
 * zlib would allocate before inflating anything. Past this, zlib grows its output in chunks of
 * this size as bytes actually come. AWS pages are about 1 MB.
 */
export const INFLATE_CHUNK_MAX_BYTES = 4 * 1024 * 1024;

let pretenuring = true;

/**
 * Turns off V8's allocation-site pretenuring (for the process: its flags are shared by worker
 * threads) before the first Parquet input is decoded. The Parquet reader builds 2,048 records a
 * batch while its consumer still holds the batch before: every record of a batch is alive at a
 * scavenge, so V8 judges the record literal long-lived and from then allocates every record
 * straight in the old generation, which then grows to about four times what survives a full
 * collection before one runs: `classify --summary` of 1,000,000 rows in one row group peaked at
 * 328 MiB (old generation 193 MB, of which 53 MB live), 199 MiB with pretenuring off; four files
 * of 500,000 rows 174 → 140 MiB. The flag only stops new decisions; V8 reads it at every
 * scavenge. Text inputs never call this.
 */
export function stopPretenuring(): void {
  if (!pretenuring) return;
  pretenuring = false;
  setFlagsFromString('--no-allocation-site-pretenuring');
}

/**
 * Largest Parquet input read into memory (standard input, a gzip-wrapped file, an S3 object).
 * Parquet keeps its footer at the end, so such an input is read whole before decoding; a file on
 * disk is read by range instead ({@link openParquetFile}). AWS closes a flow-log file at 75 MB
 * (flow-logs-s3-path).
 */
export const MAX_FLOW_PARQUET_FILE_BYTES = 256 * 1024 * 1024;

/** A Parquet input larger than {@link MAX_FLOW_PARQUET_FILE_BYTES}. */
export class ParquetTooLargeError extends PathGuardError {
  constructor(readonly bytes: number) {
    super(
      'PARQUET_TOO_LARGE',
      `a Parquet file over ${MAX_FLOW_PARQUET_FILE_BYTES} bytes (AWS writes at most 75 MB per file)`,
      { bytes },
    );
  }
}

/**
 * The whole of a streamed input, copied (a chunk may be a buffer its reader reuses), refusing more
 * than {@link MAX_FLOW_PARQUET_FILE_BYTES} without holding it.
 */
export async function collectParquetBytes(
  chunks: AsyncIterable<Uint8Array>,
  max = MAX_FLOW_PARQUET_FILE_BYTES,
): Promise<Buffer> {
  stopPretenuring();
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of chunks) {
    n += c.length;
    if (n > max) throw new ParquetTooLargeError(n);
    parts.push(Buffer.from(c));
  }
  return Buffer.concat(parts, n);
}

/**
 * A Parquet file on disk, read by range (the footer, then each column's pages as they are
 * decoded) instead of whole: counting a 52 MB, 2M-row file held the file besides what it decoded.
 * Null when the file does not start with `PAR1` (a text file that starts with `P`). Close it.
 */
export async function openParquetFile(
  path: string,
): Promise<{ bytes: ParquetBytes; close: () => Promise<void> } | null> {
  const fh: FileHandle = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const head = await readRange(fh, 0, Math.min(4, size));
    if (head.toString('latin1') !== 'PAR1') {
      await fh.close();
      return null;
    }
    stopPretenuring();
    return {
      bytes: { byteLength: size, read: (start, end) => readRange(fh, start, end) },
      close: () => fh.close(),
    };
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw e;
  }
}

async function readRange(fh: FileHandle, start: number, end: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(Math.max(0, end - start));
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await fh.read(buf, got, buf.length - got, start + got);
    if (bytesRead === 0) throw new Error(`the file ended at byte ${start + got}, before byte ${end}`);
    got += bytesRead;
  }
  return buf;
}
