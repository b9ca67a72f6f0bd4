/**
 * Removal of credentials from presigned URLs and from any text that may carry one (log messages,
 * error strings, S3 error bodies, rendered output). Every output of the product goes through
 * {@link redactText} or {@link redactUrl}; both are total and never throw.
 *
 * What is removed, whatever the letter case, percent-encoding (to several levels, as when a
 * presigned URL travels inside another URL's query) or number of repetitions:
 * - the values of `X-Amz-Signature`, `X-Amz-Security-Token`, SigV2 `Signature` and
 *   `AWSAccessKeyId`, the S3 Express `x-amz-s3session-token`, and the `<SignatureProvided>` of an
 *   S3 `SignatureDoesNotMatch` body;
 * - the access key id at the front of `X-Amz-Credential` (or an `Authorization` header's
 *   `Credential=`), keeping the date/Region/service/aws4_request scope, which is useful and not
 *   secret;
 * - the values of credential fields in text (`SecretAccessKey`, `SessionToken`, `AccessKeyId`,
 *   their snake_case forms), so a credentials object that reaches a log is covered too.
 *
 * - the user info of a URL (`https://AKID:SECRET@host/`): WHATWG parsers (Node's, browsers')
 *   accept it and send it as Basic credentials.
 * - the `policy` of a presigned POST form (20 characters or more): its base64 document repeats
 *   the fields, session token and access key id included, where no name-based scan sees them.
 *   A form's fields, read one by one, go through {@link redactFormField} (same names).
 *
 * Values are recognised after `=` (query strings, headers' `k=v` lists), after `:` (JSON and header
 * lines) and between `<Name>` and `</Name>` (XML). When in doubt the scanner removes more rather
 * than less: a value runs until a character that cannot occur in a signature, token or key id.
 *
 * Text is read the way a URL parser reads it: the WHATWG URL standard removes every ASCII tab and
 * newline (TAB, LF, CR) from its input before parsing, and Node's `URL` follows it, so
 * `X-Amz-Sig<LF>nature=…` still signs a working request. The scanner skips those characters, raw,
 * percent-encoded at any level, or JSON-escaped (`\n`, `\r`, `\t`, as `JSON.stringify` writes them),
 * before matching names and values.
 */

import { mayHoldSecret, NAMES_A, NAMES_C, NAMES_P, NAMES_S, namesStartingWith } from './secret-gate.js';

/** What replaces a removed secret. Letters only, so it reads the same at any encoding level. */
export const REDACTED = 'REDACTED';

/** Shortest `policy` value removed: a POST policy is over 40 characters, `policy: deny` is not. */
const MIN_POLICY_VALUE = 20;

/**
 * Percent-decoding levels undone before matching. A URL nested in a query is encoded once more
 * per level; three is the deepest seen in practice, five leaves margin while bounding the work
 * on hostile input such as `%252525…` (each level is one linear pass).
 */
const MAX_DECODE_LEVELS = 5;

const PERCENT = 0x25;
const SLASH = 0x2f;
const COLON = 0x3a;
const AT = 0x40;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const LT = 0x3c;
const BACKSLASH = 0x5c;

/**
 * The text as decoded characters, each remembering the span of original text it came from and
 * how many percent-decodings produced it. Parallel typed arrays: no object per character.
 */
interface DecodedView {
  n: number;
  code: Uint16Array;
  start: Int32Array;
  end: Int32Array;
  depth: Uint8Array;
}

/**
 * Redacts the secrets of one presigned URL (or anything that is supposed to be one: the input does
 * not need to parse as a URL). Same rules as {@link redactText}.
 *
 * @example
 * redactUrl('https://b.s3.us-east-1.amazonaws.com/k?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=abc')
 * // 'https://b.s3.us-east-1.amazonaws.com/k?X-Amz-Credential=REDACTED%2F20260115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=REDACTED'
 */
export function redactUrl(url: string): string {
  if (typeof url !== 'string') return '';
  return redact(readAsUrl(url), true);
}

/**
 * The characters a WHATWG URL parser reads: leading and trailing C0 controls and spaces trimmed,
 * every TAB, LF and CR removed (URL Standard, basic URL parser, first two steps). What is left
 * is what S3 receives, so it is what inspection reports and redaction matches.
 *
 * @example
 * readAsUrl(' https://b.s3.amazonaws.com/k?X-Amz-Sig\nnature=abc ') // 'https://b.s3.amazonaws.com/k?X-Amz-Signature=abc'
 */
export function readAsUrl(input: string): string {
  return input.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '').replace(/[\t\n\r]/g, '');
}

/**
 * Finds presigned-URL secrets and credential fields anywhere in `text` and replaces their values
 * with {@link REDACTED}. Idempotent; everything that is not a secret is left byte for byte.
 *
 * @example
 * redactText('GET failed: https://b.s3.amazonaws.com/k?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=abc%2Bd%3D&Expires=1700000000 (403)')
 * // 'GET failed: https://b.s3.amazonaws.com/k?AWSAccessKeyId=REDACTED&Signature=REDACTED&Expires=1700000000 (403)'
 */
export function redactText(text: string): string {
  return redact(text, false);
}

/**
 * {@link redactText} without the {@link mayHoldSecret} gate: every text through the scanner. The
 * reference the gate is tested against (a gate that said "clean" where this removes something
 * would let a secret through); slower, not for output paths.
 *
 * @example
 * redactTextUngated('x?Signature=abc'); // 'x?Signature=REDACTED'
 */
export function redactTextUngated(text: string): string {
  return redact(text, false, false);
}

/**
 * The value of one presigned POST form field (or of a policy condition on that field), redacted
 * by its name with the names {@link redactText} uses: the whole value of a signature, token or
 * access key field (`x-amz-signature`, `x-amz-security-token`, SigV2 `signature` and
 * `AWSAccessKeyId`), the access key id of `x-amz-credential` (its scope is kept), the whole
 * `policy` (see above); any other value as text. A name may carry the `$` of a condition.
 *
 * @example
 * redactFormField('X-Amz-Credential', 'AKIAIOSFODNN7EXAMPLE/20260115/us-east-1/s3/aws4_request');
 * // 'REDACTED/20260115/us-east-1/s3/aws4_request'
 * redactFormField('key', 'uploads/${filename}'); // 'uploads/${filename}'
 */
export function redactFormField(name: string, value: string): string {
  if (typeof value !== 'string') return '';
  const n = typeof name === 'string' ? name.replace(/[\t\n\r]/g, '').toLowerCase() : '';
  const secret = secretNameIn(n);
  if (secret === 'credential') {
    const slash = value.indexOf('/');
    return slash > 0 ? REDACTED + redactText(value.slice(slash)) : REDACTED;
  }
  return secret !== null ? REDACTED : redactText(value);
}

/**
 * Every field of a presigned POST form through {@link redactFormField}, names through
 * {@link redactText}; a value that is not a string is redacted as its JSON text.
 *
 * @example
 * redactFormFields({ key: 'k', 'x-amz-signature': 'ab12…' }); // { key: 'k', 'x-amz-signature': 'REDACTED' }
 */
export function redactFormFields(fields: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  if (fields === null || typeof fields !== 'object') return out;
  for (const [k, v] of Object.entries(fields)) {
    const text = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
    out[redactText(k)] = redactFormField(k, text);
  }
  return out;
}

/** Which secret a field name names (matched anywhere in it, as the scanner matches), or null. */
function secretNameIn(lowerName: string): 'credential' | 'secret' | null {
  for (const names of [NAMES_S, NAMES_A, NAMES_P]) {
    if (names.some((x) => lowerName.includes(x))) return 'secret';
  }
  return NAMES_C.some((x) => lowerName.includes(x)) ? 'credential' : null;
}

/**
 * `asUrl`: the text is one URL (as {@link readAsUrl} left it), so its user info runs to the
 * authority's end whatever it holds, as a URL parser reads it; in free text a space or a quote
 * also ends it, so prose around a URL is kept.
 */
function redact(text: string, asUrl: boolean, gated = true): string {
  if (typeof text !== 'string') return '';
  // Most text has nothing to remove; the gate keeps it off the decoding path (secret-gate.ts).
  if (gated && !mayHoldSecret(text)) return text;
  const view = decodeView(text);
  const spans = findSecretSpans(view);
  findUserInfoSpans(view, spans, asUrl);
  if (spans.length === 0) return text;
  if (spans.length > 2) sortSpans(spans);
  let out = '';
  let at = 0;
  for (let i = 0; i < spans.length; i += 2) {
    const a = spans[i] as number;
    const b = spans[i + 1] as number;
    if (b <= at) continue;
    out += text.slice(at, Math.max(at, a)) + REDACTED + lineBreaksIn(text, Math.max(at, a), b);
    at = b;
  }
  return out + text.slice(at);
}

/**
 * Line feeds inside a removed span, kept so that redaction never joins two lines of a
 * line-oriented output (a value split by a newline is read as one by URL parsers, see above).
 */
function lineBreaksIn(text: string, a: number, b: number): string {
  let out = '';
  let p = text.indexOf('\n', a);
  while (p !== -1 && p < b) {
    out += '\n';
    p = text.indexOf('\n', p + 1);
  }
  return out;
}

/** Sorts and merges the flat [start, end, …] list (user-info spans are appended after the others). */
function sortSpans(spans: number[]): void {
  const pairs: [number, number][] = [];
  for (let i = 0; i < spans.length; i += 2) pairs.push([spans[i] as number, spans[i + 1] as number]);
  pairs.sort((x, y) => x[0] - y[0]);
  spans.length = 0;
  for (const [a, b] of pairs) pushSpan(spans, a, b);
}

/**
 * Two views reused across calls, used alternately by the decoding passes. Allocating typed arrays
 * per call cost more than the scan itself (measured on Node 20: 14 µs → 6 µs per 530-character presigned URL).
 * Texts longer than {@link SCRATCH_MAX} get their own arrays so a huge input is not kept alive.
 */
const SCRATCH_MAX = 16384;
const scratch: [DecodedView, DecodedView] = [newView(256), newView(256)];

function newView(capacity: number): DecodedView {
  return {
    n: 0,
    code: new Uint16Array(capacity),
    start: new Int32Array(capacity),
    end: new Int32Array(capacity),
    depth: new Uint8Array(capacity),
  };
}

function viewFor(slot: 0 | 1, n: number): DecodedView {
  if (n > SCRATCH_MAX) return newView(n);
  let v = scratch[slot];
  if (v.code.length < n) {
    v = newView(Math.max(n, v.code.length * 2));
    scratch[slot] = v;
  }
  return v;
}

function decodeView(text: string): DecodedView {
  const n = text.length;
  let view = viewFor(0, n);
  const { code, start, end, depth } = view;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === TAB || c === LF || c === CR) continue;
    if (c === BACKSLASH && i + 1 < n && isEscapeLetter(text.charCodeAt(i + 1))) {
      i++;
      continue;
    }
    code[o] = c;
    start[o] = i;
    end[o] = i + 1;
    depth[o] = 0;
    o++;
  }
  view.n = o;
  if (text.indexOf('%') === -1) return view;
  let slot: 0 | 1 = 1;
  for (let level = 0; level < MAX_DECODE_LEVELS; level++) {
    const next = decodeOnce(view, slot);
    if (next === null) break;
    view = next;
    slot = slot === 0 ? 1 : 0;
  }
  return view;
}

/** One percent-decoding pass over already-decoded characters into `slot`; null when nothing was encoded. */
function decodeOnce(v: DecodedView, slot: 0 | 1): DecodedView | null {
  const { n, code, start, end, depth } = v;
  let first = -1;
  for (let i = 0; i + 2 < n; i++) {
    if (code[i] === PERCENT && hexValue(code[i + 1]!) >= 0 && hexValue(code[i + 2]!) >= 0) {
      first = i;
      break;
    }
  }
  if (first === -1) return null;
  const out = viewFor(slot, n);
  out.code.set(code.subarray(0, first));
  out.start.set(start.subarray(0, first));
  out.end.set(end.subarray(0, first));
  out.depth.set(depth.subarray(0, first));
  let o = first;
  let i = first;
  while (i < n) {
    const c = code[i]!;
    if (c === PERCENT && i + 2 < n) {
      const hi = hexValue(code[i + 1]!);
      const lo = hi >= 0 ? hexValue(code[i + 2]!) : -1;
      if (lo >= 0) {
        const d = (hi << 4) | lo;
        i += 3;
        // A nested URL's escaped TAB/LF/CR is stripped by the parser that reads it.
        if (d === TAB || d === LF || d === CR) continue;
        out.code[o] = d;
        out.start[o] = start[i - 3]!;
        out.end[o] = end[i - 1]!;
        out.depth[o] = Math.max(depth[i - 3]!, depth[i - 2]!, depth[i - 1]!) + 1;
        o++;
        continue;
      }
    }
    out.code[o] = c;
    out.start[o] = start[i]!;
    out.end[o] = end[i]!;
    out.depth[o] = depth[i]!;
    o++;
    i++;
  }
  out.n = o;
  return out;
}

/** `n`, `r`, `t`: after a backslash, the JSON escapes of the characters URL parsers strip. */
function isEscapeLetter(c: number): boolean {
  return c === 0x6e || c === 0x72 || c === 0x74;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** ASCII lower case of a code unit (letters only; other characters unchanged). */
function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function isQuote(c: number): boolean {
  return c === 0x22 || c === 0x27;
}

/**
 * Characters a secret value can hold when they appear at the value's own encoding level: base64
 * and base64url (tokens, SigV2 signatures), hex (SigV4 signatures), key ids, `/` of a credential
 * scope, `%` of an escape the decoder left alone, and the backslash of a JSON escape such as `\/`.
 */
function isValueChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x2b /* + */ ||
    c === 0x2f /* / */ ||
    c === 0x3d /* = */ ||
    c === 0x5f /* _ */ ||
    c === 0x2e /* . */ ||
    c === 0x7e /* ~ */ ||
    c === 0x2d /* - */ ||
    c === PERCENT ||
    c === BACKSLASH
  );
}

function isEscapedAmpersand(v: DecodedView, i: number): boolean {
  if (i + 5 >= v.n) return false;
  return (
    lower(v.code[i + 1]!) === 0x75 /* u */ &&
    v.code[i + 2] === 0x30 &&
    v.code[i + 3] === 0x30 &&
    v.code[i + 4] === 0x32 &&
    v.code[i + 5] === 0x36
  );
}

/** Flat list of original-text spans to replace: [start0, end0, start1, end1, …], ascending. */
function findSecretSpans(v: DecodedView): number[] {
  const spans: number[] = [];
  const { n, code } = v;
  let i = 0;
  while (i < n) {
    const names = namesStartingWith(code[i]!);
    const name = names ? matchName(v, i, names) : undefined;
    if (name === undefined) {
      i++;
      continue;
    }
    const afterName = i + name.length;
    const value = locateValue(v, i, afterName);
    if (value === null) {
      i = afterName;
      continue;
    }
    const [from, to] = value;
    let cut = to;
    if (name === 'policy' && to - from < MIN_POLICY_VALUE) {
      i = to;
      continue;
    }
    if (name === 'credential') {
      // Keep the scope after the access key id: it names the date, Region and service.
      let slash = from;
      while (slash < to && code[slash] !== SLASH) slash++;
      if (slash === from) {
        i = to;
        continue;
      }
      cut = slash;
    }
    pushSpan(spans, v.start[from]!, v.end[cut - 1]!);
    i = to;
  }
  return spans;
}

/**
 * Appends the spans of URL user info (`scheme://user:password@host`): everything between `//`
 * and the last `@` before the authority ends (at `/`, `?`, `#`, `\\`, or a character of a shallower
 * encoding level for a nested URL). User and password both go: the user is often an access key id.
 */
function findUserInfoSpans(v: DecodedView, spans: number[], asUrl: boolean): void {
  const { n, code, depth } = v;
  for (let i = 0; i + 2 < n; i++) {
    if (code[i] !== COLON || code[i + 1] !== SLASH || code[i + 2] !== SLASH) continue;
    const level = Math.min(depth[i]!, depth[i + 1]!, depth[i + 2]!);
    const from = i + 3;
    let j = from;
    let lastAt = -1;
    for (; j < n; j++) {
      const c = code[j]!;
      const d = depth[j]!;
      // Deeper-encoded characters are data (`%2F` in a password); only the URL's own level ends it.
      if (d > level) continue;
      if (c === SLASH || c === 0x3f /* ? */ || c === 0x23 /* # */ || c === BACKSLASH) break;
      // In a nested URL, a character left unencoded that encodeURIComponent would have encoded
      // (`&`, `=`) belongs to the outer text: the nested authority has ended.
      if (d < level && !isUnreservedChar(c)) break;
      if (!asUrl && (c === 0x20 || isQuote(c) || c === LT || c === 0x3e) /* > */) break;
      if (c === AT && d === level) lastAt = j;
    }
    if (lastAt > from) spans.push(v.start[from]!, v.end[lastAt - 1]!);
    i = j - 1;
  }
}

/** Letters, digits and `-_.!~*'()`: what `encodeURIComponent` leaves as it is. */
function isUnreservedChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x2d ||
    c === 0x5f ||
    c === 0x2e ||
    c === 0x21 ||
    c === 0x7e ||
    c === 0x2a ||
    c === 0x27 ||
    c === 0x28 ||
    c === 0x29
  );
}

function pushSpan(spans: number[], a: number, b: number): void {
  const last = spans.length - 1;
  if (last > 0 && (spans[last] as number) >= a) {
    if (b > (spans[last] as number)) spans[last] = b;
    return;
  }
  spans.push(a, b);
}

/** True when the name sits inside an opening XML tag: `<Name` or `<AWSAccessKeyId` before it. */
function opensTag(v: DecodedView, nameAt: number): boolean {
  let j = nameAt - 1;
  const stop = Math.max(0, nameAt - 64);
  while (j >= stop && isTagNameChar(v.code[j]!)) j--;
  return j >= 0 && v.code[j] === LT;
}

function isTagNameChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x2d ||
    c === 0x5f
  );
}

function matchName(v: DecodedView, at: number, names: readonly string[]): string | undefined {
  for (const name of names) {
    if (at + name.length > v.n) continue;
    let k = 1;
    while (k < name.length && lower(v.code[at + k]!) === name.charCodeAt(k)) k++;
    if (k === name.length) return name;
  }
  return undefined;
}

/**
 * After a name ending at `i`, finds its value: `name=value`, `"name": "value"`, `name: value` or
 * `<name>value`. Returns the decoded-index range of a non-empty value, or null.
 */
function locateValue(v: DecodedView, nameAt: number, i: number): [number, number] | null {
  const { n, code, depth } = v;
  const isTag = opensTag(v, nameAt);
  if (i < n && isQuote(code[i]!)) i++;
  while (i < n && isSpace(code[i]!)) i++;
  if (i >= n) return null;
  const sep = code[i]!;
  if (!(sep === 0x3d /* = */ || sep === 0x3a /* : */ || (sep === 0x3e /* > */ && isTag))) return null;
  // A value ends at a character of the separator's encoding level (or shallower) that no secret
  // holds: `&` ends `%3D…` inside a nested URL only when it is itself encoded as `%26`.
  const level = depth[i]!;
  i++;
  while (i < n && isSpace(code[i]!)) i++;
  const quoted = i < n && isQuote(code[i]!);
  if (quoted) i++;
  const from = i;
  while (i < n && (depth[i]! > level || isValueChar(code[i]!))) {
    // JSON-escaped text: `\/` is part of a token, `\u0026` is the `&` that ends the value.
    if (code[i] === BACKSLASH && isEscapedAmpersand(v, i)) break;
    i++;
  }
  if (i === from) return null;
  // `"hasSessionToken": false` is a JSON flag, not a secret; replacing it would break the JSON.
  if (sep === 0x3a && !quoted && isJsonScalar(v, from, i)) return null;
  return [from, cutBeforeNextName(v, from, i)];
}

/**
 * A value runs on across stripped whitespace (a URL parser joins `ab<LF>cd`), but not into the
 * next line's own name: `aws_access_key_id = AKIA…<LF>aws_secret_access_key = …` keeps the second
 * name so its value is found too. Cuts the value at the last stripped gap before the first name
 * inside it; one pass over the value.
 */
function cutBeforeNextName(v: DecodedView, from: number, to: number): number {
  let gap = -1;
  for (let k = from + 1; k < to; k++) {
    if (v.start[k] !== v.end[k - 1]) gap = k;
    if (gap === -1) continue;
    const names = namesStartingWith(v.code[k]!);
    if (names && matchName(v, k, names) !== undefined) return gap;
  }
  return to;
}

const JSON_SCALAR = /^(?:true|false|null|-?\d+(?:\.\d+)?)$/;

function isJsonScalar(v: DecodedView, from: number, to: number): boolean {
  if (to - from > 24) return false;
  return JSON_SCALAR.test(String.fromCharCode(...v.code.subarray(from, to)));
}
