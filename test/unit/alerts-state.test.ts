import { describe, expect, it } from 'vitest';
import {
  type AlertIntent,
  type AlertState,
  type DriftItem,
  EMPTY_ALERT_STATE,
  planAlerts,
  readAlertState,
  recordSent,
  type VerdictForAlerts,
} from '../../shared/alerts/state.js';
import type { ProbeVerdict, VerdictCode } from '../../shared/verdicts/engine.js';
import { decision, item, minutes, probe } from './loop-fixtures.js';

const CODES: Record<ProbeVerdict['verdict'], VerdictCode> = {
  'left-path': 'LEFT_PATH',
  private: 'PRIVATE',
  blocked: 'BLOCKED',
  pending: 'PENDING_EVIDENCE',
  'no-evidence': 'SOURCE_SILENT',
};

function v(verdict: ProbeVerdict['verdict'], over: Partial<ProbeVerdict> = {}): ProbeVerdict {
  const code = over.code ?? CODES[verdict];
  return {
    probeId: 'x',
    verdict,
    code,
    path: verdict === 'left-path' ? 'nat-gateway' : verdict === 'private' ? 'gateway-endpoint' : null,
    reason: `${code}: test`,
    deciding: null,
    evidence: [item('flow', decision('nat-gateway', false))],
    silentSources: verdict === 'no-evidence' ? ['flow'] : [],
    undecidedSources: [],
    awaiting: [],
    early: null,
    ...over,
  };
}

const global = probe({ style: 'global', urlHost: 'example-data-bucket.s3.amazonaws.com' });
const at = (
  verdict: ProbeVerdict['verdict'],
  over: Partial<ProbeVerdict> = {},
  pr = global,
): VerdictForAlerts => ({
  probe: pr,
  verdict: v(verdict, over),
});
const KEY = 'example-data-bucket|global|vpc-app|left-path';

/** Applies every intent as if the sink accepted it. */
function sendAll(state: AlertState, intents: AlertIntent[], now: Date, runId?: string): AlertState {
  return intents.reduce((s, i) => recordSent(s, i, now, runId), state);
}

describe('alert transitions', () => {
  it('opens a critical alert on a transition to left-path, keyed by bucket, style, vantage and kind', () => {
    const out = planAlerts(EMPTY_ALERT_STATE, [at('left-path')], null, minutes(0), 240);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ dedupKey: KEY, kind: 'left-path', severity: 'critical', reason: 'new' });
  });

  it('opens warnings for no-evidence and for a silent runner, on separate keys', () => {
    const noEv = planAlerts(EMPTY_ALERT_STATE, [at('no-evidence')], null, minutes(0), 240);
    const silent = planAlerts(
      EMPTY_ALERT_STATE,
      [at('no-evidence', { code: 'RUNNER_SILENT' })],
      null,
      minutes(0),
      240,
    );
    expect(noEv.map((i) => [i.dedupKey, i.severity])).toEqual([['*|flow|vpc-app|no-evidence', 'warning']]);
    expect(silent.map((i) => [i.dedupKey, i.severity])).toEqual([['*|*|vpc-app|runner-silent', 'warning']]);
    // A blind spot that is not a silent source stays per target, style and vantage.
    const undecided = planAlerts(
      EMPTY_ALERT_STATE,
      [at('no-evidence', { code: 'UNDECIDED' })],
      null,
      minutes(0),
      240,
    );
    expect(undecided.map((i) => i.dedupKey)).toEqual(['example-data-bucket|global|vpc-app|no-evidence']);
  });

  it('raises one alert per silent runner and per silent sources of a vantage, not one per bucket and style', () => {
    const probes = ['regional', 'global', 'accelerate'].flatMap((style) =>
      ['bucket-a', 'bucket-b'].map((bucket) => probe({ bucket, style: style as 'regional' })),
    );
    const silent = planAlerts(
      EMPTY_ALERT_STATE,
      probes.map((p) => at('no-evidence', { code: 'RUNNER_SILENT', silentSources: [] }, p)),
      null,
      minutes(0),
      240,
    );
    expect(silent.map((i) => [i.dedupKey, i.members])).toEqual([['*|*|vpc-app|runner-silent', 6]]);
    const sources = planAlerts(
      EMPTY_ALERT_STATE,
      probes.map((p) => at('no-evidence', { silentSources: ['s3-access', 'flow'] }, p)),
      null,
      minutes(0),
      240,
    );
    expect(sources.map((i) => i.dedupKey)).toEqual(['*|flow,s3-access|vpc-app|no-evidence']);
    // The runner reports again: the vantage alert closes once, whatever the number of probes.
    const state = sendAll(EMPTY_ALERT_STATE, silent, minutes(0));
    const back = planAlerts(
      state,
      probes.map((p) => at('private', {}, p)),
      null,
      minutes(10),
      240,
    );
    expect(back.map((i) => [i.dedupKey, i.reason])).toEqual([['*|*|vpc-app|runner-silent', 'recovery']]);
    // One probe still silent keeps it open; another vantage's probes say nothing about it.
    const still = planAlerts(
      state,
      [
        at('private', {}, probes[0]),
        at('no-evidence', { code: 'RUNNER_SILENT', silentSources: [] }, probes[1]),
      ],
      null,
      minutes(10),
      240,
    );
    expect(still).toEqual([]);
    const other = probe({ vantage: { id: 'onprem-dc1', kind: 'onprem' } });
    expect(planAlerts(state, [at('private', {}, other)], null, minutes(10), 240)).toEqual([]);
  });

  it('sends nothing for private, blocked or pending verdicts with nothing open', () => {
    expect(planAlerts(EMPTY_ALERT_STATE, [at('private'), at('pending')], null, minutes(0), 240)).toEqual([]);
    expect(planAlerts(EMPTY_ALERT_STATE, [at('blocked')], null, minutes(0), 240)).toEqual([]);
  });

  it('stays quiet while open, then reminds at the configured interval', () => {
    const state = sendAll(
      EMPTY_ALERT_STATE,
      planAlerts(EMPTY_ALERT_STATE, [at('left-path')], null, minutes(0), 240),
      minutes(0),
    );
    expect(planAlerts(state, [at('left-path')], null, minutes(239), 240)).toEqual([]);
    const later = planAlerts(state, [at('left-path')], null, minutes(240), 240);
    expect(later.map((a) => [a.reason, a.severity, a.openedAt, a.sentCount])).toEqual([
      ['reminder', 'critical', minutes(0).toISOString(), 1],
    ]);
    const after = sendAll(state, later, minutes(240));
    expect(after.open[KEY]).toMatchObject({ sentCount: 2, lastSentAt: minutes(240).toISOString() });
  });

  it('resolves with an info message on the same key when the group is private again', () => {
    const state = sendAll(
      EMPTY_ALERT_STATE,
      planAlerts(EMPTY_ALERT_STATE, [at('left-path')], null, minutes(0), 240),
      minutes(0),
    );
    const rec = planAlerts(state, [at('private')], null, minutes(10), 240);
    expect(rec).toHaveLength(1);
    expect(rec[0]).toMatchObject({ dedupKey: KEY, reason: 'recovery', severity: 'info', closes: [KEY] });
    const closed = sendAll(state, rec, minutes(10));
    expect(closed.open).toEqual({});
    expect(planAlerts(closed, [at('private')], null, minutes(20), 240)).toEqual([]);
  });

  it('keeps left-path open on blocked: a refusal shows the control works, not that the path is private (issue 10 §1.4)', () => {
    const state = sendAll(
      EMPTY_ALERT_STATE,
      planAlerts(EMPTY_ALERT_STATE, [at('left-path')], null, minutes(0), 240),
      minutes(0),
    );
    expect(planAlerts(state, [at('blocked')], null, minutes(10), 240)).toEqual([]);
    // Still open: the reminder is due once the left-path shows again.
    const later = planAlerts(state, [at('left-path')], null, minutes(300), 240);
    expect(later.map((i) => [i.dedupKey, i.reason])).toEqual([[KEY, 'reminder']]);
  });

  it('keeps left-path open on a private path from a failed probe (an expired URL proves nothing)', () => {
    const state = sendAll(
      EMPTY_ALERT_STATE,
      planAlerts(EMPTY_ALERT_STATE, [at('left-path')], null, minutes(0), 240),
      minutes(0),
    );
    const failed = at('private', {
      failure: { code: 'URL_EXPIRED', cause: 'URL_EXPIRED: the presigned URL had expired' },
    });
    expect(planAlerts(state, [failed], null, minutes(10), 240)).toEqual([]);
    expect(planAlerts(state, [at('private')], null, minutes(10), 240).map((i) => i.reason)).toEqual([
      'recovery',
    ]);
  });

  it('closes a blind spot silently on blocked (the runner reported and S3 answered)', () => {
    const state = sendAll(
      EMPTY_ALERT_STATE,
      planAlerts(EMPTY_ALERT_STATE, [at('no-evidence')], null, minutes(0), 240),
      minutes(0),
    );
    expect(planAlerts(state, [at('blocked')], null, minutes(10), 240).map((i) => [i.kind, i.reason])).toEqual(
      [['no-evidence', 'close']],
    );
  });

  it('keeps left-path open when evidence goes missing (not knowing is not a recovery)', () => {
    const state = sendAll(
      EMPTY_ALERT_STATE,
      planAlerts(EMPTY_ALERT_STATE, [at('left-path')], null, minutes(0), 240),
      minutes(0),
    );
    const out = planAlerts(state, [at('no-evidence')], null, minutes(10), 240);
    expect(out.map((i) => [i.kind, i.reason])).toEqual([['no-evidence', 'new']]);
  });

  it('closes a no-evidence alert silently when left-path follows (the critical alert says more)', () => {
    const state = sendAll(
      EMPTY_ALERT_STATE,
      planAlerts(EMPTY_ALERT_STATE, [at('no-evidence')], null, minutes(0), 240),
      minutes(0),
    );
    const out = planAlerts(state, [at('left-path')], null, minutes(10), 240);
    expect(out.map((i) => [i.kind, i.reason])).toEqual([
      ['left-path', 'new'],
      ['no-evidence', 'close'],
    ]);
    expect(Object.keys(sendAll(state, out, minutes(10)).open)).toEqual([KEY]);
  });

  it('takes the latest decided probe of a group; a newer pending probe changes nothing', () => {
    const older = probe({ style: 'global', probeId: '01A', createdAt: minutes(0).toISOString() });
    const newer = probe({ style: 'global', probeId: '01B', createdAt: minutes(5).toISOString() });
    const out = planAlerts(
      EMPTY_ALERT_STATE,
      [at('private', {}, newer), at('left-path', {}, older)],
      null,
      minutes(6),
      240,
    );
    expect(out).toEqual([]);
    const pendingNewer = planAlerts(
      EMPTY_ALERT_STATE,
      [at('left-path', {}, older), at('pending', {}, newer)],
      null,
      minutes(6),
      240,
    );
    expect(pendingNewer.map((i) => i.probe?.probeId)).toEqual(['01A']);
  });

  it('never sends a key twice in one run, even when the reminder would be due', () => {
    const intents = planAlerts(EMPTY_ALERT_STATE, [at('left-path')], null, minutes(0), 5, { runId: 'run-1' });
    const state = sendAll(EMPTY_ALERT_STATE, intents, minutes(0), 'run-1');
    expect(state.lastRun).toEqual({ runId: 'run-1', keys: [KEY] });
    expect(planAlerts(state, [at('left-path')], null, minutes(10), 5, { runId: 'run-1' })).toEqual([]);
    expect(planAlerts(state, [at('left-path')], null, minutes(10), 5, { runId: 'run-2' })).toHaveLength(1);
  });

  it('changes nothing until the sink accepted: an unsent alert is planned again next run', () => {
    const first = planAlerts(EMPTY_ALERT_STATE, [at('left-path')], null, minutes(0), 240);
    // the publish failed: the state is not updated
    expect(planAlerts(EMPTY_ALERT_STATE, [at('left-path')], null, minutes(5), 240)).toEqual(first);
  });
});

describe('posture drift alerts', () => {
  const drift: DriftItem = {
    code: 'ENDPOINT_ROUTE_REMOVED',
    severity: 'warning',
    message: 'rtb-0b2b2b2b2b2b2b2b2 no longer routes pl-63a5400a to vpce-0c3c3c3c3c3c3c3c3',
    resource: 'rtb-0b2b2b2b2b2b2b2b2',
  };

  it('opens a warning, reminds, and resolves when the item is gone', () => {
    const open = planAlerts(EMPTY_ALERT_STATE, [], [drift], minutes(0), 60);
    expect(open.map((i) => [i.dedupKey, i.severity, i.reason])).toEqual([
      ['drift|ENDPOINT_ROUTE_REMOVED|rtb-0b2b2b2b2b2b2b2b2', 'warning', 'new'],
    ]);
    const state = sendAll(EMPTY_ALERT_STATE, open, minutes(0));
    expect(planAlerts(state, [], [drift, drift], minutes(30), 60)).toEqual([]);
    expect(planAlerts(state, [], [drift], minutes(60), 60).map((i) => i.reason)).toEqual(['reminder']);
    const gone = planAlerts(state, [], [], minutes(90), 60);
    expect(gone.map((i) => [i.reason, i.severity])).toEqual([['recovery', 'info']]);
    expect(gone[0]?.drift?.message).toMatch(/no longer found: rtb-0b2b2b2b2b2b2b2b2 no longer routes/);
  });

  it('leaves drift alerts alone when drift was not computed this run', () => {
    const state = sendAll(
      EMPTY_ALERT_STATE,
      planAlerts(EMPTY_ALERT_STATE, [], [drift], minutes(0), 60),
      minutes(0),
    );
    expect(planAlerts(state, [], null, minutes(10), 60)).toEqual([]);
  });

  it('keeps a critical drift item critical', () => {
    const out = planAlerts(EMPTY_ALERT_STATE, [], [{ ...drift, severity: 'critical' }], minutes(0), 60);
    expect(out[0]?.severity).toBe('critical');
  });
});

describe('stored state', () => {
  it('reads its own documents back and starts empty on anything else', () => {
    const state = sendAll(
      EMPTY_ALERT_STATE,
      planAlerts(EMPTY_ALERT_STATE, [at('left-path')], null, minutes(0), 240),
      minutes(0),
      'r',
    );
    expect(readAlertState(JSON.parse(JSON.stringify(state)))).toEqual(state);
    expect(readAlertState(null)).toEqual(EMPTY_ALERT_STATE);
    expect(readAlertState({ schemaVersion: 2, open: {} })).toEqual(EMPTY_ALERT_STATE);
    expect(readAlertState('garbage')).toEqual(EMPTY_ALERT_STATE);
  });
});
