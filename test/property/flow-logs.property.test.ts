import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FLOW_FIELDS,
  FlowLineParser,
  FlowLogStreamParser,
  flowFormatOf,
  formatFlowRecord,
} from '../../shared/flow-logs/index.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';

const names = [...FLOW_FIELDS.keys()];
const token = fc.stringMatching(/^[A-Za-z0-9:._/-]{1,24}$/).filter((s) => s !== '-');

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

  it('a random record in a random field order formats and parses back to itself', () => {
    const arb = fc.shuffledSubarray(names, { minLength: 1 }).chain((fields) =>
      fc.tuple(
        fc.constant(fields),
        fc.tuple(
          ...fields.map((n) =>
            FLOW_FIELDS.get(n)!.integer
              ? fc.option(fc.nat({ max: Number.MAX_SAFE_INTEGER > 1e15 ? 999_999_999_999_999 : 0 }), {
                  nil: null,
                })
              : fc.option(token, { nil: null }),
          ),
        ),
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
