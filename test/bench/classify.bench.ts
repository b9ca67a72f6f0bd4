// Path classification: classifyFlowRecord alone over parsed v5 records, parse + classify
// in-process, `pathguard classify --summary` end to end, and the parse-only and awk baselines over
// the same file in the same run. The environment (hundreds of routes, the us-east-1 S3 prefix list)
// and the input are generated before anything is timed.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countFlowRecords, readFlowRecords } from '../../functions/lib/read-flow.js';
import { classifyFlowRecord } from '../../shared/classify/flow.js';
import { buildEnvironmentIndex } from '../../shared/env/environment-index.js';
import { validateEnvironment } from '../../shared/env/schema.js';
import type { Environment, Route } from '../../shared/env/types.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';
import { RejectCounter } from '../../shared/text/rejects.js';

const LINES = Number(process.env.BENCH_CLASSIFY_LINES ?? 2_000_000);
const V5_FIELDS =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path';

// us-east-1 S3 prefix-list blocks, as in test/fixtures/env/example-env.json.
const S3_BLOCKS = [
  '3.5.0.0/19',
  '16.15.176.0/20',
  '16.15.192.0/18',
  '16.182.0.0/16',
  '18.34.0.0/19',
  '18.34.232.0/21',
  '52.216.0.0/15',
  '54.231.0.0/16',
  '2600:1fa0:8000::/39',
  '2600:1f68:8000::/39',
  '2600:1ff0:8000::/39',
  '2600:1ff8:8000::/40',
  '2600:1ff9:8000::/40',
  '2600:1ffa:8000::/40',
];
/** IPv4 S3 addresses to draw from: first two octets and the third-octet range of the block. */
const S3_V4: [string, number][] = [
  ['3.5.', 32],
  ['16.182.', 256],
  ['18.34.', 32],
  ['52.216.', 256],
  ['52.217.', 256],
  ['54.231.', 256],
];

export function rng(seed = 0x2545f491): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

interface Host {
  eni: string;
  ip: string;
  subnetId: string;
  vpcId: string;
}

/**
 * Four VPCs of 12 subnets; per VPC a public table (IGW default), an endpoint table (NAT default,
 * gateway endpoint) and a NAT-only table, each with about 70 routes: on-prem blocks to a transit
 * gateway, partner /24s to a virtual private gateway, peered VPCs, and a few /24s inside S3 ranges
 * to the NAT gateway (the case where a more specific route beats the endpoint): 824 routes in all.
 */
export function benchEnvironment(): {
  env: Environment;
  hosts: Host[];
  endpointIps: string[];
  natEnis: Host[];
} {
  const r = rng(7);
  const env: Environment = {
    region: 'us-east-1',
    prefixLists: [],
    s3PrefixLists: [{ prefixListId: 'pl-63a5400a', name: 'com.amazonaws.us-east-1.s3', cidrs: S3_BLOCKS }],
    vpcs: [],
    subnets: [],
    routeTables: [],
    gatewayEndpoints: [],
    interfaceEndpoints: [],
    natGateways: [],
    networkInterfaces: [],
    onPrem: {
      cidrs: ['172.16.0.0/12', '192.168.0.0/16'],
      publicEgressIps: ['198.51.100.7'],
      dnsMode: 'public',
    },
  };
  const hosts: Host[] = [];
  const endpointIps: string[] = [];
  const natEnis: Host[] = [];
  for (let v = 0; v < 4; v++) {
    const vpcId = `vpc-0${hex(0xa000 + v, 4)}bfdbc090daa6`;
    env.vpcs.push({ vpcId, cidrs: [`10.${v}.0.0/16`] });
    const nat = `nat-0${hex(0x800 + v, 3)}e2073dbe1ee03`;
    const igw = `igw-0${hex(0xc00 + v, 3)}f4b6a9e8d7c6b`;
    const gw = `vpce-0${hex(0x195 + v, 3)}956f54d54c70a`;
    const tables = ['public', 'endpoint', 'nat-only'].map((kind, t) => {
      const routes: Route[] = [{ destination: `10.${v}.0.0/16`, target: 'local' }];
      routes.push({ destination: '0.0.0.0/0', target: kind === 'public' ? igw : nat });
      if (kind !== 'nat-only') routes.push({ destination: 'pl-63a5400a', target: gw });
      for (let k = 0; k < 16; k++)
        routes.push({ destination: `172.${16 + k}.0.0/16`, target: 'tgw-0f1e2d3c4b5a69788' });
      for (let k = 0; k < 40; k++) {
        routes.push({
          destination: `192.168.${k * 4 + t}.0/24`,
          target: `vgw-0${hex(0xa10 + v, 3)}c3d4e5f6a7b`,
        });
      }
      for (let k = 0; k < 6; k++) {
        if (k !== v)
          routes.push({ destination: `10.${k}.0.0/16`, target: `pcx-0${hex(0x100 + k, 3)}aa22bb33cc44` });
      }
      for (let k = 0; k < 5; k++) routes.push({ destination: `52.216.${k * 37}.0/24`, target: nat });
      const routeTableId = `rtb-0${hex(v * 3 + t, 3)}d5f1e2c3b4a596`;
      env.routeTables.push({ routeTableId, vpcId, routes });
      return routeTableId;
    });
    env.gatewayEndpoints.push({
      vpcEndpointId: gw,
      vpcId,
      serviceName: 'com.amazonaws.us-east-1.s3',
      prefixListId: 'pl-63a5400a',
      routeTableIds: [tables[0]!, tables[1]!],
      ipAddressType: 'ipv4',
    });
    for (let s = 0; s < 12; s++) {
      const subnetId = `subnet-0${hex(v * 16 + s, 3)}f037def53793`;
      // Subnet 0 public, 1-8 behind the endpoint table, 9-11 NAT only.
      const routeTableId = tables[s === 0 ? 0 : s <= 8 ? 1 : 2]!;
      env.subnets.push({ subnetId, vpcId, cidrs: [`10.${v}.${s * 16}.0/20`], routeTableId });
      for (let h = 0; h < 40; h++) {
        const ip = `10.${v}.${s * 16 + ((h / 250) | 0)}.${(h % 250) + 4}`;
        const eni = `eni-0${hex((r() * 0xfffffff) | 0, 7)}${hex(v * 16 + s, 3)}${hex(h, 3)}e`;
        env.networkInterfaces.push({ eniId: eni, subnetId, privateIps: [ip] });
        hosts.push({ eni, ip, subnetId, vpcId });
      }
    }
    const natEni = `eni-0${hex(0xb6e + v, 3)}1f2a3c4d5e6f7`;
    const natIp = `10.${v}.0.201`;
    env.natGateways.push({
      natGatewayId: nat,
      subnetId: env.subnets[v * 12]!.subnetId,
      eniIds: [natEni],
      privateIps: [natIp],
      publicIps: [`203.0.113.${25 + v}`],
    });
    natEnis.push({ eni: natEni, ip: natIp, subnetId: env.subnets[v * 12]!.subnetId, vpcId });
    const ips = [`10.${v}.16.250`, `10.${v}.32.250`];
    env.interfaceEndpoints.push({
      vpcEndpointId: `vpce-0${hex(0xfe5 + v, 3)}b17a0707d6abc`,
      vpcId,
      serviceName: 'com.amazonaws.us-east-1.s3',
      ips,
      dnsNames: [`*.vpce-0${hex(0xfe5 + v, 3)}b17a0707d6abc-29p5708s.s3.us-east-1.vpce.amazonaws.com`],
      privateDns: 'off',
    });
    endpointIps.push(...ips);
  }
  return { env, hosts, endpointIps, natEnis };
}

/**
 * One v5 line. Mix: 45% egress to S3 (traffic-path 7, 8, 2, 1 or -), 35% ingress replies, 6% to an
 * S3 interface endpoint, 4% on a NAT gateway ENI, 8% VPC-local, 2% NODATA.
 */
export function line(
  r: () => number,
  t: number,
  hosts: Host[],
  endpointIps: string[],
  natEnis: Host[],
): string {
  const h = hosts[(r() * hosts.length) | 0]!;
  const [s3Head, s3Span] = S3_V4[(r() * S3_V4.length) | 0]!;
  const s3 = `${s3Head}${(r() * s3Span) | 0}.${(r() * 255) | 0}`;
  const port = 32768 + ((r() * 28000) | 0);
  const pk = 1 + ((r() * 900) | 0);
  const by = pk * (40 + ((r() * 1400) | 0));
  const inst = `i-0${hex((r() * 0xfffffff) | 0, 7)}abcdef012`;
  const head = (eni: string, src: string, dst: string, sp: number, dp: number) =>
    `5 123456789012 ${eni} ${src} ${dst} ${sp} ${dp} 6 ${pk} ${by} ${t} ${t + 58} ACCEPT OK`;
  const p = r();
  if (p < 0.45) {
    const q = r();
    const tp = q < 0.6 ? '7' : q < 0.7 ? '8' : q < 0.85 ? '2' : q < 0.9 ? '1' : '-';
    return `${head(h.eni, h.ip, s3, port, 443)} ${h.vpcId} ${h.subnetId} ${inst} 3 IPv4 ${h.ip} ${s3} us-east-1 use1-az4 - - - S3 egress ${tp}`;
  }
  if (p < 0.8) {
    return `${head(h.eni, s3, h.ip, 443, port)} ${h.vpcId} ${h.subnetId} ${inst} 19 IPv4 ${s3} ${h.ip} us-east-1 use1-az4 - - S3 - ingress -`;
  }
  if (p < 0.86) {
    const ep = endpointIps[(r() * endpointIps.length) | 0]!;
    return `${head(h.eni, h.ip, ep, port, 443)} ${h.vpcId} ${h.subnetId} ${inst} 3 IPv4 ${h.ip} ${ep} us-east-1 use1-az4 - - - - egress 1`;
  }
  if (p < 0.9) {
    const n = natEnis[(r() * natEnis.length) | 0]!;
    return `${head(n.eni, n.ip, s3, port, 443)} ${n.vpcId} ${n.subnetId} - 3 IPv4 ${n.ip} ${s3} us-east-1 use1-az4 - - - S3 egress 8`;
  }
  if (p < 0.98) {
    const d = hosts[(r() * hosts.length) | 0]!;
    return `${head(h.eni, h.ip, d.ip, port, 5432)} ${h.vpcId} ${h.subnetId} ${inst} 2 IPv4 ${h.ip} ${d.ip} us-east-1 use1-az4 - - - - egress 1`;
  }
  return `5 123456789012 ${h.eni} - - - - - - - ${t} ${t + 58} - NODATA ${h.vpcId} ${h.subnetId} ${inst} - - - - us-east-1 use1-az4 - - - - - -`;
}

async function writeInput(
  file: string,
  lines: number,
  make: (r: () => number, t: number) => string,
): Promise<number> {
  const out = createWriteStream(file);
  const r = rng();
  let bytes = 0;
  let buf = `${V5_FIELDS}\n`;
  for (let i = 0; i < lines; i++) {
    buf += `${make(r, 1_764_000_000 + ((i / 2000) | 0))}\n`;
    if (buf.length > 1 << 20) {
      bytes += buf.length;
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  bytes += buf.length;
  out.end(buf);
  await once(out, 'finish');
  return bytes;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function row(label: string, seconds: number, records: number, bytes: number | null, rss = '-'): void {
  console.log(
    `| ${label} | ${seconds.toFixed(3)} | ${fmt(records / seconds)} | ${bytes === null ? '-' : (bytes / 1e6 / seconds).toFixed(0)} | ${rss} |`,
  );
}

function spawnTimed(argv: string[]): {
  seconds: number;
  stdout: string;
  stderr: string;
  status: number | null;
} {
  const t = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), {
    encoding: 'utf8',
    env: { ...process.env, PATHGUARD_REPORT_RSS: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { seconds: (performance.now() - t) / 1000, stdout: r.stdout, stderr: r.stderr, status: r.status };
}

export default async function bench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pg-bench-classify-'));
  try {
    const { env, hosts, endpointIps, natEnis } = benchEnvironment();
    const valid = validateEnvironment(env);
    if (!valid.ok) throw valid.error;
    const envFile = join(dir, 'env.json');
    writeFileSync(envFile, JSON.stringify(env));
    const tBuild = performance.now();
    const idx = buildEnvironmentIndex(env);
    const buildMs = performance.now() - tBuild;
    const routes = env.routeTables.reduce((n, t) => n + t.routes.length, 0);
    const file = join(dir, 'v5.log');
    const bytes = await writeInput(file, LINES, (r, t) => line(r, t, hosts, endpointIps, natEnis));
    console.log(
      `environment: ${env.vpcs.length} VPCs, ${env.subnets.length} subnets, ${env.routeTables.length} route tables, ${routes} routes, ${S3_BLOCKS.length} prefix-list blocks, ${env.networkInterfaces.length} ENIs; index built in ${buildMs.toFixed(1)} ms`,
    );
    console.log(`input: ${fmt(LINES)} v5 records, ${(bytes / 1e6).toFixed(0)} MB plain`);

    // Records parsed once (a prefix of the file, kept in memory), then classified repeatedly.
    const sample: FlowRecord[] = [];
    const keep = Math.min(LINES, 250_000);
    for await (const b of readFlowRecords(file, { rejects: new RejectCounter() })) {
      for (const x of b) if (sample.length < keep) sample.push(x);
      if (sample.length >= keep) break;
    }
    const counts = new Map<string, number>();
    for (const x of sample) {
      const d = classifyFlowRecord(x, idx);
      const k = d === null ? 'unclassified' : d.rule;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    console.log(
      `rules hit (first ${fmt(sample.length)} records): ${[...counts]
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `${k} ${((100 * n) / sample.length).toFixed(1)}%`)
        .join(', ')}`,
    );

    console.log('\n| what | seconds | records/s | MB/s | peak RSS MB |\n|---|---:|---:|---:|---:|');
    let sink = 0;
    // Hot: 10,000 records (about 8 MB) stay in cache, as a parsed batch does in the pipeline.
    // Cold: 250,000 records (about 200 MB) do not; reading the record then dominates.
    const hot = sample.slice(0, 10_000);
    for (const [label, set] of [
      ['hot', hot],
      ['cold', sample],
    ] as const) {
      const times = Math.max(1, Math.round(LINES / set.length));
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        for (let k = 0; k < times; k++) {
          for (const x of set) if (classifyFlowRecord(x, idx)?.private === true) sink++;
        }
        best = Math.min(best, (performance.now() - t) / 1000);
      }
      row(
        `classifyFlowRecord alone, ${fmt(set.length)} records × ${times} (${label})`,
        best,
        set.length * times,
        null,
      );
    }

    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 2; i++) {
      const t = performance.now();
      await countFlowRecords(file, { rejects: new RejectCounter() });
      best = Math.min(best, (performance.now() - t) / 1000);
    }
    row('baseline: parse only, count path (in-process)', best, LINES, bytes);

    best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 2; i++) {
      const t = performance.now();
      for await (const b of readFlowRecords(file, { rejects: new RejectCounter() })) sink += b.length;
      best = Math.min(best, (performance.now() - t) / 1000);
    }
    row('baseline: parse only, records built (in-process)', best, LINES, bytes);

    best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 2; i++) {
      const t = performance.now();
      for await (const b of readFlowRecords(file, { rejects: new RejectCounter() })) {
        for (const x of b) if (classifyFlowRecord(x, idx)?.private === true) sink++;
      }
      best = Math.min(best, (performance.now() - t) / 1000);
    }
    row('parse + classify (in-process)', best, LINES, bytes);

    if (existsSync('bin/pathguard.mjs') && existsSync('dist/cli.mjs')) {
      const r = spawnTimed([
        process.execPath,
        'bin/pathguard.mjs',
        'classify',
        '--summary',
        '--env',
        envFile,
        '--flow',
        file,
      ]);
      const rss = /peak-rss-mb (\d+)/.exec(r.stderr)?.[1] ?? '-';
      if (r.status === 0) row('`pathguard classify --summary` (plain)', r.seconds, LINES, bytes, rss);
      else
        console.log(
          `| \`pathguard classify --summary\`: exit ${r.status}: ${r.stderr.split('\n')[0]} | | | | |`,
        );
    } else {
      console.log('| `pathguard classify --summary`: dist/cli.mjs missing (run `npm run bench`) | | | | |');
    }
    const awk = spawnTimed(['awk', '{n[$29]++}', file]);
    row("baseline `awk '{n[$29]++}'` (plain)", awk.seconds, LINES, bytes);
    if (sink < 0) console.log(sink);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
