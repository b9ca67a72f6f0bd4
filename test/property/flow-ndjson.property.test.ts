import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redactTextUngated } from '../../shared/endpoints/redact.js';
import { redactRecord } from '../../shared/evidence/redact-deep.js';
import { FLOW_FIELDS, FlowLogStreamParser, flowFormatOf } from '../../shared/flow-logs/index.js';
import { FlowNdjsonWriter } from '../../shared/flow-logs/ndjson.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { meaningfulFlowValue, orderedStartEnd } from './flow-arbitraries.js';

// The NDJSON writer prints lines from their bytes, skipping both JSON.stringify and redaction for
// the fields it copies. It must print exactly what the record path prints, and copy only what the
// redaction scanner (run on every text, no gate) would leave as it is.

const names = [...FLOW_FIELDS.keys()];
const V5 = names.slice(0, 29);

/** Pieces of hostile text: secret names and separators, escapes, quotes, non-ASCII, controls. */
const hostile = fc.constantFrom(
  'X-Amz-Signature',
  'SessionToken',
  'AWSAccessKeyId',
  'policy',
  'X-Amz-Signature=',
  'X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260115',
  'https://AKID:SECRET@host/',
  'https://b.s3.amazonaws.com/k?X-Amz-Signature=b4c2f0e9a1d3c5b7',
  'x-amz-security-token=IQoJb3JpZ2lu',
  'SessionToken:abc',
  '<SignatureProvided>abc',
  'signature%3Dabc',
  'Policy="eyJleHBpcmF0aW9uIjoiMjAyNi0wMS0xNVQxMjowMDowMFoi"',
  '"',
  '\\',
  '\\u0026',
  '%',
  '%2F',
  ':',
  '::1',
  '=',
  '>',
  '@',
  '-',
  '0',
  'é',
  '\u2028',
  '\ud800',
  '\u{1F600}',
  '\x7f',
  '\x01',
  '\t',
);
const piece = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9._/-]{1,12}$/) },
  { weight: 2, arbitrary: hostile },
);
/** A value with no space or line break: what a field of a line can hold, hostile or not. */
const wildValue = fc
  .array(piece, { minLength: 1, maxLength: 4 })
  .map((ps) => ps.join('').replace(/[ \n\r]/g, '_'));
/** Mostly secret names without a separator (harmless, so copied), now and then a hostile piece. */
const namedValue = fc
  .array(
    fc.oneof(
      {
        weight: 3,
        arbitrary: fc.constantFrom('X-Amz-Signature', 'SessionToken', 'AWSAccessKeyId', 'policy'),
      },
      { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9._/-]{1,8}$/) },
      { weight: 1, arbitrary: hostile },
    ),
    { minLength: 1, maxLength: 3 },
  )
  .map((ps) => ps.join('').replace(/[ \n\r]/g, '_'));
/** Integers as AWS writes them, and as they should not be written (leading zeros, 16 digits). */
const wildInteger = fc.oneof(
  fc.nat({ max: 65535 }).map(String),
  fc.constantFrom('007', '00', '0', '-', '1234567890123456', '999999999999999'),
);

/** A line of `fields`; `wild` weighs how often a value is hostile rather than what AWS writes. */
function lineFor(fields: readonly string[], wild: number, text = wildValue): fc.Arbitrary<string> {
  const values = fields.map((name) =>
    fc.oneof(
      { weight: 6, arbitrary: FLOW_FIELDS.has(name) ? meaningfulFlowValue(name).map(String) : wildValue },
      { weight: 1, arbitrary: fc.constant('-') },
      { weight: wild, arbitrary: FLOW_FIELDS.get(name)?.integer ? wildInteger : text },
    ),
  );
  return fc.tuple(...values).map((vs) => orderedStartEnd(fields, vs).join(' '));
}

const inputOf = (wild: number, text = wildValue) =>
  fc
    .oneof(
      fc.constant(V5),
      fc.shuffledSubarray(names, { minLength: 1, maxLength: 12 }),
      fc.shuffledSubarray(names, { minLength: 1, maxLength: 6 }).map((f) => [...f, 'note']),
    )
    .chain((fields) =>
      fc.record({
        fields: fc.constant(fields),
        lines: fc.array(lineFor(fields, wild, text), { minLength: 1, maxLength: 8 }),
        crlf: fc.boolean(),
        step: fc.integer({ min: 1, max: 4096 }),
      }),
    );
/** A value as AWS writes it, with no byte the writer declines to copy (IPv4 only, no `:`). */
function cleanValue(name: string): fc.Arbitrary<string | number> {
  const f = FLOW_FIELDS.get(name);
  if (f?.rule === 'FLOW_ADDRESS') return fc.ipV4();
  if (f === undefined || (!f.integer && f.rule === null)) return fc.stringMatching(/^[A-Za-z0-9._/-]{1,24}$/);
  return meaningfulFlowValue(name);
}

/** Breaks a value: out of its rule's range or set, not a number, a quad out of range, a bad layout. */
const breakage = fc.constantFrom(
  'a\rb',
  '\r',
  '65536',
  '256',
  '9999999999',
  '1764000000',
  '0',
  '-',
  'ALLOW',
  'OKAY',
  'ok',
  '300.1.1.1',
  '1.2.3',
  '01.2.3.4',
  '1.2.3.4.',
  '12a',
  '007',
  '',
  '\t',
  'a\tb',
  'é',
);

/** Clean lines of `fields`, a few with one value replaced by a breakage. */
const cleanInput = (fields: readonly string[]) =>
  fc.record({
    fields: fc.constant(fields),
    lines: fc.array(
      fc
        .tuple(
          fc.tuple(...fields.map(cleanValue)).map((vs) => orderedStartEnd(fields, vs)),
          fc.option(fc.tuple(fc.nat(), breakage), { freq: 3 }),
        )
        .map(([vs, bad]) => {
          if (bad !== null) vs[bad[0] % vs.length] = bad[1];
          return vs.join(' ');
        }),
      { minLength: 1, maxLength: 8 },
    ),
    crlf: fc.boolean(),
    step: fc.integer({ min: 1, max: 4096 }),
    // A line cap that some lines pass and some do not (v5 lines are about 100 to 300 bytes).
    max: fc.oneof(
      { weight: 2, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.integer({ min: 8, max: 400 }) },
    ),
  });
const RUNS = process.env.PATHGUARD_DEEP ? 10000 : 400;

interface Parsed {
  readonly text: string;
  readonly records: number;
  readonly rejects: number;
}

/** Lines the fused path took, over a test: the property must reach it, not only the fallbacks. */
const fusedTaken = { lines: 0 };

/**
 * Parses `bytes` in chunks of `step`, printing NDJSON the record way, the writer's way (check,
 * then render from the bytes) or the writer's fused way (check and render in one walk, the others
 * for what it declines).
 */
function parse(
  bytes: Buffer,
  step: number,
  via: 'record' | 'writer' | 'fused',
  maxLineBytes?: number,
): Parsed {
  const rejects = new RejectCounter();
  const writer = new FlowNdjsonWriter(256);
  let text = '';
  const viaWriter = via !== 'record';
  const p = new FlowLogStreamParser({
    source: 't',
    ...(maxLineBytes ? { maxLineBytes } : {}),
    rejects,
    onRecord: viaWriter
      ? (r) => writer.record(r)
      : (r: FlowRecord) => {
          text += `${JSON.stringify(redactRecord(r))}\n`;
        },
    ...(viaWriter
      ? { onLine: (b, s, e, f) => writer.line(b, s, e, f), onRegion: (b, f, t) => writer.region(b, f, t) }
      : {}),
    ...(via === 'fused'
      ? {
          onLineRender: (b, s, f, max) => {
            const e = writer.render(b, s, f, max);
            if (e >= 0) fusedTaken.lines++;
            return e;
          },
        }
      : {}),
  });
  for (let i = 0; i < bytes.length; i += step) p.push(bytes.subarray(i, i + step));
  p.end();
  if (viaWriter) text = Buffer.concat(writer.finish()).toString('utf8');
  return { text, records: p.records, rejects: rejects.count };
}

describe('flow-log NDJSON writer properties', () => {
  it('prints exactly JSON.stringify(redactRecord(record)) per record, for any line and chunking', () => {
    fc.assert(
      fc.property(inputOf(2), ({ fields, lines, crlf, step }) => {
        const text = `${fields.join(' ')}\n${lines.join(crlf ? '\r\n' : '\n')}\n`;
        const bytes = Buffer.from(text, 'utf8');
        const expected = parse(bytes, step, 'record');
        expect(parse(bytes, step, 'writer')).toEqual(expected);
        expect(parse(bytes, step, 'fused')).toEqual(expected);
      }),
      { numRuns: RUNS },
    );
  });

  it('checks and renders in one walk exactly what the check and the record path accept and print', () => {
    // Lines as AWS writes them (IPv4, no `:`), so most are the fused walk's to take, now and then
    // with a value that breaks a rule or the layout: there, its own checks are what decide.
    const before = fusedTaken.lines;
    fc.assert(
      fc.property(
        fc.oneof(fc.constant(V5), fc.shuffledSubarray(names, { minLength: 1 })).chain(cleanInput),
        (input) => {
          const { fields, lines, crlf, step, max } = input;
          const text = `${fields.join(' ')}\n${lines.join(crlf ? '\r\n' : '\n')}\n`;
          const bytes = Buffer.from(text, 'utf8');
          expect(parse(bytes, step, 'fused', max)).toEqual(parse(bytes, step, 'record', max));
        },
      ),
      { numRuns: RUNS },
    );
    expect(fusedTaken.lines - before).toBeGreaterThan(RUNS);
  });

  it('takes in one walk a line of exactly the cap and no longer, whatever ends it', () => {
    const format = flowFormatOf(['version', 'srcport', 'note']);
    for (const line of ['5 443 x', '5 443 -', '5 - -', '- - -', '5 443 abc']) {
      const b = Buffer.from(`${line}\n`);
      for (const cap of [line.length - 1, line.length]) {
        const w = new FlowNdjsonWriter();
        w.region(b, 0, b.length);
        expect(w.render(b, 0, format, cap)).toBe(cap === line.length ? line.length : -1);
      }
    }
  });

  it('copies from the bytes only records whose every string the ungated scanner leaves unchanged', () => {
    const checked = { copied: 0, named: 0 };
    fc.assert(
      fc.property(inputOf(6, namedValue), ({ fields, lines }) => {
        const format = flowFormatOf(fields);
        const writer = new FlowNdjsonWriter();
        const careful = new FlowNdjsonWriter();
        for (const line of lines) {
          const b = Buffer.from(line, 'utf8');
          // Announced, a clean line is copied word by word; unannounced, byte by byte. Each path
          // declines some lines the other copies (leading zeros; a non-address in an address
          // field), but what both copy, they copy alike.
          writer.region(b, 0, b.length);
          const copied = writer.line(b, 0, b.length, format);
          const byBytes = careful.line(b, 0, b.length, format);
          const other = Buffer.concat(careful.finish()).toString('utf8');
          if (!copied) continue;
          checked.copied++;
          // What was copied, read back: every string field as the output carries it.
          const out = Buffer.concat(writer.finish()).toString('utf8');
          if (byBytes) expect(other).toBe(out);
          const row = JSON.parse(out) as Record<string, unknown>;
          for (const v of Object.values(row)) {
            if (typeof v !== 'string') continue;
            if (/signature|token|accesskey|policy/i.test(v)) checked.named++;
            expect(redactTextUngated(v)).toBe(v);
          }
        }
      }),
      { numRuns: RUNS },
    );
    // The property is about copied lines, secret names in them: make sure there were plenty.
    expect(checked.copied).toBeGreaterThan(RUNS / 4);
    expect(checked.named).toBeGreaterThan(RUNS / 4);
  });

  it('copies an integer field only when it is all digits, wherever the other byte sits', () => {
    const format = flowFormatOf(['packets', 'bytes']);
    fc.assert(
      fc.property(
        fc.stringMatching(/^[1-9][0-9]{0,13}$/),
        fc.nat(),
        fc.constantFrom('a', '.', '/', ':', '+', 'e', '~', ';', '9', '0'),
        fc.boolean(),
        (digits, at, other, announced) => {
          const k = at % (digits.length + 1);
          const value = digits.slice(0, k) + other + digits.slice(k);
          const b = Buffer.from(`${value} ${digits}`);
          const w = new FlowNdjsonWriter();
          if (announced) w.region(b, 0, b.length);
          // A leading zero: the word-wide path leaves it to the byte path or the record path.
          const digitsOnly = /^[0-9]{1,15}$/.test(value) && !(announced && /^0./.test(value));
          const copied = w.line(b, 0, b.length, format);
          if (!digitsOnly) expect(copied).toBe(false);
          else {
            expect(copied).toBe(true);
            expect(Buffer.concat(w.finish()).toString()).toBe(
              `{"packets":${Number(value)},"bytes":${digits}}\n`,
            );
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('scans a reused buffer afresh for each region it is told of', () => {
    // Readers reuse their buffers: what was clean in the old content says nothing of the new.
    const format = flowFormatOf(['version', 'note']);
    const w = new FlowNdjsonWriter();
    const b = Buffer.from('5 clean-text-of-some-length/x\n');
    w.region(b, 0, b.length);
    expect(w.line(b, 0, b.length - 1, format)).toBe(true);
    b.write('5 X-Amz-Signature=0123456789abc\n');
    w.region(b, 0, b.length);
    expect(w.line(b, 0, b.length - 1, format)).toBe(false);
    expect(Buffer.concat(w.finish()).toString()).toBe('{"version":5,"note":"clean-text-of-some-length/x"}\n');
  });

  it('copies text that holds secret names but no separator, and hex-only addresses with colons', () => {
    // Names alone are harmless (nothing after a separator to remove): the copy is exact.
    const format = flowFormatOf(['version', 'srcaddr', 'note']);
    const w = new FlowNdjsonWriter();
    const line = Buffer.from('5 2001:db8::a:ed X-Amz-Signature.SessionToken/policy');
    expect(w.line(line, 0, line.length, format)).toBe(true);
    expect(Buffer.concat(w.finish()).toString()).toBe(
      '{"version":5,"srcaddr":"2001:db8::a:ed","note":"X-Amz-Signature.SessionToken/policy"}\n',
    );
  });
});
