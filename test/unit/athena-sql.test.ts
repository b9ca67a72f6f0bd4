import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type AccessTableSpec,
  accessAuditSql,
  accessProbeSql,
  accessTableDdl,
} from '../../shared/athena/access-table.js';
import { type FlowTableSpec, flowSelectSql, flowTableDdl } from '../../shared/athena/flow-table.js';
import { queryString, SqlValueError } from '../../shared/athena/sql.js';
import { DEFAULT_FLOW_FORMAT, parseFlowFormat } from '../../shared/flow-logs/index.js';

/**
 * Golden SQL: each statement PathGuard generates is compared with its reviewed copy under
 * test/fixtures/athena/. After an intended change, regenerate with PATHGUARD_UPDATE_GOLDEN=1 and
 * read the diff.
 */
function golden(name: string, sql: string): void {
  const file = new URL(`../fixtures/athena/${name}.sql`, import.meta.url);
  if (process.env.PATHGUARD_UPDATE_GOLDEN === '1' || !existsSync(file)) writeFileSync(file, `${sql}\n`);
  expect(`${sql}\n`).toBe(readFileSync(file, 'utf8'));
}

const v5 = parseFlowFormat(
  '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${vpc-id} ${subnet-id} ${instance-id} ${tcp-flags} ${type} ${pkt-srcaddr} ${pkt-dstaddr} ${region} ${az-id} ${sublocation-type} ${sublocation-id} ${pkt-src-aws-service} ${pkt-dst-aws-service} ${flow-direction} ${traffic-path}',
);
if (!v5.ok) throw v5.error;

const flowBase: FlowTableSpec = {
  database: 'pathguard',
  table: 'flow_logs',
  bucket: 'central-flow-logs',
  prefix: 'vpc/',
  layout: 'plain',
  hourly: false,
  fileFormat: 'text',
  format: DEFAULT_FLOW_FORMAT,
};
const accessBase: AccessTableSpec = {
  database: 'pathguard',
  table: 'access_logs',
  bucket: 'pathguard-logs',
  prefix: 'access-logs/',
  layout: 'partitioned',
};
const query = {
  window: { from: new Date('2026-12-03T23:55:00Z'), to: new Date('2026-12-04T00:20:00Z') },
  addresses: ['10.0.1.5', '52.216.8.100', '2600:1f18::5'],
  eniIds: ['eni-0a1b2c3d4e5f60718'],
};

describe('flow-log table DDL (partition projection)', () => {
  it('plain text, daily: the default format, injected account and Region, a date projection', () => {
    golden('flow-plain-text-daily', flowTableDdl(flowBase));
  });
  it('Hive-compatible Parquet, hourly: the v5 fields typed as AWS types them, integer projections', () => {
    golden(
      'flow-hive-parquet-hourly',
      flowTableDdl({ ...flowBase, layout: 'hive', hourly: true, fileFormat: 'parquet', format: v5.value }),
    );
  });
  it('organisation layout: AWSLogs/<org-id>/<account>/…, hourly text', () => {
    golden(
      'flow-org-text-hourly',
      flowTableDdl({ ...flowBase, orgId: 'o-abcdef1234', hourly: true, prefix: '' }),
    );
  });
});

describe('flow-log query', () => {
  it('reads the window folders only (with the delivery margins), the overlap and the addresses or ENIs', () => {
    const sql = flowSelectSql(flowBase, { accounts: ['111122223333'], region: 'eu-west-1', query });
    golden('flow-select-plain', sql);
    // The window crosses midnight: both days, and no other.
    expect(sql).toContain(`"dt" BETWEEN '2026/12/03' AND '2026/12/04'`);
  });
  it('Hive hourly: one (year, month, day, hour) tuple per hour of the widened window', () => {
    const sql = flowSelectSql(
      { ...flowBase, layout: 'hive', hourly: true, format: v5.value },
      { accounts: ['111122223333', '444455556666'], region: 'eu-west-1', query },
    );
    golden('flow-select-hive-hourly', sql);
    expect(sql.match(/"hour" = /g)).toHaveLength(2);
  });
  it('a query with nothing to look for reads nothing', () => {
    const sql = flowSelectSql(flowBase, {
      accounts: ['111122223333'],
      region: 'eu-west-1',
      query: { ...query, addresses: [], eniIds: [] },
    });
    expect(sql).toMatch(/AND FALSE$/);
  });
});

describe('access-log table and queries', () => {
  const sel = {
    accountId: '111122223333',
    region: 'eu-west-1',
    from: new Date('2026-12-02T22:00:00Z'),
    to: new Date('2026-12-03T16:00:00Z'),
  };
  it('the AWS-documented RegexSerDe table over date-based partitions', () => {
    golden('access-partitioned', accessTableDdl(accessBase));
  });
  it('the simple key format: no partitions', () => {
    const ddl = accessTableDdl({ ...accessBase, layout: 'simple' });
    golden('access-simple', ddl);
    expect(ddl).not.toContain('PARTITIONED BY');
  });
  it('probe evidence: the target buckets, the probe prefix, the window days', () => {
    golden(
      'access-probe-select',
      accessProbeSql(accessBase, { ...sel, buckets: ['data-b', 'data-a'], keyPrefix: 'pathguard/probes/' }),
    );
  });
  it('the real-traffic audit as one aggregate over presigned requests', () => {
    golden(
      'access-audit',
      accessAuditSql(accessBase, {
        ...sel,
        buckets: ['data-a'],
        excludeKeyPrefix: 'pathguard/probes/',
        requestsFrom: new Date('2026-12-02T22:00:00Z'),
        requestsTo: new Date('2026-12-03T10:00:00Z'),
      }),
    );
  });
});

describe('values entering SQL', () => {
  it('refuses identifiers and DDL literals outside their allow-lists, naming what they were for', () => {
    expect(() => flowTableDdl({ ...flowBase, table: 'x"; DROP TABLE y; --' })).toThrow(SqlValueError);
    expect(() => flowTableDdl({ ...flowBase, table: 'x"; DROP TABLE y; --' })).toThrow(/^table:/);
    expect(() => accessTableDdl({ ...accessBase, prefix: "logs'/" })).toThrow(/^location:/);
    expect(() => accessTableDdl({ ...accessBase, prefix: 'logs\\/' })).toThrow(SqlValueError);
    expect(() => queryString('a\u0000b')).toThrow(/NUL/);
  });
  it('keeps a hostile key prefix inside one literal', () => {
    const sql = accessProbeSql(accessBase, {
      accountId: '111122223333',
      region: 'eu-west-1',
      buckets: ['data-a'],
      keyPrefix: "p') OR 1=1 --",
      from: new Date('2026-12-03T00:00:00Z'),
      to: new Date('2026-12-03T00:00:00Z'),
    });
    expect(sql).toContain(`starts_with("key", 'p'') OR 1=1 --')`);
  });
});
