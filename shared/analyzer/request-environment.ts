/**
 * The environment a past request is judged against. A flow record without `traffic-path` 7/8
 * shows its path only through the route table of its subnet (aws-facts §1.4, §5.2: longest prefix
 * match decides, and a more specific route to a NAT or internet gateway beats the endpoint's
 * prefix-list route). That table is the one in force when the request was made, not at analysis:
 * a subnet moved from a NAT-only table to one with the endpoint route after the probe would
 * otherwise turn a NAT request `private`.
 *
 * What the analyzer knows of the past is a timeline of observations of the environment: the dated
 * snapshots the analyze function stores whenever discovery found a change (each holds from its
 * capture until the next), the environment the probe was planned with (its digest, when the
 * probe recorded one) and the environment of this run. From it:
 *
 * - the environment in force at request time is the latest observation at or before the probe's
 *   creation (a request is never made before its URL was minted; the runner's clock is not used,
 *   since it may be skewed);
 * - the window runs from that observation to the first analysis that saw the probe's request (an
 *   earlier run's verdict history proves the environment of that run held after the request), or
 *   this run when there was none;
 * - when the route facts of the subnet differ between observations of the window, or no
 *   observation shows them at request time, route-derived records decide nothing alone
 *   (shared/verdicts/engine.ts `RouteWindow`).
 *
 * Changes between two observations that revert before the next one are invisible to any
 * analyzer: the timeline is as fine as the analyzer's schedule.
 */

import type { Environment } from '../env/types.js';
import { canonicalJson } from '../evidence/canonical.js';
import type { Probe } from '../probes/types.js';
import type { RouteWindow, VerdictHistoryEntry } from '../verdicts/engine.js';

/** A dated snapshot of the environment, as the analyze function stores it. */
export interface EnvironmentSnapshot {
  /** When discovery saw this environment first (ISO 8601). */
  capturedAt: string;
  /** Digest of the environment (shared/evidence/bundle.ts `environmentDigest`), when known. */
  digest?: string;
  environment: Environment;
}

/** Store prefix of the dated snapshots: `environment/snapshots/<capturedAt>-<digest12>.json`. */
export const SNAPSHOT_PREFIX = 'environment/snapshots/';

/**
 * A stored snapshot document, or null for anything else (a foreign or damaged object must never
 * stop the analyzer or pass for an environment).
 */
export function readSnapshot(doc: unknown): EnvironmentSnapshot | null {
  if (!doc || typeof doc !== 'object') return null;
  const d = doc as Partial<EnvironmentSnapshot>;
  if (typeof d.capturedAt !== 'string' || Number.isNaN(Date.parse(d.capturedAt))) return null;
  const e = d.environment as Partial<Environment> | undefined;
  if (!e || typeof e !== 'object' || !Array.isArray(e.subnets) || !Array.isArray(e.routeTables)) return null;
  return {
    capturedAt: new Date(Date.parse(d.capturedAt)).toISOString(),
    ...(typeof d.digest === 'string' ? { digest: d.digest } : {}),
    environment: d.environment as Environment,
  };
}

/**
 * Everything the route decision for one subnet rests on (aws-facts §5.2): its association, its
 * table's routes, the gateway endpoints of its VPC (a route's `vpce-…` target counts only as a
 * listed S3 gateway endpoint), the S3 prefix lists and every prefix list its routes name.
 */
export interface SubnetRouteFacts {
  subnetId: string;
  found: boolean;
  vpcId: string | null;
  routeTableId: string | null;
  /** `destination → target`, sorted. */
  routes: string[];
  gatewayEndpoints: string[];
  prefixLists: string[];
}

/**
 * The route facts of `subnetId` in `env`, in a canonical order so two environments can be compared.
 *
 * @example
 * subnetRouteFacts(env, 'subnet-0a1a1a1a1a1a1a1a1').routes; // ['0.0.0.0/0 → nat-0d4d…', '10.0.0.0/16 → local', 'pl-63a5400a → vpce-0c3c…']
 */
export function subnetRouteFacts(env: Environment, subnetId: string): SubnetRouteFacts {
  const subnet = (env.subnets ?? []).find((s) => s.subnetId === subnetId);
  const table = subnet
    ? (env.routeTables ?? []).find((t) => t.routeTableId === subnet.routeTableId)
    : undefined;
  const routes = (table?.routes ?? []).map((r) => `${r.destination} → ${r.target}`).sort();
  const named = new Set((table?.routes ?? []).map((r) => r.destination).filter((d) => d.startsWith('pl-')));
  // The S3 lists decide which addresses are S3; any other list only through a route naming it.
  const lists = [
    ...(env.s3PrefixLists ?? []),
    ...(env.prefixLists ?? []).filter((l) => named.has(l.prefixListId)),
  ].map((l) => `${l.prefixListId} ${[...l.cidrs].sort().join(',')}`);
  const vpcId = subnet?.vpcId ?? null;
  const endpoints = (env.gatewayEndpoints ?? [])
    .filter((g) => g.vpcId === vpcId)
    .map(
      (g) =>
        `${g.vpcEndpointId} ${g.serviceName} ${g.prefixListId} ${g.ipAddressType ?? 'ipv4'}${
          table && g.routeTableIds.includes(table.routeTableId) ? ' lists-table' : ''
        }`,
    );
  return {
    subnetId,
    found: subnet !== undefined,
    vpcId,
    routeTableId: subnet?.routeTableId ?? null,
    routes,
    gatewayEndpoints: endpoints.sort(),
    prefixLists: [...new Set(lists)].sort(),
  };
}

function sameFacts(a: SubnetRouteFacts, b: SubnetRouteFacts): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function listDiff(label: string, before: readonly string[], after: readonly string[]): string | null {
  const added = after.filter((x) => !before.includes(x));
  const removed = before.filter((x) => !after.includes(x));
  if (added.length === 0 && removed.length === 0) return null;
  return `${label}: ${[...added.map((x) => `added ${x}`), ...removed.map((x) => `removed ${x}`)].join(', ')}`;
}

/**
 * One line naming what changed for the subnet between two readings.
 *
 * @example
 * describeRouteChange(before, after); // 'subnet-0a1a… moved from route table rtb-0b2b… to rtb-0c3c…'
 */
export function describeRouteChange(a: SubnetRouteFacts, b: SubnetRouteFacts): string {
  if (a.found !== b.found) {
    return a.found ? `subnet ${a.subnetId} is no longer in the environment` : `subnet ${a.subnetId} appeared`;
  }
  const parts: string[] = [];
  if (a.routeTableId !== b.routeTableId) {
    parts.push(`subnet ${a.subnetId} moved from route table ${a.routeTableId} to ${b.routeTableId}`);
  }
  const table = a.routeTableId === b.routeTableId ? `route table ${a.routeTableId}` : 'routes';
  for (const d of [
    listDiff(table, a.routes, b.routes),
    listDiff('gateway endpoints', a.gatewayEndpoints, b.gatewayEndpoints),
    listDiff('prefix lists', a.prefixLists, b.prefixLists),
  ]) {
    if (d) parts.push(d);
  }
  return parts.length > 0 ? parts.join('; ') : `the route facts of ${a.subnetId} changed`;
}

/** The environment of a probe's request and what is known of its routes since. */
export interface RequestEnvironment {
  /**
   * The environment to classify the probe's records with: the one in force at request time when
   * an observation shows it, else this run's.
   */
  environment: Environment;
  /** When that environment was observed (null: this run's environment, no earlier one known). */
  observedAt: string | null;
  /** What route-derived records may decide (see shared/verdicts/engine.ts). */
  window: RouteWindow;
  /** Every environment of the window, oldest first (a route-derived answer must hold in each). */
  candidates: Environment[];
}

/** What the analyzer knows of the environment over time. */
export interface EnvironmentTimeline {
  /** The dated snapshots, any order. */
  snapshots: readonly EnvironmentSnapshot[];
  /** This run's environment, with its digest when known. */
  current: Environment;
  currentDigest?: string;
}

interface Observed {
  at: number;
  environment: Environment | null;
  digest: string | null;
}

/** Verdict codes recorded before anything about the request was known. */
const BEFORE_REQUEST = new Set(['PENDING_RUNNER', 'RUNNER_SILENT']);

/**
 * The environment in force for `probe`'s request and the route window since (see the file header).
 * `requestAt` is the latest time the request may have been sent by the runner's account (its
 * report's `startedAt`), used only to pick which earlier analysis saw the request.
 *
 * @example
 * const r = requestEnvironment(probe, timeline, now, { history, requestAt });
 * r.window.change; // 'subnet subnet-0a1a… moved from route table rtb-nat to rtb-endpoint (seen 2026-11-25T10:20:00.000Z)'
 */
export function requestEnvironment(
  probe: Pick<Probe, 'createdAt' | 'vantage'> & { environmentDigest?: string },
  timeline: EnvironmentTimeline,
  now: Date,
  opts: { history?: readonly VerdictHistoryEntry[]; requestAt?: Date | null } = {},
): RequestEnvironment {
  const created = Date.parse(probe.createdAt);
  const observed: Observed[] = timeline.snapshots
    .map((s) => ({ at: Date.parse(s.capturedAt), environment: s.environment, digest: s.digest ?? null }))
    .filter((o) => !Number.isNaN(o.at))
    .sort((a, b) => a.at - b.at);
  const current: Observed = {
    at: now.getTime(),
    environment: timeline.current,
    digest: timeline.currentDigest ?? null,
  };

  // The latest observation at or before the probe was planned; the probe's own plan-time reading
  // (its environment digest) is one, at its creation.
  let inForce: Observed | null = null;
  for (const o of observed) if (o.at <= created) inForce = o;
  const planDigest = probe.environmentDigest ?? null;
  if (planDigest !== null && !Number.isNaN(created) && inForce?.digest !== planDigest) {
    const known = [...observed, current].find((o) => o.digest === planDigest) ?? null;
    inForce = { at: created, environment: known?.environment ?? null, digest: planDigest };
  }

  // The first earlier analysis that saw the request (a history entry past the request's time
  // that is not about the runner being awaited); else this run.
  const requestAt = Math.max(created, opts.requestAt?.getTime() ?? Number.NEGATIVE_INFINITY);
  const seen = (opts.history ?? [])
    .filter((h) => !BEFORE_REQUEST.has(h.code))
    .map((h) => Date.parse(h.at))
    .filter((t) => !Number.isNaN(t) && t >= requestAt && t < current.at)
    .sort((a, b) => a - b)[0];
  const end = seen ?? current.at;
  const window = [...observed.filter((o) => o.at > (inForce?.at ?? Number.POSITIVE_INFINITY) && o.at <= end)];
  if (end === current.at) window.push(current);

  const subnet = probe.vantage.kind === 'vpc' ? (probe.vantage.subnetId ?? null) : null;
  const environment = inForce?.environment ?? timeline.current;
  const candidates = [inForce?.environment, ...window.map((o) => o.environment)].filter(
    (e): e is Environment => e !== null && e !== undefined,
  );
  const result = (change: string | null, known = true): RequestEnvironment => ({
    environment,
    observedAt: inForce?.environment ? new Date(inForce.at).toISOString() : null,
    window: { change },
    // Without the tables of the request no answer can be shown to hold in all of them.
    candidates: known ? [...new Set(candidates)] : [],
  });

  if (inForce === null) {
    return result(
      `no environment snapshot from before the probe was planned (${probe.createdAt}) shows the route tables in force for its request`,
      false,
    );
  }
  if (inForce.environment === null) {
    return result(
      `the environment the probe was planned with (digest ${planDigest?.slice(0, 12)}) is neither stored nor this run's, so its route tables are not known`,
      false,
    );
  }
  // On-prem probes have no subnet of their own: their route-derived records (if any) rest on
  // whole tables, so any route-relevant change of any subnet counts.
  const subnets = subnet !== null ? [subnet] : (inForce.environment.subnets ?? []).map((s) => s.subnetId);
  for (const o of window) {
    if (o.environment === null) continue;
    for (const id of subnets) {
      const before = subnetRouteFacts(inForce.environment, id);
      const after = subnetRouteFacts(o.environment, id);
      if (!sameFacts(before, after)) {
        const seenAt = o === current ? 'this run' : new Date(o.at).toISOString();
        return result(
          `the route tables changed between the request and its analysis: ${describeRouteChange(before, after)} (seen ${seenAt})`,
        );
      }
    }
  }
  return result(null);
}
