import { redactText } from '../endpoints/redact.js';
import type { RenderedAlert } from '../ports/index.js';
import type { AlertIntent } from './state.js';

const SUBJECT_MAX = 100;

function findingCodes(inspection: unknown): string[] {
  const f = (inspection as { findings?: { code?: unknown }[] } | null)?.findings;
  return Array.isArray(f) ? f.map((x) => String(x.code)) : [];
}

/** Likely cause and fix for a probe that left the path, from its style, path and URL findings. */
export function likelyCause(intent: AlertIntent): { cause: string; fix: string } {
  const p = intent.probe;
  const path = intent.verdict?.path ?? null;
  const codes = p ? findingCodes(p.inspection) : [];
  if (intent.kind === 'runner-silent') {
    return {
      cause: `runner ${p?.vantage.id} did not report an observation in time`,
      fix: 'check the runner host: its timer, its credentials to read its order, and its connectivity to the results bucket',
    };
  }
  if (intent.kind === 'no-evidence') {
    const silent = intent.verdict?.silentSources.join(', ') || 'the expected log sources';
    return {
      cause: `no log record from ${silent} arrived before the deadline: PathGuard cannot prove the path (a blind spot, not a pass)`,
      fix: 'check that VPC Flow Logs (with traffic-path, pkt-dstaddr, subnet-id), S3 server access logging and the PathGuard log readers are configured and delivering',
    };
  }
  if (codes.includes('LEGACY_GLOBAL_ENDPOINT') || p?.style === 'global') {
    return {
      cause: `the URL uses the legacy global endpoint (${p?.urlHost}), which the regional endpoints do not serve the same way`,
      fix: 'presign with the regional endpoint (SDK region set, no global endpoint option) or with the interface endpoint name',
    };
  }
  if (codes.includes('PUBLIC_ONLY_ENDPOINT') || p?.style === 'accelerate') {
    return {
      cause: `the URL uses a public-only endpoint (${p?.urlHost}: Transfer Acceleration or website), which no VPC endpoint serves`,
      fix: 'presign without Transfer Acceleration; use the regional or interface endpoint name',
    };
  }
  if (p?.vantage.kind === 'onprem') {
    return {
      cause: `on-prem DNS resolved ${p.urlHost} to an address that is not an interface-endpoint address`,
      fix: 'presign with the interface endpoint DNS name, or forward the S3 zone from on-prem DNS to a Route 53 inbound resolver endpoint with the interface endpoint private DNS enabled',
    };
  }
  if (path === 'nat-gateway') {
    return {
      cause: `subnet ${p?.vantage.subnetId} sent the request to the NAT gateway: a route more specific than the gateway endpoint's prefix-list route covers this S3 address, or the endpoint route is missing`,
      fix: 'remove the more specific route to the NAT gateway (or add the gateway endpoint to this route table)',
    };
  }
  if (path === 'internet-gateway') {
    return {
      cause: `subnet ${p?.vantage.subnetId} routes this S3 address through an internet gateway`,
      fix: "associate the S3 gateway endpoint with the subnet's route table",
    };
  }
  return {
    cause: intent.verdict?.reason ?? 'see the evidence',
    fix: 'review the evidence bundle for this probe',
  };
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/**
 * Renders one alert for every channel: an email subject (<= 100 characters) and plain text a
 * person on call can act on, the AWS Chatbot custom-notification document (threaded by dedup key),
 * and SNS message attributes for filtering. Everything passes through redaction.
 */
export function renderAlert(intent: AlertIntent, opts: { now: Date; bundleKey?: string }): RenderedAlert {
  const p = intent.probe;
  const v = intent.verdict;
  const sev = intent.severity.toUpperCase();
  let title: string;
  if (intent.kind === 'posture-drift') title = `Posture drift: ${intent.drift?.code}`;
  else if (intent.kind === 'recovered')
    title = `Recovered: ${p?.bucket} ${p?.style} from ${p?.vantage.id} is private again`;
  else if (intent.kind === 'left-path')
    title = `S3 traffic left the VPC-endpoint path: ${p?.bucket} ${p?.style} from ${p?.vantage.id} (${v?.path})`;
  else if (intent.kind === 'runner-silent') title = `Runner silent: ${p?.vantage.id}`;
  else title = `No evidence: ${p?.bucket} ${p?.style} from ${p?.vantage.id}`;
  const prefix = `[PathGuard ${sev}]${intent.reason === 'reminder' ? ' Reminder:' : ''} `;
  const subject = clip(redactText(prefix + title).replace(/[\r\n]+/g, ' '), SUBJECT_MAX);

  const lines: string[] = [title, ''];
  let cause = '';
  let fix = '';
  if (intent.kind === 'posture-drift' && intent.drift) {
    lines.push(`What changed: ${intent.drift.message}`, `Resource: ${intent.drift.resource}`);
    cause = intent.drift.message;
    fix = 'review the change; restore the endpoint route, endpoint or flow-log format if it was not intended';
  } else if (p && v) {
    ({ cause, fix } = likelyCause(intent));
    lines.push(
      `Verdict: ${v.verdict}${v.path ? ` (${v.path})` : ''}`,
      `Probe: ${p.probeId} (run ${p.runId}), created ${p.createdAt}`,
      `Target: s3://${p.bucket}/${p.key} in ${p.region}, endpoint style ${p.style}`,
      `URL host: ${p.urlHost}`,
      `Vantage: ${p.vantage.id} (${p.vantage.kind}${p.vantage.subnetId ? `, ${p.vantage.subnetId}` : ''})`,
      `Expected path: ${p.expectedPath}`,
      '',
      'Evidence:',
      `  ${v.reason}`,
      ...v.evidence
        .slice(0, 5)
        .map((e) => `  - ${e.source}: ${e.decision.path} [${e.decision.rule}] ${e.decision.reason}`),
    );
    if (intent.kind !== 'recovered') lines.push('', `Likely cause: ${cause}`, `Fix: ${fix}`);
  }
  if (opts.bundleKey) lines.push('', `Evidence bundle: ${opts.bundleKey}`);
  lines.push('', `Alert key: ${intent.dedupKey} (${intent.reason})`, `Sent: ${opts.now.toISOString()}`);
  const text = redactText(lines.join('\n'));

  const chatbot = {
    version: '1.0',
    source: 'custom',
    id: `${intent.dedupKey}|${opts.now.toISOString()}`,
    content: {
      textType: 'client-markdown',
      title: redactText(
        `${intent.severity === 'critical' ? ':rotating_light: ' : intent.severity === 'warning' ? ':warning: ' : ':white_check_mark: '}${title}`,
      ),
      description: redactText(
        p && v
          ? `*${v.verdict}*${v.path ? ` via \`${v.path}\`` : ''}: ${v.reason}${cause ? `\n*Likely cause:* ${cause}` : ''}`
          : (intent.drift?.message ?? ''),
      ),
      ...(fix && intent.kind !== 'recovered' ? { nextSteps: [redactText(fix)] } : {}),
      keywords: [intent.severity, intent.kind, ...(p ? [p.vantage.id, p.style] : [])],
    },
    metadata: {
      threadId: intent.dedupKey,
      summary: subject,
      eventType: intent.kind,
      additionalContext: {
        ...(p ? { bucket: p.bucket, style: p.style, vantage: p.vantage.id, probeId: p.probeId } : {}),
        ...(opts.bundleKey ? { bundle: opts.bundleKey } : {}),
      },
    },
  };
  const attributes: Record<string, string> = { severity: intent.severity, kind: intent.kind };
  if (v) attributes.verdict = v.verdict;
  if (p) {
    attributes.vantage = p.vantage.id;
    attributes.bucket = p.bucket;
    attributes.style = p.style;
  }
  return { dedupKey: intent.dedupKey, severity: intent.severity, subject, text, chatbot, attributes };
}
