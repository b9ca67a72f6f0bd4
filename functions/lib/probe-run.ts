import { createHash, randomBytes } from 'node:crypto';
import type { PathGuardConfig } from '../../shared/config/index.js';
import { inspectUrl, redactText, redactUrl } from '../../shared/endpoints/index.js';
import type { Environment } from '../../shared/env/types.js';
import { environmentDigest } from '../../shared/evidence/bundle.js';
import { type ObjectStore, type Presigner, WriteConflictError } from '../../shared/ports/index.js';
import { completeProbe, type PlannedProbe, planRun } from '../../shared/probes/plan.js';
import type { Observation, Probe } from '../../shared/probes/types.js';
import { type FetchOptions, fetchProbe } from '../runner/fetch.js';

/** Creates a probe object in its target bucket (S3 PutObject in AWS, the lab endpoint locally). */
export type PutProbeObject = (p: PlannedProbe) => Promise<void>;

/** Writes the on-prem runners' orders for their planned probes and minted URLs. */
export type WriteOrders = (
  probes: { planned: PlannedProbe; url: string }[],
  runId: string,
  now: Date,
) => Promise<void>;

export interface ProbeRunDeps {
  cfg: PathGuardConfig;
  store: ObjectStore;
  presigner: Presigner;
  putObject: PutProbeObject;
  /** The environment last discovered (for the expected path), if any. */
  env?: Environment;
  /** This function's VPC vantage; on-prem orders are written by the first VPC vantage only. */
  vantageId: string;
  writeOrders?: WriteOrders;
  fetchOptions?: Partial<FetchOptions>;
  now: Date;
}

export interface ProbeRunResult {
  runId: string;
  duplicate: boolean;
  probes: Probe[];
  observations: Observation[];
  failures: { probeId: string | null; stage: string; code: string; message: string }[];
}

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/**
 * One probe run for a VPC vantage: claim the run (a repeated scheduled delivery finds the claim
 * and stops), plan the probes, create the probe objects, presign, store each probe (URL redacted),
 * fetch this vantage's probes from inside the VPC and store the observations, and write the
 * on-prem orders. One failing target, style or fetch never stops the others: failures are
 * collected and returned (partial failure).
 */
export async function runProbes(runId: string, deps: ProbeRunDeps): Promise<ProbeRunResult> {
  const { cfg, store, now } = deps;
  const result: ProbeRunResult = { runId, duplicate: false, probes: [], observations: [], failures: [] };
  try {
    await store.putJson(
      `runs/${deps.vantageId}/${runId}.json`,
      { runId, vantage: deps.vantageId, startedAt: now.toISOString() },
      { ifNoneMatch: '*' },
    );
  } catch (e) {
    if (e instanceof WriteConflictError) return { ...result, duplicate: true };
    throw e;
  }
  const firstVpc = cfg.vantages.find((v) => v.kind === 'vpc')?.id;
  const writesOrders = deps.vantageId === firstVpc;
  const vantages = [
    deps.vantageId,
    ...(writesOrders ? cfg.vantages.filter((v) => v.kind === 'onprem').map((v) => v.id) : []),
  ];
  const planned = planRun(
    cfg,
    runId,
    { now, random: (n) => new Uint8Array(randomBytes(n)), sha256 },
    vantages,
  );
  const fail = (probeId: string | null, stage: string, e: unknown) =>
    result.failures.push({
      probeId,
      stage,
      code: (e as { code?: string; name?: string }).code ?? (e as { name?: string }).name ?? 'ERROR',
      message: redactText(e instanceof Error ? e.message : String(e)),
    });

  // The plan-time reading of the tables: the analyzer finds the environment in force at request
  // time by this digest (issue 10 §1.3).
  const envDigest = deps.env
    ? environmentDigest(deps.env, (t) => createHash('sha256').update(t).digest('hex'))
    : null;
  const minted: { planned: PlannedProbe; probe: Probe; url: string }[] = [];
  for (const p of planned) {
    try {
      await deps.putObject(p);
      const url = await deps.presigner.presignGet({
        bucket: p.bucket,
        key: p.key,
        region: p.region,
        style: p.style,
        expiresInSeconds: cfg.urlExpirySeconds,
        ...(p.accessPointArn ? { accessPointArn: p.accessPointArn } : {}),
        ...(p.interfaceEndpointDns ? { interfaceEndpointDns: p.interfaceEndpointDns } : {}),
      });
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
      await store.putJson(`probes/${runId}/${probe.probeId}.json`, probe);
      result.probes.push(probe);
      minted.push({ planned: p, probe, url });
    } catch (e) {
      fail(p.probeId, 'mint', e);
    }
  }
  for (const m of minted.filter((x) => x.probe.vantage.id === deps.vantageId)) {
    const obs = await fetchProbe(m.url, {
      runnerId: deps.vantageId,
      probeId: m.probe.probeId,
      vantageKind: 'vpc',
      expectedSha256: m.probe.sha256,
      ...deps.fetchOptions,
    });
    try {
      await store.putJson(`observations/${runId}/${obs.probeId}.json`, obs);
      result.observations.push(obs);
    } catch (e) {
      fail(obs.probeId, 'store-observation', e);
    }
  }
  const onprem = minted.filter((x) => x.probe.vantage.kind === 'onprem');
  if (onprem.length > 0 && deps.writeOrders) {
    try {
      await deps.writeOrders(
        onprem.map((x) => ({ planned: x.planned, url: x.url })),
        runId,
        now,
      );
    } catch (e) {
      fail(null, 'write-orders', e);
    }
  }
  return result;
}
