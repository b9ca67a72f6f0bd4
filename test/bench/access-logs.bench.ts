// S3 server access log parsing speed: in-process parser and `--count` counter, in-process
// streaming reader, the CLI (`parse s3-access --count`) and an awk baseline over the same
// generated file, all in one run.
// The input is generated before anything is timed, in a temp dir that is removed afterwards.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  createReadStream,
  createWriteStream,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { readAccessLogRecords } from '../../functions/lib/read-access-logs.js';
import { AccessLogRecordCounter } from '../../shared/access-logs/counter.js';
import { AccessLogLineParser } from '../../shared/access-logs/parser.js';
import { LineSplitter } from '../../shared/text/line-splitter.js';
import { RejectCounter } from '../../shared/text/rejects.js';

const LINES = Number(process.env.BENCH_ACCESS_LOG_LINES ?? 600_000);
const ROUNDS = 3;
const repo = new URL('../../', import.meta.url).pathname;

/** Deterministic PRNG (mulberry32) so every run measures the same bytes. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const USER_AGENTS = [
  '"aws-sdk-java/2.25.16 Linux/5.10.213-201.855.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/adaptive"',
  '"Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10.213 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69"',
  '"aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79 exe/x86_64.amzn.2023 prompt/off command/s3.cp"',
  '"aws-sdk-js/3.540.0 ua/2.0 os/linux#5.10.213 lang/js md/nodejs#20.11.1 api/s3#3.540.0"',
  '"aws-sdk-go-v2/1.26.0 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/s3#1.53.0"',
  '"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36"',
  '"S3Console/0.4"',
  '"curl/8.5.0"',
];
const CIPHERS = ['ECDHE-RSA-AES128-GCM-SHA256', 'TLS_AES_128_GCM_SHA256'];
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const HEX = '0123456789ABCDEF';

/** Writes `lines` realistic access log lines to `file` (also used to profile by hand). */
export function generate(file: string, lines: number): Promise<void> {
  const rnd = prng(20260115);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const chars = (alphabet: string, n: number) => {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
    return s;
  };
  const pad = (n: number) => (n < 10 ? `0${n}` : String(n));
  const owner = chars('0123456789abcdef', 64);
  const bucket = 'analytics-landing-111122223333';
  let t = Date.UTC(2026, 0, 15);
  const out = createWriteStream(file);
  let i = 0;
  return new Promise((resolve, reject) => {
    out.on('error', reject);
    const write = () => {
      let ok = true;
      while (i < lines && ok) {
        let block = '';
        for (let k = 0; k < 1000 && i < lines; k++, i++) {
          // About 20 requests per second on average, as on a busy bucket.
          t += Math.floor(-Math.log(1 - rnd()) * 50);
          const d = new Date(t);
          const time = `[${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000]`;
          const r = rnd();
          const ip =
            r < 0.6
              ? `10.${Math.floor(rnd() * 4)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}`
              : r < 0.8
                ? `203.0.113.${Math.floor(rnd() * 256)}`
                : r < 0.9
                  ? `100.64.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}`
                  : `2001:db8:${Math.floor(rnd() * 65536).toString(16)}::${Math.floor(rnd() * 65536).toString(16)}`;
          const requester =
            r < 0.7
              ? `arn:aws:sts::111122223333:assumed-role/etl-worker/i-0${chars('0123456789abcdef', 16)}`
              : r < 0.9
                ? 'arn:aws:iam::111122223333:user/analyst'
                : '-';
          const key = `data/2026/01/15/part-${String(Math.floor(rnd() * 100000)).padStart(5, '0')}-${chars('0123456789abcdef', 8)}.snappy.parquet`;
          const op = rnd();
          const presigned = op < 0.25;
          let operation: string;
          let keyField: string;
          let uri: string;
          let status = 200;
          let error = '-';
          let size = Math.floor(rnd() * 64_000_000);
          let sent: string | number = size;
          if (op < 0.65) {
            operation = 'REST.GET.OBJECT';
            keyField = key;
            uri = presigned
              ? `GET /${key}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260115T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=${chars('0123456789abcdef', 64)} HTTP/1.1`
              : `GET /${key} HTTP/1.1`;
            if (rnd() < 0.04) {
              status = 404;
              error = 'NoSuchKey';
              sent = 290;
              size = 0;
            }
          } else if (op < 0.77) {
            operation = 'REST.PUT.OBJECT';
            keyField = key;
            uri = `PUT /${key} HTTP/1.1`;
            sent = '-';
          } else if (op < 0.87) {
            operation = 'REST.HEAD.OBJECT';
            keyField = key;
            uri = `HEAD /${key} HTTP/1.1`;
            sent = '-';
          } else if (op < 0.95) {
            operation = 'REST.GET.BUCKET';
            keyField = '-';
            uri =
              'GET /?list-type=2&prefix=data%2F2026%2F01%2F15%2F&delimiter=%2F&encoding-type=url HTTP/1.1';
            sent = Math.floor(rnd() * 20000);
            size = 0;
          } else {
            operation = 'REST.GET.OBJECT';
            keyField = key;
            uri = `GET /${key} HTTP/1.1`;
            status = 403;
            error = 'AccessDenied';
            sent = 243;
            size = 0;
          }
          const total = Math.floor(rnd() * 400);
          const tls = rnd() < 0.5;
          block += `${owner} ${bucket} ${time} ${ip} ${requester} ${chars(HEX, 16)} ${operation} ${keyField} "${uri}" ${status} ${error} ${sent} ${size || '-'} ${total} ${Math.floor(total / 2)} "-" ${pick(USER_AGENTS)} - ${chars(B64, 75)}= SigV4 ${tls ? CIPHERS[1] : CIPHERS[0]} ${presigned ? 'QueryString' : 'AuthHeader'} ${r < 0.95 ? `${bucket}.s3.us-east-1.amazonaws.com` : 's3.us-east-1.amazonaws.com'} ${tls ? 'TLSv1.3' : 'TLSv1.2'} - - us-east-1\n`;
        }
        ok = out.write(block);
      }
      if (i < lines) out.once('drain', write);
      else out.end(resolve);
    };
    write();
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Parses (or, with `check`, only checks) every line of `data` in 256 KiB chunks, as openInput reads. */
function inProcess(data: Buffer, check: boolean): { records: number; seconds: number } {
  let records = 0;
  const parser = new AccessLogLineParser();
  const splitter = new LineSplitter(
    check
      ? (buf, s, e) => {
          if (parser.check(buf, s, e) === null) records++;
        }
      : (buf, s, e) => {
          if (parser.parse(buf, s, e).ok) records++;
        },
  );
  const t0 = process.hrtime.bigint();
  for (let o = 0; o < data.length; o += 262_144) splitter.push(data.subarray(o, o + 262_144));
  splitter.end();
  return { records, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

/** The `--count` path's counter over `data` in 1 MiB chunks, as a plain file is read. */
function inProcessCounter(data: Buffer): { records: number; seconds: number } {
  const counter = new AccessLogRecordCounter({ onReject: () => undefined });
  const t0 = process.hrtime.bigint();
  for (let o = 0; o < data.length; o += 1_048_576) counter.push(data.subarray(o, o + 1_048_576));
  counter.end();
  return { records: counter.records, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

async function inProcessReader(file: string): Promise<{ records: number; seconds: number }> {
  const rejects = new RejectCounter();
  let records = 0;
  const t0 = process.hrtime.bigint();
  for await (const batch of readAccessLogRecords(file, { rejects })) records += batch.length;
  return { records, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

/**
 * Wall seconds and peak RSS (MB) of a command, from /usr/bin/time; its stdout is returned, or
 * sent to /dev/null when `discard` (the NDJSON output is larger than the input).
 */
function timed(
  cmd: string,
  args: string[],
  discard = false,
): { seconds: number; rssMb: number; stdout: string } {
  const argv = discard ? ['sh', '-c', 'exec "$0" "$@" > /dev/null', cmd, ...args] : [cmd, ...args];
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', ...argv], { cwd: repo, encoding: 'utf8' });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [sec, kb] = last.split(' ').map(Number);
  if (r.status !== 0 || sec === undefined || kb === undefined) {
    throw new Error(`${cmd} failed (${r.status}): ${r.stderr.slice(0, 500)}`);
  }
  return { seconds: sec, rssMb: kb / 1024, stdout: r.stdout.trim() };
}

type Row = [what: string, seconds: number, rssMb: number | null];

function cliRow(what: string, runs: { seconds: number; rssMb: number }[]): Row {
  return [what, median(runs.map((c) => c.seconds)), Math.max(...runs.map((c) => c.rssMb))];
}

export default async function accessLogsBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pathguard-bench-sal-'));
  try {
    const file = join(dir, 'access.log');
    const gz = join(dir, 'access.log.gz');
    await generate(file, LINES);
    await pipeline(createReadStream(file), createGzip(), createWriteStream(gz));
    execFileSync('node', ['scripts/build.mjs', '--cli'], { cwd: repo });
    const bytes = statSync(file).size;
    const mb = bytes / 1e6;
    console.log(
      `input: ${LINES} lines, ${mb.toFixed(1)} MB (${Math.round(bytes / LINES)} B/line avg), gzip ${(statSync(gz).size / 1e6).toFixed(1)} MB; median of ${ROUNDS} runs`,
    );

    const data = readFileSync(file);
    inProcess(data, false); // warm-up
    const parse = Array.from({ length: ROUNDS }, () => inProcess(data, false));
    const check = Array.from({ length: ROUNDS }, () => inProcess(data, true));
    inProcessCounter(data); // warm-up
    const counted = Array.from({ length: ROUNDS }, () => inProcessCounter(data));
    if (parse[0]!.records !== LINES || check[0]!.records !== LINES || counted[0]!.records !== LINES)
      throw new Error('lines were rejected');
    const reader: number[] = [];
    for (let k = 0; k < ROUNDS; k++) reader.push((await inProcessReader(file)).seconds);

    const cli = (args: string[], discard = false) =>
      Array.from({ length: ROUNDS }, () =>
        timed('node', ['bin/pathguard.mjs', 'parse', 's3-access', ...args], discard),
      );
    const count = cli(['--count', file]);
    if (count[0]!.stdout !== `records ${LINES} rejected 0`) throw new Error(`CLI said: ${count[0]!.stdout}`);
    const countGz = cli(['--count', gz]);
    const ndjson = cli([file], true);
    const awk = Array.from({ length: ROUNDS }, () => timed('awk', ['{n[$5]++} END {print NR}', file]));
    // The CLI figures include starting Node and loading the bundle; this is that fixed cost.
    const tiny = join(dir, 'tiny.log');
    writeFileSync(tiny, data.subarray(0, 4096).toString('latin1').split('\n').slice(0, 3).join('\n'));
    const startup = cli(['--count', tiny]);

    const rows: Row[] = [
      ['parser in-process, full records (bytes in memory)', median(parse.map((p) => p.seconds)), null],
      ['parser in-process, check only (bytes in memory)', median(check.map((p) => p.seconds)), null],
      ['`--count` counter in-process (bytes in memory)', median(counted.map((p) => p.seconds)), null],
      ['`readAccessLogRecords` in-process (file)', median(reader), null],
      cliRow('`pathguard parse s3-access --count` (plain)', count),
      cliRow('`pathguard parse s3-access --count` (gzip)', countGz),
      cliRow('`pathguard parse s3-access` NDJSON to /dev/null (plain)', ndjson),
      cliRow("baseline `awk '{n[$5]++}'` (plain)", awk),
    ];
    console.log(
      `\nCLI fixed cost (start Node, load the bundle, parse 3 lines): ${median(startup.map((c) => c.seconds)).toFixed(2)} s`,
    );
    console.log('\n| what | seconds | records/s | MB/s (uncompressed) | peak RSS MB |');
    console.log('|---|---:|---:|---:|---:|');
    for (const [what, sec, rss] of rows) {
      console.log(
        `| ${what} | ${sec.toFixed(3)} | ${Math.round(LINES / sec).toLocaleString('en-US')} | ${(mb / sec).toFixed(0)} | ${rss === null ? '-' : rss.toFixed(0)} |`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
