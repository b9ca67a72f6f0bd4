// `parse flow` NDJSON over worker threads (issue 16): plain files rendered by byte ranges, written
// in file order, print byte for byte what `--jobs 1` prints: the records, the rejects and their
// whole-file line numbers, with bad lines on both sides of every range boundary, several files
// (gzip among them, read whole) and a header line in the middle of a file.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planFilePieces } from '../../functions/cli/file-pieces.js';
import { writeFlowNdjsonOnThreads } from '../../functions/cli/ndjson-jobs.js';
import { pipeFlowRecords } from '../../functions/lib/read-flow.js';
import { FlowNdjsonWriter } from '../../shared/flow-logs/ndjson.js';
import { RejectCounter } from '../../shared/text/rejects.js';
import { buildCli, runBin } from './run-cli.js';

const V5 =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path';
const V2 =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const THREADS = 3;
const WORKER_SCRIPT = pathToFileURL('dist/file-worker.mjs');

let dir = '';
let files: string[] = [];

/** A v5 line; every 97th holds what the writer does not copy (a `:` or a `=`), so both paths run. */
function v5Line(i: number): string {
  const t = 1_764_000_000 + i;
  const note = i % 97 === 0 ? 'x=1' : i % 89 === 0 ? 'a:b' : '-';
  return `5 123456789012 eni-0a1b2c3d${i % 10} 10.0.${i % 256}.${(i * 7) % 256} 52.216.${i % 200}.9 ${40000 + (i % 20000)} 443 6 ${1 + (i % 900)} ${40 * (1 + (i % 900))} ${t} ${t + 58} ${i % 5 ? 'ACCEPT' : 'REJECT'} OK vpc-0abc subnet-0def i-0123456789abcdef0 3 IPv4 10.0.1.2 52.216.1.9 us-east-1 use1-az4 - - S3 ${note} egress ${i % 8}`;
}

const v2Line = (i: number) =>
  `2 123456789012 eni-0a1b2c3d4 10.0.0.${i % 256} 52.216.0.9 ${40000 + i} 443 6 10 400 ${1_764_000_000 + i} ${1_764_000_060 + i} ACCEPT OK`;

/**
 * Replaces the line before and the line after each range boundary of `file` by a bad line of the
 * same length (its first byte, a digit, becomes `x`), so the plan of ranges stays as it was.
 */
async function spoilBoundaries(file: string): Promise<number> {
  const [pieces] = await planFilePieces([file], THREADS);
  const b = readFileSync(file);
  let cuts = 0;
  for (const p of pieces!.slice(1)) {
    const at = p.range!.start;
    const before = b.lastIndexOf(0x0a, at - 2) + 1;
    b[before] = 0x78;
    b[at] = 0x78;
    cuts++;
  }
  writeFileSync(file, b);
  return cuts;
}

beforeAll(async () => {
  buildCli();
  dir = mkdtempSync(join(tmpdir(), 'pg-ndjson-jobs-'));
  const plainA = join(dir, 'a.log');
  const mixedB = join(dir, 'b.log');
  // About 2.7 MB each: three ranges of at least 1 MiB for three threads.
  writeFileSync(plainA, `${V5}\n${Array.from({ length: 11_000 }, (_, i) => v5Line(i)).join('\n')}\n`);
  // A header line two-thirds in: the ranges after it were planned under the first format.
  const head = Array.from({ length: 8_000 }, (_, i) => v5Line(i));
  const tail = Array.from({ length: 14_000 }, (_, i) => v2Line(i));
  writeFileSync(mixedB, `${V5}\n${head.join('\n')}\n${V2}\n${tail.join('\n')}\n`);
  for (const f of [plainA, mixedB]) expect(await spoilBoundaries(f)).toBeGreaterThanOrEqual(2);
  files = [
    plainA,
    'test/fixtures/flow-logs/s3-delivered-v5.log.gz',
    mixedB,
    'test/fixtures/flow-logs/bad-lines.log',
  ];
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Collects what is written, in order. */
class Sink extends Writable {
  readonly parts: Buffer[] = [];
  override _write(chunk: Buffer, _: BufferEncoding, done: () => void): void {
    this.parts.push(Buffer.from(chunk));
    done();
  }
  text(): string {
    return Buffer.concat(this.parts).toString('utf8');
  }
}

/** The inputs read in turn in this thread, as `--jobs 1` reads them. */
async function inTurn(
  inputs: readonly string[],
  rejects: RejectCounter,
): Promise<{ records: number; text: string }> {
  const out = new Sink();
  const w = new FlowNdjsonWriter();
  let records = 0;
  for (const input of inputs) {
    records += await pipeFlowRecords(
      input,
      { rejects },
      {
        region: (b, from, to) => w.region(b, from, to),
        render: (b, start, f, max) => w.render(b, start, f, max),
        line: (b, start, end, f) => w.line(b, start, end, f),
        record: (r) => w.record(r),
        flush: () => undefined,
      },
    );
  }
  for (const c of w.finish()) out.write(c);
  return { records, text: out.text() };
}

describe('parse flow NDJSON on worker threads', () => {
  it('writes every range in file order, rejects numbered as reading in turn numbers them', async () => {
    const expectedRejects = new RejectCounter(1000);
    const expected = await inTurn(files, expectedRejects);
    // Bad lines at the boundaries, in the mixed file on both sides of the header, and rejects
    // after the header (a v2 line read under v5 would be one): the samples show all of it.
    expect(expectedRejects.count).toBeGreaterThan(8);
    const rejects = new RejectCounter(1000);
    const out = new Sink();
    const records = await writeFlowNdjsonOnThreads({
      inputs: files,
      spec: undefined,
      threads: THREADS,
      stdout: out,
      rejects,
      renderWhole: async (input) => {
        const r = await inTurn([input], rejects);
        out.write(r.text);
        return r.records;
      },
      workerScript: WORKER_SCRIPT,
      thisThreadRenders: false,
    });
    expect(records).toBe(expected.records);
    expect(out.text()).toBe(expected.text);
    expect(rejects.format()).toEqual(expectedRejects.format());
  });

  it('prints with --jobs what --jobs 1 prints, records and reject samples alike', () => {
    const cli = (jobs: string) => runBin(['parse', 'flow', '--jobs', jobs, ...files]);
    const one = cli('1');
    expect(one.status).toBe(0);
    expect(one.stderr).toMatch(/rejected [1-9]/);
    const many = cli(String(THREADS));
    expect(many.status).toBe(0);
    expect(many.stderr).toBe(one.stderr);
    expect(many.stdout === one.stdout).toBe(true);
  });
});
