import { gzipSync } from 'node:zlib';
import { type ColumnSource, parquetWriteBuffer } from 'hyparquet-writer';
import type { FlowFormat } from '../../shared/flow-logs/index.js';
import { flowColumnOf } from '../../shared/flow-logs/parquet.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';

/** The integer fields AWS types INT_64 in Parquet; the other integer fields are INT_32 (aws-facts §1.3). */
const INT64_FIELDS = new Set(['packets', 'bytes', 'start', 'end']);

/**
 * Writes flow-log records as AWS delivers them to S3 in Parquet (aws-facts §1.3, §10.3): one
 * optional column per field of the format, in its order, named with `_` for `-`; INT_32 and
 * INT_64 for the integer fields as AWS types them, UTF-8 strings for the rest; a null where the
 * text format writes `-`; pages compressed with Gzip (VPC user guide, flow-logs-s3-path: "Parquet
 * format with Gzip compression"). For the lab, tests and benchmarks; the readers never need it.
 *
 * @example
 * writeFileSync('fl.log.parquet', writeFlowParquet(records, LAB_FLOW_LOG_FORMAT));
 */
export function writeFlowParquet(
  records: readonly FlowRecord[],
  format: FlowFormat,
  opts: { rowGroupSize?: number } = {},
): Uint8Array {
  const columnData: ColumnSource[] = format.fields.map((f) => {
    const type = f.integer ? (INT64_FIELDS.has(f.name) ? 'INT64' : 'INT32') : 'STRING';
    const data = records.map((r) => {
      const v = r[f.key];
      if (v === null || v === undefined) return null;
      if (type === 'INT64') return BigInt(v);
      return type === 'INT32' ? Number(v) : String(v);
    });
    return { name: flowColumnOf(f.name), type, nullable: true, data };
  });
  const buf = parquetWriteBuffer({
    columnData,
    codec: 'GZIP',
    compressors: { GZIP: (input) => gzipSync(input) },
    ...(opts.rowGroupSize ? { rowGroupSize: opts.rowGroupSize } : {}),
  });
  return new Uint8Array(buf);
}
