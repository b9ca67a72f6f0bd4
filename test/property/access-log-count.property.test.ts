import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readAccessLogRecords } from '../../functions/lib/read-access-logs.js';
import { AccessLogRecordCounter } from '../../shared/access-logs/counter.js';
import { formatAccessLogRecord } from '../../shared/access-logs/formatter.js';
import { emptyAccessLogRecord } from '../../shared/access-logs/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';

// The `--count` path must count exactly the records `parse s3-access` outputs and reject exactly
// the same lines with the same codes and messages: here the counter and the record reader read the
// same bytes, cut into the same chunks, and their tallies are compared line by line.

const fixture = (name: string) => new URL(`../fixtures/access-logs/${name}`, import.meta.url).pathname;
const awsLines = ['aws-doc-current.log', 'aws-doc-2023.log', 'aws-doc-2014.log', 'composed-variants.log']
  .flatMap((f) => readFileSync(fixture(f), 'utf8').split('\n'))
  .filter((l) => l.trim() !== '');

/** A line as the benchmark writes them: presigned Request-URI, long user agent, 27 fields. */
function realistic(uri: string, agent: string, time: string, tail: string, size = '56168895'): string {
  return `6d409d7222ffd6e95fb9c318c6ae870f1ab3162401345449dcd9a5ef7bfe5b6c analytics-landing-111122223333 ${time} 10.1.37.26 arn:aws:sts::111122223333:assumed-role/etl-worker/i-01be1157d2af0e0fc 4DEDFC0E258EB105 REST.GET.OBJECT data/part-58047.parquet "${uri}" 200 - 56168895 ${size} 266 133 "-" "${agent}" ${tail}`;
}
const presigned =
  'GET /data/part-58047.parquet?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=8a4f1040cc854c526e165bdcee7e9b347a74323f8b8d7de998340831a98396b7 HTTP/1.1';
const agent =
  'aws-sdk-java/2.25.16 Linux/5.10.213-201.855.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS';
const tail =
  '- yks/Dmzldbr8QfuAiSmfR/XLR5JAQXyie0xxr198lFqcEeAheUEJmJ+LbtzUGDHKcRiB5pQlb/8= SigV4 ECDHE-RSA-AES128-GCM-SHA256 QueryString analytics-landing-111122223333.s3.us-east-1.amazonaws.com TLSv1.2 - - us-east-1';

const times = fc.constantFrom(
  '15/Jan/2026:00:00:00 +0000',
  '15/Jan/2026:00:00:01 +0000',
  '29/Feb/2024:23:59:59 +0000',
  '29/Feb/2023:23:59:59 +0000',
  '31/Apr/2026:00:00:00 +0000',
  '15/Jan/2026:00:00:00 +0130',
  '15/Jab/2026:00:00:00 +0000',
  '15/Jan/2026:24:00:00 +0000',
  '15/Jan/2026:00:00:00 ]0000',
  '15/Jan/2026 00:00:00 +0000',
);
const timeFields = fc
  .tuple(
    times,
    fc.constantFrom(['[', ']'], ['[', ']]'], ['[', ' ]'], ['[', 'x]'], ['[', ''], ['', ']'], ['"', '"']),
  )
  .map(([t, [open, close]]) => `${open}${t}${close}`);
const realisticLine = fc
  .tuple(
    fc.constantFrom(presigned, 'GET /k HTTP/1.1', '', '-', 'GET /a\\"b HTTP/1.1', 'GET /x"y HTTP/1.1'),
    fc.constantFrom(agent, 'curl/8.5.0', '-', 'a\\\\', 'x" y'),
    timeFields,
    fc.constantFrom(
      tail,
      '',
      '-',
      `${tail} ${tail}`,
      Array(111).fill('x').join(' '),
      Array(112).fill('x').join(' '),
      // Tails too long to pass on their length alone: the fields are counted.
      `${'v'.repeat(300)} ${Array(110).fill('x').join(' ')}`,
      `${'v'.repeat(300)} ${Array(111).fill('x').join(' ')}`,
      Array(111).fill('x').join('  '),
      Array(112).fill('x').join('  '),
      `${Array(110).fill('x').join(' ')}   ${'v'.repeat(300)}`,
    ),
    fc.constantFrom('0', '-', '123456789012345', '1234567890123456', '-1', '1-', '"5"', '5 ', ' 5', '1e3'),
  )
  .map(([u, a, t, r, size]) => realistic(u, a, t, r, size));

/** Characters that change how a line is read, and some that do not. */
const edit = fc.constantFrom(
  ' ',
  '  ',
  '"',
  '\\',
  '[',
  ']',
  '-',
  '0',
  '9',
  'a',
  '\t',
  '\r',
  'é',
  '\\"',
  '" ',
  '',
);
/** A real or realistic line with one edit: a character inserted, replaced or deleted. */
const nearMiss = fc
  .tuple(fc.oneof(fc.constantFrom(...awsLines), realisticLine), fc.nat(), fc.nat({ max: 2 }), edit)
  .map(([line, at, del, ins]) => {
    const i = at % (line.length + 1);
    return line.slice(0, i) + ins + line.slice(i + del);
  });
const token = fc.oneof(
  fc.constantFrom(
    '-',
    '"-"',
    '[06/Feb/2019:00:00:38 +0000]',
    '""',
    '"a b"',
    '"a\\" b"',
    '123',
    '1234567890123456',
  ),
  fc.string({ unit: fc.constantFrom('a', ' ', '"', '\\', '[', ']', '-', '1'), maxLength: 8 }),
);
const lineArb = fc.oneof(
  { weight: 3, arbitrary: nearMiss },
  { weight: 2, arbitrary: realisticLine },
  { weight: 1, arbitrary: fc.constantFrom(...awsLines) },
  { weight: 1, arbitrary: fc.array(token, { minLength: 14, maxLength: 30 }).map((t) => t.join(' ')) },
  { weight: 1, arbitrary: fc.constantFrom('', '   ', ' \t ', '\r') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
);

/** The lines joined into one input, with LF or CRLF breaks, and its cut points. */
const inputArb = fc
  .tuple(
    fc.array(lineArb, { minLength: 1, maxLength: 12 }),
    fc.boolean(),
    fc.boolean(),
    fc.array(fc.nat(), { maxLength: 6 }),
  )
  .map(([lines, crlf, finalBreak, cuts]) => {
    const text =
      lines.map((l) => l.replace(/\n/g, ' ')).join(crlf ? '\r\n' : '\n') + (finalBreak ? '\n' : '');
    const bytes = Buffer.from(text, 'utf8');
    const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
    const chunks: Buffer[] = [];
    let from = 0;
    for (const c of [...at, bytes.length]) {
      chunks.push(bytes.subarray(from, c));
      from = c;
    }
    return chunks.filter((c) => c.length > 0);
  });

type Tally = { records: number; rejects: [number, string, string][] };

async function readerTally(chunks: Buffer[], maxLineBytes: number): Promise<Tally> {
  const rejects = new RejectCounter(10_000);
  // Each chunk a fresh copy: the reader may hold one while the next is read.
  const stdin = Readable.from(chunks.map((c) => Buffer.from(c)));
  let records = 0;
  for await (const batch of readAccessLogRecords('-', { stdin, rejects, maxLineBytes }))
    records += batch.length;
  return { records, rejects: rejects.samples.map((s) => [s.line, s.code, s.message]) };
}

function counterTally(chunks: Buffer[], maxLineBytes: number): Tally {
  const rejects = new RejectCounter(10_000);
  const counter = new AccessLogRecordCounter({ maxLineBytes, onReject: (n, e) => rejects.add('-', n, e) });
  // One buffer overwritten for each chunk, as a plain file is read: nothing may be kept of it.
  const scratch = Buffer.alloc(Math.max(1, ...chunks.map((c) => c.length)));
  for (const c of chunks) {
    c.copy(scratch);
    counter.push(scratch.subarray(0, c.length));
    scratch.fill(0x22);
  }
  counter.end();
  return { records: counter.records, rejects: rejects.samples.map((s) => [s.line, s.code, s.message]) };
}

describe('access log --count path', () => {
  it('counts and rejects exactly what the record reader outputs and rejects', async () => {
    await fc.assert(
      fc.asyncProperty(inputArb, fc.constantFrom(400, 65_536), async (chunks, maxLineBytes) => {
        const want = await readerTally(chunks, maxLineBytes);
        expect(counterTally(chunks, maxLineBytes)).toEqual(want);
      }),
      { numRuns: 2500 },
    );
  });

  it('accepts the lines the benchmark measures, and a record of its own formatter', async () => {
    const lines = [realistic(presigned, agent, '[15/Jan/2026:00:00:00 +0000]', tail), ...awsLines];
    lines.push(formatAccessLogRecord({ ...emptyAccessLogRecord(), requestUri: 'GET /a"b\\c HTTP/1.1' }));
    const chunks = [Buffer.from(`${lines.join('\n')}\n`)];
    expect(counterTally(chunks, 65_536)).toEqual(await readerTally(chunks, 65_536));
    expect(counterTally(chunks, 65_536).records).toBe(lines.length);
  });
});
