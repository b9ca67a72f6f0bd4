import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCloudWatchEvents } from '../../functions/lib/cloudwatch-export.js';
import { parseCloudTrailEvent } from '../../shared/cloudtrail/index.js';
import { RejectCounter } from '../../shared/text/rejects.js';

const runs = process.env.PATHGUARD_DEEP ? 2000 : 150;

async function read(bytes: Buffer, step: number) {
  const rejects = new RejectCounter();
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += step) chunks.push(bytes.subarray(i, i + step));
  const got: string[] = [];
  for await (const ev of readCloudWatchEvents(
    (async function* () {
      yield* chunks;
    })(),
    { source: 't', rejects },
  ))
    got.push(ev.message);
  return { got, rejects };
}

const message = fc.string({ unit: 'binary', maxLength: 40 });
const payloadArb = fc.record({
  messageType: fc.constantFrom('DATA_MESSAGE', 'DATA_MESSAGE', 'CONTROL_MESSAGE', 'OTHER'),
  messages: fc.array(message, { maxLength: 5 }),
  lambda: fc.boolean(),
  gzip: fc.boolean(),
});

describe('subscription payload properties', () => {
  it('reads the events of every DATA_MESSAGE in order, skips CONTROL_MESSAGEs, rejects the rest, in any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(payloadArb, { minLength: 1, maxLength: 6 }),
        fc.constantFrom('', '\n', ' '),
        fc.integer({ min: 1, max: 97 }),
        async (payloads, sep, step) => {
          const parts = payloads.map((p) => {
            const json = JSON.stringify({
              messageType: p.messageType,
              owner: '123456789012',
              logGroup: 'g',
              logStream: 's',
              subscriptionFilters: ['f'],
              logEvents: p.messages.map((m, i) => ({ id: String(i), timestamp: i, message: m })),
            });
            if (!p.lambda) return json;
            const data = p.gzip ? gzipSync(json) : Buffer.from(json);
            return JSON.stringify({ awslogs: { data: data.toString('base64') } });
          });
          const { got, rejects } = await read(Buffer.from(parts.join(sep)), step);
          const data = payloads.filter((p) => p.messageType === 'DATA_MESSAGE');
          expect(got).toEqual(data.flatMap((p) => p.messages));
          expect(rejects.skipped).toBe(payloads.filter((p) => p.messageType === 'CONTROL_MESSAGE').length);
          expect(rejects.count).toBe(payloads.filter((p) => p.messageType === 'OTHER').length);
        },
      ),
      { numRuns: runs },
    );
  });

  it('never throws on arbitrary text in an awslogs event or a payload', async () => {
    const body = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.json({ maxDepth: 4 }),
      fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.from(b).toString('base64')),
    );
    const wrapper = fc.constantFrom(
      (s: string) => `{"awslogs":{"data":${JSON.stringify(s)}}}`,
      (s: string) => `{"awslogs":${s}}`,
      (s: string) => `{"messageType":"DATA_MESSAGE","logEvents":${s}}`,
      (s: string) => `{"messageType":${s},"logEvents":[{"message":"m"}]}`,
      (s: string) => s,
    );
    await fc.assert(
      fc.asyncProperty(body, wrapper, fc.integer({ min: 1, max: 64 }), async (s, wrap, step) => {
        const { got, rejects } = await read(Buffer.from(wrap(s)), step);
        expect(got.every((m) => typeof m === 'string')).toBe(true);
        expect(rejects.count).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: runs },
    );
  });

  it('a CloudTrail Insights event is skipped or rejected, never read as a record', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 }),
        fc.constantFrom({ eventCategory: 'Insight' }, { eventType: 'AwsCloudTrailInsight' }),
        fc.boolean(),
        (extra, marker, wellFormed) => {
          const event = {
            ...extra,
            ...(wellFormed ? { eventTime: '2019-10-17T10:05:00Z', insightDetails: { state: 'Start' } } : {}),
            // Even an S3 source must not make an Insights event a request.
            eventSource: 's3.amazonaws.com',
            eventName: 'GetObject',
            ...marker,
          };
          const r = parseCloudTrailEvent(event);
          if (r.ok) expect(r).toEqual({ ok: true, value: null, skip: 'INSIGHT_EVENT' });
          if (wellFormed) expect(r.ok).toBe(true);
        },
      ),
      { numRuns: runs * 4 },
    );
  });
});
