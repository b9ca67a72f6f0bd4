import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FLOW_FIELDS,
  type FlowFormat,
  FlowLineParser,
  FlowLogStreamParser,
  flowFormatOf,
  formatFlowRecord,
  looksLikeFlowHeader,
  parseFlowLine,
} from '../../shared/flow-logs/index.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { flowToken, meaningfulFlowValue, orderedStartEnd } from './flow-arbitraries.js';

const names = [...FLOW_FIELDS.keys()];
const token = flowToken;
const ipv4 = fc.ipV4();
const ipv6 = fc.ipV6().filter((s) => !s.includes('%'));
const meaningful = meaningfulFlowValue;
const ordered = orderedStartEnd;

describe('flow-log parser properties', () => {
  it('never throws on arbitrary bytes, in any chunking, and accounts for every line', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: 1, max: 64 }), (bytes, step) => {
        const rejects = new RejectCounter();
        let records = 0;
        const p = new FlowLogStreamParser({
          source: 't',
          rejects,
          maxLineBytes: 300,
          onRecord: () => records++,
        });
        for (let i = 0; i < bytes.length; i += step) p.push(bytes.subarray(i, i + step));
        p.end();
        expect(records + rejects.count).toBeLessThanOrEqual(bytes.length + 1);
      }),
    );
  });

  it('never throws on arbitrary strings', () => {
    const p = new FlowLineParser(flowFormatOf(names.slice(0, 14)));
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        const r = p.parse(s);
        expect(typeof r.ok).toBe('boolean');
      }),
    );
  });

  it('parseFlowLine never throws on arbitrary bytes and bounds', () => {
    const format = flowFormatOf(names.slice(0, 14));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (bytes, x, y) => {
        const a = bytes.length === 0 ? 0 : x % (bytes.length + 1);
        const b = a + (bytes.length - a === 0 ? 0 : y % (bytes.length - a + 1));
        const r = parseFlowLine(bytes, a, b, format);
        expect(typeof r.ok).toBe('boolean');
      }),
    );
  });

  it('a random record in a random field order formats and parses back to itself', () => {
    const arb = fc.shuffledSubarray(names, { minLength: 1 }).chain((fields) =>
      fc.tuple(
        fc.constant(fields),
        fc
          .tuple(...fields.map((n) => fc.option(meaningful(n), { nil: null })))
          .map((v) => ordered(fields, v)),
      ),
    );
    fc.assert(
      fc.property(arb, ([fields, values]) => {
        const format = flowFormatOf(fields);
        const record: FlowRecord = {};
        fields.forEach((n, i) => {
          record[FLOW_FIELDS.get(n)!.key] = values[i] as string | number | null;
        });
        const line = formatFlowRecord(record, format);
        const back = new FlowLineParser(format).parse(line);
        expect(back).toEqual({ ok: true, value: record });
      }),
    );
  });
});

/** Parses one line through the stream (byte fast path first), in build and count mode. */
function viaStream(line: string, format: FlowFormat) {
  const rejects = new RejectCounter();
  const got: FlowRecord[] = [];
  const build = new FlowLogStreamParser({ source: 't', format, rejects, onRecord: (r) => got.push(r) });
  build.push(Buffer.from(`${line}\n`));
  const counted = new FlowLogStreamParser({
    source: 't',
    format,
    rejects: new RejectCounter(),
    countOnly: true,
  });
  counted.push(Buffer.from(`${line}\n`));
  return { got, code: rejects.samples[0]?.code, counted: counted.records };
}

describe('byte fast path and general path', () => {
  // Values near the edges of what the fast path accepts: dashes, 15/16/17 digits, signs, tabs,
  // non-ASCII, control bytes.
  const value = fc.oneof(
    token,
    fc.constant('-'),
    fc.constant('--'),
    fc.constant('-5'),
    fc.constant('+5'),
    fc.constant('999999999999999'),
    fc.constant('9007199254740991'),
    fc.constant('9007199254740992'),
    fc.constant('12345678901234567'),
    fc.constant('1.5'),
    fc.constant('a\tb'),
    // Values at the edges of the meaning rules.
    ipv4,
    ipv6,
    fc.constantFrom('256.1.1.1', '01.2.3.4', '1.2.3', '1.2.3.4.5', '::ffff:10.0.0.1', '2001:db8::g'),
    fc.constantFrom('ACCEPT', 'REJECT', 'accept', 'OK', 'NODATA', 'SKIPDATA', 'NODATAX'),
    fc.constantFrom('65535', '65536', '255', '256', '0'),
    fc.constant('é'),
    fc.constant('\u0001'),
    fc.nat().map(String),
  );
  const sep = fc.oneof({ weight: 8, arbitrary: fc.constant(' ') }, fc.constant('  '), fc.constant('\t'));
  const arb = fc
    .shuffledSubarray(names, { minLength: 1, maxLength: 12 })
    .chain((fields) =>
      fc.tuple(
        fc.constant(fields),
        fc.array(fc.tuple(value, sep), { minLength: 0, maxLength: fields.length + 2 }),
        fc.constantFrom('', ' ', '\r'),
        fc.constantFrom('', ' '),
      ),
    );

  it('accept the same lines with the same values, and reject with the same reason', () => {
    fc.assert(
      fc.property(arb, ([fields, parts, tail, lead]) => {
        const format = flowFormatOf(fields);
        const line = lead + parts.map(([v, s], i) => (i === 0 ? v : s + v)).join('') + tail;
        // The general path sees the line as a decoder would hand it over: without the CR of CRLF.
        const expected = new FlowLineParser(format).parse(tail === '\r' ? line.slice(0, -1) : line);
        const { got, code, counted } = viaStream(line, format);
        // Blank lines are skipped and header lines switch the format: neither is a record.
        if (line.trim() === '' || looksLikeFlowHeader(line)) return;
        if (expected.ok) {
          expect(got).toEqual([expected.value]);
          expect(counted).toBe(1);
        } else if (got.length === 0 && code !== undefined) {
          expect(code).toBe(expected.error.code);
          expect(counted).toBe(0);
        } else {
          // A line the general path rejects can only be skipped by the stream as a header line.
          expect(got).toEqual([]);
          expect(counted).toBe(0);
        }
        if (tail === '\r') return;
        // The same line given by bounds inside a larger buffer.
        const bytes = Buffer.from(`x${line}y`);
        const direct = parseFlowLine(bytes, 1, bytes.length - 1, format);
        expect(direct).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('records with only some keys', () => {
  it('equal the full record cut down to those keys, on either path', () => {
    const arb = fc.shuffledSubarray(names, { minLength: 1, maxLength: 12 }).chain((fields) =>
      fc.tuple(
        fc.constant(fields),
        fc
          .tuple(...fields.map((n) => fc.option(meaningful(n), { nil: null })))
          .map((v) => ordered(fields, v)),
        fc.subarray(fields.map((n) => FLOW_FIELDS.get(n)!.key)),
        fc.constantFrom(' ', '  '),
      ),
    );
    fc.assert(
      fc.property(arb, ([fields, values, keys, sep]) => {
        const format = flowFormatOf(fields);
        const line = values.map((v) => (v === null ? '-' : String(v))).join(sep);
        if (looksLikeFlowHeader(line)) return;
        const full: FlowRecord[] = [];
        const cut: FlowRecord[] = [];
        for (const [out, opts] of [
          [full, {}],
          [cut, { fields: keys }],
        ] as const) {
          const p = new FlowLogStreamParser({
            source: 't',
            format,
            rejects: new RejectCounter(),
            ...opts,
            onRecord: (r) => out.push(r),
          });
          p.push(Buffer.from(`${line}\n`));
        }
        expect(full).toHaveLength(1);
        expect(cut).toEqual([Object.fromEntries(keys.map((k) => [k, full[0]![k]]))]);
      }),
    );
  });
});
