import { describe, expect, it } from 'vitest';
import { parseAccessLogString } from '../../shared/access-logs/parser.js';
import { bindEnvironment } from '../../shared/analyzer/environment-ports.js';
import { RealTrafficAudit, realTrafficReport } from '../../shared/reports/real-traffic.js';
import { env } from './loop-fixtures.js';

const { classify } = bindEnvironment(env);
const SIG = '5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7';
const BOTO = 'Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux#5.10 lang/python#3.12.6 Botocore/1.35.0';

/** One S3 server access log line (AWS LogFormat field order, 27 fields). */
function line(o: {
  ip: string;
  id: string;
  t: string;
  key?: string;
  host?: string;
  ua?: string;
  auth?: string;
  bucket?: string;
}) {
  const key = o.key ?? 'reports/2026/q4.csv';
  const text = `79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be ${o.bucket ?? 'example-data-bucket'} [25/Nov/2026:${o.t} +0000] ${o.ip} - ${o.id} REST.GET.OBJECT ${key} "GET /${key}?X-Amz-Signature=${SIG} HTTP/1.1" 200 - 2048 2048 12 11 "-" "${o.ua ?? BOTO}" - Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg== SigV4 TLS_AES_128_GCM_SHA256 ${o.auth ?? 'QueryString'} ${o.host ?? 'example-data-bucket.s3.amazonaws.com'} TLSv1.3 - - us-east-1`;
  const r = parseAccessLogString(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const records = [
  // an app on the legacy global endpoint through the NAT gateway's Elastic IP, out of order, one repeated
  line({ ip: '3.210.12.34', id: 'R0000000000000003', t: '10:40:00' }),
  line({ ip: '3.210.12.34', id: 'R0000000000000001', t: '09:00:00' }),
  line({ ip: '3.210.12.34', id: 'R0000000000000002', t: '09:30:00' }),
  line({ ip: '3.210.12.34', id: 'R0000000000000002', t: '09:30:00' }),
  // the same source with another client
  line({ ip: '3.210.12.34', id: 'R0000000000000004', t: '09:45:00', ua: 'curl/8.5.0' }),
  // from the on-prem public egress address: public
  line({
    ip: '203.0.113.10',
    id: 'R0000000000000005',
    t: '11:00:00',
    host: 'example-data-bucket.s3.us-east-1.amazonaws.com',
  }),
  // through an endpoint: private, counted, not reported
  line({
    ip: '10.0.1.77',
    id: 'R0000000000000006',
    t: '11:00:00',
    host: 'example-data-bucket.s3.us-east-1.amazonaws.com',
  }),
  // not presigned, another bucket, a probe of PathGuard itself: not audited
  line({ ip: '3.210.12.34', id: 'R0000000000000007', t: '11:00:00', auth: 'AuthHeader' }),
  line({ ip: '3.210.12.34', id: 'R0000000000000008', t: '11:00:00', bucket: 'example-other-bucket' }),
  line({
    ip: '3.210.12.34',
    id: 'R0000000000000009',
    t: '11:00:00',
    key: 'pathguard/probes/2026/11/25/01J.bin',
  }),
];

describe('real-traffic audit', () => {
  it('groups non-private presigned requests by remote IP, Host header and user agent, with first and last seen', () => {
    const r = realTrafficReport(records, ['example-data-bucket'], (x) => classify.access(x), {
      excludeKeyPrefixes: ['pathguard/probes/'],
    });
    expect(r.presignedRequests).toBe(6);
    expect(r.byPath).toEqual({ 'nat-gateway': 4, public: 1, 'vpc-endpoint': 1 });
    expect(r.nonPrivateRequests).toBe(5);
    expect(
      r.nonPrivate.map((g) => [
        g.remoteIp,
        g.hostHeader,
        g.userAgent?.slice(0, 12),
        g.path,
        g.count,
        g.firstSeen,
        g.lastSeen,
      ]),
    ).toEqual([
      [
        '3.210.12.34',
        'example-data-bucket.s3.amazonaws.com',
        'Boto3/1.35.0',
        'nat-gateway',
        3,
        '2026-11-25T09:00:00.000Z',
        '2026-11-25T10:40:00.000Z',
      ],
      [
        '203.0.113.10',
        'example-data-bucket.s3.us-east-1.amazonaws.com',
        'Boto3/1.35.0',
        'public',
        1,
        '2026-11-25T11:00:00.000Z',
        '2026-11-25T11:00:00.000Z',
      ],
      [
        '3.210.12.34',
        'example-data-bucket.s3.amazonaws.com',
        'curl/8.5.0',
        'nat-gateway',
        1,
        '2026-11-25T09:45:00.000Z',
        '2026-11-25T09:45:00.000Z',
      ],
    ]);
    expect(r.nonPrivate[0]?.sampleKeys).toEqual(['reports/2026/q4.csv']);
    expect(r.window).toEqual({ from: '2026-11-25T09:00:00.000Z', to: '2026-11-25T11:00:00.000Z' });
  });

  it('is the same whatever the order of the records', () => {
    const a = realTrafficReport(records, ['example-data-bucket'], (x) => classify.access(x));
    const b = realTrafficReport([...records].reverse(), ['example-data-bucket'], (x) => classify.access(x));
    expect(b).toEqual(a);
  });

  it('keeps bounded memory: groups beyond the limit are counted, not kept', () => {
    const audit = new RealTrafficAudit({
      monitoredBuckets: ['example-data-bucket'],
      classify: (x) => classify.access(x),
      maxGroups: 1,
    });
    for (const r of records) audit.add(r);
    const rep = audit.report();
    expect(rep.nonPrivate).toHaveLength(1);
    expect(rep.droppedGroupRequests).toBe(2);
    expect(rep.nonPrivateRequests).toBe(6);
  });

  it('redacts what it reports', () => {
    const ua = `app/1.0 (+https://example.com/x?X-Amz-Signature=${SIG})`;
    const r = realTrafficReport(
      [line({ ip: '3.210.12.34', id: 'R1', t: '10:00:00', ua })],
      ['example-data-bucket'],
      (x) => classify.access(x),
    );
    expect(JSON.stringify(r)).not.toContain(SIG);
  });
});
