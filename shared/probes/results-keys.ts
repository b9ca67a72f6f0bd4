/**
 * Where probes and observations live in the results bucket. Probe records are filed by their UTC
 * creation day and named from their creation time (`probes/YYYY/MM/DD/HHMMSSmmm-<probeId>.json`),
 * so a run reads only the window's day folders and, in the first, starts listing at the window's
 * start: the S3 calls of one analysis stay the same however much history the bucket keeps (before
 * day folders every run listed and read every probe ever stored). A probe id starts with the same
 * creation time (ULID), so `explain` finds a record from its id alone.
 */
import { probeIdTime } from './plan.js';

const DAY = 86_400_000;

function dayFolder(ms: number): string {
  const d = new Date(ms).toISOString();
  return `probes/${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/`;
}

/** `HHMMSSmmm` of a UTC time: names sort by time within a day folder. */
function timeName(ms: number): string {
  const d = new Date(ms).toISOString();
  return `${d.slice(11, 13)}${d.slice(14, 16)}${d.slice(17, 19)}${d.slice(20, 23)}`;
}

/** `probes/YYYY/MM/DD/HHMMSSmmm-<probeId>.json`, from the probe's creation time (UTC). */
export function probeRecordKey(probe: { probeId: string; createdAt: string }): string {
  const t = Date.parse(probe.createdAt);
  return `${dayFolder(t)}${timeName(t)}-${probe.probeId}.json`;
}

/**
 * The record key of a probe from its id alone: a probe id begins with its creation time, the
 * same instant as its `createdAt`. Null for a string that is not a probe id.
 */
export function probeRecordKeyOf(probeId: string): string | null {
  const t = probeIdTime(probeId);
  return t === null ? null : probeRecordKey({ probeId, createdAt: new Date(t).toISOString() });
}

/** The observation report's key has one home, next to the orders that sign its PUT. */
export { observationKey } from './orders.js';

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
    // Names created at `start` or later are longer than their time, so they sort after it.
    out.push(day === first ? { prefix, startAfter: `${prefix}${timeName(start)}` } : { prefix });
  }
  return out;
}

/**
 * A member account's prefix of an organisation's central results bucket (`members/<account>/`,
 * all a member may write), and with a Region the folder of that account x Region
 * (`members/<account>/<region>/`): its probes, observations, environment, verdicts and reports,
 * so two Regions of one account never share an environment or an alert state.
 *
 * @example memberResultsPrefix('111122223333', 'eu-west-1') // 'members/111122223333/eu-west-1/'
 */
export function memberResultsPrefix(account: string, region?: string): string {
  return region ? `members/${account}/${region}/` : `members/${account}/`;
}
