import type { FlowFormat } from './format.js';
import type { FlowRecord } from './types.js';

/**
 * Writes a record as one line of the given format: the inverse of parsing. `null` and absent
 * fields are written as `-`, as AWS does for values that do not apply.
 */
export function formatFlowRecord(record: FlowRecord, format: FlowFormat): string {
  let out = '';
  for (let i = 0; i < format.fields.length; i++) {
    const v = record[format.fields[i]!.key];
    if (i > 0) out += ' ';
    out += v === null || v === undefined || v === '' ? '-' : String(v);
  }
  return out;
}

/** The header line S3-delivered text files start with: the field names, space-separated. */
export function formatFlowHeader(format: FlowFormat): string {
  return format.fields.map((f) => f.name).join(' ');
}
