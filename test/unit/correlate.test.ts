import { describe, expect, it } from 'vitest';
import { parseAccessLogString } from '../../shared/access-logs/parser.js';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import type { CloudTrailRecord } from '../../shared/cloudtrail/types.js';
import {
  accessLogDedupKey,
  correlate,
  correlateProbe,
  EvidenceCorrelator,
  normalizeIp,
  vantageFacts,
} from '../../shared/evidence/correlate.js';
import type { Classifiers } from '../../shared/evidence/types.js';
import { parseFlowLogText } from '../../shared/flow-logs/parser.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { decision, env, observation, probe, T0 } from './loop-fixtures.js';

// Correlation is tested on its own: a classifier that labels by a field keeps the decision visible.
const classify: Classifiers = {
  flow: (r) =>
    r.logStatus === 'NODATA'
      ? null
      : decision(r.trafficPath === 7 ? 'gateway-endpoint' : 'nat-gateway', r.trafficPath === 7),
  access: () => decision('vpc-endpoint', true),
  cloudtrail: () => decision('gateway-endpoint', true),
};

const KEY = 'pathguard/probes/2026/11/25/01JDQ7ZT0000000000000000AA.bin';

/**
 * A presigned GET of the probe object in the S3 server access log format (field order of the AWS
 * LogFormat page), from the runner's Lambda ENI through the gateway endpoint.
 */
function accessLine(
  over: { time?: string; requestId?: string; op?: string; key?: string; bucket?: string } = {},
) {
  const line = `79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be ${over.bucket ?? 'example-data-bucket'} [${over.time ?? '25/Nov/2026:10:00:02 +0000'}] 10.0.1.77 arn:aws:sts::111122223333:assumed-role/pathguard-probe/pathguard-probe ${over.requestId ?? '3E57427F3EXAMPLE'} ${over.op ?? 'REST.GET.OBJECT'} ${over.key ?? KEY} "GET /${over.key ?? KEY}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAIOSFODNN7EXAMPLE%2F20261125%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261125T100000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7 HTTP/1.1" 200 - 64 64 12 11 "-" "pathguard/0.1.0 runner/vpc-app probe/01JDQ7ZT0000000000000000AA" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 TLS_AES_128_GCM_SHA256 QueryString example-data-bucket.s3.us-east-1.amazonaws.com TLSv1.3 - - us-east-1`;
  const r = parseAccessLogString(line);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const V5 =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path';
const t = Math.floor(T0.getTime() / 1000);

/** v5 records (format of the AWS "Flow log record examples" page), one per line, after the header. */
function flows(...lines: string[]): FlowRecord[] {
  return parseFlowLogText(`${V5}\n${lines.join('\n')}\n`, { rejects: { add() {} } as never });
}

function ctRecord(over: Partial<CloudTrailRecord> = {}): CloudTrailRecord {
  return {
    eventTime: '2026-11-25T10:00:02Z',
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    eventCategory: 'Data',
    awsRegion: 'us-east-1',
    sourceIPAddress: '10.0.1.77',
    vpcEndpointId: 'vpce-0c3c3c3c3c3c3c3c3',
    vpcEndpointAccountId: '111122223333',
    bucketName: 'example-data-bucket',
    key: KEY,
    host: 'example-data-bucket.s3.us-east-1.amazonaws.com',
    authenticationMethod: 'QueryString',
    signatureVersion: 'SigV4',
    requestId: '3E57427F3EXAMPLE',
    hostId: 'hostid==',
    eventId: '0b7c2d4e-1f3a-4b5c-9d6e-7f8a9b0c1d2e',
    userAgent: 'pathguard/0.1.0',
    errorCode: null,
    ...over,
  };
}

const p = probe();
const o = observation();
const target = () => ({ probe: p, observation: o, facts: vantageFacts(env, p.vantage) });

describe('access-log correlation', () => {
  it('matches by the request id the runner saw and counts a duplicated delivery once', () => {
    const rec = accessLine();
    const c = new EvidenceCorrelator([target()]);
    expect(c.addAccessLog(rec, 'logs/2026-11-25-10-15-00-A')).toEqual([p.probeId]);
    expect(c.addAccessLog(accessLine(), 'logs/2026-11-25-10-16-00-B')).toEqual([p.probeId]);
    const m = c.matches(p.probeId);
    expect(m).toHaveLength(1);
    expect(m[0]).toMatchObject({
      source: 's3-access',
      matchedBy: 'request-id',
      origin: 'logs/2026-11-25-10-15-00-A',
    });
  });

  it('falls back to the probe key within the URL lifetime, and ignores it outside', () => {
    const obs = observation({ requestId: null });
    const near = accessLine({ requestId: 'A1B2C3D4E5F60001', time: '25/Nov/2026:10:01:00 +0000' });
    const late = accessLine({ requestId: 'A1B2C3D4E5F60002', time: '25/Nov/2026:11:30:00 +0000' });
    const early = accessLine({ requestId: 'A1B2C3D4E5F60003', time: '25/Nov/2026:09:40:00 +0000' });
    const ev = correlateProbe(
      p,
      obs,
      { flows: [], access: [late, near, early], cloudtrail: [] },
      env,
      classify,
    );
    expect(ev.map((e) => (e.record as AccessLogRecord).requestId)).toEqual(['A1B2C3D4E5F60001']);
    expect(ev[0]?.matchedBy).toBe('key-and-time');
  });

  it("does not take the planner's PUT of the probe object, or another bucket's object, for the fetch", () => {
    const obs = observation({ requestId: null });
    const put = accessLine({ requestId: 'PUT0000000000001', op: 'REST.PUT.OBJECT' });
    const other = accessLine({ requestId: 'OTHERBUCKET00001', bucket: 'example-other-bucket' });
    expect(
      correlateProbe(p, obs, { flows: [], access: [put, other], cloudtrail: [] }, env, classify),
    ).toEqual([]);
  });

  it('matches a URL-encoded key as S3 logs it', () => {
    const keyed = probe({ key: 'pathguard/probes/2026/11/25/01JDQ7ZT0000000000000000AA+copy.bin' });
    const rec = {
      ...accessLine({ requestId: 'ENC0000000000001' }),
      key: 'pathguard/probes/2026/11/25/01JDQ7ZT0000000000000000AA%2Bcopy.bin',
    };
    const ev = correlateProbe(
      keyed,
      observation({ requestId: null }),
      { flows: [], access: [rec], cloudtrail: [] },
      env,
      classify,
    );
    expect(ev).toHaveLength(1);
  });

  it('keeps no signature in a dedupe key built from the whole record', () => {
    const rec = { ...accessLine(), requestId: null };
    const key = accessLogDedupKey(rec);
    expect(key).not.toContain('5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7');
    expect(key).not.toContain('ASIAIOSFODNN7EXAMPLE');
    expect(key).toBe(accessLogDedupKey({ ...rec }));
  });
});

describe('CloudTrail correlation', () => {
  it('matches by request id, else by key for GetObject inside the window, each event once', () => {
    const byId = ctRecord();
    const byKey = ctRecord({ requestId: 'OTHER', eventId: 'e-2', eventTime: '2026-11-25T10:03:00Z' });
    const tooLate = ctRecord({ requestId: 'LATE', eventId: 'e-3', eventTime: '2026-11-25T12:00:00Z' });
    const put = ctRecord({ requestId: 'PUT', eventId: 'e-4', eventName: 'PutObject' });
    const ev = correlateProbe(
      p,
      o,
      { flows: [], access: [], cloudtrail: [byId, byId, byKey, tooLate, put] },
      env,
      classify,
    );
    expect(ev.map((e) => [e.matchedBy, (e.record as CloudTrailRecord).eventId])).toEqual([
      ['request-id', '0b7c2d4e-1f3a-4b5c-9d6e-7f8a9b0c1d2e'],
      ['key-and-time', 'e-2'],
    ]);
  });
});

describe('upload probes (put, post): correlated by request id, else key and time, by their own operation', () => {
  const opsOf = (ev: { record: unknown }[]) =>
    ev.map((e) => (e.record as AccessLogRecord).operation ?? (e.record as CloudTrailRecord).eventName);

  it.each([
    ['put', 'REST.PUT.OBJECT', 'PutObject'],
    ['post', 'REST.POST.OBJECT', 'PostObject'],
  ] as const)(
    "%s: the runner upload matches by key; a GET or the analyzer's DELETE of the same key does not",
    (method, op, event) => {
      const upload = probe({ method });
      const obs = observation({ requestId: null, method });
      const access = [
        accessLine({ requestId: 'UPLOAD0000000001', op, time: '25/Nov/2026:10:01:00 +0000' }),
        accessLine({ requestId: 'GET0000000000001', op: 'REST.GET.OBJECT' }),
        accessLine({ requestId: 'DEL0000000000001', op: 'REST.DELETE.OBJECT' }),
      ];
      const cloudtrail = [
        ctRecord({ requestId: 'UPLOAD', eventId: 'u-1', eventName: event }),
        ctRecord({ requestId: 'GET', eventId: 'g-1', eventName: 'GetObject' }),
        ctRecord({ requestId: 'DEL', eventId: 'd-1', eventName: 'DeleteObject' }),
      ];
      const ev = correlateProbe(upload, obs, { flows: [], access, cloudtrail }, env, classify);
      expect(opsOf(ev).sort()).toEqual([op, event].sort());
      expect(ev.every((e) => e.matchedBy === 'key-and-time')).toBe(true);
    },
  );

  it('a GET probe still ignores the uploads of its key (the planner creates its object)', () => {
    const ev = correlateProbe(
      p,
      observation({ requestId: null }),
      {
        flows: [],
        access: [accessLine({ requestId: 'POST000000000001', op: 'REST.POST.OBJECT' })],
        cloudtrail: [ctRecord({ requestId: 'POST', eventId: 'p-1', eventName: 'PostObject' })],
      },
      env,
      classify,
    );
    expect(ev).toEqual([]);
  });

  it('an upload matches by request id whatever the operation says', () => {
    const upload = probe({ method: 'post' });
    const ev = correlateProbe(
      upload,
      observation({ requestId: 'POSTID0000000001', method: 'post' }),
      {
        flows: [],
        access: [accessLine({ requestId: 'POSTID0000000001', op: 'REST.POST.OBJECT' })],
        cloudtrail: [],
      },
      env,
      classify,
    );
    expect(ev.map((e) => e.matchedBy)).toEqual(['request-id']);
  });
});

describe('flow-log correlation', () => {
  it("matches a VPC runner by its subnet's Lambda ENI addresses, not the socket's local address", () => {
    const recs = flows(
      // the runner's request and the reply, as the Hyperplane ENI records them
      `5 111122223333 eni-0lambda000000000a 10.0.1.77 52.216.8.100 40001 443 6 12 1830 ${t} ${t + 59} ACCEPT OK vpc-0abcdef0123456789 subnet-0a1a1a1a1a1a1a1a1 - 3 IPv4 10.0.1.77 52.216.8.100 us-east-1 use1-az4 - - - S3 egress 7`,
      `5 111122223333 eni-0lambda000000000a 52.216.8.100 10.0.1.77 443 40001 6 10 5120 ${t} ${t + 59} ACCEPT OK vpc-0abcdef0123456789 subnet-0a1a1a1a1a1a1a1a1 - 19 IPv4 52.216.8.100 10.0.1.77 us-east-1 use1-az4 - - S3 - ingress -`,
      // another host in the subnet, another S3 address, another port, another hour
      `5 111122223333 eni-0aaaaaaaaaaaaaaaa 10.0.1.99 52.216.8.100 40002 443 6 12 1830 ${t} ${t + 59} ACCEPT OK vpc-0abcdef0123456789 subnet-0a1a1a1a1a1a1a1a1 - 3 IPv4 10.0.1.99 52.216.8.100 us-east-1 use1-az4 - - - S3 egress 7`,
      `5 111122223333 eni-0lambda000000000a 10.0.1.77 52.216.9.9 40003 443 6 12 1830 ${t} ${t + 59} ACCEPT OK vpc-0abcdef0123456789 subnet-0a1a1a1a1a1a1a1a1 - 3 IPv4 10.0.1.77 52.216.9.9 us-east-1 use1-az4 - - - S3 egress 7`,
      `5 111122223333 eni-0lambda000000000a 10.0.1.77 52.216.8.100 40004 80 6 12 1830 ${t} ${t + 59} ACCEPT OK vpc-0abcdef0123456789 subnet-0a1a1a1a1a1a1a1a1 - 3 IPv4 10.0.1.77 52.216.8.100 us-east-1 use1-az4 - - - S3 egress 7`,
      `5 111122223333 eni-0lambda000000000a 10.0.1.77 52.216.8.100 40005 443 6 12 1830 ${t + 3600} ${t + 3659} ACCEPT OK vpc-0abcdef0123456789 subnet-0a1a1a1a1a1a1a1a1 - 3 IPv4 10.0.1.77 52.216.8.100 us-east-1 use1-az4 - - - S3 egress 7`,
    );
    expect(recs).toHaveLength(6);
    const ev = correlateProbe(p, o, { flows: recs, access: [], cloudtrail: [] }, env, classify);
    expect(
      ev.map((e) => `${(e.record as FlowRecord).srcaddr}:${(e.record as FlowRecord).srcport}`).sort(),
    ).toEqual(['10.0.1.77:40001', '52.216.8.100:443']);
    expect(ev.every((e) => e.matchedBy === 'flow-window')).toBe(true);
  });

  it("never takes another VPC's record for the runner's, even with the runner's address (overlapping VPCs)", () => {
    const recs = flows(
      // the same address in another VPC (overlapping CIDRs), named by vpc-id
      `5 111122223333 eni-0other00000000000 10.0.1.77 52.216.8.100 40001 443 6 12 1830 ${t} ${t + 59} ACCEPT OK vpc-0ffffffffffffffff subnet-0a1a1a1a1a1a1a1a1 - 3 IPv4 10.0.1.77 52.216.8.100 us-east-1 use1-az4 - - - S3 egress 7`,
      // named only by a subnet that is not in the runner's VPC
      `5 111122223333 eni-0other00000000000 10.0.1.77 52.216.8.100 40001 443 6 12 1830 ${t} ${t + 59} ACCEPT OK - subnet-0ffffffffffffffff - 3 IPv4 10.0.1.77 52.216.8.100 us-east-1 use1-az4 - - - S3 egress 7`,
      // the runner's own record, in its VPC
      `5 111122223333 eni-0lambda000000000a 10.0.1.77 52.216.8.100 40002 443 6 12 1830 ${t} ${t + 59} ACCEPT OK vpc-0abcdef0123456789 subnet-0a1a1a1a1a1a1a1a1 - 3 IPv4 10.0.1.77 52.216.8.100 us-east-1 use1-az4 - - - S3 egress 2`,
    );
    expect(recs).toHaveLength(3);
    const ev = correlateProbe(p, o, { flows: recs, access: [], cloudtrail: [] }, env, classify);
    expect(ev.map((e) => (e.record as FlowRecord).srcport)).toEqual([40002]);
  });

  it("never takes a record on another VPC's ENI for the runner's in the default v2 format (no vpc-id)", () => {
    const overlapping = {
      ...env,
      vpcs: [...env.vpcs, { vpcId: 'vpc-0ffffffffffffffff', cidrs: ['10.0.0.0/16'] }],
      subnets: [
        ...env.subnets,
        {
          subnetId: 'subnet-0ffffffffffffffff',
          vpcId: 'vpc-0ffffffffffffffff',
          cidrs: ['10.0.1.0/24'],
          routeTableId: env.subnets[0]!.routeTableId,
        },
      ],
      networkInterfaces: [
        ...env.networkInterfaces,
        { eniId: 'eni-0other00000000000', subnetId: 'subnet-0ffffffffffffffff', privateIps: ['10.0.1.77'] },
      ],
    };
    const v2 = (eni: string, port: number) =>
      `2 111122223333 ${eni} 10.0.1.77 52.216.8.100 ${port} 443 6 12 1830 ${t} ${t + 59} ACCEPT OK`;
    const recs = parseFlowLogText(
      `${v2('eni-0other00000000000', 40001)}\n${v2('eni-0lambda000000000a', 40002)}\n`,
      {
        rejects: { add() {} } as never,
      },
    );
    const ev = correlateProbe(p, o, { flows: recs, access: [], cloudtrail: [] }, overlapping, classify);
    expect(ev.map((e) => (e.record as FlowRecord).srcport)).toEqual([40002]);
  });

  it('accepts records whose 1-10 minute aggregation interval overlaps the fetch, even starting late', () => {
    const line = (start: number, end: number, port: number) =>
      `5 111122223333 eni-0lambda000000000b 10.0.1.78 52.216.8.100 ${port} 443 6 12 1830 ${start} ${end} ACCEPT OK vpc-0abcdef0123456789 subnet-0a1a1a1a1a1a1a1a1 - 3 IPv4 10.0.1.78 52.216.8.100 us-east-1 use1-az4 - - - S3 egress 7`;
    const recs = flows(
      line(t - 540, t + 60, 41001),
      line(t + 55, t + 115, 41002),
      line(t - 900, t - 300, 41003),
    );
    const ev = correlateProbe(p, o, { flows: recs, access: [], cloudtrail: [] }, env, classify);
    expect(ev.map((e) => (e.record as FlowRecord).srcport).sort()).toEqual([41001, 41002]);
  });

  it('follows the runner through the NAT gateway ENI (pre-NAT record), not the translated one', () => {
    // Records of the AWS NAT gateway example: the NAT ENI sees the instance's packets, then its own.
    const recs = flows(
      `5 111122223333 eni-0nat00000000000a 10.0.1.77 52.216.8.100 40001 443 6 12 1830 ${t} ${t + 59} ACCEPT OK vpc-0abcdef0123456789 subnet-0f6f6f6f6f6f6f6f6 - 3 IPv4 10.0.1.77 52.216.8.100 us-east-1 use1-az4 - - - S3 ingress -`,
      `5 111122223333 eni-0nat00000000000a 10.0.0.220 52.216.8.100 61001 443 6 12 1830 ${t} ${t + 59} ACCEPT OK vpc-0abcdef0123456789 subnet-0f6f6f6f6f6f6f6f6 - 3 IPv4 10.0.0.220 52.216.8.100 us-east-1 use1-az4 - - - S3 egress 1`,
    );
    const ev = correlateProbe(p, o, { flows: recs, access: [], cloudtrail: [] }, env, classify);
    expect(ev.map((e) => (e.record as FlowRecord).srcaddr)).toEqual(['10.0.1.77']);
    expect(ev[0]?.decision.path).toBe('nat-gateway');
  });

  it('reads an IPv4-mapped socket address (as Node reports it) as the IPv4 address', () => {
    const recs = flows(
      `5 111122223333 eni-0lambda000000000a 10.0.1.77 52.216.8.100 40001 443 6 12 1830 ${t} ${t + 59} ACCEPT OK vpc-0abcdef0123456789 subnet-0a1a1a1a1a1a1a1a1 - 3 IPv4 10.0.1.77 52.216.8.100 us-east-1 use1-az4 - - - S3 egress 7`,
    );
    const obs = observation({ remoteAddress: '::ffff:52.216.8.100' });
    expect(correlateProbe(p, obs, { flows: recs, access: [], cloudtrail: [] }, env, classify)).toHaveLength(
      1,
    );
    expect(normalizeIp('::FFFF:10.0.0.1')).toBe('10.0.0.1');
    expect(normalizeIp('2600:1fa0:0000::0001')).toBe('2600:1fa0::1');
  });

  it('matches an on-prem runner on the interface endpoint ENI by its own address and port', () => {
    const onprem = probe({
      vantage: { id: 'onprem-dc1', kind: 'onprem' },
      expectedPath: 'interface-endpoint',
    });
    const oo = observation({
      runnerId: 'onprem-dc1',
      vantageKind: 'onprem',
      localAddress: '192.168.10.5',
      localPort: 50123,
      remoteAddress: '10.0.2.50',
    });
    const recs = flows(
      `5 111122223333 eni-0vpce0000000000b 192.168.10.5 10.0.2.50 50123 443 6 12 1830 ${t} ${t + 59} ACCEPT OK vpc-0abcdef0123456789 subnet-0c0c0c0c0c0c0c0c0 - 3 IPv4 192.168.10.5 10.0.2.50 us-east-1 use1-az4 - - - - ingress -`,
      `5 111122223333 eni-0vpce0000000000b 10.0.2.50 192.168.10.5 443 50123 6 10 5120 ${t} ${t + 59} ACCEPT OK vpc-0abcdef0123456789 subnet-0c0c0c0c0c0c0c0c0 - 19 IPv4 10.0.2.50 192.168.10.5 us-east-1 use1-az4 - - - - egress 3`,
      // another on-prem connection of the same host
      `5 111122223333 eni-0vpce0000000000b 192.168.10.5 10.0.2.50 50999 443 6 12 1830 ${t} ${t + 59} ACCEPT OK vpc-0abcdef0123456789 subnet-0c0c0c0c0c0c0c0c0 - 3 IPv4 192.168.10.5 10.0.2.50 us-east-1 use1-az4 - - - - ingress -`,
    );
    const ev = correlateProbe(onprem, oo, { flows: recs, access: [], cloudtrail: [] }, env, classify);
    expect(
      ev.map((e) => `${(e.record as FlowRecord).srcport}>${(e.record as FlowRecord).dstport}`).sort(),
    ).toEqual(['443>50123', '50123>443']);
  });

  it('finds nothing for a runner that never connected', () => {
    const recs = flows(
      `5 111122223333 eni-0lambda000000000a 10.0.1.77 52.216.8.100 40001 443 6 12 1830 ${t} ${t + 59} ACCEPT OK vpc-0abcdef0123456789 subnet-0a1a1a1a1a1a1a1a1 - 3 IPv4 10.0.1.77 52.216.8.100 us-east-1 use1-az4 - - - S3 egress 7`,
    );
    const failed = observation({
      remoteAddress: null,
      remotePort: null,
      error: { code: 'DNS_FAILURE', message: 'ENOTFOUND' },
    });
    expect(correlateProbe(p, failed, { flows: recs, access: [], cloudtrail: [] }, env, classify)).toEqual([]);
  });

  it('gives the same matches whatever the order and repetition of the records', () => {
    const recs = flows(
      `5 111122223333 eni-0lambda000000000a 10.0.1.77 52.216.8.100 40001 443 6 12 1830 ${t} ${t + 59} ACCEPT OK vpc-0abcdef0123456789 subnet-0a1a1a1a1a1a1a1a1 - 3 IPv4 10.0.1.77 52.216.8.100 us-east-1 use1-az4 - - - S3 egress 7`,
      `5 111122223333 eni-0lambda000000000a 52.216.8.100 10.0.1.77 443 40001 6 10 5120 ${t} ${t + 59} ACCEPT OK vpc-0abcdef0123456789 subnet-0a1a1a1a1a1a1a1a1 - 19 IPv4 52.216.8.100 10.0.1.77 us-east-1 use1-az4 - - S3 - ingress -`,
    );
    const access = [accessLine()];
    const one = correlate([target()], { flows: recs, accessLogs: access });
    const two = correlate([target()], {
      flows: [recs[1]!, ...recs, recs[0]!].reverse(),
      accessLogs: [...access, ...access],
    });
    expect(two).toEqual(one);
    expect(one.get(p.probeId)).toHaveLength(3);
  });
});

describe('vantage facts and queries', () => {
  it("lists the runner subnet's ENIs without the NAT and endpoint ENIs, and the route facts", () => {
    const f = vantageFacts(env, p.vantage);
    expect(f.runnerEniIds).toEqual(['eni-0lambda000000000a', 'eni-0lambda000000000b']);
    expect(f.runnerIps).toEqual(['10.0.1.77', '10.0.1.78']);
    expect(f).toMatchObject({
      routeTableId: 'rtb-0b2b2b2b2b2b2b2b2',
      s3GatewayEndpointId: 'vpce-0c3c3c3c3c3c3c3c3',
      moreSpecificRoute: null,
      defaultRoute: { destination: '0.0.0.0/0', target: 'nat-0d4d4d4d4d4d4d4d4' },
    });
    const beaten = {
      ...env,
      routeTables: env.routeTables.map((rt) =>
        rt.routeTableId === 'rtb-0b2b2b2b2b2b2b2b2'
          ? {
              ...rt,
              routes: [...rt.routes, { destination: '52.216.0.0/16', target: 'nat-0d4d4d4d4d4d4d4d4' }],
            }
          : rt,
      ),
    };
    expect(vantageFacts(beaten, p.vantage).moreSpecificRoute).toEqual({
      destination: '52.216.0.0/16',
      target: 'nat-0d4d4d4d4d4d4d4d4',
    });
    // A customer prefix list holding one S3 block, routed to the NAT gateway, takes it the same way.
    const byList = {
      ...env,
      prefixLists: [{ prefixListId: 'pl-0c0ffee0', name: 'customer-egress', cidrs: ['52.216.8.0/24'] }],
      routeTables: env.routeTables.map((rt) =>
        rt.routeTableId === 'rtb-0b2b2b2b2b2b2b2b2'
          ? { ...rt, routes: [...rt.routes, { destination: 'pl-0c0ffee0', target: 'nat-0d4d4d4d4d4d4d4d4' }] }
          : rt,
      ),
    };
    expect(vantageFacts(byList, p.vantage).moreSpecificRoute).toEqual({
      destination: 'pl-0c0ffee0',
      target: 'nat-0d4d4d4d4d4d4d4d4',
    });
  });

  it('asks the flow source for the runner addresses and the fetch window plus the aggregation tail', () => {
    const [q] = new EvidenceCorrelator([target()]).flowQueries();
    expect(q?.addresses).toEqual(['10.0.1.77', '10.0.1.78', '52.216.8.100']);
    expect(q?.eniIds).toEqual(['eni-0lambda000000000a', 'eni-0lambda000000000b']);
    expect(q!.window.from.getTime()).toBeLessThan(Date.parse(o.startedAt));
    expect(q!.window.to.getTime()).toBeGreaterThanOrEqual(Date.parse(o.startedAt) + 10 * 60_000);
  });

  it('asks CloudTrail for the probe keys of each bucket', () => {
    const [q] = new EvidenceCorrelator([target()]).cloudTrailQueries();
    expect(q).toMatchObject({ bucket: 'example-data-bucket', keys: [KEY] });
  });
});
