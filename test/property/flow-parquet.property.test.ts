import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeFlowParquet } from '../../functions/lab/flow-parquet-writer.js';
import { FLOW_PARQUET_CODECS } from '../../functions/lib/flow-parquet.js';
import { flowFormatOf, formatFlowRecord, parseFlowLogText } from '../../shared/flow-logs/index.js';
import { FlowParquetReader, PARQUET_MAGIC } from '../../shared/flow-logs/parquet.js';
import { PATHGUARD_FLOW_FORMAT } from '../../shared/flow-logs/pathguard-format.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { flowLine, rng, V5_FIELDS } from '../bench/flow-data.js';
import { flowToken, meaningfulFlowValue, orderedStartEnd } from './flow-arbitraries.js';

const deep = process.env.PATHGUARD_DEEP === '1';
const seed = process.env.PATHGUARD_SEED ? Number(process.env.PATHGUARD_SEED) : undefined;
const runs = (n: number) => ({ numRuns: deep ? n * 10 : n, ...(seed === undefined ? {} : { seed }) });

async function decode(bytes: Uint8Array, samples = 5) {
  const rejects = new RejectCounter(samples);
  const reader = new FlowParquetReader(bytes, { source: 'p', rejects, compressors: FLOW_PARQUET_CODECS });
  const records: FlowRecord[] = [];
  for await (const b of reader.batches()) records.push(...b);
  return { records, rejects, failure: reader.failure };
}

// A realistic file of 600 v5 records in 3 row groups: every page kind AWS-style files have.
const r = rng(0x9a9);
const text = `${V5_FIELDS}\n${Array.from({ length: 600 }, (_, i) => flowLine(r, 1_764_000_000 + i)).join('\n')}\n`;
const records = parseFlowLogText(text, { rejects: new RejectCounter() });
const V5 = flowFormatOf(V5_FIELDS.split(' '));
const good = writeFlowParquet(records, V5, { rowGroupSize: 200 });

/** A meaningful value that fits the Parquet type AWS gives the field (INT_32 but for four INT_64 fields). */
const INT64 = new Set(['packets', 'bytes', 'start', 'end']);
const meaningfulCell = (name: string) =>
  meaningfulFlowValue(name).map((v) => (typeof v === 'number' && !INT64.has(name) ? v % 2 ** 31 : v));

describe('Parquet flow-log decoder properties', () => {
  it('never throws on random bytes, with or without the PAR1 magic at either end', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), fc.boolean(), async (body, framed) => {
        const bytes = framed ? Uint8Array.from([...PARQUET_MAGIC, ...body, ...PARQUET_MAGIC]) : body;
        const got = await decode(bytes);
        expect(got.records).toEqual([]);
        expect(got.failure?.error.code).toMatch(/^BAD_(FORMAT|ENCODING)$/);
      }),
      runs(300),
    );
  });

  it('never throws on a file cut anywhere, or with its middle cut out and its footer kept', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: good.length - 1 }),
        fc.integer({ min: 1, max: 4096 }),
        async (at, gap) => {
          const cut = await decode(good.subarray(0, at));
          expect(cut.failure?.error.code).toMatch(/^BAD_(FORMAT|ENCODING)$/);
          const end = Math.min(good.length - 8, at + gap);
          const holed = Uint8Array.from([...good.subarray(0, at), ...good.subarray(end)]);
          const got = await decode(holed);
          expect(got.records.length).toBeLessThanOrEqual(records.length);
          if (end > at) expect(got.failure).not.toBeNull();
        },
      ),
      runs(150),
    );
  });

  it('never throws or aborts on changed bytes (headers, levels, run lengths, footer), and counts what it decodes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 12,
        }),
        async (changes) => {
          const bytes = Uint8Array.from(good);
          for (const [i, v] of changes) bytes[i] = v;
          const got = await decode(bytes);
          expect(got.records.length + got.rejects.count).toBeLessThanOrEqual(records.length);
          if (got.failure === null) expect(got.records.length + got.rejects.count).toBe(records.length);
        },
      ),
      runs(200),
    );
  }, 120_000);

  it('round-trips any meaningful records of the PathGuard format: write as AWS does, read back the same records', async () => {
    const names = PATHGUARD_FLOW_FORMAT.fields.map((f) => f.name);
    const record = fc
      .tuple(...names.map((n) => fc.option(meaningfulCell(n), { nil: null })))
      .map((values) =>
        Object.fromEntries(
          orderedStartEnd(names, values).map((v, i) => [PATHGUARD_FLOW_FORMAT.fields[i]!.key, v]),
        ),
      );
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 40 }), async (recs) => {
        const got = await decode(writeFlowParquet(recs, PATHGUARD_FLOW_FORMAT, { rowGroupSize: 16 }));
        expect(got.failure).toBeNull();
        expect(got.rejects.count).toBe(0);
        expect(got.records).toEqual(recs);
      }),
      runs(60),
    );
  });

  it('rejects exactly the rows text rejects, with the same code and message, meaningful or not', async () => {
    // Each value keeps its field's rule or is any token / any 31-bit integer, which mostly does not.
    const value = (name: string, integer: boolean) =>
      fc.option(
        fc.oneof(meaningfulCell(name), integer ? fc.integer({ min: 0, max: 2_147_483_647 }) : flowToken),
        { nil: null },
      );
    const record = fc
      .tuple(...PATHGUARD_FLOW_FORMAT.fields.map((f) => value(f.name, f.integer)))
      .map((values) => Object.fromEntries(values.map((v, i) => [PATHGUARD_FLOW_FORMAT.fields[i]!.key, v])));
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 30 }), async (recs) => {
        const parquet = await decode(writeFlowParquet(recs, PATHGUARD_FLOW_FORMAT, { rowGroupSize: 8 }), 100);
        const rejects = new RejectCounter(100);
        const text = `${recs.map((r) => formatFlowRecord(r, PATHGUARD_FLOW_FORMAT)).join('\n')}\n`;
        const records = parseFlowLogText(text, { rejects, format: PATHGUARD_FLOW_FORMAT });
        expect(parquet.failure).toBeNull();
        expect(parquet.rejects.samples).toEqual(rejects.samples.map((s) => ({ ...s, source: 'p' })));
        expect(parquet.records).toEqual(records);
      }),
      runs(60),
    );
  });
});
