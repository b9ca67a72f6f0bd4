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
 * The check for text that may hide a name: any name written plainly, a character that can split
 * one for a URL parser (TAB, LF, CR, or the backslash of a JSON escape), a `://` (user info), or a
 * percent escape that could hide a name character (a letter, `-`, `_`, `%`) or split one.
 */
const MAY_HOLD_SECRET =
  /signature|credential|security-?token|session[-_]?token|access_?key_?id|secret_?access_?key|policy|[\t\n\r\\]|(?::|%3a)(?:\/|%2f)(?:\/|%2f)|%(?:[4-7][0-9a-f]|2[5d]|0[9ad])/i;

/**
 * True unless `text` certainly holds nothing {@link redactText} would remove; conservative (a
 * true is only a "look closer"). Total: any string, never throws.
 *
 * Redaction removes a value only after a name and a separator (`name=`, `name:`, `"name": `,
 * `<Name>`), or the user info between `://` and `@`. Text with no `%`, backslash, TAB, LF or CR
 * reads the same once decoded, so those must be there as they are: one `indexOf` per separator,
 * `@` and `://`, and a look back from each separator for the end of a name. Text with one of those
 * five characters (a presigned URL always has `%`) gets the regular-expression check instead.
 * Measured on realistic access-log lines (Node 20): the regular expression over a whole line cost
 * about as much as building its JSON; these scans cost a fraction of it (docs/benchmarks.md).
 *
 * @example
 * mayHoldSecret('GET /data/part-1.parquet HTTP/1.1'); // false
 * mayHoldSecret('GET /k?X-Amz-Signature=abc HTTP/1.1'); // true
 */
export function mayHoldSecret(text: string): boolean {
  if (typeof text !== 'string') return false;
  if (
    text.indexOf('%') !== -1 ||
    text.indexOf('\\') !== -1 ||
    text.indexOf('\n') !== -1 ||
    text.indexOf('\t') !== -1 ||
    text.indexOf('\r') !== -1
  ) {
    return MAY_HOLD_SECRET.test(text);
  }
  if (text.indexOf('@') !== -1 && text.indexOf('://') !== -1) return true;
  return nameBefore(text, '=') || nameBefore(text, ':') || nameBefore(text, '>');
}

/**
 * Whether a name ends just before some `sep`, as the scanner reads a value's start: the name, an
 * optional quote, spaces, the separator. Linear: each look back stops at the previous separator.
 */
function nameBefore(text: string, sep: string): boolean {
  for (let p = text.indexOf(sep); p !== -1; p = text.indexOf(sep, p + 1)) {
    let j = p - 1;
    while (j >= 0 && (text.charCodeAt(j) === 0x20 || text.charCodeAt(j) === 0x09)) j--;
    if (j >= 0 && (text.charCodeAt(j) === 0x22 || text.charCodeAt(j) === 0x27)) j--;
    if (j >= 0 && nameEndsAt(text, j)) return true;
  }
  return false;
}

function nameEndsAt(text: string, j: number): boolean {
  const last = lowerAscii(text.charCodeAt(j));
  for (const name of ALL_NAMES) {
    const n = name.length;
    if (name.charCodeAt(n - 1) !== last || j + 1 < n) continue;
    let k = 1;
    while (k < n && lowerAscii(text.charCodeAt(j - k)) === name.charCodeAt(n - 1 - k)) k++;
    if (k === n) return true;
  }
  return false;
}

function lowerAscii(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}
