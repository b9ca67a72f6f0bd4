import { FLOW_RULE_MAX, FLOW_RULE_VALUES } from './fields.js';
import type { FlowFormat } from './format.js';

/**
 * One walk over a line that both checks it and renders its NDJSON, generated per format: the
 * parser's compiled check (./compiled-format.ts) and the writer's clean-line renderer
 * (./ndjson.ts) fused, so the bytes of a line are read once instead of twice.
 *
 * It accepts a subset of what the compiled check accepts (same rules: single spaces, integers of
 * at most 15 digits, FLOW_PORT and FLOW_PROTOCOL bounds, the enumerated values, `start` not after
 * `end`, the line ended by LF or CRLF) and declines more: an integer with a leading zero, an
 * address that is not a dotted quad (IPv6 holds `:`, which the writer never copies anyway), and
 * any line that reaches `limit` (the first byte the writer may not copy, or the line length cap).
 * A declined line has written nothing the caller keeps: it goes the usual way, check then render
 * or record, which reports a bad line with its reason.
 */
export type FusedRenderer = (
  b: Uint8Array,
  src: DataView,
  start: number,
  limit: number,
  out: Uint8Array,
  ov: DataView,
  o: number,
  res: Int32Array,
) => number;

const NULL_WORD = 0x6c6c756e; // `null`, little-endian

/**
 * The fused renderer of a format, given its pre-rendered key prefixes (`keys[keyAt[i], keyAt[i +
 * 1])`). On success it returns the new
 * output offset and leaves in `res[0]` the end of the line's content (its CR or LF); -1 declines.
 * Only numbers reach the generated code: key bytes as word constants, lengths, bounds, the bytes
 * of the enumerated values.
 */
export function fusedRenderer(format: FlowFormat, keys: Uint8Array, keyAt: Int32Array): FusedRenderer {
  const fields = format.fields;
  const n = fields.length;
  const startAt = fields.findIndex((f) => f.name === 'start');
  const endAt = fields.findIndex((f) => f.name === 'end');
  // The compiled check orders the first `start` and `end` only when both are integers.
  const ordered = startAt >= 0 && endAt >= 0 && fields[startAt]!.integer && fields[endAt]!.integer;
  let body = 'let p = start, q = 0, w = 0, t = 0, s = 0, c = 0, x = 0, k = 0, v = 0, vs = -1, ve = -1;\n';
  body += 'const size = src.byteLength;\n';
  for (let i = 0; i < n; i++) {
    const f = fields[i]!;
    const prefix = keys.subarray(keyAt[i]!, keyAt[i + 1]!);
    const padded = Buffer.alloc(Math.ceil(prefix.length / 4) * 4);
    padded.set(prefix);
    for (let j = 0; j < padded.length; j += 4)
      body += `ov.setInt32(o + ${j}, ${padded.readInt32LE(j)}, true); `;
    body += `o += ${prefix.length};\n`;
    // `-` (AWS's "no value") is allowed in every field and prints as null.
    body += `if (b[p] === 45 && b[p + 1] <= 32) { ov.setInt32(o, ${NULL_WORD}, true); o += 4; q = p + 1; }\nelse {\n`;
    if (f.integer)
      body += integerField(f.rule ? FLOW_RULE_MAX[f.rule] : undefined, i === startAt, i === endAt);
    else if (f.rule === 'FLOW_ADDRESS') body += addressField();
    else body += textField(f.rule ? FLOW_RULE_VALUES[f.rule] : undefined);
    body += '}\nif (q > limit) return -1;\n';
    body +=
      i < n - 1
        ? 'if (b[q] !== 32) return -1;\np = q + 1;\n'
        : 'c = b[q];\nif (c !== 10 && (c !== 13 || b[q + 1] !== 10)) return -1;\n';
  }
  if (ordered) body += 'if (vs >= 0 && ve >= 0 && vs > ve) return -1;\n';
  body += 'res[0] = q;\nout[o] = 125; out[o + 1] = 10;\nreturn o + 2;';
  return new Function(
    `return function renderFusedLine(b, src, start, limit, out, ov, o, res) {\n${body}\n};`,
  )() as FusedRenderer;
}

/** Code setting `q` to the end of the field at `p`: the first byte under 0x21, four bytes at a time. */
const FIND_END = `q = p;
for (;;) {
  if (q + 4 > size) { while (q < size && b[q] > 32) q++; break; }
  w = src.getInt32(q, true); t = (w - 0x21212121) & ~w & 0x80808080;
  if (t !== 0) { q += (31 - Math.clz32(t & -t)) >> 3; break; }
  q += 4;
}
if (q === p || q > limit) return -1;
`;

/**
 * Generated code that checks the integer at `b[p, q)` and copies it to `out` at `o`: digits only,
 * at most 15, no leading zero (the careful path drops those), copied a word at a time. In ASCII a
 * byte is a digit when neither +0x46 nor -0x30 sets its top bit (no carry or borrow crosses bytes
 * below a non-digit, and bytes past the value are masked). Returns -1 from the generated function
 * on anything else. `byteAt` spells a byte read of the source (an array index or a DataView read).
 * Shared by this renderer and the clean renderer of ./ndjson.ts, so the check is written once.
 */
export function integerCopy(byteAt: (index: string) => string): string {
  return `if (q - p > 15 || (q - p > 1 && ${byteAt('p')} === 48)) return -1;
if (q + 3 < size) {
  for (s = p; s < q; s += 4) {
    w = src.getInt32(s, true);
    t = ((w + 0x46464646) | (w - 0x30303030)) & 0x80808080;
    if (q - s < 4) t &= (1 << ((q - s) << 3)) - 1;
    if (t !== 0) return -1;
    ov.setInt32(o + s - p, w, true);
  }
  o += q - p;
} else for (s = p; s < q; s++) { c = ${byteAt('s')}; if (c < 48 || c > 57) return -1; out[o++] = c; }
`;
}

/**
 * An integer: digits only, at most 15, no leading zero, checked and copied a word at a time as
 * the clean renderer does (see ./ndjson.ts); its value read only when a bound or the start/end
 * order needs it.
 */
function integerField(max: number | undefined, isStart: boolean, isEnd: boolean): string {
  let code = FIND_END + integerCopy((i) => `b[${i}]`);
  if (max !== undefined || isStart || isEnd) {
    code += 'v = 0; for (s = p; s < q; s++) v = v * 10 + (b[s] - 48);\n';
    if (max !== undefined) code += `if (v > ${max}) return -1;\n`;
    if (isStart) code += 'vs = v;\n';
    if (isEnd) code += 've = v;\n';
  }
  return code;
}

/** A dotted quad (parts of 1-3 digits, no leading zero, at most 255), scanned as the compiled check does. */
function addressField(): string {
  return `c = b[p]; q = p; k = 0;
while (c >= 48 && c <= 57) { x = c - 48; c = b[++q]; if (c >= 48 && c <= 57) { if (x === 0) return -1; x = x * 10 + (c - 48); c = b[++q]; if (c >= 48 && c <= 57) { x = x * 10 + (c - 48); c = b[++q]; if (x > 255) return -1; } } k++; if (c !== 46 || k === 4) break; c = b[++q]; }
if (k !== 4 || c > 32 || q > limit) return -1;
${COPY}`;
}

/** Copies `b[p, q)` between quotes, a word at a time (a word may spill past; what follows overwrites it). */
const COPY = `out[o++] = 34;
for (s = p; s + 4 <= q; s += 4, o += 4) ov.setInt32(o, src.getInt32(s, true), true);
for (; s < q; s++) out[o++] = b[s];
out[o++] = 34;
`;

/** A string field, one of `values` when the field's rule enumerates them. */
function textField(values: readonly string[] | undefined): string {
  let code = FIND_END;
  if (values !== undefined) {
    const alternatives = values.map(
      (v) =>
        `(q - p === ${v.length}${[...v].map((ch, j) => ` && b[p + ${j}] === ${ch.charCodeAt(0)}`).join('')})`,
    );
    code += `if (!(${alternatives.join(' || ')})) return -1;\n`;
  }
  return code + COPY;
}
