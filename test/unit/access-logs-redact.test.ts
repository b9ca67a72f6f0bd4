import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readAccessLogRecords } from '../../functions/lib/read-access-logs.js';
import { parseAccessLogString, redactAccessLogRecord } from '../../shared/access-logs/index.js';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';

// Composed line: a SigV2 presigned GET whose Referer is itself a presigned SigV4 URL.
const line =
  '3f1a0c5e9d2b47a88c6e1f0d4b7a29e5c8d1f6a3b0e4c7d2a9f8e1b6c5d4a3f2 probe-bucket [15/Jan/2026:10:15:02 +0000] 203.0.113.45 - 7Q4W9E2R8T5Y1U3I REST.GET.OBJECT k.bin "GET /probe-bucket/k.bin?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1768472400&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D HTTP/1.1" 200 - 5 5 3 2 "https://other.s3.amazonaws.com/x?X-Amz-Security-Token=FwoGZXIvYXdzEXAMPLETOKEN&X-Amz-Signature=aaaabbbbccccdddd" "curl/8.5.0" - - SigV2 - QueryString s3.amazonaws.com - - -';

function parsed(): AccessLogRecord {
  const r = parseAccessLogString(line);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe('redactAccessLogRecord', () => {
  it('removes the signature, key id and token from the Request-URI and Referer', () => {
    const original = parsed();
    const out = redactAccessLogRecord(original);
    expect(out.requestUri).toBe(
      'GET /probe-bucket/k.bin?AWSAccessKeyId=REDACTED&Expires=1768472400&Signature=REDACTED HTTP/1.1',
    );
    expect(out.referer).toBe(
      'https://other.s3.amazonaws.com/x?X-Amz-Security-Token=REDACTED&X-Amz-Signature=REDACTED',
    );
    expect(JSON.stringify(out)).not.toMatch(/AKIAIOSFODNN7EXAMPLE|vjbyPxyb|EXAMPLETOKEN|aaaabbbb/);
    // Everything else is untouched, and the parsed record keeps what S3 logged.
    expect({ ...out, requestUri: null, referer: null }).toEqual({
      ...original,
      requestUri: null,
      referer: null,
    });
    expect(original.requestUri).toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('returns the same record when there is nothing to remove', () => {
    const r = { ...parsed(), requestUri: 'GET /probe-bucket/k.bin HTTP/1.1', referer: null };
    expect(redactAccessLogRecord(r)).toBe(r);
  });

  it('removes secrets from every string field: key, user agent, host header, error code, extra fields', () => {
    const sig = 'X-Amz-Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
    const hostile = line
      .replace(' k.bin "GET', ` k.bin?${sig} "GET`)
      .replace('"curl/8.5.0"', `"curl/8.5.0 ${sig}"`)
      .replace('QueryString s3.amazonaws.com', `QueryString s3.amazonaws.com?${sig}`)
      .replace(
        ' 200 - 5',
        ` 200 Sig${encodeURIComponent('\n')}nature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef 5`,
      )
      .concat(` AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE`);
    const r = parseAccessLogString(hostile);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.key).toContain('0123456789abcdef');
    expect(r.value.extra.join(' ')).toContain('AKIAIOSFODNN7EXAMPLE');
    const out = redactAccessLogRecord(r.value);
    expect(JSON.stringify(out)).not.toMatch(/0123456789abcdef|AKIAIOSFODNN7EXAMPLE/);
    expect(out.key).toBe('k.bin?X-Amz-Signature=REDACTED');
    expect(out.extra.at(-1)).toBe('AWSAccessKeyId=REDACTED');
  });
});

describe('readAccessLogRecords with redact', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pathguard-sal-redact-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const clean = line
    .replace(/"GET [^"]+"/, '"GET /probe-bucket/k.bin HTTP/1.1"')
    .replace(/"https:[^"]+"/, '"-"');

  async function read(name: string, text: string, redact: boolean): Promise<AccessLogRecord[]> {
    const file = join(dir, name);
    writeFileSync(file, text);
    const rejects = new RejectCounter();
    const out: AccessLogRecord[] = [];
    for await (const batch of readAccessLogRecords(file, { rejects, redact })) out.push(...batch);
    expect(rejects.count).toBe(0);
    return out;
  }

  it('gives every record of text, CloudWatch JSON and export input as redactAccessLogRecord does', async () => {
    const text = `${line}\n${clean}\n`;
    // S3's CloudWatch Logs record, its user agent carrying the Request-URI's secrets.
    const [getRecord] = readFileSync('test/fixtures/access-logs/cloudwatch-records.ndjson', 'utf8').split(
      '\n',
    );
    const cloudWatch = `${getRecord}\n${JSON.stringify({ ...JSON.parse(getRecord!), user_agent: parsed().requestUri })}\n`;
    const exported = JSON.stringify({ events: [{ message: line }, { message: clean }] });
    for (const [name, input] of [
      ['text.log', text],
      ['records.ndjson', cloudWatch],
      ['export.json', exported],
    ] as const) {
      const plain = await read(name, input, false);
      const redacted = await read(name, input, true);
      expect(plain.length, name).toBeGreaterThan(0);
      expect(redacted, name).toEqual(plain.map(redactAccessLogRecord));
      expect(JSON.stringify(redacted), name).not.toMatch(
        /AKIAIOSFODNN7EXAMPLE|vjbyPxyb|EXAMPLETOKEN|aaaabbbb/,
      );
      expect(JSON.stringify(plain), name).toMatch(/AKIAIOSFODNN7EXAMPLE/);
    }
  });
});
