import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { Compressors } from 'hyparquet';
import { PathGuardError } from '../../shared/errors.js';

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
  GZIP: (input, length) => gunzipSync(input, { maxOutputLength: Math.max(1, length) }),
  BROTLI: (input, length) => brotliDecompressSync(input, { maxOutputLength: Math.max(1, length) }),
};

/**
 * Largest Parquet file read into memory. Parquet keeps its footer at the end, so a file is read
 * whole before decoding; AWS closes a flow-log file at 75 MB (flow-logs-s3-path).
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
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of chunks) {
    n += c.length;
    if (n > max) throw new ParquetTooLargeError(n);
    parts.push(Buffer.from(c));
  }
  return Buffer.concat(parts, n);
}
