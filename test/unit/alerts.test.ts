import { describe, expect, it } from 'vitest';
import { renderAlert } from '../../shared/alerts/render.js';
import { EMPTY_ALERT_STATE, planAlerts, recordSent } from '../../shared/alerts/state.js';
import type { ProbeVerdict } from '../../shared/verdicts/engine.js';
import { decision, item, minutes, probe } from './loop-fixtures.js';

const v = (verdict: ProbeVerdict['verdict'], over: Partial<ProbeVerdict> = {}): ProbeVerdict => ({
  probeId: 'x',
  verdict,
  path: verdict === 'left-path' ? 'nat-gateway' : verdict === 'private' ? 'gateway-endpoint' : null,
  reason:
    verdict === 'left-path' ? 'LEFT_PATH: flow record shows nat-gateway' : `${verdict.toUpperCase()}: test`,
  deciding: null,
  evidence: [item('flow', decision('nat-gateway', false))],
  silentSources: [],
  awaiting: [],
  ...over,
});
const global = probe({
  style: 'global',
  urlHost: 'example-data-bucket.s3.amazonaws.com',
  inspection: { findings: [{ code: 'LEGACY_GLOBAL_ENDPOINT' }] },
});

describe('alert state', () => {
  it('alerts once on a transition to left-path, not again in the same interval, then reminds', () => {
    const first = planAlerts(
      EMPTY_ALERT_STATE,
      [{ probe: global, verdict: v('left-path') }],
      [],
      minutes(0),
      240,
    );
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({
      kind: 'left-path',
      severity: 'critical',
      reason: 'new',
      dedupKey: 'example-data-bucket|global|vpc-app|left-path',
    });
    const state = recordSent(EMPTY_ALERT_STATE, first[0]!, minutes(0));
    expect(planAlerts(state, [{ probe: global, verdict: v('left-path') }], [], minutes(5), 240)).toEqual([]);
    const later = planAlerts(state, [{ probe: global, verdict: v('left-path') }], [], minutes(240), 240);
    expect(later.map((a) => a.reason)).toEqual(['reminder']);
  });

  it('never sends two alerts for one key in a run, taking the latest probe of the group', () => {
    const older = probe({ style: 'global', probeId: '01A', createdAt: minutes(0).toISOString() });
    const newer = probe({ style: 'global', probeId: '01B', createdAt: minutes(5).toISOString() });
    const out = planAlerts(
      EMPTY_ALERT_STATE,
      [
        { probe: older, verdict: v('left-path') },
        { probe: newer, verdict: v('left-path') },
      ],
      [],
      minutes(6),
      240,
    );
    expect(out).toHaveLength(1);
    expect(out[0]?.probe?.probeId).toBe('01B');
  });

  it('sends a recovery when the group is private again, closing every open alert of it', () => {
    let state = recordSent(
      EMPTY_ALERT_STATE,
      planAlerts(EMPTY_ALERT_STATE, [{ probe: global, verdict: v('left-path') }], [], minutes(0), 240)[0]!,
      minutes(0),
    );
    const rec = planAlerts(state, [{ probe: global, verdict: v('private') }], [], minutes(10), 240);
    expect(rec).toMatchObject([
      { kind: 'recovered', severity: 'info', closes: ['example-data-bucket|global|vpc-app|left-path'] },
    ]);
    state = recordSent(state, rec[0]!, minutes(10));
    expect(state.open).toEqual({});
  });

  it('warns on runner silence and no-evidence, and ignores pending and blocked', () => {
    const out = planAlerts(
      EMPTY_ALERT_STATE,
      [
        {
          probe: probe({ style: 'regional' }),
          verdict: v('no-evidence', { reason: 'RUNNER_SILENT: runner vpc-app' }),
        },
        {
          probe: probe({ style: 'global' }),
          verdict: v('no-evidence', { reason: 'NO_EVIDENCE: x', silentSources: ['flow'] }),
        },
        { probe: probe({ style: 'dualstack' }), verdict: v('pending') },
        { probe: probe({ style: 'fips' }), verdict: v('blocked') },
      ],
      [],
      minutes(0),
      240,
    );
    expect(out.map((a) => [a.kind, a.severity]).sort()).toEqual([
      ['no-evidence', 'warning'],
      ['runner-silent', 'warning'],
    ]);
  });

  it('alerts on posture drift by code and resource', () => {
    const d = {
      code: 'MORE_SPECIFIC_ROUTE_TO_NAT',
      severity: 'warning' as const,
      message: '52.216.0.0/16 -> nat-0d4',
      resource: 'rtb-0b2b',
    };
    const out = planAlerts(EMPTY_ALERT_STATE, [], [d], minutes(0), 240);
    expect(out).toMatchObject([
      { kind: 'posture-drift', dedupKey: 'drift|MORE_SPECIFIC_ROUTE_TO_NAT|rtb-0b2b' },
    ]);
  });
});

describe('alert rendering', () => {
  const secret = 'X-Amz-Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
  const intent = planAlerts(
    EMPTY_ALERT_STATE,
    [
      {
        probe: global,
        verdict: v('left-path', {
          reason: `LEFT_PATH: https://example-data-bucket.s3.amazonaws.com/k?${secret}`,
        }),
      },
    ],
    [],
    minutes(0),
    240,
  )[0]!;
  const a = renderAlert(intent, { now: minutes(0), bundleKey: 'evidence/2026/11/25/01J.json' });

  it('gives email a subject of at most 100 characters and a body with cause and fix', () => {
    expect(a.subject.length).toBeLessThanOrEqual(100);
    expect(a.subject).toMatch(/^\[PathGuard CRITICAL\] S3 traffic left the VPC-endpoint path/);
    expect(a.text).toMatch(/Likely cause: the URL uses the legacy global endpoint/);
    expect(a.text).toMatch(/Fix: presign with the regional endpoint .* or with the interface endpoint name/);
    expect(a.text).toContain('Evidence bundle: evidence/2026/11/25/01J.json');
  });

  it('gives AWS Chatbot a custom notification threaded by the alert key', () => {
    expect(a.chatbot).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: { textType: 'client-markdown' },
      metadata: { threadId: 'example-data-bucket|global|vpc-app|left-path', eventType: 'left-path' },
    });
  });

  it('sets filterable SNS attributes', () => {
    expect(a.attributes).toEqual({
      severity: 'critical',
      kind: 'left-path',
      verdict: 'left-path',
      vantage: 'vpc-app',
      bucket: 'example-data-bucket',
      style: 'global',
    });
  });

  it('leaks no signature anywhere', () => {
    expect(JSON.stringify(a)).not.toContain('0123456789abcdef0123456789abcdef');
  });
});
