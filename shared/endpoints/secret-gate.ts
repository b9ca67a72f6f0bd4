/**
 * The names whose values {@link redactText} removes, and {@link mayHoldSecret}, the one check that
 * lets text with nothing to remove skip the redaction scanner (and lets a log parser skip every
 * field of a record whose raw line passes it).
 *
 * @see ./redact.ts for what is removed and how text is read.
 */

/**
 * Secret-carrying names, lower case, as they read once percent-decoded. A name is matched anywhere
 * (not only at a parameter start) because the character before it may be an escape such as
 * `\u0026` in JSON; matching inside a longer name only ever removes more.
 * Longer names sharing a start come first (`signatureprovided` before `signature`).
 */
export const NAMES_S = [
  'signatureprovided',
  'signature',
  'security-token',
  'securitytoken',
  'session-token',
  'sessiontoken',
  'session_token',
  'secretaccesskey',
  'secret_access_key',
] as const;
export const NAMES_C = ['credential'] as const;
export const NAMES_A = ['accesskeyid', 'access_key_id'] as const;
export const NAMES_P = ['policy'] as const;
const ALL_NAMES: readonly string[] = [...NAMES_S, ...NAMES_C, ...NAMES_A, ...NAMES_P];

/** The names that can start at a character (any case), or undefined. */
export function namesStartingWith(c: number): readonly string[] | undefined {
  switch (c | 0x20) {
    case 0x73 /* s */:
      return NAMES_S;
    case 0x63 /* c */:
      return NAMES_C;
    case 0x61 /* a */:
      return NAMES_A;
    case 0x70 /* p */:
      return NAMES_P;
    default:
      return undefined;
  }
}

/**
 * True unless `text` certainly holds nothing {@link redactText} would remove; conservative (a
 * true is only a "look closer"). Total: any string, never throws.
 *
 * Redaction removes a value only after a name and a separator (`name=`, `name:`, `"name": `,
 * `<Name>`), or the user info between `://` and `@`. Without a backslash, TAB, LF or CR, and
 * without a percent escape that decodes to a name character (a letter, `-`, `_`) or to `%`, every
 * name reads in the text as it is, so a look back from each separator (written plainly or as one
 * escape, `%3D`) for the end of a name decides; `@` is the other thing to look for. Other text
 * is a "maybe". No regular expression: the one this replaced (names, whitespace, escapes, in any
 * case) cost about as much per access-log line as building its JSON; `indexOf` runs at memory
 * speed (docs/benchmarks.md).
 *
 * @example
 * mayHoldSecret('GET /data/part-1.parquet HTTP/1.1'); // false
 * mayHoldSecret('GET /k?X-Amz-Signature=abc HTTP/1.1'); // true
 */
export function mayHoldSecret(text: string): boolean {
  if (typeof text !== 'string') return false;
  // A URL parser drops TAB, LF and CR (and JSON writes them as `\n`…), so they can split a name.
  if (
    text.indexOf('\\') !== -1 ||
    text.indexOf('\n') !== -1 ||
    text.indexOf('\t') !== -1 ||
    text.indexOf('\r') !== -1
  ) {
    return true;
  }
  const percent = text.indexOf('%');
  if (percent !== -1 && hidesNameChar(text, percent)) return true;
  const at = text.indexOf('@');
  // Escaped, `://` has many spellings (`:%2F%2F`); with an escape anywhere, `@` alone decides.
  if (at !== -1 && (percent !== -1 || text.indexOf('://') !== -1)) return true;
  if (nameBefore(text, '=') || nameBefore(text, ':') || nameBefore(text, '>')) return true;
  return percent !== -1 && nameBeforeEscapedSeparator(text, percent);
}

/** Whether an escape from `from` on decodes to a letter, `-`, `_`, `%`, TAB, LF or CR. */
function hidesNameChar(text: string, from: number): boolean {
  for (let p = from; p !== -1; p = text.indexOf('%', p + 1)) {
    const c = escapedChar(text, p);
    if ((c >= 0x40 && c <= 0x7f) || c === 0x25 || c === 0x2d || c === 0x09 || c === 0x0a || c === 0x0d)
      return true;
  }
  return false;
}

/** The character `%XY` at `p` stands for, or -1. */
function escapedChar(text: string, p: number): number {
  if (p < 0 || p + 2 >= text.length || text.charCodeAt(p) !== 0x25) return -1;
  const hi = hexDigit(text.charCodeAt(p + 1));
  const lo = hexDigit(text.charCodeAt(p + 2));
  return hi < 0 || lo < 0 ? -1 : (hi << 4) | lo;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

/**
 * Whether a name ends just before some `sep`, as the scanner reads a value's start: the name, an
 * optional quote, spaces, the separator. Linear: each look back stops at the previous separator.
 */
function nameBefore(text: string, sep: string): boolean {
  for (let p = text.indexOf(sep); p !== -1; p = text.indexOf(sep, p + 1)) {
    if (nameEndsBefore(text, p - 1)) return true;
  }
  return false;
}

/** {@link nameBefore} for `%3D`, `%3A` and `%3E` (escaped `=`, `:`, `>`). */
function nameBeforeEscapedSeparator(text: string, from: number): boolean {
  for (let p = from; p !== -1; p = text.indexOf('%', p + 1)) {
    const c = escapedChar(text, p);
    if ((c === 0x3d || c === 0x3a || c === 0x3e) && nameEndsBefore(text, p - 1)) return true;
  }
  return false;
}

/** Whether a name ends at `j` once spaces and a quote (plain or escaped) before a separator are skipped. */
function nameEndsBefore(text: string, j: number): boolean {
  for (;;) {
    const c = text.charCodeAt(j);
    if (c === 0x20 || c === 0x09) j--;
    else if (c === 0x30 && escapedChar(text, j - 2) === 0x20) j -= 3;
    else break;
  }
  const q = text.charCodeAt(j);
  if (q === 0x22 || q === 0x27) j--;
  else if (
    (q === 0x32 || q === 0x37) &&
    (escapedChar(text, j - 2) === 0x22 || escapedChar(text, j - 2) === 0x27)
  )
    j -= 3;
  return j >= 0 && nameEndsAt(text, j);
}

/** Names by their last character: a look back compares only those that can end there. */
const NAMES_BY_LAST = new Map<number, string[]>();
for (const name of ALL_NAMES) {
  const last = name.charCodeAt(name.length - 1);
  NAMES_BY_LAST.set(last, [...(NAMES_BY_LAST.get(last) ?? []), name]);
}

function nameEndsAt(text: string, j: number): boolean {
  const names = NAMES_BY_LAST.get(lowerAscii(text.charCodeAt(j)));
  if (names === undefined) return false;
  for (const name of names) {
    const n = name.length;
    if (j + 1 < n) continue;
    let k = 1;
    while (k < n && lowerAscii(text.charCodeAt(j - k)) === name.charCodeAt(n - 1 - k)) k++;
    if (k === n) return true;
  }
  return false;
}

function lowerAscii(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}
