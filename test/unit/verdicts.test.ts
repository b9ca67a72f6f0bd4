import { describe, expect, it } from 'vitest';
import type { EvidenceItem } from '../../shared/evidence/types.js';
import { type EarlyFacts, earlyVerdict } from '../../shared/probes/early-verdict.js';
import {
  appendHistory,
  decideVerdict,
  expectedSources,
  isSettled,
  runnerDeadline,
} from '../../shared/verdicts/engine.js';
import { config, decision, item, minutes, observation, probe } from './loop-fixtures.js';

const cfg = config(); // flow logs 20 min, access logs 6 h, CloudTrail off, schedule 5 min, URL 15 min
const p = probe();
const o = observation(); // fetched at T0 + 2 s
const expected = expectedSources(p, cfg, o);
const base = { probe: p, expected, runnerDeadline: runnerDeadline(p, cfg) };

const facts: EarlyFacts = {
  isInterfaceEndpointIp: (ip) => ip === '10.0.2.50',
  isS3Address: (ip) => ip.startsWith('52.216.'),
  routeTarget: (_subnet, ip) =>
    ip.startsWith('52.216.') ? 'vpce-0c3c3c3c3c3c3c3c3' : 'nat-0d4d4d4d4d4d4d4d4',
};

const onpremProbe = probe({
  vantage: { id: 'onprem-dc1', kind: 'onprem' },
  expectedPath: 'interface-endpoint',
});
const onpremObs = (remote: string) =>
  observation({
    runnerId: 'onprem-dc1',
    vantageKind: 'onprem',
    localAddress: '192.168.10.5',
    remoteAddress: remote,
  });

describe('verdict rules', () => {
  const denied = (s3ErrorMessage: string | null) =>
    observation({
      httpStatus: 403,
      s3ErrorCode: 'AccessDenied',
      s3ErrorMessage,
      bodyMatches: null,
      error: { code: 'HTTP_ERROR', message: 'HTTP 403 AccessDenied' },
    });
  const VPCE_DENY =
    'User: arn:aws:sts::111122223333:assumed-role/pathguard-probe/pathguard-probe is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::example-data-bucket/x.bin" with an explicit deny in a VPC endpoint policy';

  it('BLOCKED: a 403 naming an explicit deny in a VPC endpoint policy is blocked, naming the path the request took', () => {
    const v = decideVerdict({
      ...base,
      observation: denied(VPCE_DENY),
      evidence: [item('s3-access', decision('vpc-endpoint', true))],
      now: minutes(30),
    });
    expect(v).toMatchObject({ verdict: 'blocked', code: 'BLOCKED', path: 'vpc-endpoint', failure: null });
    expect(v.reason).toMatch(/^BLOCKED: a network-conditioned control refused the request: VPCE_POLICY_DENY/);
  });

  it('BLOCKED: CloudTrail VpceAccessDenied blocks even before the runner reports', () => {
    const trail = {
      ...item('cloudtrail', decision('vpc-endpoint', true, 'CLOUDTRAIL_UNKNOWN_ENDPOINT')),
      record: { errorCode: 'VpceAccessDenied', vpcEndpointId: 'vpce-0c3c3c3c3c3c3c3c3' },
    } as unknown as EvidenceItem;
    const v = decideVerdict({ ...base, observation: null, evidence: [trail], now: minutes(1) });
    expect(v).toMatchObject({ verdict: 'blocked', code: 'BLOCKED' });
    expect(v.reason).toContain('VPCE_ACCESS_DENIED');
  });

  it('an expired URL is a probe failure, not blocked: the NAT gateway evidence makes it left-path (issue 10 §1.4)', () => {
    const v = decideVerdict({
      ...base,
      observation: denied('Request has expired'),
      evidence: [item('s3-access', decision('nat-gateway', false, 'ACCESS_NAT_GATEWAY_IP'))],
      now: minutes(30),
    });
    expect(v).toMatchObject({ verdict: 'left-path', code: 'LEFT_PATH', path: 'nat-gateway' });
    expect(v.failure).toMatchObject({ code: 'URL_EXPIRED' });
    expect(v.reason).toContain('the probe failed: URL_EXPIRED');
  });

  it.each([
    ['Access Denied', 'ACCESS_DENIED_UNATTRIBUTED'],
    [null, 'ACCESS_DENIED_UNATTRIBUTED'],
    [
      'User: arn:aws:iam::111122223333:user/x is not authorized to perform: s3:GetObject because no identity-based policy allows the s3:GetObject action',
      'IDENTITY_POLICY',
    ],
    [
      'User: arn:aws:iam::111122223333:user/x is not authorized to perform: s3:GetObject with an explicit deny in a service control policy',
      'ORGANIZATION_POLICY',
    ],
  ])('a 403 "%s" is the probe failure %s and the evidence decides the path', (message, code) => {
    const v = decideVerdict({
      ...base,
      observation: denied(message),
      evidence: [item('s3-access', decision('vpc-endpoint', true))],
      now: minutes(30),
    });
    expect(v).toMatchObject({ verdict: 'private', path: 'vpc-endpoint', failure: { code } });
  });

  it('a 403 with another error code is not blocked', () => {
    const v = decideVerdict({
      ...base,
      observation: observation({ httpStatus: 403, s3ErrorCode: 'SignatureDoesNotMatch' }),
      evidence: [item('s3-access', decision('vpc-endpoint', true))],
      now: minutes(30),
    });
    expect(v.verdict).toBe('private');
  });

  it('LEFT_PATH: any non-private record wins over private records from other sources', () => {
    const v = decideVerdict({
      ...base,
      observation: o,
      evidence: [
        item('s3-access', decision('vpc-endpoint', true)),
        item('flow', decision('nat-gateway', false)),
      ],
      now: minutes(3),
    });
    expect(v).toMatchObject({ verdict: 'left-path', code: 'LEFT_PATH', path: 'nat-gateway' });
    expect(v.deciding?.source).toBe('flow');
    expect(v.evidence).toHaveLength(2);
  });

  it('LEFT_PATH: log evidence decides even when the runner never reported', () => {
    const v = decideVerdict({
      ...base,
      observation: null,
      evidence: [item('s3-access', decision('public', false), 'k', 'key-and-time')],
      now: minutes(1),
    });
    expect(v).toMatchObject({ verdict: 'left-path', path: 'public' });
  });

  it('LEFT_PATH_OBSERVED: an on-prem runner that reached a public S3 address left the path at once', () => {
    const obs = onpremObs('52.216.8.100');
    const early = earlyVerdict(onpremProbe, obs, facts);
    const v = decideVerdict({
      probe: onpremProbe,
      observation: obs,
      evidence: [],
      expected: expectedSources(onpremProbe, cfg, obs, early),
      runnerDeadline: runnerDeadline(onpremProbe, cfg),
      now: minutes(0.1),
      early,
    });
    expect(v).toMatchObject({ verdict: 'left-path', code: 'LEFT_PATH_OBSERVED', path: 'public' });
    expect(v.reason).toMatch(/logs will confirm/);
  });

  it('an on-prem runner that reached an interface-endpoint address waits for logs (never private from the observation alone)', () => {
    const obs = onpremObs('10.0.2.50');
    const early = earlyVerdict(onpremProbe, obs, facts);
    const exp = expectedSources(onpremProbe, cfg, obs, early);
    const v = decideVerdict({
      probe: onpremProbe,
      observation: obs,
      evidence: [],
      expected: exp,
      runnerDeadline: runnerDeadline(onpremProbe, cfg),
      now: minutes(1),
      early,
    });
    expect(early).toMatchObject({ verdict: 'private', path: 'interface-endpoint' });
    expect(v).toMatchObject({ verdict: 'pending', code: 'PENDING_EVIDENCE' });
    expect(v.reason).toMatch(/the observation suggests private/);
  });

  it('PENDING_RUNNER: no observation before the runner deadline (URL expiry, 15 min) is pending', () => {
    const v = decideVerdict({ ...base, observation: null, evidence: [], now: minutes(14) });
    expect(v).toMatchObject({ verdict: 'pending', code: 'PENDING_RUNNER' });
  });

  it('RUNNER_SILENT: no observation after the runner deadline is no-evidence naming the runner', () => {
    expect(base.runnerDeadline.toISOString()).toBe(minutes(15).toISOString());
    const v = decideVerdict({ ...base, observation: null, evidence: [], now: minutes(15) });
    expect(v).toMatchObject({ verdict: 'no-evidence', code: 'RUNNER_SILENT' });
    expect(v.reason).toMatch(/^RUNNER_SILENT: runner vpc-app did not report/);
  });

  it('the runner deadline is two schedule intervals when that is later than the URL expiry', () => {
    const slow = config({ scheduleMinutes: 30 });
    expect(runnerDeadline(p, slow).toISOString()).toBe(minutes(60).toISOString());
  });

  it('FETCH_FAILED: a fetch that never connected is no-evidence at once (no log can show it)', () => {
    const v = decideVerdict({
      ...base,
      observation: observation({
        remoteAddress: null,
        remotePort: null,
        httpStatus: null,
        requestId: null,
        error: { code: 'DNS_FAILURE', message: 'getaddrinfo ENOTFOUND' },
      }),
      evidence: [],
      now: minutes(1),
    });
    expect(v).toMatchObject({ verdict: 'no-evidence', code: 'FETCH_FAILED' });
    expect(v.reason).toMatch(/DNS_FAILURE/);
  });

  it('PRIVATE: private evidence from one source and nothing contrary is private, other sources still due', () => {
    const v = decideVerdict({
      ...base,
      observation: o,
      evidence: [item('flow', decision('gateway-endpoint', true, 'FLOW_TRAFFIC_PATH_7'))],
      now: minutes(3),
    });
    expect(v).toMatchObject({ verdict: 'private', code: 'PRIVATE', path: 'gateway-endpoint' });
    expect(v.deciding?.decision.rule).toBe('FLOW_TRAFFIC_PATH_7');
  });

  it('PENDING_EVIDENCE: no record yet but sources inside their deadlines is pending, never private', () => {
    const v = decideVerdict({ ...base, observation: o, evidence: [], now: minutes(10) });
    expect(v).toMatchObject({ verdict: 'pending', code: 'PENDING_EVIDENCE', path: null });
    expect(v.awaiting.map((a) => a.source)).toEqual(['flow', 's3-access']);
  });

  it('deadlines count from the fetch, not from planning', () => {
    const lateFetch = observation({ startedAt: minutes(12).toISOString() });
    const exp = expectedSources(p, cfg, lateFetch);
    expect(exp.map((x) => [x.source, x.deadline.toISOString()])).toEqual([
      ['flow', minutes(32).toISOString()],
      ['s3-access', minutes(372).toISOString()],
    ]);
  });

  it('after the flow deadline it still waits for access logs, naming flow logs as silent', () => {
    const v = decideVerdict({ ...base, observation: o, evidence: [], now: minutes(25) });
    expect(v).toMatchObject({ verdict: 'pending', silentSources: ['flow'] });
    expect(v.awaiting.map((a) => a.source)).toEqual(['s3-access']);
  });

  it('SOURCE_SILENT: after every deadline with no record, names the silent sources', () => {
    const v = decideVerdict({ ...base, observation: o, evidence: [], now: minutes(400) });
    expect(v).toMatchObject({
      verdict: 'no-evidence',
      code: 'SOURCE_SILENT',
      silentSources: ['flow', 's3-access'],
    });
    expect(v.reason).toMatch(/no matching record from flow, s3-access by the deadline/);
  });

  it('SOURCE_SILENT: a missing access-log record after its deadline is named even when flow spoke without deciding', () => {
    const v = decideVerdict({
      ...base,
      observation: o,
      evidence: [item('flow', decision('unknown', null))],
      now: minutes(400),
    });
    expect(v).toMatchObject({
      verdict: 'no-evidence',
      silentSources: ['s3-access'],
      undecidedSources: ['flow'],
    });
  });

  it('UNDECIDED: records that do not decide a path are never private', () => {
    const v = decideVerdict({
      ...base,
      observation: o,
      evidence: [item('flow', decision('unknown', null)), item('s3-access', decision('not-s3', null))],
      now: minutes(400),
    });
    expect(v).toMatchObject({
      verdict: 'no-evidence',
      code: 'UNDECIDED',
      undecidedSources: ['flow', 's3-access'],
    });
  });

  it('NO_SOURCE: with every source disabled nothing can be proven', () => {
    const off = config({
      evidence: {
        flowLogs: { enabled: false },
        accessLogs: { enabled: false },
        cloudTrail: { enabled: false },
      },
    });
    const v = decideVerdict({
      ...base,
      expected: expectedSources(p, off, o),
      observation: o,
      evidence: [],
      now: minutes(1),
    });
    expect(v).toMatchObject({ verdict: 'no-evidence', code: 'NO_SOURCE' });
  });

  it('counts a duplicated record once', () => {
    const dup = item('s3-access', decision('vpc-endpoint', true), 's3-access:3E57427F3EXAMPLE');
    const v = decideVerdict({
      ...base,
      observation: o,
      evidence: [dup, { ...dup }, { ...dup }],
      now: minutes(3),
    });
    expect(v.evidence).toHaveLength(1);
  });

  it('a late record turns no-evidence into a verdict on re-evaluation, and the history records both', () => {
    const missing = decideVerdict({ ...base, observation: o, evidence: [], now: minutes(400) });
    let history = appendHistory([], missing, minutes(400));
    const late = decideVerdict({
      ...base,
      observation: o,
      evidence: [item('s3-access', decision('vpc-endpoint', true))],
      now: minutes(500),
    });
    history = appendHistory(history, late, minutes(500));
    expect(history.map((h) => [h.verdict, h.code, h.at])).toEqual([
      ['no-evidence', 'SOURCE_SILENT', minutes(400).toISOString()],
      ['private', 'PRIVATE', minutes(500).toISOString()],
    ]);
  });

  it('is idempotent and independent of evidence order; history grows only on change', () => {
    const a = item('flow', decision('nat-gateway', false), 'flow|a');
    const b = item('s3-access', decision('public', false), 's3|b');
    const one = decideVerdict({ ...base, observation: o, evidence: [a, b], now: minutes(30) });
    const two = decideVerdict({ ...base, observation: o, evidence: [b, a], now: minutes(30) });
    expect(two).toEqual(one);
    const h1 = appendHistory([], one, minutes(30));
    const h2 = appendHistory(h1, two, minutes(35));
    expect(h2).toEqual(h1);
  });
});

describe('expected sources', () => {
  it('expects flow logs from on-prem only when the request entered the VPC through an interface endpoint', () => {
    const pub = onpremObs('52.216.8.100');
    expect(
      expectedSources(onpremProbe, cfg, pub, earlyVerdict(onpremProbe, pub, facts)).map((s) => s.source),
    ).toEqual(['s3-access']);
    const vpce = onpremObs('10.0.2.50');
    expect(
      expectedSources(onpremProbe, cfg, vpce, earlyVerdict(onpremProbe, vpce, facts)).map((s) => s.source),
    ).toEqual(['flow', 's3-access']);
    // Before the runner reported: from the probe's expected path.
    expect(expectedSources(onpremProbe, cfg).map((s) => s.source)).toEqual(['flow', 's3-access']);
    expect(expectedSources({ ...onpremProbe, expectedPath: 'public' }, cfg).map((s) => s.source)).toEqual([
      's3-access',
    ]);
  });

  it('uses the configured deadlines, and CloudTrail only when enabled', () => {
    const c = config({ evidence: { cloudTrail: { enabled: true, deadlineMinutes: 30 } } });
    expect(expectedSources(p, c).map((x) => [x.source, x.deadline.toISOString()])).toEqual([
      ['flow', minutes(20).toISOString()],
      ['s3-access', minutes(360).toISOString()],
      ['cloudtrail', minutes(30).toISOString()],
    ]);
  });

  it('a verdict settles once every deadline passed', () => {
    const v = decideVerdict({
      ...base,
      observation: o,
      evidence: [item('flow', decision('gateway-endpoint', true))],
      now: minutes(30),
    });
    expect(isSettled(v, expected, base.runnerDeadline, minutes(30))).toBe(false);
    expect(isSettled(v, expected, base.runnerDeadline, minutes(400))).toBe(true);
  });
});
