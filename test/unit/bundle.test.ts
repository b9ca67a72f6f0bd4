import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import {
  BUNDLE_SCHEMA_VERSION,
  buildBundle,
  bundleKey,
  capEvidence,
  configDigest,
  environmentDigest,
  MAX_BUNDLE_EVIDENCE,
  readBundle,
  sameBundleContent,
} from '../../shared/evidence/bundle.js';
import { vantageFacts } from '../../shared/evidence/correlate.js';
import {
  appendHistory,
  decideVerdict,
  expectedSources,
  runnerDeadline,
} from '../../shared/verdicts/engine.js';
import { config, decision, env, item, minutes, observation, probe } from './loop-fixtures.js';

const sha256 = (t: string) => createHash('sha256').update(t).digest('hex');
const SIG = '5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7';
const AKID = 'ASIAIOSFODNN7EXAMPLE';
const TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLETOKEN0123456789abcdefghijklmnop';
const URL_ = `https://example-data-bucket.s3.us-east-1.amazonaws.com/pathguard/probes/x.bin?X-Amz-Credential=${AKID}%2F20261125%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Security-Token=${TOKEN}&X-Amz-Signature=${SIG}`;

const cfg = config();
const p = probe();
const o = observation();

function build(
  evidence = [item('s3-access', decision('vpc-endpoint', true), 's3-access:3E57427F3EXAMPLE')],
  now = minutes(5),
) {
  const verdict = decideVerdict({
    probe: p,
    observation: o,
    evidence,
    expected: expectedSources(p, cfg, o),
    runnerDeadline: runnerDeadline(p, cfg),
    now,
  });
  return buildBundle(
    {
      probe: p,
      observations: [o],
      verdict,
      history: appendHistory([], verdict, now),
      configDigest: configDigest(cfg, sha256),
      environmentDigest: environmentDigest(env, sha256),
      facts: vantageFacts(env, p.vantage),
      settled: false,
    },
    now,
  );
}

describe('evidence bundle', () => {
  it('is versioned and carries digests, the facts used, observations, records with decisions and the history', () => {
    const b = build();
    expect(b.schemaVersion).toBe(BUNDLE_SCHEMA_VERSION);
    expect(b.configDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(b.environment).toMatchObject({
      region: 'us-east-1',
      facts: {
        routeTableId: 'rtb-0b2b2b2b2b2b2b2b2',
        s3GatewayEndpointId: 'vpce-0c3c3c3c3c3c3c3c3',
        runnerIps: ['10.0.1.77', '10.0.1.78'],
      },
    });
    expect(b.observations).toHaveLength(1);
    expect(b.evidence.map((e) => [e.source, e.decision.path])).toEqual([['s3-access', 'vpc-endpoint']]);
    expect(b.verdict).toMatchObject({
      verdict: 'private',
      code: 'PRIVATE',
      decidingKey: 's3-access:3E57427F3EXAMPLE',
    });
    expect(b.history.map((h) => h.verdict)).toEqual(['private']);
    expect(b.probe.inspection).toEqual(p.inspection);
  });

  it('digests the config and environment whatever their key order', () => {
    const reordered = Object.fromEntries(Object.entries(cfg).reverse()) as typeof cfg;
    expect(configDigest(reordered, sha256)).toBe(configDigest(cfg, sha256));
    expect(environmentDigest({ ...env, region: 'us-west-2' }, sha256)).not.toBe(
      environmentDigest(env, sha256),
    );
  });

  it('keeps no secret from any field: URL, reading, observation, log record, error', () => {
    const leakyRecord = {
      requestUri: `GET /pathguard/probes/x.bin?X-Amz-Credential=${AKID}%2F20261125&X-Amz-Signature=${SIG} HTTP/1.1`,
      referer: URL_,
      requestId: '3E57427F3EXAMPLE',
    } as unknown as AccessLogRecord;
    const b = buildBundle(
      {
        probe: probe({
          urlRedacted: URL_,
          inspection: { url: URL_, findings: [{ code: 'X', message: `see ${URL_}` }] },
        }),
        observations: [
          observation({
            urlRedacted: URL_,
            error: { code: 'HTTP_ERROR', message: `<SignatureProvided>${SIG}</SignatureProvided>` },
          }),
        ],
        verdict: {
          ...decideVerdict({
            probe: p,
            observation: o,
            evidence: [{ ...item('s3-access', decision('public', false)), record: leakyRecord }],
            expected: [],
            runnerDeadline: minutes(15),
            now: minutes(1),
          }),
        },
        history: [],
        configDigest: 'c',
        environmentDigest: 'e',
        facts: vantageFacts(env, p.vantage),
        settled: false,
      },
      minutes(1),
    );
    const json = JSON.stringify(b);
    for (const s of [SIG, AKID, TOKEN]) expect(json).not.toContain(s);
    expect(json).toContain('X-Amz-Signature=REDACTED');
  });

  it('compares content without the update time, so unchanged bundles are not rewritten', () => {
    const a = build(undefined, minutes(5));
    const same = { ...build(undefined, minutes(5)), updatedAt: minutes(9).toISOString() };
    expect(sameBundleContent(a, same)).toBe(true);
    const changed = build([item('flow', decision('nat-gateway', false))], minutes(5));
    expect(sameBundleContent(a, changed)).toBe(false);
    expect(sameBundleContent(null, a)).toBe(false);
  });

  it('reads its own documents back and refuses foreign ones', () => {
    const b = build();
    expect(readBundle(JSON.parse(JSON.stringify(b)))).toEqual(b);
    expect(readBundle({ ...b, schemaVersion: 2 })).toBeNull();
    expect(readBundle({ schemaVersion: 1 })).toBeNull();
    expect(readBundle('x')).toBeNull();
  });

  it('is stored under the probe creation date', () => {
    expect(bundleKey(p)).toBe('evidence/2026/11/25/01JDQ7ZT0000000000000000AA.json');
  });
});

describe('evidence cap', () => {
  // A runner ENI shared with busy traffic to the same S3 address: 200 private flow records in the
  // fetch window, one NAT record among them, and the probe's own access-log line.
  const flows = Array.from({ length: 200 }, (_, i) =>
    item('flow', decision('gateway-endpoint', true, 'FLOW_GATEWAY'), `flow:${String(i).padStart(3, '0')}`),
  );
  const nat = item('flow', decision('nat-gateway', false, 'FLOW_NAT'), 'flow:nat');
  const own = item('s3-access', decision('vpc-endpoint', true), 's3-access:3E57427F3EXAMPLE');

  it('keeps every record up to the cap, and says nothing was left out', () => {
    const b = build([own, ...flows.slice(0, MAX_BUNDLE_EVIDENCE - 1)]);
    expect(b.evidence).toHaveLength(MAX_BUNDLE_EVIDENCE);
    expect(b.evidenceOmitted).toBeUndefined();
  });

  it('keeps the deciding record and one of each kind first, counts the rest by source', () => {
    const b = build([...flows, nat, own]);
    expect(b.verdict.verdict).toBe('left-path');
    expect(b.evidence).toHaveLength(MAX_BUNDLE_EVIDENCE);
    const keys = b.evidence.map((e) => e.dedupKey);
    expect(keys).toContain(b.verdict.decidingKey);
    expect(keys).toContain('flow:nat');
    expect(keys).toContain('s3-access:3E57427F3EXAMPLE');
    expect(b.evidenceOmitted).toEqual({ count: 202 - MAX_BUNDLE_EVIDENCE, bySource: { flow: 152 } });
  });

  it('gives a later run, seeded from the capped bundle, the same verdict as the full evidence', () => {
    const full = build([...flows, nat, own]);
    const again = build(full.evidence);
    expect(again.verdict).toEqual(full.verdict);
    expect(again.verdict.decidingKey).toBe(full.verdict.decidingKey);
  });

  it('keeps the strongest matches when one kind fills the cap, in the order given', () => {
    const { kept, omitted } = capEvidence(flows, null, 10);
    expect(kept.map((e) => e.dedupKey)).toEqual(flows.slice(0, 10).map((e) => e.dedupKey));
    expect(omitted).toEqual({ count: 190, bySource: { flow: 190 } });
  });
});
