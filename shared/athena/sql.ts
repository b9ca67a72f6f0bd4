/**
 * The only ways a value enters the SQL PathGuard sends to Athena. Two dialects meet here: DDL runs
 * on Hive (identifiers in backticks, string literals whose escapes are backslashes), queries run
 * on Trino (identifiers in double quotes, a quote inside a literal written twice). So:
 *
 * - identifiers (database, table, column names) pass an allow-list pattern or are refused;
 * - DDL literals (S3 locations, projection properties) pass an allow-list too: Hive's backslash
 *   escapes are not worth getting right when no legitimate value needs a quote;
 * - query literals (keys, addresses, bucket names) are Trino string literals with `'` doubled, so
 *   any text, whatever it holds, stays one literal (property-tested).
 */
import { PathGuardError } from '../errors.js';

/** A value PathGuard refused to put in SQL; the message names what it was for. */
export class SqlValueError extends PathGuardError {
  constructor(what: string, reason: string) {
    super('SQL_VALUE_REFUSED', `${what}: ${reason}`, { what });
  }
}

/** Glue names: lower case (Athena lower-cases them), a letter first, at most 128 characters. */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,127}$/;
/**
 * What a DDL literal may hold: S3 URIs of validated buckets and prefixes, `${column}` placeholders,
 * projection formats and ranges. No quote, backslash, control character or non-ASCII text.
 */
const DDL_LITERAL = /^[A-Za-z0-9 _.,:/=${}!()*+-]*$/;

/** Checks a Glue/Athena name and returns it unchanged. */
export function identifier(name: string, what = 'identifier'): string {
  if (!IDENTIFIER.test(name)) {
    throw new SqlValueError(what, `'${printable(name)}' is not a name (lower-case letters, digits, _)`);
  }
  return name;
}

/** An identifier for a query (Trino): `"end"`. */
export function queryName(name: string): string {
  return `"${identifier(name, 'column')}"`;
}

/** An identifier for DDL (Hive): `` `end` ``. */
export function ddlName(name: string): string {
  return `\`${identifier(name, 'column')}\``;
}

/** `"db"."table"` for a query. */
export function queryTable(database: string, table: string): string {
  return `"${identifier(database, 'database')}"."${identifier(table, 'table')}"`;
}

/** `` `db`.`table` `` for DDL. */
export function ddlTable(database: string, table: string): string {
  return `\`${identifier(database, 'database')}\`.\`${identifier(table, 'table')}\``;
}

/**
 * A Trino string literal: quotes around, every `'` doubled. Nothing inside can end the literal:
 * Trino has no backslash escapes in standard string literals. NUL is refused (it has no meaning
 * in any value PathGuard queries and some drivers truncate at it).
 *
 * @example queryString("it's") // "'it''s'"
 */
export function queryString(value: string): string {
  if (value.includes('\u0000')) throw new SqlValueError('string literal', 'contains NUL');
  return `'${value.replaceAll("'", "''")}'`;
}

/** `('a', 'b')` for an IN list; at least one value. */
export function queryStringList(values: readonly string[], what: string): string {
  if (values.length === 0) throw new SqlValueError(what, 'an IN list needs at least one value');
  return `(${values.map(queryString).join(', ')})`;
}

/** A DDL string literal (`'…'`) of allow-listed characters. */
export function ddlString(value: string, what: string): string {
  if (!DDL_LITERAL.test(value)) {
    throw new SqlValueError(what, `'${printable(value)}' holds a character DDL literals do not take`);
  }
  return `'${value}'`;
}

/** A safe integer, for LIMIT and epoch-second bounds. */
export function queryInteger(n: number, what: string): string {
  if (!Number.isSafeInteger(n)) throw new SqlValueError(what, `${String(n)} is not an integer`);
  return String(n);
}

/** Refused values are echoed shortened and with control characters shown as `?`. */
function printable(s: string): string {
  return s.slice(0, 60).replace(/[\u0000-\u001f\u007f]/g, '?');
}
