/**
 * `classify --summary` counts what `classify` (one NDJSON line per record) and classifyFlowRecord
 * over the parsed records say, on random environments and v5 files: per path, unclassified and
 * rejected, with lines the summary reads from their bytes (cached kinds of record), lines it
 * builds (new kinds, non-ASCII values) and lines the parser rejects.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../functions/cli/main.js';
import { classifyFlowRecord } from '../../shared/classify/index.js';
import { buildEnvironmentIndex } from '../../shared/env/environment-index.js';
import { parseFlowFormat } from '../../shared/flow-logs/format.js';
import { formatFlowHeader, formatFlowRecord } from '../../shared/flow-logs/formatter.js';
import { parseFlowLogText } from '../../shared/flow-logs/parser.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { scene } from './flow-env-arbitraries.js';

const DEEP = process.env.PATHGUARD_DEEP === '1';
const V5 = parseFlowFormat(
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path',
);
if (!V5.ok) throw new Error('v5 format');
const FORMAT = V5.value;
const BASE: FlowRecord = {
  version: 5,
  accountId: '123456789012',
  srcport: 49152,
  dstport: 443,
  protocol: 6,
  packets: 12,
  bytes: 1830,
  start: 1764061200,
  end: 1764061259,
  action: 'ACCEPT',
  logStatus: 'OK',
  instanceId: 'i-0123456789abcdef0',
  tcpFlags: 3,
  type: 'IPv4',
  region: 'us-east-1',
  azId: 'use1-az4',
};

const dir = mkdtempSync(join(tmpdir(), 'pg-classify-summary-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function classify(args: string[]): Promise<{ out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => {
    out += d;
  });
  stderr.on('data', (d) => {
    err += d;
  });
  const code = await main(['classify', ...args], { stdin: Readable.from([]), stdout, stderr });
  expect(code).toBe(0);
  return { out, err };
}

/** A record's line; some get a non-ASCII interface id (read by the record path, not the bytes). */
function lineOf(r: FlowRecord, i: number): string {
  const text = formatFlowRecord({ ...BASE, ...r }, FORMAT);
  return i % 7 === 6 ? text.replace(/ eni-0/, ' eni-\u00e90') : text;
}

describe('classify --summary', () => {
  it('counts every path, unclassified and rejected record as classify and classifyFlowRecord do', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        scene,
        fc.array(fc.nat(), { minLength: 1, maxLength: 60 }),
        async ([env, kinds], order) => {
          const lines = order.map((i, k) => lineOf(kinds[i % kinds.length]!, k));
          const text = `${formatFlowHeader(FORMAT)}\n${lines.join('\n')}\nnot a flow record\n`;
          const file = join(dir, `flows-${run}.log`);
          const envFile = join(dir, `env-${run++}.json`);
          writeFileSync(file, text);
          writeFileSync(envFile, JSON.stringify(env));

          // Expected: the parser's records, each classified on its own.
          const idx = buildEnvironmentIndex(env);
          const want = new Map<string, number>();
          for (const r of parseFlowLogText(text, { rejects: new RejectCounter() })) {
            const p = classifyFlowRecord(r, idx)?.path ?? '(unclassified)';
            want.set(p, (want.get(p) ?? 0) + 1);
          }

          const summary = await classify(['--env', envFile, '--flow', file, '--summary']);
          const got = new Map<string, number>();
          let rejected = -1;
          for (const row of summary.out.split('\n')) {
            const m = /^flow +(\S+) +\S+ +(\d+)$/.exec(row);
            if (m === null) continue;
            if (m[1] === '(rejected)') rejected = Number(m[2]);
            else if (Number(m[2]) > 0) got.set(m[1]!, Number(m[2]));
          }
          expect(got).toEqual(want);

          const each = await classify(['--env', envFile, '--flow', file]);
          const perLine = new Map<string, number>();
          for (const row of each.out.trim().split('\n')) {
            if (row === '') continue;
            const p = JSON.parse(row).path as string;
            perLine.set(p, (perLine.get(p) ?? 0) + 1);
          }
          want.delete('(unclassified)');
          expect(perLine).toEqual(want);
          // The same lines rejected, with the same reasons, and at least the trailing bad one.
          expect(summary.err).toBe(each.err);
          expect(rejected).toBeGreaterThanOrEqual(1);
        },
      ),
      { numRuns: DEEP ? 1000 : 80 },
    );
  });
});
