import { describe, expect, it } from 'vitest';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import { diagnose, fitSubject, renderAlert, SUBJECT_MAX } from '../../shared/alerts/render.js';
import type { AlertIntent } from '../../shared/alerts/state.js';
import { vantageFacts } from '../../shared/evidence/correlate.js';
import type { EvidenceItem } from '../../shared/evidence/types.js';
import type { ProbeVerdict } from '../../shared/verdicts/engine.js';
import { decision, env, minutes, observation, probe } from './loop-fixtures.js';

const SIG = '5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7';
const AKID = 'ASIAIOSFODNN7EXAMPLE';
const TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLETOKENvalue0123456789abcdefghijklmnopqrstuv';
const LEAKY_URL = `https://example-data-bucket.s3.amazonaws.com/pathguard/probes/x.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${AKID}%2F20261125%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Security-Token=${TOKEN}&X-Amz-Signature=${SIG}`;

const accessItem = (
  over: Partial<AccessLogRecord>,
  d = decision('public', false, 'ACCESS_PUBLIC_ADDRESS'),
): EvidenceItem => ({
  source: 's3-access',
  matchedBy: 'request-id',
  dedupKey: 's3-access:3E57427F3EXAMPLE:REST.GET.OBJECT',
  decision: d,
  record: {
    bucketOwner: null,
    bucket: 'example-data-bucket',
    time: '2026-11-25T10:00:02.000Z',
    remoteIp: '3.210.12.34',
    requester: null,
    requestId: '3E57427F3EXAMPLE',
    operation: 'REST.GET.OBJECT',
    key: 'pathguard/probes/x.bin',
    requestUri: `GET /pathguard/probes/x.bin?X-Amz-Credential=${AKID}%2F20261125&X-Amz-Signature=${SIG} HTTP/1.1`,
    httpStatus: 200,
    errorCode: null,
    bytesSent: 64,
    objectSize: 64,
    totalTime: 10,
    turnAroundTime: 9,
    referer: null,
    userAgent: 'pathguard/0.1.0',
    versionId: null,
    hostId: null,
    signatureVersion: 'SigV4',
    cipherSuite: null,
    authenticationType: 'QueryString',
    hostHeader: 'example-data-bucket.s3.amazonaws.com',
    tlsVersion: 'TLSv1.3',
    accessPointArn: null,
    aclRequired: null,
    extra: [],
    ...over,
  },
});

function verdict(over: Partial<ProbeVerdict> = {}): ProbeVerdict {
  const deciding = accessItem({});
  return {
    probeId: '01JDQ7ZT0000000000000000AA',
    verdict: 'left-path',
    code: 'LEFT_PATH',
    path: 'nat-gateway',
    reason: 'LEFT_PATH: s3-access record shows nat-gateway',
    deciding,
    evidence: [deciding],
    silentSources: [],
    undecidedSources: [],
    awaiting: [],
    early: null,
    ...over,
  };
}

function intent(over: Partial<AlertIntent> = {}): AlertIntent {
  const p = over.probe ?? probe();
  return {
    dedupKey: `${p.bucket}|${p.style}|${p.vantage.id}|left-path`,
    kind: 'left-path',
    severity: 'critical',
    reason: 'new',
    probe: p,
    verdict: verdict(),
    drift: null,
    closes: [],
    openedAt: null,
    sentCount: 0,
    observation: observation(),
    facts: vantageFacts(env, p.vantage),
    ...over,
  };
}

const now = minutes(20);

describe('email subject', () => {
  it('is printable ASCII of at most 100 characters, however long the names', () => {
    const long = probe({
      bucket: `${'b'.repeat(60)}-example-data-bucket`,
      vantage: { id: `vpc-${'x'.repeat(50)}`, kind: 'vpc', subnetId: 'subnet-0a1a1a1a1a1a1a1a1' },
    });
    const a = renderAlert(intent({ probe: long }), { now });
    expect(a.subject.length).toBeLessThanOrEqual(SUBJECT_MAX);
    // The condition, vantage and style come first; only the end is cut.
    expect(a.subject).toMatch(/^PathGuard CRITICAL left-path vpc-x+\/regional b+/);
    expect(a.subject.endsWith('...')).toBe(true);
    expect(fitSubject('é\nnew line — dash')).toBe('? new line ? dash');
  });
});

describe('likely cause and fix', () => {
  it('legacy global endpoint: presign with the regional endpoint or the interface endpoint name', () => {
    const p = probe({
      style: 'global',
      urlHost: 'example-data-bucket.s3.amazonaws.com',
      inspection: {
        endpointKind: 'global',
        findings: [{ code: 'LEGACY_GLOBAL_ENDPOINT', severity: 'high' }],
      },
    });
    const a = renderAlert(intent({ probe: p, dedupKey: 'example-data-bucket|global|vpc-app|left-path' }), {
      now,
    });
    expect(a.text).toMatch(/legacy global endpoint \(example-data-bucket\.s3\.amazonaws\.com\)/);
    expect(a.text).toContain(
      'Presign with the regional endpoint (example-data-bucket.s3.us-east-1.amazonaws.com, gateway-endpoint from vpc-app) or the interface endpoint name (bucket.vpce-0e5e5e5e5e5e5e5e5-4k1xn2qb.s3.us-east-1.vpce.amazonaws.com, interface-endpoint from vpc-app).',
    );
    expect((a.chatbot.content as { nextSteps: string[] }).nextSteps[0]).toMatch(
      /^Presign with the regional endpoint/,
    );
  });

  it('suggests only a URL style whose expected path from the vantage is private (issue 11 §3: nat-override)', () => {
    // A more specific route to the NAT gateway over part of the S3 ranges: the regional name leaves too.
    const beaten = structuredClone(env);
    beaten.routeTables[0]!.routes.push({ destination: '52.216.0.0/16', target: 'nat-0d4d4d4d4d4d4d4d4' });
    const p = probe({
      style: 'global',
      urlHost: 'example-data-bucket.s3.amazonaws.com',
      inspection: {
        endpointKind: 'global',
        findings: [{ code: 'LEGACY_GLOBAL_ENDPOINT', severity: 'high' }],
      },
    });
    const fixes = diagnose(intent({ probe: p, facts: vantageFacts(beaten, p.vantage) })).fixes;
    expect(fixes[0]).toBe(
      'Presign with the interface endpoint name (bucket.vpce-0e5e5e5e5e5e5e5e5-4k1xn2qb.s3.us-east-1.vpce.amazonaws.com, interface-endpoint from vpc-app).',
    );
    expect(fixes[1]).toMatch(
      /^Not the regional endpoint: from vpc-app it is not proven private; to make it private, remove or narrow rtb-0b2b2b2b2b2b2b2b2 routes 52\.216\.0\.0\/16 to nat-0d4d4d4d4d4d4d4d4/,
    );
    expect(fixes.join('\n')).not.toMatch(/Presign with the regional endpoint|us_east_1_regional_endpoint/);

    // No interface endpoint either: no style is private, so the fix is in the network.
    const bare = structuredClone(beaten);
    bare.interfaceEndpoints = [];
    const none = diagnose(intent({ probe: p, facts: vantageFacts(bare, p.vantage) })).fixes;
    expect(none[0]).toBe(
      'No URL style is private from vpc-app in this network (regional: unknown, interface endpoint: unknown); change the network:',
    );
    expect(none.slice(1)).toEqual([
      expect.stringMatching(
        /^Remove or narrow rtb-0b2b2b2b2b2b2b2b2 routes 52\.216\.0\.0\/16 to nat-0d4d4d4d4d4d4d4d4/,
      ),
      'Create an interface endpoint for com.amazonaws.us-east-1.s3 in vpc-0abcdef0123456789.',
    ]);
  });

  it('on premises with public DNS: the interface endpoint name, not the regional one', () => {
    const publicDns = structuredClone(env);
    publicDns.onPrem.dnsMode = 'public';
    const p = probe({ vantage: { id: 'onprem-dc1', kind: 'onprem' }, expectedPath: 'public' });
    const fixes = diagnose(
      intent({
        probe: p,
        facts: vantageFacts(publicDns, p.vantage),
        verdict: verdict({ path: 'public', deciding: null, evidence: [], code: 'LEFT_PATH_OBSERVED' }),
      }),
    ).fixes;
    expect(fixes).toEqual([
      'Presign with the interface endpoint name (bucket.vpce-0e5e5e5e5e5e5e5e5-4k1xn2qb.s3.us-east-1.vpce.amazonaws.com, interface-endpoint from onprem-dc1).',
      'Not the regional endpoint: from onprem-dc1 it is public; to make it private, forward s3.us-east-1.amazonaws.com from on-prem DNS to a Route 53 Resolver inbound endpoint in the VPC of the S3 interface endpoint.',
    ]);
  });

  it('Transfer Acceleration: public only', () => {
    const p = probe({ style: 'accelerate', urlHost: 'example-data-bucket.s3-accelerate.amazonaws.com' });
    const a = renderAlert(intent({ probe: p }), { now });
    expect(a.text).toMatch(/public-only endpoint .*Transfer Acceleration/);
    expect(a.text).toMatch(/Presign without Transfer Acceleration/);
  });

  it('NAT route more specific than the endpoint route: names the route and the table', () => {
    const beaten = {
      ...env,
      routeTables: env.routeTables.map((rt) =>
        rt.routeTableId === 'rtb-0b2b2b2b2b2b2b2b2'
          ? {
              ...rt,
              routes: [...rt.routes, { destination: '52.216.0.0/16', target: 'nat-0d4d4d4d4d4d4d4d4' }],
            }
          : rt,
      ),
    };
    const p = probe();
    const a = renderAlert(intent({ facts: vantageFacts(beaten, p.vantage) }), { now });
    expect(a.text).toMatch(
      /Route table rtb-0b2b2b2b2b2b2b2b2 \(subnet-0a1a1a1a1a1a1a1a1\) has a route 52\.216\.0\.0\/16 -> nat-0d4d4d4d4d4d4d4d4, more specific than the gateway endpoint's prefix-list route \(vpce-0c3c3c3c3c3c3c3c3\)/,
    );
    expect(a.text).toMatch(/Remove or narrow the 52\.216\.0\.0\/16 -> nat-0d4d4d4d4d4d4d4d4 route/);
  });

  it('no endpoint route: associate the gateway endpoint with the route table', () => {
    const noGw = {
      ...env,
      gatewayEndpoints: [],
      routeTables: env.routeTables.map((rt) => ({
        ...rt,
        routes: rt.routes.filter((r) => !r.destination.startsWith('pl-')),
      })),
    };
    const a = renderAlert(intent({ facts: vantageFacts(noGw, probe().vantage) }), { now });
    expect(a.text).toMatch(
      /has no route to an S3 gateway endpoint, so S3 traffic follows the default route 0\.0\.0\.0\/0 -> nat-0d4d4d4d4d4d4d4d4/,
    );
  });

  it('on-prem DNS resolving public: names the answers and the interface endpoint fixes', () => {
    const p = probe({ vantage: { id: 'onprem-dc1', kind: 'onprem' }, expectedPath: 'public' });
    const obs = observation({
      runnerId: 'onprem-dc1',
      vantageKind: 'onprem',
      dns: {
        answers: [
          { address: '52.216.8.100', family: 4 },
          { address: '52.216.9.36', family: 4 },
        ],
      },
    });
    const a = renderAlert(
      intent({
        probe: p,
        observation: obs,
        facts: vantageFacts(env, p.vantage),
        verdict: verdict({ path: 'public', deciding: null, evidence: [], code: 'LEFT_PATH_OBSERVED' }),
      }),
      { now },
    );
    expect(a.text).toMatch(
      /On-prem DNS resolved example-data-bucket\.s3\.us-east-1\.amazonaws\.com to 52\.216\.8\.100, 52\.216\.9\.36/,
    );
    expect(a.text).toMatch(/outside AWS/);
    expect(a.text).toMatch(/Route 53 Resolver inbound endpoint/);
  });

  it('says "left the VPC-endpoint path", never "internet", for traffic that stayed in AWS', () => {
    const a = renderAlert(intent(), { now });
    expect(a.text).toMatch(/left the VPC-endpoint path via nat-gateway, staying on the AWS network/);
    expect(a.text.toLowerCase()).not.toMatch(/internet/);
  });

  it('no-evidence names the silent source and how to check it', () => {
    const a = renderAlert(
      intent({
        kind: 'no-evidence',
        severity: 'warning',
        dedupKey: 'example-data-bucket|regional|vpc-app|no-evidence',
        verdict: verdict({
          verdict: 'no-evidence',
          code: 'SOURCE_SILENT',
          path: null,
          deciding: null,
          evidence: [],
          silentSources: ['flow', 's3-access'],
          reason: 'SOURCE_SILENT: no matching record from flow, s3-access by the deadline',
        }),
      }),
      { now },
    );
    expect(a.subject).toMatch(
      /^PathGuard WARNING no-evidence vpc-app\/regional example-data-bucket: flow, s3-access silent$/,
    );
    expect(a.text).toMatch(/a blind spot, not a pass/);
    expect(a.text).toMatch(
      /VPC Flow Logs: check that a flow log covers subnet-0a1a1a1a1a1a1a1a1 \(ENIs eni-0lambda000000000a, eni-0lambda000000000b\)/,
    );
    expect(a.text).toMatch(/S3 server access logs: check that logging is enabled on example-data-bucket/);
  });

  it('a silent on-prem runner points at its timer and its order', () => {
    const p = probe({ vantage: { id: 'onprem-dc1', kind: 'onprem' } });
    const a = renderAlert(
      intent({
        probe: p,
        kind: 'runner-silent',
        severity: 'warning',
        dedupKey: 'example-data-bucket|regional|onprem-dc1|runner-silent',
        observation: null,
        verdict: verdict({
          verdict: 'no-evidence',
          code: 'RUNNER_SILENT',
          path: null,
          deciding: null,
          evidence: [],
        }),
      }),
      { now },
    );
    expect(a.text).toMatch(/systemd timer or cron line, that it can read orders\/onprem-dc1\/latest\.json/);
  });
});

describe('channels', () => {
  it('renders the AWS Chatbot custom notification, threaded by the dedup key', () => {
    const a = renderAlert(intent(), {
      now,
      bundleKey: 'evidence/2026/11/25/01JDQ7ZT0000000000000000AA.json',
    });
    const c = a.chatbot as {
      version: string;
      source: string;
      content: {
        textType: string;
        title: string;
        description: string;
        nextSteps: string[];
        keywords: string[];
      };
      metadata: {
        threadId: string;
        summary: string;
        eventType: string;
        relatedResources: string[];
        additionalContext: Record<string, unknown>;
      };
    };
    expect(c.version).toBe('1.0');
    expect(c.source).toBe('custom');
    expect(c.content.textType).toBe('client-markdown');
    expect(c.content.title).toMatch(/^:rotating_light: S3 traffic left the VPC-endpoint path/);
    expect(c.content.description).toMatch(
      /\*What happened:\*.*\n\*Evidence:\* S3 access log \(request-id\): REST\.GET\.OBJECT 200 from 3\.210\.12\.34/,
    );
    expect(c.content.nextSteps.length).toBeGreaterThan(0);
    expect(c.content.keywords).toEqual([
      'PathGuard',
      'critical',
      'left-path',
      'left-path',
      'example-data-bucket',
      'regional',
      'vpc-app',
    ]);
    expect(c.metadata.threadId).toBe('example-data-bucket|regional|vpc-app|left-path');
    expect(c.metadata.summary).toBe(a.subject);
    expect(c.metadata.relatedResources).toEqual(['arn:aws:s3:::example-data-bucket']);
    expect(Object.values(c.metadata.additionalContext).every((x) => typeof x === 'string')).toBe(true);
    expect(c.metadata.additionalContext.evidenceBundle).toBe(
      'evidence/2026/11/25/01JDQ7ZT0000000000000000AA.json',
    );
  });

  it('sets SNS message attributes for filtering', () => {
    expect(renderAlert(intent(), { now }).attributes).toEqual({
      severity: 'critical',
      kind: 'left-path',
      action: 'new',
      verdict: 'left-path',
      vantage: 'vpc-app',
      bucket: 'example-data-bucket',
      style: 'regional',
      method: 'get',
    });
  });

  it('a recovery threads with the alert it resolves and carries info severity', () => {
    const a = renderAlert(
      intent({
        reason: 'recovery',
        severity: 'info',
        closes: ['example-data-bucket|regional|vpc-app|left-path'],
        verdict: verdict({
          verdict: 'private',
          code: 'PRIVATE',
          path: 'gateway-endpoint',
          deciding: null,
          evidence: [],
        }),
      }),
      { now },
    );
    expect(a.subject).toBe(
      'PathGuard INFO recovered left-path vpc-app/regional example-data-bucket: private again',
    );
    expect((a.chatbot.metadata as { threadId: string }).threadId).toBe(
      'example-data-bucket|regional|vpc-app|left-path',
    );
    expect(a.text).not.toMatch(/Likely cause/);
    expect(a.text).toMatch(/took the private path again \(gateway-endpoint\)/);
  });

  it('a reminder says how long the alert has been open', () => {
    const a = renderAlert(intent({ reason: 'reminder', openedAt: minutes(0).toISOString(), sentCount: 2 }), {
      now,
    });
    expect(a.subject).toMatch(
      /^PathGuard CRITICAL left-path reminder vpc-app\/regional example-data-bucket: /,
    );
    expect(a.text).toMatch(/Still open since 2026-11-25T10:00:00.000Z \(reminder 2\)/);
  });
});

describe('no secrets', () => {
  it('redacts every channel even when a URL, a log record and an error carry credentials', () => {
    const leaky = intent({
      probe: probe({ urlRedacted: LEAKY_URL }),
      observation: observation({ error: { code: 'HTTP_ERROR', message: `GET ${LEAKY_URL} failed` } }),
      verdict: verdict({ reason: `LEFT_PATH: see ${LEAKY_URL}` }),
    });
    const drift = intent({
      kind: 'posture-drift',
      probe: null,
      verdict: null,
      dedupKey: 'drift|X|rtb-1',
      drift: { code: 'X', severity: 'warning', message: `changed: SessionToken=${TOKEN}`, resource: 'rtb-1' },
    });
    for (const i of [leaky, drift]) {
      const a = renderAlert(i, { now });
      const all = JSON.stringify(a);
      expect(all).not.toContain(SIG);
      expect(all).not.toContain(AKID);
      expect(all).not.toContain(TOKEN);
    }
    expect(renderAlert(leaky, { now }).text).toContain('X-Amz-Signature=REDACTED');
  });
});
