/**
 * Where probes and observations live in the results bucket. Probe records are filed by their UTC
 * creation day, and a probe id starts with its creation time (ULID), so a run reads only the
 * window's day folders and, in the first, starts listing at the window's start: the S3 calls of
 * one analysis stay the same however much history the bucket keeps (before day folders every run
 * listed and read every probe ever stored).
 */
import { probeIdTime, probeIdTimePrefix } from './plan.js';

const DAY = 86_400_000;

function dayFolder(ms: number): string {
  const d = new Date(ms).toISOString();
  return `probes/${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/`;
}

/**
 * `probes/YYYY/MM/DD/<probeId>.json`: the UTC day of the time the id carries (the probe's
 * creation), so `explain` finds a record from its id alone; `createdAt` for an id without one.
 */
export function probeRecordKey(probe: { probeId: string; createdAt: string }): string {
  const t = probeIdTime(probe.probeId) ?? Date.parse(probe.createdAt);
  return `${dayFolder(t)}${probe.probeId}.json`;
}

/** `observations/<runId>/<probeId>.json`: written by a VPC probe function or an on-prem runner. */
export function observationKey(runId: string, probeId: string): string {
  return `observations/${runId}/${probeId}.json`;
}

/** The folder of a run's observations. */
export function observationFolder(runId: string): string {
  return `observations/${runId}/`;
}

/** One store listing: keys under `prefix`, after `startAfter` when set. */
export interface KeyListing {
  prefix: string;
  startAfter?: string;
}

/**
 * The listings that find every probe record created in [from, to]: one per UTC day, the first
 * starting at `from`'s id prefix. Records created after `to` may be listed too (the caller
 * filters on `createdAt`).
 *
 * @example probeListings(new Date('2026-12-03T22:00Z'), new Date('2026-12-04T04:00Z'))
 * // [{ prefix: 'probes/2026/12/03/', startAfter: 'probes/2026/12/03/01KBK…' }, { prefix: 'probes/2026/12/04/' }]
 */
export function probeListings(from: Date, to: Date): KeyListing[] {
  const out: KeyListing[] = [];
  const start = from.getTime();
  const first = Math.floor(start / DAY) * DAY;
  for (let day = first; day <= to.getTime(); day += DAY) {
    const prefix = dayFolder(day);
    // Ids created at `start` or later are longer than their time prefix, so they sort after it.
    out.push(day === first ? { prefix, startAfter: `${prefix}${probeIdTimePrefix(start)}` } : { prefix });
  }
  return out;
}

/** The day folder holding a probe's record, from the time its id carries; null for a non-id. */
export function probeRecordFolder(probeId: string): string | null {
  const t = probeIdTime(probeId);
  return t === null ? null : dayFolder(t);
}
