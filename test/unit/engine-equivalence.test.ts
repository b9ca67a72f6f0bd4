/**
 * Engine equivalence (issue 15 §2): the monitoring run of test/fixtures/analyze, once with the
 * records as the direct readers hand them over and once through the Athena sources, with a mocked
 * Athena that answers each query with the rows that query selects from the same log lines. The
 * mock is an interpreter of the generated SQL's WHERE clause (the literals it carries: address and
 * ENI lists, time bounds, buckets, key prefixes, the audit window), and the access-log rows are cut
 * from the lines by AWS's own `input.regex`, as the RegexSerDe does. Partition pruning is not
 * modelled: every line is taken to be in the window's folders.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type GetQueryResultsCommandInput,
  StartQueryExecutionCommand,
  type StartQueryExecutionCommandInput,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AthenaAccessLogSource } from '../../functions/aws/athena-access-logs.js';
import { AthenaFlowLogSource } from '../../functions/aws/athena-flow-logs.js';
import { readAccessLogRecords } from '../../functions/lib/read-access-logs.js';
import { readFlowRecords } from '../../functions/lib/read-flow.js';
import { formatAccessLogRecord } from '../../shared/access-logs/formatter.js';
import type { AccessLogRecord } from '../../shared/access-logs/types.js';
import { bindEnvironment } from '../../shared/analyzer/environment-ports.js';
import { MemoryObjectStore, RecordingAlertSink } from '../../shared/analyzer/memory.js';
import { type AnalyzerDeps, runAnalyzer } from '../../shared/analyzer/run.js';
import { ACCESS_COLUMNS, ACCESS_INPUT_REGEX } from '../../shared/athena/access-table.js';
import { flowColumn } from '../../shared/athena/flow-table.js';
import { validateConfig } from '../../shared/config/index.js';
import { validateEnvironment } from '../../shared/env/schema.js';
import { parseFlowFormat } from '../../shared/flow-logs/index.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import type { Observation, Probe } from '../../shared/probes/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';

const F = 'test/fixtures/analyze';
const text = (f: string) => readFileSync(`${F}/${f}`, 'utf8');
const ndjson = <T>(f: string) =>
  text(f)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
const cfgR = validateConfig(JSON.parse(text('config.json')));
const envR = validateEnvironment(JSON.parse(text('env.json')));
if (!cfgR.ok || !envR.ok) throw new Error('fixtures invalid');
const cfg = cfgR.value;
const env = envR.value;
const probes = ndjson<Probe>('probes.ndjson');
const observations = ndjson<Observation>('observations.ndjson');
const bound = bindEnvironment(env);
const NOW = new Date('2026-11-25T10:30:00Z');

const flowLines = text('flow.log')
  .split('\n')
  .filter((l) => l.trim() !== '');
const header = flowLines.shift()!;
const formatR = parseFlowFormat(header);
if (!formatR.ok) throw formatR.error;
const format = formatR.value;

/** Application traffic beside the probes: presigned GETs of the monitored bucket, one delivered twice. */
function appTraffic(base: AccessLogRecord): AccessLogRecord[] {
  const app = (i: number, ip: string, host: string, key: string, id = `APP${i}REQUEST0000`) => ({
    ...base,
    time: `2026-11-25T10:0${i}:00.000Z`,
    remoteIp: ip,
    requestId: id,
    key,
    requestUri: `GET /${key}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=${'ab'.repeat(32)} HTTP/1.1`,
    hostHeader: host,
    authenticationType: 'QueryString',
    userAgent: 'app/1.0 (billing export)',
  });
  const a = app(1, '198.51.100.7', 'example-data-bucket.s3.amazonaws.com', 'exports/b.csv');
  return [
    a,
    app(2, '198.51.100.7', 'example-data-bucket.s3.amazonaws.com', 'exports/a.csv'),
    app(3, '10.0.1.15', 'example-data-bucket.s3.us-east-1.amazonaws.com', 'exports/c.csv'),
    app(4, '203.0.113.40', 'example-data-bucket.s3-accelerate.amazonaws.com', 'exports/d.csv'),
    { ...a }, // S3 delivered this record twice
  ];
}

let flows: FlowRecord[] = [];
let access: AccessLogRecord[] = [];
let accessLines: string[] = [];
beforeAll(async () => {
  const rejects = new RejectCounter();
  for await (const b of readFlowRecords(`${F}/flow.log`, { rejects })) flows.push(...b);
  for await (const b of readAccessLogRecords(`${F}/access.log`, { rejects })) access.push(...b);
  expect(rejects.count).toBe(0);
  access = [...access, ...appTraffic(access[0]!)];
  accessLines = access.map(formatAccessLogRecord);
  flows = [...flows];
});

// --- The mocked Athena: rows from the lines, selected by the query's own literals -------------

function literal(sql: string, at: number): { end: number; value: string } {
  let v = '';
  let i = at + 1;
  for (;;) {
    if (sql[i] === "'" && sql[i + 1] === "'") {
      v += "'";
      i += 2;
    } else if (sql[i] === "'") return { end: i + 1, value: v };
    else v += sql[i++];
  }
}
/** The literals of `<lhs> IN ('a', 'b')`, or null when the query has no such condition. */
function inList(sql: string, lhs: string): string[] | null {
  const at = sql.indexOf(`${lhs} IN (`);
  if (at < 0) return null;
  const out: string[] = [];
  let i = at + lhs.length + 5;
  while (sql[i] === "'") {
    const l = literal(sql, i);
    out.push(l.value);
    i = l.end;
    if (sql.startsWith(', ', i)) i += 2;
  }
  return out;
}
function literalAfter(sql: string, prefix: string): string {
  const at = sql.indexOf(prefix);
  if (at < 0) throw new Error(`no ${prefix} in query`);
  return literal(sql, at + prefix.length).value;
}
const numberAfter = (sql: string, prefix: string) =>
  Number(new RegExp(`${escapeRe(prefix)}(\\d+)`).exec(sql)![1]);
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const INT_FIELDS = new Set([
  'version',
  'srcport',
  'dstport',
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
  'tcp-flags',
  'traffic-path',
]);

function flowRows(sql: string): (string | null)[][] {
  const names = format.fields.map((f) => f.name);
  const addrs = new Set(inList(sql, '"srcaddr"') ?? []);
  const enis = new Set(inList(sql, '"interface_id"') ?? []);
  const v6 = sql.includes('strpos(');
  const to = numberAfter(sql, '"start" <= ');
  const from = numberAfter(sql, 'coalesce("end", "start") >= ');
  const out: (string | null)[][] = [];
  for (const line of flowLines) {
    const v = line.split(' ');
    const get = (n: string) => v[names.indexOf(n)]!;
    const start = Number(get('start'));
    const end = get('end') === '-' ? start : Number(get('end'));
    if (!(start <= to && end >= from)) continue;
    const addresses = ['srcaddr', 'dstaddr', 'pkt-srcaddr', 'pkt-dstaddr'].map(get);
    const hit =
      addresses.some((a) => addrs.has(a) || (v6 && a.includes(':'))) || enis.has(get('interface-id'));
    if (!hit) continue;
    // Athena reads `-` in an int column as NULL; string columns keep it.
    out.push(v.map((x, i) => (x === '-' && INT_FIELDS.has(names[i]!) ? null : x)));
  }
  return out;
}

const SERDE = new RegExp(`^${ACCESS_INPUT_REGEX}`);
function serdeRow(line: string): (string | null)[] {
  const m = SERDE.exec(line);
  if (!m) return ACCESS_COLUMNS.map(() => null);
  return ACCESS_COLUMNS.map(([, type], i) => {
    const g = m[i + 1];
    return g === undefined || (type === 'bigint' && g === '-') ? null : g;
  });
}
const col = (name: string) => ACCESS_COLUMNS.findIndex(([c]) => c === name);

function accessRows(sql: string): (string | null)[][] {
  const buckets = new Set(inList(sql, '"bucket_name"')!);
  const rows = accessLines.map(serdeRow).filter((r) => buckets.has(r[col('bucket_name')]!));
  if (!sql.startsWith('WITH')) {
    const prefix = literalAfter(sql, 'starts_with("key", ');
    return rows.filter((r) => (r[col('key')] ?? '').startsWith(prefix));
  }
  const exclude = literalAfter(sql, `NOT starts_with(coalesce("key", ''), `);
  const from = Date.parse(literalAfter(sql, 't >= from_iso8601_timestamp('));
  const to = Date.parse(literalAfter(sql, 't < from_iso8601_timestamp('));
  const groups = new Map<
    string,
    { row: (string | null)[]; ids: Set<string>; times: string[]; keys: Set<string> }
  >();
  for (const r of rows) {
    if (r[col('authtype')] !== 'QueryString' || (r[col('key')] ?? '').startsWith(exclude)) continue;
    const t = logTime(r[col('requestdatetime')]!);
    if (!(t >= from && t < to)) continue;
    const g4 = ['remoteip', 'endpoint', 'useragent', 'bucket_name'].map((c) => r[col(c)] ?? null);
    const k = JSON.stringify(g4);
    let g = groups.get(k);
    if (!g) {
      g = { row: g4, ids: new Set(), times: [], keys: new Set() };
      groups.set(k, g);
    }
    g.ids.add(r[col('requestid')]!);
    g.times.push(r[col('requestdatetime')]!);
    if (r[col('key')] && r[col('key')] !== '-') g.keys.add(r[col('key')]!);
  }
  return [...groups.values()].map((g) => {
    const sorted = [...g.times].sort((a, b) => logTime(a) - logTime(b));
    return [
      ...g.row,
      String(g.ids.size),
      sorted[0]!,
      sorted.at(-1)!,
      JSON.stringify([...g.keys].sort().slice(0, 3)),
    ];
  });
}
function logTime(s: string): number {
  const m = /^(\d\d)\/(\w{3})\/(\d{4}):(\d\d):(\d\d):(\d\d) \+0000$/.exec(s)!;
  const mon = 'JanFebMarAprMayJunJulAugSepOctNovDec'.indexOf(m[2]!) / 3;
  return Date.UTC(+m[3]!, mon, +m[1]!, +m[4]!, +m[5]!, +m[6]!);
}

const athena = mockClient(AthenaClient);
afterAll(() => athena.restore());
const sent: string[] = [];
function mockAthena(): void {
  athena.reset();
  sent.length = 0;
  const results = new Map<string, (string | null)[][]>();
  athena.on(StartQueryExecutionCommand).callsFake((input: StartQueryExecutionCommandInput) => {
    const sql = input.QueryString!;
    sent.push(sql);
    const id = `q-${sent.length}`;
    const isFlow = sql.includes('"log_account"');
    const columns = isFlow
      ? format.fields.map((f) => flowColumn(f.name))
      : sql.startsWith('WITH')
        ? [
            'remoteip',
            'endpoint',
            'useragent',
            'bucket_name',
            'requests',
            'first_seen',
            'last_seen',
            'sample_keys',
          ]
        : ACCESS_COLUMNS.map(([c]) => c);
    results.set(id, [columns, ...(isFlow ? flowRows(sql) : accessRows(sql))]);
    return { QueryExecutionId: id };
  });
  athena.on(GetQueryExecutionCommand).resolves({
    QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 12_345 } },
  });
  // Pages of three rows, so paging is part of what is compared.
  athena.on(GetQueryResultsCommand).callsFake((input: GetQueryResultsCommandInput) => {
    const all = results.get(input.QueryExecutionId!)!;
    const start = Number(input.NextToken ?? 0);
    const page = all.slice(start, start + 3);
    return {
      ResultSet: { Rows: page.map((r) => ({ Data: r.map((v) => (v === null ? {} : { VarCharValue: v })) })) },
      ...(start + 3 < all.length ? { NextToken: String(start + 3) } : {}),
    };
  });
}

function deps(over: Partial<AnalyzerDeps>): AnalyzerDeps {
  return {
    store: new MemoryObjectStore(),
    sink: new RecordingAlertSink(),
    clock: () => NOW,
    sha256: (t) => createHash('sha256').update(t).digest('hex'),
    classify: bound.classify,
    earlyFacts: bound.facts,
    ...over,
  };
}

describe('engine equivalence: direct and athena give the same verdicts', () => {
  it('for the fixture run, with application traffic in the audit', async () => {
    const direct = await runAnalyzer(
      { cfg, env, probes, observations, runId: 'analyze-eq' },
      deps({
        flowSource: {
          name: 'direct-flow',
          async *findFlows() {
            yield flows;
          },
        },
        accessLogSource: {
          name: 'direct-access',
          async *readSince() {
            yield { records: access, checkpoint: 'k1', origin: 'logs/k1' };
          },
        },
      }),
    );

    mockAthena();
    const client = new AthenaClient({ region: 'us-east-1' });
    const q = { workgroup: 'pathguard', maxBytesScanned: 10_000_000_000, pageSize: 3, sleep: async () => {} };
    const rejects = new RejectCounter();
    const viaAthena = await runAnalyzer(
      { cfg, env, probes, observations, runId: 'analyze-eq' },
      deps({
        flowSource: new AthenaFlowLogSource(
          client,
          {
            database: 'pathguard',
            table: 'flow_logs',
            bucket: 'flow-log-bucket',
            prefix: '',
            layout: 'plain',
            hourly: false,
            fileFormat: 'text',
            format,
          },
          { ...q, accounts: ['111122223333'], region: 'us-east-1', rejects },
        ),
        accessLogSource: new AthenaAccessLogSource(
          client,
          {
            database: 'pathguard',
            table: 'access_logs',
            bucket: 'log-bucket',
            prefix: '',
            layout: 'partitioned',
          },
          {
            ...q,
            accountId: '111122223333',
            region: 'us-east-1',
            targetBuckets: cfg.targets.map((t) => t.bucket),
            probeKeyPrefix: `${cfg.probePrefix}/probes/`,
            monitoredBuckets: cfg.monitoredBuckets,
            settleMinutes: 0,
            clock: () => NOW,
            rejects,
          },
        ),
      }),
    );

    expect(rejects.count).toBe(0);
    expect(direct.errors).toEqual([]);
    expect(viaAthena.errors).toEqual([]);
    const verdicts = (r: typeof direct) =>
      r.results.map((x) => [x.probe.probeId, x.verdict.verdict, x.verdict.path]);
    expect(verdicts(viaAthena)).toEqual(verdicts(direct));
    // Not only the verdicts: the same records matched each probe.
    const matched = (r: typeof direct) =>
      r.results.map((x) => x.verdict.evidence?.map((e: { dedupKey: string }) => e.dedupKey).sort() ?? []);
    expect(matched(viaAthena)).toEqual(matched(direct));
    // A non-trivial run: several verdicts, and the audit saw the application's requests.
    expect(new Set(verdicts(direct).map((v) => v[1])).size).toBeGreaterThan(2);
    expect(viaAthena.realTraffic).toEqual(direct.realTraffic);
    // The fixture's own presigned application requests and ours, the duplicate delivery once.
    expect(direct.realTraffic.presignedRequests).toBe(7);
    expect(direct.realTraffic.nonPrivate.map((g) => [g.remoteIp, g.count])).toEqual([
      ['198.51.100.7', 2],
      ['203.0.113.25', 2],
      ['203.0.113.40', 1],
    ]);
    // And Athena handed over less: only the rows each query selected, not every record per query.
    expect(viaAthena.records.flow).toBeLessThan(direct.records.flow);
    expect(sent.some((s) => s.startsWith('WITH'))).toBe(true);
  });
});
