// Issue 10: verdicts that must not say `private` (or close an alert) against the evidence.
import { describe, expect, it } from 'vitest';
import { parseAccessLogString } from '../../shared/access-logs/parser.js';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import { EMPTY_ALERT_STATE, planAlerts, recordSent } from '../../shared/alerts/state.js';
import { analyze } from '../../shared/analyzer/analyze.js';
import { bindEnvironment } from '../../shared/analyzer/environment-ports.js';
import { config, env, minutes, observation, probe } from './loop-fixtures.js';

const cfg = config();
const bound = bindEnvironment(env);
const NAT_EIP = '3.210.12.34'; // the NAT gateway's Elastic IP in loop-fixtures' environment

function accessLine(remoteIp: string, status: string, error: string): AccessLogRecord {
  const line = `79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be example-data-bucket [25/Nov/2026:10:00:02 +0000] ${remoteIp} arn:aws:sts::111122223333:assumed-role/pathguard-probe/pathguard-probe 3E57427F3EXAMPLE REST.GET.OBJECT pathguard/probes/2026/11/25/01JDQ7ZT0000000000000000AA.bin "GET /pathguard/probes/2026/11/25/01JDQ7ZT0000000000000000AA.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=REDACTED&X-Amz-SignedHeaders=host HTTP/1.1" ${status} ${error} 243 64 14 13 "-" "pathguard/0.1.0 runner/vpc-app probe/01JDQ7ZT0000000000000000AA" - hostid== SigV4 TLS_AES_128_GCM_SHA256 QueryString example-data-bucket.s3.us-east-1.amazonaws.com TLSv1.3 - - us-east-1`;
  const r = parseAccessLogString(line);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe('issue 10 §1.4: an expired URL through the NAT gateway is left-path, and closes nothing', () => {
  const p = probe();
  const expired = observation({
    httpStatus: 403,
    s3ErrorCode: 'AccessDenied',
    s3ErrorMessage: 'Request has expired',
    bodySha256: null,
    bodyMatches: null,
    error: { code: 'HTTP_ERROR', message: 'HTTP 403 AccessDenied' },
  });
  // An open left-path alert for the same key, sent an hour ago.
  const openState = (() => {
    const first = analyze({
      cfg,
      env,
      ...bound,
      probes: [p],
      observations: new Map(),
      logs: { flows: [], access: [accessLine(NAT_EIP, '200', '-')], cloudtrail: [] },
      now: minutes(1),
      alertState: EMPTY_ALERT_STATE,
    });
    expect(first.alerts.map((a) => [a.kind, a.reason])).toEqual([['left-path', 'new']]);
    return first.alerts.reduce((s, a) => recordSent(s, a, minutes(1)), EMPTY_ALERT_STATE);
  })();

  it('is left-path (nat-gateway) with the expiry as the probe failure, not blocked', () => {
    const r = analyze({
      cfg,
      env,
      ...bound,
      probes: [p],
      observations: new Map([[p.probeId, expired]]),
      logs: { flows: [], access: [accessLine(NAT_EIP, '403', 'AccessDenied')], cloudtrail: [] },
      now: minutes(30),
      alertState: openState,
    });
    const v = r.results[0]!.verdict;
    expect(v).toMatchObject({ verdict: 'left-path', code: 'LEFT_PATH', path: 'nat-gateway' });
    expect(v.failure?.code).toBe('URL_EXPIRED');
    expect(v.deciding?.decision.rule).toBe('ACCESS_NAT_GATEWAY_IP');
    expect(r.alerts.filter((a) => a.reason === 'recovery' || a.reason === 'close')).toEqual([]);
  });

  it('a blocked probe (explicit deny in the bucket policy) keeps the left-path alert open', () => {
    const deny = observation({
      ...expired,
      s3ErrorMessage:
        'User: arn:aws:sts::111122223333:assumed-role/pathguard-probe/pathguard-probe is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::example-data-bucket/x.bin" with an explicit deny in a resource-based policy',
    });
    const r = analyze({
      cfg,
      env,
      ...bound,
      probes: [p],
      observations: new Map([[p.probeId, deny]]),
      logs: { flows: [], access: [accessLine(NAT_EIP, '403', 'AccessDenied')], cloudtrail: [] },
      now: minutes(30),
      alertState: openState,
    });
    expect(r.results[0]!.verdict).toMatchObject({ verdict: 'blocked', path: 'nat-gateway' });
    expect(r.alerts).toEqual([]);
    expect(planAlerts(openState, r.results, null, minutes(30), 240)).toEqual([]);
  });

  it('only a private verdict of a probe that read its object recovers it', () => {
    const r = analyze({
      cfg,
      env,
      ...bound,
      probes: [p],
      observations: new Map([[p.probeId, observation()]]),
      logs: { flows: [], access: [accessLine('10.0.1.77', '200', '-')], cloudtrail: [] },
      now: minutes(30),
      alertState: openState,
    });
    expect(r.results[0]!.verdict.verdict).toBe('private');
    expect(r.alerts.map((a) => [a.kind, a.reason])).toEqual([['left-path', 'recovery']]);
  });
});
