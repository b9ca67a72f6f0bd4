import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../shared/config/index.js';

const base = {
  region: 'eu-west-1',
  resultsBucket: 'results-bucket',
  targets: [{ bucket: 'data-bucket', region: 'eu-west-1', styles: ['regional'] }],
  vantages: [{ id: 'onprem-a', kind: 'onprem' }],
};
const athena = { workgroup: 'pathguard', database: 'pathguard_logs', maxBytesScanned: 1_000_000_000 };
const withEvidence = (evidence: unknown) => validateConfig({ ...base, evidence });

describe('evidence engines (issue 15 §2)', () => {
  it('defaults both sources to the direct readers, with no athena block', () => {
    const r = validateConfig(base);
    expect(r.ok && r.value.evidence.flowLogs.engine).toBe('direct');
    expect(r.ok && r.value.evidence.accessLogs.engine).toBe('direct');
    expect(r.ok && r.value.evidence.flowLogs.athena).toBeUndefined();
  });

  it('takes athena for both sources and insights for flow logs, filling the location defaults', () => {
    const r = withEvidence({
      flowLogs: {
        engine: 'athena',
        athena: { ...athena, location: { bucket: 'org-flow-logs', orgId: 'o-abcdef1234' } },
      },
      accessLogs: {
        engine: 'athena',
        athena: { ...athena, table: 'sal', outputLocation: 's3://athena-out/pg/' },
      },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.evidence.flowLogs.athena?.location).toEqual({
      bucket: 'org-flow-logs',
      prefix: '',
      layout: 'plain',
      hourly: false,
      fileFormat: 'text',
      orgId: 'o-abcdef1234',
    });
    expect(r.value.evidence.accessLogs.athena).toMatchObject({
      layout: 'partitioned',
      dateSource: 'EventTime',
    });
    const insights = withEvidence({ flowLogs: { engine: 'insights', logGroupName: '/vpc/flow' } });
    expect(insights.ok && insights.value.evidence.flowLogs.engine).toBe('insights');
  });

  it('names the field of every engine mistake', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ flowLogs: { engine: 'athena' } }, 'evidence.flowLogs.athena', /required when engine is 'athena'/],
      [{ flowLogs: { engine: 'direct', athena } }, 'evidence.flowLogs.athena', /only read when engine/],
      [{ accessLogs: { engine: 'insights' } }, 'evidence.accessLogs.engine', /./],
      [{ flowLogs: { engine: 'spark' } }, 'evidence.flowLogs.engine', /./],
      [
        { accessLogs: { engine: 'athena', athena: { ...athena, database: 'Logs; DROP TABLE x' } } },
        'evidence.accessLogs.athena.database',
        /lower-case name/,
      ],
      [
        { accessLogs: { engine: 'athena', athena: { ...athena, workgroup: "wg' OR 1=1" } } },
        'evidence.accessLogs.athena.workgroup',
        /workgroup/,
      ],
      [
        { accessLogs: { engine: 'athena', athena: { ...athena, maxBytesScanned: 5 } } },
        'evidence.accessLogs.athena.maxBytesScanned',
        /./,
      ],
      [
        { accessLogs: { engine: 'athena', athena: { ...athena, outputLocation: 'https://x/' } } },
        'evidence.accessLogs.athena.outputLocation',
        /s3:\/\//,
      ],
      [
        {
          flowLogs: { engine: 'athena', athena: { ...athena, location: { bucket: 'b-ok', prefix: "a'/" } } },
        },
        'evidence.flowLogs.athena.location.prefix',
        /prefix/,
      ],
      [
        {
          flowLogs: { engine: 'athena', athena: { ...athena, location: { bucket: 'b-ok', orgId: 'org-1' } } },
        },
        'evidence.flowLogs.athena.location.orgId',
        /organization id/,
      ],
      [
        { flowLogs: { engine: 'athena', athena: { ...athena, typo: 1 } } },
        'evidence.flowLogs.athena',
        /typo/,
      ],
    ];
    for (const [evidence, path, message] of cases) {
      const r = withEvidence(evidence);
      expect(r.ok, JSON.stringify(evidence)).toBe(false);
      if (r.ok) continue;
      const issue = r.error.issues.find((i) => i.path === path);
      expect(issue, `${path} in ${JSON.stringify(r.error.issues)}`).toBeDefined();
      expect(issue?.message).toMatch(message);
    }
  });
});
