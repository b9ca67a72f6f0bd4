import type { AccessLogRecord } from '../access-logs/types.js';
import type { CloudTrailRecord } from '../cloudtrail/types.js';
import type { Environment } from '../env/types.js';
import type { FlowRecord } from '../flow-logs/types.js';
import type { Observation, Probe } from '../probes/types.js';
import type { Classifiers, EvidenceItem } from './types.js';

/** Slack around a fetch when matching flow records: aggregation intervals end up to 60 s late. */
const FLOW_SLACK_S = 60;
/** Slack around a probe's life when matching access-log and CloudTrail records by key. */
const KEY_SLACK_MS = 5 * 60_000;

export interface LogRecords {
  flows: readonly FlowRecord[];
  access: readonly AccessLogRecord[];
  cloudtrail: readonly CloudTrailRecord[];
}

/**
 * The addresses a VPC sees for a runner. A Lambda function in a VPC reaches the network through
 * Hyperplane ENIs in its subnet, with NAT: its socket's local address is not what flow logs show,
 * so the runner's addresses are the private IPs of the ENIs in the runner's subnet (discovery
 * lists them) plus the socket's local address when it is one of the VPC's own (a runner on EC2).
 * For an on-prem runner it is the local address it connected from.
 */
export function runnerAddresses(probe: Probe, obs: Observation | null, env: Environment): Set<string> {
  const out = new Set<string>();
  if (probe.vantage.kind === 'vpc' && probe.vantage.subnetId) {
    for (const eni of env.networkInterfaces) {
      if (eni.subnetId === probe.vantage.subnetId) for (const ip of eni.privateIps) out.add(ip);
    }
  }
  if (obs?.localAddress && probe.vantage.kind === 'onprem') out.add(obs.localAddress);
  return out;
}

function flowKey(r: FlowRecord): string {
  return `flow|${r.interfaceId}|${r.srcaddr}|${r.srcport}|${r.dstaddr}|${r.dstport}|${r.start}|${r.end}|${r.flowDirection ?? ''}|${r.pktSrcaddr ?? ''}|${r.pktDstaddr ?? ''}`;
}

function timeOf(iso: string | null): number {
  return iso ? Date.parse(iso) : Number.NaN;
}

/**
 * Finds the log records of one probe and classifies them. Access logs and CloudTrail match by the
 * S3 request id the runner saw (x-amz-request-id), else by probe key and time; flow records by the
 * runner's addresses, the remote address and port it connected to, and a time window overlapping
 * the fetch. A record seen twice (S3 access logs may repeat) counts once.
 */
export function correlateProbe(
  probe: Probe,
  obs: Observation | null,
  logs: LogRecords,
  env: Environment,
  classify: Classifiers,
): EvidenceItem[] {
  const seen = new Set<string>();
  const out: EvidenceItem[] = [];
  const push = (item: EvidenceItem) => {
    if (seen.has(item.dedupKey)) return;
    seen.add(item.dedupKey);
    out.push(item);
  };
  const from = timeOf(probe.createdAt) - KEY_SLACK_MS;
  const to = timeOf(probe.expiresAt) + KEY_SLACK_MS;

  for (const r of logs.access) {
    let matchedBy: EvidenceItem['matchedBy'] | null = null;
    if (obs?.requestId && r.requestId === obs.requestId) matchedBy = 'request-id';
    else if (r.key === probe.key && r.bucket === probe.bucket) {
      const t = timeOf(r.time);
      if (t >= from && t <= to) matchedBy = 'key-and-time';
    }
    if (!matchedBy) continue;
    push({
      source: 's3-access',
      matchedBy,
      dedupKey: `s3-access|${r.requestId ?? `${r.time}|${r.key}|${r.remoteIp}`}`,
      decision: classify.access(r),
      record: r,
    });
  }

  for (const r of logs.cloudtrail) {
    let matchedBy: EvidenceItem['matchedBy'] | null = null;
    if (obs?.requestId && r.requestId === obs.requestId) matchedBy = 'request-id';
    else if (r.key === probe.key && r.bucketName === probe.bucket) {
      const t = timeOf(r.eventTime);
      if (t >= from && t <= to) matchedBy = 'key-and-time';
    }
    if (!matchedBy) continue;
    push({
      source: 'cloudtrail',
      matchedBy,
      dedupKey: `cloudtrail|${r.eventId ?? r.requestId}`,
      decision: classify.cloudtrail(r),
      record: r,
    });
  }

  if (obs?.remoteAddress) {
    const mine = runnerAddresses(probe, obs, env);
    const remote = obs.remoteAddress;
    const port = obs.remotePort ?? 443;
    const t0 = Math.floor(timeOf(obs.startedAt) / 1000) - FLOW_SLACK_S;
    const t1 = Math.ceil((timeOf(obs.startedAt) + obs.timingsMs.total) / 1000) + FLOW_SLACK_S;
    for (const r of logs.flows) {
      if (r.start == null || r.end == null || r.end < t0 || r.start > t1) continue;
      const src = r.pktSrcaddr ?? r.srcaddr;
      const dst = r.pktDstaddr ?? r.dstaddr;
      const outbound =
        dst === remote && r.dstport === port && (mine.has(r.srcaddr ?? '') || mine.has(src ?? ''));
      const inbound =
        src === remote && r.srcport === port && (mine.has(r.dstaddr ?? '') || mine.has(dst ?? ''));
      if (!outbound && !inbound) continue;
      const decision = classify.flow(r);
      if (!decision) continue;
      push({ source: 'flow', matchedBy: 'flow-window', dedupKey: flowKey(r), decision, record: r });
    }
  }
  return out;
}
