import { Aws, aws_iam as iam, type aws_lambda as lambda, Validations } from 'aws-cdk-lib';
import { DEFAULT_ACCESS_TABLE, DEFAULT_FLOW_TABLE } from '../../shared/athena/config-tables.js';
import type { PathGuardConfig } from '../../shared/config/index.js';

/** What the analyze function needs to query evidence through Athena. */
export interface AthenaEngineGrants {
  readonly workgroup: string;
  /** Each Glue database with the tables PathGuard queries in it. */
  readonly tables: readonly { readonly database: string; readonly table: string }[];
  /** Log objects Athena reads with the function's credentials, beyond those the stack already grants. */
  readonly logs: readonly { readonly bucket: string; readonly prefix: string }[];
  /** `s3://bucket/prefix/` results location. @default the workgroup's (granted by its owner) */
  readonly outputLocation?: string;
}

/**
 * The grants a config's athena engines need, or undefined when no source uses Athena (the stack
 * then grants nothing of Athena or Glue, and its template does not change).
 */
export function athenaEngineGrants(c: PathGuardConfig): AthenaEngineGrants | undefined {
  const flow =
    c.evidence.flowLogs.enabled && c.evidence.flowLogs.engine === 'athena'
      ? c.evidence.flowLogs.athena
      : undefined;
  const access =
    c.evidence.accessLogs.enabled && c.evidence.accessLogs.engine === 'athena'
      ? c.evidence.accessLogs.athena
      : undefined;
  const first = flow ?? access;
  if (!first) return undefined;
  const tables = [
    ...(flow ? [{ database: flow.database, table: flow.table ?? DEFAULT_FLOW_TABLE }] : []),
    ...(access ? [{ database: access.database, table: access.table ?? DEFAULT_ACCESS_TABLE }] : []),
  ];
  const loc = flow?.location;
  const output = flow?.outputLocation ?? access?.outputLocation;
  return {
    workgroup: first.workgroup,
    tables,
    logs: loc ? [{ bucket: loc.bucket, prefix: `${loc.prefix}AWSLogs/` }] : [],
    ...(output ? { outputLocation: output } : {}),
  };
}

/**
 * Grants the analyze function what an Athena query run on its behalf needs: the query actions on
 * its workgroup only; the Glue catalog, database and tables it queries (read); the log objects
 * (read, with a prefix-bound listing); and the results location (read and write: Athena writes
 * the results with the caller's credentials and GetQueryResults reads them back).
 */
export function grantAthenaEngines(fn: lambda.Function, g: AthenaEngineGrants): void {
  const arn = (service: string, resource: string) =>
    `arn:${Aws.PARTITION}:${service}:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}`;
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'AthenaEvidenceQueries',
      actions: [
        'athena:StartQueryExecution',
        'athena:GetQueryExecution',
        'athena:GetQueryResults',
        'athena:StopQueryExecution',
      ],
      resources: [arn('athena', `workgroup/${g.workgroup}`)],
    }),
  );
  const databases = [...new Set(g.tables.map((t) => t.database))];
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'AthenaEvidenceTables',
      actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'],
      resources: [
        arn('glue', 'catalog'),
        ...databases.map((d) => arn('glue', `database/${d}`)),
        ...g.tables.map((t) => arn('glue', `table/${t.database}/${t.table}`)),
      ],
    }),
  );
  const wildcards: string[] = [];
  for (const l of g.logs) {
    grantPrefix(fn, l.bucket, l.prefix, ['s3:GetObject']);
    wildcards.push(`Resource::arn:<AWS::Partition>:s3:::${l.bucket}/${l.prefix}*`);
  }
  const out = g.outputLocation ? /^s3:\/\/([^/]+)\/?(.*)$/.exec(g.outputLocation) : null;
  if (out) {
    const prefix = out[2] ?? '';
    grantPrefix(fn, out[1]!, prefix, ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload']);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetBucketLocation'],
        resources: [`arn:${Aws.PARTITION}:s3:::${out[1]}`],
      }),
    );
    wildcards.push(`Resource::arn:<AWS::Partition>:s3:::${out[1]}/${prefix}*`);
  }
  for (const id of wildcards) {
    Validations.of(fn.role!).acknowledge({
      id: `AwsSolutions-IAM5[${id}]`,
      reason:
        'Athena reads log objects and writes query results under per-query generated keys, within one prefix.',
    });
  }
}

function grantPrefix(fn: lambda.Function, bucket: string, prefix: string, actions: string[]): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions, resources: [`arn:${Aws.PARTITION}:s3:::${bucket}/${prefix}*`] }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [`arn:${Aws.PARTITION}:s3:::${bucket}`],
      conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
    }),
  );
}
