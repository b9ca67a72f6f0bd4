import { FLOW_RULE_MAX, FLOW_RULE_VALUES, type FlowFieldSpec, type FlowValueRule } from './fields.js';
import type { FlowFormat } from './format.js';
import type { FlowMeaningOption } from './line-parser.js';
import { isIpBytes } from './meaning.js';
import type { FlowRecord } from './types.js';

/**
 * The byte-level fast path of one format: functions generated once per format that scan a record
 * in place, from the bytes, in one pass, with the field order unrolled.
 *
 * They accept only the strict layout AWS writes (single spaces, no leading blank, every string
 * field free of control bytes, integers of at most 15 digits or `-`), and return a "no" for
 * anything else, which the caller then hands to FlowLineParser for the exact verdict and reason.
 * So they may be stricter than the general path, never looser; a property test holds both equal.
 *
 * Measured on 2M 29-field v5 lines in memory, one core (CPU seconds): the string scanner of
 * FlowLineParser (chunk decoded once, `indexOf` per field) builds records in 1.45 s; this byte
 * scan with per-line decode in 0.86 s; validating without building in 0.55 s (mawk splits the same
 * bytes in 0.75 s). What made the difference, each measured on its own:
 * - reading `Uint8Array` elements instead of `String#charCodeAt` (a bare byte loop 0.70 s, the
 *   same loop over a latin1 string 1.07 s), and no `indexOf` call per field (about 9 ns each);
 * - the field loop unrolled per format, values in locals, one object literal at the end (one
 *   hidden class per format; keyed stores measured 3.9x slower);
 * - the line decoded once after the scan (`toString('latin1')`, 0.86 s) rather than once per
 *   chunk (1.03 s): slices of a short line string are cheap and keep no 256 KiB chunk alive
 *   while a caller holds a record;
 * - the end of the line found by the scan itself, so no line splitter runs first (a native
 *   `indexOf('\n')` per line alone costs 0.08 s over these 2M lines, a sixth of the count path).
 */
export interface CompiledFlowFormat {
  readonly format: FlowFormat;
  /**
   * Builds the record of the line starting at `p`. With `end` >= 0 the line must end exactly
   * there; with `end` < 0 it must end with LF or CRLF, and `st.end` is set to the byte after its
   * content. `enc` decodes its strings: `latin1` for ASCII input, `utf8` otherwise (a line whose
   * decoded length differs from its byte length is declined). Null: not strict, use the general path.
   */
  readonly build:
    | ((b: Uint8Array, p: number, end: number, enc: 'latin1' | 'utf8', st: ScanEnd) => FlowRecord | null)
    | null;
  /** Validates the same way without building anything; returns the content end, or -1. */
  readonly check: ((b: Uint8Array, p: number, end: number) => number) | null;
  /** The keys `build` puts in a record, when only some are wanted; null for all. */
  readonly keys: readonly string[] | null;
  /**
   * With `keys`: validates as `check` does and leaves in {@link spanValues} where each key's value
   * is, so a caller can read a few values from the bytes without building a record.
   */
  readonly spans: ((b: Uint8Array, p: number, end: number) => number) | null;
  /**
   * Per key of `keys` ({@link SPAN_WIDTH} slots), after a `spans` call that returned >= 0: the
   * value's start and end offsets (start -1: the format has no such field); the FNV-1a hash of
   * its bytes (string fields other than addresses checked as addresses); a number (an integer
   * field's value, -1 for `-`, -2 past 32 bits; an address's IPv4 value as a signed 32-bit
   * word); and 1 when that address is a dotted quad IpAddress reads to that value.
   */
  readonly spanValues: Int32Array | null;
}

/** Slots per key in {@link CompiledFlowFormat.spanValues}: start, end, hash, number, quad. */
export const SPAN_WIDTH = 5;

/** Where the last fast scan stopped (the byte after the record's content). */
export interface ScanEnd {
  end: number;
}

const SAFE_KEY = /^[a-z][a-zA-Z0-9]*$/;
const compiled = new WeakMap<FlowFormat, Map<string, CompiledFlowFormat>>();

/**
 * Compiles (once per format object and key list) the fast path for a format. With `keys`, records
 * carry only those keys (output names such as `srcaddr`, `trafficPath`): every field is still
 * checked, but the others are neither decoded nor stored: for the 10 of v5's 29 fields that
 * classification reads, 0.84 CPU seconds against 1.03 for 2M records.
 *
 * The meaning rules (./meaning.ts) are checked here too, on the bytes: ranges on the integers as
 * they are accumulated, enumerated values by byte comparison, addresses by a dotted-quad scan
 * (IPv6 and anything odd go through the string parser). A value that breaks a rule makes the
 * function decline, and the general path reports the reason.
 *
 * Keys reach the generated code only after matching /^[a-z][a-zA-Z0-9]*$/ and through
 * JSON.stringify, so no input text becomes code; a format with any other key (or none) gets no
 * fast path and uses the general path only.
 */
export function compileFlowFormat(
  format: FlowFormat,
  keys?: readonly string[],
  options: FlowMeaningOption = {},
): CompiledFlowFormat {
  const meaning = options.skipMeaningChecks !== true;
  const id = `${meaning ? '' : '!'}${keys === undefined ? '*' : keys.join(' ')}`;
  let byKeys = compiled.get(format);
  const hit = byKeys?.get(id);
  if (hit) return hit;
  const fields = format.fields;
  const wanted = keys === undefined ? null : new Set(keys);
  const want = (f: FlowFieldSpec) => wanted === null || wanted.has(f.key);
  const safe = fields.length > 0 && fields.length <= 512 && fields.every((f) => SAFE_KEY.test(f.key));
  const spanValues = keys === undefined ? null : new Int32Array(keys.length * SPAN_WIDTH).fill(-1);
  const c: CompiledFlowFormat = safe
    ? {
        format,
        spans:
          keys === undefined
            ? null
            : (withHelpers(
                ['b', 'p', 'end'],
                generate(fields, 'spans', want, meaning, keys),
                spanValues,
              ) as CompiledFlowFormat['spans']),
        spanValues,
        build: withHelpers(
          ['b', 'p', 'end', 'enc', 'st'],
          generate(fields, 'build', want, meaning),
        ) as CompiledFlowFormat['build'],
        check: withHelpers(
          ['b', 'p', 'end'],
          generate(fields, 'check', want, meaning),
        ) as CompiledFlowFormat['check'],
        keys: keys ?? null,
      }
    : { format, build: null, check: null, keys: keys ?? null, spans: null, spanValues: null };
  if (!byKeys) {
    byKeys = new Map();
    compiled.set(format, byKeys);
  }
  byKeys.set(id, c);
  return c;
}

/**
 * The generated function, with the byte check of non-dotted-quad addresses in scope as `ip` and
 * the span output (spans mode) as `out`.
 */
function withHelpers(params: string[], body: string, out: Int32Array | null = null): unknown {
  return new Function('ip', 'out', `return function (${params.join(', ')}) {\n${body}\n};`)(isIpBytes, out);
}

/**
 * Code that is true when `b[A, p)` is one of the values of an enumerated rule (or `-`), by byte
 * comparison, from the same table the general path reads (FLOW_RULE_VALUES).
 */
function enumCheck(rule: FlowValueRule, A: string): string {
  const values = [...FLOW_RULE_VALUES[rule]!, '-'];
  return values
    .map(
      (v) =>
        `(p - ${A} === ${v.length}${[...v].map((ch, k) => ` && b[${A} + ${k}] === ${ch.charCodeAt(0)}`).join('')})`,
    )
    .join(' || ');
}

/** Source of one fast-path function (see CompiledFlowFormat). `p` walks; `c` is the byte at `p`. */
function generate(
  fields: FlowFormat['fields'],
  mode: 'build' | 'check' | 'spans',
  want: (f: FlowFieldSpec) => boolean,
  meaning: boolean,
  keys: readonly string[] = [],
): string {
  const build = mode === 'build';
  // Spans: where each wanted field goes in `out` (the last field of a key given twice wins, as
  // in a built record).
  const spanAt = (f: FlowFieldSpec) => (mode === 'spans' ? keys.indexOf(f.key) * SPAN_WIDTH : -1);
  const FAIL = build ? 'null' : '-1';
  const n = fields.length;
  const decl: string[] = ['c = 0', 'd = 0', 'a = 0', 's = 0'];
  let body = '';
  const startAt = meaning ? fields.findIndex((f) => f.name === 'start') : -1;
  const endAt = meaning ? fields.findIndex((f) => f.name === 'end') : -1;
  const ordered = startAt >= 0 && endAt >= 0 && fields[startAt]!.integer && fields[endAt]!.integer;
  fields.forEach((f, i) => {
    // A field ends at a byte <= 0x20: its separator (space), the line end (LF, or CR of CRLF),
    // or undefined past the buffer, which also compares false and so stops every loop. The last
    // field's test makes both comparisons on `end` on every line: with `end < 0 ? … : p !==
    // end`, the `p !== end` side ran only for a line carried over a chunk boundary, never before
    // V8 optimized the function, and its first run threw the optimized code away (a comparison
    // without type feedback deoptimizes), which then had to be compiled again.
    const sep =
      i < n - 1
        ? `if (c !== 32) return ${FAIL}; p++;`
        : `if (p !== (end < 0 ? p : end) || (end < 0 && c !== 10 && (c !== 13 || b[p + 1] !== 10))) return ${FAIL};`;
    const keep = build && want(f);
    const J = spanAt(f);
    const rule = meaning ? f.rule : null;
    if (f.integer) {
      // Digits are accumulated as they are scanned: no substring, no Number(); at most 15
      // digits so every value is exact (longer ones take the general path). A value a rule
      // bounds, or `start`/`end` when both are there, is accumulated even when not kept. A byte
      // is a digit when `byte ^ 48` is under 10 (one comparison instead of two; undefined past
      // the buffer gives 48), and `d` is then its value. `-` reads as -1 rather than null, so
      // the local is always a number (a local that may hold null is kept tagged, and a 10-digit
      // timestamp is then boxed as it grows).
      const max = rule ? FLOW_RULE_MAX[rule] : undefined;
      const value = keep || J >= 0 || max !== undefined || (ordered && (i === startAt || i === endAt));
      if (value) decl.push(`v${i} = 0`);
      // Spans: -1 for `-`, -2 for a value past 32 bits.
      const span =
        J < 0 ? '' : `out[${J}] = a; out[${J + 1}] = p; out[${J + 3}] = v${i} > 0x7fffffff ? -2 : v${i};\n`;
      body += `a = p; c = b[p];
if (c === 45) { ${value ? `v${i} = -1; ` : ''}c = b[++p]; }
else { ${value ? `while ((d = c ^ 48) < 10) { v${i} = v${i} * 10 + d; c = b[++p]; }` : 'while ((c ^ 48) < 10) c = b[++p];'} if (p === a || p - a > 15${max !== undefined ? ` || v${i} > ${max}` : ''}) return ${FAIL}; }
${span}${sep}
`;
    } else {
      if (keep) decl.push(`a${i} = 0`, `e${i} = 0`);
      const start = keep ? `a${i}` : 'a';
      if (rule === 'FLOW_ADDRESS') {
        // FLOW_ADDRESS: a dotted quad is checked as it is scanned, part by part with the digits
        // unrolled (x: the part's value, q: parts read; a part is 1-3 digits, no leading zero,
        // at most 255; digits tested as for integers); anything else (IPv6, `-`, not an
        // address) goes to isIpBytes, which uses the general path's parser. A per-byte loop with
        // counters measured +15% on the count path; this one, about half that.
        if (!decl.includes('x = 0')) decl.push('x = 0', 'q = 0');
        // Spans: the quad's value (w) as it is scanned, and whether the text is just that quad.
        if (J >= 0 && !decl.includes('w = 0')) decl.push('w = 0', 'u = 0');
        const quad = J >= 0 ? 'w = w * 256 + x; ' : '';
        body += `${start} = p; c = b[p]; q = 0;${J >= 0 ? ' w = 0;' : ''}
while ((d = c ^ 48) < 10) { x = d; c = b[++p]; if ((d = c ^ 48) < 10) { if (x === 0) break; x = x * 10 + d; c = b[++p]; if ((d = c ^ 48) < 10) { x = x * 10 + d; c = b[++p]; if (x > 255) break; } } ${quad}q++; if (c !== 46 || q === 4) break; c = b[++p]; }
${J >= 0 ? 'u = q === 4 && c <= 32 ? 1 : 0;\n' : ''}if (q !== 4 || c > 32) { while (c > 32) c = b[++p]; if ((p - ${start} !== 1 || b[${start}] !== 45) && !ip(b, ${start}, p)) return ${FAIL}; }${keep ? ` e${i} = p;` : ''}
${J >= 0 ? `out[${J}] = ${start}; out[${J + 1}] = p; out[${J + 3}] = w | 0; out[${J + 4}] = u;\n` : ''}${sep}
`;
      } else {
        const check = rule ? `if (!(${enumCheck(rule, start)})) return ${FAIL};\n` : '';
        if (J >= 0 && !decl.includes('h = 0')) decl.push('h = 0');
        // Spans: the bytes' FNV-1a hash (shared/text/byte-map.ts) as they are scanned.
        const scan =
          J >= 0
            ? 'h = -2128831035; while (c > 32) { h = Math.imul(h ^ c, 16777619); c = b[++p]; }'
            : 'while (c > 32) c = b[++p];';
        // A field with nothing to keep, hash or compare needs no start: its first byte is
        // tested on its own, and the rest in a loop with one comparison a byte.
        body +=
          !keep && J < 0 && !rule
            ? `c = b[p]; if (!(c > 32)) return ${FAIL}; do c = b[++p]; while (c > 32);\n`
            : `${start} = p; c = b[p]; ${scan} if (p === ${start}) return ${FAIL};${keep ? ` e${i} = p;` : ''}\n`;
        body += `${check}${J >= 0 ? `out[${J}] = ${start}; out[${J + 1}] = p; out[${J + 2}] = h;\n` : ''}${sep}
`;
      }
    }
  });
  if (ordered) {
    // FLOW_START_END: `-` (-1) on either side says nothing (a -1 start is never after an end).
    body += `if (v${startAt} > v${endAt} && v${endAt} >= 0) return ${FAIL};\n`;
  }
  if (!build) return `let ${decl.join(', ')};\n${body}return p;`;
  // Decode only the span from the first to the last kept string field.
  const strings = fields.flatMap((f, i) => (!f.integer && want(f) ? [i] : []));
  body += 'st.end = p;\n';
  if (strings.length > 0) {
    const first = strings[0]!;
    const last = strings[strings.length - 1]!;
    body += `s = a${first};
const t = b.toString(enc, s, e${last});
if (t.length !== e${last} - s) return null;
`;
  }
  body += `return {${fields
    .flatMap((f, i) =>
      !want(f)
        ? []
        : f.integer
          ? [`${JSON.stringify(f.key)}: v${i} < 0 ? null : v${i}`]
          : [
              `${JSON.stringify(f.key)}: e${i} - a${i} === 1 && b[a${i}] === 45 ? null : t.slice(a${i} - s, e${i} - s)`,
            ],
    )
    .join(', ')}};`;
  return `let ${decl.join(', ')};\n${body}`;
}
