import type { DriftItem } from '../alerts/state.js';
import { type Cidr, parseCidr } from '../net/cidr-set.js';
import type { Environment, RouteTable, Subnet } from './types.js';

/** A flow log as discovery reports it (the fields drift needs). */
export interface FlowLogFacts {
  flowLogId: string;
  /** VPC, subnet or ENI id the flow log is attached to. */
  resourceId: string;
  /** The `${field} …` format; empty means the default v2 format. */
  logFormat: string;
  /** `ACCEPT`, `REJECT` or `ALL`, when known. */
  trafficType?: string | null;
  /** `SUCCESS` or `FAILED`, when known. */
  deliverLogsStatus?: string | null;
  /** Why delivery fails, when it does. */
  deliverLogsErrorMessage?: string;
}

export interface DriftContext {
  /** Subnets the VPC runners (probe functions) run in. */
  runnerSubnetIds: readonly string[];
  flowLogs?: readonly FlowLogFacts[];
  /** Endpoint id → state, as EC2 reports it (lower case). */
  endpointStates?: Readonly<Record<string, string>>;
}

/** Fields the classifier needs from flow logs; the default format has none of them. */
export const REQUIRED_FLOW_FIELDS = ['traffic-path', 'pkt-dstaddr', 'subnet-id'] as const;

function bitsEqual(a: Cidr, b: Cidr, n: number): boolean {
  if (a.family !== b.family) return false;
  if (a.family === 4) {
    if (n === 0) return true;
    const mask = n >= 32 ? 0xffffffff : ~(0xffffffff >>> n) >>> 0;
    return (a.v4 & mask) >>> 0 === (b.v4 & mask) >>> 0;
  }
  for (let w = 0; w < 4 && n > 0; w++, n -= 32) {
    const mask = n >= 32 ? 0xffffffff : ~(0xffffffff >>> n) >>> 0;
    if ((a.words[w]! & mask) >>> 0 !== (b.words[w]! & mask) >>> 0) return false;
  }
  return true;
}

/**
 * Posture drift of the runners' network: what would make probes (and real traffic) leave the
 * endpoint path, or make PathGuard blind. State-based items are reported on every run while the
 * condition holds (their alert stays open, then recovers); change-based items (an endpoint deleted,
 * a private-DNS mode changed) are reported on the run that sees the change.
 */
export function detectDrift(prev: Environment | null, next: Environment, ctx: DriftContext): DriftItem[] {
  const out: DriftItem[] = [];
  const s3Cidrs = next.s3PrefixLists.flatMap((pl) =>
    pl.cidrs.flatMap((c) => {
      const p = parseCidr(c);
      return typeof p === 'string' ? [] : [{ text: c, cidr: p }];
    }),
  );
  const plIds = new Set(next.s3PrefixLists.map((p) => p.prefixListId));
  const gatewayIds = new Set(next.gatewayEndpoints.map((g) => g.vpcEndpointId));
  const tables = new Map(next.routeTables.map((t) => [t.routeTableId, t]));
  const seenTables = new Set<string>();
  const seenFlowLogs = new Set<string>();
  for (const subnetId of ctx.runnerSubnetIds) {
    const subnet = next.subnets.find((s) => s.subnetId === subnetId);
    if (!subnet) {
      out.push({
        code: 'RUNNER_SUBNET_MISSING',
        severity: 'warning',
        message: `runner subnet ${subnetId} was not found`,
        resource: subnetId,
      });
      continue;
    }
    const table = tables.get(subnet.routeTableId);
    if (table && !seenTables.has(table.routeTableId)) {
      seenTables.add(table.routeTableId);
      routeDrift(out, prev, table, subnet, {
        plIds,
        gatewayIds,
        s3Cidrs,
        gatewayEndpoints: next.gatewayEndpoints,
      });
    }
    const runnerEnis = new Set(
      next.networkInterfaces.filter((n) => n.subnetId === subnetId).map((n) => n.eniId),
    );
    const covering = (ctx.flowLogs ?? []).filter(
      (f) => f.resourceId === subnetId || f.resourceId === subnet.vpcId || runnerEnis.has(f.resourceId),
    );
    if (ctx.flowLogs && covering.length === 0) {
      out.push({
        code: 'FLOW_LOG_MISSING',
        severity: 'warning',
        message: `no flow log covers runner subnet ${subnetId} or its VPC: VPC probes cannot be confirmed from flow logs`,
        resource: subnetId,
      });
    }
    for (const f of covering) {
      if (seenFlowLogs.has(f.flowLogId)) continue;
      seenFlowLogs.add(f.flowLogId);
      const missing = REQUIRED_FLOW_FIELDS.filter((x) => !f.logFormat.includes(`\${${x}}`));
      if (missing.length > 0) {
        out.push({
          code: 'FLOW_LOG_FORMAT_MISSING_FIELDS',
          severity: 'warning',
          message: `flow log ${f.flowLogId} on ${f.resourceId} lacks ${missing.join(', ')} (a format cannot be changed: create a new flow log)`,
          resource: f.flowLogId,
        });
      }
      if (f.trafficType === 'REJECT') {
        out.push({
          code: 'FLOW_LOG_REJECT_ONLY',
          severity: 'warning',
          message: `flow log ${f.flowLogId} on ${f.resourceId} records rejected traffic only: accepted S3 flows are invisible`,
          resource: f.flowLogId,
          fix: 'create a flow log with traffic type ALL',
        });
      }
      if (f.deliverLogsStatus === 'FAILED') {
        out.push({
          code: 'FLOW_LOG_DELIVERY_FAILED',
          severity: 'warning',
          message: `flow log ${f.flowLogId} on ${f.resourceId} is not delivering${f.deliverLogsErrorMessage ? ` (${f.deliverLogsErrorMessage})` : ''}: no flow evidence arrives`,
          resource: f.flowLogId,
          fix: "check the flow log's IAM role or destination policy and the destination's limits",
        });
      }
    }
  }
  for (const [id, state] of Object.entries(ctx.endpointStates ?? {})) {
    const isS3 =
      next.gatewayEndpoints.some((g) => g.vpcEndpointId === id) ||
      next.interfaceEndpoints.some((i) => i.vpcEndpointId === id);
    if (isS3 && state !== 'available') {
      out.push({
        code: 'ENDPOINT_NOT_AVAILABLE',
        severity: 'critical',
        message: `S3 endpoint ${id} is ${state}`,
        resource: id,
      });
    }
  }
  if (prev) {
    const ids = (e: Environment) => [
      ...e.gatewayEndpoints.map((g) => g.vpcEndpointId),
      ...e.interfaceEndpoints.map((i) => i.vpcEndpointId),
    ];
    const now = new Set(ids(next));
    for (const id of ids(prev)) {
      if (!now.has(id))
        out.push({
          code: 'ENDPOINT_DELETED',
          severity: 'critical',
          message: `S3 endpoint ${id} no longer exists`,
          resource: id,
        });
    }
    for (const i of next.interfaceEndpoints) {
      const before = prev.interfaceEndpoints.find((p) => p.vpcEndpointId === i.vpcEndpointId);
      if (before && before.privateDns !== i.privateDns) {
        out.push({
          code: 'PRIVATE_DNS_CHANGED',
          severity: 'warning',
          message: `interface endpoint ${i.vpcEndpointId} private DNS changed from ${before.privateDns} to ${i.privateDns}`,
          resource: i.vpcEndpointId,
        });
      }
    }
  }
  return out;
}

interface RouteFacts {
  plIds: ReadonlySet<string>;
  gatewayIds: ReadonlySet<string>;
  s3Cidrs: readonly { text: string; cidr: Cidr }[];
  gatewayEndpoints: Environment['gatewayEndpoints'];
}

/** Route-table drift of one runner subnet's table: endpoint route missing, more specific routes. */
function routeDrift(
  out: DriftItem[],
  prev: Environment | null,
  table: RouteTable,
  subnet: Subnet,
  ctx: RouteFacts,
): void {
  const vpcHasGateway = ctx.gatewayEndpoints.some((g) => g.vpcId === subnet.vpcId);
  const endpointRoute = table.routes.some(
    (r) => ctx.plIds.has(r.destination) && ctx.gatewayIds.has(r.target),
  );
  const hadRoute =
    prev?.routeTables
      .find((t) => t.routeTableId === table.routeTableId)
      ?.routes.some((r) => r.destination.startsWith('pl-') && r.target.startsWith('vpce-')) ?? false;
  if (!endpointRoute && (vpcHasGateway || hadRoute)) {
    out.push({
      code: 'ENDPOINT_ROUTE_MISSING',
      severity: 'critical',
      message: `route table ${table.routeTableId} of runner subnet ${subnet.subnetId} has no route from the S3 prefix list to the gateway endpoint`,
      resource: table.routeTableId,
      fix: 'associate the S3 gateway endpoint with this route table',
    });
  }
  for (const r of table.routes) {
    const toInternet = /^(nat|igw|eigw)-/.test(r.target);
    // Other non-local targets (transit or virtual private gateways, appliances, peering) also
    // win over the endpoint route when more specific: the traffic leaves this VPC's endpoint.
    const elsewhere = /^(tgw|vgw|eni|i|pcx|lgw|cagw)-/.test(r.target);
    if (!toInternet && !elsewhere) continue;
    const rc = parseCidr(r.destination);
    if (typeof rc === 'string') continue;
    // A CIDR route at least as specific as a prefix-list entry it overlaps beats the endpoint route.
    const hit = ctx.s3Cidrs.find((s) => rc.length >= s.cidr.length && bitsEqual(rc, s.cidr, s.cidr.length));
    if (!hit) continue;
    out.push({
      code: toInternet ? 'MORE_SPECIFIC_ROUTE_TO_NAT_OR_IGW' : 'MORE_SPECIFIC_ROUTE_OVERRIDES_ENDPOINT',
      severity: toInternet ? 'critical' : 'warning',
      message: `route ${r.destination} -> ${r.target} in ${table.routeTableId} covers S3 range ${hit.text} more specifically than the gateway endpoint's prefix-list route`,
      resource: `${table.routeTableId}:${r.destination}`,
      fix: `remove the route ${r.destination} -> ${r.target} (or narrow it off the S3 ranges)`,
    });
  }
}
