/**
 * The few facts URL inspection needs from an environment, derived once per environment object
 * (cached) so inspecting many URLs against one environment costs a lookup each.
 */
import type {
  Environment,
  GatewayEndpoint,
  InterfaceEndpoint,
  OnPremDnsMode,
  Route,
  RouteTable,
} from '../env/types.js';
import type { S3Hostname } from './hostname.js';

/** What the environment says about one endpoint service (`com.amazonaws.<region>.s3` or `.s3express`). */
export interface ServiceFacts {
  readonly name: string;
  readonly interfaceEndpoints: readonly InterfaceEndpoint[];
  /** The service's prefix list holds IPv6 ranges. */
  readonly hasIpv6: boolean;
  /** The gateway endpoint that carries the service's prefix list in this route table, or null. */
  gatewayFor(table: RouteTable): string | null;
  /** A CIDR route that takes some prefix-list addresses away from the gateway endpoint (longest prefix wins). */
  moreSpecificRoute(table: RouteTable): Route | null;
}

/** One place a VPC client can sit: a subnet, or a route table when the environment lists no subnets. */
export interface UnitFacts {
  readonly id: string;
  readonly vpcId: string;
  readonly routeTableId: string;
  readonly table: RouteTable | undefined;
}

export interface EnvFacts {
  readonly region: string;
  readonly s3: ServiceFacts;
  readonly s3express: ServiceFacts;
  /** Interface endpoints for `com.amazonaws.s3-global.accesspoint` (Multi-Region Access Points). */
  readonly mrapEndpoints: readonly InterfaceEndpoint[];
  /** Every interface-endpoint address, in URL-canonical form. */
  readonly interfaceIps: ReadonlySet<string>;
  readonly units: readonly UnitFacts[];
  readonly onPremDnsMode: OnPremDnsMode;
  /** The environment's interface endpoint a `vpce-…` hostname names, by id or DNS label. */
  interfaceEndpoint(h: S3Hostname): InterfaceEndpoint | undefined;
}

const cache = new WeakMap<Environment, EnvFacts>();

/** Facts of `env`, computed on first use and kept as long as `env` lives. */
export function deriveEnvFacts(env: Environment): EnvFacts {
  let facts = cache.get(env);
  if (facts === undefined) {
    facts = derive(env);
    cache.set(env, facts);
  }
  return facts;
}

function derive(env: Environment): EnvFacts {
  const region = String(env.region ?? '');
  const interfaces = env.interfaceEndpoints ?? [];
  const tables = new Map((env.routeTables ?? []).map((t) => [t.routeTableId, t]));
  const subnets = env.subnets ?? [];
  const units: UnitFacts[] =
    subnets.length > 0
      ? subnets.map((s) => ({
          id: s.subnetId,
          vpcId: s.vpcId,
          routeTableId: s.routeTableId,
          table: tables.get(s.routeTableId),
        }))
      : [...tables.values()].map((t) => ({
          id: t.routeTableId,
          vpcId: t.vpcId,
          routeTableId: t.routeTableId,
          table: t,
        }));
  const interfaceIps = new Set<string>();
  for (const e of interfaces) for (const ip of e.ips ?? []) interfaceIps.add(canonicalIp(ip));
  return {
    region,
    s3: serviceFacts(env, `com.amazonaws.${region}.s3`),
    s3express: serviceFacts(env, `com.amazonaws.${region}.s3express`),
    mrapEndpoints: interfaces.filter((e) => e.serviceName === 'com.amazonaws.s3-global.accesspoint'),
    interfaceIps,
    units,
    onPremDnsMode: env.onPrem?.dnsMode === 'inbound-resolver' ? 'inbound-resolver' : 'public',
    interfaceEndpoint(h) {
      if (h.vpceId === null) return undefined;
      const id = h.vpceId;
      const label = h.vpceDnsLabel;
      return interfaces.find(
        (e) =>
          e.vpcEndpointId?.toLowerCase() === id ||
          (e.dnsNames ?? []).some((n) =>
            n
              .toLowerCase()
              .split('.')
              .some((l) => l === label || l.startsWith(`${id}-`)),
          ),
      );
    },
  };
}

function serviceFacts(env: Environment, name: string): ServiceFacts {
  const gateways = (env.gatewayEndpoints ?? []).filter((g) => g.serviceName === name);
  const listIds = new Set<string>();
  for (const pl of env.s3PrefixLists ?? []) if (pl.name === name) listIds.add(pl.prefixListId);
  for (const g of gateways) if (g.prefixListId) listIds.add(g.prefixListId);
  const cidrs: Cidr[] = [];
  for (const pl of env.s3PrefixLists ?? []) {
    if (!listIds.has(pl.prefixListId)) continue;
    for (const c of pl.cidrs ?? []) {
      const parsed = parseCidr(c);
      if (parsed !== null) cidrs.push(parsed);
    }
  }
  // Both answers depend only on the route table: computed once per table, then looked up.
  const gatewayByTable = new Map<RouteTable, string | null>();
  const beatingByTable = new Map<RouteTable, Route | null>();
  return {
    name,
    interfaceEndpoints: (env.interfaceEndpoints ?? []).filter((e) => e.serviceName === name),
    hasIpv6: cidrs.some((c) => c.v6),
    gatewayFor(table) {
      let via = gatewayByTable.get(table);
      if (via === undefined) {
        via = findGateway(table, gateways, listIds);
        gatewayByTable.set(table, via);
      }
      return via;
    },
    moreSpecificRoute(table) {
      let beats = beatingByTable.get(table);
      if (beats === undefined) {
        beats = findMoreSpecificRoute(table, cidrs);
        beatingByTable.set(table, beats);
      }
      return beats;
    },
  };
}

function findGateway(
  table: RouteTable,
  gateways: readonly GatewayEndpoint[],
  listIds: ReadonlySet<string>,
): string | null {
  const byAssociation = gateways.find((g) => (g.routeTableIds ?? []).includes(table.routeTableId));
  if (byAssociation) return byAssociation.vpcEndpointId;
  const route = (table.routes ?? []).find((r) => listIds.has(r.destination) && r.target.startsWith('vpce-'));
  return route ? route.target : null;
}

function findMoreSpecificRoute(table: RouteTable, prefixes: readonly Cidr[]): Route | null {
  for (const r of table.routes ?? []) {
    if (r.target.startsWith('vpce-')) continue;
    const c = parseCidr(r.destination);
    if (c === null || c.len === 0) continue;
    // Equal length counts: a static CIDR route is preferred over a prefix-list route for the same range.
    if (prefixes.some((p) => p.v6 === c.v6 && c.len >= p.len && overlaps(c, p))) return r;
  }
  return null;
}

interface Cidr {
  readonly v6: boolean;
  readonly value: bigint;
  readonly len: number;
}

function overlaps(a: Cidr, b: Cidr): boolean {
  const bits = a.v6 ? 128n : 32n;
  const shift = bits - BigInt(Math.min(a.len, b.len));
  return a.value >> shift === b.value >> shift;
}

/** Parses `a.b.c.d/n` or an IPv6 CIDR; null when malformed. */
export function parseCidr(s: string): Cidr | null {
  if (typeof s !== 'string') return null;
  const slash = s.indexOf('/');
  if (slash === -1) return null;
  const len = Number(s.slice(slash + 1));
  const addr = s.slice(0, slash);
  const v6 = addr.includes(':');
  if (!Number.isInteger(len) || len < 0 || len > (v6 ? 128 : 32)) return null;
  const value = v6 ? parseIpv6(addr) : parseIpv4(addr);
  return value === null ? null : { v6, value, len };
}

function parseIpv4(s: string): bigint | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    v = (v << 8n) | BigInt(p);
  }
  return v;
}

function parseIpv6(s: string): bigint | null {
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...new Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    v = (v << 16n) | BigInt(`0x${g}`);
  }
  return v;
}

/** The form the WHATWG URL parser gives an IP host (`fd00:0::1` → `fd00::1`), so env and URL compare equal. */
export function canonicalIp(ip: string): string {
  try {
    const host = new URL(ip.includes(':') ? `http://[${ip}]` : `http://${ip}`).hostname;
    return host.startsWith('[') ? host.slice(1, -1) : host;
  } catch {
    return String(ip).toLowerCase();
  }
}
