import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FLOW_FORMAT,
  type FlowFormat,
  FlowLineParser,
  FlowLogStreamParser,
  flowFormatOf,
  parseFlowFormat,
} from '../../shared/flow-logs/index.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { runCli } from './run-cli.js';

const fx = (n: string) => new URL(`../fixtures/flow-logs/${n}`, import.meta.url).pathname;
const V2 = DEFAULT_FLOW_FORMAT.fields.map((f) => f.name);

/** One line through the byte fast path (build and count) and the general path. */
function parseAllWays(line: string, format: FlowFormat) {
  const rejects = new RejectCounter();
  const got: FlowRecord[] = [];
  const build = new FlowLogStreamParser({ source: 't', format, rejects, onRecord: (r) => got.push(r) });
  build.push(Buffer.from(`${line}\n`));
  const countRejects = new RejectCounter();
  const count = new FlowLogStreamParser({ source: 't', format, rejects: countRejects, countOnly: true });
  count.push(Buffer.from(`${line}\n`));
  const general = new FlowLineParser(format).parse(line);
  return { got, build: rejects.samples[0], count: countRejects.samples[0], general };
}

function reorder(names: readonly string[], a: string, b: string): string {
  const out = [...names];
  const i = out.indexOf(a);
  const j = out.indexOf(b);
  [out[i], out[j]] = [out[j]!, out[i]!];
  return out.join(' ');
}

describe('a wrong --format with the right field count (regression: it used to parse silently)', () => {
  // Before meaning checks, the AWS default-format examples read with account-id and srcaddr
  // swapped gave 5 records whose srcaddr was the account id `123456789010`.
  it('rejects every record when an address field reads an account id', async () => {
    const r = await runCli([
      'parse',
      'flow',
      '--format',
      reorder(V2, 'account-id', 'srcaddr'),
      fx('aws-doc-default.log'),
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/rejected 5 \(BAD_ADDRESS 5\)/);
    expect(r.stderr).toContain("srcaddr: not an IP address (FLOW_ADDRESS): '123456789010'");
  });

  it('rejects records whose action reads a log status', async () => {
    const r = await runCli([
      'parse',
      'flow',
      '--count',
      '--format',
      reorder(V2, 'action', 'log-status'),
      fx('aws-doc-default.log'),
    ]);
    expect(r.stdout).toBe('records 0 rejected 5\n');
    expect(r.stderr).toMatch(/BAD_VALUE 5/);
    expect(r.stderr).toContain("log-status: 'ACCEPT' is not one of OK, NODATA, SKIPDATA (FLOW_LOG_STATUS)");
    expect(r.stderr).toContain("action: 'NODATA' is not one of ACCEPT, REJECT (FLOW_ACTION)");
  });

  it('rejects records whose start and end are swapped', async () => {
    const r = await runCli([
      'parse',
      'flow',
      '--count',
      '--format',
      reorder(V2, 'start', 'end'),
      fx('aws-doc-default.log'),
    ]);
    expect(r.stdout).toBe('records 0 rejected 5\n');
    expect(r.stderr).toMatch(/BAD_TIME 5/);
    expect(r.stderr).toContain('start 1418530070 is after end 1418530010 (FLOW_START_END)');
  });

  it('still reads the same file with its own format', async () => {
    const r = await runCli(['parse', 'flow', '--count', fx('aws-doc-default.log')]);
    expect(r.stdout).toBe('records 5 rejected 0\n');
  });
});

describe('meaning rules, on the byte fast path and the general path alike', () => {
  const line = (over: Partial<Record<string, string>>) =>
    V2.map(
      (n) =>
        over[n] ??
        {
          version: '2',
          'account-id': '123456789010',
          'interface-id': 'eni-1235b8ca123456789',
          srcaddr: '172.31.16.139',
          dstaddr: '172.31.16.21',
          srcport: '20641',
          dstport: '22',
          protocol: '6',
          packets: '20',
          bytes: '4249',
          start: '1418530010',
          end: '1418530070',
          action: 'ACCEPT',
          'log-status': 'OK',
        }[n]!,
    ).join(' ');

  it.each([
    ['srcaddr', '172.31.16', 'BAD_ADDRESS'],
    ['srcaddr', '256.1.1.1', 'BAD_ADDRESS'],
    ['dstaddr', '010.0.0.1', 'BAD_ADDRESS'],
    ['dstaddr', 'eni-1235b8ca123456789', 'BAD_ADDRESS'],
    ['dstaddr', '2001:db8::g', 'BAD_ADDRESS'],
    ['srcport', '65536', 'OUT_OF_RANGE'],
    ['dstport', '99999', 'OUT_OF_RANGE'],
    ['protocol', '256', 'OUT_OF_RANGE'],
    ['action', 'accept', 'BAD_VALUE'],
    ['action', 'DROP', 'BAD_VALUE'],
    ['log-status', 'NODATAX', 'BAD_VALUE'],
    ['log-status', 'ACCEPT', 'BAD_VALUE'],
    ['start', '1418530071', 'BAD_TIME'],
  ])('%s %s → %s', (field, value, code) => {
    const r = parseAllWays(line({ [field]: value }), DEFAULT_FLOW_FORMAT);
    expect(r.got).toEqual([]);
    expect(r.general.ok).toBe(false);
    expect(r.general.ok ? null : r.general.error.code).toBe(code);
    expect(r.build?.code).toBe(code);
    expect(r.count?.code).toBe(code);
  });

  it.each([
    ['srcaddr', '0.0.0.0'],
    ['srcaddr', '255.255.255.255'],
    ['dstaddr', '2001:DB8::1'],
    ['dstaddr', '::ffff:10.0.0.1'],
    ['srcport', '65535'],
    ['srcport', '0'],
    ['protocol', '255'],
    ['action', 'REJECT'],
    ['log-status', 'SKIPDATA'],
    ['start', '1418530070'],
    ['start', '-'],
  ])('%s %s is accepted', (field, value) => {
    const r = parseAllWays(line({ [field]: value }), DEFAULT_FLOW_FORMAT);
    expect(r.general.ok).toBe(true);
    expect(r.got).toHaveLength(1);
    expect(r.count).toBeUndefined();
  });

  it('can be switched off only by name, to measure what the checks cost', () => {
    const got: FlowRecord[] = [];
    const p = new FlowLogStreamParser({
      source: 't',
      rejects: new RejectCounter(),
      skipMeaningChecks: true,
      onRecord: (r) => got.push(r),
    });
    p.push(Buffer.from(`${line({ srcaddr: 'not-an-ip', start: '1418530071' })}\n`));
    expect(got).toHaveLength(1);
    expect(new FlowLineParser(DEFAULT_FLOW_FORMAT).parse(line({ srcaddr: 'not-an-ip' })).ok).toBe(false);
  });
});

describe('transit gateway flow logs (version 6) and later fields', () => {
  it('reads an S3-delivered TGW file by its header, packets-lost-* as numbers', () => {
    const got: FlowRecord[] = [];
    const rejects = new RejectCounter();
    const p = new FlowLogStreamParser({ source: 't', rejects, onRecord: (r) => got.push(r) });
    p.push(readFileSync(fx('tgw-v6-s3.log')));
    p.end();
    expect(rejects.count).toBe(0);
    expect(p.format.fields).toHaveLength(36);
    expect(got).toHaveLength(3);
    expect(got[0]).toMatchObject({
      version: 6,
      resourceType: 'TransitGateway',
      tgwAttachmentId: 'tgw-attach-0a1b2c3d4e5f67890',
      srcaddr: '10.40.1.175',
      dstport: 443,
      packetsLostNoRoute: 0,
      packetsLostBlackhole: 0,
      packetsLostMtuExceeded: 0,
      packetsLostTtlExpired: 0,
      logStatus: 'OK',
    });
    expect(got[0]!.action).toBeUndefined();
    expect(got[1]).toMatchObject({ packetsLostNoRoute: 3, tgwDstVpcId: null });
    expect(got[2]).toMatchObject({ logStatus: 'NODATA', srcaddr: null, packetsLostNoRoute: null });
  });

  it('rejects a packets-lost counter that is not a number', () => {
    const f = parseFlowFormat('version srcaddr packets-lost-blackhole');
    if (!f.ok) throw new Error('format');
    const r = new FlowLineParser(f.value).parse('6 10.0.0.1 three');
    expect(r.ok ? null : r.error.code).toBe('BAD_NUMBER');
  });

  it('keeps v7/v8 fields and unknown future fields as strings, as AWS types them', () => {
    const format = flowFormatOf([
      'version',
      'ecs-task-id',
      'reject-reason',
      'encryption-status',
      'future-count',
    ]);
    const r = new FlowLineParser(format).parse('8 0123456789abcdef BPA 1 42');
    expect(r).toEqual({
      ok: true,
      value: {
        version: 8,
        ecsTaskId: '0123456789abcdef',
        rejectReason: 'BPA',
        encryptionStatus: '1',
        futureCount: '42',
      },
    });
  });
});
