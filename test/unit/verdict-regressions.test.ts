// Issue 10: verdicts that must not say `private` (or close an alert) against the evidence.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runAnalysis } from '../../functions/lib/analyze-run.js';
import { parseAccessLogString } from '../../shared/access-logs/parser.js';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import { EMPTY_ALERT_STATE, planAlerts, recordSent } from '../../shared/alerts/state.js';
import { analyze } from '../../shared/analyzer/analyze.js';
import { bindEnvironment } from '../../shared/analyzer/environment-ports.js';
import { MemoryObjectStore, RecordingAlertSink } from '../../shared/analyzer/memory.js';
import type { Environment } from '../../shared/env/types.js';
import { type EvidenceBundle, environmentDigest } from '../../shared/evidence/bundle.js';
import { parseFlowLogText } from '../../shared/flow-logs/parser.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { probeRecordKey } from '../../shared/probes/results-keys.js';
import type { Observation } from '../../shared/probes/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';
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

// --- §1.3: the route table at request time decides a past request --------------------------------

const RUNNER_SUBNET = 'subnet-0a1a1a1a1a1a1a1a1';
const NAT_TABLE = 'rtb-0c0c0c0c0c0c0c0c0';
/** The runner subnet on a table with only a NAT route (the endpoint route is on rtb-0b2b…). */
const natOnly: Environment = {
  ...env,
  subnets: env.subnets.map((s) => (s.subnetId === RUNNER_SUBNET ? { ...s, routeTableId: NAT_TABLE } : s)),
  routeTables: [
    ...env.routeTables,
    {
      routeTableId: NAT_TABLE,
      vpcId: 'vpc-0abcdef0123456789',
      routes: [
        { destination: '10.0.0.0/16', target: 'local' },
        { destination: '0.0.0.0/0', target: 'nat-0d4d4d4d4d4d4d4d4' },
      ],
    },
  ],
};
/** The same VPC after the subnet moved to the table with the gateway endpoint's route. */
const withEndpoint: Environment = { ...natOnly, subnets: env.subnets };

const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const T0s = Math.floor(minutes(0).getTime() / 1000);
const HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
/** The runner's egress as a default-format (v2) flow record: no traffic-path, no subnet-id. */
const v2Flow = parseFlowLogText(
  `${HEADER}\n2 111122223333 eni-0lambda000000000a 10.0.1.77 52.216.8.100 40123 443 6 9 1317 ${T0s} ${T0s + 58} ACCEPT OK\n`,
  { rejects: new RejectCounter() },
);
/** The same flow with the v5 traffic-path field: 7 is the gateway endpoint itself (aws-facts §1.4). */
const tp7Flow = parseFlowLogText(
  `${HEADER} traffic-path\n5 111122223333 eni-0lambda000000000a 10.0.1.77 52.216.8.100 40123 443 6 9 1317 ${T0s} ${T0s + 58} ACCEPT OK 7\n`,
  { rejects: new RejectCounter() },
);

const flowOnly = config({ evidence: { accessLogs: { enabled: false } } });
const RUN = 'run-20261125T1000';

/** The analyze function's run (functions/lib/analyze-run.ts): snapshot written, probes loaded from the store. */
async function analyzeAt(
  store: MemoryObjectStore,
  environment: Environment,
  at: Date,
  flows: readonly FlowRecord[] = [],
  cfg2 = flowOnly,
) {
  return runAnalysis({
    cfg: cfg2,
    store,
    sink: new RecordingAlertSink(),
    discover: async () => ({ environment }),
    flows: {
      name: 'memory-flow',
      async *findFlows() {
        yield [...flows];
      },
    },
    now: at,
  });
}

/** A store holding one probe planned at T0 (as the probe function stores it) and its observation. */
async function storeWithProbe(store: MemoryObjectStore, plannedWith: Environment | null) {
  const p = probe({
    ...(plannedWith ? { environmentDigest: environmentDigest(plannedWith, sha) } : {}),
  });
  await store.putJson(probeRecordKey(p), p);
  await store.putJson(`observations/${RUN}/${p.probeId}.json`, observation({ localAddress: '169.254.76.1' }));
  return p;
}

describe('issue 10 §1.3: the route tables in force at request time decide, not those at analysis', () => {
  it('the example: a v2 record of a probe made under a NAT-only table, analysed after the subnet moved to the endpoint table, is not private', async () => {
    const store = new MemoryObjectStore();
    await analyzeAt(store, natOnly, minutes(-10)); // an earlier run stored the NAT-only snapshot
    await storeWithProbe(store, natOnly);
    const r = await analyzeAt(store, withEndpoint, minutes(30), v2Flow);
    const v = r.results[0]!.verdict;
    expect(v.verdict).not.toBe('private');
    expect(v).toMatchObject({ verdict: 'no-evidence', code: 'ROUTE_CHANGED' });
    expect(v.reason).toContain(
      `subnet ${RUNNER_SUBNET} moved from route table ${NAT_TABLE} to rtb-0b2b2b2b2b2b2b2b2`,
    );
    // The record was judged against the NAT-only table of the request, and set aside.
    expect(v.evidence[0]?.decision).toMatchObject({ path: 'nat-gateway', rule: 'FLOW_ROUTE_TABLE' });
    expect(r.results[0]!.routes.observedAt).toBe(minutes(-10).toISOString());
    const bundle = (await store.getJson<EvidenceBundle>(r.bundlesWritten[0]!))!.value;
    expect(bundle.environment.atRequest?.change).toContain('moved from route table');
  });

  it('stays pending while another source is due, naming the change, then no-evidence', async () => {
    const store = new MemoryObjectStore();
    const both = config(); // flow logs 20 min, access logs 6 h
    await analyzeAt(store, natOnly, minutes(-10), [], both);
    await storeWithProbe(store, natOnly);
    const r = await analyzeAt(store, withEndpoint, minutes(30), v2Flow, both);
    expect(r.results[0]!.verdict).toMatchObject({ verdict: 'pending', code: 'PENDING_EVIDENCE' });
    expect(r.results[0]!.verdict.reason).toContain('moved from route table');
    const later = await analyzeAt(store, withEndpoint, minutes(362), v2Flow, both); // access logs due at 6 h
    expect(later.results[0]!.verdict).toMatchObject({ verdict: 'no-evidence' });
    expect(later.results[0]!.verdict.reason).toContain('moved from route table');
  });

  it('the other way: a probe made under the endpoint table, analysed after the move to NAT-only, is neither private nor left-path', async () => {
    const store = new MemoryObjectStore();
    await analyzeAt(store, withEndpoint, minutes(-10));
    await storeWithProbe(store, withEndpoint);
    const r = await analyzeAt(store, natOnly, minutes(30), v2Flow);
    expect(r.results[0]!.verdict).toMatchObject({ verdict: 'no-evidence', code: 'ROUTE_CHANGED' });
    expect(r.results[0]!.verdict.evidence[0]?.decision.path).toBe('gateway-endpoint');
    // The probe's blind spot, beside the posture-drift alert the move itself raises.
    expect(r.alerts.sent.map((s) => s.alert.dedupKey).filter((k) => !k.startsWith('drift|'))).toEqual([
      'example-data-bucket|regional|vpc-app|no-evidence',
    ]);
  });

  it('a change seen only after an analysis that already saw the request changes nothing', async () => {
    const store = new MemoryObjectStore();
    await analyzeAt(store, natOnly, minutes(-10));
    await storeWithProbe(store, natOnly);
    const first = await analyzeAt(store, natOnly, minutes(5), v2Flow);
    expect(first.results[0]!.verdict).toMatchObject({ verdict: 'left-path', path: 'nat-gateway' });
    const r = await analyzeAt(store, withEndpoint, minutes(30), v2Flow);
    expect(r.results[0]!.verdict).toMatchObject({ verdict: 'left-path', path: 'nat-gateway' });
    expect(r.results[0]!.routes.change).toBeNull();
  });

  it('an unchanged environment lets the route decide (the snapshot of the request is the current one)', async () => {
    const store = new MemoryObjectStore();
    await analyzeAt(store, withEndpoint, minutes(-10));
    await storeWithProbe(store, withEndpoint);
    const r = await analyzeAt(store, withEndpoint, minutes(30), v2Flow);
    expect(r.results[0]!.verdict).toMatchObject({ verdict: 'private', path: 'gateway-endpoint' });
  });

  it('traffic-path 7 corroborates private across a change', async () => {
    const store = new MemoryObjectStore();
    await analyzeAt(store, natOnly, minutes(-10));
    await storeWithProbe(store, natOnly);
    const r = await analyzeAt(store, withEndpoint, minutes(30), tp7Flow);
    expect(r.results[0]!.verdict).toMatchObject({ verdict: 'private', path: 'gateway-endpoint' });
    expect(r.results[0]!.verdict.deciding?.decision.rule).toBe('FLOW_TRAFFIC_PATH_7');
  });

  it('a NAT route both before and after an unrelated route change still shows NAT', async () => {
    const store = new MemoryObjectStore();
    await analyzeAt(store, natOnly, minutes(-10));
    await storeWithProbe(store, natOnly);
    const extraRoute: Environment = {
      ...natOnly,
      routeTables: natOnly.routeTables.map((t) =>
        t.routeTableId === NAT_TABLE
          ? {
              ...t,
              routes: [...t.routes, { destination: '192.168.0.0/16', target: 'vgw-0a0a0a0a0a0a0a0a0' }],
            }
          : t,
      ),
    };
    const r = await analyzeAt(store, extraRoute, minutes(30), v2Flow);
    expect(r.results[0]!.verdict).toMatchObject({ verdict: 'left-path', path: 'nat-gateway' });
    expect(r.results[0]!.routes.change).toContain('added 192.168.0.0/16 → vgw-0a0a0a0a0a0a0a0a0');
  });

  describe('no snapshot from before the request', () => {
    it('a route-derived private is not enough', async () => {
      const store = new MemoryObjectStore();
      await storeWithProbe(store, null);
      const r = await analyzeAt(store, withEndpoint, minutes(30), v2Flow);
      expect(r.results[0]!.verdict).toMatchObject({ verdict: 'no-evidence', code: 'ROUTE_CHANGED' });
      expect(r.results[0]!.verdict.reason).toContain(
        'no environment snapshot from before the probe was planned',
      );
    });

    it('nor a route-derived left-path', async () => {
      const store = new MemoryObjectStore();
      await storeWithProbe(store, null);
      const r = await analyzeAt(store, natOnly, minutes(30), v2Flow);
      expect(r.results[0]!.verdict).toMatchObject({ verdict: 'no-evidence', code: 'ROUTE_CHANGED' });
    });

    it('unless the probe was planned with this very environment (its plan-time reading)', async () => {
      const store = new MemoryObjectStore();
      await storeWithProbe(store, withEndpoint);
      const r = await analyzeAt(store, withEndpoint, minutes(30), v2Flow);
      expect(r.results[0]!.verdict).toMatchObject({ verdict: 'private', path: 'gateway-endpoint' });
    });

    it('a plan-time environment that is not stored and differs from this run proves a change', async () => {
      const store = new MemoryObjectStore();
      await storeWithProbe(store, natOnly);
      const r = await analyzeAt(store, withEndpoint, minutes(30), v2Flow);
      expect(r.results[0]!.verdict).toMatchObject({ verdict: 'no-evidence', code: 'ROUTE_CHANGED' });
      expect(r.results[0]!.verdict.reason).toContain('is neither stored nor this run');
    });

    it('an access-log Remote IP from the VPC corroborates', async () => {
      const store = new MemoryObjectStore();
      await storeWithProbe(store, null);
      const r = await runAnalysis({
        cfg: config(),
        store,
        sink: new RecordingAlertSink(),
        discover: async () => ({ environment: withEndpoint }),
        flows: {
          name: 'memory-flow',
          async *findFlows() {
            yield [...v2Flow];
          },
        },
        access: {
          name: 'memory-access',
          async *readSince() {
            yield { records: [accessLine('10.0.1.77', '200', '-')], checkpoint: 'k', origin: 'k' };
          },
        },
        now: minutes(30),
      });
      expect(r.results[0]!.verdict).toMatchObject({ verdict: 'private', path: 'vpc-endpoint' });
      expect(r.results[0]!.verdict.deciding?.source).toBe('s3-access');
    });
  });

  it('the early verdict of a VPC runner does not read a route table that changed', () => {
    const timeline = {
      snapshots: [{ capturedAt: minutes(-10).toISOString(), environment: withEndpoint }],
      current: natOnly,
    };
    const r = analyze({
      cfg: flowOnly,
      env: natOnly,
      ...bindEnvironment(natOnly),
      probes: [probe()],
      observations: new Map([[probe().probeId, observation()]]),
      logs: { flows: [], access: [], cloudtrail: [] },
      now: minutes(3),
      alertState: EMPTY_ALERT_STATE,
      timeline,
    });
    // Judged by today's NAT-only table this would be LEFT_PATH_OBSERVED (nat-gateway).
    expect(r.results[0]!.verdict.early).toMatchObject({ verdict: null });
    expect(r.results[0]!.verdict.early?.reason).toContain('moved from route table rtb-0b2b2b2b2b2b2b2b2');
    expect(r.results[0]!.verdict.verdict).toBe('pending');
  });
});

// --- §2: runner clock skew ------------------------------------------------------------------------

describe('issue 10 §2: a runner clock off by more than 60 s', () => {
  const p = probe();
  const at = (over: Partial<Observation>) => observation({ ...over });
  const run = (
    o: Observation,
    now: Date,
    flows: readonly FlowRecord[] = [],
    access: AccessLogRecord[] = [],
  ) =>
    analyze({
      cfg: config(),
      env: withEndpoint,
      ...bindEnvironment(withEndpoint),
      probes: [p],
      observations: new Map([[p.probeId, o]]),
      logs: { flows, access, cloudtrail: [] },
      now,
      alertState: EMPTY_ALERT_STATE,
      timeline: { snapshots: [{ capturedAt: minutes(-10).toISOString(), environment: withEndpoint }] },
    }).results[0]!;

  it('an hour behind: deadlines count from the planning, not from the runner clock, and the skew is a finding', () => {
    const behind = at({ startedAt: minutes(-60).toISOString() });
    // 5.5 h after planning: the access-log deadline (6 h) has not passed on the analyzer's time.
    const r = run(behind, minutes(330), tp7Flow);
    expect(r.verdict.verdict).toBe('private');
    const late = run(behind, minutes(330));
    expect(late.verdict).toMatchObject({ verdict: 'pending', code: 'PENDING_EVIDENCE' });
    expect(late.expected.find((x) => x.source === 's3-access')?.deadline.toISOString()).toBe(
      new Date(minutes(360).getTime()).toISOString(),
    );
    expect(late.verdict.findings).toEqual([
      expect.objectContaining({ code: 'RUNNER_CLOCK_SKEW', severity: 'warning' }),
    ]);
    expect(late.verdict.findings?.[0]?.message).toMatch(/clock is at least 3600 s behind/);
  });

  it('an hour behind: the flow record of the real fetch time is still found', () => {
    const r = run(at({ startedAt: minutes(-60).toISOString() }), minutes(30), tp7Flow);
    expect(r.verdict).toMatchObject({ verdict: 'private', path: 'gateway-endpoint' });
    expect(r.verdict.deciding?.source).toBe('flow');
  });

  it('ten minutes ahead, measured exactly against S3\u2019s own record of the request', () => {
    const ahead = at({ startedAt: minutes(10).toISOString() });
    const r = run(ahead, minutes(30), [], [accessLine('10.0.1.77', '200', '-')]);
    expect(r.verdict.findings?.[0]?.message).toMatch(/clock is 598 s ahead/);
    expect(r.verdict.findings?.[0]?.message).toContain('S3 logged the request at 2026-11-25T10:00:02.000Z');
  });

  it('a report stamped after the analysis is ahead', () => {
    const r = run(at({ startedAt: minutes(90).toISOString() }), minutes(30));
    expect(r.verdict.findings?.[0]?.message).toMatch(/clock is at least 3600 s ahead/);
    // Deadlines count from the later (runner's) time: nothing is declared silent early.
    expect(r.verdict.verdict).toBe('pending');
  });

  it('no finding within 60 s', () => {
    expect(
      run(at({ startedAt: new Date(minutes(0).getTime() - 50_000).toISOString() }), minutes(30), tp7Flow)
        .verdict.findings,
    ).toEqual([]);
  });
});
