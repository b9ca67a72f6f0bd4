import { describe, expect, it } from 'vitest';
import { decideVerdict, expectedSources, runnerDeadline } from '../../shared/verdicts/engine.js';
import { config, decision, item, minutes, observation, probe } from './loop-fixtures.js';

const cfg = config();
const p = probe();
const expected = expectedSources(p, cfg);
const base = { probe: p, expected, runnerDeadline: runnerDeadline(p, cfg) };

describe('verdict rules', () => {
  it('PENDING_RUNNER: no observation before the runner deadline is pending', () => {
    expect(decideVerdict({ ...base, observation: null, evidence: [], now: minutes(3) }).verdict).toBe(
      'pending',
    );
  });

  it('RUNNER_SILENT: no observation after the runner deadline is no-evidence naming the runner', () => {
    const v = decideVerdict({ ...base, observation: null, evidence: [], now: minutes(11) });
    expect(v.verdict).toBe('no-evidence');
    expect(v.reason).toMatch(/^RUNNER_SILENT: runner vpc-app/);
  });

  it('BLOCKED: a 403 AccessDenied is blocked, a preventive control working', () => {
    const v = decideVerdict({
      ...base,
      observation: observation({ httpStatus: 403, s3ErrorCode: 'AccessDenied' }),
      evidence: [item('s3-access', decision('public', false))],
      now: minutes(30),
    });
    expect(v.verdict).toBe('blocked');
  });

  it('LEFT_PATH: any non-private evidence wins over private evidence from another source', () => {
    const v = decideVerdict({
      ...base,
      observation: observation(),
      evidence: [
        item('s3-access', decision('vpc-endpoint', true)),
        item('flow', decision('nat-gateway', false)),
      ],
      now: minutes(30),
    });
    expect(v).toMatchObject({ verdict: 'left-path', path: 'nat-gateway' });
    expect(v.deciding?.source).toBe('flow');
    expect(v.evidence).toHaveLength(2);
  });

  it('LEFT_PATH_OBSERVED: an early left-path verdict decides before logs arrive', () => {
    const v = decideVerdict({
      ...base,
      observation: observation(),
      evidence: [],
      now: minutes(1),
      early: { verdict: 'left-path', path: 'public', reason: 'on-prem runner connected to 52.216.8.100' },
    });
    expect(v).toMatchObject({ verdict: 'left-path', path: 'public' });
  });

  it('PRIVATE: private evidence from one source and nothing contrary is private', () => {
    const v = decideVerdict({
      ...base,
      observation: observation(),
      evidence: [item('flow', decision('gateway-endpoint', true))],
      now: minutes(3),
    });
    expect(v).toMatchObject({ verdict: 'private', path: 'gateway-endpoint' });
  });

  it('PENDING_EVIDENCE: nothing yet but sources inside their deadlines is pending, never private', () => {
    const v = decideVerdict({ ...base, observation: observation(), evidence: [], now: minutes(10) });
    expect(v.verdict).toBe('pending');
    expect(v.awaiting.map((a) => a.source)).toEqual(['flow', 's3-access']);
  });

  it('pending after the flow deadline still waits for the access-log deadline, naming the silent source', () => {
    const v = decideVerdict({ ...base, observation: observation(), evidence: [], now: minutes(25) });
    expect(v.verdict).toBe('pending');
    expect(v.silentSources).toEqual(['flow']);
  });

  it('NO_EVIDENCE: after every deadline with no record, names the silent sources', () => {
    const v = decideVerdict({ ...base, observation: observation(), evidence: [], now: minutes(361) });
    expect(v.verdict).toBe('no-evidence');
    expect(v.silentSources).toEqual(['flow', 's3-access']);
    expect(v.reason).toMatch(/no matching record from flow, s3-access/);
  });

  it('undecidable evidence alone is never private', () => {
    const v = decideVerdict({
      ...base,
      observation: observation(),
      evidence: [item('flow', decision('unknown', null)), item('s3-access', decision('unknown', null))],
      now: minutes(400),
    });
    expect(v.verdict).toBe('no-evidence');
  });

  it('is independent of the order of the evidence', () => {
    const a = item('flow', decision('nat-gateway', false), 'flow|a');
    const b = item('s3-access', decision('public', false), 's3|b');
    const one = decideVerdict({ ...base, observation: observation(), evidence: [a, b], now: minutes(30) });
    const two = decideVerdict({ ...base, observation: observation(), evidence: [b, a], now: minutes(30) });
    expect(one).toEqual(two);
  });
});

describe('expected sources', () => {
  it('expects flow logs from on-prem only when the path should enter the VPC through an interface endpoint', () => {
    const onprem = probe({ vantage: { id: 'onprem-dc1', kind: 'onprem' }, expectedPath: 'public' });
    expect(expectedSources(onprem, cfg).map((s) => s.source)).toEqual(['s3-access']);
    const viaVpce = probe({
      vantage: { id: 'onprem-dc1', kind: 'onprem' },
      expectedPath: 'interface-endpoint',
    });
    expect(expectedSources(viaVpce, cfg).map((s) => s.source)).toEqual(['flow', 's3-access']);
  });

  it('uses the configured deadlines and CloudTrail only when enabled', () => {
    const c = config({ evidence: { cloudTrail: { enabled: true, deadlineMinutes: 30 } } });
    const s = expectedSources(p, c);
    expect(s.map((x) => [x.source, x.deadline.toISOString()])).toEqual([
      ['flow', minutes(20).toISOString()],
      ['s3-access', minutes(360).toISOString()],
      ['cloudtrail', minutes(30).toISOString()],
    ]);
  });
});
