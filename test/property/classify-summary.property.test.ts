/**
 * `classify --summary` counts what `classify` (one NDJSON line per record) and classifyFlowRecord
 * over the parsed records say, on random environments and v5 files: per path, unclassified and
 * rejected, with lines the summary reads from their bytes (cached kinds of record), lines it
 * builds (new kinds, non-ASCII values) and lines the parser rejects.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { classifyFlowRecord } from '../../shared/classify/index.js';
import { buildEnvironmentIndex } from '../../shared/env/environment-index.js';
import { formatFlowHeader, formatFlowRecord } from '../../shared/flow-logs/formatter.js';
import { parseFlowLogText } from '../../shared/flow-logs/parser.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { runCli } from '../unit/run-cli.js';
import { FORMAT, LINE_BASE, scene } from './flow-env-arbitraries.js';

const DEEP = process.env.PATHGUARD_DEEP === '1';

const dir = mkdtempSync(join(tmpdir(), 'pg-classify-summary-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function classify(args: string[]) {
  const r = await runCli(['classify', ...args]);
  expect(r.code).toBe(0);
  return r;
}

/** A record's line; some get a non-ASCII interface id (read by the record path, not the bytes). */
function lineOf(r: FlowRecord, i: number): string {
  const text = formatFlowRecord({ ...LINE_BASE, ...r }, FORMAT);
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
          for (const row of summary.stdout.split('\n')) {
            const m = /^flow +(\S+) +\S+ +(\d+)$/.exec(row);
            if (m === null) continue;
            if (m[1] === '(rejected)') rejected = Number(m[2]);
            else if (Number(m[2]) > 0) got.set(m[1]!, Number(m[2]));
          }
          expect(got).toEqual(want);

          const each = await classify(['--env', envFile, '--flow', file]);
          const perLine = new Map<string, number>();
          for (const row of each.stdout.trim().split('\n')) {
            if (row === '') continue;
            const p = JSON.parse(row).path as string;
            perLine.set(p, (perLine.get(p) ?? 0) + 1);
          }
          want.delete('(unclassified)');
          expect(perLine).toEqual(want);
          // The same lines rejected, with the same reasons, and at least the trailing bad one.
          expect(summary.stderr).toBe(each.stderr);
          expect(rejected).toBeGreaterThanOrEqual(1);
        },
      ),
      { numRuns: DEEP ? 1000 : 80 },
    );
  });
});
