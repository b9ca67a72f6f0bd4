import { execFile } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';
import * as z from 'zod';
import { bucketName } from '../../shared/config/schema.js';
import { redactText, redactUrl } from '../../shared/endpoints/redact.js';
import { PathGuardError, UserInputError, ValidationError } from '../../shared/errors.js';
import { type Order, validateOrder } from '../../shared/probes/orders.js';
import type { Observation } from '../../shared/probes/types.js';
import { NodeSha256 } from '../lib/smithy-sha256.js';
import {
  checkedLookup,
  type FetchOptions,
  fetchProbe,
  refusedObservation,
  refuseSpecialAddress,
} from './fetch.js';
import { orderProbeRequest } from './upload.js';

/** runner.json: what an on-prem runner needs to know. Holds no credentials. */
export const runnerConfigSchema = z
  .strictObject({
    runnerId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
    /** Where the order is: an https URL (presigned GET, refreshed by the probe function). */
    orderUrl: z.string().url(),
    /** Exact hosts (`host` or `host:port`) probes and reports may use; the config's S3 endpoint hosts. */
    allowedHosts: z
      .array(
        z
          .string()
          .regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/, 'expected host or host:port'),
      )
      .min(1),
    /**
     * Buckets probe URLs may read (the config's `targets[].bucket`): a path-style host serves
     * every bucket, so the host list alone cannot keep an order to the config's buckets.
     */
    probeBuckets: z.array(bucketName).min(1),
    /** The results bucket: reports go only there, each to its own `observations/<runId>/<probeId>.json`. */
    resultsBucket: bucketName,
    concurrency: z.number().int().min(1).max(16).default(4),
    timeoutMs: z.number().int().min(1000).max(120_000).default(15_000),
    /** Plain HTTP and IP literals (the local lab only). */
    allowHttp: z.boolean().default(false),
    /**
     * Sign the order GET with SigV4 using this host's credentials, instead of a presigned
     * `orderUrl`: `orderUrl` is then the plain S3 URL of `orders/<runnerId>/latest.json`.
     * Credentials come from `credentialProcess` (for IAM Roles Anywhere,
     * `aws_signing_helper credential-process …`) or else from the AWS_ACCESS_KEY_ID,
     * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN environment variables.
     */
    orderAuth: z
      .strictObject({
        kind: z.literal('sigv4'),
        region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected a Region code such as us-east-1'),
        credentialProcess: z.array(z.string().min(1)).min(1).optional(),
      })
      .optional(),
  })
  .superRefine((c, ctx) => {
    if (!c.allowHttp && !c.orderUrl.startsWith('https://')) {
      ctx.addIssue({ code: 'custom', path: ['orderUrl'], message: 'expected an https URL' });
    }
  });

export type RunnerConfig = z.infer<typeof runnerConfigSchema>;

export function parseRunnerConfig(doc: unknown): RunnerConfig {
  const r = runnerConfigSchema.safeParse(doc);
  if (!r.success) {
    throw new ValidationError(
      'runner config',
      r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  return r.data;
}

export interface RunnerDeps {
  /** How to reach the network (the lab injects its vantage DNS and dialer). */
  fetchOptions?: Partial<FetchOptions>;
  now?: () => Date;
  /** One line per event, already redacted. */
  log?: (line: string) => void;
  /** Backoff sleep (tests pass a no-op). */
  sleep?: (ms: number) => Promise<void>;
  /** HTTP for the order and the reports (the lab injects its dialer). @default node http(s) */
  request?: typeof httpRequest;
  /** Environment for SigV4 credentials. @default process.env */
  env?: Record<string, string | undefined>;
}

export interface RunnerProbeResult {
  probeId: string;
  httpStatus: number | null;
  error: string | null;
  uploaded: boolean;
}

export interface RunnerResult {
  runId: string;
  ok: boolean;
  probes: RunnerProbeResult[];
}

/** Largest order or report response kept; the rest is read and dropped. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/**
 * Plain HTTP(S) GET/PUT with one deadline for the whole exchange: connect, send, headers and
 * body. An idle-socket timeout alone is not a deadline: a server trickling one byte every 500 ms
 * never lets the socket idle and would hold the runner (and every later `--interval` pass) for
 * ever. On the deadline the request is destroyed and the promise rejects with `ETIMEDOUT`.
 */
export function httpRequest(
  url: string,
  init: {
    method: 'GET' | 'PUT';
    body?: string;
    timeoutMs: number;
    headers?: Record<string, string>;
    /** Refuses a DNS answer before connecting (see `checkedLookup`); IP literals are not looked up. */
    checkAddress?: (address: string) => string | null;
  },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    let settled = false;
    const settle = (done: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      done();
    };
    const req = mod.request(
      u,
      {
        method: init.method,
        timeout: init.timeoutMs,
        ...(init.checkAddress ? { lookup: checkedLookup(init.checkAddress) } : {}),
        headers: {
          ...init.headers,
          ...(init.body !== undefined
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(init.body) }
            : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_RESPONSE_BYTES) chunks.push(c);
        });
        res.on('end', () =>
          settle(() =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          ),
        );
        res.on('error', (e) => settle(() => reject(e)));
        res.on('aborted', () =>
          settle(() => reject(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' }))),
        );
      },
    );
    const deadline = setTimeout(() => {
      const e = Object.assign(new Error(`no complete response within ${init.timeoutMs} ms`), {
        code: 'ETIMEDOUT',
      });
      settle(() => reject(e));
      req.destroy(e);
    }, init.timeoutMs);
    req.on('timeout', () => req.destroy(Object.assign(new Error('socket idle'), { code: 'ETIMEDOUT' })));
    req.on('error', (e) => settle(() => reject(e)));
    req.end(init.body);
  });
}

async function withBackoff<T>(
  fn: () => Promise<T>,
  retryable: (e: unknown) => boolean,
  sleep: (ms: number) => Promise<void>,
  tries = 4,
): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= tries || !retryable(e)) throw e;
      await sleep(Math.random() * 250 * 2 ** (i - 1));
    }
  }
}

class HttpStatusError extends PathGuardError {
  constructor(readonly status: number) {
    super('HTTP_STATUS', `HTTP ${status}`, { status });
  }
}
const retryable = (e: unknown) => !(e instanceof HttpStatusError) || e.status >= 500 || e.status === 429;

interface HostCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const credentialProcessOutput = z.object({
  Version: z.literal(1),
  AccessKeyId: z.string().min(1),
  SecretAccessKey: z.string().min(1),
  SessionToken: z.string().min(1).optional(),
});

/**
 * This host's credentials for reading its order: the standard `credential_process` contract
 * (what IAM Roles Anywhere's signing helper prints), else the AWS_* environment variables.
 * Error messages never include the process output: it holds the secret key.
 */
async function hostCredentials(
  cfg: RunnerConfig,
  env: Record<string, string | undefined>,
): Promise<HostCredentials> {
  const cmd = cfg.orderAuth?.credentialProcess;
  if (cmd) {
    const [file, ...args] = cmd as [string, ...string[]];
    const out = await new Promise<string>((resolve, reject) => {
      execFile(file, args, { timeout: cfg.timeoutMs, maxBuffer: 64 * 1024 }, (err, stdout) => {
        if (err) {
          reject(
            new PathGuardError(
              'ORDER_CREDENTIALS',
              `credentialProcess ${file} failed (${(err as NodeJS.ErrnoException).code ?? 'exit'} ${err.message.split('\n')[0]?.slice(0, 120)})`,
            ),
          );
        } else resolve(stdout);
      });
    });
    let doc: unknown;
    try {
      doc = JSON.parse(out);
    } catch {
      throw new PathGuardError('ORDER_CREDENTIALS', `credentialProcess ${file} did not print JSON`);
    }
    const c = credentialProcessOutput.safeParse(doc);
    if (!c.success) {
      throw new PathGuardError(
        'ORDER_CREDENTIALS',
        `credentialProcess ${file} printed no Version 1 AccessKeyId/SecretAccessKey`,
      );
    }
    return {
      accessKeyId: c.data.AccessKeyId,
      secretAccessKey: c.data.SecretAccessKey,
      ...(c.data.SessionToken ? { sessionToken: c.data.SessionToken } : {}),
    };
  }
  const id = env.AWS_ACCESS_KEY_ID;
  const secret = env.AWS_SECRET_ACCESS_KEY;
  if (!id || !secret) {
    throw new PathGuardError(
      'ORDER_CREDENTIALS',
      'orderAuth sigv4 needs credentialProcess in runner.json or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
    );
  }
  return {
    accessKeyId: id,
    secretAccessKey: secret,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
  };
}

/** Authorization headers for a SigV4 GetObject on `orderUrl` (header signing, empty payload). */
async function signOrderGet(
  cfg: RunnerConfig,
  env: Record<string, string | undefined>,
): Promise<Record<string, string>> {
  const auth = cfg.orderAuth;
  if (!auth) return {};
  const credentials = await hostCredentials(cfg, env);
  const u = new URL(cfg.orderUrl);
  const query: Record<string, string> = {};
  for (const [k, v] of u.searchParams) query[k] = v;
  const signer = new SignatureV4({
    service: 's3',
    region: auth.region,
    credentials,
    sha256: NodeSha256,
    uriEscapePath: false,
    applyChecksum: true,
  });
  const signed = await signer.sign({
    method: 'GET',
    protocol: u.protocol,
    hostname: u.hostname,
    ...(u.port ? { port: Number(u.port) } : {}),
    path: u.pathname,
    query,
    headers: {
      host: u.host,
      'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    },
  });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) if (k !== 'host') headers[k] = String(v);
  return headers;
}

/**
 * One pass of the on-prem runner: fetch its order, refuse it when stale or when any URL leaves the
 * allowed S3 hosts, fetch every probe with bounded concurrency, and upload each observation through
 * its presigned PUT (retrying network errors, 5xx and 429 with exponential backoff and jitter).
 * Throws a PathGuardError when it cannot work at all (order unreachable, invalid, stale, tampered).
 */
export async function runOnce(cfg: RunnerConfig, deps: RunnerDeps = {}): Promise<RunnerResult> {
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? (() => {});
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const request = deps.request ?? httpRequest;
  // Every connection (order, probes, reports) goes to a checked address: no DNS answer for an
  // S3 host may point the runner at its own machine or the metadata service. The lab
  // (allowHttp) serves S3 on loopback.
  const addressPolicy = cfg.allowHttp ? {} : { checkAddress: refuseSpecialAddress };
  let orderDoc: unknown;
  let body: string;
  // Signed once per pass: a credential failure is its own error, not a retried network error.
  const headers = cfg.orderAuth ? await signOrderGet(cfg, deps.env ?? process.env) : undefined;
  try {
    const res = await withBackoff(
      async () => {
        const r = await request(cfg.orderUrl, {
          method: 'GET',
          timeoutMs: cfg.timeoutMs,
          ...addressPolicy,
          ...(headers ? { headers } : {}),
        });
        if (r.status !== 200) throw new HttpStatusError(r.status);
        return r;
      },
      retryable,
      sleep,
    );
    body = res.body;
  } catch (e) {
    throw new PathGuardError(
      'ORDER_UNAVAILABLE',
      `cannot read the order at ${redactUrl(cfg.orderUrl)}: ${redactText((e as Error).message)}`,
    );
  }
  try {
    orderDoc = JSON.parse(body);
  } catch {
    throw new PathGuardError('ORDER_INVALID', `the order at ${redactUrl(cfg.orderUrl)} is not JSON`);
  }
  const checked = validateOrder(orderDoc, {
    now: now(),
    runnerId: cfg.runnerId,
    allowedHosts: cfg.allowedHosts.map((h) => h.toLowerCase()),
    scope: { probeBuckets: cfg.probeBuckets, resultsBucket: cfg.resultsBucket },
    allowHttp: cfg.allowHttp,
  });
  if (!checked.ok) throw checked.error;
  const order: Order = checked.value;
  const results: RunnerProbeResult[] = new Array(order.probes.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      const p = order.probes[i];
      if (!p) return;
      const fetchOptions: FetchOptions = {
        runnerId: cfg.runnerId,
        probeId: p.probeId,
        vantageKind: 'onprem',
        expectedSha256: p.expectedSha256,
        timeoutMs: cfg.timeoutMs,
        allowedHosts: cfg.allowedHosts,
        ...addressPolicy,
        ...deps.fetchOptions,
      };
      const probeRequest = orderProbeRequest(p);
      const obs: Observation = probeRequest
        ? await fetchProbe(probeRequest, fetchOptions)
        : refusedObservation(
            { method: p.method ?? 'get', url: p.url ?? p.form?.url ?? '' },
            fetchOptions,
            'SHA_MISMATCH',
            'the upload in the order does not match its expectedSha256: not sent',
          );
      let uploaded = false;
      try {
        await withBackoff(
          async () => {
            const r = await request(p.reportUrl, {
              method: 'PUT',
              body: JSON.stringify(obs),
              timeoutMs: cfg.timeoutMs,
              ...addressPolicy,
            });
            if (r.status < 200 || r.status >= 300) throw new HttpStatusError(r.status);
          },
          retryable,
          sleep,
        );
        uploaded = true;
      } catch (e) {
        log(`probe ${p.probeId}: report upload failed: ${redactText((e as Error).message)}`);
      }
      results[i] = {
        probeId: p.probeId,
        httpStatus: obs.httpStatus,
        error: obs.error?.code ?? null,
        uploaded,
      };
      log(
        `probe ${p.probeId} ${obs.host} -> ${obs.remoteAddress ?? '-'}: ${obs.httpStatus ?? obs.error?.code ?? 'no response'}${uploaded ? '' : ' (report not uploaded)'}`,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(cfg.concurrency, order.probes.length) }, worker));
  return { runId: order.runId, ok: results.every((r) => r.uploaded), probes: results };
}

/** Reads runner.json; a user error (exit 2) when it is missing or invalid. */
export function loadRunnerConfig(text: string, file: string): RunnerConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UserInputError('BAD_JSON', `${file}: not valid JSON (${(e as Error).message})`);
  }
  try {
    return parseRunnerConfig(doc);
  } catch (e) {
    throw new UserInputError('BAD_RUNNER_CONFIG', (e as Error).message);
  }
}
