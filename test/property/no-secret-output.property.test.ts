// Issue 12 §1: for random presigned URLs with a random secret placed in any field, written with
// random letter case, percent-encoding and whitespace splitting (TAB, LF, CR, which URL parsers
// strip, so the URL still works), no output of any command holds the secret: stdout, stderr,
// handler results and the log lines handlers write. Issue 17 §2: the same for presigned POST
// forms, the secret in a field of any letter case and repeated inside the base64 policy.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { exampleFunctions } from '../unit/analyze-handler.js';
import { runCli } from '../unit/run-cli.js';

const { probe, analyze } = exampleFunctions();
const handlers = [probe, analyze];
afterEach(() => vi.restoreAllMocks());

const ENV = new URL('../fixtures/env/example-env.json', import.meta.url).pathname;
const ACCESS_LINE = readFileSync(new URL('../fixtures/analyze/access.log', import.meta.url), 'utf8')
  .split('\n')
  .find((l) => l.includes('REST.GET.OBJECT'))!;
const TRAIL_EVENT = JSON.parse(
  readFileSync(new URL('../fixtures/cloudtrail/events.ndjson', import.meta.url), 'utf8').split('\n')[0]!,
) as Record<string, unknown>;

// --- The secret and how it is written ----------------------------------------------------------

const HEX = '0123456789abcdef';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const chars = (alphabet: string, min: number, max: number) =>
  fc.array(fc.constantFrom(...alphabet), { minLength: min, maxLength: max }).map((a) => a.join(''));

/** Where the secret goes in the URL: a query parameter by name, or the user info's password. */
const placement = fc.oneof(
  fc.record({ name: fc.constant('X-Amz-Signature'), secret: chars(HEX, 64, 64) }),
  fc.record({
    name: fc.constantFrom('X-Amz-Security-Token', 'x-amz-s3session-token'),
    secret: chars(B64, 40, 200).map((s) => `IQoJ${s}`),
  }),
  fc.record({
    name: fc.constantFrom('X-Amz-Credential', 'AWSAccessKeyId'),
    secret: fc.tuple(fc.constantFrom('AKIA', 'ASIA'), chars(KEY, 16, 16)).map(([p, s]) => p + s),
  }),
  fc.record({ name: fc.constant('Signature'), secret: chars(B64, 27, 27).map((s) => `${s}=`) }),
  fc.record({ name: fc.constant('@password'), secret: chars(B64, 40, 40) }),
);

/** Each character: its case flipped or not, percent-encoded 0-2 times, a TAB/LF/CR or none after it. */
const writing = fc.array(
  fc.record({
    flip: fc.boolean(),
    encode: fc.constantFrom(0, 0, 0, 1, 2),
    split: fc.constantFrom('', '', '', '', '\t', '\n', '\r', '\r\n'),
  }),
  { minLength: 300, maxLength: 300 },
);

function encodeChar(ch: string, depth: number): string {
  if (depth === 0) return ch;
  const hex = ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0');
  return `%${'25'.repeat(depth - 1)}${hex}`;
}

function write(
  text: string,
  how: readonly { flip: boolean; encode: number; split: string }[],
  flipCase: boolean,
) {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const w = how[i % how.length]!;
    let c = text[i]!;
    if (flipCase && w.flip) c = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
    out += encodeChar(c, w.encode) + w.split;
  }
  return out;
}

interface Hostile {
  url: string;
  secret: string;
}

const hostileUrl: fc.Arbitrary<Hostile> = fc
  .record({
    p: placement,
    how: writing,
    bucket: fc.constantFrom('my-bucket', 'example-data-bucket'),
    host: fc.constantFrom('s3.amazonaws.com', 's3.us-east-1.amazonaws.com', 's3-accelerate.amazonaws.com'),
    key: chars('abcdefghij/.-', 1, 20),
  })
  .map(({ p, how, bucket, host, key }) => {
    const base = `https://${bucket}.${host}/${key}`;
    if (p.name === '@password') {
      // A working URL percent-encodes `/` and `+` in a password; whitespace may split it anywhere.
      const pw = write(p.secret.replace(/\//g, '%2F').replace(/\+/g, '%2B'), how, false);
      return { url: base.replace('https://', `https://AKIAIOSFODNN7EXAMPLE:${pw}@`), secret: p.secret };
    }
    const scope = p.name === 'X-Amz-Credential' ? '%2F20260115%2Fus-east-1%2Fs3%2Faws4_request' : '';
    // Name and separator: any case, encoding and splitting; the value: encoding and splitting
    // (its case is part of the secret).
    const param = `${write(`${p.name}=`, how, true)}${write(p.secret, how.slice(17), false)}${scope}`;
    return { url: `${base}?X-Amz-Algorithm=AWS4-HMAC-SHA256&${param}&x-id=GetObject`, secret: p.secret };
  });

/** Text with every way of hiding a secret undone: URL-stripped whitespace, JSON escapes, percent-encoding. */
function normalise(s: string): string {
  let cur = s.replace(/[\t\n\r]|\\+[tnr]/g, '');
  for (let i = 0; i < 6; i++) {
    const next = cur.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) =>
      String.fromCharCode(Number.parseInt(h, 16)),
    );
    if (next === cur) break;
    cur = next.replace(/[\t\n\r]/g, '');
  }
  return cur;
}

function expectNoSecret(what: string, output: string, secret: string): void {
  // Assert on a short message: the output itself may hold the secret.
  expect(normalise(output).includes(secret), `${what} holds the secret`).toBe(false);
}

const NOW = ['--now', '2026-01-15T10:21:00Z'];

/**
 * Runs `go` with what the handlers write (stdout, stderr, the console) captured instead of
 * printed, and returns that text; the writers are restored even when `go` throws.
 */
async function capturingLogs(go: () => Promise<void>): Promise<string> {
  let logged = '';
  const capture = (chunk: unknown) => {
    logged += String(chunk);
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
    vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void capture(a.join(' '))),
  );
  try {
    await go();
  } finally {
    for (const s of spies) s.mockRestore();
    vi.restoreAllMocks();
  }
  return logged;
}
const RUNS = 40;

describe('no output holds a secret, wherever it is placed and however it is written', () => {
  it('inspect-url: arguments, standard input, table and JSON', async () => {
    await fc.assert(
      fc.asyncProperty(hostileUrl, async ({ url, secret }) => {
        // The premise: the URL parses (S3 would receive it).
        expect(URL.canParse(url.replace(/[\t\n\r]/g, ''))).toBe(true);
        for (const r of [
          await runCli(['inspect-url', ...NOW, url]),
          await runCli(['inspect-url', ...NOW, '--json', url]),
          await runCli(['inspect-url', ...NOW, '--json', '-'], url.replace(/[\r\n]/g, '')),
        ]) {
          expect(r.code).toBe(0);
          expectNoSecret('inspect-url output', r.all, secret);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('Lambda handlers: the inspect-url action, an unknown key, their results and log lines', async () => {
    await fc.assert(
      fc.asyncProperty(hostileUrl, async ({ url, secret }) => {
        const logged = await capturingLogs(async () => {
          for (const handler of handlers) {
            const ok = await handler({ action: 'inspect-url', url });
            expectNoSecret('handler result', JSON.stringify(ok), secret);
            const refused = await handler({ action: 'probe-now', [url]: true, url }).then(
              (r) => JSON.stringify(r),
              (e: Error) => `${e.message} ${JSON.stringify(e)}`,
            );
            expectNoSecret('handler error', refused, secret);
          }
        });
        expectNoSecret('handler log lines', logged, secret);
      }),
      { numRuns: RUNS },
    );
  });

  it('parse s3-access and classify --access: the URL in any field of a log line', async () => {
    const fields = ['requestUri', 'key', 'referer', 'userAgent', 'hostHeader', 'errorCode', 'extra'] as const;
    await fc.assert(
      fc.asyncProperty(hostileUrl, fc.constantFrom(...fields), async ({ url, secret }, field) => {
        // One log line: no LF inside; TAB and CR may stay inside a field.
        const u = url.replace(/\r?\n/g, '\t');
        const line = placeInAccessLine(u, field);
        for (const r of [
          await runCli(['parse', 's3-access', '-'], `${line}\n`),
          await runCli(['classify', '--env', ENV, '--access', '-'], `${line}\n`),
        ]) {
          expect(r.code).toBe(0);
          expectNoSecret(`access log (${field})`, r.all, secret);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('parse cloudtrail and classify --cloudtrail: the URL in any string field, and in a broken event', async () => {
    const fields = ['userAgent', 'key', 'Host', 'errorCode', 'eventName', 'sourceIPAddress'] as const;
    await fc.assert(
      fc.asyncProperty(hostileUrl, fc.constantFrom(...fields), async ({ url, secret }, field) => {
        const ev = structuredClone(TRAIL_EVENT) as Record<string, unknown> & {
          requestParameters: Record<string, unknown>;
        };
        if (field === 'key' || field === 'Host') ev.requestParameters[field] = url;
        else ev[field] = url;
        const good = JSON.stringify(ev);
        // A broken event: JSON.parse quotes the text around its error in the reject sample.
        const broken = `{"userAgent": ${url.replace(/[\r\n]/g, '')}}`;
        const input = `${good}\n${broken}\n`;
        for (const r of [
          await runCli(['parse', 'cloudtrail', '-'], input),
          await runCli(['classify', '--env', ENV, '--cloudtrail', '-'], input),
        ]) {
          expect(r.code).toBe(0);
          expect(r.all).toContain('rejected 1');
          expectNoSecret(`CloudTrail (${field})`, r.all, secret);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

// --- Presigned POST forms ---------------------------------------------------------------------

const flipCase = (name: string, flips: readonly boolean[]) =>
  [...name].map((c, i) => (flips[i % flips.length] ? c.toUpperCase() : c.toLowerCase())).join('');

interface HostileForm {
  form: { url: string; fields: Record<string, string> };
  secret: string;
  policy: string;
}

/**
 * A SigV4 or SigV2 form with a random secret in one secret-bearing field (name in any letter
 * case) and, as both SDKs write it, in the policy's conditions; or only in a condition.
 */
const hostileForm: fc.Arbitrary<HostileForm> = fc
  .record({
    p: fc.oneof(
      fc.record({ name: fc.constant('X-Amz-Signature'), secret: chars(HEX, 64, 64) }),
      fc.record({
        name: fc.constant('X-Amz-Security-Token'),
        secret: chars(B64, 40, 200).map((x) => `IQoJ${x}`),
      }),
      fc.record({
        name: fc.constantFrom('X-Amz-Credential', 'AWSAccessKeyId'),
        secret: fc.tuple(fc.constantFrom('AKIA', 'ASIA'), chars(KEY, 16, 16)).map(([a, b]) => a + b),
      }),
      fc.record({ name: fc.constant('Signature'), secret: chars(B64, 27, 27).map((x) => `${x}=`) }),
      fc.record({ name: fc.constant('$condition-only'), secret: chars(B64, 40, 80).map((x) => `IQoJ${x}`) }),
    ),
    flips: fc.array(fc.boolean(), { minLength: 1, maxLength: 30 }),
    style: fc.constantFrom('object', 'array'),
  })
  .map(({ p, flips, style }) => {
    const scope = '/20260115/us-east-1/s3/aws4_request';
    const value = p.name === 'X-Amz-Credential' ? `${p.secret}${scope}` : p.secret;
    const fields: Record<string, string> = {
      key: 'uploads/a.bin',
      'x-amz-algorithm': 'AWS4-HMAC-SHA256',
      'x-amz-date': '20260115T102000Z',
    };
    const conditions: unknown[] = [{ bucket: 'my-bucket' }, ['content-length-range', 1, 1024]];
    if (p.name === '$condition-only') {
      conditions.push(['eq', '$x-amz-security-token', value]);
    } else {
      const name = flipCase(p.name, flips);
      fields[name] = value;
      if (p.name !== 'X-Amz-Signature' && p.name !== 'Signature')
        conditions.push(style === 'object' ? { [name]: value } : ['eq', `$${name}`, value]);
    }
    for (const [k, v] of Object.entries(fields)) if (!/signature/i.test(k)) conditions.push({ [k]: v });
    const policy = Buffer.from(JSON.stringify({ expiration: '2026-01-15T10:30:00Z', conditions })).toString(
      'base64',
    );
    fields.Policy = policy;
    return {
      form: { url: 'https://my-bucket.s3.us-east-1.amazonaws.com/', fields },
      secret: p.secret,
      policy,
    };
  });

/** Neither the secret nor any piece of the policy (which repeats it in base64) is in `output`. */
function expectNoFormSecret(what: string, output: string, h: HostileForm): void {
  expectNoSecret(what, output, h.secret);
  for (let i = 0; i + 24 <= h.policy.length; i += 12) {
    expect(output.includes(h.policy.slice(i, i + 24)), `${what} holds a piece of the policy`).toBe(false);
  }
}

describe('no output holds a secret of a presigned POST form', () => {
  it('inspect-url: a form as an argument (table and JSON) and on standard input (a line, a pretty document)', async () => {
    await fc.assert(
      fc.asyncProperty(hostileForm, async (h) => {
        const text = JSON.stringify(h.form);
        for (const r of [
          await runCli(['inspect-url', ...NOW, text]),
          await runCli(['inspect-url', ...NOW, '--json', text]),
          await runCli(['inspect-url', ...NOW, '--json', '-'], `${text}\n`),
          await runCli(['inspect-url', ...NOW, '-'], JSON.stringify(h.form, null, 2)),
        ]) {
          expect(r.code).toBe(0);
          expectNoFormSecret('inspect-url output', r.all, h);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('Lambda handlers: the inspect-url action with post, an unknown key, their results and log lines', async () => {
    await fc.assert(
      fc.asyncProperty(hostileForm, async (h) => {
        const logged = await capturingLogs(async () => {
          for (const handler of handlers) {
            for (const post of [h.form, JSON.stringify(h.form)]) {
              const ok = await handler({ action: 'inspect-url', post });
              expectNoFormSecret('handler result', JSON.stringify(ok), h);
            }
            const refused = await handler({
              action: 'inspect-url',
              post: h.form,
              url: 'x',
              [h.secret]: 1,
            }).then(
              (r) => JSON.stringify(r),
              (e: Error) => `${e.message} ${JSON.stringify(e)}`,
            );
            expectNoFormSecret('handler error', refused, h);
          }
        });
        expectNoFormSecret('handler log lines', logged, h);
      }),
      { numRuns: RUNS },
    );
  });
});

/** The fixture's GET line with `value` put in one field (quoted fields stay quoted). */
function placeInAccessLine(value: string, field: string): string {
  const m = ACCESS_LINE.match(/^(\S+ \S+ \[[^\]]+\] \S+ \S+ \S+ \S+) (\S+) "([^"]*)" (\S+) (\S+) (.*)$/);
  if (!m) throw new Error('fixture line changed shape');
  let [, head, key, uri, status, error, rest] = m as unknown as string[];
  let tail = rest!;
  switch (field) {
    case 'requestUri':
      uri = `GET ${value} HTTP/1.1`;
      break;
    case 'key':
      key = value;
      break;
    case 'errorCode':
      error = value;
      break;
    case 'referer':
      tail = tail.replace(/^(\S+ \S+ \S+ \S+ )("[^"]*"|-)/, `$1"${value}"`);
      break;
    case 'userAgent':
      tail = tail.replace(/^(\S+ \S+ \S+ \S+ (?:"[^"]*"|-) )("[^"]*"|-)/, `$1"${value}"`);
      break;
    case 'hostHeader':
      tail = tail.replace(/(SigV4 \S+ \S+ )(\S+)/, `$1${value}`);
      break;
    case 'extra':
      tail = `${tail} ${value}`;
      break;
  }
  return `${head} ${key} "${uri}" ${status} ${error} ${tail}`;
}
