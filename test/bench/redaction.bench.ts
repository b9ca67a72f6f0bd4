// Cost of redacting every field of every printed access-log record (issue 12), in process: the
// parser and JSON building as `parse s3-access` prints, with each redaction strategy over the same
// generated lines, in turn, in one run. The baseline is the redaction the command had before every
// field was covered: the Request-URI and the Referer only.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessLogLineParser } from '../../shared/access-logs/parser.js';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import { redactText } from '../../shared/endpoints/redact.js';
import { redactRecord } from '../../shared/evidence/redact-deep.js';
import { LineSplitter } from '../../shared/text/line-splitter.js';
import { generate } from './access-logs.bench.js';

const LINES = Number(process.env.BENCH_ACCESS_LOG_LINES ?? 600_000);
const ROUNDS = 3;

type Strategy = (
  parser: AccessLogLineParser,
  buf: Uint8Array,
  s: number,
  e: number,
) => AccessLogRecord | null;

function twoFields(r: AccessLogRecord): AccessLogRecord {
  const requestUri = r.requestUri === null ? null : redactText(r.requestUri);
  const referer = r.referer === null ? null : redactText(r.referer);
  if (requestUri === r.requestUri && referer === r.referer) return r;
  return { ...r, requestUri, referer };
}

const STRATEGIES: [name: string, run: Strategy][] = [
  ['no redaction (the floor)', (p, b, s, e) => value(p.parse(b, s, e))],
  ['Request-URI and Referer only (baseline)', (p, b, s, e) => map(p.parse(b, s, e), twoFields)],
  [
    'every field, the check on each field (`redactRecord`)',
    (p, b, s, e) => map(p.parse(b, s, e), redactRecord),
  ],
  ['every field, one check per line (`parseRedacted`)', (p, b, s, e) => value(p.parseRedacted(b, s, e))],
];

function value(r: { ok: true; value: AccessLogRecord } | { ok: false }): AccessLogRecord | null {
  return r.ok ? r.value : null;
}

function map(
  r: { ok: true; value: AccessLogRecord } | { ok: false },
  f: (x: AccessLogRecord) => AccessLogRecord,
): AccessLogRecord | null {
  return r.ok ? f(r.value) : null;
}

/** CPU seconds to parse, redact and print (as NDJSON text, discarded) every line of `data`. */
function cpuSeconds(data: Buffer, run: Strategy): { seconds: number; bytes: number } {
  const parser = new AccessLogLineParser();
  let out = '';
  let bytes = 0;
  const splitter = new LineSplitter((buf, s, e) => {
    const r = run(parser, buf, s, e);
    if (r === null) throw new Error('a generated line was rejected');
    out += `${JSON.stringify(r)}\n`;
    if (out.length > 1 << 20) {
      bytes += out.length;
      out = '';
    }
  });
  const t0 = process.cpuUsage();
  for (let o = 0; o < data.length; o += 262_144) splitter.push(data.subarray(o, o + 262_144));
  splitter.end();
  const t = process.cpuUsage(t0);
  return { seconds: (t.user + t.system) / 1e6, bytes: bytes + out.length };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export default async function redactionBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pathguard-bench-redact-'));
  try {
    const file = join(dir, 'access.log');
    await generate(file, LINES);
    const data = readFileSync(file);
    console.log(
      `input: ${LINES} lines, ${(data.length / 1e6).toFixed(1)} MB, a quarter of them presigned GETs; CPU seconds, median of ${ROUNDS} rounds, strategies in turn`,
    );
    const times = STRATEGIES.map(() => [] as number[]);
    let printed = -1;
    for (let round = 0; round <= ROUNDS; round++) {
      STRATEGIES.forEach(([, run], i) => {
        const r = cpuSeconds(data, run);
        // Every strategy must print the same bytes as the one before it, but for redaction.
        if (i === 3 && printed !== -1 && r.bytes !== printed)
          throw new Error('line check and field check differ');
        if (i === 2) printed = r.bytes;
        if (round > 0) times[i]!.push(r.seconds); // round 0 warms up
      });
    }
    const base = median(times[1]!);
    console.log('\n| redaction | CPU s | records/s | vs baseline |');
    console.log('|---|---:|---:|---:|');
    STRATEGIES.forEach(([name], i) => {
      const t = median(times[i]!);
      const vs = `${t >= base ? '+' : ''}${(((t - base) / base) * 100).toFixed(1)}%`;
      console.log(`| ${name} | ${t.toFixed(3)} | ${Math.round(LINES / t).toLocaleString('en-US')} | ${vs} |`);
    });
    const gate = (median(times[3]!) - base) / base;
    console.log(`\ntarget: every field within +10% of the baseline: ${gate <= 0.1 ? 'met' : 'not met'}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
