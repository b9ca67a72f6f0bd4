import { describe, expect, it } from 'vitest';
import { ATHENA, configWorkspace } from './config-workspace.js';

const ws = configWorkspace('pg-athena-');

/** The example config with both sources on the athena engine. */
const file = ws.configFile((doc) => {
  doc.evidence.flowLogs = {
    ...doc.evidence.flowLogs,
    engine: 'athena',
    athena: {
      ...ATHENA,
      outputLocation: 's3://athena-results-bucket/pathguard/',
      location: { bucket: 'org-flow-logs', prefix: 'vpc/' },
    },
  };
  doc.evidence.accessLogs = {
    ...doc.evidence.accessLogs,
    engine: 'athena',
    athena: { ...ATHENA, table: 'sal' },
  };
});
const { template, violations } = ws.synth(file);
const statements = () =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }).Properties
        .PolicyDocument.Statement,
  );

describe('analyzer grants for the athena engine', () => {
  it('query actions on the configured workgroup only', () => {
    const s = statements().find((x) => x.Sid === 'AthenaEvidenceQueries');
    expect([...((s?.Action ?? []) as string[])].sort()).toEqual([
      'athena:GetQueryExecution',
      'athena:GetQueryResults',
      'athena:StartQueryExecution',
      'athena:StopQueryExecution',
    ]);
    expect(JSON.stringify(s?.Resource)).toContain(':workgroup/pathguard');
    expect(JSON.stringify(s?.Resource)).not.toContain('*');
  });

  it('Glue reads on the catalog, the database and the two tables, nothing else', () => {
    const s = statements().find((x) => x.Sid === 'AthenaEvidenceTables');
    expect([...((s?.Action ?? []) as string[])].sort()).toEqual([
      'glue:GetDatabase',
      'glue:GetPartitions',
      'glue:GetTable',
    ]);
    const res = JSON.stringify(s?.Resource);
    for (const r of [
      ':catalog',
      ':database/pathguard_logs',
      ':table/pathguard_logs/pathguard_flow_logs',
      ':table/pathguard_logs/sal',
    ])
      expect(res).toContain(r);
    expect(res).not.toContain('*');
  });

  it('reads the flow logs and writes the results under their prefixes only', () => {
    const arn = (r: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::${r}`]] });
    const on = (r: string) =>
      statements().filter((x) =>
        [x.Resource].flat().some((y) => JSON.stringify(y) === JSON.stringify(arn(r))),
      );
    const actions = (r: string) =>
      on(r)
        .flatMap((x) => [x.Action].flat() as string[])
        .sort();
    expect(actions('athena-results-bucket/pathguard/*')).toEqual([
      's3:AbortMultipartUpload',
      's3:GetObject',
      's3:PutObject',
    ]);
    expect(actions('org-flow-logs/vpc/AWSLogs/*')).toEqual(['s3:GetObject']);
    expect(on('org-flow-logs').map((x) => x.Condition)).toEqual([
      { StringLike: { 's3:prefix': ['vpc/AWSLogs/*'] } },
    ]);
  });

  it('leaves cdk-nag with nothing unacknowledged', () => {
    expect(violations).toEqual([]);
  });
});
