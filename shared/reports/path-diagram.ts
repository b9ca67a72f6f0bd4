/**
 * The path a probe's request took, as the report draws it: vantage → DNS answer → the route
 * that matched (table, destination, target) → the hop (gateway endpoint, interface-endpoint ENI,
 * NAT gateway and its Elastic IP, internet gateway, Direct Connect or the public internet) → S3.
 * Every piece comes from the bundle (the runner's observation, the vantage facts the verdict
 * used, the matched records) or, for the route, from the environment's route tables through
 * shared/env/environment-index.ts; what neither shows is drawn as unknown, never guessed.
 *
 * Records are drawn where they were written: flow records beside the route (the VPC's own log of
 * the packets), access-log lines and CloudTrail events beside S3 (S3's log of the request). The
 * hop the verdict names carries the deciding rule; a left-path hop carries the fix.
 */
import type { AccessLogRecord } from '../access-logs/types.js';
import { diagnose } from '../alerts/render.js';
import type { CloudTrailRecord } from '../cloudtrail/types.js';
import type { EnvironmentIndex } from '../env/environment-index.js';
import type { EvidenceBundle } from '../evidence/bundle.js';
import type { EvidenceItem } from '../evidence/types.js';
import type { FlowRecord } from '../flow-logs/types.js';
import type { ProbeVerdict } from '../verdicts/engine.js';

export type NodeRole = 'vantage' | 'dns' | 'route' | 'hop' | 's3';

export interface PathNode {
  role: NodeRole;
  title: string;
  lines: string[];
  /**
   * Lines that are this probe's alone, drawn after `lines`: the addresses DNS answered and the
   * runner connected to. S3 answers from a rotating pool of addresses, so these differ from probe
   * to probe while the rest of the path stays the same.
   */
  own?: string[];
}

/** One matched record as drawn: what it is, the rule that read it, the path it shows. */
export interface PathNote {
  source: EvidenceItem['source'];
  /** `flow record`, `access-log line`, `CloudTrail event`. */
  label: string;
  rule: string;
  path: string;
  deciding: boolean;
  /** The record's identity (redacted by the renderer): request id, event id, or ENI and 5-tuple. */
  id: string;
}

export interface ProbePath {
  nodes: [PathNode, PathNode, PathNode, PathNode, PathNode];
  /** The hop the verdict names (`nat-gateway`, `public`, …), `unknown` when no record proves one. */
  hop: string;
  /** The hop left the endpoint path. */
  left: boolean;
  /** Notes drawn beside the route (flow records) and beside S3 (access-log lines, CloudTrail events). */
  routeNotes: PathNote[];
  s3Notes: PathNote[];
  /** Matched records the bundle's cap left out (counted, not kept). */
  omitted: number;
  /** The deciding rule id, or the verdict code when no single record decided. */
  rule: string;
  fix: string[];
}

const SOURCE_LABEL: Record<EvidenceItem['source'], string> = {
  flow: 'flow record',
  's3-access': 'access-log line',
  cloudtrail: 'CloudTrail event',
};

function recordId(e: EvidenceItem): string {
  if (e.source === 'flow') {
    const r = e.record as FlowRecord;
    return `${r.interfaceId ?? '-'} ${r.srcaddr ?? '-'}:${r.srcport ?? '-'}→${r.dstaddr ?? '-'}:${r.dstport ?? '-'}`;
  }
  // No `event`/`request` prefix: the drawing writes each id on the row that names its record.
  if (e.source === 'cloudtrail') return (e.record as CloudTrailRecord).eventId ?? '-';
  return (e.record as AccessLogRecord).requestId ?? '-';
}

function notesOf(b: EvidenceBundle): PathNote[] {
  return (b.evidence ?? []).map((e) => ({
    source: e.source,
    label: SOURCE_LABEL[e.source] ?? String(e.source),
    rule: e.decision?.rule ?? '-',
    path: e.decision?.path ?? 'unknown',
    deciding: e.dedupKey === b.verdict.decidingKey,
    id: recordId(e),
  }));
}

/** The address the runner connected to: the observation's remote address, else its first DNS answer. */
function connected(b: EvidenceBundle): { host: string; answers: string[]; remote: string | null } {
  const o = b.observations?.[0];
  const answers = (o?.dns?.answers ?? []).map((a) => a.address);
  return { host: o?.host ?? b.probe.urlHost, answers, remote: o?.remoteAddress ?? answers[0] ?? null };
}

function vantageNode(b: EvidenceBundle): PathNode {
  const v = b.probe.vantage;
  const f = b.environment?.facts;
  if (v.kind === 'onprem') {
    return {
      role: 'vantage',
      title: 'on-prem runner',
      lines: [v.id, f?.onPrem?.cidrs?.length ? f.onPrem.cidrs.join(', ') : 'on-prem site'],
    };
  }
  return {
    role: 'vantage',
    title: 'VPC runner',
    lines: [v.id, v.subnetId ?? f?.subnetId ?? 'subnet unknown', f?.vpcId ?? 'VPC unknown'],
  };
}

function dnsNode(b: EvidenceBundle): PathNode {
  const c = connected(b);
  const dnsError = b.observations?.[0]?.dns?.error;
  return {
    role: 'dns',
    title: 'DNS answer',
    lines: [c.host],
    own: [
      c.answers.length > 0
        ? `→ ${c.answers.join(', ')}`
        : dnsError
          ? `error ${dnsError}`
          : 'no answer recorded',
      ...(c.remote && !c.answers.includes(c.remote) ? [`connected ${c.remote}`] : []),
    ],
  };
}

function routeNode(b: EvidenceBundle, idx: EnvironmentIndex | null): PathNode {
  const f = b.environment?.facts;
  const remote = connected(b).remote;
  if (b.probe.vantage.kind === 'onprem') {
    const ie = remote ? f?.interfaceEndpoints?.find((e) => e.ips.includes(remote)) : undefined;
    return {
      role: 'route',
      title: 'on-prem route',
      lines: [
        `DNS mode ${f?.onPrem?.dnsMode ?? 'unknown'}`,
        // The public address itself is the probe's own, in its DNS answer.
        ie ? `to ${remote} over DX / VPN` : remote ? 'to a public address' : 'no connection recorded',
      ],
    };
  }
  const subnet = b.probe.vantage.subnetId ?? f?.subnetId ?? null;
  const r = idx && subnet && remote ? idx.resolveRoute(subnet, remote) : null;
  if (r) {
    return {
      role: 'route',
      title: 'route matched',
      lines: [r.routeTable.routeTableId, `${r.destination} → ${r.target}`, `(${r.matchedCidr})`],
    };
  }
  // Without the tables: the routes the verdict's facts name, by the path the records show.
  const route =
    b.verdict.path === 'gateway-endpoint' && f?.s3GatewayEndpointId
      ? { destination: 'S3 prefix list', target: f.s3GatewayEndpointId }
      : b.verdict.path === 'interface-endpoint'
        ? { destination: 'VPC CIDR', target: 'local' }
        : (f?.moreSpecificRoute ?? (b.verdict.path ? f?.defaultRoute : null) ?? null);
  return {
    role: 'route',
    title: 'route',
    lines: [
      f?.routeTableId ?? 'route table unknown',
      route ? `${route.destination} → ${route.target}` : 'route not known',
    ],
  };
}

function hopNode(b: EvidenceBundle, hop: string): PathNode {
  const f = b.environment?.facts;
  const c = connected(b);
  const onprem = b.probe.vantage.kind === 'onprem';
  switch (hop) {
    case 'gateway-endpoint':
      return { role: 'hop', title: 'gateway endpoint', lines: [f?.s3GatewayEndpointId ?? 'vpce unknown'] };
    case 'interface-endpoint': {
      const ie = f?.interfaceEndpoints?.find((e) => c.remote !== null && e.ips.includes(c.remote));
      return {
        role: 'hop',
        title: onprem ? 'DX / VPN → interface endpoint' : 'interface endpoint ENI',
        lines: [c.remote ?? 'address unknown', ie?.vpcEndpointId ?? 'vpce unknown'],
      };
    }
    case 'nat-gateway': {
      const nat = f?.natGateways?.[0];
      const n = f?.moreSpecificRoute?.target ?? f?.defaultRoute?.target ?? nat?.natGatewayId;
      const g = f?.natGateways?.find((x) => x.natGatewayId === n) ?? nat;
      return {
        role: 'hop',
        title: 'NAT gateway',
        lines: [g?.natGatewayId ?? n ?? 'nat unknown', `EIP ${g?.publicIps?.join(', ') || 'unknown'}`],
      };
    }
    case 'internet-gateway':
      return {
        role: 'hop',
        title: 'internet gateway',
        lines: [f?.defaultRoute?.target ?? 'igw unknown'],
      };
    case 'public':
      return {
        role: 'hop',
        title: 'public internet',
        lines: [
          onprem ? `from ${f?.onPrem?.publicEgressIps?.join(', ') || 'a public address'}` : 'public address',
        ],
      };
    case 'vpc-endpoint':
      return { role: 'hop', title: 'VPC endpoint', lines: ['kind not known'] };
    default:
      return { role: 'hop', title: 'hop not proven', lines: [`verdict ${b.verdict.verdict}`] };
  }
}

/** The verdict as the alert renderer reads it, rebuilt from the bundle (the deciding record by key). */
function verdictOf(b: EvidenceBundle): ProbeVerdict {
  return {
    probeId: b.probe.probeId,
    verdict: b.verdict.verdict,
    code: b.verdict.code,
    path: b.verdict.path,
    reason: b.verdict.reason,
    deciding: b.evidence.find((e) => e.dedupKey === b.verdict.decidingKey) ?? null,
    evidence: b.evidence,
    silentSources: b.verdict.silentSources ?? [],
    undecidedSources: b.verdict.undecidedSources ?? [],
    awaiting: b.verdict.awaiting ?? [],
    early: b.verdict.early ?? null,
  };
}

/**
 * The fix for a left-path or blind-spot probe: the same diagnosis the alert gives (one home,
 * shared/alerts/render.ts), so the report and the alert never disagree.
 */
export function fixFor(b: EvidenceBundle): string[] {
  const v = b.verdict.verdict;
  if (v !== 'left-path' && v !== 'no-evidence') return [];
  return diagnose({
    dedupKey: '',
    kind:
      v === 'left-path' ? 'left-path' : b.verdict.code === 'RUNNER_SILENT' ? 'runner-silent' : 'no-evidence',
    severity: v === 'left-path' ? 'critical' : 'warning',
    reason: 'new',
    probe: b.probe,
    verdict: verdictOf(b),
    drift: null,
    closes: [],
    openedAt: null,
    sentCount: 0,
    observation: b.observations?.[0] ?? null,
    facts: b.environment?.facts ?? null,
  }).fixes;
}

/**
 * The drawn path of one probe. `idx` is the index of the environment the report was given (its
 * routes resolve the matched route); without it the vantage facts in the bundle name the route.
 *
 * @example
 * probePath(bundle, environmentIndexOf(env)).hop; // 'nat-gateway'
 */
export function probePath(b: EvidenceBundle, idx: EnvironmentIndex | null): ProbePath {
  const hop = b.verdict.path ?? 'unknown';
  const notes = notesOf(b);
  const deciding = notes.find((n) => n.deciding);
  return {
    nodes: [
      vantageNode(b),
      dnsNode(b),
      routeNode(b, idx),
      hopNode(b, hop),
      {
        role: 's3',
        title: 'Amazon S3',
        lines: [b.probe.bucket, `${b.probe.region} · ${b.probe.style}`],
      },
    ],
    hop,
    left: b.verdict.verdict === 'left-path',
    routeNotes: notes.filter((n) => n.source === 'flow'),
    s3Notes: notes.filter((n) => n.source !== 'flow'),
    omitted: b.evidenceOmitted?.count ?? 0,
    rule: deciding?.rule ?? b.verdict.code,
    fix: fixFor(b),
  };
}
