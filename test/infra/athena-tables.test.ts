import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { loadInfraConfig } from '../../infra/config.js';
import { ValidationError } from '../../shared/errors.js';
import { runCli } from '../unit/run-cli.js';
import { ATHENA, type ConfigDoc, configWorkspace } from './config-workspace.js';

/**
 * deployment.evidence.createAthenaTables: the stack's Glue tables against the DDL that
 * `pathguard athena ddl` prints for the same config file. The DDL is read back here by its own
 * small reader (Hive's grammar for the clauses PathGuard writes, Hive's defaults for
 * `ROW FORMAT DELIMITED`), not by the generator's model, so a renderer that drops or reorders a
 * column, a key or a property on either side fails.
 */
const ws = configWorkspace('pg-athena-tables-');

const V5 =
  '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${vpc-id} ${subnet-id} ${instance-id} ${tcp-flags} ${type} ${pkt-srcaddr} ${pkt-dstaddr} ${region} ${az-id} ${sublocation-type} ${sublocation-id} ${pkt-src-aws-service} ${pkt-dst-aws-service} ${flow-direction} ${traffic-path}';

/** The example config, changed by `edit`, written to a file both the CLI and the CDK app read. */
function configFile(edit: (doc: ConfigDoc) => void): string {
  return ws.configFile((doc) => {
    doc.deployment.evidence.createAthenaTables = true;
    edit(doc);
  });
}

/** Flow logs through Athena at `location`; access logs through Athena from an existing bucket. */
function bothSources(location: ConfigDoc, access: ConfigDoc = {}) {
  return (doc: ConfigDoc) => {
    doc.evidence.flowLogs = { ...doc.evidence.flowLogs, engine: 'athena', athena: { ...ATHENA, location } };
    doc.deployment.evidence.accessLogBucket = 'org-access-logs';
    doc.deployment.evidence.accessLogPrefix = 'sal/';
    doc.evidence.accessLogs = {
      ...doc.evidence.accessLogs,
      engine: 'athena',
      bucket: 'org-access-logs',
      prefix: 'sal/',
      athena: { ...ATHENA, table: 'sal', ...access },
    };
  };
}

async function ddl(file: string): Promise<string[]> {
  const r = await runCli(['athena', 'ddl', '--config', file]);
  expect(r.code).toBe(0);
  return r.stdout.split(/;\n/).filter((s) => s.trim() !== '');
}

interface Described {
  database: string;
  name: string;
  columns: { Name: string; Type: string }[];
  partitionKeys: { Name: string; Type: string }[];
  location: string;
  serde: { SerializationLibrary: string; Parameters: Record<string, string> };
  inputFormat: string;
  outputFormat: string;
  parameters: Record<string, string>;
}

const unhive = (s: string) => s.replace(/\\(.)/g, '$1');
const col = (s: string) => {
  const m = /^`(\w+)` (\w+)$/.exec(s.trim());
  if (!m) throw new Error(`not a column: ${s}`);
  return { Name: m[1]!, Type: m[2]! };
};
const props = (body: string | undefined) =>
  Object.fromEntries(
    [...(body ?? '').matchAll(/^ {2}'([^']+)' = '((?:[^'\\]|\\.)*)'/gm)].map((m) => [m[1]!, unhive(m[2]!)]),
  );

/** A `CREATE EXTERNAL TABLE` statement as the catalog would hold it after Hive ran it. */
function readDdl(statement: string): Described {
  const sql = statement.replace(/^--.*\n/gm, '').trim();
  const head = /^CREATE EXTERNAL TABLE IF NOT EXISTS `(\w+)`\.`(\w+)` \(\n([\s\S]*?)\n\)\n/.exec(sql);
  if (!head) throw new Error(`not a CREATE EXTERNAL TABLE: ${sql.slice(0, 80)}`);
  const parts = /\nPARTITIONED BY \((.*)\)\n/.exec(sql);
  const delimited = /\nROW FORMAT DELIMITED\nFIELDS TERMINATED BY '(.)'\n/.exec(sql);
  const serde =
    /\nROW FORMAT SERDE '([^']+)'\n(?:WITH SERDEPROPERTIES \(\n([\s\S]*?)\n\)\n)?STORED AS INPUTFORMAT '([^']+)'\nOUTPUTFORMAT '([^']+)'\n/.exec(
      sql,
    );
  const location = /\nLOCATION '([^']+)'/.exec(sql);
  const tbl = /\nTBLPROPERTIES \(\n([\s\S]*?)\n\)$/.exec(sql.trimEnd());
  if (!location || !(delimited || serde)) throw new Error('no LOCATION or ROW FORMAT');
  return {
    database: head[1]!,
    name: head[2]!,
    columns: head[3]!.split(',\n').map(col),
    partitionKeys: parts ? parts[1]!.split(', ').map(col) : [],
    location: location[1]!,
    // Hive's ROW FORMAT DELIMITED: LazySimpleSerDe, TEXTFILE, serialization.format = the delimiter.
    serde: delimited
      ? {
          SerializationLibrary: 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe',
          Parameters: { 'field.delim': delimited[1]!, 'serialization.format': delimited[1]! },
        }
      : { SerializationLibrary: serde![1]!, Parameters: props(serde![2]) },
    inputFormat: delimited ? 'org.apache.hadoop.mapred.TextInputFormat' : serde![3]!,
    outputFormat: delimited ? 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat' : serde![4]!,
    parameters: { EXTERNAL: 'TRUE', ...props(tbl?.[1]) },
  };
}

/** Each AWS::Glue::Table of the template, in the same shape. */
function glueTables(template: Template): Described[] {
  return Object.values(template.findResources('AWS::Glue::Table')).map((r) => {
    const p = (r as { Properties: ConfigDoc }).Properties;
    const t = p.TableInput;
    expect(t.TableType).toBe('EXTERNAL_TABLE');
    return {
      database: p.DatabaseName,
      name: t.Name,
      columns: t.StorageDescriptor.Columns,
      partitionKeys: t.PartitionKeys ?? [],
      location: t.StorageDescriptor.Location,
      serde: { Parameters: {}, ...t.StorageDescriptor.SerdeInfo },
      inputFormat: t.StorageDescriptor.InputFormat,
      outputFormat: t.StorageDescriptor.OutputFormat,
      parameters: t.Parameters,
    };
  });
}

const tablesStatement = (template: Template) =>
  Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((p) => (p as { Properties: ConfigDoc }).Properties.PolicyDocument.Statement as ConfigDoc[])
    .find((s) => s.Sid === 'AthenaEvidenceTables');

describe.each([
  ['plain text, daily; partitioned access logs', bothSources({ bucket: 'org-flow-logs', prefix: 'vpc/' })],
  [
    'Hive-compatible Parquet, hourly, v5 fields; simple access logs',
    bothSources(
      { bucket: 'org-flow-logs', layout: 'hive', hourly: true, fileFormat: 'parquet', logFormat: V5 },
      { layout: 'simple' },
    ),
  ],
  [
    'organisation layout, text, hourly; access logs in their own database',
    bothSources(
      { bucket: 'org-flow-logs', orgId: 'o-abcdef1234', hourly: true },
      { database: 'pathguard_access' },
    ),
  ],
])('Glue tables from the stack match `athena ddl`: %s', (_name, edit) => {
  const file = configFile(edit);
  const { template, violations } = ws.synth(file);

  it('one Glue table per printed statement, equal in columns, keys, location, SerDe and projection', async () => {
    const printed = (await ddl(file)).map(readDdl);
    const created = glueTables(template);
    expect(printed).toHaveLength(2);
    const byName = (x: Described[]) =>
      Object.fromEntries(x.map((t) => [`${t.database}.${t.name}`, t] as const));
    expect(byName(created)).toEqual(byName(printed));
    for (const t of printed) {
      expect(t.columns.length).toBeGreaterThan(10);
      if (t.partitionKeys.length > 0) {
        expect(t.parameters['projection.enabled']).toBe('true');
        expect(t.parameters['storage.location.template']).toMatch(/^s3:\/\/org-(flow|access)-logs\//);
      }
    }
  });

  it('a database for each table, and the analyze role reads exactly those', () => {
    const created = glueTables(template);
    const dbs = Object.values(template.findResources('AWS::Glue::Database')).map(
      (r) => (r as { Properties: ConfigDoc }).Properties.DatabaseInput.Name,
    );
    expect(dbs.sort()).toEqual([...new Set(created.map((t) => t.database))].sort());
    const s = tablesStatement(template);
    expect([...((s?.Action ?? []) as string[])].sort()).toEqual([
      'glue:GetDatabase',
      'glue:GetPartitions',
      'glue:GetTable',
    ]);
    const res = JSON.stringify(s?.Resource);
    expect([...res.matchAll(/:table\/(\w+)\/(\w+)/g)].map((m) => `${m[1]}.${m[2]}`).sort()).toEqual(
      created.map((t) => `${t.database}.${t.name}`).sort(),
    );
    expect([...res.matchAll(/:database\/(\w+)/g)].map((m) => m[1]).sort()).toEqual([...dbs].sort());
    expect(res).not.toContain('*');
  });

  it('leaves cdk-nag with nothing unacknowledged', () => {
    expect(violations).toEqual([]);
  });
});

describe('the stack own access-log bucket', () => {
  it('the table reads it by reference, under the configured prefix, with the simple layout', () => {
    const { template } = ws.synth(
      configFile((doc) => {
        doc.evidence.accessLogs = {
          ...doc.evidence.accessLogs,
          engine: 'athena',
          athena: { ...ATHENA, layout: 'simple' },
        };
      }),
    );
    const [t, ...rest] = glueTables(template);
    expect(rest).toEqual([]);
    expect(t?.partitionKeys).toEqual([]);
    const bucket = Object.keys(template.findResources('AWS::S3::Bucket')).find((id) =>
      id.includes('ServerAccessLogs'),
    );
    expect(t?.location).toEqual({ 'Fn::Join': ['', ['s3://', { Ref: bucket }, '/access-logs/']] });
  });
});

describe('the tables are created only when asked, and only when they can be right', () => {
  const issues = (edit: (doc: ConfigDoc) => void) => {
    try {
      loadInfraConfig(configFile(edit));
    } catch (e) {
      if (e instanceof ValidationError) return e.message;
      throw e;
    }
    return '';
  };

  it('no Glue resource without the setting, athena engines or not', () => {
    const { template } = ws.synth(
      configFile((doc) => {
        bothSources({ bucket: 'org-flow-logs' })(doc);
        doc.deployment.evidence.createAthenaTables = false;
      }),
    );
    expect(template.findResources('AWS::Glue::Table')).toEqual({});
    expect(template.findResources('AWS::Glue::Database')).toEqual({});
  });

  it('refuses the setting with no source on the athena engine', () => {
    expect(issues(() => {})).toMatch(/deployment\.evidence\.createAthenaTables.*no evidence source/);
  });

  it('refuses a flow-log table whose folders and format the config does not give', () => {
    expect(
      issues((doc) => {
        doc.evidence.flowLogs = { ...doc.evidence.flowLogs, engine: 'athena', athena: ATHENA };
      }),
    ).toMatch(/evidence\.flowLogs\.athena\.location.*required/);
  });

  it('refuses a partitioned table over the simple key format the stack access logging writes', () => {
    expect(
      issues((doc) => {
        doc.evidence.accessLogs = { ...doc.evidence.accessLogs, engine: 'athena', athena: ATHENA };
      }),
    ).toMatch(/evidence\.accessLogs\.athena\.layout.*simple key format/);
  });

  it('refuses an access-log prefix DDL cannot hold, as the ddl command does', () => {
    expect(
      issues((doc) => {
        bothSources({ bucket: 'org-flow-logs' })(doc);
        doc.deployment.evidence.accessLogPrefix = "sal'/";
        doc.evidence.accessLogs.prefix = "sal'/";
      }),
    ).toMatch(/evidence\.accessLogs.*location:.*holds a character/);
  });
});
