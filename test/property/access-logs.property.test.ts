import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AccessLogLineParser,
  formatAccessLogRecord,
  parseAccessLogLine,
  parseAccessLogString,
  parseCloudWatchAccessLogJson,
} from '../../shared/access-logs/index.js';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';

// Unquoted fields: one token, never `-` (that is null), no characters the formatter encodes.
const plainChar = fc.constantFrom(
  ..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=+%@#,;()[]{}!?*&^~'`".split(''),
);
const plainValue = fc
  .string({ unit: plainChar, minLength: 1, maxLength: 40 })
  .filter((s) => s !== '-' && s[0] !== '"');
const plainText = fc.option(plainValue, { nil: null });
// Quoted fields: any text without line breaks, never exactly `-`.
const quotedText = fc.option(
  fc.string({ unit: 'grapheme', maxLength: 60 }).filter((s) => s !== '-' && !/[\r\n]/.test(s)),
  { nil: null },
);
const count = fc.option(fc.integer({ min: 0, max: 5_000_000_000_000 }), { nil: null });
const time = fc.option(
  fc
    .integer({ min: Date.UTC(2006, 0, 1) / 1000, max: Date.UTC(2099, 11, 31) / 1000 })
    .map((s) => new Date(s * 1000).toISOString()),
  { nil: null },
);
const extraValue = fc.string({ unit: 'grapheme', maxLength: 20 }).filter((s) => !/[\r\n]/.test(s));

const recordArb: fc.Arbitrary<AccessLogRecord> = fc.record({
  bucketOwner: plainText,
  bucket: plainText,
  time,
  remoteIp: plainText,
  requester: plainText,
  requestId: plainText,
  operation: plainText,
  key: plainText,
  requestUri: quotedText,
  httpStatus: fc.option(fc.integer({ min: 100, max: 599 }), { nil: null }),
  errorCode: plainText,
  bytesSent: count,
  objectSize: count,
  totalTime: count,
  turnAroundTime: count,
  referer: quotedText,
  userAgent: quotedText,
  versionId: plainText,
  hostId: plainText,
  signatureVersion: plainText,
  cipherSuite: plainText,
  authenticationType: plainText,
  hostHeader: plainText,
  tlsVersion: plainText,
  accessPointArn: plainText,
  aclRequired: plainText,
  extra: fc.array(extraValue, { maxLength: 3 }),
});

describe('access log parser properties', () => {
  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => {
        const r = parseAccessLogString(s);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on arbitrary bytes, including slices of them', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const start = bytes.length === 0 ? 0 : a % bytes.length;
        const end = start + (bytes.length === 0 ? 0 : b % (bytes.length - start + 1));
        const r = parseAccessLogLine(bytes, start, end);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on near-miss lines built from real field shapes', () => {
    const token = fc.oneof(
      plainValue,
      fc.constant('-'),
      fc.constant('"-"'),
      fc.constant('[06/Feb/2019:00:00:38 +0000]'),
      fc.string({ maxLength: 10 }).map((s) => `"${s}`),
      fc.string({ maxLength: 10 }).map((s) => `[${s}`),
      fc.string({ maxLength: 10 }).map((s) => `"${s}\\"`),
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 40 }), (tokens) => {
        const r = parseAccessLogString(tokens.join(' '));
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('the count path accepts and rejects exactly what the parser does', () => {
    const token = fc.oneof(
      plainValue,
      fc.constant('-'),
      fc.constant('"-"'),
      fc.constant('[06/Feb/2019:00:00:38 +0000]'),
      fc.constant('[31/Feb/2019:00:00:38 +0000]'),
      fc.string({ maxLength: 8 }).map((s) => `"${s}"`),
      fc.string({ maxLength: 8 }).map((s) => `"${s}`),
      fc.string({ unit: 'grapheme', maxLength: 8 }),
      fc.integer({ min: -5, max: 1e17 }).map(String),
    );
    const line = fc.oneof(
      recordArb.map(formatAccessLogRecord),
      fc.array(token, { minLength: 15, maxLength: 30 }).map((t) => t.join(' ')),
      fc.string({ unit: 'binary', maxLength: 300 }),
    );
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 5 }), (lines) => {
        // Several lines in one chunk, as the reader hands them over.
        const chunk = Buffer.from(lines.map((l) => l.replace(/[\r\n]/g, ' ')).join('\n'), 'utf8');
        const a = new AccessLogLineParser({ maxLineBytes: 400 });
        const b = new AccessLogLineParser({ maxLineBytes: 400 });
        let start = 0;
        while (start <= chunk.length) {
          let end = chunk.indexOf(0x0a, start);
          if (end === -1) end = chunk.length;
          const parsed = a.parse(chunk, start, end);
          expect(b.check(chunk, start, end)).toEqual(parsed.ok ? null : parsed.error);
          start = end + 1;
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('never throws on arbitrary JSON in the CloudWatch form', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const r = parseCloudWatchAccessLogJson(JSON.stringify(v));
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
  });

  it('a random record formats and parses back to itself', () => {
    fc.assert(
      fc.property(recordArb, (record) => {
        const line = formatAccessLogRecord(record);
        expect(parseAccessLogString(line)).toEqual({ ok: true, value: record });
        // The same through the byte entry point (UTF-8 path when the line holds non-ASCII text).
        const bytes = Buffer.from(line, 'utf8');
        expect(parseAccessLogLine(bytes, 0, bytes.length)).toEqual({ ok: true, value: record });
      }),
      { numRuns: 1000 },
    );
  });
});
