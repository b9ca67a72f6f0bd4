import type { PathGuardConfig } from '../config/index.js';
import type { Probe, ProbeMethod } from './types.js';

/** What the planner needs from the outside world (randomness and hashing stay out of shared/). */
export interface PlanDeps {
  readonly now: Date;
  /** `n` cryptographically random bytes. */
  readonly random: (n: number) => Uint8Array;
  /** Hex SHA-256 of bytes. */
  readonly sha256: (bytes: Uint8Array) => string;
}

/** A probe before its URL is minted: the object to create and where. */
export interface PlannedProbe
  extends Pick<
    Probe,
    'probeId' | 'runId' | 'createdAt' | 'vantage' | 'bucket' | 'region' | 'style' | 'key' | 'sha256' | 'size'
  > {
  /** `get`: the probe function creates the object and the runner downloads it; `put`/`post`: the runner uploads it. */
  method: ProbeMethod;
  /** The probe object's bytes (random; never a secret, never stored outside the bucket). */
  body: Uint8Array;
  accessPointArn?: string;
  mrapArn?: string;
  interfaceEndpointDns?: string;
}

export const PROBE_SIZE = 64;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A time-sortable unique id (ULID layout): 48-bit milliseconds then 80 random bits, Crockford
 * base32, 26 characters. Lexicographic order is creation order, which keeps store listings and
 * object keys in time order.
 */
export function newProbeId(now: Date, random: (n: number) => Uint8Array): string {
  const time = probeIdTimePrefix(now.getTime());
  const r = random(10);
  let bits = 0;
  let acc = 0;
  let rand = '';
  for (const b of r) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      rand += CROCKFORD[(acc >>> (bits - 5)) & 31]!;
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  return time + rand;
}

/**
 * The 10-character time part of a probe id created at `ms`: every id created at or after `ms`
 * sorts at or after it, so it bounds a store listing by time.
 */
export function probeIdTimePrefix(ms: number): string {
  let t = Math.max(0, Math.floor(ms));
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  return time;
}

/** The creation time (epoch ms) a probe id carries, or null when it is not a probe id. */
export function probeIdTime(probeId: string): number | null {
  if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(probeId)) return null;
  let t = 0;
  for (let i = 0; i < 10; i++) t = t * 32 + CROCKFORD.indexOf(probeId[i]!);
  return t;
}

/** `<prefix>/probes/YYYY/MM/DD/<probeId>.bin` (UTC date of creation). */
export function probeKey(prefix: string, now: Date, probeId: string): string {
  const d = now.toISOString();
  return `${prefix}/probes/${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/${probeId}.bin`;
}

/** A run id for a scheduled time: the interval slot, so a repeated delivery maps to the same run. */
export function runIdFor(time: Date, intervalMinutes: number): string {
  const slot = Math.floor(time.getTime() / (intervalMinutes * 60_000)) * intervalMinutes * 60_000;
  return `run-${new Date(slot).toISOString().replace(/[-:]/g, '').slice(0, 13)}`;
}

/**
 * Plans one run: a probe per (target, style, method, vantage), optionally limited to some vantages (a probe
 * function plans only its own vantage plus the on-prem orders).
 */
export function planRun(
  cfg: PathGuardConfig,
  runId: string,
  deps: PlanDeps,
  onlyVantages?: readonly string[],
): PlannedProbe[] {
  const out: PlannedProbe[] = [];
  const createdAt = deps.now.toISOString();
  for (const vantage of cfg.vantages) {
    if (onlyVantages && !onlyVantages.includes(vantage.id)) continue;
    for (const target of cfg.targets) {
      for (const style of target.styles) {
        for (const method of target.methods) {
          const probeId = newProbeId(deps.now, deps.random);
          const body = deps.random(PROBE_SIZE);
          out.push({
            probeId,
            runId,
            createdAt,
            vantage:
              vantage.kind === 'vpc'
                ? { id: vantage.id, kind: 'vpc', subnetId: vantage.subnetId }
                : { id: vantage.id, kind: 'onprem' },
            bucket: target.bucket,
            region: target.region,
            style,
            method,
            key: probeKey(cfg.probePrefix, deps.now, probeId),
            sha256: deps.sha256(body),
            size: body.length,
            body,
            ...(target.accessPointArn ? { accessPointArn: target.accessPointArn } : {}),
            ...(target.mrapArn ? { mrapArn: target.mrapArn } : {}),
            ...(target.interfaceEndpointDns ? { interfaceEndpointDns: target.interfaceEndpointDns } : {}),
          });
        }
      }
    }
  }
  return out;
}

/** Completes a planned probe with its minted URL's reading. The URL itself is kept only redacted. */
export function completeProbe(
  p: PlannedProbe,
  minted: Pick<
    Probe,
    'urlRedacted' | 'urlHost' | 'expiresAt' | 'inspection' | 'expectedPath' | 'environmentDigest'
  >,
): Probe {
  return {
    probeId: p.probeId,
    runId: p.runId,
    createdAt: p.createdAt,
    vantage: p.vantage,
    bucket: p.bucket,
    region: p.region,
    style: p.style,
    method: p.method,
    key: p.key,
    sha256: p.sha256,
    size: p.size,
    ...minted,
  };
}
