import { gzipSync } from 'node:zlib';
import {
  type ColumnSource,
  fileWriter,
  ParquetWriter,
  parquetWriteBuffer,
  schemaFromColumnData,
} from 'hyparquet-writer';
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
  const buf = parquetWriteBuffer({
    columnData: columnsOf(records, format),
    codec: 'GZIP',
    compressors: GZIP,
    ...(opts.rowGroupSize ? { rowGroupSize: opts.rowGroupSize } : {}),
  });
  return new Uint8Array(buf);
}

/**
 * Writes a large Parquet flow-log file batch by batch, one row group per batch, so the records
 * of a benchmark's millions of rows are never all in memory at once.
 */
export function writeFlowParquetFile(
  file: string,
  format: FlowFormat,
  batches: Iterable<FlowRecord[]>,
): number {
  let writer: ParquetWriter | null = null;
  let rows = 0;
  for (const batch of batches) {
    const columnData = columnsOf(batch, format);
    writer ??= new ParquetWriter({
      writer: fileWriter(file),
      schema: schemaFromColumnData({ columnData }),
      codec: 'GZIP',
      compressors: GZIP,
    });
    writer.write({ columnData, rowGroupSize: batch.length });
    rows += batch.length;
  }
  writer?.finish();
  return rows;
}

const GZIP = { GZIP: (input: Uint8Array) => gzipSync(input) };

function columnsOf(records: readonly FlowRecord[], format: FlowFormat): ColumnSource[] {
  return format.fields.map((f) => {
    const type = f.integer ? (INT64_FIELDS.has(f.name) ? 'INT64' : 'INT32') : 'STRING';
    const data = records.map((r) => {
      const v = r[f.key];
      if (v === null || v === undefined) return null;
      if (type === 'INT64') return BigInt(v);
      return type === 'INT32' ? Number(v) : String(v);
    });
    return { name: flowColumnOf(f.name), type, nullable: true, data };
  });
}
