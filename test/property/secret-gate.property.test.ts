import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AccessLogLineParser } from '../../shared/access-logs/parser.js';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import { redactTextUngated } from '../../shared/endpoints/redact.js';
import { mayHoldSecret } from '../../shared/endpoints/secret-gate.js';

// The gate lets text skip redaction, so one wrong "clean" is a secret in the output. These
// properties hold it against the scanner run on every text (no gate), on text built from the pieces
// secrets are made of, and on whole access-log lines, where one check of the line stands for every
// field of its record.

/** Random letter case per character. */
const anyCase = (s: string) =>
  fc
    .array(fc.boolean(), { minLength: s.length, maxLength: s.length })
    .map((flips) => [...s].map((c, i) => (flips[i] ? c.toUpperCase() : c.toLowerCase())).join(''));

/** One character of a name hidden: percent-encoded (1 or 2 levels), or followed by TAB/LF/CR or `\n`. */
const hidden = (s: string) =>
  fc
    .record({ at: fc.nat(s.length - 1), how: fc.constantFrom('%', '%25', '\t', '\n', '\r', '\\n', '\\t') })
    .map(({ at, how }) => {
      const c = s[at]!;
      const hex = c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0');
      const w = how.startsWith('%') ? `${how}${hex}` : `${c}${how}`;
      return s.slice(0, at) + w + s.slice(at + 1);
    });

const NAMES = [
  'X-Amz-Signature',
  'Signature',
  'SignatureProvided',
  'X-Amz-Security-Token',
  'x-amz-s3session-token',
  'SecurityToken',
  'session_token',
  'SessionToken',
  'SecretAccessKey',
  'aws_secret_access_key',
  'X-Amz-Credential',
  'Credential',
  'AWSAccessKeyId',
  'access_key_id',
  'Policy',
];
/** Every `-` and `_` of a name escaped (`security%2Dtoken`): the characters between its words. */
const escapedJoints = (s: string) => fc.constant(s.replace(/-/g, '%2D').replace(/_/g, '%5f'));
const name = fc.constantFrom(...NAMES).chain((n) => fc.oneof(anyCase(n), hidden(n), escapedJoints(n)));

/** The pieces secrets and their surroundings are made of, in any order. */
const piece = fc.oneof(
  { weight: 4, arbitrary: name },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '=',
      ':',
      '>',
      '<',
      '"',
      "'",
      ' ',
      ' ',
      '%3D',
      '%3a',
      '%3E',
      '%22',
      '%27',
      '%20',
      '%253D',
      '&',
      '?',
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '@',
      '%40',
      '://',
      ':%2F%2F',
      '%3A%2F%2F',
      '//',
      '/',
      'https://',
      'AKIA:pw@',
      'AKIA%3Apw%40',
    ),
  },
  { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9+/=]{1,40}$/) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '\\',
      '\\n',
      '\\u0026',
      '\t',
      '\n',
      '\r',
      '%',
      '%2',
      '%2F',
      '%20',
      'é',
      '\u0130',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
);
/** A name and its value as the scanner reads them: `name=v`, `"name": "v"`, `<Name>v`, `name :v`. */
const secretShaped = fc
  .record({
    tag: fc.boolean(),
    name,
    quote: fc.constantFrom('', '', '"', "'", '%22', '%27'),
    spaces: fc.constantFrom('', '', ' ', '  ', '\t', '%20', ' %20'),
    sep: fc.constantFrom('=', ':', '>', '%3D', '%3a', '%3E'),
    value: fc.stringMatching(/^[A-Za-z0-9+/=]{1,30}$/),
  })
  .map((r) => `${r.tag ? '<' : ''}${r.name}${r.quote}${r.spaces}${r.sep}${r.spaces}${r.quote}${r.value}`);
const pieces = (extra: fc.Arbitrary<string>) =>
  fc.array(fc.oneof({ weight: 6, arbitrary: piece }, { weight: 1, arbitrary: extra }), { maxLength: 12 });
/**
 * Any text of pieces; and text without the characters that make the gate say "maybe" at once
 * (backslash, TAB, LF, CR), with and without percent escapes, where its look back decides.
 */
const text = fc.oneof(
  pieces(secretShaped).map((a) => a.join('')),
  pieces(secretShaped).map((a) => a.join('').replace(/[\\\t\n\r]/g, '')),
  pieces(secretShaped).map((a) => a.join('').replace(/[%\\\t\n\r]/g, '')),
);

describe('mayHoldSecret (property)', () => {
  it('never says "clean" on text the scanner would change', () => {
    fc.assert(
      fc.property(text, (t) => mayHoldSecret(t) || redactTextUngated(t) === t),
      { numRuns: 20_000 },
    );
  });

  it('the generator reaches both sides: text with secrets, and text the gate passes', () => {
    // Without this the property above could hold by never meeting a secret.
    const sample = fc.sample(text, { numRuns: 4000, seed: 12 });
    const changed = sample.filter((t) => redactTextUngated(t) !== t).length;
    const passed = sample.filter((t) => !mayHoldSecret(t)).length;
    expect(changed).toBeGreaterThan(400);
    expect(passed).toBeGreaterThan(400);
  });
});

// --- Whole access-log lines ---------------------------------------------------------------------

const FIELDS = ['key', 'requestUri', 'errorCode', 'referer', 'userAgent', 'hostHeader', 'extra'] as const;

/** A realistic GET line with `value` in one field; a quoted field escapes `"` and `\` as S3 does. */
function accessLine(value: string, field: (typeof FIELDS)[number]): string {
  const q = (v: string) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  const bare = value.replace(/[\s"\\[]/g, '_') || '_';
  const f = {
    key: 'data/part-1.parquet',
    requestUri: q('GET /data/part-1.parquet HTTP/1.1'),
    errorCode: '-',
    referer: '"-"',
    userAgent: q('aws-sdk-java/2.25.16 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.10'),
    hostHeader: 'analytics.s3.us-east-1.amazonaws.com',
    extra: '',
  };
  if (field === 'requestUri' || field === 'referer' || field === 'userAgent') f[field] = q(value);
  else if (field === 'extra') f.extra = ` ${bare}`;
  else f[field] = bare;
  return `79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be analytics [15/Jan/2026:10:00:01 +0000] 10.0.1.15 arn:aws:sts::111122223333:assumed-role/etl/i-0abc 7Q4W9E2R8T5Y1U3I REST.GET.OBJECT ${f.key} ${f.requestUri} 200 ${f.errorCode} 512 512 12 10 ${f.referer} ${f.userAgent} - hOsTiD+abc= SigV4 TLS_AES_128_GCM_SHA256 QueryString ${f.hostHeader} TLSv1.3 - -${f.extra}`;
}

/** Every string field through the scanner with no gate: what redaction of the record must give. */
function redactEveryField(r: AccessLogRecord): AccessLogRecord {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) {
    out[k] =
      typeof v === 'string'
        ? redactTextUngated(v)
        : Array.isArray(v)
          ? v.map((x) => redactTextUngated(x))
          : v;
  }
  return out as unknown as AccessLogRecord;
}

describe('AccessLogLineParser.parseRedacted (property)', () => {
  it('gives the record with every field redacted, from one check of the line', () => {
    const parser = new AccessLogLineParser();
    fc.assert(
      fc.property(text, fc.constantFrom(...FIELDS), (value, field) => {
        // Line breaks end a line before the parser sees it; whatever else the field holds stays.
        const buf = Buffer.from(accessLine(value.replace(/[\r\n]/g, ' '), field), 'utf8');
        const plain = parser.parse(buf, 0, buf.length);
        const redacted = parser.parseRedacted(buf, 0, buf.length);
        expect(redacted.ok).toBe(plain.ok);
        if (plain.ok && redacted.ok) expect(redacted.value).toEqual(redactEveryField(plain.value));
      }),
      { numRuns: 5000 },
    );
  });
});
