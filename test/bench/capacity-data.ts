// The capacity benchmark's inputs (capacity.bench.ts), generated from test/fixtures/analyze so
// every record is one the product's readers parse and its correlator joins as it would in an
// account: V VPC vantages, each with its own subnet (a /28 of the fixture VPC, routed like
// vpc-app's), its own Lambda ENI and private address; 10 probe slots per vantage (vpc-app's four
// probes cycled) per run; 12 runs five minutes apart. Each probe is one connection, so:
// - its observation has its own S3 request id and the run's times (the runner saw them);
// - its flow records are vpc-app's for that probe rewritten to the vantage's ENI, subnet and
//   address, with an ephemeral source port of its own: what the VPC sees after Lambda's
//   Hyperplane ENI translated the socket (the observation's 169.254.x address and port never
//   appear in a flow log);
// - its access-log lines carry its key, request id, the vantage's address (gateway-endpoint
//   traffic shows the private address) and the run's time; a line S3 delivered twice stays twice.
// The fixture's other records (NAT, vpc-legacy, on-prem, SSM, application reads) appear once per
// run as the background a real log holds; the other vantages' probes of the fixture are left out.
import { readFileSync } from 'node:fs';
import { MemoryObjectStore } from '../../shared/analyzer/memory.js';
import { probeIdTimePrefix } from '../../shared/probes/plan.js';
import { observationKey, probeRecordKey } from '../../shared/probes/results-keys.js';
import type { Observation, Probe } from '../../shared/probes/types.js';

const F = new URL('../fixtures/analyze/', import.meta.url).pathname;
const lines = (f: string) =>
  readFileSync(`${F}${f}`, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
export const PROBES_PER_VANTAGE = 10;
export const RUNS = 12;
export const RUN_MS = 5 * 60_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');

/** `[25/Nov/2026:10:00:01 +0000]` moved by `ms`. */
function shiftAccessTime(line: string, ms: number): string {
  return line.replace(
    /\[(\d\d)\/(\w{3})\/(\d{4}):(\d\d):(\d\d):(\d\d) \+0000\]/,
    (_m, d, mon, y, h, mi, s) => {
      const t = new Date(Date.UTC(+y, MONTHS.indexOf(mon), +d, +h, +mi, +s) + ms);
      return `[${p2(t.getUTCDate())}/${MONTHS[t.getUTCMonth()]}/${t.getUTCFullYear()}:${p2(t.getUTCHours())}:${p2(t.getUTCMinutes())}:${p2(t.getUTCSeconds())} +0000]`;
    },
  );
}
const shiftIso = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

/** One vantage's network identity. */
interface Vantage {
  id: string;
  subnetId: string;
  eniId: string;
  ip: string;
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** Vantage `v`: subnet 10.0.64.0/28 + 16 v (vantages up to 4,096 fit the fixture VPC's /16). */
function vantage(v: number): Vantage {
  const base = (64 << 8) + v * 16;
  return {
    id: `v${v}`,
    subnetId: `subnet-1${hex(v, 16)}`,
    eniId: `eni-1${hex(v, 16)}`,
    ip: `10.0.${base >> 8}.${(base & 255) + 5}`,
  };
}

/** The fixture environment with each vantage's subnet (vpc-app's route table) and Lambda ENI. */
function environmentFor(vs: readonly Vantage[], appSubnet: string): unknown {
  const env = JSON.parse(readFileSync(`${F}env.json`, 'utf8'));
  const app = env.subnets.find((s: { subnetId: string }) => s.subnetId === appSubnet);
  for (const v of vs) {
    const [a, b, c] = v.ip.split('.');
    env.subnets.push({
      ...app,
      subnetId: v.subnetId,
      cidrs: [`${a}.${b}.${c}.${Number(v.ip.split('.')[3]) - 5}/28`],
    });
    env.networkInterfaces.push({ eniId: v.eniId, subnetId: v.subnetId, privateIps: [v.ip] });
  }
  return env;
}

export interface Generated {
  cfgDoc: Record<string, unknown>;
  envDoc: unknown;
  store: MemoryObjectStore;
  flowText: string;
  accessText: string;
  probes: number;
}

interface Fixture {
  app: Probe[];
  obs: Map<string, Observation>;
  flowHeader: string;
  /** vpc-app's flow lines per probe id, and the rest. */
  probeFlows: Map<string, string[]>;
  otherFlows: string[];
  probeAccess: Map<string, string[]>;
  otherAccess: string[];
  appEni: string;
  appIp: string;
  appSubnet: string;
}

function readFixture(): Fixture {
  const all = lines('probes.ndjson').map((l) => JSON.parse(l) as Probe);
  const app = all.filter((p) => p.vantage.id === 'vpc-app');
  const appSubnet = (app[0]!.vantage.kind === 'vpc' ? app[0]!.vantage.subnetId : '') ?? '';
  const env = JSON.parse(readFileSync(`${F}env.json`, 'utf8'));
  const eni = env.networkInterfaces.find((n: { subnetId: string }) => n.subnetId === appSubnet);
  const obs = new Map(
    lines('observations.ndjson').map((l) => [
      (JSON.parse(l) as Observation).probeId,
      JSON.parse(l) as Observation,
    ]),
  );
  const [flowHeader, ...flowLines] = lines('flow.log');
  const probeFlows = new Map<string, string[]>(app.map((p) => [p.probeId, []]));
  const otherFlows: string[] = [];
  for (const l of flowLines) {
    const f = l.split(' ');
    const owner =
      f[2] === eni.eniId
        ? app.find((p) => [f[3], f[4]].includes(obs.get(p.probeId)?.remoteAddress ?? ''))
        : undefined;
    if (owner) probeFlows.get(owner.probeId)!.push(l);
    else otherFlows.push(l);
  }
  const allIds = all.map((p) => p.probeId);
  const probeAccess = new Map<string, string[]>(app.map((p) => [p.probeId, []]));
  const otherAccess: string[] = [];
  for (const l of lines('access.log')) {
    const owner = allIds.find((id) => l.includes(id));
    if (owner === undefined) otherAccess.push(l);
    else probeAccess.get(owner)?.push(l);
  }
  return {
    app,
    obs,
    flowHeader: flowHeader!,
    probeFlows,
    otherFlows,
    probeAccess,
    otherAccess,
    appEni: eni.eniId,
    appIp: eni.privateIps[0],
    appSubnet,
  };
}

/** A request id of S3's shape (16 upper-case alphanumerics), one per generated request. */
const requestId = (n: number, variant: number) =>
  `R${variant}${n.toString(36).toUpperCase().padStart(14, '0')}`;

/** One probe's flow records: the vantage's ENI, subnet and address, its own ephemeral port, the run's time. */
function probeFlowLines(fx: Fixture, base: string, v: Vantage, port: number, shiftSec: number): string[] {
  return fx.probeFlows.get(base)!.map((l) => {
    const f = l.split(' ');
    f[2] = v.eniId;
    for (const i of [3, 4, 19, 20]) if (f[i] === fx.appIp) f[i] = v.ip;
    // The ENI side's port: source port out, destination port back.
    if (f[3] === v.ip) f[5] = String(port);
    else f[6] = String(port);
    f[10] = String(Number(f[10]) + shiftSec);
    f[11] = String(Number(f[11]) + shiftSec);
    f[15] = v.subnetId;
    return f.join(' ');
  });
}

/** Generates the inputs for `vantages` vantages (see the header). */
export function generate(vantages: number): Generated {
  const fx = readFixture();
  const vs = Array.from({ length: vantages }, (_, v) => vantage(v));
  const start = Date.parse(fx.app[0]!.createdAt);
  const store = new MemoryObjectStore();
  const flowOut: string[] = [fx.flowHeader];
  const accessOut: string[] = [];
  let n = 0;
  for (let r = 0; r < RUNS; r++) {
    const shift = r * RUN_MS;
    const created = start + shift;
    const runId = `run-${new Date(created).toISOString().replace(/[-:]/g, '').slice(0, 13)}`;
    for (const l of fx.otherFlows) {
      const f = l.split(' ');
      f[10] = String(Number(f[10]) + shift / 1000);
      f[11] = String(Number(f[11]) + shift / 1000);
      flowOut.push(f.join(' '));
    }
    for (const l of fx.otherAccess) accessOut.push(shiftAccessTime(l, shift));
    for (const v of vs) {
      for (let s = 0; s < PROBES_PER_VANTAGE; s++) {
        const b = fx.app[s % fx.app.length]!;
        const probeId = probeIdTimePrefix(created) + String(n).padStart(16, '0');
        const rewrite = (text: string) =>
          text.replaceAll(b.probeId, probeId).replaceAll('runner/vpc-app', `runner/${v.id}`);
        const p = JSON.parse(rewrite(JSON.stringify(b))) as Probe;
        Object.assign(p, {
          runId,
          createdAt: new Date(created).toISOString(),
          expiresAt: shiftIso(b.expiresAt, shift),
          vantage: { id: v.id, kind: 'vpc', subnetId: v.subnetId },
        });
        store.objects.set(probeRecordKey(p), { body: JSON.stringify(p), etag: '"1"' });
        const o = fx.obs.get(b.probeId);
        const ids = new Map<string, string>();
        if (o) {
          if (o.requestId) ids.set(o.requestId, requestId(n, 0));
          const obs = JSON.parse(rewrite(JSON.stringify(o))) as Observation;
          Object.assign(obs, {
            runnerId: v.id,
            startedAt: shiftIso(o.startedAt, shift),
            requestId: o.requestId ? requestId(n, 0) : null,
          });
          store.objects.set(observationKey(runId, probeId), { body: JSON.stringify(obs), etag: '"1"' });
        }
        const port = 32768 + ((r * PROBES_PER_VANTAGE + s) % 28_000);
        flowOut.push(...probeFlowLines(fx, b.probeId, v, port, shift / 1000));
        for (const l of fx.probeAccess.get(b.probeId)!) {
          const f = l.split(' ');
          // Other requests of the probe (the planner's PUT) get request ids of their own.
          if (!ids.has(f[6]!)) ids.set(f[6]!, requestId(n, ids.size));
          f[6] = ids.get(f[6]!)!;
          if (f[4] === fx.appIp) f[4] = v.ip;
          accessOut.push(shiftAccessTime(rewrite(f.join(' ')), shift));
        }
        n++;
      }
    }
  }
  const cfgDoc = JSON.parse(readFileSync(`${F}config.json`, 'utf8'));
  cfgDoc.vantages = vs.map((v) => ({ id: v.id, kind: 'vpc', subnetId: v.subnetId }));
  return {
    cfgDoc,
    envDoc: environmentFor(vs, fx.appSubnet),
    store,
    flowText: `${flowOut.join('\n')}\n`,
    accessText: `${accessOut.join('\n')}\n`,
    probes: n,
  };
}
