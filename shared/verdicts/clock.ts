/**
 * When a runner's fetch happened, on the analyzer's terms. A runner stamps its report with its own
 * clock (`startedAt`); an on-prem host's clock can be minutes or hours off. Deadlines and flow
 * windows taken from it alone would expire evidence early (a clock behind) or search the wrong
 * minutes of the flow logs. The analyzer's side knows three things that do not depend on that
 * clock:
 * - the probe was planned (and its URL minted) at `createdAt`, by the planner's clock: the fetch
 *   cannot be earlier;
 * - S3 logged the request, matched by its request id, at its own time (access-log `Time`,
 *   CloudTrail `eventTime`; aws-facts §9.1): that is when it happened;
 * - the analysis runs now: the fetch cannot be later; and S3 answered a request that was not an
 *   expired one, so it came before the URL's expiry.
 * Deadlines count from the later of the runner's time and the analyzer's (never early); flow
 * windows cover both readings when they disagree. A disagreement of more than 60 s is reported as
 * an observation finding.
 */
import type { Observation, Probe } from '../probes/types.js';
import type { ObservationFinding } from './engine.js';

/** Seconds of disagreement tolerated before the runner's clock counts as skewed. */
export const CLOCK_SKEW_TOLERANCE_SECONDS = 60;

export interface FetchClock {
  /** The runner's `startedAt` (epoch ms). */
  runnerStartMs: number;
  /** The later of the runner's start and the analyzer's time for it: deadlines count from here. */
  startMs: number;
  /** Where the request may have happened, both clocks considered (epoch ms). */
  windowFromMs: number;
  windowToMs: number;
  /** Runner clock minus the analyzer's reference, in seconds, when it exceeds the tolerance. */
  skewSeconds: number | null;
  /** What the skew was measured against. */
  basis: string | null;
  /** True when measured against S3's own record of the request (else a bound: "at least"). */
  exact: boolean;
}

/** Epoch ms, or NaN. */
function ms(iso: string | null | undefined): number {
  return typeof iso === 'string' ? Date.parse(iso) : Number.NaN;
}

/**
 * The fetch's times, given what the analyzer knows. `s3Time` is when S3 logged the request
 * (matched by request id); `now` the analysis time. Null when the report has no readable start.
 *
 * @example
 * fetchClock(probe, obs, { now, s3Time: new Date('2026-11-25T10:00:02Z') }).skewSeconds; // -3600
 */
export function fetchClock(
  probe: Pick<Probe, 'createdAt' | 'expiresAt'>,
  obs: Observation,
  opts: { now?: Date | null; s3Time?: Date | null } = {},
): FetchClock | null {
  const runner = ms(obs.startedAt);
  if (Number.isNaN(runner)) return null;
  const duration = Math.max(0, obs.timingsMs?.total ?? 0);
  const created = ms(probe.createdAt);
  const expires = ms(probe.expiresAt);
  const now = opts.now?.getTime() ?? Number.NaN;
  const s3 = opts.s3Time?.getTime() ?? Number.NaN;
  const tolerance = CLOCK_SKEW_TOLERANCE_SECONDS * 1000;

  let skew = 0;
  let basis: string | null = null;
  if (!Number.isNaN(s3)) {
    skew = runner - s3;
    basis = `S3 logged the request at ${new Date(s3).toISOString()}`;
  } else if (!Number.isNaN(created) && runner < created - tolerance) {
    skew = runner - created;
    basis = `the probe was planned at ${probe.createdAt}`;
  } else if (!Number.isNaN(now) && runner > now + tolerance) {
    skew = runner - now;
    basis = `the analysis ran at ${new Date(now).toISOString()}`;
  } else if (!Number.isNaN(expires) && runner > expires + tolerance && answeredInTime(obs)) {
    skew = runner - expires;
    basis = `S3 answered before the URL expired at ${probe.expiresAt}`;
  }
  const skewed = Math.abs(skew) > tolerance;
  // The analyzer's time of the request: S3's own record, else no earlier than the planning.
  const reference = !Number.isNaN(s3) ? s3 : created;
  const startMs = Number.isNaN(reference) ? runner : Math.max(runner, reference);
  let windowFromMs = runner;
  let windowToMs = runner + duration;
  if (skewed) {
    const lastPossible = !Number.isNaN(s3)
      ? s3 + duration
      : Math.min(Number.isNaN(expires) ? runner : expires, Number.isNaN(now) ? Infinity : now) + duration;
    windowFromMs = Math.min(runner, Number.isNaN(reference) ? runner : reference);
    windowToMs = Math.max(runner + duration, lastPossible);
  }
  return {
    runnerStartMs: runner,
    startMs,
    windowFromMs,
    windowToMs,
    skewSeconds: skewed ? Math.round(skew / 1000) : null,
    basis: skewed ? basis : null,
    exact: !Number.isNaN(s3),
  };
}

/** S3 answered and the answer was not an expired-URL refusal (then the fetch came before expiry). */
function answeredInTime(obs: Observation): boolean {
  if (obs.httpStatus === null) return false;
  return !(obs.httpStatus === 403 && /request has expired/i.test(obs.s3ErrorMessage ?? ''));
}

/**
 * The `RUNNER_CLOCK_SKEW` finding of a skewed clock, or null.
 *
 * @example
 * clockFinding(obs.runnerId, clock); // { code: 'RUNNER_CLOCK_SKEW', severity: 'warning', message: 'runner onprem-dc1's clock is 3600 s behind …' }
 */
export function clockFinding(runnerId: string, clock: FetchClock | null): ObservationFinding | null {
  if (!clock || clock.skewSeconds === null) return null;
  const s = clock.skewSeconds;
  const way = s < 0 ? 'behind' : 'ahead';
  return {
    code: 'RUNNER_CLOCK_SKEW',
    severity: 'warning',
    message: `runner ${runnerId}'s clock is ${clock.exact ? '' : 'at least '}${Math.abs(s)} s ${way} (it reported starting at ${new Date(
      clock.runnerStartMs,
    ).toISOString()}; ${clock.basis}); deadlines count from ${new Date(clock.startMs).toISOString()} and flow logs are searched over both times. Sync the runner's clock (NTP/chrony).`,
  };
}
