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
import type { CloudTrailRecord } from '../cloudtrail/types.js';
import { redactText } from '../endpoints/redact.js';
import { redactDeep } from '../evidence/redact-deep.js';
import type { EvidenceItem } from '../evidence/types.js';
import type { FlowRecord } from '../flow-logs/types.js';
import type { AlertSeverity, RenderedAlert } from '../ports/index.js';
import { methodOf, type Observation, type Probe, styleAndMethod } from '../probes/types.js';
import type { ProbeVerdict } from '../verdicts/engine.js';
import { diagnose, onPremEgress } from './diagnose.js';
import type { AlertIntent } from './state.js';

export { type Diagnosis, diagnose } from './diagnose.js';

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
