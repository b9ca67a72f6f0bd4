import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../shared/config/index.js';

const example = JSON.parse(
  readFileSync(new URL('../../pathguard.config.example.json', import.meta.url), 'utf8'),
);

describe('validateConfig', () => {
  it('loads the committed example, ignoring its deployment section, with defaults filled', () => {
    const r = validateConfig(example);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.vantages.map((v) => v.id)).toEqual(['vpc-app', 'onprem-dc1']);
    expect(r.value.urlExpirySeconds).toBe(900);
    expect(r.value.evidence.flowLogs.deadlineMinutes).toBe(20);
    expect(r.value.evidence.cloudTrail.enabled).toBe(false);
  });

  it('applies the documented defaults to a minimal config', () => {
    const r = validateConfig({
      region: 'eu-west-1',
      resultsBucket: 'results-bucket',
      targets: [{ bucket: 'data-bucket', region: 'eu-west-1', styles: ['regional'] }],
      vantages: [{ id: 'onprem-a', kind: 'onprem' }],
    });
    expect(r.ok && r.value).toMatchObject({
      probePrefix: 'pathguard',
      urlExpirySeconds: 900,
      scheduleMinutes: 5,
      evidence: {
        flowLogs: { deadlineMinutes: 20 },
        accessLogs: { deadlineMinutes: 360 },
        cloudTrail: { deadlineMinutes: 30, enabled: false },
      },
      alerts: { reminderMinutes: 240 },
    });
  });

  it('names the bad path, and rejects unknown keys (typos must not pass)', () => {
    const bad = structuredClone(example);
    bad.targets[0].regoin = 'us-east-1';
    const r = validateConfig(bad);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toMatch(/^config: targets\[0\]: Unrecognized key/);
  });

  it('requires the endpoint name for the interface-endpoint style and rejects duplicate vantages', () => {
    const bad = structuredClone(example);
    delete bad.targets[0].interfaceEndpointDns;
    bad.vantages.push({ id: 'vpc-app', kind: 'onprem' });
    const r = validateConfig(bad);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.issues.map((i) => i.path)).toEqual(['targets[0].interfaceEndpointDns', 'vantages[2].id']);
  });

  it('rejects a VPC vantage without a subnet', () => {
    const bad = structuredClone(example);
    bad.vantages[0] = { id: 'vpc-app', kind: 'vpc' };
    const r = validateConfig(bad);
    expect(!r.ok && r.error.issues[0]?.path).toBe('vantages[0].subnetId');
  });

  it('takes a Multi-Region Access Point ARN for the mrap style, and refuses names, Regions and a missing ARN', () => {
    const cfg = (mrapArn?: string) =>
      validateConfig({
        region: 'us-east-1',
        resultsBucket: 'results-bucket',
        targets: [
          { bucket: 'data-bucket', region: 'us-east-1', styles: ['mrap'], ...(mrapArn ? { mrapArn } : {}) },
        ],
        vantages: [{ id: 'onprem-a', kind: 'onprem' }],
      });
    const good = cfg('arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap');
    expect(good.ok && good.value.targets[0]?.mrapArn).toBe(
      'arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap',
    );
    const missing = cfg();
    expect(!missing.ok && missing.error.issues).toEqual([
      { path: 'targets[0].mrapArn', message: "required when styles include 'mrap'" },
    ]);
    for (const wrong of [
      // The MRAP's name, not its alias: S3 does not accept one for the other.
      'arn:aws:s3::123456789012:accesspoint/my-global-ap',
      // A Regional access point.
      'arn:aws:s3:us-east-1:123456789012:accesspoint/mfzwi23gnjvgw.mrap',
      'arn:aws:s3::12345:accesspoint/mfzwi23gnjvgw.mrap',
    ]) {
      const r = cfg(wrong);
      expect(!r.ok && r.error.issues[0]?.path).toBe('targets[0].mrapArn');
      expect(!r.ok && r.error.issues[0]?.message).toMatch(/Multi-Region Access Point ARN/);
    }
  });
});
