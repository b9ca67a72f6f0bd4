import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type CloudWatchEvent,
  MAX_JSON_DEPTH,
  readCloudWatchEvents,
} from '../../functions/lib/cloudwatch-export.js';
import { RejectCounter } from '../../shared/text/rejects.js';

// The layout `aws logs filter-log-events` prints (AWS CLI reference, filter-log-events output:
// events[] with logStreamName, timestamp, message, ingestionTime, eventId; searchedLogStreams;
// nextToken). Messages are the default-format records of the AWS flow-log examples.
const fixture = readFileSync(new URL('../fixtures/flow-logs/cwl-export.json', import.meta.url));
const paginated = readFileSync(new URL('../fixtures/flow-logs/cwl-export-paginated.json', import.meta.url));

async function read(
  chunks: Uint8Array[],
  maxEventBytes?: number,
): Promise<{ events: CloudWatchEvent[]; rejects: RejectCounter }> {
  const rejects = new RejectCounter(20);
  const events: CloudWatchEvent[] = [];
  async function* source() {
    yield* chunks;
  }
  for await (const e of readCloudWatchEvents(source(), {
    source: 'in',
    rejects,
    ...(maxEventBytes ? { maxEventBytes } : {}),
  }))
    events.push(e);
  return { events, rejects };
}

function split(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

const codes = (r: RejectCounter) => r.samples.map((s) => [s.line, s.code]);

describe('readCloudWatchEvents', () => {
  it('reads the events of a filter-log-events document and ignores searchedLogStreams', async () => {
    const { events, rejects } = await read([fixture]);
    expect(events).toEqual([
      {
        logStreamName: 'eni-1235b8ca123456789-all',
        timestamp: 1418530010000,
        message:
          '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK',
      },
      {
        logStreamName: 'eni-1235b8ca123456789-all',
        timestamp: 1418530010000,
        message:
          '2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK',
      },
    ]);
    expect(rejects.count).toBe(0);
  });

  it('reads several documents saved back to back from paginated output', async () => {
    const { events, rejects } = await read([paginated]);
    expect(events.map((e) => e.message.split(' ')[3])).toEqual([
      '172.31.16.139',
      '172.31.9.69',
      '2001:db8:1234:a100:8d6e:3477:df66:f105',
    ]);
    expect(events.map((e) => e.logStreamName)).toEqual([
      'eni-1235b8ca123456789-all',
      'eni-1235b8ca123456789-all',
      'eni-1235b8ca123456789-all',
    ]);
    expect(rejects.count).toBe(0);
  });

  it('gives the same events whatever the chunk boundaries', async () => {
    const whole = (await read([paginated])).events;
    for (const size of [1, 2, 3, 7, 64, 333]) {
      const { events, rejects } = await read(split(paginated, size));
      expect(events).toEqual(whole);
      expect(rejects.count).toBe(0);
    }
  });

  it('reads NDJSON events and documents whose events key is not first', async () => {
    const ndjson = [
      '{"timestamp":1,"message":"first","logStreamName":"s"}',
      '',
      '{"message":"second"}',
      JSON.stringify({
        searchedLogStreams: [{ logStreamName: 'x', message: 'not an event' }],
        events: [{ message: 'third' }],
      }),
    ].join('\n');
    const { events, rejects } = await read([Buffer.from(ndjson)]);
    expect(events).toEqual([
      { message: 'first', timestamp: 1, logStreamName: 's' },
      { message: 'second', timestamp: null, logStreamName: null },
      { message: 'third', timestamp: null, logStreamName: null },
    ]);
    expect(rejects.count).toBe(0);
  });

  it('reads a top-level array of events (jq .events output)', async () => {
    const doc = JSON.parse(fixture.toString('utf8')) as { events: object[] };
    const { events, rejects } = await read([Buffer.from(JSON.stringify(doc.events, null, 2))]);
    expect(events.map((e) => e.message.split(' ').at(-2))).toEqual(['ACCEPT', 'REJECT']);
    expect(rejects.count).toBe(0);
  });

  it('keeps escaped quotes, braces and multi-byte characters split across chunks', async () => {
    const message = 'a "quoted" {brace} [bracket] \\ é 😀 "events": [';
    const bytes = Buffer.from(JSON.stringify({ events: [{ message }, { message }] }));
    const { events } = await read(split(bytes, 1));
    expect(events.map((e) => e.message)).toEqual([message, message]);
  });

  it('rejects events without a message and malformed events, and goes on', async () => {
    const text = ['{"timestamp":1}', '{"message":"ok-1"}', '{"message":1,}', '{"message":"ok-2"}'].join('\n');
    const { events, rejects } = await read([Buffer.from(text)]);
    expect(events.map((e) => e.message)).toEqual(['ok-1', 'ok-2']);
    expect(codes(rejects)).toEqual([
      [1, 'NOT_A_RECORD'],
      [3, 'BAD_JSON'],
    ]);
  });

  it('reports text outside any JSON object once per line and reads the events after it', async () => {
    const text =
      '{"message":"ok-1"}\nnot json at all\n2 123456789010 eni-1 - - - - - - - 1 2 - NODATA\n{"message":"ok-2"}\n';
    const { events, rejects } = await read(split(Buffer.from(text), 5));
    expect(events.map((e) => e.message)).toEqual(['ok-1', 'ok-2']);
    expect(codes(rejects)).toEqual([
      [2, 'BAD_JSON'],
      [3, 'BAD_JSON'],
    ]);
  });

  it('recovers from an NDJSON line whose string is never closed', async () => {
    const text = '{"message":"cut off\n{"message":"ok"}\n';
    const { events, rejects } = await read([Buffer.from(text)]);
    expect(events.map((e) => e.message)).toEqual(['ok']);
    expect(codes(rejects)).toEqual([[1, 'BAD_JSON']]);
  });

  it('rejects an oversized event without buffering it, and reads the next one', async () => {
    const big = JSON.stringify({ message: 'x'.repeat(10_000) });
    const { events, rejects } = await read(split(Buffer.from(`${big}\n{"message":"small"}\n`), 100), 1000);
    expect(events.map((e) => e.message)).toEqual(['small']);
    expect(codes(rejects)).toEqual([[1, 'LINE_TOO_LONG']]);
  });

  it('reports input that ends inside an event', async () => {
    const { events, rejects } = await read([fixture.subarray(0, fixture.length - 200)]);
    expect(events).toHaveLength(1);
    expect(rejects.samples.at(-1)?.code).toBe('BAD_JSON');
  });

  it('reads an empty events array without rejects', async () => {
    const { events, rejects } = await read([
      Buffer.from('{"events":[],"searchedLogStreams":[],"nextToken":null}'),
    ]);
    expect(events).toEqual([]);
    expect(rejects.count).toBe(0);
  });

  it('caps JSON nesting: a deep value is rejected as TOO_DEEP with constant memory, and reading goes on', async () => {
    // 10^7 brackets: the container stack used to grow with each (10^8 killed V8 at about 1.9 GB).
    const deep = Buffer.alloc(10_000_000, '[');
    const before = process.memoryUsage().heapUsed;
    const { events, rejects } = await read([
      Buffer.from('{"events":[{"message":"a"},{"message":'),
      ...split(deep, 1 << 20),
      Buffer.from(']'),
    ]);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
    expect(events.map((e) => e.message)).toEqual(['a']);
    expect(codes(rejects)).toEqual([[2, 'TOO_DEEP']]);
    expect(rejects.samples[0]!.message).toBe(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  });

  it('reads events nested up to the cap and the NDJSON line after a deep one', async () => {
    const atCap = `{"message":"ok","x":${'['.repeat(MAX_JSON_DEPTH - 1)}${']'.repeat(MAX_JSON_DEPTH - 1)}}`;
    const over = `{"message":"no","x":${'['.repeat(MAX_JSON_DEPTH)}"]["${']'.repeat(MAX_JSON_DEPTH)}}`;
    const { events, rejects } = await read(split(Buffer.from(`${atCap}\n${over}\n{"message":"next"}\n`), 7));
    expect(events.map((e) => e.message)).toEqual(['ok', 'next']);
    expect(codes(rejects)).toEqual([[2, 'TOO_DEEP']]);
  });
});
