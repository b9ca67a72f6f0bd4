import { fail, ok, type ParseError, parseError, type Result } from '../result.js';
import type { FlowValueRule } from './fields.js';
import type { FlowFormat } from './format.js';
import { checkFlowInteger, checkFlowStartEnd, checkFlowValue } from './meaning.js';
import type { FlowRecord } from './types.js';

const SPACE = 0x20;
const DASH = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * Whether values are checked for meaning (FlowValueRule in ./fields.ts) as well as shape. Off only
 * to measure what the checks cost (test/bench/flow-logs.bench.ts): records that break a rule are
 * then accepted.
 */
export interface FlowMeaningOption {
  readonly skipMeaningChecks?: boolean;
}

/**
 * Parses one record line of a known format, given as a string. This is the general path: it
 * tolerates runs of blanks and reports exactly why a line is rejected: its shape (field count,
 * integers) and the meaning of its values (addresses, port and protocol ranges, `action` and
 * `log-status` values, `start` not after `end`). Lines read from bytes go through the compiled
 * fast path first (`compileFlowFormat`) and reach this class only when the fast path declines
 * them (odd spacing, a bad value, a header line). Never throws.
 */
export class FlowLineParser {
  private readonly keys: string[];
  private readonly integer: boolean[];
  private readonly rules: (FlowValueRule | null)[];
  /** Positions of `start` and `end` in the format (-1: absent, or checks off). */
  private readonly startAt: number;
  private readonly endAt: number;
  private readonly n: number;
  private error: ParseError | null = null;
  private readonly values: (string | number | null)[];
  private readonly build: (values: (string | number | null)[]) => FlowRecord;

  constructor(
    readonly format: FlowFormat,
    options: FlowMeaningOption = {},
  ) {
    const meaning = options.skipMeaningChecks !== true;
    this.keys = format.fields.map((f) => f.key);
    this.integer = format.fields.map((f) => f.integer);
    this.rules = format.fields.map((f) => (meaning ? f.rule : null));
    this.startAt = meaning ? format.fields.findIndex((f) => f.name === 'start') : -1;
    this.endAt = meaning ? format.fields.findIndex((f) => f.name === 'end') : -1;
    this.n = format.fields.length;
    this.values = new Array(this.n).fill(null);
    // A record literal compiled once per format: named properties in a fixed order give every
    // record one hidden class. Assigning computed keys one by one measured 3.9x slower (2M
    // 29-field records: 4.1 s against 1.05 s). Keys are camelCase field names checked against
    // /^[a-z][a-zA-Z0-9]*$/ below and quoted with JSON.stringify, so nothing else reaches the code.
    const safe = this.keys.every((k) => /^[a-z][a-zA-Z0-9]*$/.test(k));
    this.build = safe
      ? (new Function(
          'v',
          `return {${this.keys.map((k, i) => `${JSON.stringify(k)}: v[${i}]`).join(', ')}};`,
        ) as (values: (string | number | null)[]) => FlowRecord)
      : (v) => {
          const rec: FlowRecord = {};
          for (let i = 0; i < v.length; i++) rec[this.keys[i]!] = v[i];
          return rec;
        };
  }

  /** Parses `line[start, end)` into a record. */
  parse(line: string, start = 0, end = line.length): Result<FlowRecord> {
    return this.scan(line, start, end, this.values) ? ok(this.build(this.values)) : fail(this.error!);
  }

  /** Validates `line[start, end)` fully without building a record: the `--count` path. */
  check(line: string, start = 0, end = line.length): ParseError | null {
    return this.scan(line, start, end, null) ? null : this.error;
  }

  private scan(s: string, start: number, end: number, rec: (string | number | null)[] | null): boolean {
    const n = this.n;
    const keys = this.keys;
    const integer = this.integer;
    const rules = this.rules;
    let first: number | null = null;
    let last: number | null = null;
    let pos = start;
    // Tolerate leading blanks and runs of blanks: AWS writes single spaces, hand edits may not.
    while (pos < end && s.charCodeAt(pos) === SPACE) pos++;
    let i = 0;
    while (pos < end) {
      if (i === n) return this.fail('WRONG_FIELD_COUNT', `more than ${n} fields (format has ${n})`);
      let stop: number;
      if (integer[i]) {
        // Integer fields are scanned once, digits and end together (no indexOf first): this
        // loop is the hot path of the --count benchmark.
        let v: number | null = 0;
        let p = pos;
        for (; p < end; p++) {
          const c = s.charCodeAt(p);
          if (c === SPACE) break;
          if (c < ZERO || c > NINE) {
            if (c === DASH && p === pos && (p + 1 === end || s.charCodeAt(p + 1) === SPACE)) {
              v = null;
              continue;
            }
            return this.badNumber(s, pos, p, keys[i]!);
          }
          v = (v as number) * 10 + (c - ZERO);
        }
        stop = p;
        // More than 16 digits cannot be a safe integer; 16 digits can, and are exact up to 2^53
        // (a larger value accumulates to more than MAX_SAFE_INTEGER, never less).
        if (stop - pos > 16 || (v !== null && v > Number.MAX_SAFE_INTEGER))
          return this.fail('BAD_NUMBER', `${keys[i]}: number beyond the safe integer range`, keys[i]);
        const rule = rules[i];
        if (rule) {
          const bad = checkFlowInteger(rule, this.format.fields[i]!.name, v);
          if (bad !== null) return this.failWith(bad);
        }
        if (i === this.startAt) first = v;
        else if (i === this.endAt) last = v;
        if (rec !== null) rec[i] = v;
      } else {
        stop = s.indexOf(' ', pos);
        if (stop === -1 || stop > end) stop = end;
        const rule = rules[i];
        if (rule) {
          const bad = checkFlowValue(rule, this.format.fields[i]!.name, s, pos, stop);
          if (bad !== null) return this.failWith(bad);
        }
        if (rec !== null) rec[i] = stop - pos === 1 && s.charCodeAt(pos) === DASH ? null : s.slice(pos, stop);
      }
      i++;
      pos = stop + 1;
      while (pos < end && s.charCodeAt(pos) === SPACE) pos++;
    }
    if (i !== n) return this.fail('WRONG_FIELD_COUNT', `${i} fields, format has ${n}`);
    const order = checkFlowStartEnd(first, last);
    return order === null ? true : this.failWith(order);
  }

  private badNumber(s: string, a: number, b: number, key: string): false {
    let e = s.indexOf(' ', b);
    if (e === -1) e = s.length;
    return this.fail('BAD_NUMBER', `${key}: not a number: '${s.slice(a, Math.min(e, a + 40))}'`, key);
  }

  private fail(code: ParseError['code'], message: string, field?: string): false {
    this.error = parseError(code, message, field);
    return false;
  }

  private failWith(error: ParseError): false {
    this.error = error;
    return false;
  }
}
