import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FLOW_FORMAT,
  FlowLineParser,
  flowFormatOf,
  formatFlowHeader,
  formatFlowRecord,
  looksLikeFlowHeader,
  parseFlowFormat,
  parseFlowLogText,
  toCamelCase,
} from '../../shared/flow-logs/index.js';
import { RejectCounter } from '../../shared/text/rejects.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/flow-logs/${name}`, import.meta.url), 'utf8');

describe('flow-log field names', () => {
  it('camelCases AWS names by dropping hyphens and upper-casing the next letter', () => {
    expect(toCamelCase('account-id')).toBe('accountId');
    expect(toCamelCase('pkt-srcaddr')).toBe('pktSrcaddr');
    expect(toCamelCase('traffic-path')).toBe('trafficPath');
    expect(toCamelCase('pkt-dst-aws-service')).toBe('pktDstAwsService');
    expect(toCamelCase('srcaddr')).toBe('srcaddr');
  });
});

describe('parseFlowFormat', () => {
  it('reads the AWS ${field} syntax and plain names alike', () => {
    const a = parseFlowFormat('${version} ${pkt-srcaddr} ${traffic-path}');
    const b = parseFlowFormat('version pkt-srcaddr traffic-path');
    expect(a.ok && a.value.fields.map((f) => f.key)).toEqual(['version', 'pktSrcaddr', 'trafficPath']);
    expect(b.ok && b.value.spec).toBe(a.ok && a.value.spec);
  });

  it('keeps unknown field names as string fields', () => {
    const f = parseFlowFormat('version future-field');
    expect(f.ok).toBe(true);
    const p = new FlowLineParser(f.ok ? f.value : DEFAULT_FLOW_FORMAT);
    expect(p.parse('9 hello')).toEqual({ ok: true, value: { version: 9, futureField: 'hello' } });
  });

  it('rejects empty formats, duplicates and junk with a coded error', () => {
    expect(parseFlowFormat('  ')).toMatchObject({ ok: false, error: { code: 'BAD_FORMAT' } });
    expect(parseFlowFormat('version version')).toMatchObject({ ok: false, error: { code: 'BAD_FORMAT' } });
    expect(parseFlowFormat('${version} $srcaddr')).toMatchObject({
      ok: false,
      error: { code: 'BAD_FORMAT' },
    });
  });

  it('tells a header line from a record', () => {
    expect(looksLikeFlowHeader('version account-id interface-id srcaddr')).toBe(true);
    expect(looksLikeFlowHeader('2 123456789010 eni-1235b8ca123456789 172.31.16.139')).toBe(false);
    expect(looksLikeFlowHeader('eni-1235b8ca123456789 accept')).toBe(false);
  });
});

describe('AWS documentation examples (default format)', () => {
  const records = parseFlowLogText(fixture('aws-doc-default.log'), { rejects: new RejectCounter() });

  it('parses every example record with numbers as numbers and account id as a string', () => {
    expect(records).toHaveLength(5);
    expect(records[0]).toEqual({
      version: 2,
      accountId: '123456789010',
      interfaceId: 'eni-1235b8ca123456789',
      srcaddr: '172.31.16.139',
      dstaddr: '172.31.16.21',
      srcport: 20641,
      dstport: 22,
      protocol: 6,
      packets: 20,
      bytes: 4249,
      start: 1418530010,
      end: 1418530070,
      action: 'ACCEPT',
      logStatus: 'OK',
    });
    expect(records[1]?.action).toBe('REJECT');
  });

  it('keeps NODATA and SKIPDATA records with - as null', () => {
    expect(records[2]).toMatchObject({
      logStatus: 'NODATA',
      srcaddr: null,
      packets: null,
      action: null,
      start: 1431280876,
    });
    expect(records[3]?.logStatus).toBe('SKIPDATA');
  });

  it('keeps IPv6 addresses verbatim', () => {
    expect(records[4]?.srcaddr).toBe('2001:db8:1234:a100:8d6e:3477:df66:f105');
  });
});

describe('custom formats from the AWS examples', () => {
  it('reads the v5 internet-gateway example with traffic-path 8 on egress', () => {
    const format = parseFlowFormat(
      'version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status',
    );
    expect(format.ok).toBe(true);
    if (!format.ok) return;
    const [ingress, egress] = parseFlowLogText(fixture('aws-doc-igw-s3-v5.log'), {
      format: format.value,
      rejects: new RejectCounter(),
    });
    expect(ingress).toMatchObject({
      flowDirection: 'ingress',
      trafficPath: null,
      pktSrcAwsService: 'S3',
      tcpFlags: 19,
    });
    expect(egress).toMatchObject({
      flowDirection: 'egress',
      trafficPath: 8,
      pktDstAwsService: 'S3',
      pktSrcAwsService: null,
    });
  });

  it('reads the NAT gateway example where dstaddr and pkt-dstaddr differ', () => {
    const format = parseFlowFormat('instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr');
    if (!format.ok) throw new Error('format');
    const rows = parseFlowLogText(fixture('aws-doc-nat.log'), {
      format: format.value,
      rejects: new RejectCounter(),
    });
    expect(rows).toHaveLength(4);
    expect(rows[0]).toEqual({
      instanceId: null,
      interfaceId: 'eni-1235b8ca123456789',
      srcaddr: '10.0.1.5',
      dstaddr: '10.0.0.220',
      pktSrcaddr: '10.0.1.5',
      pktDstaddr: '203.0.113.5',
    });
  });
});

describe('format precedence', () => {
  it('uses the header line of an S3-delivered file', () => {
    const rows = parseFlowLogText(fixture('s3-delivered-v5.log'), { rejects: new RejectCounter() });
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({
      trafficPath: 7,
      pktDstaddr: '52.216.8.100',
      subnetId: 'subnet-0a1a1a1a1a1a1a1a1',
    });
  });

  it('lets a given format win over the header line, which is then skipped', () => {
    const rejects = new RejectCounter();
    const wrong = flowFormatOf(['version', 'account-id']);
    const rows = parseFlowLogText(fixture('s3-delivered-v5.log'), { format: wrong, rejects });
    expect(rows).toHaveLength(0);
    expect(rejects.count).toBe(3);
    expect(rejects.samples[0]).toMatchObject({ line: 2, code: 'WRONG_FIELD_COUNT' });
  });

  it('falls back to the default v2 format', () => {
    const rejects = new RejectCounter();
    parseFlowLogText(fixture('aws-doc-nat.log'), { rejects });
    expect(rejects.count).toBe(4);
    // Under the default format, field 6 (srcport) holds an address.
    expect(rejects.byCode.BAD_NUMBER).toBe(4);
  });
});

describe('bad input', () => {
  it('counts and samples bad numbers and field counts with line numbers, and goes on', () => {
    const rejects = new RejectCounter(5);
    const text = [
      '2 123456789010 eni-1 1.1.1.1 2.2.2.2 80 443 6 1 2 3 4 ACCEPT OK',
      '2 123456789010 eni-1 1.1.1.1 2.2.2.2 8x 443 6 1 2 3 4 ACCEPT OK',
      '',
      '2 123456789010 eni-1 1.1.1.1',
      '2 123456789010 eni-1 1.1.1.1 2.2.2.2 80 443 6 1 2 3 4 ACCEPT OK extra',
      '2 123456789010 eni-1 1.1.1.1 2.2.2.2 80 443 6 1 2 3 99999999999999999 ACCEPT OK',
      '2 123456789010 eni-1 1.1.1.1 2.2.2.2 -1 443 6 1 2 3 4 ACCEPT OK',
    ].join('\n');
    const rows = parseFlowLogText(text, { rejects });
    expect(rows).toHaveLength(1);
    expect(rejects.count).toBe(5);
    expect(rejects.samples.map((s) => [s.line, s.code])).toEqual([
      [2, 'BAD_NUMBER'],
      [4, 'WRONG_FIELD_COUNT'],
      [5, 'WRONG_FIELD_COUNT'],
      [6, 'BAD_NUMBER'],
      [7, 'BAD_NUMBER'],
    ]);
    expect(rejects.samples[0]?.message).toContain('srcport');
  });

  it('rejects an over-long line without keeping it, and reads the next one', () => {
    const rejects = new RejectCounter();
    const good = '2 123456789010 eni-1 1.1.1.1 2.2.2.2 80 443 6 1 2 3 4 ACCEPT OK';
    const rows = parseFlowLogText(`${'9'.repeat(100_000)}\n${good}\n`, { rejects, maxLineBytes: 1000 });
    expect(rows).toHaveLength(1);
    expect(rejects.samples[0]).toMatchObject({ line: 1, code: 'LINE_TOO_LONG' });
  });

  it('accepts CRLF line endings', () => {
    const rows = parseFlowLogText(`${fixture('aws-doc-default.log').replace(/\n/g, '\r\n')}`, {
      rejects: new RejectCounter(),
    });
    expect(rows).toHaveLength(5);
    expect(rows[0]?.logStatus).toBe('OK');
  });
});

describe('formatFlowRecord', () => {
  it('writes records back in the same format, with null as -', () => {
    const text = fixture('s3-delivered-v5.log');
    const [headerLine, ...lines] = text.trimEnd().split('\n');
    const f = parseFlowFormat(headerLine!);
    if (!f.ok) throw new Error('format');
    const rows = parseFlowLogText(text, { rejects: new RejectCounter() });
    expect(formatFlowHeader(f.value)).toBe(headerLine);
    expect(rows.map((r) => formatFlowRecord(r, f.value))).toEqual(lines);
  });
});
