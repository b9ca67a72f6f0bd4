import { Aws, aws_glue as glue } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { AthenaTable } from '../../shared/athena/table-model.js';

export interface AthenaTablesProps {
  /**
   * The tables, each from the shared/athena model `pathguard athena ddl` prints
   * (`flowTable`, `accessTable`). A location may hold a token (the stack's own access-log bucket).
   */
  readonly tables: readonly AthenaTable[];
}

/**
 * The Glue table input of `t`: the same columns, partition keys, SerDe, formats and table
 * properties as its DDL. `EXTERNAL` marks it as Hive's `CREATE EXTERNAL TABLE` does: dropping the
 * table never touches the logs.
 */
export function glueTableInput(t: AthenaTable): glue.CfnTable.TableInputProperty {
  return {
    name: t.table,
    tableType: 'EXTERNAL_TABLE',
    parameters: { EXTERNAL: 'TRUE', ...Object.fromEntries(t.properties) },
    partitionKeys: t.partitionKeys.map((c) => ({ name: c.name, type: c.type })),
    storageDescriptor: {
      columns: t.columns.map((c) => ({ name: c.name, type: c.type })),
      location: t.location,
      inputFormat: t.inputFormat,
      outputFormat: t.outputFormat,
      serdeInfo: { serializationLibrary: t.serde.library, parameters: { ...t.serde.parameters } },
    },
  };
}

/**
 * The Glue databases and tables the athena engines query (deployment.evidence.createAthenaTables),
 * with partition projection so no crawler and no `MSCK REPAIR` ever runs. Tables hold no data:
 * deleting the stack deletes the definitions, never a log object.
 */
export class AthenaTables extends Construct {
  /** Each created table by `database.table`. */
  readonly tables: ReadonlyMap<string, glue.CfnTable>;

  constructor(scope: Construct, id: string, props: AthenaTablesProps) {
    super(scope, id);
    const databases = new Map<string, glue.CfnDatabase>();
    for (const name of new Set(props.tables.map((t) => t.database))) {
      databases.set(
        name,
        new glue.CfnDatabase(this, `Database-${name}`, {
          catalogId: Aws.ACCOUNT_ID,
          databaseInput: { name, description: 'PathGuard evidence tables (partition projection)' },
        }),
      );
    }
    const tables = new Map<string, glue.CfnTable>();
    for (const t of props.tables) {
      const table = new glue.CfnTable(this, `Table-${t.database}-${t.table}`, {
        catalogId: Aws.ACCOUNT_ID,
        databaseName: t.database,
        tableInput: glueTableInput(t),
      });
      table.addDependency(databases.get(t.database)!);
      tables.set(`${t.database}.${t.table}`, table);
    }
    this.tables = tables;
  }
}
