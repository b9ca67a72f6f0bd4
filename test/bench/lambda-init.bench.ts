// A Lambda function's cold start as its first request pays it: a fresh node imports the bundle
// with PATHGUARD_CONFIG set (so the config is validated at init, as in Lambda) and then calls the
// handler once, the S3 calls answered by a stand-in on loopback over HTTP. Import time alone is a
// row of targets.bench.ts; this one also shows whether work moved from the import into the first
// request. Probe: `probe-now` on the example config plus a Multi-Region Access Point target
// (presign, SigV4a, fetch, store); analyze: `explain` (one S3 GET, a 404: NOT_FOUND is its outcome).
//
// BENCH_LAMBDA_RUNS (default 7) sets the runs per row. `npm run bench -- lambda-init` runs it alone.

import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const RUNS = Number(process.env.BENCH_LAMBDA_RUNS ?? 7);

/** Run in the fresh node: import, one call; prints import and call ms, their CPU ms, the call's outcome. */
const FIRST_CALL = `const [bundle, kind] = process.argv.slice(2);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const t0 = performance.now(), c0 = cpu();
const { handler } = await import(bundle);
const t1 = performance.now(), c1 = cpu();
const event = kind === 'probe' ? { action: 'probe-now' } : { action: 'explain', probeId: '01JCZ0000000000000000000AA' };
const context = { functionName: kind, awsRequestId: 'bench', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:' + kind, getRemainingTimeInMillis: () => 60000 };
const outcome = await handler(event, context).then(
  (r) => (kind === 'probe' ? r.observations.length + '-observations' : 'answered'),
  (e) => String(e.code ?? e.name),
);
const t2 = performance.now(), c2 = cpu();
process.stderr.write(['first-call', t1 - t0, t2 - t1, c1 - c0, c2 - c1, outcome].join(' ') + '\\n');
`;

/** S3 on loopback: uploads succeed, listings are empty, every other GET is NoSuchKey. */
async function s3StandIn(): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('x-amz-request-id', 'bench');
      if (req.method === 'PUT' || req.method === 'POST') return res.end();
      res.setHeader('content-type', 'application/xml');
      if (req.method === 'GET' && req.url?.includes('list-type=2'))
        return res.end(
          '<ListBucketResult><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>',
        );
      res.statusCode = 404;
      res.end(
        req.method === 'HEAD' ? undefined : '<Error><Code>NoSuchKey</Code><Message>none</Message></Error>',
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

function lambdaEnv(port: number): NodeJS.ProcessEnv {
  const example = JSON.parse(readFileSync('pathguard.config.example.json', 'utf8'));
  example.targets.push({
    bucket: 'example-mrap-bucket',
    region: 'us-east-1',
    styles: ['mrap'],
    mrapArn: 'arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap',
  });
  example.alerts = { ...example.alerts, topicArn: 'arn:aws:sns:us-east-1:123456789012:alerts' };
  return {
    PATH: process.env.PATH,
    PATHGUARD_CONFIG: JSON.stringify(example),
    PATHGUARD_VANTAGE: 'vpc-app',
    PATHGUARD_VPC_IDS: 'vpc-0abcdef0123456789',
    AWS_REGION: 'us-east-1',
    // Fake keys: the stand-in checks no signature.
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    NODE_NO_WARNINGS: '1',
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1] ?? Number.NaN;

export default async function bench(): Promise<void> {
  const { buildAll } = (await import(pathToFileURL('scripts/build-targets.mjs').href)) as {
    buildAll: (o: object) => Promise<unknown>;
  };
  await buildAll({ define: {}, only: ['probe', 'analyze'] });
  const dir = mkdtempSync(join(tmpdir(), 'pg-lambda-init-'));
  const script = join(dir, 'first-call.mjs');
  writeFileSync(script, FIRST_CALL);
  const server = await s3StandIn();
  try {
    const env = lambdaEnv((server.address() as AddressInfo).port);
    console.log(`median of ${RUNS} fresh processes; CPU is the process's user + system time`);
    console.log(
      '\n| bundle | import, ms | first call, ms | import CPU, ms | first call CPU, ms | outcome of the first call |\n|---|---:|---:|---:|---:|---|',
    );
    for (const kind of ['probe', 'analyze']) {
      const bundle = pathToFileURL(`dist/functions/${kind}/index.mjs`).href;
      const rows: number[][] = [];
      const outcomes = new Set<string>();
      for (let i = 0; i < RUNS; i++) {
        // Not spawnSync: the stand-in answers from this process's event loop.
        const r = await promisify(execFile)(process.execPath, [script, bundle, kind], { env });
        const line = r.stderr.split('\n').find((l) => l.startsWith('first-call '));
        if (!line) continue;
        const fields = line.split(' ');
        rows.push(fields.slice(1, 5).map(Number));
        outcomes.add(fields[5] ?? '?');
      }
      const col = (j: number) => median(rows.map((r) => r[j] ?? Number.NaN)).toFixed(0);
      console.log(
        `| ${kind} | ${col(0)} | ${col(1)} | ${col(2)} | ${col(3)} | ${[...outcomes].join(', ')} |`,
      );
    }
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
