/**
 * Partition projection (Athena, "Partition projection with Amazon Athena"): the table properties
 * say how partition values map to S3 folders, so Athena computes the folders a query needs from
 * its WHERE clause, with no crawler, no `MSCK REPAIR` and no partition in the Glue catalog.
 *
 * PathGuard uses two projection types:
 *
 * - `date` for the time folders (`yyyy/MM/dd`, or `yyyy/MM/dd/HH` with hourly partitions): a
 *   `BETWEEN` on the column prunes to the window's folders;
 * - `injected` for accounts, Regions and source buckets: Athena takes the values from the query's
 *   equality conditions ("the WHERE clause must contain only static equality conditions"), so a
 *   table serves any number of accounts without listing them, and a query without them fails
 *   instead of reading everything.
 *
 * Hive-compatible flow-log folders (`year=YYYY/month=MM/day=DD[/hour=HH]`) cannot be one date
 * column: each of year, month, day and hour is an `integer` projection, and a window is the OR of
 * its (year, month, day[, hour]) tuples.
 */
import { ddlString, queryInteger, queryName, queryString } from './sql.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Flow logs reached S3 in 2018; nothing PathGuard queries is older. */
export const PROJECTION_START_YEAR = 2018;

const pad = (n: number) => String(n).padStart(2, '0');

/** The UTC folder starts (each day, or each hour) from `from`'s folder to `to`'s. */
export function folderTimes(from: Date, to: Date, hourly: boolean): Date[] {
  const step = hourly ? HOUR : DAY;
  const out: Date[] = [];
  for (let t = Math.floor(from.getTime() / step) * step; t <= to.getTime(); t += step) out.push(new Date(t));
  return out;
}

/** `2026/12/03` or `2026/12/03/16`: the value a date projection gives a folder. */
export function dateFolder(d: Date, hourly: boolean): string {
  const day = `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}`;
  return hourly ? `${day}/${pad(d.getUTCHours())}` : day;
}

/** Table properties of a date projection over `column`. */
export function dateProjection(column: string, hourly: boolean): [string, string][] {
  return [
    [`projection.${column}.type`, 'date'],
    [`projection.${column}.format`, hourly ? 'yyyy/MM/dd/HH' : 'yyyy/MM/dd'],
    [`projection.${column}.range`, `${PROJECTION_START_YEAR}/01/01${hourly ? '/00' : ''},NOW`],
    [`projection.${column}.interval`, '1'],
    [`projection.${column}.interval.unit`, hourly ? 'HOURS' : 'DAYS'],
  ];
}

/** Table properties of the Hive-style integer projections. */
export function hiveProjection(hourly: boolean): [string, string][] {
  const int = (c: string, lo: number, hi: number, digits?: number): [string, string][] => [
    [`projection.${c}.type`, 'integer'],
    [`projection.${c}.range`, `${lo},${hi}`],
    ...(digits ? ([[`projection.${c}.digits`, String(digits)]] as [string, string][]) : []),
  ];
  return [
    ...int('year', PROJECTION_START_YEAR, 2099),
    ...int('month', 1, 12, 2),
    ...int('day', 1, 31, 2),
    ...(hourly ? int('hour', 0, 23, 2) : []),
  ];
}

/** `'projection.x.type' = 'injected'`. */
export function injectedProjection(column: string): [string, string][] {
  return [[`projection.${column}.type`, 'injected']];
}

/** The `TBLPROPERTIES (…)` clause, one property a line. */
export function tblProperties(props: readonly (readonly [string, string])[]): string {
  return `TBLPROPERTIES (\n${props.map(([k, v]) => `  ${ddlString(k, 'property name')} = ${ddlString(v, k)}`).join(',\n')}\n)`;
}

/** `"dt" BETWEEN '2026/12/02' AND '2026/12/03'`: the window's date folders. */
export function datePredicate(column: string, from: Date, to: Date, hourly: boolean): string {
  return `${queryName(column)} BETWEEN ${queryString(dateFolder(from, hourly))} AND ${queryString(dateFolder(to, hourly))}`;
}

/** `(("year" = 2026 AND "month" = 12 AND "day" = 3) OR …)`: the window's Hive folders. */
export function hivePredicate(from: Date, to: Date, hourly: boolean): string {
  const tuples = folderTimes(from, to, hourly).map((d) => {
    const parts = [
      `"year" = ${queryInteger(d.getUTCFullYear(), 'year')}`,
      `"month" = ${queryInteger(d.getUTCMonth() + 1, 'month')}`,
      `"day" = ${queryInteger(d.getUTCDate(), 'day')}`,
      ...(hourly ? [`"hour" = ${queryInteger(d.getUTCHours(), 'hour')}`] : []),
    ];
    return `(${parts.join(' AND ')})`;
  });
  return tuples.length === 1 ? tuples[0]! : `(${tuples.join('\n    OR ')})`;
}
