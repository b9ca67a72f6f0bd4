import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../shared/config/index.js';
import { newProbeId, PROBE_SIZE, planRun, probeKey, runIdFor } from '../../shared/probes/plan.js';

const cfg = (() => {
  const r = validateConfig(
    JSON.parse(readFileSync(new URL('../../pathguard.config.example.json', import.meta.url), 'utf8')),
  );
  if (!r.ok) throw r.error;
  return r.value;
})();
const deps = {
  now: new Date('2026-11-25T10:15:30.123Z'),
  random: (n: number) => new Uint8Array(randomBytes(n)),
  sha256: (b: Uint8Array) => createHash('sha256').update(b).digest('hex'),
};

describe('probe planning', () => {
  it('plans one probe per target, style and vantage with dated keys and the body digest', () => {
    const probes = planRun(cfg, 'run-1', deps);
    expect(probes).toHaveLength(2 * 4);
    const p = probes[0]!;
    expect(p.key).toBe(`pathguard/probes/2026/11/25/${p.probeId}.bin`);
    expect(p.size).toBe(PROBE_SIZE);
    expect(p.sha256).toBe(deps.sha256(p.body));
    expect(new Set(probes.map((x) => x.probeId)).size).toBe(probes.length);
    expect(probes.map((x) => `${x.vantage.id}/${x.style}`)).toContain('onprem-dc1/accelerate');
  });

  it('limits a run to the given vantages', () => {
    expect(planRun(cfg, 'run-1', deps, ['vpc-app']).every((p) => p.vantage.id === 'vpc-app')).toBe(true);
  });

  it('makes ids that sort by creation time', () => {
    const a = newProbeId(new Date('2026-01-01T00:00:00Z'), () => new Uint8Array(10).fill(255));
    const b = newProbeId(new Date('2026-01-01T00:00:00.001Z'), () => new Uint8Array(10));
    expect(a).toHaveLength(26);
    expect(a < b).toBe(true);
    expect(a).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it('maps repeated deliveries of one schedule slot to one run id', () => {
    expect(runIdFor(new Date('2026-11-25T10:15:02Z'), 5)).toBe(runIdFor(new Date('2026-11-25T10:19:59Z'), 5));
    expect(runIdFor(new Date('2026-11-25T10:20:00Z'), 5)).not.toBe(
      runIdFor(new Date('2026-11-25T10:19:59Z'), 5),
    );
    expect(probeKey('p', new Date('2026-02-03T00:00:00Z'), 'X')).toBe('p/probes/2026/02/03/X.bin');
  });
});
