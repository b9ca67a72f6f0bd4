import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  compileFlowFormat,
  DEFAULT_FLOW_FORMAT,
  FLOW_FIELDS,
  FlowLineParser,
  FlowLogStreamParser,
  flowFormatOf,
  formatFlowHeader,
  formatFlowRecord,
  looksLikeFlowHeader,
  parseFlowFormat,
  parseFlowLine,
  parseFlowLogText,
  toCamelCase,
} from '../../shared/flow-logs/index.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
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
    expect(toCamelCase('ecs-second-container-id')).toBe('ecsSecondContainerId');
  });

  it('knows every field by version, types integers, and marks resource-id as unverified', () => {
    const byVersion = (v: number) =>
      [...FLOW_FIELDS.values()].filter((f) => f.version === v).map((f) => f.name);
    expect(byVersion(2)).toHaveLength(14);
    expect(byVersion(3)).toEqual([
      'vpc-id',
      'subnet-id',
      'instance-id',
      'tcp-flags',
      'type',
      'pkt-srcaddr',
      'pkt-dstaddr',
    ]);
    expect(byVersion(5)).toContain('traffic-path');
    expect(byVersion(7)).toHaveLength(10);
    expect(byVersion(8)).toEqual(['reject-reason']);
    expect([...FLOW_FIELDS.values()].filter((f) => f.integer).map((f) => f.name)).toEqual([
      'version',
      'srcport',
      'dstport',
      'protocol',
      'packets',
      'bytes',
      'start',
      'end',
      'tcp-flags',
      'traffic-path',
      'packets-lost-no-route',
      'packets-lost-blackhole',
      'packets-lost-mtu-exceeded',
      'packets-lost-ttl-expired',
    ]);
    expect(byVersion(6)).toHaveLength(18);
    expect(FLOW_FIELDS.get('encryption-status')).toMatchObject({ integer: false, verified: true });
    expect(FLOW_FIELDS.get('resource-id')).toMatchObject({ version: null, verified: false });
    expect(FLOW_FIELDS.get('account-id')).toMatchObject({ integer: false, key: 'accountId' });
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

const V5 =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path';

describe('parseFlowLine (bytes)', () => {
  const line = fixture('aws-doc-default.log').split('\n')[0]!;

  it('parses a line given by bounds inside a larger buffer', () => {
    const buf = Buffer.from(`junk\n${line}\nmore`);
    const r = parseFlowLine(buf, 5, 5 + line.length, DEFAULT_FLOW_FORMAT);
    expect(r).toEqual(new FlowLineParser(DEFAULT_FLOW_FORMAT).parse(line));
    expect(r.ok && r.value.srcport).toBe(20641);
  });

  it('accepts a plain Uint8Array and decodes UTF-8 in unknown string fields', () => {
    const f = parseFlowFormat('version note');
    if (!f.ok) throw new Error('format');
    const bytes = new TextEncoder().encode('2 café');
    expect(parseFlowLine(bytes, 0, bytes.length, f.value)).toEqual({
      ok: true,
      value: { version: 2, note: 'café' },
    });
  });

  it('rejects with the same coded reasons as the string parser', () => {
    const bad = Buffer.from(line.replace(' 20641 ', ' 2064l '));
    expect(parseFlowLine(bad, 0, bad.length, DEFAULT_FLOW_FORMAT)).toMatchObject({
      ok: false,
      error: { code: 'BAD_NUMBER', field: 'srcport' },
    });
    const short = Buffer.from('2 123456789010 eni-1');
    expect(parseFlowLine(short, 0, short.length, DEFAULT_FLOW_FORMAT)).toMatchObject({
      ok: false,
      error: { code: 'WRONG_FIELD_COUNT' },
    });
    expect(parseFlowLine(short, 3, 99, DEFAULT_FLOW_FORMAT).ok).toBe(false);
  });

  it('keeps integers up to Number.MAX_SAFE_INTEGER and rejects larger ones', () => {
    const f = parseFlowFormat('bytes');
    if (!f.ok) throw new Error('format');
    const at = (t: string) => parseFlowLine(Buffer.from(t), 0, t.length, f.value);
    expect(at('9007199254740991')).toEqual({ ok: true, value: { bytes: Number.MAX_SAFE_INTEGER } });
    expect(at('0000000000000042')).toEqual({ ok: true, value: { bytes: 42 } });
    expect(at('9007199254740992')).toMatchObject({ ok: false, error: { code: 'BAD_NUMBER' } });
    expect(at('12345678901234567')).toMatchObject({ ok: false, error: { code: 'BAD_NUMBER' } });
    expect(at('-')).toEqual({ ok: true, value: { bytes: null } });
    for (const bad of ['-1', '+1', '1.5', '1e3', '0x1f', '--', ' ']) {
      expect(at(bad)).toMatchObject({ ok: false });
    }
  });

  it('compiles a fast path once per format, and none for keys that are not identifiers', () => {
    const f = parseFlowFormat(V5);
    if (!f.ok) throw new Error('format');
    expect(compileFlowFormat(f.value)).toBe(compileFlowFormat(f.value));
    expect(compileFlowFormat(f.value).build).not.toBeNull();
    const odd = flowFormatOf(['version', 'x--y']);
    expect(compileFlowFormat(odd).build).toBeNull();
    const t = '2 hello';
    expect(parseFlowLine(Buffer.from(t), 0, t.length, odd)).toEqual({
      ok: true,
      value: { version: 2, 'x-Y': 'hello' },
    });
  });
});

describe('streaming', () => {
  const text = fixture('s3-delivered-v5.log') + fixture('s3-delivered-v5.log');

  function stream(chunks: Uint8Array[], countOnly = false) {
    const rejects = new RejectCounter();
    const got: FlowRecord[] = [];
    const p = new FlowLogStreamParser({ source: 't', rejects, countOnly, onRecord: (r) => got.push(r) });
    for (const c of chunks) p.push(c);
    p.end();
    return { got, rejects, records: p.records };
  }

  it('gives the same records whatever the chunk boundaries, and reuses no chunk memory', () => {
    const bytes = Buffer.from(text);
    const whole = stream([bytes]);
    // Two S3 files back to back: the second header line switches to the same format again.
    expect(whole.got).toHaveLength(6);
    expect(whole.rejects.count).toBe(0);
    for (const size of [1, 2, 5, 64, 251]) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(Uint8Array.from(bytes.subarray(i, i + size)));
      const r = stream(chunks);
      // Overwrite each chunk after the parser returns: records must not point into it.
      for (const c of chunks) c.fill(0x21);
      expect(r.got).toEqual(whole.got);
      expect(stream([bytes], true).records).toBe(6);
    }
  });

  it('switches format at a header line in the middle of the stream, even for all-string formats', () => {
    const nat = fixture('aws-doc-nat.log');
    const input = `instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr\n${nat}interface-id srcaddr dstaddr\neni-1 10.0.0.1 10.0.0.2\n`;
    const { got, rejects } = stream([Buffer.from(input)]);
    expect(rejects.count).toBe(0);
    expect(got).toHaveLength(5);
    expect(got[3]).toMatchObject({ pktDstaddr: '10.0.1.5' });
    expect(got[4]).toEqual({ interfaceId: 'eni-1', srcaddr: '10.0.0.1', dstaddr: '10.0.0.2' });
  });

  it('reads the transit gateway example where srcaddr and pkt-srcaddr differ', () => {
    const f = parseFlowFormat(
      'version interface-id account-id vpc-id subnet-id instance-id srcaddr dstaddr srcport dstport protocol tcp-flags type pkt-srcaddr pkt-dstaddr action log-status',
    );
    if (!f.ok) throw new Error('format');
    const rows = parseFlowLogText(fixture('aws-doc-tgw.log'), {
      format: f.value,
      rejects: new RejectCounter(),
    });
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      version: 3,
      instanceId: null,
      srcaddr: '10.40.1.175',
      pktSrcaddr: '10.20.33.164',
      tcpFlags: 3,
      type: 'IPv4',
    });
    expect(rows[1]?.tcpFlags).toBe(19);
  });

  it('tolerates runs of blanks and a leading blank, and keeps a non-ASCII value', () => {
    const f = parseFlowFormat('version action note');
    if (!f.ok) throw new Error('format');
    const rows = parseFlowLogText('  2   ACCEPT  Zürich\n2 REJECT Zürich\r\n', {
      format: f.value,
      rejects: new RejectCounter(),
    });
    expect(rows).toEqual([
      { version: 2, action: 'ACCEPT', note: 'Zürich' },
      { version: 2, action: 'REJECT', note: 'Zürich' },
    ]);
  });

  it('counts exactly the lines it would build, with the same rejects', () => {
    const good = fixture('aws-doc-default.log').split('\n')[1]!;
    const bad = `${fixture('bad-lines.log')}${'7'.repeat(20_000)}\n${good}`;
    const built = stream([Buffer.from(bad)]);
    const counted = stream([Buffer.from(bad)], true);
    expect(counted.records).toBe(built.got.length);
    expect(counted.rejects.samples).toEqual(built.rejects.samples);
    expect(built.rejects.samples.map((s) => [s.line, s.code])).toEqual([
      [4, 'BAD_NUMBER'],
      [5, 'WRONG_FIELD_COUNT'],
      [6, 'WRONG_FIELD_COUNT'],
      [7, 'BAD_NUMBER'],
      [8, 'LINE_TOO_LONG'],
    ]);
    expect(built.got).toHaveLength(3);
  });
});
