import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redactText, redactUrl } from '../../shared/endpoints/redact.js';

/** Encodes one character `depth` times: depth 1 `%2D`, depth 2 `%252D`, depth 0 the character itself. */
function encodeChar(ch: string, depth: number): string {
  if (depth === 0) return ch;
  const hex = ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0');
  return `%${'25'.repeat(depth - 1)}${hex}`;
}

/** Undoes every level of percent-encoding, byte by byte, tolerating stray `%`. */
function decodeFully(s: string): string {
  let prev = '';
  let cur = s;
  for (let i = 0; i < 12 && cur !== prev; i++) {
    prev = cur;
    cur = cur.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
  }
  return cur;
}

const HEX = '0123456789abcdef';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

const fromAlphabet = (alphabet: string, min: number, max: number) =>
  fc.array(fc.constantFrom(...alphabet), { minLength: min, maxLength: max }).map((a) => a.join(''));

/** A secret parameter: its name, the secret value, and how the whole value is written. */
const secretParam = fc.oneof(
  fc.record({
    name: fc.constant('X-Amz-Signature'),
    secret: fromAlphabet(HEX, 64, 64),
    scope: fc.constant(''),
  }),
  fc.record({
    name: fc.constant('Signature'),
    secret: fromAlphabet(B64, 27, 27).map((s) => `${s}=`),
    scope: fc.constant(''),
  }),
  fc.record({
    name: fc.constantFrom('X-Amz-Security-Token', 'x-amz-security-token', 'X-Amz-S3session-Token'),
    secret: fromAlphabet(B64, 40, 300).map((s) => `IQoJ${s}==`),
    scope: fc.constant(''),
  }),
  fc.record({
    name: fc.constant('AWSAccessKeyId'),
    secret: fc.tuple(fc.constantFrom('AKIA', 'ASIA'), fromAlphabet(KEY, 16, 16)).map(([p, s]) => p + s),
    scope: fc.constant(''),
  }),
  fc.record({
    name: fc.constant('X-Amz-Credential'),
    secret: fc.tuple(fc.constantFrom('AKIA', 'ASIA'), fromAlphabet(KEY, 16, 16)).map(([p, s]) => p + s),
    scope: fc.constantFrom('/20260115/us-east-1/s3/aws4_request', '/20251231/eu-west-1/s3/aws4_request'),
  }),
);

/** Random letter case, and each character of the name, separator and value encoded 0-2 extra times. */
const writtenParam = secretParam.chain((p) =>
  fc
    .record({
      caseFlips: fc.array(fc.boolean(), { minLength: p.name.length, maxLength: p.name.length }),
      nameDepths: fc.array(fc.nat(2), { minLength: p.name.length, maxLength: p.name.length }),
      valueDepths: fc.array(fc.nat(2), {
        minLength: p.secret.length + p.scope.length,
        maxLength: p.secret.length + p.scope.length,
      }),
      sepDepth: fc.constantFrom(0, 0, 1),
    })
    .map(({ caseFlips, nameDepths, valueDepths, sepDepth }) => {
      const name = [...p.name]
        .map((ch, i) => {
          const c = caseFlips[i] ? (ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase()) : ch;
          return encodeChar(c, nameDepths[i]!);
        })
        .join('');
      // A value's own characters are never written shallower than its separator.
      const value = [...(p.secret + p.scope)]
        .map((ch, i) => encodeChar(ch, Math.max(sepDepth, valueDepths[i]!)))
        .join('');
      return { text: `${name}${encodeChar('=', sepDepth)}${value}`, secret: p.secret };
    }),
);

const plainParam = fc
  .tuple(
    fc.constantFrom(
      'X-Amz-Date',
      'X-Amz-Expires',
      'X-Amz-SignedHeaders',
      'x-id',
      'versionId',
      'response-content-type',
      'Expires',
    ),
    fc.stringMatching(/^[A-Za-z0-9._~-]{0,20}$/),
  )
  .map(([k, v]) => `${k}=${v}`);

const host = fc.constantFrom(
  'my-bucket.s3.us-east-1.amazonaws.com',
  's3.amazonaws.com',
  'bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com',
  '127.0.0.1:9000',
  '[broken',
);

/** A URL with 1-3 secret parameters among plain ones, in any order, then embedded or nested 0-2 times. */
const presignedText = fc
  .record({
    scheme: fc.constantFrom('https://', 'http://', ''),
    host,
    path: fc.stringMatching(/^(\/[A-Za-z0-9._~%-]{0,12}){0,3}$/),
    secrets: fc.array(writtenParam, { minLength: 1, maxLength: 3 }),
    plain: fc.array(plainParam, { maxLength: 5 }),
    order: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
    nesting: fc.constantFrom(0, 0, 1, 2),
    before: fc.string({ maxLength: 30 }),
    after: fc.constantFrom('', ' ', ', retrying', '"}', '#frag', '&tail=1'),
  })
  .map((r) => {
    const params = [...r.secrets.map((s) => s.text), ...r.plain];
    const shuffled = params
      .map((p, i) => ({ p, k: r.order[i % r.order.length]! + i / 100 }))
      .sort((a, b) => a.k - b.k)
      .map((x) => x.p);
    let url = `${r.scheme}${r.host}${r.path}?${shuffled.join('&')}`;
    for (let i = 0; i < r.nesting; i++)
      url = `https://app.example.com/next?to=${encodeURIComponent(url)}&n=${i}`;
    return { text: `${r.before} ${url}${r.after}`, secrets: r.secrets.map((s) => s.secret) };
  });

describe('redaction (property)', () => {
  it('leaves no secret, in any case, encoding, position or nesting', () => {
    fc.assert(
      fc.property(presignedText, ({ text, secrets }) => {
        const out = redactText(text);
        const decoded = decodeFully(out);
        for (const s of secrets) {
          if (out.includes(s) || decoded.includes(s)) return false;
        }
        return true;
      }),
      { numRuns: 2000 },
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          presignedText.map((p) => p.text),
          fc.string({ maxLength: 200 }),
        ),
        (text) => {
          const once = redactText(text);
          return redactText(once) === once;
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('never throws and returns a string for arbitrary text', () => {
    const percentHeavy = fc
      .array(
        fc.constantFrom(
          '%',
          '25',
          '2',
          'D',
          '3D',
          'X-Amz-',
          'Signature',
          '=',
          '&',
          'Credential',
          '/',
          'a',
          '\\u0026',
          '<',
          '>',
          ':',
          '"',
        ),
        {
          maxLength: 60,
        },
      )
      .map((a) => a.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), percentHeavy), (text) => {
        expect(typeof redactText(text)).toBe('string');
        expect(typeof redactUrl(text)).toBe('string');
      }),
      { numRuns: 2000 },
    );
  });
});
