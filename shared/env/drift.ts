import type { DriftItem } from '../alerts/state.js';
import { type EnvironmentIndex, environmentIndexOf, isS3ServiceName } from './environment-index.js';
import { piecesText, type RouteShare, routeShares, s3BlocksOf, s3GatewayRouteOf } from './s3-routes.js';
import type { Environment, Subnet } from './types.js';

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

/**
 * Posture drift of the runners' network: what would make probes (and real traffic) leave the
 * endpoint path, or make PathGuard blind. State-based items are reported on every run while the
 * condition holds (their alert stays open, then recovers); change-based items (an endpoint deleted,
 * a private-DNS mode changed) are reported on the run that sees the change.
 */
export function detectDrift(prev: Environment | null, next: Environment, ctx: DriftContext): DriftItem[] {
  const out: DriftItem[] = [];
  const idx = environmentIndexOf(next);
  const prevIdx = prev ? environmentIndexOf(prev) : null;
  const seenTables = new Set<string>();
  const seenFlowLogs = new Set<string>();
  for (const subnetId of ctx.runnerSubnetIds) {
    const subnet = idx.subnets.get(subnetId);
    if (!subnet) {
      out.push({
        code: 'RUNNER_SUBNET_MISSING',
        severity: 'warning',
        message: `runner subnet ${subnetId} was not found`,
        resource: subnetId,
      });
      continue;
    }
    const rtb = subnet.routeTableId;
    if (idx.routeTables.has(rtb) && !seenTables.has(rtb)) {
      seenTables.add(rtb);
      routeDrift(out, prevIdx, idx, subnet);
    }
    const runnerEnis = new Set(idx.clientInterfacesOf(subnetId).map((n) => n.eniId));
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

/**
 * Route drift of one runner subnet's table, from the routes the Region's S3 addresses actually
 * take (longest prefix match over CIDR routes and every prefix list's entries, aws-facts §5.2):
 *
 * - no route from the S3 prefix list to the gateway endpoint while the VPC has one (or the table
 *   had the route before) → `ENDPOINT_ROUTE_MISSING`;
 * - with that route, each route that takes some S3 addresses from it (a CIDR route, or a customer
 *   prefix list holding part of an S3 block): to a NAT or internet gateway →
 *   `MORE_SPECIFIC_ROUTE_TO_NAT_OR_IGW` (those requests leave the endpoint path); to anything else
 *   (transit or virtual private gateway, appliance, peering, Gateway Load Balancer endpoint) →
 *   `MORE_SPECIFIC_ROUTE_OVERRIDES_ENDPOINT`;
 * - a route to a prefix list whose entries the environment lacks → `ROUTE_UNRESOLVED`: it may take
 *   S3 addresses, and neither drift nor classification can tell.
 */
function routeDrift(
  out: DriftItem[],
  prev: EnvironmentIndex | null,
  idx: EnvironmentIndex,
  subnet: Subnet,
): void {
  const rtb = subnet.routeTableId;
  for (const service of ['s3', 's3express'] as const) {
    const gw = s3GatewayRouteOf(idx, rtb, service);
    if (gw === null) {
      if (service !== 's3') continue;
      const vpcHasGateway = [...idx.gatewayEndpoints.values()].some(
        (g) => g.vpcId === subnet.vpcId && isS3ServiceName(g.serviceName),
      );
      const hadRoute = prev !== null && s3GatewayRouteOf(prev, rtb, service) !== null;
      if (vpcHasGateway || hadRoute) {
        out.push({
          code: 'ENDPOINT_ROUTE_MISSING',
          severity: 'critical',
          message: `route table ${rtb} of runner subnet ${subnet.subnetId} has no route from the S3 prefix list to the gateway endpoint`,
          resource: rtb,
          fix: 'associate the S3 gateway endpoint with this route table',
        });
      }
      continue;
    }
    const shares = routeShares(idx, rtb, s3BlocksOf(idx, service, true), subnet.vpcId);
    for (const share of shares) {
      if (share.target === null || share.target === gw.target) continue;
      out.push(overridingRoute(rtb, share));
    }
  }
  const t = idx.env.routeTables.findIndex((x) => x.routeTableId === rtb);
  for (const w of idx.warnings) {
    if (w.code !== 'UNRESOLVED_PREFIX_LIST_ROUTE' || !w.path.startsWith(`routeTables[${t}].`)) continue;
    const dest = w.message.slice(0, w.message.indexOf(' '));
    out.push({
      code: 'ROUTE_UNRESOLVED',
      severity: 'warning',
      message: `route ${w.message.slice(0, w.message.indexOf(':'))} in ${rtb} names a prefix list whose entries the environment does not list: whether it takes S3 addresses from the gateway endpoint cannot be told`,
      resource: `${rtb}:${dest}`,
      fix: `list the entries of ${dest} in the environment (discovery reads every prefix list a route names)`,
    });
  }
}

function overridingRoute(rtb: string, share: RouteShare): DriftItem {
  const toInternet = share.path === 'nat-gateway' || share.path === 'internet-gateway';
  const dest = share.destination!;
  const target = share.target!;
  const viaList = dest.startsWith('pl-');
  const taken = piecesText(share);
  const of = share.destinationBlocks.join(', ');
  return {
    code: toInternet ? 'MORE_SPECIFIC_ROUTE_TO_NAT_OR_IGW' : 'MORE_SPECIFIC_ROUTE_OVERRIDES_ENDPOINT',
    severity: toInternet ? 'critical' : 'warning',
    message: `route ${dest}${viaList ? ` (${share.routeBlocks.join(', ')})` : ''} -> ${target} in ${rtb} takes ${taken} of S3 range ${of} from the gateway endpoint's prefix-list route (longest prefix wins)`,
    resource: `${rtb}:${dest}`,
    fix: viaList
      ? `remove ${share.routeBlocks.join(', ')} from prefix list ${dest}, or the route ${dest} -> ${target}`
      : `remove the route ${dest} -> ${target} (or narrow it off the S3 ranges)`,
  };
}
