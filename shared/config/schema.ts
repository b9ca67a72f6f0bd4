import * as z from 'zod/mini';
import '../zod-locale.js';
import { ValidationError } from '../errors.js';
import { fail, ok, type Result } from '../result.js';

const ENDPOINT_STYLES = [
  'regional',
  'global',
  'path-style',
  'dualstack',
  'fips',
  'accelerate',
  'interface-endpoint',
  'access-point',
  'mrap',
] as const;

/**
 * A Multi-Region Access Point ARN as S3 documents it (MultiRegionAccessPointRequests.md:
 * `arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap`): no Region, the account, and the
 * alias S3 generated (lower-case letters and digits, then `.mrap`); the name the user chose is not
 * accepted in its place ("The Multi-Region Access Point alias and ARN cannot be used
 * interchangeably"). Partitions other than `aws` have no Multi-Region Access Points to probe here.
 */
export const MRAP_ARN = /^arn:aws:s3::(\d{12}):accesspoint\/([a-z0-9]{1,63}\.mrap)$/;
/** Probe methods (shared/probes/types.ts `ProbeMethod`). */
const PROBE_METHODS = ['get', 'put', 'post'] as const;

/** An S3 bucket name as PathGuard accepts one (general purpose buckets, DNS-compatible). */
export const bucketName = z
  .string()
  .check(
    z.regex(
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      'expected an S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)',
    ),
  );
const region = z
  .string()
  .check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected a Region code such as us-east-1'));
export const runnerId = z
  .string()
  .check(z.regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected a runner id (lower-case letters, digits, hyphens)'));
const minutes = (def: number) => z._default(z.number().check(z.positive()), def);

/**
 * A Glue/Athena name PathGuard puts in SQL unquoted-safe: lower-case letters, digits, `_`, starting
 * with a letter (Athena lower-cases names; Glue allows at most 255 characters). Checked here so
 * no configured value can change the meaning of a generated statement.
 */
const glueName = z
  .string()
  .check(
    z.regex(
      /^[a-z][a-z0-9_]{0,127}$/,
      'expected a lower-case name (letters, digits, _; starts with a letter)',
    ),
  );

/**
 * Push-down to Athena (issue 15 §2): the queries run in `workgroup` (its settings encrypt the
 * results and may enforce its own output location); `maxBytesScanned` is PathGuard's own cutoff:
 * a query that has scanned more is stopped and the source reports the overrun.
 */
const athena = z.strictObject({
  workgroup: z
    .string()
    .check(z.regex(/^[a-zA-Z0-9._-]{1,128}$/, 'expected an Athena workgroup name (letters, digits, . _ -)')),
  database: glueName,
  /** @default `pathguard_flow_logs` / `pathguard_access_logs` */
  table: z.optional(glueName),
  /** `s3://bucket/prefix/` for results when the workgroup does not enforce its own. */
  outputLocation: z.optional(
    z
      .string()
      .check(
        z.regex(
          /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^\s]*)?$/,
          'expected an s3://bucket/prefix/ URI',
        ),
      ),
  ),
  /** Bytes one query may scan before PathGuard cancels it (at least 10 MB, Athena's minimum bill). */
  maxBytesScanned: z.int().check(z.minimum(10_000_000)),
});
export type AthenaEngineConfig = z.infer<typeof athena>;

const accountId = z.string().check(z.regex(/^\d{12}$/, 'expected a 12-digit account id'));

/**
 * Flow logs queried through Athena. `location` says where and how they are delivered (the
 * `pathguard athena ddl` command needs it; the analyze function otherwise takes it from the flow
 * log discovery finds for the runners).
 */
const flowAthena = z.extend(athena, {
  location: z.optional(
    z.strictObject({
      bucket: bucketName,
      /** The flow log's own prefix, before `AWSLogs/`. @default '' */
      prefix: z._default(
        z
          .string()
          .check(z.regex(/^([A-Za-z0-9!_.()-]+\/)*$/, "expected a key prefix ending in '/' (or empty)")),
        '',
      ),
      /** `hive`: Hive-compatible S3 prefixes (`aws-account-id=…/…/year=…`). @default 'plain' */
      layout: z._default(z.enum(['plain', 'hive']), 'plain'),
      /** Per-hour partitions. @default false */
      hourly: z._default(z.boolean(), false),
      /** @default 'text' */
      fileFormat: z._default(z.enum(['text', 'parquet']), 'text'),
      /** Logs centralised by an organization: `AWSLogs/<org-id>/<account>/…`. */
      orgId: z.optional(
        z.string().check(z.regex(/^o-[a-z0-9]{10,32}$/, 'expected an organization id (o-…)')),
      ),
      /** The flow log's format (`${version} ${srcaddr} …`). @default the default v2 format */
      logFormat: z.optional(z.string()),
      /** Accounts whose logs the table reads. @default the deployment's account */
      accounts: z.optional(z.array(accountId).check(z.minLength(1))),
    }),
  ),
});

/**
 * Access logs queried through Athena: the date-based partitioning S3 writes with a
 * `PartitionedPrefix` (`[prefix][SourceAccountId]/[SourceRegion]/[SourceBucket]/[YYYY]/[MM]/[DD]/…`);
 * `simple` (the unpartitioned key format) makes every query scan the whole prefix.
 */
const accessAthena = z.extend(athena, {
  /** @default 'partitioned' */
  layout: z._default(z.enum(['partitioned', 'simple']), 'partitioned'),
  /** `EventTime` (S3's default) or `DeliveryTime`. @default 'EventTime' */
  dateSource: z._default(z.enum(['EventTime', 'DeliveryTime']), 'EventTime'),
  /** The account that owns the logged buckets. @default the deployment's account */
  sourceAccountId: z.optional(accountId),
});

/** How a source is read: `direct` streams the log objects (the default; the lab uses it). */
const engineOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z._default(z.enum(values), values[0] as T[0]);

const target = z
  .strictObject({
    bucket: bucketName,
    region,
    styles: z.array(z.enum(ENDPOINT_STYLES)).check(z.minLength(1)),
    /**
     * What the probes of every style do: `get` downloads a probe object, `put` uploads one through
     * a presigned PutObject URL, `post` through a presigned POST form. @default ['get']
     */
    methods: z._default(
      z.array(z.enum(PROBE_METHODS)).check(
        z.minLength(1),
        z.refine((m) => new Set(m).size === m.length, 'each method at most once'),
      ),
      ['get'],
    ),
    /** For `access-point`: the access point ARN. */
    accessPointArn: z.optional(
      z
        .string()
        .check(
          z.regex(
            /^arn:aws[a-z-]*:s3:[a-z0-9-]+:\d{12}:accesspoint\/[a-z0-9-]+$/,
            'expected an access point ARN',
          ),
        ),
    ),
    /**
     * For `mrap`: the Multi-Region Access Point ARN, `arn:aws:s3::<account>:accesspoint/<alias>.mrap`
     * (no Region: the request is signed with SigV4a for the Region set `*`, aws-facts §10.2).
     */
    mrapArn: z.optional(
      z
        .string()
        .check(
          z.regex(
            MRAP_ARN,
            'expected a Multi-Region Access Point ARN, arn:aws:s3::<account>:accesspoint/<alias>.mrap (the alias, not the name)',
          ),
        ),
    ),
    /** For `interface-endpoint`: the endpoint's regional DNS name, `bucket.vpce-….s3.<region>.vpce.amazonaws.com`. */
    interfaceEndpointDns: z.optional(
      z
        .string()
        .check(
          z.regex(
            /^bucket\.vpce-[0-9a-z-]+\.s3\.[a-z0-9-]+\.vpce\.amazonaws\.com(\.cn)?$/,
            'expected bucket.vpce-….s3.<region>.vpce.amazonaws.com',
          ),
        ),
    ),
  })
  .check(
    z.superRefine((t, ctx) => {
      if (t.styles.includes('access-point') && !t.accessPointArn) {
        ctx.addIssue({
          code: 'custom',
          path: ['accessPointArn'],
          message: "required when styles include 'access-point'",
        });
      }
      if (t.styles.includes('mrap') && !t.mrapArn) {
        ctx.addIssue({
          code: 'custom',
          path: ['mrapArn'],
          message: "required when styles include 'mrap'",
        });
      }
      if (t.styles.includes('interface-endpoint') && !t.interfaceEndpointDns) {
        ctx.addIssue({
          code: 'custom',
          path: ['interfaceEndpointDns'],
          message: "required when styles include 'interface-endpoint'",
        });
      }
    }),
  );

const vantage = z.discriminatedUnion('kind', [
  z.strictObject({
    id: runnerId,
    kind: z.literal('vpc'),
    subnetId: z.string().check(z.regex(/^subnet-[0-9a-f]{8,17}$/)),
  }),
  z.strictObject({ id: runnerId, kind: z.literal('onprem') }),
]);

/** `engine: 'athena'` needs its `athena` block; any other engine must not carry one. */
function requireAthena(s: { engine: string; athena?: unknown }, ctx: z.core.$RefinementCtx): void {
  if (s.engine === 'athena' && s.athena === undefined)
    ctx.addIssue({ code: 'custom', path: ['athena'], message: "required when engine is 'athena'" });
  if (s.engine !== 'athena' && s.athena !== undefined)
    ctx.addIssue({ code: 'custom', path: ['athena'], message: "only read when engine is 'athena'" });
}

/** A whole number from `min` (to `max`), `def` when absent. */
const count = (def: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z._default(z.int().check(z.minimum(min), z.maximum(max)), def);

const evidence = z.strictObject({
  flowLogs: z._default(
    z
      .strictObject({
        enabled: z._default(z.boolean(), true),
        deadlineMinutes: minutes(20),
        logGroupName: z.optional(z.string()),
        /**
         * `direct` (FilterLogEvents, or the S3 objects), `athena` (flow logs in S3, queried
         * through {@link athena}) or `insights` (CloudWatch Logs Insights queries over the log
         * group). @default 'direct'
         */
        engine: engineOf(['direct', 'athena', 'insights'] as const),
        athena: z.optional(flowAthena),
      })
      .check(z.superRefine(requireAthena)),
    { enabled: true, deadlineMinutes: 20, engine: 'direct' },
  ),
  accessLogs: z._default(
    z
      .strictObject({
        enabled: z._default(z.boolean(), true),
        deadlineMinutes: minutes(360),
        bucket: z.optional(bucketName),
        prefix: z._default(z.string(), ''),
        /** `direct` (the log objects) or `athena` (queried through {@link athena}). @default 'direct' */
        engine: engineOf(['direct', 'athena'] as const),
        athena: z.optional(accessAthena),
      })
      .check(z.superRefine(requireAthena)),
    { enabled: true, deadlineMinutes: 360, prefix: '', engine: 'direct' },
  ),
  cloudTrail: z._default(
    z.strictObject({
      enabled: z._default(z.boolean(), false),
      deadlineMinutes: minutes(30),
      bucket: z.optional(bucketName),
      prefix: z._default(z.string(), ''),
    }),
    { enabled: false, deadlineMinutes: 30, prefix: '' },
  ),
});

/** The monitoring configuration shared by the Lambdas, the CLI and the lab. */
export const configSchema = z
  .strictObject({
    /** Region the deployment runs in (discovery, logs). */
    region,
    /** Key prefix for probe objects in the target buckets. @default 'pathguard' */
    probePrefix: z._default(
      z
        .string()
        .check(
          z.regex(
            /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/,
            'expected a key prefix without leading or trailing slash',
          ),
        ),
      'pathguard',
    ),
    /** Results bucket: probes, observations, evidence bundles, orders, state. */
    resultsBucket: bucketName,
    targets: z.array(target).check(z.minLength(1)),
    vantages: z.array(vantage).check(z.minLength(1)),
    /** Presigned URL lifetime, seconds. @default 900 */
    urlExpirySeconds: count(900, 60, 604800),
    /** Schedule interval, minutes. @default 5 */
    scheduleMinutes: count(5, 1, 1440),
    evidence: z._default(evidence, {
      flowLogs: { enabled: true, deadlineMinutes: 20, engine: 'direct' },
      accessLogs: { enabled: true, deadlineMinutes: 360, prefix: '', engine: 'direct' },
      cloudTrail: { enabled: false, deadlineMinutes: 30, prefix: '' },
    }),
    alerts: z._default(
      z.strictObject({
        /** Reminder interval while an alert stays open, minutes. @default 240 */
        reminderMinutes: count(240, 5),
        topicArn: z.optional(
          z.string().check(z.regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/)),
        ),
      }),
      { reminderMinutes: 240 },
    ),
    /** What discovery cannot see: the on-prem network (its private ranges, public egress, DNS). */
    onPrem: z._default(
      z.strictObject({
        cidrs: z._default(z.array(z.string()), []),
        publicEgressIps: z._default(z.array(z.string()), []),
        dnsMode: z._default(z.enum(['public', 'inbound-resolver']), 'public'),
      }),
      { cidrs: [], publicEgressIps: [], dnsMode: 'public' },
    ),
    /**
     * How long the results bucket keeps what runs write (S3 lifecycle rules of the stack): probe
     * records, observations, run claims and orders for `probesDays` (past the longest evidence
     * deadline, so no open probe expires); evidence bundles, which auditors ask for, for
     * `evidenceDays` (environment snapshots are never expired: each is written only on a change).
     */
    retention: z._default(
      z.strictObject({
        /** @default 35 */
        probesDays: count(35, 1),
        /** @default 400 */
        evidenceDays: count(400, 1),
      }),
      { probesDays: 35, evidenceDays: 400 },
    ),
    /** Buckets whose real presigned-URL traffic is audited from their access logs. */
    monitoredBuckets: z._default(z.array(bucketName), []),
  })
  .check(
    z.superRefine((c, ctx) => {
      const longest = Math.max(
        c.evidence.flowLogs.deadlineMinutes,
        c.evidence.accessLogs.deadlineMinutes,
        c.evidence.cloudTrail.deadlineMinutes,
      );
      if (c.retention.probesDays * 1440 <= longest + 2 * c.scheduleMinutes) {
        ctx.addIssue({
          code: 'custom',
          path: ['retention', 'probesDays'],
          message: `probes would expire before their evidence deadline (${longest} minutes)`,
        });
      }
      if (c.retention.evidenceDays < c.retention.probesDays) {
        ctx.addIssue({
          code: 'custom',
          path: ['retention', 'evidenceDays'],
          message: 'evidence bundles must be kept at least as long as the probes they explain',
        });
      }
      const seen = new Set<string>();
      c.vantages.forEach((v, i) => {
        if (seen.has(v.id))
          ctx.addIssue({
            code: 'custom',
            path: ['vantages', i, 'id'],
            message: `duplicate vantage id '${v.id}'`,
          });
        seen.add(v.id);
      });
    }),
  );

export type PathGuardConfig = z.infer<typeof configSchema>;

/** Formats a zod issue path as `targets[0].styles[1]`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}

/**
 * Validates a config document. The top-level `deployment` and `organization` keys (CDK settings,
 * validated by infra/) are ignored here so the same file serves the stacks and the functions.
 *
 * @example
 * const r = validateConfig(JSON.parse(text));
 * if (!r.ok) throw r.error; // ValidationError naming `targets[0].region`
 */
export function validateConfig(doc: unknown): Result<PathGuardConfig, ValidationError> {
  let input = doc;
  if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
    const { deployment: _d, organization: _o, ...rest } = doc as Record<string, unknown>;
    input = rest;
  }
  const r = configSchema.safeParse(input);
  if (r.success) return ok(r.data);
  return fail(
    new ValidationError(
      'config',
      r.error.issues.map((i) => ({ path: formatIssuePath(i.path), message: i.message })),
    ),
  );
}
