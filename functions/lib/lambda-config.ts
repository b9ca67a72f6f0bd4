import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod/mini';
import '../../shared/zod-locale.js';
import { type PathGuardConfig, validateConfig } from '../../shared/config/index.js';
import { bucketName, formatIssuePath, runnerId } from '../../shared/config/schema.js';
import { UserInputError, ValidationError } from '../../shared/errors.js';
import { type FlowFormat, parseFlowFormat } from '../../shared/flow-logs/index.js';
import { fail, ok, type Result } from '../../shared/result.js';
import { EVIDENCE_ENV } from './evidence-locations.js';
import { type OrganizationEnv, parseOrganizationEnv } from './organization-env.js';

/** An unset variable and an empty one mean the same: not given. */
const given = <T extends z.core.SomeType>(schema: T) =>
  z.pipe(
    z.transform((v: unknown) => (v === '' ? undefined : v)),
    z.optional(schema),
  );

const vpcIds = z.pipe(
  z.pipe(
    z.string(),
    z.transform((s) =>
      s
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean),
    ),
  ),
  z.array(
    z.string().check(z.regex(/^vpc-[0-9a-f]{8,17}$/, 'expected VPC ids such as vpc-0a1b2c3d4e5f6a7b8')),
  ),
);

const flowFormat = z.pipe(
  z.string(),
  z.transform((spec: string, ctx): FlowFormat => {
    const r = parseFlowFormat(spec);
    if (r.ok) return r.value;
    // A format the analyzer cannot read would silently turn every flow record into a reject.
    ctx.issues.push({ code: 'custom', message: r.error.message, input: spec });
    return z.NEVER;
  }),
);

/**
 * Every `PATHGUARD_*` variable the stack sets on a function (infra/constructs/*), validated once
 * at cold start. `PATHGUARD_CONFIG` is the config itself or an s3:// reference to it.
 */
export const lambdaEnvSchema = z.object({
  PATHGUARD_CONFIG: z
    .string({ error: 'is not set (the JSON config or an s3://bucket/key reference)' })
    .check(z.trim(), z.minLength(1, 'is empty (the JSON config or an s3://bucket/key reference)')),
  PATHGUARD_VANTAGE: given(runnerId),
  PATHGUARD_TOPIC_ARN: given(
    z
      .string()
      .check(z.regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/, 'expected an SNS topic ARN')),
  ),
  PATHGUARD_VPC_IDS: given(vpcIds),
  PATHGUARD_FLOW_LOG_FORMAT: given(flowFormat),
  [EVIDENCE_ENV.accessLogBucket]: given(bucketName),
  // An empty prefix is a prefix (the bucket's root), not an unset one.
  [EVIDENCE_ENV.accessLogPrefix]: z.optional(z.string()),
  [EVIDENCE_ENV.flowLogGroup]: given(
    z.string().check(z.regex(/^[\w#/.-]{1,512}$/, 'expected a log group name')),
  ),
  [EVIDENCE_ENV.flowLogBucket]: given(bucketName),
  [EVIDENCE_ENV.flowLogPrefix]: z.optional(z.string()),
  [EVIDENCE_ENV.cloudTrailBucket]: given(bucketName),
  [EVIDENCE_ENV.cloudTrailPrefix]: z.optional(z.string()),
  [EVIDENCE_ENV.accountId]: given(z.string().check(z.regex(/^\d{12}$/, 'expected a 12-digit account id'))),
});

/** The handlers' environment, validated. */
export interface LambdaEnv {
  /** PATHGUARD_CONFIG, trimmed. */
  readonly config: string;
  /** The VPC vantage a probe function runs for (PATHGUARD_VANTAGE). */
  readonly vantage?: string;
  /** Where alerts go when the config names no topic (PATHGUARD_TOPIC_ARN). */
  readonly topicArn?: string;
  /** The VPCs discovery reads (PATHGUARD_VPC_IDS); empty when unset. */
  readonly vpcIds: readonly string[];
  /** The flow-log format of the configured log group (PATHGUARD_FLOW_LOG_FORMAT). */
  readonly flowFormat?: FlowFormat;
  /** The evidence locations the stack passed, by variable name (see `evidenceLocations`). */
  readonly evidence: Readonly<Record<string, string | undefined>>;
  /** The account whose CloudTrail logs are read (PATHGUARD_ACCOUNT_ID). */
  readonly accountId?: string;
  /** The members a central analyze function analyses, and the log archive (organization-env.ts). */
  readonly organization?: OrganizationEnv;
}

/**
 * Validates the `PATHGUARD_*` variables; every bad one is named in the ValidationError's issues.
 *
 * @example
 * const r = parseLambdaEnv(process.env);
 * if (!r.ok) throw r.error; // "environment: PATHGUARD_FLOW_LOG_FORMAT: field 'x' appears twice"
 */
export function parseLambdaEnv(
  env: Readonly<Record<string, string | undefined>>,
): Result<LambdaEnv, ValidationError> {
  const r = lambdaEnvSchema.safeParse(env);
  const org = parseOrganizationEnv(env);
  if (!r.success || !org.ok) {
    return fail(
      new ValidationError('environment', [
        ...(r.success
          ? []
          : r.error.issues.map((i) => ({ path: formatIssuePath(i.path), message: i.message }))),
        ...(org.ok ? [] : org.error.issues),
      ]),
    );
  }
  const v = r.data;
  const evidence: Record<string, string | undefined> = {};
  for (const name of Object.values(EVIDENCE_ENV)) evidence[name] = v[name];
  return ok({
    config: v.PATHGUARD_CONFIG,
    ...(v.PATHGUARD_VANTAGE ? { vantage: v.PATHGUARD_VANTAGE } : {}),
    ...(v.PATHGUARD_TOPIC_ARN ? { topicArn: v.PATHGUARD_TOPIC_ARN } : {}),
    vpcIds: v.PATHGUARD_VPC_IDS ?? [],
    ...(v.PATHGUARD_FLOW_LOG_FORMAT ? { flowFormat: v.PATHGUARD_FLOW_LOG_FORMAT } : {}),
    evidence,
    ...(v[EVIDENCE_ENV.accountId] ? { accountId: v[EVIDENCE_ENV.accountId] } : {}),
    ...(org.value ? { organization: org.value } : {}),
  });
}

/**
 * Reads the raw configuration document a Lambda function runs with: `PATHGUARD_CONFIG` holds the
 * JSON itself or, because Lambda environment variables total at most 4 KB, an `s3://bucket/key`
 * reference to it. Validation is the caller's (once, at cold start).
 */
export async function readConfigDocument(value: string | undefined, s3: () => S3Client): Promise<unknown> {
  if (value === undefined || value.trim() === '') {
    throw new UserInputError(
      'CONFIG_MISSING',
      'PATHGUARD_CONFIG is not set (the JSON config or an s3://bucket/key reference)',
    );
  }
  const text = value.trim();
  if (text.startsWith('s3://')) {
    const rest = text.slice('s3://'.length);
    const slash = rest.indexOf('/');
    if (slash <= 0 || slash === rest.length - 1) {
      throw new UserInputError(
        'CONFIG_REFERENCE_INVALID',
        'PATHGUARD_CONFIG s3:// reference must be s3://bucket/key',
      );
    }
    const out = await s3().send(
      new GetObjectCommand({ Bucket: rest.slice(0, slash), Key: rest.slice(slash + 1) }),
    );
    const body = await out.Body?.transformToString('utf8');
    if (body === undefined) throw new UserInputError('CONFIG_EMPTY', `config object ${text} is empty`);
    return parseJson(body, text);
  }
  return parseJson(text, 'PATHGUARD_CONFIG');
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserInputError('CONFIG_NOT_JSON', `${where} is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * The config a handler runs with, read and validated once. Reading starts at cold start (so the
 * first request does not wait for it) but a failure is never an unhandled rejection at init,
 * which would crash the runtime with no reason in the logs: each call to the returned function
 * rejects with the coded error (CONFIG_MISSING, CONFIG_NOT_JSON, VALIDATION_FAILED…), which the
 * handler reports like any other; the next request reads it again.
 *
 * @example
 * const config = configLoader(process.env.PATHGUARD_CONFIG, () => s3);
 * async function handler() { const cfg = await config(); … }
 */
export function configLoader(value: string | undefined, s3: () => S3Client): () => Promise<PathGuardConfig> {
  const start = () => {
    const p = (async () => {
      const r = validateConfig(await readConfigDocument(value, s3));
      if (!r.ok) throw r.error;
      return r.value;
    })();
    // Marks the rejection handled here; every caller still receives it.
    p.catch(() => undefined);
    return p;
  };
  let loading = start();
  return async () => {
    try {
      return await loading;
    } catch (e) {
      // Read again on the next request: an s3:// config may have failed for a passing reason.
      loading = start();
      throw e;
    }
  };
}

/** What a handler runs with: the validated config and the validated environment. */
export interface LambdaSettings {
  readonly cfg: PathGuardConfig;
  readonly env: LambdaEnv;
}

/**
 * The one loader the handlers share: the `PATHGUARD_*` variables are validated at cold start,
 * then the config is read and validated ({@link configLoader}). A bad variable is a
 * ValidationError every call rejects with (a deployment fault no retry fixes), never a value
 * dropped in silence.
 *
 * @example
 * const settings = settingsLoader(process.env, () => s3);
 * async function handler() { const { cfg, env } = await settings(); … }
 */
export function settingsLoader(
  processEnv: Readonly<Record<string, string | undefined>>,
  s3: () => S3Client,
): () => Promise<LambdaSettings> {
  const parsed = parseLambdaEnv(processEnv);
  if (!parsed.ok) {
    const error = parsed.error;
    return async () => {
      throw error;
    };
  }
  const env = parsed.value;
  const config = configLoader(env.config, s3);
  return async () => ({ cfg: await config(), env });
}
