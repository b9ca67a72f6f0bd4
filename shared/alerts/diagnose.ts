// The likely cause of an alert and its fixes, from the verdict, the observation and the facts
// of the vantage: the "why" half of an alert (render.ts writes it out for each channel).
import type { AccessLogRecord } from '../access-logs/types.js';
import { isPrivatePath } from '../classify/types.js';
import type { StyleCheck } from '../endpoints/expected-path.js';
import type { VantageFacts } from '../evidence/correlate.js';
import type { EvidenceItem } from '../evidence/types.js';
import type { Observation, Probe } from '../probes/types.js';
import type { ProbeVerdict } from '../verdicts/engine.js';
import type { AlertIntent } from './state.js';

/** Likely cause and the steps that fix it. */
export interface Diagnosis {
  cause: string;
  fixes: string[];
}

function findingCodes(inspection: unknown): string[] {
  const f = (inspection as { findings?: { code?: unknown }[] } | null)?.findings;
  return Array.isArray(f) ? f.map((x) => String(x?.code)) : [];
}

function endpointKind(inspection: unknown): string | null {
  const k = (inspection as { endpointKind?: unknown } | null)?.endpointKind;
  return typeof k === 'string' ? k : null;
}

function interfaceName(p: Probe): string {
  return `bucket.vpce-<endpoint-id>.s3.${p.region}.vpce.amazonaws.com`;
}

const REGIONAL_SDK_HINT =
  "boto3: set the S3 option us_east_1_regional_endpoint='regional' and signature_version='s3v4'; AWS SDK for JavaScript v3: leave useGlobalEndpoint off.";

function styleLabel(c: StyleCheck): string {
  return c.style === 'regional' ? 'regional endpoint' : 'interface endpoint name';
}

function styleHost(p: Probe, c: StyleCheck): string {
  // The regional name carries the bucket; an interface-endpoint name starts with the literal `bucket.` label.
  return c.style === 'regional' ? `${p.bucket}.s3.${p.region}.amazonaws.com` : c.host;
}

/**
 * The URL styles a fix may name, checked against the environment: the regional and the
 * interface-endpoint names whose expected path from the probe's vantage is private (the same
 * judgement as `inspect-url`, carried in the vantage facts); when none is, what must change in the
 * network (the route, the endpoint, the DNS mode) instead. Null when the facts do not say (no
 * environment, or a bucket outside the environment's Region): the caller keeps its general text.
 */
function styleFixes(
  p: Probe,
  facts: VantageFacts | null | undefined,
): { fixes: string[]; regional: boolean } | null {
  const checks = facts?.urlStyles;
  if (!facts || !checks || checks.length === 0 || p.region !== facts.environmentRegion) return null;
  const from = p.vantage.id;
  const ok = checks.filter((c) => isPrivatePath(c.path) === true);
  const not = checks.filter((c) => isPrivatePath(c.path) !== true);
  const fixes: string[] = [];
  if (ok.length > 0) {
    fixes.push(
      `Presign with ${ok.map((c) => `the ${styleLabel(c)} (${styleHost(p, c)}, ${c.path} from ${from})`).join(' or ')}.`,
    );
    for (const c of not) {
      if (c.style !== 'regional') continue;
      // Saying so keeps someone from switching to a name that leaves the same way.
      fixes.push(
        `Not the regional endpoint: from ${from} it is ${c.path === 'unknown' ? 'not proven private' : c.path}${c.change ? `; to make it private, ${c.change}` : ''}.`,
      );
    }
  } else {
    fixes.push(
      `No URL style is private from ${from} in this network (regional: ${not.find((c) => c.style === 'regional')?.path ?? 'unknown'}, interface endpoint: ${not.find((c) => c.style === 'interface-endpoint')?.path ?? 'unknown'}); change the network:`,
    );
    const changes = [...new Set(not.map((c) => c.change).filter((c): c is string => c !== null))];
    for (const c of changes) fixes.push(`${c.charAt(0).toUpperCase()}${c.slice(1)}.`);
  }
  return { fixes, regional: ok.some((c) => c.style === 'regional') };
}

function dnsAnswers(obs: Observation | null | undefined): string {
  const a = obs?.dns?.answers?.map((x) => x.address) ?? [];
  return a.length > 0 ? a.join(', ') : (obs?.remoteAddress ?? 'a public address');
}

export function onPremEgress(item: EvidenceItem | null, facts: VantageFacts | null | undefined): boolean {
  if (item?.source !== 's3-access' || !facts?.onPrem) return false;
  const ip = (item.record as AccessLogRecord).remoteIp;
  return ip !== null && facts.onPrem.publicEgressIps.includes(ip);
}

/** Why a left-path probe left, from the URL's reading, the path seen and the vantage's routes. */
function diagnoseLeftPath(p: Probe, v: ProbeVerdict, intent: AlertIntent): Diagnosis {
  const codes = findingCodes(p.inspection);
  const kind = endpointKind(p.inspection);
  const facts = intent.facts ?? null;
  const path = v.path;
  const checked = styleFixes(p, facts);
  if (codes.includes('LEGACY_GLOBAL_ENDPOINT') || kind === 'global' || p.style === 'global') {
    const fixes = checked ? [...checked.fixes, ...(checked.regional ? [REGIONAL_SDK_HINT] : [])] : null;
    if (p.vantage.kind === 'onprem') {
      return {
        cause: `This URL uses the legacy global endpoint (${p.urlHost}). Interface endpoints do not serve it and their private DNS covers only regional names, so on premises it resolved to ${dnsAnswers(intent.observation)}, a public S3 address, and the request reached S3 from outside AWS.`,
        fixes: fixes ?? [
          `Presign with the regional endpoint (${p.bucket}.s3.${p.region}.amazonaws.com, resolved on premises through the Route 53 Resolver inbound endpoint) or the interface endpoint name (${interfaceName(p)}).`,
          REGIONAL_SDK_HINT,
        ],
      };
    }
    return {
      cause: `This URL uses the legacy global endpoint (${p.urlHost}). Interface endpoints do not serve it, and outside us-east-1 it does not reach the Region's gateway endpoint, so the request went ${path ?? 'off the endpoint path'}.`,
      fixes: fixes ?? [
        `Presign with the regional endpoint (${p.bucket}.s3.${p.region}.amazonaws.com) or the interface endpoint name (${interfaceName(p)}).`,
        REGIONAL_SDK_HINT,
      ],
    };
  }
  if (codes.includes('PUBLIC_ONLY_ENDPOINT') || kind === 'accelerate' || p.style === 'accelerate') {
    return {
      cause: `This URL uses a public-only endpoint (${p.urlHost}): Transfer Acceleration goes through CloudFront edge locations and no VPC endpoint serves it.`,
      fixes: [
        'Presign without Transfer Acceleration (JavaScript v3: useAccelerateEndpoint false; boto3: use_accelerate_endpoint False).',
        ...(checked?.fixes ?? [
          `Use the regional endpoint or the interface endpoint name (${interfaceName(p)}).`,
        ]),
      ],
    };
  }
  if (codes.includes('MRAP_NEEDS_GLOBAL_INTERFACE_ENDPOINT') || p.style === 'mrap') {
    return {
      cause:
        'Multi-Region Access Point requests are private only through an interface endpoint for com.amazonaws.s3-global.accesspoint.',
      fixes: [
        'Create an interface endpoint for com.amazonaws.s3-global.accesspoint with private DNS in the VPC.',
      ],
    };
  }
  if (p.vantage.kind === 'onprem') {
    const noEndpoint = facts && facts.interfaceEndpoints.length === 0;
    return {
      cause: `On-prem DNS resolved ${p.urlHost} to ${dnsAnswers(intent.observation)}, not an interface endpoint address: the runner reached S3's public endpoint from outside AWS (over the internet or a Direct Connect public VIF). From on premises only an S3 interface endpoint keeps traffic private.`,
      fixes: checked?.fixes ?? [
        ...(noEndpoint
          ? [
              `Create an S3 interface endpoint (com.amazonaws.${p.region}.s3) in a VPC reachable over Direct Connect or VPN.`,
            ]
          : []),
        `Presign with the interface endpoint name (${interfaceName(p)}), which resolves to the endpoint's private IPs.`,
        `Or forward s3.${p.region}.amazonaws.com from on-prem DNS to a Route 53 Resolver inbound endpoint in that VPC, with the interface endpoint's private DNS enabled.`,
      ],
    };
  }
  if (facts && p.region !== facts.environmentRegion) {
    return {
      cause: `The bucket is in ${p.region} but the runner's VPC is in ${facts.environmentRegion}: a gateway endpoint only serves buckets in its own Region.`,
      fixes: [
        `Reach ${p.region} through an interface endpoint for com.amazonaws.${p.region}.s3 (over peering or Transit Gateway), or keep the data in ${facts.environmentRegion}.`,
      ],
    };
  }
  if (path === 'nat-gateway' || path === 'internet-gateway') {
    const via = path === 'nat-gateway' ? 'a NAT gateway' : 'an internet gateway';
    const rtb = facts?.routeTableId ?? 'the subnet route table';
    const subnet = facts?.subnetId ?? p.vantage.subnetId ?? 'the runner subnet';
    const r = facts?.moreSpecificRoute;
    if (r) {
      return {
        cause: `Route table ${rtb} (${subnet}) has a route ${r.destination} -> ${r.target}, more specific than the gateway endpoint's prefix-list route${facts?.s3GatewayEndpointId ? ` (${facts.s3GatewayEndpointId})` : ''}, so S3 traffic to those addresses goes through ${via}.`,
        fixes: [
          `Remove or narrow the ${r.destination} -> ${r.target} route in ${rtb}.`,
          'Keep the gateway endpoint associated with the route table; longest prefix wins over the prefix-list route.',
        ],
      };
    }
    if (facts && !facts.s3GatewayEndpointId) {
      const d = facts.defaultRoute;
      return {
        cause: `Route table ${rtb} (${subnet}) has no route to an S3 gateway endpoint, so S3 traffic follows ${d ? `the default route ${d.destination} -> ${d.target}` : 'another route'} through ${via}.`,
        fixes: [
          `Associate the S3 gateway endpoint (com.amazonaws.${p.region}.s3) with route table ${rtb}, or create one for the VPC.`,
        ],
      };
    }
    return {
      cause: `The request went through ${via} although ${rtb} routes the S3 prefix list to the gateway endpoint: the address it connected to is outside the endpoint's prefix list (another Region or service).`,
      fixes: [
        `Check the URL's endpoint and Region (${p.urlHost}); presign with the regional endpoint of ${p.region}.`,
      ],
    };
  }
  if (onPremEgress(v.deciding, facts)) {
    return {
      cause: `S3 logged the request from an on-prem public egress address: it travelled over the internet, not through an interface endpoint.`,
      fixes: checked?.fixes ?? [
        `Presign with the interface endpoint name (${interfaceName(p)}), or resolve S3 names on premises through a Route 53 Resolver inbound endpoint.`,
      ],
    };
  }
  return {
    cause: `The evidence shows ${path ?? 'a non-endpoint path'}: ${v.deciding?.decision.reason ?? v.reason}`,
    fixes: [
      'Open the evidence bundle for this probe and compare the URL endpoint with the routes of the vantage.',
    ],
  };
}

const SOURCE_FIX: Record<string, (p: Probe, f: VantageFacts | null | undefined) => string> = {
  flow: (p, f) =>
    `VPC Flow Logs: check that a flow log covers ${f?.subnetId ?? p.vantage.subnetId ?? 'the runner subnet'}${f?.runnerEniIds.length ? ` (ENIs ${f.runnerEniIds.join(', ')})` : ''}, is active, delivers where PathGuard reads, and its format includes pkt-dstaddr, traffic-path and subnet-id.`,
  's3-access': (p) =>
    `S3 server access logs: check that logging is enabled on ${p.bucket} and delivers to the configured log bucket and prefix (delivery is best effort and may take hours).`,
  cloudtrail: (p) => `CloudTrail: check that the trail records S3 data events (GetObject) for ${p.bucket}.`,
};

/**
 * Likely cause and fix for an alert, from the verdict, the URL's reading (findings), the runner's
 * observation and the vantage's facts (routes, endpoints).
 *
 * @example
 * diagnose(intent).fixes[0]; // 'Presign with the regional endpoint (...) or the interface endpoint name (...).'
 */
export function diagnose(intent: AlertIntent): Diagnosis {
  const p = intent.probe;
  const v = intent.verdict;
  if (intent.kind === 'posture-drift' && intent.drift) {
    if (intent.reason === 'recovery') return { cause: intent.drift.message, fixes: [] };
    return {
      cause: intent.drift.message,
      fixes: [
        intent.drift.fix ??
          `Review the change to ${intent.drift.resource}; restore the endpoint, route or flow-log format if it was not intended.`,
      ],
    };
  }
  if (!p || !v) return { cause: 'see the evidence bundle', fixes: [] };
  if (intent.reason === 'recovery' || intent.reason === 'close') {
    return v.verdict === 'blocked'
      ? {
          cause: 'A bucket or endpoint policy now refuses this request: the preventive control works.',
          fixes: [
            'If this URL must work, presign it for the private path (regional or interface endpoint name).',
          ],
        }
      : { cause: `The latest probe took the private path (${v.path ?? 'endpoint'}).`, fixes: [] };
  }
  if (intent.kind === 'left-path') return diagnoseLeftPath(p, v, intent);
  if (intent.kind === 'runner-silent') {
    return p.vantage.kind === 'onprem'
      ? {
          cause: `The on-prem runner ${p.vantage.id} did not report an observation for this probe in time.`,
          fixes: [
            `Check the runner host: its systemd timer or cron line, that it can read orders/${p.vantage.id}/latest.json, and that it can reach S3 to upload its report.`,
          ],
        }
      : {
          cause: `The VPC runner ${p.vantage.id} (the probe function in ${p.vantage.subnetId ?? 'its subnet'}) did not record an observation.`,
          fixes: ['Check the probe function: its errors, timeouts and throttles in CloudWatch.'],
        };
  }
  if (v.code === 'FETCH_FAILED') {
    return {
      cause: `The runner could not send the request (${intent.observation?.error?.code ?? 'fetch error'}${intent.observation?.error?.message ? `: ${intent.observation.error.message}` : ''}), so no log can show its path.`,
      fixes: [`Check DNS and network reachability of ${p.urlHost} from ${p.vantage.id}.`],
    };
  }
  if (v.code === 'UNDECIDED') {
    return {
      cause: `Log records arrived (${v.undecidedSources.join(', ')}) but none showed a path: the environment PathGuard knows may be missing the resource they name.`,
      fixes: [
        'Refresh discovery (NAT gateways, endpoints, ENIs) and check the flow-log format carries traffic-path and pkt-dstaddr.',
      ],
    };
  }
  if (v.code === 'NO_SOURCE') {
    return {
      cause: 'No evidence source is enabled for this vantage, so its path can never be proven.',
      fixes: [
        'Enable VPC Flow Logs, S3 server access logs or CloudTrail data events in the PathGuard config.',
      ],
    };
  }
  const silent = v.silentSources.length > 0 ? v.silentSources : v.undecidedSources;
  return {
    cause: `No matching record from ${silent.join(', ') || 'the expected sources'} arrived by the deadline: PathGuard cannot prove the path (a blind spot, not a pass).`,
    fixes: silent.map((s) => SOURCE_FIX[s]?.(p, intent.facts) ?? `Check ${s}.`),
  };
}
