/**
 * Alert rendering for every channel: an email subject and plain text a person on call can act on
 * (what failed, the evidence, the likely cause, the fix), the AWS Chatbot custom-notification
 * document (threaded by dedup key, so open → reminder → resolved read as one conversation), and
 * SNS message attributes for subscription filters. Everything passes through redaction.
 *
 * Wording follows what the evidence proves: traffic through a NAT or internet gateway "left the
 * VPC-endpoint path" (it stays on the AWS network); "over the internet" is said only when the
 * client is outside AWS (an on-prem runner reaching a public S3 address, a request from the
 * on-prem public egress addresses).
 */
import type { AccessLogRecord } from '../access-logs/types.js';
import { isPrivatePath } from '../classify/types.js';
import type { CloudTrailRecord } from '../cloudtrail/types.js';
import type { StyleCheck } from '../endpoints/expected-path.js';
import { redactText } from '../endpoints/redact.js';
import type { VantageFacts } from '../evidence/correlate.js';
import { redactDeep } from '../evidence/redact-deep.js';
import type { EvidenceItem } from '../evidence/types.js';
import type { FlowRecord } from '../flow-logs/types.js';
import type { AlertSeverity, RenderedAlert } from '../ports/index.js';
import { methodOf, type Observation, type Probe, styleAndMethod } from '../probes/types.js';
import type { ProbeVerdict } from '../verdicts/engine.js';
import type { AlertIntent } from './state.js';

/** SNS email subjects: at most 100 printable ASCII characters. */
export const SUBJECT_MAX = 100;

export interface RenderOptions {
  now: Date;
  /** Store key of the probe's evidence bundle, named in the alert for auditors. */
  bundleKey?: string;
  /** The day's evidence report in the results bucket, named by its S3 console page (never a presigned URL). */
  report?: ReportLocation;
}

/** Where an evidence report is stored. */
export interface ReportLocation {
  bucket: string;
  key: string;
  region: string;
}

/**
 * The S3 console page of a stored object, in the partition of its Region. A console page needs
 * the reader's own sign-in: unlike a presigned URL it grants nothing, so it may go in an alert.
 *
 * @example
 * s3ConsoleUrl({ bucket: 'results', key: 'reports/2026/12/03.html', region: 'us-east-1' })
 * // 'https://console.aws.amazon.com/s3/object/results?region=us-east-1&prefix=reports%2F2026%2F12%2F03.html'
 */
export function s3ConsoleUrl(l: ReportLocation): string {
  const host = {
    aws: 'console.aws.amazon.com',
    'aws-cn': 'console.amazonaws.cn',
    'aws-us-gov': 'console.amazonaws-us-gov.com',
  }[partition(l.region)];
  return `https://${host}/s3/object/${encodeURIComponent(l.bucket)}?region=${encodeURIComponent(l.region)}&prefix=${encodeURIComponent(l.key)}`;
}

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

function onPremEgress(item: EvidenceItem | null, facts: VantageFacts | null | undefined): boolean {
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

/** One line about a matched log record: the fields that show its path. */
export function describeEvidence(e: EvidenceItem): string {
  const d = `${e.decision.path} [${e.decision.rule}]`;
  if (e.source === 's3-access') {
    const r = e.record as AccessLogRecord;
    return `S3 access log (${e.matchedBy}): ${r.operation ?? '-'} ${r.httpStatus ?? '-'} from ${r.remoteIp ?? '-'}, Host ${r.hostHeader ?? '-'}, request id ${r.requestId ?? '-'} at ${r.time ?? '-'} -> ${d}`;
  }
  if (e.source === 'cloudtrail') {
    const r = e.record as CloudTrailRecord;
    return `CloudTrail (${e.matchedBy}): ${r.eventName ?? '-'} from ${r.sourceIPAddress ?? '-'}${r.vpcEndpointId ? ` via ${r.vpcEndpointId}` : ''} at ${r.eventTime ?? '-'} -> ${d}`;
  }
  const r = e.record as FlowRecord;
  const tp = r.trafficPath !== undefined && r.trafficPath !== null ? `, traffic-path ${r.trafficPath}` : '';
  const pkt = r.pktDstaddr && r.pktDstaddr !== r.dstaddr ? ` (pkt-dstaddr ${r.pktDstaddr})` : '';
  return `Flow log (${e.matchedBy}): ${r.interfaceId ?? '-'} ${r.srcaddr ?? '-'}:${r.srcport ?? '-'} -> ${r.dstaddr ?? '-'}:${r.dstport ?? '-'}${pkt} ${r.action ?? ''}${tp} -> ${d}`;
}

function describeObservation(o: Observation): string {
  const parts = [
    o.remoteAddress ? `connected to ${o.remoteAddress}:${o.remotePort ?? 443}` : 'did not connect',
    o.dns?.answers?.length ? `DNS ${o.host} -> ${o.dns.answers.map((a) => a.address).join(', ')}` : null,
    o.httpStatus !== null ? `HTTP ${o.httpStatus}${o.s3ErrorCode ? ` ${o.s3ErrorCode}` : ''}` : null,
    o.requestId ? `request id ${o.requestId}` : null,
    o.bodyMatches === true
      ? 'probe object read (SHA-256 matches)'
      : o.bodyMatches === false
        ? 'body SHA-256 mismatch'
        : null,
    o.error ? `error ${o.error.code}` : null,
  ];
  return `Runner ${o.runnerId} at ${o.startedAt}: ${parts.filter((x) => x !== null).join('; ')}`;
}

function title(intent: AlertIntent): string {
  const p = intent.probe;
  const v = intent.verdict;
  const what = p ? `${p.bucket} (${styleAndMethod(p)}) from ${p.vantage.id}` : '';
  if (intent.kind === 'posture-drift') {
    const d = intent.drift;
    return intent.reason === 'recovery'
      ? `Resolved drift: ${d?.code} on ${d?.resource}`
      : `Posture drift: ${d?.code} on ${d?.resource}`;
  }
  if (intent.reason === 'recovery') {
    if (v?.verdict === 'blocked') return `Resolved: ${what} is now refused by policy`;
    return `Resolved: ${what} is private again`;
  }
  if (intent.kind === 'left-path')
    return `S3 traffic left the VPC-endpoint path: ${what}${v?.path ? ` via ${v.path}` : ''}`;
  if (intent.kind === 'runner-silent')
    return intent.members !== undefined
      ? `Runner ${p?.vantage.id} silent: no observation for ${intent.members} probe(s) (latest ${p?.bucket} ${p?.style})`
      : `Runner ${p?.vantage.id} silent: no observation for ${p?.bucket} (${p?.style})`;
  if (intent.members !== undefined && v?.silentSources.length)
    return `No evidence from ${v.silentSources.join(', ')} for vantage ${p?.vantage.id} (${intent.members} target(s) and style(s))`;
  const silent = v?.silentSources.length ? `; ${v.silentSources.join(', ')} silent` : '';
  return `No evidence: ${what}${silent}`;
}

/**
 * What a subject starts with, so that a cut (at the end only) never loses it and an inbox sorts by
 * it: severity, the condition (`left-path`, `no-evidence`, `runner-silent`, `posture-drift`, or
 * `recovered`/`closed`, `reminder` marked), then `vantage/style bucket` or the drifted resource.
 *
 * @example
 * subjectPrefix(intent); // 'PathGuard CRITICAL left-path vpc-app/accelerate example-data-bucket'
 */
export function subjectPrefix(intent: AlertIntent): string {
  const condition =
    intent.reason === 'recovery'
      ? `recovered ${intent.kind}`
      : intent.reason === 'close'
        ? `closed ${intent.kind}`
        : intent.reason === 'reminder'
          ? `${intent.kind} reminder`
          : intent.kind;
  const p = intent.probe;
  const what =
    intent.kind === 'posture-drift'
      ? `${intent.drift?.code ?? ''} ${intent.drift?.resource ?? ''}`.trim()
      : p
        ? intent.members !== undefined
          ? p.vantage.id
          : `${p.vantage.id}/${styleAndMethod(p)} ${p.bucket}`
        : '';
  return `PathGuard ${intent.severity.toUpperCase()} ${condition}${what ? ` ${what}` : ''}`;
}

/** The rest of the subject: what the prefix does not say already. */
function subjectDetail(intent: AlertIntent): string {
  const v = intent.verdict;
  if (intent.kind === 'posture-drift') return intent.drift?.message ?? 'drift';
  if (intent.reason === 'recovery')
    return v?.verdict === 'blocked' ? 'now refused by policy' : 'private again';
  if (intent.reason === 'close') return 'closed';
  if (intent.kind === 'left-path') return v?.path ? `via ${v.path}` : 'off the endpoint path';
  if (intent.kind === 'runner-silent') return 'no observation from the runner';
  if (intent.members !== undefined && v?.silentSources.length)
    return `${v.silentSources.join(', ')} silent for ${intent.members} target(s) and style(s)`;
  return v?.silentSources.length ? `${v.silentSources.join(', ')} silent` : (v?.code ?? 'no evidence');
}

/** Printable ASCII, one line, at most `max` characters (SNS rejects other email subjects). */
export function fitSubject(s: string, max = SUBJECT_MAX): string {
  const ascii = s
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/ {2,}/g, ' ')
    .trim();
  return ascii.length <= max ? ascii : `${ascii.slice(0, max - 3).trimEnd()}...`;
}

const EMOJI: Record<AlertSeverity, string> = {
  critical: ':rotating_light:',
  warning: ':warning:',
  info: ':white_check_mark:',
};

function partition(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/**
 * Renders one alert for every channel. The subject is printable ASCII of at most 100 characters;
 * the text reads top-down as what happened, evidence, likely cause, fix, details; the Chatbot
 * document is version 1.0 / source custom with the dedup key as thread id. No secret survives:
 * every string is redacted.
 *
 * @example
 * const alert = renderAlert(intent, { now, bundleKey: 'evidence/2026/11/25/01J….json' });
 * await sink.publish(alert);
 */
export function renderAlert(intent: AlertIntent, opts: RenderOptions): RenderedAlert {
  const p = intent.probe;
  const v = intent.verdict;
  const obs = intent.observation ?? null;
  const head = title(intent);
  const subject = fitSubject(redactText(`${subjectPrefix(intent)}: ${subjectDetail(intent)}`));
  const { cause, fixes } = diagnose(intent);

  const lines: string[] = [head, ''];
  if (intent.reason === 'reminder' && intent.openedAt) {
    lines.push(`Still open since ${intent.openedAt} (reminder ${intent.sentCount}).`, '');
  }
  if (intent.kind === 'posture-drift' && intent.drift) {
    lines.push('What changed', `  ${intent.drift.message}`, `  Resource: ${intent.drift.resource}`, '');
  } else if (p && v) {
    lines.push('What happened', `  ${whatHappened(intent, p, v)}`, '');
    lines.push('Evidence', `  Verdict: ${v.verdict}${v.path ? ` via ${v.path}` : ''} (${v.reason})`);
    if (obs) lines.push(`  ${describeObservation(obs)}`);
    if (v.deciding) lines.push(`  Deciding: ${describeEvidence(v.deciding)}`);
    const others = v.evidence.filter((e) => e !== v.deciding && e.dedupKey !== v.deciding?.dedupKey);
    for (const e of others.slice(0, 5)) lines.push(`  Also: ${describeEvidence(e)}`);
    if (others.length > 5) lines.push(`  ... and ${others.length - 5} more record(s) in the evidence bundle`);
    if (v.silentSources.length > 0) lines.push(`  Silent sources: ${v.silentSources.join(', ')}`);
    lines.push('');
  }
  if (intent.reason !== 'recovery' && intent.reason !== 'close') {
    lines.push('Likely cause', `  ${cause}`, '');
    if (fixes.length > 0) lines.push('Fix', ...fixes.map((f, i) => `  ${i + 1}. ${f}`), '');
  } else {
    lines.push(cause, '');
    if (fixes.length > 0) lines.push(...fixes.map((f) => `  ${f}`), '');
  }
  lines.push('Details');
  if (p) {
    lines.push(
      `  Probe: ${p.probeId} (run ${p.runId}), planned ${p.createdAt}`,
      `  Object: s3://${p.bucket}/${p.key} (${p.region})`,
      `  URL: ${p.urlRedacted}`,
      `  Vantage: ${p.vantage.id} (${p.vantage.kind}${p.vantage.subnetId ? `, ${p.vantage.subnetId}` : ''}); expected path ${p.expectedPath}`,
    );
  }
  if (opts.bundleKey) lines.push(`  Evidence bundle: ${opts.bundleKey}`);
  if (opts.report)
    lines.push(
      `  Evidence report: s3://${opts.report.bucket}/${opts.report.key} (${s3ConsoleUrl(opts.report)})`,
    );
  lines.push(
    `  Alert: ${intent.dedupKey} (${intent.reason}, ${intent.severity}) at ${opts.now.toISOString()}`,
  );
  const text = redactText(`${lines.join('\n')}\n`);

  const description = [
    p && v
      ? `*What happened:* ${whatHappened(intent, p, v)}`
      : intent.drift
        ? `*What changed:* ${intent.drift.message}`
        : '',
    v?.deciding ? `*Evidence:* ${describeEvidence(v.deciding)}` : v ? `*Evidence:* ${v.reason}` : '',
    intent.reason === 'recovery' ? '' : `*Likely cause:* ${cause}`,
  ]
    .filter((x) => x !== '')
    .join('\n');
  const context: Record<string, string> = {
    severity: intent.severity,
    action: intent.reason,
    kind: intent.kind,
  };
  if (v) {
    context.verdict = v.verdict;
    context.rule = v.code;
    if (v.path) context.path = v.path;
  }
  if (p) {
    Object.assign(context, {
      bucket: p.bucket,
      region: p.region,
      style: p.style,
      method: methodOf(p),
      vantage: p.vantage.id,
      probeId: p.probeId,
      runId: p.runId,
    });
  }
  if (intent.drift) context.resource = intent.drift.resource;
  if (opts.bundleKey) context.evidenceBundle = opts.bundleKey;
  if (opts.report) context.evidenceReport = s3ConsoleUrl(opts.report);
  const chatbot = redactDeep({
    version: '1.0',
    source: 'custom',
    id: `${intent.dedupKey}|${intent.reason}|${opts.now.toISOString()}`,
    content: {
      textType: 'client-markdown',
      title: `${EMOJI[intent.severity]} ${head}`,
      description,
      ...(fixes.length > 0 && intent.reason !== 'recovery' ? { nextSteps: fixes } : {}),
      keywords: [
        'PathGuard',
        intent.severity,
        intent.kind,
        ...(v ? [v.verdict] : []),
        ...(p ? [p.bucket, p.style, p.vantage.id] : []),
      ],
    },
    metadata: {
      threadId: intent.dedupKey,
      summary: subject,
      eventType: `PathGuard ${intent.kind} ${intent.reason}`,
      ...(p ? { relatedResources: [`arn:${partition(p.region)}:s3:::${p.bucket}`] } : {}),
      additionalContext: context,
    },
  });

  const attributes: Record<string, string> = {
    severity: intent.severity,
    kind: intent.kind,
    action: intent.reason,
    verdict: v ? v.verdict : intent.kind,
  };
  if (p) {
    attributes.vantage = p.vantage.id;
    attributes.bucket = p.bucket;
    attributes.style = p.style;
    attributes.method = methodOf(p);
  }
  return {
    dedupKey: intent.dedupKey,
    severity: intent.severity,
    subject,
    text,
    chatbot,
    attributes: redactDeep(attributes),
  };
}

function whatHappened(intent: AlertIntent, p: Probe, v: ProbeVerdict): string {
  const from = `from ${p.vantage.kind === 'onprem' ? 'on-prem runner' : 'VPC runner'} ${p.vantage.id}`;
  const method = methodOf(p);
  const request =
    method === 'get'
      ? 'A presigned GET of'
      : method === 'put'
        ? 'A presigned PUT to'
        : 'A presigned POST form upload to';
  const url = `${request} s3://${p.bucket}/${p.key} (${p.style} endpoint, ${p.urlHost})`;
  if (intent.reason === 'recovery') {
    return v.verdict === 'blocked'
      ? `${url} ${from} is now refused with 403 AccessDenied.`
      : `${url} ${from} took the private path again (${v.path ?? 'endpoint'}).`;
  }
  if (intent.kind === 'left-path') {
    const outside =
      p.vantage.kind === 'onprem' || onPremEgress(v.deciding, intent.facts)
        ? ', reaching S3 from outside AWS'
        : ', staying on the AWS network but not on the endpoint path';
    return `${url} ${from} left the VPC-endpoint path via ${v.path ?? 'a non-endpoint path'}${outside}.`;
  }
  if (intent.kind === 'runner-silent')
    return `${url} was planned, but runner ${p.vantage.id} never reported fetching it.`;
  return `${url} ${from} cannot be proven private: ${v.reason}`;
}
