import type { AccessLogRecord } from './types.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** ISO 8601 → `[06/Feb/2019:00:00:38 +0000]` (UTC, whole seconds); `-` when absent or invalid. */
function formatTime(iso: string | null): string {
  if (iso === null) return '-';
  const d = new Date(iso);
  const ms = d.getTime();
  if (Number.isNaN(ms)) return '-';
  const year = d.getUTCFullYear();
  if (year < 1000 || year > 9999) return '-';
  return `[${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${year}:${pad2(d.getUTCHours())}:${pad2(
    d.getUTCMinutes(),
  )}:${pad2(d.getUTCSeconds())} +0000]`;
}

// Characters that would end or re-quote an unquoted field, or break the line.
const UNSAFE_PLAIN = /[ "\t\r\n]/g;
const PLAIN_ESCAPES: Record<string, string> = {
  ' ': '%20',
  '"': '%22',
  '\t': '%09',
  '\r': '%0D',
  '\n': '%0A',
};

/** An unquoted field: `-` for null or empty; space, quote and control breaks percent-encoded. */
function plain(v: string | null): string {
  if (v === null || v === '') return '-';
  return v.replace(UNSAFE_PLAIN, (c) => PLAIN_ESCAPES[c]!);
}

function num(v: number | null): string {
  return v === null || !Number.isFinite(v) ? '-' : String(Math.trunc(v));
}

/** A quoted field: `"-"` for null; `\` and `"` escaped with a backslash; line breaks become spaces. */
function quoted(v: string | null): string {
  if (v === null) return '"-"';
  return `"${v.replace(/[\\"]/g, '\\$&').replace(/[\r\n]/g, ' ')}"`;
}

/** A trailing field AWS may add: as is when it is one plain token, else quoted. */
function extraField(v: string): string {
  if (v !== '' && !/[ "\\\t\r\n]/.test(v) && v[0] !== '[') return v;
  return quoted(v);
}

/**
 * Writes a record as one S3 server access log line in the AWS format (no line break): the inverse of
 * `parseAccessLogLine` for every record that format can carry. Times are written in UTC with whole
 * seconds; `null` becomes `-` (or `"-"` in quoted fields); all 26 named fields are written, then
 * `extra`. A value that would break the line (a space in an unquoted field, a line break anywhere)
 * is encoded rather than emitted raw, so the output is always one parseable line.
 *
 * @example
 * const line = formatAccessLogRecord(record); // '79a5... DOC-EXAMPLE-BUCKET1 [06/Feb/2019:00:00:38 +0000] ...'
 */
export function formatAccessLogRecord(r: AccessLogRecord): string {
  const fields = [
    plain(r.bucketOwner),
    plain(r.bucket),
    formatTime(r.time),
    plain(r.remoteIp),
    plain(r.requester),
    plain(r.requestId),
    plain(r.operation),
    plain(r.key),
    quoted(r.requestUri),
    num(r.httpStatus),
    plain(r.errorCode),
    num(r.bytesSent),
    num(r.objectSize),
    num(r.totalTime),
    num(r.turnAroundTime),
    quoted(r.referer),
    quoted(r.userAgent),
    plain(r.versionId),
    plain(r.hostId),
    plain(r.signatureVersion),
    plain(r.cipherSuite),
    plain(r.authenticationType),
    plain(r.hostHeader),
    plain(r.tlsVersion),
    plain(r.accessPointArn),
    plain(r.aclRequired),
  ];
  for (const x of r.extra) fields.push(extraField(x));
  return fields.join(' ');
}
