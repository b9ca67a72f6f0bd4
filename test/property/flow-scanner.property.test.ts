import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileFlowFormat, SPAN_WIDTH } from '../../shared/flow-logs/compiled-format.js';
import { FLOW_RULE_MAX, FLOW_RULE_VALUES, type FlowFieldSpec } from '../../shared/flow-logs/fields.js';
import { FLOW_FIELDS, flowFormatOf } from '../../shared/flow-logs/index.js';
import { isIpBytes } from '../../shared/flow-logs/meaning.js';
import { V5_FIELDS } from '../bench/flow-data.js';

/**
 * The generated line scanners (`check`, `spans`) against a plain model of the strict layout they
 * accept, written from their contract: fields of bytes over 0x20 separated by one space; an
 * integer is `-` or 1-15 ASCII digits (within its rule's bound); an address is `-`, a dotted quad
 * or whatever isIpBytes accepts; an enumerated value is one of its values or `-`; any other field
 * is at least one byte; `start` not after `end`; the line ends with LF or CRLF (`end` < 0) or
 * exactly at `end`. Lines are placed inside buffers with bytes before and after them, or ending
 * right at the buffer's end, with digits, bytes >= 0x80 and control bytes around the edges.
 */

const V5 = V5_FIELDS.split(' ');

const names = [...FLOW_FIELDS.keys()];
const KEYS = [
  'srcaddr',
  'dstaddr',
  'pktSrcaddr',
  'interfaceId',
  'subnetId',
  'srcport',
  'start',
  'trafficPath',
];

/** FNV-1a over bytes, as shared/text/byte-map.ts hashes a span. */
function fnv(b: Uint8Array, a: number, e: number): number {
  let h = -2128831035;
  for (let i = a; i < e; i++) h = Math.imul(h ^ b[i]!, 16777619);
  return h;
}

const text = (b: Uint8Array, a: number, e: number) => Buffer.from(b.subarray(a, e)).toString('latin1');

/** A dotted quad as the fast path reads one: 4 parts of 1-3 digits, no leading zero, at most 255. */
function quadValue(s: string): number | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let v = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return null;
    v = v * 256 + Number(part);
  }
  return v | 0;
}

/** What `spans` leaves for a key: its value's bounds, and what it reads from a value of that kind. */
type Span =
  | { kind: 'integer'; start: number; end: number; value: number }
  | { kind: 'address'; start: number; end: number; quad: number | null }
  | { kind: 'text'; start: number; end: number; hash: number };

interface Model {
  end: number;
  spans: Map<string, Span>;
}

function model(fields: readonly FlowFieldSpec[], b: Uint8Array, p: number, end: number): Model | null {
  let i = p;
  const spans: Model['spans'] = new Map();
  let start: number | null = null;
  let stop: number | null = null;
  for (let k = 0; k < fields.length; k++) {
    const f = fields[k]!;
    const a = i;
    while (i < b.length && b[i]! > 32) i++;
    const s = text(b, a, i);
    if (f.integer) {
      if (s !== '-' && !/^[0-9]{1,15}$/.test(s)) return null;
      const v = s === '-' ? null : Number(s);
      const max = f.rule ? FLOW_RULE_MAX[f.rule] : undefined;
      if (v !== null && max !== undefined && v > max) return null;
      if (f.name === 'start') start = v ?? -1;
      if (f.name === 'end') stop = v ?? -1;
      spans.set(f.key, {
        kind: 'integer',
        start: a,
        end: i,
        value: v === null ? -1 : v > 0x7fffffff ? -2 : v,
      });
    } else if (f.rule === 'FLOW_ADDRESS') {
      const q = quadValue(s);
      if (q === null && s !== '-' && !isIpBytes(b, a, i)) return null;
      spans.set(f.key, { kind: 'address', start: a, end: i, quad: q });
    } else {
      if (s === '') return null;
      const values = f.rule ? FLOW_RULE_VALUES[f.rule] : undefined;
      if (values !== undefined && s !== '-' && !values.includes(s)) return null;
      spans.set(f.key, { kind: 'text', start: a, end: i, hash: fnv(b, a, i) });
    }
    if (k < fields.length - 1) {
      if (b[i] !== 32) return null;
      i++;
    } else if (end < 0 ? b[i] !== 10 && (b[i] !== 13 || b[i + 1] !== 10) : i !== end) return null;
  }
  if (start !== null && stop !== null && start >= 0 && stop >= 0 && start > stop) return null;
  return { end: i, spans };
}

const value = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9:._/-]{1,30}$/),
  fc.constantFrom('-', '--', '-5', '', '0', '00', '007', '65535', '65536', '255', '256'),
  fc.integer({ min: 1, max: 17 }).chain((n) => fc.stringMatching(new RegExp(`^[0-9]{${n}}$`))),
  fc.ipV4(),
  fc.constantFrom('256.1.1.1', '01.2.3.4', '1.2.3', '1.2.3.4.5', '1.2.3.4x', '1..2.3', '1.2.3.', '.1.2.3'),
  fc.constantFrom('10.0.0.1000', '255.255.255.255', '0.0.0.0', '::1', '2001:db8::1', '::ffff:10.0.0.1'),
  fc.constantFrom('ACCEPT', 'REJECT', 'OK', 'NODATA', 'SKIPDATA', 'ACCEPTX', 'O'),
  // Bytes >= 0x80 and control bytes inside, at the start or at the end of a value.
  fc.constantFrom('é', 'a\u00e9', '\u00ff9', '12\u0080', '\u0001', 'a\u0001b', '5\u007f', '\u00a0'),
);
const sep = fc.oneof({ weight: 10, arbitrary: fc.constant(' ') }, fc.constantFrom('  ', '\t', '\u0000'));
const lineEnd = fc.constantFrom('\n', '\r\n', '', '\r', ' \n', '\n\n');
const junk = fc.stringMatching(/^[0-9a-z \n.]{0,9}$/);

const arb = fc
  .shuffledSubarray(names, { minLength: 1, maxLength: 14 })
  .chain((fields) =>
    fc.tuple(
      fc.constant(fields),
      fc.array(fc.tuple(value, sep), { minLength: fields.length, maxLength: fields.length + 1 }),
      lineEnd,
      junk,
      junk,
      fc.boolean(),
    ),
  );

describe('generated line scanners', () => {
  it('accept exactly what the strict layout allows, and stop where it ends, in any buffer', () => {
    fc.assert(
      fc.property(arb, ([fields, parts, ending, before, after, atBufferEnd]) => {
        const format = flowFormatOf(fields);
        const line = parts.map(([v, s], i) => (i === 0 ? v : s + v)).join('');
        // A line that ends at the buffer's end has nothing after it.
        const tail = atBufferEnd ? '' : ending + after;
        const b = Buffer.from(before + line + tail, 'latin1');
        const p = before.length;
        const contentEnd = p + line.length;
        const check = compileFlowFormat(format).check!;
        const spanned = compileFlowFormat(format, KEYS);
        // `end` >= 0 is a line's end as callers give it: the buffer's end or a byte under 0x21.
        const ends = b[contentEnd] === undefined || b[contentEnd]! <= 32 ? [-1, contentEnd] : [-1];
        for (const end of ends) {
          const want = model(format.fields, b, p, end);
          const got = check(b, p, end);
          expect(got).toBe(want === null ? -1 : want.end);
          const s = spanned.spans!(b, p, end);
          expect(s).toBe(got);
          if (want === null) continue;
          const out = spanned.spanValues!;
          KEYS.forEach((key, k) => {
            const at = k * SPAN_WIDTH;
            const m = want.spans.get(key);
            if (m === undefined) {
              expect(out[at]).toBe(-1);
              return;
            }
            expect([out[at], out[at + 1]]).toEqual([m.start, m.end]);
            if (m.kind === 'integer') expect(out[at + 3]).toBe(m.value);
            if (m.kind === 'text') expect(out[at + 2]).toBe(m.hash);
            if (m.kind === 'address') {
              // A quad that ends the buffer (no byte after it) is not flagged: the reader then
              // takes its slower path, which is still right.
              expect(out[at + 4]).toBe(m.quad !== null && m.end < b.length ? 1 : 0);
              if (m.quad !== null && m.end < b.length) expect(out[at + 3]).toBe(m.quad);
            }
          });
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('read the same through a buffer that ends inside a field, one byte at a time', () => {
    // Every prefix of a good v5 line, alone in its buffer: the scan must stop at the buffer's end
    // (never past it), and only the whole line with `end` at the buffer's end is accepted.
    const line =
      '5 123456789012 eni-00a51831036008e 52.216.100.0 10.3.96.12 443 59310 6 896 714112 1764000000 1764000058 ACCEPT OK vpc-0a003bfdbc090daa6 subnet-0036f037def53793 i-012751a6abcdef012 19 IPv4 52.216.100.0 10.3.96.12 us-east-1 use1-az4 - - S3 - ingress 8';
    const format = flowFormatOf(V5);
    const check = compileFlowFormat(format).check!;
    for (let n = 0; n <= line.length; n++) {
      const b = Buffer.from(line.slice(0, n), 'latin1');
      expect(check(b, 0, -1)).toBe(-1);
      expect(check(b, 0, n)).toBe(n === line.length ? n : -1);
      expect(check(new Uint8Array(b), 0, n)).toBe(n === line.length ? n : -1);
    }
  });
});
