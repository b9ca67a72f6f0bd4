/**
 * Matching VPC Flow Logs records to a probe by addresses and time. A VPC runner is a Lambda
 * function behind Hyperplane ENIs that translate its traffic: the socket's local address is not
 * what the VPC sees, so the VPC side is the runner subnet's ENIs and their private IPs (from the
 * environment). The other side is the remote address the runner connected to, on its port (443).
 * Flow records aggregate 1 to 10 minutes and may start up to a minute late, so a record matches
 * when its interval overlaps the fetch widened by a slack. An on-prem runner is not translated
 * inside AWS: its flows, when it uses an interface endpoint, show on the endpoint's ENIs with its
 * own address and port.
 */
import type { FlowRecord } from '../flow-logs/types.js';
import type { Observation, Probe } from '../probes/types.js';
import { fetchClock } from '../verdicts/clock.js';
import { normalizeIp, type VantageFacts } from './vantage-facts.js';

/** What a flow record must show to be a probe's: both ends, their ports and the widened fetch window. */
export interface FlowSide {
  probeId: string;
  remote: string;
  remotePort: number;
  localIps: ReadonlySet<string>;
  localEnis: ReadonlySet<string>;
  /** Subnet to accept when the environment names no runner ENI (VPC runners only). */
  fallbackSubnet: string | null;
  /** The on-prem runner's own port (untranslated), when known. */
  localPort: number | null;
  /** The runner's VPC and its subnets (VPC runners whose subnet the environment lists), else null. */
  vpcId: string | null;
  vpcSubnetIds: ReadonlySet<string> | null;
  foreignEnis: ReadonlySet<string>;
  fromSec: number;
  toSec: number;
}

/** No foreign ENIs (on-prem runners, flow queries). */
export const NO_ENIS: ReadonlySet<string> = new Set();

/**
 * The flow side of a probe: null without an observation, a remote address or a readable fetch
 * time, or for an on-prem runner whose local address is unknown.
 */
export function flowSide(
  probe: Probe,
  obs: Observation | null,
  facts: VantageFacts,
  slack: number,
  foreignEnis: ReadonlySet<string>,
): FlowSide | null {
  if (!obs || obs.remoteAddress === null) return null;
  // The runner's clock may be off: the window covers its time and the analyzer's (verdicts/clock.ts).
  const clock = fetchClock(probe, obs);
  if (!clock) return null;
  const remote = normalizeIp(obs.remoteAddress);
  const fromSec = Math.floor(clock.windowFromMs / 1000) - slack;
  const toSec = Math.ceil(clock.windowToMs / 1000) + slack;
  if (probe.vantage.kind === 'vpc') {
    return {
      probeId: probe.probeId,
      remote,
      remotePort: obs.remotePort ?? 443,
      localIps: new Set(facts.runnerIps),
      localEnis: new Set(facts.runnerEniIds),
      fallbackSubnet:
        facts.runnerIps.length === 0 && facts.runnerEniIds.length === 0
          ? (facts.subnetId ?? probe.vantage.subnetId ?? null)
          : null,
      localPort: null,
      vpcId: facts.vpcId,
      vpcSubnetIds: facts.vpcId !== null ? new Set(facts.vpcSubnetIds ?? []) : null,
      foreignEnis,
      fromSec,
      toSec,
    };
  }
  if (obs.localAddress === null) return null;
  return {
    probeId: probe.probeId,
    remote,
    remotePort: obs.remotePort ?? 443,
    localIps: new Set([normalizeIp(obs.localAddress)]),
    localEnis: new Set(),
    fallbackSubnet: null,
    localPort: obs.localPort,
    vpcId: null,
    vpcSubnetIds: null,
    foreignEnis: NO_ENIS,
    fromSec,
    toSec,
  };
}

/** The distinct addresses a flow record names, normalised. */
export function flowAddresses(r: FlowRecord): string[] {
  const out: string[] = [];
  for (const a of [r.srcaddr, r.dstaddr, r.pktSrcaddr, r.pktDstaddr]) {
    if (typeof a === 'string' && a !== '') {
      const n = normalizeIp(a);
      if (!out.includes(n)) out.push(n);
    }
  }
  return out;
}

function addr(v: string | null | undefined): string | null {
  return typeof v === 'string' && v !== '' ? normalizeIp(v) : null;
}

function portOk(actual: number | null | undefined, expected: number | null): boolean {
  return actual === null || actual === undefined || expected === null || actual === expected;
}

/** Whether flow record `r` is traffic of the probe `side` describes. */
export function flowMatches(r: FlowRecord, side: FlowSide): boolean {
  // Time: the record's interval must overlap the (already widened) fetch.
  const start = typeof r.start === 'number' ? r.start : null;
  const end = typeof r.end === 'number' ? r.end : start;
  if (start === null || end === null) return false;
  if (start > side.toSec || end < side.fromSec) return false;
  if (r.protocol !== undefined && r.protocol !== null && r.protocol !== 6) return false;
  // Another VPC's record is never the runner's, even with the runner's address: overlapping VPCs
  // reuse addresses, and the packets a transit gateway carries on show in the next VPC's logs
  // with the runner's address too. The access log's Remote IP still shows where they left.
  if (side.vpcId !== null) {
    if (typeof r.vpcId === 'string' && r.vpcId !== side.vpcId) return false;
    if (typeof r.subnetId === 'string' && side.vpcSubnetIds !== null && !side.vpcSubnetIds.has(r.subnetId))
      return false;
    if (typeof r.interfaceId === 'string' && side.foreignEnis.has(r.interfaceId)) return false;
  }

  const src = [addr(r.srcaddr), addr(r.pktSrcaddr)];
  const dst = [addr(r.dstaddr), addr(r.pktDstaddr)];
  const isLocal = (a: string | null) => a !== null && side.localIps.has(a);
  // The ENI or subnet alone stands in for addresses only when the environment lists none.
  const byEni =
    side.localIps.size === 0 && typeof r.interfaceId === 'string' && side.localEnis.has(r.interfaceId);
  const inFallbackSubnet = side.fallbackSubnet !== null && r.subnetId === side.fallbackSubnet;

  // Runner → remote (egress from the runner, or the same packets seen at a NAT or endpoint ENI).
  if (dst.includes(side.remote) && portOk(r.dstport, side.remotePort)) {
    const localOk = src.some(isLocal) || ((byEni || inFallbackSubnet) && !src.includes(side.remote));
    if (localOk && portOk(r.srcport, side.localPort)) return true;
  }
  // Remote → runner (the replies).
  if (src.includes(side.remote) && portOk(r.srcport, side.remotePort)) {
    const localOk = dst.some(isLocal) || ((byEni || inFallbackSubnet) && !dst.includes(side.remote));
    if (localOk && portOk(r.dstport, side.localPort)) return true;
  }
  return false;
}
