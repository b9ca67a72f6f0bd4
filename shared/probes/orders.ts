import * as z from 'zod/mini';
import '../zod-locale.js';
import { MRAP_ARN, type PathGuardConfig } from '../config/index.js';
import { parseS3Hostname, readBucketAndKey } from '../endpoints/hostname.js';
import { postFormField, readPostForm } from '../endpoints/post-form.js';
import { redactText, redactUrl } from '../endpoints/redact.js';
import { PathGuardError } from '../errors.js';
import { fail, ok, type Result } from '../result.js';

const hex64 = z.string().check(z.regex(/^[0-9a-f]{64}$/));

/** Largest upload an order may carry, in bytes: a probe object is 64 (shared/probes/plan.ts). */
export const MAX_ORDER_UPLOAD_BYTES = 1024;

/** One probe of an order: a presigned GET URL, a presigned PUT URL and its bytes, or a POST form and its bytes. */
const orderProbeSchema = z
  .strictObject({
    probeId: z.string().check(z.regex(/^[0-9A-HJKMNP-TV-Z]{26}$/)),
    /** What the runner does; absent in orders written before uploads: `get`. */
    method: z.optional(z.enum(['get', 'put', 'post'])),
    /** `get` and `put`: the presigned URL. */
    url: z.optional(z.string().check(z.maxLength(8192))),
    /** `post`: the presigned POST form (`{ url, fields }`). */
    form: z.optional(
      z.strictObject({ url: z.string().check(z.maxLength(8192)), fields: z.record(z.string(), z.string()) }),
    ),
    /** `put` and `post`: the probe object's bytes, base64 (random bytes, not a secret). */
    body: z.optional(
      z
        .string()
        .check(
          z.maxLength(Math.ceil(MAX_ORDER_UPLOAD_BYTES / 3) * 4),
          z.regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected base64'),
        ),
    ),
    /** Hex SHA-256 of the object: of the body downloaded (`get`), of `body` (uploads). */
    expectedSha256: hex64,
    /** Presigned PUT for the observation report. */
    reportUrl: z.string().check(z.maxLength(8192)),
  })
  .check(
    z.superRefine((p, ctx) => {
      const method = p.method ?? 'get';
      const need = (key: 'url' | 'form' | 'body', present: boolean) => {
        if (present && p[key] === undefined)
          ctx.addIssue({ code: 'custom', path: [key], message: `required for method ${method}` });
        if (!present && p[key] !== undefined)
          ctx.addIssue({ code: 'custom', path: [key], message: `not allowed for method ${method}` });
      };
      need('url', method !== 'post');
      need('form', method === 'post');
      need('body', method !== 'get');
    }),
  );

/** What an on-prem runner is told to fetch. Holds presigned URLs: never logged or stored unredacted elsewhere. */
export const orderSchema = z.strictObject({
  schemaVersion: z.literal(1),
  runnerId: z.string().check(z.minLength(1), z.maxLength(63)),
  runId: z.string().check(z.minLength(1), z.maxLength(80)),
  issuedAt: z.iso.datetime(),
  notAfter: z.iso.datetime(),
  probes: z.array(orderProbeSchema).check(z.maxLength(200)),
});

export type Order = z.infer<typeof orderSchema>;
export type OrderProbe = Order['probes'][number];

/** Presigned URLs live at most 7 days (SigV4), so no order can be valid for longer. */
const MAX_ORDER_LIFETIME_MS = 7 * 24 * 3600 * 1000;

/**
 * How far in the future (by the runner's clock) an order's `issuedAt` may lie: 5 minutes. The
 * issuer is a Lambda function on AWS's NTP-synchronised clock and the runner host is expected to
 * run NTP too, so honest skew is seconds; 5 minutes is the clock tolerance Kerberos and Active
 * Directory hosts default to, and a third of the 15 minutes S3 itself tolerates before it answers
 * `RequestTimeTooSkewed`. An order dated further ahead was not written by the probe function for
 * this run: it is pre-dated (to outlive the schedule) or the runner's clock is wrong, and either
 * way its freshness cannot be judged.
 */
export const MAX_ORDER_CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * An order document for one runner: valid from `issuedAt` for `expirySeconds` (the lifetime of
 * the presigned URLs it carries).
 */
export function buildOrder(input: {
  runnerId: string;
  runId: string;
  issuedAt: Date;
  expirySeconds: number;
  probes: Order['probes'];
}): Order {
  return {
    schemaVersion: 1,
    runnerId: input.runnerId,
    runId: input.runId,
    issuedAt: input.issuedAt.toISOString(),
    notAfter: new Date(input.issuedAt.getTime() + input.expirySeconds * 1000).toISOString(),
    probes: input.probes,
  };
}

/** Which buckets an order's URLs may address, whatever their host or addressing style. */
export interface OrderScope {
  /** Buckets probe URLs may read: the config's targets (`targets[].bucket`). */
  readonly probeBuckets: readonly string[];
  /** The bucket reports go to, each only to its own {@link observationKey}. */
  readonly resultsBucket: string;
}

export interface OrderCheck {
  now: Date;
  runnerId: string;
  /** Exact hosts (`host` or `host:port`) the runner may contact, lower case. */
  allowedHosts: readonly string[];
  /** Buckets the probe and report URLs may address. */
  scope: OrderScope;
  /** Plain HTTP and IP literals allowed (the local lab only). @default false */
  allowHttp?: boolean;
}

/** What one URL of an order may address: a bucket of the list, and with `key`, only that object. */
export interface UrlTarget {
  readonly buckets: readonly string[];
  readonly key?: string;
}

/** The results-bucket key of a probe's observation report. */
export function observationKey(runId: string, probeId: string): string {
  return `observations/${runId}/${probeId}.json`;
}

/** The scope of the runners of a config: its targets' buckets and its results bucket. */
export function orderScope(cfg: Pick<PathGuardConfig, 'targets' | 'resultsBucket'>): OrderScope {
  return {
    probeBuckets: [...new Set(cfg.targets.map((t) => t.bucket))].sort(),
    resultsBucket: cfg.resultsBucket,
  };
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * Checks one URL of an order against the allow-list: https only (unless the lab allows http), no
 * user info, no IP literal (unless the lab), and the exact host (with port when not default) in the
 * list. With a `target`, the bucket the URL addresses must be one of its buckets (and the key, when
 * given, exactly that key): a path-style host (`s3.<region>.amazonaws.com`) serves every bucket,
 * so the host alone would let a tampered order send the observation anywhere. This is what keeps
 * a tampered order from turning the runner into a request forwarder.
 */
export function checkOrderUrl(
  raw: string,
  check: Pick<OrderCheck, 'allowedHosts' | 'allowHttp'>,
  target?: UrlTarget,
): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'not a URL';
  }
  if (u.protocol !== 'https:' && !(check.allowHttp && u.protocol === 'http:'))
    return `scheme ${u.protocol} not allowed`;
  if (u.username || u.password) return 'user info not allowed';
  const host = u.hostname.toLowerCase();
  if (!check.allowHttp && (IPV4.test(host) || host.startsWith('['))) return `IP address ${host} not allowed`;
  const withPort = u.port ? `${host}:${u.port}` : host;
  if (!check.allowedHosts.some((h) => h.toLowerCase() === withPort))
    return `host ${withPort} is not an allowed S3 endpoint host`;
  return target ? checkUrlTarget(u, target) : null;
}

/**
 * The bucket and key a URL addresses, read the way S3 reads it (shared/endpoints/hostname.ts):
 * the bucket from a virtual-hosted name (`<bucket>.s3.<region>…`, `<bucket>.bucket.vpce-…`), else
 * the first segment of the path the URL parser leaves (dot segments resolved, percent-encoding
 * decoded: what the runner actually sends). A host S3 does not own (the lab's loopback endpoint)
 * is read path-style. An access point host names its resource itself.
 */
function checkUrlTarget(u: URL, target: UrlTarget): string | null {
  const host = parseS3Hostname(u.hostname);
  // A Multi-Region Access Point, like an access point, names its resource itself.
  if (host.endpointKind === 'mrap') {
    if (target.key !== undefined) return 'a Multi-Region Access Point is not the results bucket';
    return null;
  }
  if (host.endpointKind !== 'not-s3' && host.service !== 's3')
    return `host ${host.host} is not an S3 object endpoint`;
  const read = readBucketAndKey(host, u.pathname, host.endpointKind === 'not-s3');
  if (host.accessPoint) {
    if (target.key !== undefined) return 'an access point is not the results bucket';
    return null;
  }
  if (read.bucket === null || !target.buckets.includes(read.bucket))
    return `bucket ${read.bucket ?? '(none)'} is not one of ${target.buckets.join(', ')}`;
  if (target.key !== undefined && read.key !== target.key)
    return `key ${read.key ?? '(none)'} is not ${target.key}`;
  return null;
}

/**
 * Validates an order document for a runner: schema, runner id, freshness and every URL's host.
 * Errors name the probe and the reason, with URLs redacted.
 */
export function validateOrder(doc: unknown, check: OrderCheck): Result<Order, PathGuardError> {
  const parsed = orderSchema.safeParse(doc);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    return fail(
      new PathGuardError(
        'ORDER_INVALID',
        redactText(`order is invalid: ${i?.path.join('.') || '(root)'}: ${i?.message}`).slice(0, 300),
        {
          issues: parsed.error.issues
            .slice(0, 10)
            .map((x) => ({ path: x.path.join('.'), message: redactText(x.message).slice(0, 300) })),
        },
      ),
    );
  }
  const o = parsed.data;
  if (o.runnerId !== check.runnerId) {
    return fail(
      new PathGuardError('ORDER_WRONG_RUNNER', `order is for runner ${o.runnerId}, not ${check.runnerId}`),
    );
  }
  if (Date.parse(o.issuedAt) > Date.parse(o.notAfter)) {
    return fail(new PathGuardError('ORDER_INVALID', `order ${o.runId} is not valid after it is issued`));
  }
  if (Date.parse(o.issuedAt) - check.now.getTime() > MAX_ORDER_CLOCK_SKEW_MS) {
    return fail(
      new PathGuardError(
        'ORDER_NOT_YET_VALID',
        `order ${o.runId} is issued at ${o.issuedAt}, more than ${MAX_ORDER_CLOCK_SKEW_MS / 60_000} minutes after this host's clock (${check.now.toISOString()}): check the runner's clock`,
      ),
    );
  }
  if (Date.parse(o.notAfter) - check.now.getTime() > MAX_ORDER_LIFETIME_MS) {
    return fail(
      new PathGuardError(
        'ORDER_INVALID',
        `order ${o.runId} claims validity until ${o.notAfter}, beyond 7 days`,
      ),
    );
  }
  const seen = new Set<string>();
  for (const p of o.probes) {
    if (seen.has(p.probeId)) {
      return fail(new PathGuardError('ORDER_INVALID', `order ${o.runId} lists probe ${p.probeId} twice`));
    }
    seen.add(p.probeId);
  }
  if (check.now.getTime() > Date.parse(o.notAfter)) {
    return fail(new PathGuardError('ORDER_STALE', `order ${o.runId} expired at ${o.notAfter}`));
  }
  for (const p of o.probes) {
    const formWhy = p.form ? checkOrderForm(p.form, check) : null;
    if (formWhy) {
      return fail(
        new PathGuardError(
          'ORDER_HOST_NOT_ALLOWED',
          `order ${o.runId} probe ${p.probeId} form ${redactUrl(p.form?.url ?? '')}: ${formWhy}`,
        ),
      );
    }
    for (const [what, url, target] of [
      ['url', p.url ?? p.form?.url ?? '', { buckets: check.scope.probeBuckets }],
      [
        'reportUrl',
        p.reportUrl,
        { buckets: [check.scope.resultsBucket], key: observationKey(o.runId, p.probeId) },
      ],
    ] as const) {
      const why = checkOrderUrl(url, check, target);
      if (why) {
        return fail(
          new PathGuardError(
            'ORDER_HOST_NOT_ALLOWED',
            `order ${o.runId} probe ${p.probeId} ${what} ${redactUrl(url)}: ${why}`,
          ),
        );
      }
    }
  }
  return ok(o);
}

/**
 * The guard of a POST form beyond its `url` (checked like a GET URL): a well-formed form whose
 * `bucket` field, when present, is a probe bucket and whose `key` field names one object. The
 * form's url alone does not say where S3 stores the upload: a path-style url plus a `bucket`
 * field, or a `key` of `${filename}` (replaced by the uploaded file's name), could write elsewhere.
 */
function checkOrderForm(form: unknown, check: Pick<OrderCheck, 'scope'>): string | null {
  const read = readPostForm(form);
  if (!read.ok) return read.error;
  const bucket = postFormField(read.value.fields, 'bucket');
  if (bucket !== undefined && !check.scope.probeBuckets.includes(bucket))
    return `bucket field ${redactText(bucket).slice(0, 70)} is not one of ${check.scope.probeBuckets.join(', ')}`;
  const key = postFormField(read.value.fields, 'key');
  if (key === undefined || key === '') return 'the form has no key field';
  if (key.includes('${filename}')) return 'the key field takes the file name (${filename}): not one object';
  return null;
}

/** DNS suffix of the Region's partition: China Regions use `amazonaws.com.cn`. */
function dnsSuffix(region: string): string {
  return region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
}

/**
 * The S3 hosts a runner may contact for this config: the hosts the SDK puts in presigned URLs for
 * each target bucket and style, virtual-hosted and path style (the SDK falls back to path style
 * for bucket names with dots), plus the results bucket's hosts for the observation reports.
 * Returned sorted, lower case, without ports.
 */
export function allowedS3Hosts(cfg: PathGuardConfig): string[] {
  const hosts = new Set<string>();
  const both = (bucket: string, service: string) => {
    hosts.add(`${bucket}.${service}`);
    hosts.add(service);
  };
  for (const t of cfg.targets) {
    const sfx = dnsSuffix(t.region);
    both(t.bucket, `s3.${t.region}.${sfx}`);
    for (const s of t.styles) {
      if (s === 'global') {
        both(t.bucket, 's3.amazonaws.com');
      } else if (s === 'dualstack') {
        both(t.bucket, `s3.dualstack.${t.region}.${sfx}`);
      } else if (s === 'fips') {
        both(t.bucket, `s3-fips.${t.region}.${sfx}`);
      } else if (s === 'accelerate') {
        // Transfer Acceleration has no path-style form.
        hosts.add(`${t.bucket}.s3-accelerate.amazonaws.com`);
      } else if (s === 'interface-endpoint' && t.interfaceEndpointDns) {
        // Virtual-hosted: `<bucket>.bucket.vpce-…`; path style: `bucket.vpce-…/<bucket>/key`.
        both(t.bucket, t.interfaceEndpointDns.toLowerCase());
      } else if (s === 'access-point' && t.accessPointArn) {
        const m = /^arn:aws[a-z-]*:s3:([a-z0-9-]+):(\d{12}):accesspoint\/([a-z0-9-]+)$/.exec(
          t.accessPointArn,
        );
        if (m?.[1]) hosts.add(`${m[3]}-${m[2]}.s3-accesspoint.${m[1]}.${dnsSuffix(m[1])}`);
      } else if (s === 'mrap' && t.mrapArn) {
        // `<alias>.accesspoint.s3-global.amazonaws.com` (aws-facts §4 H10); no path-style form.
        const m = MRAP_ARN.exec(t.mrapArn);
        if (m?.[2]) hosts.add(`${m[2]}.accesspoint.s3-global.amazonaws.com`);
      }
    }
  }
  both(cfg.resultsBucket, `s3.${cfg.region}.${dnsSuffix(cfg.region)}`);
  return [...hosts].sort();
}

/** Store keys of a runner's order: the one it reads, and the dated copy kept for evidence. */
export function orderKeys(runnerId: string, runId: string, now: Date): { latest: string; dated: string } {
  const d = now.toISOString();
  return {
    latest: `orders/${runnerId}/latest.json`,
    dated: `orders/${runnerId}/${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/${runId}.json`,
  };
}
