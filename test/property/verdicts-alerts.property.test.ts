// The verdict engine and the alert state machine together, over random histories: no `private`
// without positive endpoint evidence, and no alert closed by anything but a private verdict of a
// probe that read its object (issue 10 §1.4).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AlertState, EMPTY_ALERT_STATE, planAlerts, recordSent } from '../../shared/alerts/state.js';
import { isPrivatePath, PATH_KINDS, type PathKind } from '../../shared/classify/index.js';
import type { EvidenceItem } from '../../shared/evidence/types.js';
import type { Observation } from '../../shared/probes/types.js';
import {
  decideVerdict,
  type EarlyVerdict,
  expectedSources,
  isRouteDerived,
  type ProbeVerdict,
  type RouteWindow,
  runnerDeadline,
} from '../../shared/verdicts/engine.js';
import { config, minutes, observation, probe } from '../unit/loop-fixtures.js';

const cfg = config({ evidence: { cloudTrail: { enabled: true } } });
const RULES = [
  'FLOW_ROUTE_TABLE',
  'FLOW_TRAFFIC_PATH_7',
  'FLOW_TRAFFIC_PATH_8',
  'FLOW_INTERFACE_ENDPOINT_IP',
  'ACCESS_PRIVATE_ADDRESS',
  'ACCESS_NAT_GATEWAY_IP',
  'CLOUDTRAIL_GATEWAY_ENDPOINT',
  'CLOUDTRAIL_PUBLIC_ADDRESS',
];
const MESSAGES = [
  null,
  'Access Denied',
  'Request has expired',
  'User: x is not authorized to perform: s3:GetObject with an explicit deny in a resource-based policy',
  'User: x is not authorized to perform: s3:GetObject with an explicit deny in a VPC endpoint policy',
  'User: x is not authorized to perform: s3:GetObject because no identity-based policy allows the s3:GetObject action',
];

const item: fc.Arbitrary<EvidenceItem> = fc
  .record({
    source: fc.constantFrom('flow', 's3-access', 'cloudtrail'),
    path: fc.constantFrom(...(PATH_KINDS as readonly PathKind[])),
    rule: fc.constantFrom(...RULES),
    key: fc.integer({ min: 0, max: 5 }),
    vpceDenied: fc.boolean(),
  })
  .map(({ source, path, rule, key, vpceDenied }) => ({
    source,
    matchedBy: source === 'flow' ? 'flow-window' : 'request-id',
    dedupKey: `${source}|${key}`,
    decision: { path, private: isPrivatePath(path), rule, reason: `${rule}: ${path}` },
    record: (source === 'cloudtrail' && vpceDenied ? { errorCode: 'VpceAccessDenied' } : {}) as never,
  }));

const obs: fc.Arbitrary<Observation | null> = fc.oneof(
  fc.constant(null),
  fc.constant(observation()),
  fc.constantFrom(...MESSAGES).map((m) =>
    observation({
      httpStatus: 403,
      s3ErrorCode: 'AccessDenied',
      s3ErrorMessage: m,
      bodyMatches: null,
      error: { code: 'HTTP_ERROR', message: 'HTTP 403 AccessDenied' },
    }),
  ),
  fc.constant(
    observation({
      remoteAddress: null,
      httpStatus: null,
      error: { code: 'DNS_FAILURE', message: 'ENOTFOUND' },
    }),
  ),
  fc.constant(
    observation({ httpStatus: 200, bodyMatches: false, error: { code: 'SHA_MISMATCH', message: 'x' } }),
  ),
);

const early: fc.Arbitrary<EarlyVerdict | null> = fc.option(
  fc.record({
    verdict: fc.constantFrom(null, 'private', 'left-path', 'blocked'),
    path: fc.constantFrom(null, 'gateway-endpoint', 'nat-gateway', 'public', 'interface-endpoint'),
    reason: fc.constant('early'),
  }) as fc.Arbitrary<EarlyVerdict>,
);

const step = fc.record({
  style: fc.constantFrom('regional', 'global'),
  observation: obs,
  evidence: fc.array(item, { maxLength: 5 }),
  early,
  routeChange: fc.option(fc.constant('route table rtb-1 changed'), { nil: null }),
  stableKeys: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }),
  age: fc.integer({ min: 0, max: 400 }),
});

const ENDPOINT_PATHS = new Set<PathKind>(['gateway-endpoint', 'interface-endpoint', 'vpc-endpoint']);

/** The private verdict's positive evidence: a log record that shows an endpoint and counts. */
function assertPositiveEvidence(v: ProbeVerdict, window: RouteWindow): void {
  expect(v.deciding).not.toBeNull();
  const d = v.deciding!;
  expect(d.decision.private).toBe(true);
  expect(ENDPOINT_PATHS.has(d.decision.path)).toBe(true);
  expect(v.evidence).toContain(d);
  if (window.change !== null) expect(isRouteDerived(d)).toBe(false);
}

describe('verdict engine + alert state machine', () => {
  it('never private without positive endpoint evidence; only a private verdict of a successful probe closes a left-path alert', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), (steps) => {
        let state: AlertState = EMPTY_ALERT_STATE;
        steps.forEach((s, i) => {
          const p = probe({
            probeId: `01JDQ7ZT00000000000000${String(i).padStart(4, '0')}`,
            createdAt: minutes(i * 5).toISOString(),
            expiresAt: minutes(i * 5 + 15).toISOString(),
            style: s.style,
          });
          const o = s.observation && { ...s.observation, probeId: p.probeId };
          const window: RouteWindow = {
            change: s.routeChange,
            stable: new Set(s.stableKeys.map((k) => `flow|${k}`)),
          };
          const now = minutes(i * 5 + s.age);
          const v = decideVerdict({
            probe: p,
            observation: o,
            evidence: s.evidence,
            expected: expectedSources(p, cfg, o, s.early),
            runnerDeadline: runnerDeadline(p, cfg),
            now,
            early: s.early,
            routeWindow: window,
          });
          if (v.verdict === 'private') assertPositiveEvidence(v, window);
          if (v.verdict === 'blocked') expect(v.failure ?? null).toBeNull();

          const intents = planAlerts(state, [{ probe: p, verdict: v }], null, now, 240);
          for (const x of intents) {
            if (x.reason === 'recovery') {
              expect(v.verdict).toBe('private');
              expect(v.failure ?? null).toBeNull();
            }
          }
          const next = intents.reduce((st, x) => recordSent(st, x, now), state);
          for (const [key, open] of Object.entries(state.open)) {
            if (open.kind !== 'left-path' || next.open[key]) continue;
            // A left-path alert closed: only by a private verdict of a probe that read its object.
            expect(v.verdict).toBe('private');
            expect(v.failure ?? null).toBeNull();
            expect(intents.find((x) => x.dedupKey === key)?.reason).toBe('recovery');
          }
          state = next;
        });
      }),
      { numRuns: 500 },
    );
  });
});
