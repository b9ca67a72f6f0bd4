import type { DecodedArray } from 'hyparquet';
import { type ParseError, parseError } from '../result.js';
import type { FlowFieldSpec } from './fields.js';
import { checkFlowInteger, checkFlowStartEnd, checkFlowValue } from './meaning.js';
import { DEFAULT_MAX_FLOW_LINE_BYTES } from './parser.js';
import type { FlowRecord } from './types.js';

/**
 * From the values hyparquet decodes to the values of a flow record, with the checks the text parser
 * makes: shape (integers non-negative and safe, strings a text record could carry) and meaning, by
 * the same functions of ./meaning.ts the text parser's general path calls, so a row is rejected
 * with the same code and message as the line that would carry it.
 */

/** One cell of a decoded column, as it goes into a record. */
export type FlowCell = string | number | null;

/**
 * Checks one column's values and turns them into record values: integers as numbers (non-negative
 * and safe, as the text parser accepts), strings as strings (`-` is null as in text; empty strings
 * and blanks or control characters, which a text record cannot carry, are refused), then the
 * field's meaning rule unless `meaning` is false. `bad[i]` keeps the first problem of row `i`:
 * columns are normalized in the file's column order, so that is the field a text line in the same
 * order would be rejected for.
 */
export function normalizeColumn(
  values: DecodedArray,
  spec: FlowFieldSpec,
  bad: (ParseError | undefined)[],
  meaning: boolean,
): FlowCell[] {
  const out = spec.integer ? integers(values, spec, bad) : strings(values, spec, bad);
  const rule = meaning ? spec.rule : null;
  if (rule === null) return out;
  const n = out.length;
  if (spec.integer) {
    for (let i = 0; i < n; i++) {
      if (bad[i] !== undefined) continue;
      const problem = checkFlowInteger(rule, spec.name, out[i] as number | null);
      if (problem !== null) bad[i] = problem;
    }
    return out;
  }
  for (let i = 0; i < n; i++) {
    const v = out[i];
    if (typeof v !== 'string' || bad[i] !== undefined) continue;
    const problem = checkFlowValue(rule, spec.name, v, 0, v.length);
    if (problem !== null) bad[i] = problem;
  }
  return out;
}

/**
 * The record rule FLOW_START_END over decoded `start` and `end` columns: like the text parser,
 * which checks it after every field, only rows with no other problem are checked.
 */
export function checkStartEndColumns(
  start: FlowCell[],
  end: FlowCell[],
  bad: (ParseError | undefined)[],
): void {
  const n = start.length;
  for (let i = 0; i < n; i++) {
    if (bad[i] !== undefined) continue;
    const problem = checkFlowStartEnd(start[i] as number | null, end[i] as number | null);
    if (problem !== null) bad[i] = problem;
  }
}

function integers(values: DecodedArray, spec: FlowFieldSpec, bad: (ParseError | undefined)[]): FlowCell[] {
  const n = values.length;
  const out: FlowCell[] = new Array(n);
  const key = spec.key;
  for (let i = 0; i < n; i++) {
    const v = values[i] as unknown;
    if (v === null || v === undefined) out[i] = null;
    else if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) out[i] = v;
    else if (typeof v === 'bigint' && v >= 0n && v <= 9007199254740991n) out[i] = Number(v);
    else {
      out[i] = null;
      bad[i] ??= parseError(
        'BAD_NUMBER',
        `${key}: ${typeof v === 'bigint' || typeof v === 'number' ? `${String(v).slice(0, 24)} is not a non-negative safe integer` : 'not an integer'}`,
        key,
      );
    }
  }
  return out;
}

function strings(values: DecodedArray, spec: FlowFieldSpec, bad: (ParseError | undefined)[]): FlowCell[] {
  const n = values.length;
  const out: FlowCell[] = new Array(n);
  const key = spec.key;
  for (let i = 0; i < n; i++) {
    const v = values[i] as unknown;
    if (v === null || v === undefined) {
      out[i] = null;
      continue;
    }
    const s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : null;
    if (s === null) {
      out[i] = null;
      bad[i] ??= parseError('BAD_VALUE', `${key}: not text`, key);
    } else if (s === '-') out[i] = null;
    else if (s.length === 0 || s.length > DEFAULT_MAX_FLOW_LINE_BYTES || BLANK_OR_CONTROL.test(s)) {
      out[i] = null;
      bad[i] ??= parseError(
        'BAD_VALUE',
        `${key}: ${s.length === 0 ? 'empty' : s.length > DEFAULT_MAX_FLOW_LINE_BYTES ? `${s.length} characters, longer than a record` : 'holds blanks or control characters'}`,
        key,
      );
    } else out[i] = s;
  }
  return out;
}

// A text record separates fields by spaces and ends at a line break: no value holds either.
const BLANK_OR_CONTROL = /[\s\u0000-\u001f\u007f]/;

const SAFE_KEY = /^[a-z][a-zA-Z0-9]*$/;

/** Builds row `i` of the decoded columns `cols` into a record. */
export type FlowRowBuilder = (cols: FlowCell[][], i: number) => FlowRecord;

/**
 * A record builder for `keys`, read from the columns at `at` (one index into `cols` per key): an
 * object literal compiled once, so every record has one hidden class (as the text parser's
 * builder; keyed stores measured 3.9x slower there). Keys reach the code only after matching
 * /^[a-z][a-zA-Z0-9]*$/ and through JSON.stringify; indices are integers.
 */
export function flowRowBuilder(keys: readonly string[], at: readonly number[]): FlowRowBuilder {
  if (keys.every((k) => SAFE_KEY.test(k)) && at.every((j) => Number.isSafeInteger(j)))
    return new Function(
      'c',
      'i',
      `return {${keys.map((k, j) => `${JSON.stringify(k)}: c[${at[j]}][i]`).join(', ')}};`,
    ) as FlowRowBuilder;
  return (cols, i) => {
    const rec: FlowRecord = {};
    keys.forEach((k, j) => {
      rec[k] = cols[at[j]!]![i];
    });
    return rec;
  };
}
