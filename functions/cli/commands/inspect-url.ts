import {
  inspectPost,
  inspectUrl,
  isAtLeast,
  type PostInspection,
  readAsUrl,
  readPostForm,
  redactText,
  type Severity,
  type UrlInspection,
} from '../../../shared/endpoints/index.js';
import { UserInputError } from '../../../shared/errors.js';
import { parseError } from '../../../shared/result.js';
import { escapeControlChars } from '../../../shared/text/escape.js';
import { LineSplitter } from '../../../shared/text/line-splitter.js';
import { RejectCounter } from '../../../shared/text/rejects.js';
import { loadEnvironmentFile } from '../../lib/environment-file.js';
import { openInput } from '../../lib/input.js';
import { type CliIo, type CommandSpec, writeOut } from '../command.js';
import { EXIT_FINDINGS, inspectUrlInfo, MAX_LINE_BYTES } from './inspect-url.info.js';

const FAIL_ON: readonly Severity[] = ['high', 'medium', 'low'];
/** Exit status when an input is not a URL (usage or invalid input, as everywhere in the CLI). */
const EXIT_NOT_A_URL = 2;
/** Longest standard input read as one JSON document (a pretty-printed form or a list of forms). */
const MAX_DOCUMENT_BYTES = 1024 * 1024;
/** Table rows rendered together when reading standard input: constant memory for any input. */
const TABLE_BLOCK_ROWS = 100;

/**
 * `pathguard inspect-url URL... [--env ENV.json] [--json] [--fail-on high|medium|low]`: reads
 * presigned URLs the way an S3 networking expert would. Every line it prints goes through the
 * product's redaction, so no signature, token or access key id reaches the terminal.
 */
export const inspectUrlCommand: CommandSpec = {
  ...inspectUrlInfo,
  async run({ values, positionals, io }) {
    if (positionals.length === 0) {
      throw new UserInputError('USAGE', "give at least one URL, or '-' to read URLs from standard input");
    }
    const failOn = parseFailOn(values['fail-on']);
    const now = parseNow(values.now);
    const longExpirySeconds = parseLongExpiry(values['long-expiry']);
    const env = typeof values.env === 'string' ? await loadEnvironmentFile(values.env) : undefined;
    const subnetId = typeof values.subnet === 'string' ? values.subnet : undefined;
    if (subnetId !== undefined && env === undefined)
      throw new UserInputError('USAGE', '--subnet needs --env');
    const options = { now, longExpirySeconds, ...(env ? { env } : {}), ...(subnetId ? { subnetId } : {}) };

    const asJson = values.json === true;
    // Arguments are checked before anything is printed: one that is neither a URL nor a form is a usage error.
    const targets = positionals.map((p, i) => (p === '-' ? null : argumentTarget(p, i)));
    let table: UrlInspection[] = [];
    let rowNo = 0;
    let failed = false;
    const flushTable = async () => {
      if (table.length === 0) return;
      await writeOut(io.stdout, renderTable(table, rowNo - table.length));
      table = [];
    };
    const handle = async (t: Target) => {
      const r = t.kind === 'url' ? inspectUrl(t.url, options) : inspectPost(t.form, options);
      rowNo++;
      if (failOn !== null && r.findings.some((f) => isAtLeast(f.severity, failOn))) failed = true;
      if (asJson) await writeOut(io.stdout, `${escapeControlChars(redactText(JSON.stringify(r)))}\n`);
      else {
        table.push(r);
        if (table.length >= TABLE_BLOCK_ROWS) await flushTable();
      }
    };
    const rejects = new RejectCounter();
    let stdinRead = false;
    for (const t of targets) {
      if (t !== null) {
        await handle(t);
        continue;
      }
      if (stdinRead) continue;
      stdinRead = true;
      await forEachInput(io, rejects, handle);
    }
    if (!asJson) {
      if (rowNo === 0) await writeOut(io.stdout, 'no URLs\n');
      await flushTable();
    }
    if (rejects.count > 0) {
      io.stderr.write(`${rejects.format().join('\n')}\n`);
      return EXIT_NOT_A_URL;
    }
    return failed ? EXIT_FINDINGS : 0;
  },
};

/** Whether `s` is a URL as a WHATWG parser reads it (what `new URL` and S3 clients accept). */
function isUrl(s: string): boolean {
  return URL.canParse(readAsUrl(s));
}

/** What one input is: a URL, or a presigned POST form (checked, not yet inspected). */
type Target = { kind: 'url'; url: string } | { kind: 'post'; form: unknown };

/** A text starting with `{` is a form, else it is read as a URL. */
function looksLikeForm(s: string): boolean {
  return s.trimStart().startsWith('{');
}

function argumentTarget(p: string, i: number): Target {
  if (looksLikeForm(p)) {
    const read = readPostForm(p.trim());
    // The reason is ours (readPostForm never quotes the input), so it can be printed.
    if (!read.ok)
      throw new UserInputError('BAD_FORM', `argument ${i + 1} is not a presigned POST form: ${read.error}`);
    return { kind: 'post', form: read.value };
  }
  if (!isUrl(p))
    throw new UserInputError('BAD_URL', `argument ${i + 1} is not a URL (give a presigned https:// URL)`);
  return { kind: 'url', url: p };
}

function parseFailOn(v: unknown): Severity | null {
  if (v === undefined) return null;
  if (typeof v === 'string' && (FAIL_ON as readonly string[]).includes(v)) return v as Severity;
  throw new UserInputError('USAGE', `--fail-on must be one of ${FAIL_ON.join(', ')}`);
}

function parseNow(v: unknown): Date {
  if (v === undefined) return new Date();
  const d = typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v) ? new Date(v) : new Date(Number.NaN);
  if (Number.isNaN(d.getTime()))
    throw new UserInputError('USAGE', '--now must be an ISO 8601 time, e.g. 2026-01-15T10:30:00Z');
  return d;
}

function parseLongExpiry(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string' && /^\d{1,9}$/.test(v)) return Number(v);
  throw new UserInputError('USAGE', '--long-expiry must be a whole number of seconds');
}

/**
 * Hands each URL or form of standard input to `handle` as the lines arrive (one chunk's lines at
 * a time, so memory does not grow with the input). Blank lines and `#` comments are skipped; a
 * line starting with `{` is a form on one line. When the first line opens a JSON document that
 * does not end on that line (a pretty-printed form, or a list of forms), the whole input, up to
 * {@link MAX_DOCUMENT_BYTES}, is that document. Over-long lines, lines that are neither a URL nor
 * a form, and a document that is not JSON go to `rejects` by line number, never echoed.
 */
async function forEachInput(
  io: CliIo,
  rejects: RejectCounter,
  handle: (t: Target) => Promise<void>,
): Promise<void> {
  const input = await openInput('-', io.stdin);
  const decoder = new TextDecoder();
  let pending: Target[] = [];
  let document: string[] | null = null;
  let documentBytes = 0;
  let seenInput = false;
  const splitter = new LineSplitter(
    (buf, a, b, n) => {
      const raw = decoder.decode(buf.subarray(a, b));
      if (document !== null) {
        documentBytes += b - a + 1;
        if (documentBytes <= MAX_DOCUMENT_BYTES) document.push(raw);
        return;
      }
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const first = !seenInput;
      seenInput = true;
      if (first && (line.startsWith('[') || (looksLikeForm(line) && !isJson(line)))) {
        document = [raw];
        documentBytes = b - a + 1;
        return;
      }
      if (looksLikeForm(line)) {
        const read = readPostForm(line);
        if (read.ok) pending.push({ kind: 'post', form: read.value });
        else rejects.add('-', n, parseError('BAD_VALUE', `not a presigned POST form: ${read.error}`));
      } else if (isUrl(line)) pending.push({ kind: 'url', url: line });
      else rejects.add('-', n, parseError('BAD_VALUE', 'not a URL'));
    },
    {
      maxLineBytes: MAX_LINE_BYTES,
      onTooLong: (n, bytes) =>
        rejects.add(
          '-',
          n,
          parseError('LINE_TOO_LONG', `${bytes} bytes, longer than a URL or a form can be`),
        ),
    },
  );
  const drain = async () => {
    const targets = pending;
    pending = [];
    for (const t of targets) await handle(t);
  };
  for await (const chunk of input.chunks) {
    splitter.push(chunk);
    await drain();
  }
  splitter.end();
  await drain();
  if (document !== null) {
    if (documentBytes > MAX_DOCUMENT_BYTES) {
      rejects.add('-', 1, parseError('LINE_TOO_LONG', `a JSON document over ${MAX_DOCUMENT_BYTES} bytes`));
      return;
    }
    for (const t of documentTargets((document as string[]).join('\n'), rejects)) await handle(t);
  }
}

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

/** The forms of one JSON document: a form, or a list of forms (each checked; bad ones counted by position). */
function documentTargets(text: string, rejects: RejectCounter): Target[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    rejects.add('-', 1, parseError('BAD_JSON', 'the JSON document on standard input is not valid JSON'));
    return [];
  }
  const items = Array.isArray(doc) ? doc : [doc];
  const out: Target[] = [];
  items.forEach((item, i) => {
    const read = readPostForm(item);
    if (read.ok) out.push({ kind: 'post', form: read.value });
    else
      rejects.add(
        '-',
        1,
        parseError('BAD_VALUE', `form ${i + 1} of the document is not a presigned POST form: ${read.error}`),
      );
  });
  return out;
}

// --- Environment ------------------------------------------------------------------------------

/** One block of the table; `first` is the number of rows printed before it. Cells are escaped. */
function renderTable(rows: readonly UrlInspection[], first = 0): string {
  if (rows.length === 0) return 'no URLs\n';
  const head = [
    '#',
    'ENDPOINT',
    'REGION',
    'BUCKET',
    'KEY',
    'SIGNATURE',
    'EXPIRES IN',
    'VPC',
    'ON-PREM',
    'FINDINGS',
  ];
  const body = rows.map((r, i) => [
    String(first + i + 1),
    `${r.addressingStyle ? `${r.endpointKind} (${r.addressingStyle})` : r.endpointKind}${isPost(r) ? ' POST' : ''}`,
    r.region ?? '-',
    clip(escapeControlChars(r.bucket ?? '-'), 28),
    clip(escapeControlChars(r.key ?? '-'), 28),
    r.signature.version === 'none'
      ? 'none'
      : `${r.signature.version}${r.signature.credentialKind ? ` ${r.signature.credentialKind}` : ''}`,
    expiresIn(r.signature.expiresInSeconds),
    r.expectedPath.vpc,
    r.expectedPath.onprem,
    countFindings(r),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((row) => row[c]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  const out = [line(head), ...body.map(line), ''];
  rows.forEach((r, i) => {
    out.push(`${first + i + 1}  ${escapeControlChars(r.url)}`);
    out.push(`   vpc: ${r.expectedPath.vpc}: ${r.expectedPath.reasons.vpc}`);
    out.push(`   on-prem: ${r.expectedPath.onprem}: ${r.expectedPath.reasons.onprem}`);
    if (isPost(r)) out.push(`   post policy: ${escapeControlChars(describePolicy(r))}`);
    const codeWidth = Math.max(0, ...r.findings.map((f) => f.code.length));
    for (const f of r.findings)
      out.push(
        `   ${f.severity.toUpperCase().padEnd(6)}  ${f.code.padEnd(codeWidth)}  ${escapeControlChars(f.message)}`,
      );
    out.push('');
  });
  return redactText(out.join('\n'));
}

function isPost(r: UrlInspection): r is PostInspection {
  return (r as Partial<PostInspection>).post !== undefined;
}

/** One line: the policy's expiry, bucket, key and size conditions, as read. */
function describePolicy(r: PostInspection): string {
  const p = r.post.policy;
  if (p === null) return 'unreadable (see the findings)';
  const key = p.key === null ? 'key: no condition' : `key ${p.key.match} ${JSON.stringify(p.key.value)}`;
  const size = p.contentLengthRange
    ? `content-length-range ${p.contentLengthRange.min}..${p.contentLengthRange.max}`
    : 'content-length-range: none';
  return [
    `expires ${p.expiration ?? '-'}`,
    `bucket ${p.bucket ?? '-'}`,
    key,
    size,
    `${p.conditions.length} condition${p.conditions.length === 1 ? '' : 's'}`,
  ].join(', ');
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function expiresIn(s: number | null): string {
  if (s === null) return '-';
  if (s <= 0) return 'expired';
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min`;
  if (s < 172800) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86400)} d`;
}

function countFindings(r: UrlInspection): string {
  const n: Record<Severity, number> = { high: 0, medium: 0, low: 0, info: 0 };
  for (const f of r.findings) n[f.severity]++;
  const parts = (['high', 'medium', 'low', 'info'] as const)
    .filter((s) => n[s] > 0)
    .map((s) => `${n[s]} ${s}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}
