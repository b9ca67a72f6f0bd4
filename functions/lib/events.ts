import * as z from 'zod/mini';
import '../../shared/zod-locale.js';
import { inspectPost, inspectUrl, type UrlInspection } from '../../shared/endpoints/index.js';
import { UserInputError } from '../../shared/errors.js';

/** An EventBridge scheduled event (the only fields we use). */
const scheduled = z.object({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
  id: z.string(),
  time: z.string(),
});

const adhoc = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('probe-now') }),
  // A presigned URL (`url`) or a presigned POST form (`post`: the SDK's `{url, fields}`, or its
  // JSON text); the form's contents are read, with coded findings, by inspectPost.
  z
    .strictObject({
      action: z.literal('inspect-url'),
      url: z.optional(z.string().check(z.minLength(1))),
      post: z.optional(z.union([z.string().check(z.minLength(1)), z.record(z.string(), z.unknown())])),
    })
    .check(
      z.refine((e) => (e.url === undefined) !== (e.post === undefined), {
        message: 'inspect-url takes either url or post',
      }),
    ),
  z.strictObject({ action: z.literal('analyze'), since: z.optional(z.iso.datetime({ offset: true })) }),
  z.strictObject({
    action: z.literal('explain'),
    probeId: z.string().check(z.regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'expected a probe id')),
  }),
]);

export type HandlerEvent =
  | { kind: 'scheduled'; id: string; time: Date }
  | { kind: 'probe-now' }
  | { kind: 'inspect-url'; url: string }
  | { kind: 'inspect-post'; post: unknown }
  | { kind: 'analyze'; since?: Date }
  | { kind: 'explain'; probeId: string };

/**
 * Validates a Lambda event at the edge: a scheduled EventBridge event, or one of the ad-hoc
 * console events. Anything else is a clear error naming the accepted shapes; the raw event is
 * never echoed back (it could hold a presigned URL).
 */
export function parseHandlerEvent(event: unknown): HandlerEvent {
  const s = scheduled.safeParse(event);
  if (s.success) {
    const time = new Date(s.data.time);
    if (Number.isNaN(time.getTime()))
      throw new UserInputError('BAD_EVENT', 'scheduled event has an invalid time');
    return { kind: 'scheduled', id: s.data.id, time };
  }
  const a = adhoc.safeParse(event);
  if (a.success) {
    const d = a.data;
    switch (d.action) {
      case 'probe-now':
        return { kind: 'probe-now' };
      case 'inspect-url':
        return d.url !== undefined
          ? { kind: 'inspect-url', url: d.url }
          : { kind: 'inspect-post', post: d.post };
      case 'analyze':
        return d.since ? { kind: 'analyze', since: new Date(d.since) } : { kind: 'analyze' };
      case 'explain':
        return { kind: 'explain', probeId: d.probeId };
    }
  }
  const issue = a.error?.issues[0];
  throw new UserInputError(
    'BAD_EVENT',
    `unsupported event${issue ? ` (${describeIssue(issue)})` : ''}; send an EventBridge schedule or {"action":"probe-now"}, {"action":"inspect-url","url":"…"}, {"action":"inspect-url","post":{"url":"…","fields":{…}}}, {"action":"analyze","since":"ISO"} or {"action":"explain","probeId":"…"}`,
  );
}

/** The keys the accepted shapes name: the only parts of an event a message may repeat. */
const KNOWN_KEYS = new Set(['action', 'url', 'post', 'since', 'probeId']);

/**
 * What is wrong, in words of our own: zod quotes an unknown key in its message (`Unrecognized key:
 * "…"`), and a key is input like any other (a presigned URL pasted as a key would be echoed).
 * Only known key names and our fixed texts are repeated; unknown keys are counted.
 */
function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map((p) => (typeof p === 'string' && KNOWN_KEYS.has(p) ? p : '…')).join('.');
  if (issue.code === 'unrecognized_keys') {
    const n = issue.keys.length;
    return `${path || 'event'}: ${n} unknown key${n === 1 ? '' : 's'}`;
  }
  const where = path || 'action';
  switch (issue.code) {
    case 'custom':
      // Our own refinements' fixed texts.
      return issue.message;
    case 'invalid_type':
      return `${where}: expected ${issue.expected}`;
    case 'invalid_union':
    case 'invalid_value':
      return `${where}: not one of the accepted values`;
    case 'too_small':
      return `${where}: empty`;
    case 'invalid_format':
      return `${where}: ${issue.format === 'regex' ? 'expected a probe id' : `expected ${issue.format}`}`;
    default:
      return `${where}: invalid`;
  }
}

/**
 * The reading an inspect event asks for: a presigned URL's or a presigned POST form's. No AWS
 * call; every string of the result is redacted.
 *
 * @example
 * if (ev.kind === 'inspect-url' || ev.kind === 'inspect-post') return { inspection: inspectionOf(ev, new Date()) };
 */
export function inspectionOf(
  ev: Extract<HandlerEvent, { kind: 'inspect-url' | 'inspect-post' }>,
  now: Date,
): UrlInspection {
  return ev.kind === 'inspect-url' ? inspectUrl(ev.url, { now }) : inspectPost(ev.post, { now });
}
