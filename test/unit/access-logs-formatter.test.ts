import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatAccessLogRecord, parseAccessLogString } from '../../shared/access-logs/index.js';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';

const lines = (name: string) =>
  readFileSync(new URL(`../fixtures/access-logs/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter(Boolean);

function parsed(line: string): AccessLogRecord {
  const r = parseAccessLogString(line);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

describe('formatAccessLogRecord', () => {
  // Source: s3-ug@1b918e0 LogFormat.md and the current LogFormat page.
  it('writes the AWS documentation examples back byte for byte', () => {
    for (const line of [...lines('aws-doc-2023.log'), ...lines('aws-doc-current.log')]) {
      expect(formatAccessLogRecord(parsed(line))).toBe(line);
    }
  });

  it('writes old short records with - for the fields they lack', () => {
    const [old] = lines('aws-doc-2014.log');
    const out = formatAccessLogRecord(parsed(old!));
    expect(out.startsWith(old!)).toBe(true);
    expect(out.slice(old!.length)).toBe(' - - - - - - - -');
    expect(parsed(out)).toEqual(parsed(old!));
  });

  it('escapes quotes and backslashes in quoted fields and re-reads them', () => {
    const [, vpce] = lines('composed-variants.log');
    const r = parsed(vpce!);
    const out = formatAccessLogRecord(r);
    expect(out).toContain('"Mozilla/5.0 (X11; Linux x86_64) \\"quoted\\" build \\\\ backslash"');
    // The offset is normalised to UTC.
    expect(out).toContain('[15/Jan/2026:10:15:02 +0000]');
    expect(parsed(out)).toEqual(r);
  });

  it('keeps output to one parseable line whatever the values hold', () => {
    const [line] = lines('aws-doc-2023.log');
    const r: AccessLogRecord = {
      ...parsed(line!),
      key: 'a key with spaces\nand "quotes"',
      userAgent: 'line\r\nbreak',
      time: 'not a time',
      extra: ['two words', '', '[x]'],
    };
    const out = formatAccessLogRecord(r);
    expect(out).not.toMatch(/[\r\n]/);
    const back = parsed(out);
    expect(back.key).toBe('a%20key%20with%20spaces%0Aand%20%22quotes%22');
    expect(back.userAgent).toBe('line  break');
    expect(back.time).toBeNull();
    expect(back.extra).toEqual(['two words', '', '[x]']);
  });
});
