import { createHash } from 'node:crypto';
import type { DriftItem } from '../../shared/alerts/state.js';
import { detectDrift } from '../../shared/env/drift.js';
import { environmentDigest } from '../../shared/evidence/bundle.js';
import { canonicalJson } from '../../shared/evidence/canonical.js';
import type { DiscoveryResult, FlowLogConfig } from './discovery.js';

/** One discovery run as stored in the results bucket: what was seen, when, and its digest. */
export interface EnvironmentSnapshot {
  schemaVersion: 1;
  capturedAt: string;
  /** SHA-256 (hex) of the canonical JSON of environment, flow logs and endpoint states together. */
  digest: string;
  /** SHA-256 of the environment alone: the digest evidence bundles cite. */
  environmentDigest: string;
  environment: DiscoveryResult['environment'];
  flowLogs: FlowLogConfig[];
  endpointStates: Record<string, string>;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The snapshot of a discovery: key order and list order of flow logs do not change the digest,
 * so two runs that saw the same account produce the same digest, and any change (a route, an
 * endpoint's state, a flow log's format) produces another.
 */
export function environmentSnapshot(found: DiscoveryResult, capturedAt: Date): EnvironmentSnapshot {
  const flowLogs = [...found.flowLogs].sort((a, b) =>
    a.flowLogId < b.flowLogId ? -1 : a.flowLogId > b.flowLogId ? 1 : 0,
  );
  const body = { environment: found.environment, flowLogs, endpointStates: found.endpointStates };
  return {
    schemaVersion: 1,
    capturedAt: capturedAt.toISOString(),
    digest: sha256(canonicalJson(body)),
    environmentDigest: environmentDigest(found.environment, sha256),
    ...body,
  };
}

/** Store key of a dated snapshot: sorts by time, names its digest. */
export function snapshotKey(s: EnvironmentSnapshot): string {
  return `environment/snapshots/${s.capturedAt.slice(0, 10)}/${s.capturedAt}-${s.digest.slice(0, 12)}.json`;
}

/**
 * Posture drift between the previous snapshot (null on the first run) and this discovery, for the
 * runner subnets: the domain's rules (shared/env/drift.ts) fed with this run's flow logs and
 * endpoint states. `changed` says whether the snapshot differs from the previous one (store a new
 * dated copy only then).
 */
export function postureDrift(
  prev: EnvironmentSnapshot | null,
  next: EnvironmentSnapshot,
  runnerSubnetIds: readonly string[],
): { items: DriftItem[]; changed: boolean } {
  return {
    items: detectDrift(prev?.environment ?? null, next.environment, {
      runnerSubnetIds,
      flowLogs: next.flowLogs,
      endpointStates: next.endpointStates,
    }),
    changed: prev?.digest !== next.digest,
  };
}
