import { describe, expect, it } from 'vitest';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import { correlateProbe } from '../../shared/evidence/correlate.js';
import type { Classifiers } from '../../shared/evidence/types.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { decision, env, observation, probe } from './loop-fixtures.js';

// Correlation is tested on its own: a classifier that labels by a field keeps the decision visible.
const classify: Classifiers = {
  flow: (r) =>
    r.logStatus === 'NODATA'
      ? null
      : decision(r.trafficPath === 7 ? 'gateway-endpoint' : 'nat-gateway', r.trafficPath === 7),
  access: () => decision('vpc-endpoint', true),
  cloudtrail: () => decision('gateway-endpoint', true),
};

const access = (over: Partial<AccessLogRecord>): AccessLogRecord =>
  ({
    bucketOwner: 'o',
    bucket: 'example-data-bucket',
    time: '2026-11-25T10:00:03.000Z',
    remoteIp: '10.0.1.77',
    requester: null,
    requestId: '3E57427F3EXAMPLE',
    operation: 'REST.GET.OBJECT',
    key: 'pathguard/probes/2026/11/25/01JDQ7ZT0000000000000000AA.bin',
    authenticationType: 'QueryString',
    extra: [],
    ...over,
  }) as AccessLogRecord;

const t = Math.floor(Date.parse('2026-11-25T10:00:00Z') / 1000);
const flow = (over: Partial<FlowRecord>): FlowRecord => ({
  version: 5,
  interfaceId: 'eni-0lambda000000000a',
  srcaddr: '10.0.1.77',
  dstaddr: '52.216.8.100',
  srcport: 40001,
  dstport: 443,
  start: t,
  end: t + 59,
  logStatus: 'OK',
  flowDirection: 'egress',
  trafficPath: 7,
  ...over,
});

describe('correlateProbe', () => {
  const p = probe();
  const o = observation();

  it('matches access logs by request id and counts a duplicated record once', () => {
    const rec = access({});
    const ev = correlateProbe(p, o, { flows: [], access: [rec, { ...rec }], cloudtrail: [] }, env, classify);
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ source: 's3-access', matchedBy: 'request-id' });
  });

  it('falls back to probe key and time, and ignores the key outside the probe life', () => {
    const late = access({ requestId: 'OTHER', time: '2026-11-25T11:30:00.000Z' });
    const near = access({ requestId: 'OTHER2', time: '2026-11-25T10:01:00.000Z' });
    const ev = correlateProbe(
      p,
      observation({ requestId: null }),
      { flows: [], access: [late, near], cloudtrail: [] },
      env,
      classify,
    );
    expect(ev.map((e) => (e.record as AccessLogRecord).requestId)).toEqual(['OTHER2']);
    expect(ev[0]?.matchedBy).toBe('key-and-time');
  });

  it("matches flows by the runner subnet's Lambda ENI addresses, not the socket's local address", () => {
    const ours = flow({});
    const reply = flow({
      srcaddr: '52.216.8.100',
      dstaddr: '10.0.1.77',
      srcport: 443,
      dstport: 40001,
      flowDirection: 'ingress',
      trafficPath: null,
    });
    const otherHost = flow({ srcaddr: '10.0.1.99' });
    const otherDst = flow({ dstaddr: '52.216.9.9' });
    const outside = flow({ start: t + 3600, end: t + 3659 });
    const ev = correlateProbe(
      p,
      o,
      { flows: [ours, reply, otherHost, otherDst, outside], access: [], cloudtrail: [] },
      env,
      classify,
    );
    expect(ev.map((e) => (e.record as FlowRecord).srcaddr)).toEqual(['10.0.1.77', '52.216.8.100']);
  });

  it('follows a NAT gateway ENI record through pkt-dstaddr', () => {
    const nat = flow({
      interfaceId: 'eni-0nat',
      dstaddr: '10.0.0.220',
      pktDstaddr: '52.216.8.100',
      trafficPath: 1,
    });
    const ev = correlateProbe(p, o, { flows: [nat], access: [], cloudtrail: [] }, env, classify);
    expect(ev).toHaveLength(1);
    expect(ev[0]?.decision.path).toBe('nat-gateway');
  });

  it('matches an on-prem runner by the address it connected from', () => {
    const onprem = probe({ vantage: { id: 'onprem-dc1', kind: 'onprem' } });
    const oo = observation({
      runnerId: 'onprem-dc1',
      vantageKind: 'onprem',
      localAddress: '192.168.10.5',
      remoteAddress: '10.0.2.50',
    });
    const viaVpce = flow({
      interfaceId: 'eni-0vpce',
      srcaddr: '192.168.10.5',
      dstaddr: '10.0.2.50',
      flowDirection: 'ingress',
    });
    const ev = correlateProbe(onprem, oo, { flows: [viaVpce], access: [], cloudtrail: [] }, env, classify);
    expect(ev).toHaveLength(1);
  });
});
