/**
 * SpanTupleMap answers as a Map keyed by the tuple's texts would: for tuples of random byte
 * strings (absent values among them, lengths around the four-byte steps of its comparison), with
 * the real hash and with every tuple given the same hash, so that only the byte comparison tells
 * them apart.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashOf } from '../../shared/text/byte-map.js';
import { SPAN_TUPLE_MAX_VALUE, SpanTupleMap } from '../../shared/text/span-tuple-map.js';

/** Tuple values: null is absent; short alphabets so that tuples collide and differ by one byte. */
const value = fc.oneof(
  fc.constant(null),
  fc.uint8Array({ minLength: 0, maxLength: 11 }).map((b) => b.map((x) => 0x61 + (x % 3))),
  fc.constantFrom('eni-0a1b', 'eni-0a1c', 'subnet-01', 'subnet-010', 'egress').map((s) => Buffer.from(s)),
);
/** Three to five values: lengths are kept two to a word, so odd and even widths both count. */
const tuple = fc.integer({ min: 3, max: 5 }).chain((n) => fc.array(value, { minLength: n, maxLength: n }));

/** Lays `t` out in a buffer after `pad` bytes, with a spans array in the layout the map reads. */
function place(t: readonly (Uint8Array | null)[], pad: number): { b: Buffer; spans: Int32Array } {
  const parts = [Buffer.alloc(pad, 0x20)];
  // Five slots per value (start, end, hash, two unused), as CompiledFlowFormat.spanValues.
  const spans = new Int32Array(t.length * 5).fill(-1);
  let at = pad;
  t.forEach((v, i) => {
    if (v === null) return;
    parts.push(Buffer.from(v), Buffer.from(' '));
    spans[i * 5] = at;
    spans[i * 5 + 1] = at + v.length;
    at += v.length + 1;
  });
  const b = Buffer.concat(parts);
  t.forEach((v, i) => {
    if (v !== null) spans[i * 5 + 2] = hashOf(b, spans[i * 5]!, spans[i * 5 + 1]!);
  });
  return { b, spans };
}

const textOf = (t: readonly (Uint8Array | null)[]) =>
  JSON.stringify(t.map((v) => (v === null ? null : [...v])));

describe('SpanTupleMap', () => {
  it('answers as a map keyed by the tuple, whatever the hashes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(tuple, fc.nat(7)), { minLength: 1, maxLength: 60 }),
        fc.boolean(),
        (steps, sameHash) => {
          const width = steps[0]![0].length;
          const map = new SpanTupleMap(
            Int32Array.from({ length: width }, (_, i) => 5 * i),
            64,
          );
          const model = new Map<string, number>();
          steps.forEach(([t0, pad], i) => {
            // Every tuple of a run has the first one's width (missing values absent).
            const t = Array.from({ length: width }, (_, m) => t0[m] ?? null);
            const { b, spans } = place(t, pad);
            const h = sameHash ? 12345 : map.hashOf(spans);
            const key = textOf(t);
            expect(map.get(b, spans, h)).toBe(model.get(key) ?? -1);
            if (i % 3 !== 2 && !map.isFull) {
              map.set(b, spans, h, i);
              model.set(key, i);
            }
            expect(map.get(b, spans, h)).toBe(model.get(key) ?? -1);
            expect(map.size).toBe(model.size);
          });
        },
      ),
      { numRuns: 400 },
    );
  });

  it('keeps each distinct value once, and forgets everything on clear', () => {
    const map = new SpanTupleMap(Int32Array.of(0, 5), 8);
    const a = Buffer.from('subnet-01');
    for (let i = 0; i < 5; i++) {
      const { b, spans } = place([Buffer.from(`eni-${i}`), a], i);
      map.set(b, spans, map.hashOf(spans), i);
    }
    // Five interface ids of 5 bytes, one subnet id of 9.
    expect(map.bytes).toBe(5 * 5 + 9);
    expect(map.size).toBe(5);
    map.clear();
    const { b, spans } = place([Buffer.from('eni-0'), a], 0);
    expect(map.get(b, spans, map.hashOf(spans))).toBe(-1);
    expect(map.size).toBe(0);
    expect(map.bytes).toBe(0);
  });

  it('keeps values up to its longest, tells an empty value from an absent one, refuses longer ones', () => {
    const map = new SpanTupleMap(Int32Array.of(0, 5), 8);
    const longest = Buffer.alloc(SPAN_TUPLE_MAX_VALUE, 0x61);
    const tooLong = Buffer.alloc(SPAN_TUPLE_MAX_VALUE + 1, 0x61);
    const cases: [Uint8Array | null, Uint8Array | null][] = [
      [longest, Buffer.from('x')],
      [Buffer.alloc(0), null],
      [null, Buffer.alloc(0)],
      [null, null],
      [Buffer.alloc(0), Buffer.alloc(0)],
    ];
    cases.forEach((t, i) => {
      const { b, spans } = place(t, 0);
      expect(map.set(b, spans, map.hashOf(spans), i)).toBe(true);
    });
    cases.forEach((t, i) => {
      const { b, spans } = place(t, 3);
      expect(map.get(b, spans, map.hashOf(spans))).toBe(i);
    });
    const { b, spans } = place([tooLong, Buffer.from('x')], 0);
    expect(map.set(b, spans, map.hashOf(spans), 9)).toBe(false);
    expect(map.get(b, spans, map.hashOf(spans))).toBe(-1);
    expect(map.size).toBe(cases.length);
  });

  it('refuses a tuple past its capacity', () => {
    const map = new SpanTupleMap(Int32Array.of(0), 2);
    const put = (s: string) => {
      const { b, spans } = place([Buffer.from(s)], 0);
      map.set(b, spans, map.hashOf(spans), 1);
    };
    put('a');
    put('b');
    expect(map.isFull).toBe(true);
    // An update of a tuple held is still allowed.
    put('a');
    expect(() => put('c')).toThrow(RangeError);
  });
});
