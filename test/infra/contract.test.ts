// Code and stack agree: each handler runs with the environment the synthesized template gives it
// (AWS behind aws-sdk-client-mock), and what it emits and reads is checked against what the
// template's alarms, dashboard, metric filters and IAM policies expect, for every example config.
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evidenceLocations } from '../../functions/lib/evidence-locations.js';
import { validateConfig } from '../../shared/config/index.js';
import { fakeS3 } from '../unit/fake-s3.js';
import { type EmittedMetric, invoke } from './handler-invoke.js';
import { functionsOf, list, resolver, type Statement, statementsOf, synthConfig } from './template-model.js';

const CONFIGS = [
  'pathguard.config.example.json',
  'examples/onprem-only.config.json',
  'examples/cloudtrail.config.json',
  'examples/existing-logs.config.json',
];

const s3 = fakeS3();
const ec2 = mockClient(EC2Client);
const cwl = mockClient(CloudWatchLogsClient);
const sns = mockClient(SNSClient);
const groupsRead: string[] = [];
beforeAll(() => {
  // An account where discovery finds nothing: the analyzer falls back to the locations it is told.
  ec2.onAnyCommand().resolves({});
  cwl.on(FilterLogEventsCommand).callsFake((input: { logGroupName?: string }) => {
    groupsRead.push(input.logGroupName ?? '');
    return { events: [] };
  });
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
});
afterAll(() => {
  s3.mock.restore();
  ec2.restore();
  cwl.restore();
  sns.restore();
});

const scheduled = () => ({
  source: 'aws.events',
  'detail-type': 'Scheduled Event',
  id: 'contract-1',
  time: new Date().toISOString(),
});

/** VPC fetches answered without a network: the probe object, from a public S3 address. */
const fetchMock = () => ({
  fetchProbe: async (_url: string, o: { probeId: string; runnerId: string }) => ({
    probeId: o.probeId,
    runnerId: o.runnerId,
    vantageKind: 'vpc',
    startedAt: new Date().toISOString(),
    finishedAt: new Date().toISOString(),
    httpStatus: 200,
    remoteAddress: '52.216.8.100',
    localAddress: '10.0.1.25',
    bodyMatches: true,
  }),
});

/** An analysis that decided a probe of every kind, for the metrics of decided verdicts. */
const decidedAnalysis = () => ({
  findProbe: async () => null,
  runAnalysis: async () => {
    const probe = {
      probeId: '01KBK0000000000000000000AA',
      createdAt: new Date(Date.now() - 600_000).toISOString(),
    };
    return {
      runId: 'analyze-contract',
      results: ['private', 'left-path', 'blocked', 'no-evidence', 'pending'].map((verdict) => ({
        probe,
        verdict: { verdict },
        changed: true,
      })),
      alerts: { sent: [], failed: [] },
      errors: [],
      records: { flow: 0, access: 0, cloudtrail: 0, matched: 0 },
    };
  },
});

/** Metrics a template depends on: alarms, dashboard widgets, metric filters (not AWS/ namespaces). */
function metricsUsed(resources: ReturnType<typeof synthConfig>['resources']) {
  const resolve = resolver(resources);
  const used: {
    where: string;
    namespace: string;
    name: string;
    dimensions: Record<string, string | null>;
  }[] = [];
  for (const [id, r] of Object.entries(resources)) {
    const p = (r.Properties ?? {}) as Record<string, unknown>;
    if (r.Type === 'AWS::CloudWatch::Alarm' && typeof p.MetricName === 'string') {
      used.push({
        where: `alarm ${id}`,
        namespace: p.Namespace as string,
        name: p.MetricName,
        dimensions: Object.fromEntries(
          list(resolve(p.Dimensions) as { Name: string; Value: string }[]).map((d) => [d.Name, d.Value]),
        ),
      });
    }
    if (r.Type === 'AWS::Logs::MetricFilter') {
      for (const t of list(p.MetricTransformations as Record<string, unknown>[]))
        used.push({
          where: `metric filter ${id}`,
          namespace: t.MetricNamespace as string,
          name: t.MetricName as string,
          dimensions: Object.fromEntries(Object.keys((t.Dimensions as object) ?? {}).map((k) => [k, null])),
        });
    }
    if (r.Type === 'AWS::CloudWatch::Dashboard') {
      const body = JSON.parse(String(resolve(p.DashboardBody))) as {
        widgets: { properties: { title?: string; metrics?: unknown[][] } }[];
      };
      for (const w of body.widgets) {
        for (const m of w.properties.metrics ?? []) {
          const where = `dashboard widget '${w.properties.title}'`;
          const expr = (m.find((x) => x && typeof x === 'object') as { expression?: string } | undefined)
            ?.expression;
          const search = expr ? /SEARCH\('\{([^}]*)\} MetricName="([^"]+)"/.exec(expr) : null;
          if (search) {
            const [ns, ...keys] = search[1]!.split(',');
            used.push({
              where,
              namespace: ns!,
              name: search[2]!,
              dimensions: Object.fromEntries(keys.map((k) => [k, null])),
            });
          } else if (typeof m[0] === 'string' && !String(m[0]).startsWith('AWS/')) {
            const dims: Record<string, string> = {};
            for (let i = 2; i + 1 < m.length && typeof m[i] === 'string'; i += 2)
              dims[m[i] as string] = m[i + 1] as string;
            used.push({ where, namespace: m[0] as string, name: m[1] as string, dimensions: dims });
          }
        }
      }
    }
  }
  return used.filter((u) => !u.namespace.startsWith('AWS/'));
}

/** `arn:aws:s3:::bucket/prefix*` → [bucket, prefix]. */
function s3Grants(statements: Statement[], action: string): [string, string][] {
  return statements
    .filter((s) => s.Effect === 'Allow' && list(s.Action).includes(action))
    .flatMap((s) => list(s.Resource))
    .map((r) => /^arn:aws:s3:::([^/]+)\/(.*)\*$/.exec(r))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1]!, m[2]!]);
}

function listGrants(statements: Statement[]): [string, string][] {
  return statements
    .filter((s) => s.Effect === 'Allow' && list(s.Action).includes('s3:ListBucket'))
    .flatMap((s) =>
      list(s.Resource).flatMap((r) =>
        list(s.Condition?.StringLike?.['s3:prefix']).map((p): [string, string] => [
          r.replace('arn:aws:s3:::', ''),
          p.replace(/\*$/, ''),
        ]),
      ),
    );
}

describe.each(CONFIGS)('%s', (file) => {
  const { cfg, resources } = synthConfig(file);
  const fns = functionsOf(resources);
  const emitted: EmittedMetric[] = [];
  const reads: { op: string; bucket: string; path: string }[] = [];
  const results: Record<string, unknown> = {};
  const analyze = fns.find((f) => f.kind === 'analyze')!;

  beforeAll(async () => {
    s3.buckets.clear();
    groupsRead.length = 0;
    for (const f of fns.filter((x) => x.kind !== 'analyze')) {
      const r = await invoke(f.kind, f.env, scheduled(), { '../../functions/runner/fetch.js': fetchMock });
      if (r.error) throw r.error;
      results[f.id] = r.result;
      emitted.push(...r.metrics);
    }
    s3.resetCalls();
    const real = await invoke('analyze', analyze.env, { action: 'analyze' });
    if (real.error) throw real.error;
    results.analyze = real.result;
    emitted.push(...real.metrics);
    reads.push(
      ...s3.calls
        .filter((c) => c.op !== 'PutObject')
        .map((c) => ({ op: c.op, bucket: c.bucket, path: c.key ?? c.prefix ?? '' })),
    );
    const decided = await invoke(
      'analyze',
      analyze.env,
      { action: 'analyze' },
      {
        '../../functions/lib/analyze-run.js': decidedAnalysis,
      },
    );
    if (decided.error) throw decided.error;
    emitted.push(...decided.metrics);
  }, 120_000);

  it('runs a probe function per VPC vantage, an orders function when there are on-prem vantages, and the analyzer', () => {
    const c = cfg.monitoring;
    expect(fns.filter((f) => f.kind === 'probe').map((f) => f.env.PATHGUARD_VANTAGE)).toEqual(
      c.vpcVantages.map((v) => v.id),
    );
    expect(fns.some((f) => f.kind === 'orders')).toBe(c.onPremVantages.length > 0);
    // Every on-prem runner has its order, written by the orders function.
    for (const id of c.onPremVantages) expect(s3.keys(c.resultsBucket)).toContain(`orders/${id}/latest.json`);
  });

  it('emits every metric and dimension set that an alarm, a dashboard widget or a metric filter uses', () => {
    const used = metricsUsed(resources);
    expect(used.length).toBeGreaterThan(0);
    const missing = used.filter(
      (u) =>
        !emitted.some(
          (e) =>
            e.namespace === u.namespace &&
            e.name === u.name &&
            Object.keys(e.dimensions).sort().join() === Object.keys(u.dimensions).sort().join() &&
            Object.entries(u.dimensions).every(([k, v]) => v === null || e.dimensions[k] === v),
        ),
    );
    expect(
      missing.map((m) => `${m.where}: ${m.namespace}/${m.name} ${JSON.stringify(m.dimensions)}`),
    ).toEqual([]);
  });

  it('grants the analyze function every evidence location it reads, and nothing more', () => {
    const statements = statementsOf(resources, analyze.roleId);
    const results = cfg.monitoring.resultsBucket;
    const parsed = validateConfig(JSON.parse(cfg.configJson));
    if (!parsed.ok) throw parsed.error;
    const told = evidenceLocations(parsed.value, analyze.env);
    const expected: [string, string][] = [
      ...(told.accessLogs ? [[told.accessLogs.bucket, told.accessLogs.prefix] as [string, string]] : []),
      ...(told.cloudTrail
        ? [[told.cloudTrail.bucket, `${told.cloudTrail.prefix}AWSLogs/`] as [string, string]]
        : []),
    ];
    // Evidence grants (other than the results bucket) are exactly the locations the function is told.
    const granted = s3Grants(statements, 's3:GetObject').filter(([b]) => b !== results);
    expect(granted.sort()).toEqual(expected.sort());
    const groups = statements
      .filter((s) => list(s.Action).includes('logs:FilterLogEvents'))
      .flatMap((s) => list(s.Resource))
      .map((r) => /:log-group:([^:]+)/.exec(r)?.[1]);
    expect(groups).toEqual(told.flowLogGroup ? [told.flowLogGroup] : []);
    // And every read the run made is covered: GetObject by an object grant, ListObjectsV2 by a
    // ListBucket grant on that prefix, FilterLogEvents by the log-group grant.
    const gets = s3Grants(statements, 's3:GetObject');
    const lists = listGrants(statements);
    const uncovered = reads.filter(
      (r) => !(r.op === 'GetObject' ? gets : lists).some(([b, p]) => b === r.bucket && r.path.startsWith(p)),
    );
    expect(uncovered).toEqual([]);
    expect(reads.some((r) => r.bucket === results)).toBe(true);
    for (const g of groupsRead) expect(groups).toContain(g);
  });

  it('lets only the orders function write under orders/', () => {
    const writers = fns.filter((f) =>
      statementsOf(resources, f.roleId).some(
        (s) =>
          list(s.Action).includes('s3:PutObject') &&
          list(s.Resource).some((r) => r.startsWith(`arn:aws:s3:::${cfg.monitoring.resultsBucket}/orders/`)),
      ),
    );
    expect(writers.map((f) => f.kind)).toEqual(cfg.monitoring.onPremVantages.length > 0 ? ['orders'] : []);
  });

  it('finishes the analysis with every enabled source located', () => {
    const r = results.analyze as { errors: unknown[] };
    expect(r.errors).toEqual([]);
  });
});

describe('failures reach the logs and the caller', () => {
  const { resources } = synthConfig('pathguard.config.example.json');
  const fns = functionsOf(resources);
  const probe = fns.find((f) => f.kind === 'probe')!;
  const analyze = fns.find((f) => f.kind === 'analyze')!;

  it("logs each failed step's reason under 'reason' (Powertools drops an extra key named 'message')", async () => {
    s3.buckets.clear();
    // Every probe object write fails: each probe fails to mint.
    s3.faults.push((op, bucket) =>
      op === 'PutObject' && bucket === 'example-data-bucket'
        ? Object.assign(new Error('Access Denied by the probe bucket policy'), { name: 'AccessDenied' })
        : undefined,
    );
    const failing = await invoke('probe', probe.env, { action: 'probe-now' });
    s3.faults.length = 0;
    expect(failing.error).toBeUndefined();
    const warned = failing.logs.filter((l) => l.message === 'probe step failed');
    expect(warned.length).toBeGreaterThan(0);
    for (const w of warned) {
      expect(w).toMatchObject({ stage: 'mint', code: 'AWS_CALL_FAILED' });
      expect(String(w.reason)).toMatch(/Access Denied by the probe bucket policy/);
    }
    expect(failing.metrics.find((m) => m.name === 'MintFailures')).toBeDefined();
  });

  it('answers a bad PATHGUARD_CONFIG with the coded handler error, never an unhandled rejection at init', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      for (const [value, code] of [
        ['{"region": ', 'CONFIG_NOT_JSON'],
        ['{"region": "us-east-1"}', 'VALIDATION_FAILED'],
      ] as const) {
        for (const f of [probe, analyze]) {
          const r = await invoke(f.kind, { ...f.env, PATHGUARD_CONFIG: value }, { action: 'probe-now' });
          expect(r.error).toMatchObject({ code });
        }
      }
      await new Promise((res) => setTimeout(res, 20));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });
});
