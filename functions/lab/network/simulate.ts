import type { LabRequestOrigin } from '../s3/server.js';
import { type ConnectionFacts, flowRecordsFor, type LabFlowRecord } from './flow-records.js';
import { type LabTrace, resolveLabName, traceLabPath } from './paths.js';
import type { LabScenario, LabScenarioVantage } from './scenario.js';

/** What S3 would know of a request that reached it: the access log's and CloudTrail's view. */
export interface SimulatedAccessLog {
  /** The access log's Remote IP (aws-facts §2.5): a private address only through an endpoint. */
  readonly remoteIp: string;
  /** The access log's Host Header: the name the client used (lower case, no port). */
  readonly hostHeader: string;
  /**
   * The endpoint the request came through (CloudTrail `vpcEndpointId`, `aws:SourceVpce`), or
   * null. The access log itself has no such field (§2.5).
   */
  readonly vpcEndpointId: string | null;
  /** The VPC of that endpoint (`aws:SourceVpc`), or null. */
  readonly vpcId: string | null;
}

/** The result of {@link simulateRequest}. */
export interface LabRequestSimulation {
  readonly vantageId: string;
  /** The host name asked for (lower case, no trailing dot). */
  readonly host: string;
  /** What the vantage's DNS answers (`[]`: no answer, nothing is sent). */
  readonly dnsAnswers: readonly string[];
  /** The address connected to (the first answer), or null without one. */
  readonly address: string | null;
  /** The ground truth of the path, or null when DNS gave no address. */
  readonly trace: LabTrace | null;
  /** Every flow record AWS would write for the connection, with the ENI whose log holds it. */
  readonly flowRecords: readonly LabFlowRecord[];
  /** What S3 logs, or null when the request never reached S3 (no answer, dropped). */
  readonly accessLog: SimulatedAccessLog | null;
}

/** Options of {@link simulateRequest}: the connection's facts. Defaults keep the result reproducible. */
export interface SimulateOptions {
  /** @default the URL's port, else 443 */
  readonly port?: number;
  /** @default 50000 */
  readonly srcport?: number;
  /** Payload bytes of the request and of the response. @default 600 and 1200 */
  readonly bytesUp?: number;
  readonly bytesDown?: number;
  /** Unix seconds of the first and last packet. @default 1767225600 (2026-01-01) and start + 1 */
  readonly start?: number;
  readonly end?: number;
}

/** The origin the lab S3 endpoint reports for a connection along a trace (null: S3 never sees it). */
export function originOf(trace: LabTrace): LabRequestOrigin | null {
  if (!trace.delivered || trace.remoteIp === null) return null;
  return {
    remoteIp: trace.remoteIp,
    vpcEndpointId: trace.endpoint?.vpcEndpointId ?? null,
    vpcId: trace.endpoint?.vpcId ?? null,
  };
}

function vantageOf(s: LabScenario, vantageId: string): LabScenarioVantage {
  const v = s.vantages.find((x) => x.id === vantageId);
  if (!v) throw new Error(`lab: no vantage ${vantageId} (have ${s.vantages.map((x) => x.id).join(', ')})`);
  return v;
}

/** The host and port of a URL or a bare host name; never echoes the input (it may be presigned). */
function hostAndPort(target: string): { host: string; port: number | null } {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    let u: URL;
    try {
      u = new URL(target);
    } catch {
      throw new Error('lab: not a URL (the text is not repeated: it may hold a signature)');
    }
    const port = u.port === '' ? (u.protocol === 'http:' ? 80 : 443) : Number(u.port);
    return { host: u.hostname.toLowerCase(), port };
  }
  const h = target.trim().toLowerCase();
  return { host: h.endsWith('.') ? h.slice(0, -1) : h, port: null };
}

/**
 * Simulates one request, without any socket, exactly as the live lab network carries it: the
 * vantage's DNS answer for the host ({@link resolveLabName}), the path the connection to the first
 * answer takes through the scenario's route tables and devices ({@link traceLabPath}: the ground
 * truth, with the egress and whether it was private), the VPC Flow Log records AWS would write on
 * every ENI the packets crossed (`flowRecordsFor`, in the objects `formatFlowRecord` writes and the
 * flow-log parser reads), and what S3 would log (Remote IP, Host header, the endpoint id CloudTrail
 * would name). Deterministic: the same arguments give the same result.
 *
 * The live network (`startLabNetwork`) uses the same trace and record functions, so a property
 * test over random scenarios and this function covers what `npm start` runs.
 *
 * @throws UserInputError `SCENARIO_UNSUPPORTED` when the path needs a route the lab cannot
 *   simulate (the message names the route); Error for an unknown vantage id.
 *
 * @example
 * const sim = simulateRequest(scenario, 'vpc-app', 'https://example-data-bucket.s3.us-east-1.amazonaws.com/k');
 * sim.trace?.path;            // 'gateway-endpoint'
 * sim.accessLog?.remoteIp;    // '10.0.1.77'
 * sim.flowRecords[0]?.record.trafficPath; // 7
 */
export function simulateRequest(
  s: LabScenario,
  vantageId: string,
  urlOrHost: string,
  opts: SimulateOptions = {},
): LabRequestSimulation {
  const vantage = vantageOf(s, vantageId);
  const { host, port } = hostAndPort(urlOrHost);
  const dnsAnswers = resolveLabName(s, vantage, host);
  const address = dnsAnswers[0] ?? null;
  if (address === null) {
    return { vantageId, host, dnsAnswers, address, trace: null, flowRecords: [], accessLog: null };
  }
  const trace = traceLabPath(s, vantage, address);
  const start = opts.start ?? 1767225600;
  const facts: ConnectionFacts = {
    dstport: opts.port ?? port ?? 443,
    srcport: opts.srcport ?? 50000,
    bytesUp: opts.bytesUp ?? 600,
    bytesDown: opts.bytesDown ?? 1200,
    start,
    end: opts.end ?? start + 1,
  };
  const origin = originOf(trace);
  return {
    vantageId,
    host,
    dnsAnswers,
    address,
    trace,
    flowRecords: flowRecordsFor(s, { ...facts, trace }),
    accessLog: origin ? { ...origin, hostHeader: host } : null,
  };
}
