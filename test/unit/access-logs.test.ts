import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ACCESS_LOG_FIELDS,
  AccessLogLineParser,
  createAccessLogTokens,
  parseAccessLogLine,
  parseAccessLogString,
  parseLogTime,
  TOKEN_BRACKETED,
  TOKEN_PLAIN,
  TOKEN_QUOTED,
  TOKEN_QUOTED_ESCAPED,
  TOKENIZE_UNTERMINATED_BRACKET,
  TOKENIZE_UNTERMINATED_QUOTE,
  tokenizeAccessLogLine,
} from '../../shared/access-logs/index.js';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/access-logs/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter(Boolean);

function parsed(line: string): AccessLogRecord {
  const r = parseAccessLogString(line);
  if (!r.ok) throw new Error(`expected a record, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

describe('tokenizeAccessLogLine', () => {
  it('keeps the bracketed time and quoted fields whole', () => {
    const line = 'a b [06/Feb/2019:00:00:38 +0000] "GET /x HTTP/1.1" "Mozilla/5.0 (X11; Linux)" - z';
    const t = createAccessLogTokens();
    expect(tokenizeAccessLogLine(line, t)).toBe(0);
    const fields = Array.from({ length: t.count }, (_, i) => line.slice(t.starts[i], t.ends[i]));
    expect(fields).toEqual([
      'a',
      'b',
      '06/Feb/2019:00:00:38 +0000',
      'GET /x HTTP/1.1',
      'Mozilla/5.0 (X11; Linux)',
      '-',
      'z',
    ]);
    expect(Array.from(t.kinds.subarray(0, t.count))).toEqual([
      TOKEN_PLAIN,
      TOKEN_PLAIN,
      TOKEN_BRACKETED,
      TOKEN_QUOTED,
      TOKEN_QUOTED,
      TOKEN_PLAIN,
      TOKEN_PLAIN,
    ]);
  });

  it('runs a quoted field past escaped quotes and marks it for unescaping', () => {
    const line = 'a "say \\"hi\\" now" b';
    const t = createAccessLogTokens();
    expect(tokenizeAccessLogLine(line, t)).toBe(0);
    expect(t.count).toBe(3);
    expect(line.slice(t.starts[1], t.ends[1])).toBe('say \\"hi\\" now');
    expect(t.kinds[1]).toBe(TOKEN_QUOTED_ESCAPED);
  });

  it('treats a quote not followed by a space as content', () => {
    const line = 'a "x"y z" b';
    const t = createAccessLogTokens();
    expect(tokenizeAccessLogLine(line, t)).toBe(0);
    expect(line.slice(t.starts[1], t.ends[1])).toBe('x"y z');
  });

  it('only opens a bracketed field in the time position', () => {
    const line = '[a] b [c d] [e';
    const t = createAccessLogTokens();
    expect(tokenizeAccessLogLine(line, t)).toBe(0);
    expect(Array.from({ length: t.count }, (_, i) => line.slice(t.starts[i], t.ends[i]))).toEqual([
      '[a]',
      'b',
      'c d',
      '[e',
    ]);
  });

  it('reports unterminated quotes and brackets', () => {
    const t = createAccessLogTokens();
    expect(tokenizeAccessLogLine('a "open', t)).toBe(TOKENIZE_UNTERMINATED_QUOTE);
    expect(tokenizeAccessLogLine('a "ends in escape\\"', t)).toBe(TOKENIZE_UNTERMINATED_QUOTE);
    expect(tokenizeAccessLogLine('a b [06/Feb/2019:00:00:38 +0000', t)).toBe(TOKENIZE_UNTERMINATED_BRACKET);
  });
});

describe('parseAccessLogLine on AWS documentation examples', () => {
  // Source: s3-ug@1b918e0 LogFormat.md (awsdocs/amazon-s3-userguide, 2023), 26 fields.
  it('parses every field of the 2023 example in order', () => {
    const [first, second, third] = fixture('aws-doc-2023.log');
    expect(parsed(first!)).toEqual({
      bucketOwner: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be',
      bucket: 'DOC-EXAMPLE-BUCKET1',
      time: '2019-02-06T00:00:38.000Z',
      remoteIp: '192.0.2.3',
      requester: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be',
      requestId: '3E57427F3EXAMPLE',
      operation: 'REST.GET.VERSIONING',
      key: null,
      requestUri: 'GET /DOC-EXAMPLE-BUCKET1?versioning HTTP/1.1',
      httpStatus: 200,
      errorCode: null,
      bytesSent: 113,
      objectSize: null,
      totalTime: 7,
      turnAroundTime: null,
      referer: null,
      userAgent: 'S3Console/0.4',
      versionId: null,
      hostId: 's9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234=',
      signatureVersion: 'SigV4',
      cipherSuite: 'ECDHE-RSA-AES128-GCM-SHA256',
      authenticationType: 'AuthHeader',
      hostHeader: 'DOC-EXAMPLE-BUCKET1.s3.us-west-1.amazonaws.com',
      tlsVersion: 'TLSV1.2',
      accessPointArn: 'arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP',
      aclRequired: 'Yes',
      extra: [],
    } satisfies AccessLogRecord);
    expect(parsed(second!)).toMatchObject({
      httpStatus: 404,
      errorCode: 'NoSuchBucketPolicy',
      accessPointArn: null,
    });
    expect(parsed(third!)).toMatchObject({
      time: '2019-02-06T00:01:57.000Z',
      operation: 'REST.PUT.OBJECT',
      key: 's3-dg.pdf',
      bytesSent: null,
      objectSize: 4406583,
      totalTime: 41754,
      turnAroundTime: 28,
      cipherSuite: 'ECDHE-RSA-AES128-SHA',
    });
  });

  // Source: current LogFormat page (docs.amazonaws.cn/en_us/AmazonS3/latest/userguide/LogFormat.md):
  // one token after aclRequired (the Region).
  it('keeps the trailing field of the current example in extra', () => {
    const [line] = fixture('aws-doc-current.log');
    const r = parsed(line!);
    expect(r.bucket).toBe('amzn-s3-demo-bucket1');
    expect(r.aclRequired).toBe('Yes');
    expect(r.extra).toEqual(['us-east-1']);
  });

  // Source: 2014 LogFormat page (docs.aws.amazon.com/AmazonS3/latest/dev/LogFormat.html): records end
  // after Version Id.
  it('parses old records that end after Version Id, later fields null', () => {
    const lines = fixture('aws-doc-2014.log');
    expect(lines).toHaveLength(5);
    for (const line of lines) {
      const r = parsed(line);
      expect(r.bucket).toBe('mybucket');
      expect(r.versionId).toBeNull();
      expect(r.hostId).toBeNull();
      expect(r.signatureVersion).toBeNull();
      expect(r.aclRequired).toBeNull();
      expect(r.extra).toEqual([]);
    }
    expect(parsed(lines[4]!)).toMatchObject({ time: '2014-02-06T00:01:57.000Z', objectSize: 4406583 });
  });
});

describe('parseAccessLogLine on composed variants', () => {
  const [presigned, vpce, utf8] = fixture('composed-variants.log');

  it('reads a presigned GET through a gateway endpoint, its Request-URI as logged', () => {
    expect(parsed(presigned!).requestUri).toMatch(
      /^GET \/probes\/2026\/01\/15\/p-7f3a\.bin\?X-Amz-Algorithm=.*HTTP\/1\.1$/,
    );
    expect(parsed(presigned!)).toMatchObject({
      remoteIp: '10.20.30.40',
      authenticationType: 'QueryString',
      tlsVersion: 'TLSv1.3',
      userAgent: 'aws-sdk-js/3.600.0 ua/2.1 os/linux#6.1.0 lang/js md/nodejs#20.11.1 api/s3#3.600.0',
      accessPointArn: null,
      aclRequired: null,
      extra: ['us-east-1'],
    });
  });

  it('honours a time offset, IPv6, escaped quotes and an interface endpoint host', () => {
    const r = parsed(vpce!);
    expect(r.time).toBe('2026-01-15T10:15:02.000Z');
    expect(r.remoteIp).toBe('2001:db8:4006:812::200e');
    expect(r.requester).toBeNull();
    expect(r.referer).toBe('https://console.example.com/path?a=1');
    expect(r.userAgent).toBe('Mozilla/5.0 (X11; Linux x86_64) "quoted" build \\ backslash');
    expect(r.hostHeader).toBe(
      'probe-bucket-111122223333.bucket.vpce-0a1b2c3d4e5f60718-abcdefgh.s3.us-east-1.vpce.amazonaws.com',
    );
    expect(r.signatureVersion).toBeNull();
    expect(r.extra).toEqual([]);
  });

  it('decodes UTF-8 in fields, keeps the key as logged, and keeps several trailing fields', () => {
    const r = parsed(utf8!);
    expect(r.key).toBe('probes/2026/01/15/caf%C3%A9.txt');
    expect(r.userAgent).toBe('curl/8.5.0 (café edition)');
    expect(r.extra).toEqual(['us-east-1', 'future-field-28']);
    // The same bytes through the Buffer entry point (multi-byte path) give the same record.
    const bytes = Buffer.from(`xx${utf8}\n`, 'utf8');
    const r2 = parseAccessLogLine(bytes, 2, bytes.length - 1);
    expect(r2).toEqual({ ok: true, value: r });
  });

  it('parses a line inside a larger buffer and a plain Uint8Array alike', () => {
    const buf = Buffer.from(`${presigned}\n${vpce}\n`);
    const end = buf.indexOf(0x0a);
    const fromBuffer = parseAccessLogLine(buf, 0, end);
    const fromView = parseAccessLogLine(new Uint8Array(buf.buffer, buf.byteOffset, buf.length), 0, end);
    expect(fromBuffer).toEqual(fromView);
    expect(fromBuffer.ok && fromBuffer.value.requestId).toBe('7Q4W9E2R8T5Y1U3I');
  });
});

describe('AccessLogLineParser', () => {
  it('gives the same results as parseAccessLogLine for every line of a chunk', () => {
    // Escapes, UTF-8 and plain lines in one chunk, in every order: the per-chunk facts (ASCII,
    // next backslash) must not leak from one line to the next.
    const lines = [...fixture('composed-variants.log'), ...fixture('aws-doc-2023.log'), 'short line'];
    const asciiOnly = lines.filter((l) => !l.includes('café'));
    for (const order of [lines, [...lines].reverse(), asciiOnly, [...asciiOnly].reverse()]) {
      const chunk = Buffer.from(`${order.join('\n')}\n`);
      const p = new AccessLogLineParser();
      let start = 0;
      for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
        expect(p.parse(chunk, start, nl)).toEqual(parseAccessLogLine(chunk, start, nl));
        start = nl + 1;
      }
    }
  });

  it('re-learns the facts when handed a different chunk', () => {
    const [ascii] = fixture('aws-doc-2023.log');
    const [, escaped, utf8] = fixture('composed-variants.log');
    const p = new AccessLogLineParser();
    for (const line of [ascii, utf8, ascii, escaped, ascii]) {
      const buf = Buffer.from(line!);
      expect(p.parse(buf, 0, buf.length)).toEqual(parseAccessLogString(line!));
    }
  });

  it('caps line length', () => {
    const [line] = fixture('aws-doc-2023.log');
    const buf = Buffer.from(line!);
    const r = new AccessLogLineParser({ maxLineBytes: 100 }).parse(buf, 0, buf.length);
    expect(!r.ok && r.error.code).toBe('LINE_TOO_LONG');
  });
});

describe('parseAccessLogLine rejects', () => {
  const [good] = fixture('aws-doc-2023.log');
  const fields = good!.match(/\[[^\]]*\]|"[^"]*"|\S+/g)!;
  const withField = (i: number, v: string) => fields.map((f, j) => (j === i ? v : f)).join(' ');
  const code = (line: string) => {
    const r = parseAccessLogString(line);
    return r.ok ? 'OK' : r.error.code;
  };

  it('has the 26 fields of the 2023 example to mutate', () => {
    expect(fields).toHaveLength(26);
    expect(ACCESS_LOG_FIELDS).toHaveLength(26);
  });

  it('WRONG_FIELD_COUNT below User-Agent', () => {
    expect(code(fields.slice(0, 16).join(' '))).toBe('WRONG_FIELD_COUNT');
    expect(code(fields.slice(0, 17).join(' '))).toBe('OK');
    expect(code('this is not an access log line')).toBe('WRONG_FIELD_COUNT');
    expect(code('')).toBe('WRONG_FIELD_COUNT');
  });

  it('BAD_TIME for impossible or malformed times', () => {
    expect(code(withField(2, '[31/Feb/2019:00:00:38 +0000]'))).toBe('BAD_TIME');
    expect(code(withField(2, '[06/Foo/2019:00:00:38 +0000]'))).toBe('BAD_TIME');
    expect(code(withField(2, '[06/Feb/2019:24:00:38 +0000]'))).toBe('BAD_TIME');
    expect(code(withField(2, '[06/Feb/2019:00:00:38]'))).toBe('BAD_TIME');
    expect(code(withField(2, '[6/Feb/2019:00:00:38 +0000]'))).toBe('BAD_TIME');
    expect(code(withField(2, '06/Feb/2019:00:00:38'))).toBe('BAD_TIME');
    expect(code(withField(2, '[29/Feb/2024:00:00:38 +0000]'))).toBe('OK');
    const r = parseAccessLogString(withField(2, '-'));
    expect(r.ok && r.value.time).toBeNull();
  });

  it('BAD_NUMBER names the field and does not quote the value', () => {
    const r = parseAccessLogString(withField(9, '2OO'));
    expect(r).toEqual({
      ok: false,
      error: {
        code: 'BAD_NUMBER',
        field: 'httpStatus',
        message: 'httpStatus is not a non-negative integer or -',
      },
    });
    expect(code(withField(11, '-5'))).toBe('BAD_NUMBER');
    expect(code(withField(12, '1.5'))).toBe('BAD_NUMBER');
    expect(code(withField(13, '"7"'))).toBe('BAD_NUMBER');
    expect(code(withField(14, '1234567890123456'))).toBe('BAD_NUMBER');
  });

  it('BAD_QUOTING for a quote or bracket that never closes', () => {
    expect(code(withField(16, '"S3Console/0.4'))).toBe('BAD_QUOTING');
    expect(code(`${fields.slice(0, 2).join(' ')} [06/Feb/2019:00:00:38 +0000`)).toBe('BAD_QUOTING');
  });

  it('LINE_TOO_LONG over the cap, for bytes and strings', () => {
    const long = `${good} ${'x'.repeat(200)}`;
    expect(code(long)).toBe('OK');
    const r = parseAccessLogString(long, { maxLineBytes: 100 });
    expect(!r.ok && r.error.code).toBe('LINE_TOO_LONG');
    const bytes = Buffer.from(long);
    const r2 = parseAccessLogLine(bytes, 0, bytes.length, { maxLineBytes: 100 });
    expect(!r2.ok && r2.error.code).toBe('LINE_TOO_LONG');
    // Three-byte characters: 40 characters are 120 bytes.
    const r3 = parseAccessLogString('€'.repeat(40), { maxLineBytes: 100 });
    expect(!r3.ok && r3.error.code).toBe('LINE_TOO_LONG');
  });

  it('WRONG_FIELD_COUNT for absurdly many fields', () => {
    expect(code(`${good} ${'x '.repeat(200)}`)).toBe('WRONG_FIELD_COUNT');
  });
});

describe('parseLogTime', () => {
  it('converts to ISO 8601 UTC and honours the offset', () => {
    expect(parseLogTime('06/Feb/2019:00:00:38 +0000')).toBe('2019-02-06T00:00:38.000Z');
    expect(parseLogTime('06/Feb/2019:00:00:38 +0530')).toBe('2019-02-05T18:30:38.000Z');
    expect(parseLogTime('31/Dec/2019:23:30:00 -0100')).toBe('2020-01-01T00:30:00.000Z');
  });

  it('rejects what strftime would never write', () => {
    expect(parseLogTime('29/Feb/2019:00:00:00 +0000')).toBeNull();
    expect(parseLogTime('06/feb/2019:00:00:38 +0000')).toBeNull();
    expect(parseLogTime('06/eb/F2019:00:00:38 +0000')).toBeNull();
    expect(parseLogTime('06/Feb/2019:00:60:38 +0000')).toBeNull();
    expect(parseLogTime('06/Feb/2019:00:00:38 *0000')).toBeNull();
    expect(parseLogTime('06/Feb/0019:00:00:38 +0000')).toBeNull();
  });

  it('gives the same answer after a cached time as without it', () => {
    const [line] = fixture('aws-doc-2023.log');
    const a = parsed(line!);
    const b = parsed(line!.replace('+0000]', '+0100]'));
    expect(a.time).toBe('2019-02-06T00:00:38.000Z');
    expect(b.time).toBe('2019-02-05T23:00:38.000Z');
    expect(parsed(line!).time).toBe(a.time);
  });
});
