import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadInfraConfig } from '../../infra/config.js';

const root = new URL('../../', import.meta.url).pathname;
const example = JSON.parse(readFileSync(join(root, 'pathguard.config.example.json'), 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'pg-infra-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function load(edit: (doc: typeof example) => void) {
  const doc = structuredClone(example);
  edit(doc);
  const file = join(dir, `c${n++}.json`);
  writeFileSync(file, JSON.stringify(doc));
  return () => loadInfraConfig(file);
}

/** The one-line message synth stops with. */
function refusal(edit: (doc: typeof example) => void): string {
  try {
    load(edit)();
  } catch (e) {
    const m = (e as Error).message;
    expect(m).not.toContain('\n');
    return m;
  }
  throw new Error('accepted');
}

describe('deployment config: one source of truth for evidence locations', () => {
  it('resolves the example: access logs and flow logs from the stack, no CloudTrail', () => {
    const c = load(() => {})();
    expect(c.monitoring.evidence).toEqual({
      accessLogs: { source: 'stack', prefix: 'access-logs/' },
      flowLogs: { source: 'stack', prefix: '' },
      cloudTrail: null,
    });
    expect(c.monitoring.retention).toEqual({ probesDays: 35, evidenceDays: 400 });
  });

  it('refuses a config bucket that differs from the one the stack creates, naming the key', () => {
    expect(
      refusal((d) => {
        d.evidence.accessLogs.bucket = 'example-pathguard-access-logs';
      }),
    ).toMatch(/evidence\.accessLogs\.bucket: the stack creates this location/);
    expect(
      refusal((d) => {
        d.deployment.evidence.accessLogBucket = 'central-logs';
        d.evidence.accessLogs.bucket = 'other-logs';
      }),
    ).toMatch(
      /evidence\.accessLogs\.bucket: is 'other-logs' but deployment\.evidence\.accessLogBucket is 'central-logs'/,
    );
    expect(
      refusal((d) => {
        d.evidence.accessLogs.prefix = 'access-logs/example-data-bucket/';
      }),
    ).toMatch(
      /evidence\.accessLogs\.prefix: is 'access-logs\/example-data-bucket\/' but deployment\.evidence\.accessLogPrefix is 'access-logs\/'/,
    );
    expect(
      refusal((d) => {
        d.evidence.flowLogs.logGroupName = '/my/flow-logs';
      }),
    ).toMatch(/evidence\.flowLogs\.logGroupName: the stack creates this location/);
  });

  it('accepts a config that repeats the deployment location exactly', () => {
    const c = load((d) => {
      d.deployment.evidence.accessLogBucket = 'central-logs';
      d.evidence.accessLogs.bucket = 'central-logs';
      d.evidence.accessLogs.prefix = 'access-logs/';
    })();
    expect(c.monitoring.evidence.accessLogs).toEqual({
      source: 'existing',
      bucket: 'central-logs',
      prefix: 'access-logs/',
    });
  });

  it('refuses a trail nothing reads, a reader with no trail, and an enabled source with no location', () => {
    expect(
      refusal((d) => {
        d.deployment.evidence.createCloudTrail = true;
      }),
    ).toMatch(/deployment\.evidence\.createCloudTrail: creates a paid data-event trail that nothing reads/);
    expect(
      refusal((d) => {
        d.evidence.cloudTrail.enabled = true;
      }),
    ).toMatch(/deployment\.evidence\.cloudTrailBucket: required when evidence\.cloudTrail is enabled/);
    expect(
      refusal((d) => {
        d.deployment.evidence.createFlowLogs = false;
      }),
    ).toMatch(/deployment\.evidence\.flowLogGroupName: required/);
  });

  it('refuses a config with no vantage at all', () => {
    expect(
      refusal((d) => {
        d.vantages = [];
        d.deployment.onPremRunners = [];
      }),
    ).toMatch(/vantages: .*(at least|>=)? ?1/i);
  });

  it('refuses retention shorter than the evidence deadlines', () => {
    expect(
      refusal((d) => {
        d.retention = { probesDays: 1, evidenceDays: 400 };
        d.evidence.accessLogs.deadlineMinutes = 2000;
      }),
    ).toMatch(/retention\.probesDays: probes would expire before their evidence deadline/);
  });
});
