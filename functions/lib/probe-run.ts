import { createHash, randomBytes } from 'node:crypto';
import type { PathGuardConfig } from '../../shared/config/index.js';
import { inspectUrl, redactText, redactUrl } from '../../shared/endpoints/index.js';
import type { Environment } from '../../shared/env/types.js';
import { PathGuardError } from '../../shared/errors.js';
import { environmentDigest } from '../../shared/evidence/bundle.js';
import { type ObjectStore, type Presigner, WriteConflictError } from '../../shared/ports/index.js';
import { completeProbe, type PlannedProbe, planRun } from '../../shared/probes/plan.js';
import { observationKey, probeRecordKey } from '../../shared/probes/results-keys.js';
import type { Observation, Probe } from '../../shared/probes/types.js';
import { type FetchOptions, fetchProbe } from '../runner/fetch.js';
import { type ProbeRequest, requestUrl } from '../runner/upload.js';

/**
 * Creates a `get` probe's object in its target bucket (S3 PutObject in AWS, the lab endpoint
 * locally). Upload probes (`put`, `post`) have no object before their runner uploads it.
 */
export type PutProbeObject = (p: PlannedProbe) => Promise<void>;

/** Writes the on-prem runners' orders for their planned probes and minted URLs. */
export type WriteOrders = (
  probes: { planned: PlannedProbe; request: ProbeRequest }[],
  runId: string,
  now: Date,
) => Promise<void>;

/** Fetches (or uploads) one probe from this vantage (functions/runner/fetch.ts; tests inject hanging fakes). */
export type FetchProbe = (request: ProbeRequest, opts: FetchOptions) => Promise<Observation>;

/** Claim folder of the orders writer: `_` cannot start a vantage id, so it never meets one. */
export const ORDERS_WRITER_CLAIM = '_orders';

/** Whole-request deadline of one fetch (the runner's default). */
const FETCH_TIMEOUT_MS = 15_000;
/** Fetches in flight at once: a VPC vantage has one probe per target × style, a handful to dozens. */
const DEFAULT_CONCURRENCY = 4;

/** Kept free before Lambda's timeout: storing the last observations, logs and metrics. */
export const RUN_MARGIN_MS = 15_000;

/**
 * The epoch-ms deadline of a run's fetches in a Lambda invocation: the time Lambda gives it less
 * {@link RUN_MARGIN_MS}, so the function returns its report instead of being killed mid-run.
 *
 * @example runProbes(runId, { ...deps, deadline: runDeadline(context) })
 */
export function runDeadline(
  context: { getRemainingTimeInMillis(): number },
  clock: () => number = Date.now,
): number {
  return clock() + context.getRemainingTimeInMillis() - RUN_MARGIN_MS;
}

export interface ProbeRunDeps {
  cfg: PathGuardConfig;
  store: ObjectStore;
  presigner: Presigner;
  putObject: PutProbeObject;
  /** The environment last discovered (for the expected path), if any. */
  env?: Environment;
  /** The VPC vantage this run fetches from (a probe function). Absent: the orders writer, no fetch. */
  vantageId?: string;
  /**
   * Set on the one function that writes orders: every on-prem vantage's probes are planned and
   * their orders written, whatever the VPC vantages (an on-prem-only configuration included).
   */
  writeOrders?: WriteOrders;
  fetchOptions?: Partial<FetchOptions>;
  /** @default fetchProbe */
  fetch?: FetchProbe;
  /** Fetches in flight at once. @default 4 */
  concurrency?: number;
  /**
   * Epoch milliseconds by which every fetch must have ended: the function's timeout less a margin.
   * A fetch still running then is abandoned and reported (`RUN_DEADLINE`), as is one not started.
   */
  deadline?: number;
  /** @default Date.now */
  clock?: () => number;
  now: Date;
}

export interface ProbeRunResult {
  runId: string;
  duplicate: boolean;
  probes: Probe[];
  observations: Observation[];
  failures: { probeId: string | null; stage: string; code: string; message: string }[];
}

type Minted = { planned: PlannedProbe; probe: Probe; request: ProbeRequest };
type Fail = (probeId: string | null, stage: string, e: unknown) => void;

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/**
 * One probe run: claim it (a repeated scheduled delivery finds the claim and stops), plan the
 * probes, create the probe objects, presign, store each probe (URL redacted), write the on-prem
 * orders (when this function writes them) before any fetch, then fetch this VPC vantage's probes
 * with bounded concurrency inside the deadline and store the observations. One failing target,
 * style or fetch never stops the others: failures are collected and returned (partial failure).
 */
export async function runProbes(runId: string, deps: ProbeRunDeps): Promise<ProbeRunResult> {
  const { cfg, store, now } = deps;
  const result: ProbeRunResult = { runId, duplicate: false, probes: [], observations: [], failures: [] };
  const claimant = deps.vantageId ?? ORDERS_WRITER_CLAIM;
  try {
    await store.putJson(
      `runs/${claimant}/${runId}.json`,
      { runId, vantage: claimant, startedAt: now.toISOString() },
      { ifNoneMatch: '*' },
    );
  } catch (e) {
    if (e instanceof WriteConflictError) return { ...result, duplicate: true };
    throw e;
  }
  const vantages = [
    ...(deps.vantageId ? [deps.vantageId] : []),
    ...(deps.writeOrders ? cfg.vantages.filter((v) => v.kind === 'onprem').map((v) => v.id) : []),
  ];
  const fail: Fail = (probeId, stage, e) =>
    result.failures.push({
      probeId,
      stage,
      code: (e as { code?: string; name?: string }).code ?? (e as { name?: string }).name ?? 'ERROR',
      message: redactText(e instanceof Error ? e.message : String(e)),
    });
  const planned = planRun(
    cfg,
    runId,
    { now, random: (n) => new Uint8Array(randomBytes(n)), sha256 },
    vantages,
  );
  const minted = await mintProbes(planned, deps, fail);
  result.probes.push(...minted.map((m) => m.probe));
  // Orders first: a runner on-prem starts its fetches while this function still fetches its own.
  const onprem = minted.filter((x) => x.probe.vantage.kind === 'onprem');
  if (onprem.length > 0 && deps.writeOrders) {
    try {
      await deps.writeOrders(
        onprem.map((x) => ({ planned: x.planned, request: x.request })),
        runId,
        now,
      );
    } catch (e) {
      fail(null, 'write-orders', e);
    }
  }
  const own = minted.filter((x) => deps.vantageId && x.probe.vantage.id === deps.vantageId);
  await fetchAll(own, deps, runId, result, fail);
  return result;
}

async function mintProbes(
  planned: readonly PlannedProbe[],
  deps: ProbeRunDeps,
  fail: Fail,
): Promise<Minted[]> {
  const { cfg, now } = deps;
  // The plan-time reading of the tables: the analyzer finds the environment in force at request
  // time by this digest (issue 10 §1.3).
  const envDigest = deps.env
    ? environmentDigest(deps.env, (t) => createHash('sha256').update(t).digest('hex'))
    : null;
  const minted: Minted[] = [];
  for (const p of planned) {
    try {
      const request = await presignProbe(p, deps);
      const url = requestUrl(request);
      const inspection = inspectUrl(url, {
        now,
        ...(deps.env ? { env: deps.env } : {}),
        ...(p.vantage.subnetId ? { subnetId: p.vantage.subnetId } : {}),
      });
      const probe = completeProbe(p, {
        urlRedacted: redactUrl(url),
        urlHost: inspection.host ?? '',
        expiresAt: new Date(now.getTime() + cfg.urlExpirySeconds * 1000).toISOString(),
        inspection,
        expectedPath: p.vantage.kind === 'vpc' ? inspection.expectedPath.vpc : inspection.expectedPath.onprem,
        ...(envDigest ? { environmentDigest: envDigest } : {}),
      });
      await deps.store.putJson(probeRecordKey(probe), probe);
      minted.push({ planned: p, probe, request });
    } catch (e) {
      fail(p.probeId, 'mint', e);
    }
  }
  return minted;
}

/**
 * The request of one probe: for `get`, the object is created, then its GET presigned; for `put`
 * and `post`, the upload of the probe's bytes is presigned (the runner creates the object).
 */
async function presignProbe(p: PlannedProbe, deps: ProbeRunDeps): Promise<ProbeRequest> {
  const req = {
    bucket: p.bucket,
    key: p.key,
    region: p.region,
    style: p.style,
    expiresInSeconds: deps.cfg.urlExpirySeconds,
    ...(p.accessPointArn ? { accessPointArn: p.accessPointArn } : {}),
    ...(p.mrapArn ? { mrapArn: p.mrapArn } : {}),
    ...(p.interfaceEndpointDns ? { interfaceEndpointDns: p.interfaceEndpointDns } : {}),
  };
  if (p.method === 'get') {
    await deps.putObject(p);
    return { method: 'get', url: await deps.presigner.presignGet(req) };
  }
  const upload = await deps.presigner.presignUpload({
    ...req,
    method: p.method,
    size: p.body.length,
    sha256Base64: Buffer.from(p.sha256, 'hex').toString('base64'),
  });
  return upload.method === 'put'
    ? { method: 'put', url: upload.url, body: p.body }
    : { method: 'post', form: upload.form, body: p.body };
}

class RunDeadlineError extends PathGuardError {
  constructor(started: boolean) {
    super(
      'RUN_DEADLINE',
      started
        ? 'fetch still running at the run deadline (function timeout less a margin); abandoned'
        : 'fetch not started: the run deadline (function timeout less a margin) had passed',
      { started },
    );
  }
}

/**
 * Fetches with at most `concurrency` requests in flight. Each fetch's own deadline is cut to the
 * time left, and the run stops waiting at `deadline` whatever a fetch does, so the function
 * returns (and reports what did not finish) before Lambda kills it.
 */
async function fetchAll(
  items: readonly Minted[],
  deps: ProbeRunDeps,
  runId: string,
  result: ProbeRunResult,
  fail: Fail,
): Promise<void> {
  const clock = deps.clock ?? Date.now;
  const fetch = deps.fetch ?? fetchProbe;
  const deadline = deps.deadline ?? Number.POSITIVE_INFINITY;
  const queue = [...items];
  const one = async (m: Minted): Promise<void> => {
    const left = deadline - clock();
    if (left <= 0) {
      fail(m.probe.probeId, 'fetch', new RunDeadlineError(false));
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<null>((resolve) => {
      if (Number.isFinite(left)) timer = setTimeout(() => resolve(null), left);
    });
    const obs = await Promise.race([
      fetch(m.request, {
        runnerId: m.probe.vantage.id,
        probeId: m.probe.probeId,
        vantageKind: 'vpc',
        expectedSha256: m.probe.sha256,
        ...deps.fetchOptions,
        timeoutMs: Math.min(deps.fetchOptions?.timeoutMs ?? FETCH_TIMEOUT_MS, left),
      }),
      expired,
    ]).finally(() => clearTimeout(timer));
    if (obs === null) {
      fail(m.probe.probeId, 'fetch', new RunDeadlineError(true));
      return;
    }
    try {
      await deps.store.putJson(observationKey(runId, obs.probeId), obs);
      result.observations.push(obs);
    } catch (e) {
      fail(obs.probeId, 'store-observation', e);
    }
  };
  const workers = Array.from(
    { length: Math.min(Math.max(1, deps.concurrency ?? DEFAULT_CONCURRENCY), queue.length) },
    async () => {
      for (let m = queue.shift(); m; m = queue.shift()) {
        try {
          await one(m);
        } catch (e) {
          fail(m.probe.probeId, 'fetch', e);
        }
      }
    },
  );
  await Promise.all(workers);
}
