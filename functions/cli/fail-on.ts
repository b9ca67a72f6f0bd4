import { UserInputError } from '../../shared/errors.js';
import type { PathVerdict } from '../../shared/probes/types.js';

/** Exit status when a verdict named by `--fail-on` was decided (as `inspect-url --fail-on`). */
export const EXIT_FAIL_ON = 3;

/**
 * The verdicts `--fail-on` takes: traffic that left the endpoint path, and a blind spot. `blocked`
 * (a control refused the request, so nothing left) and `pending` (not decided yet) never fail.
 */
export const FAIL_ON_VERDICTS = ['left-path', 'no-evidence'] as const satisfies readonly PathVerdict[];
export type FailOnVerdict = (typeof FAIL_ON_VERDICTS)[number];

/**
 * Reads `--fail-on` (repeatable, or comma-separated: `left-path,no-evidence`). Shared by every
 * command that decides verdicts (`analyze`, `lab`), so the flag means one thing everywhere.
 *
 * @example
 * parseVerdictFailOn(['left-path,no-evidence']); // Set { 'left-path', 'no-evidence' }
 */
export function parseVerdictFailOn(v: unknown): ReadonlySet<FailOnVerdict> {
  const words = (Array.isArray(v) ? v : v === undefined ? [] : [v]).flatMap((x) => String(x).split(','));
  const out = new Set<FailOnVerdict>();
  for (const w of words.map((x) => x.trim())) {
    if (!(FAIL_ON_VERDICTS as readonly string[]).includes(w)) {
      throw new UserInputError('USAGE', `--fail-on must be ${FAIL_ON_VERDICTS.join(' or ')} (got '${w}')`);
    }
    out.add(w as FailOnVerdict);
  }
  return out;
}

/**
 * The exit status for `results` under `--fail-on`: {@link EXIT_FAIL_ON} when any verdict is one of
 * `failOn` (with one stderr line counting them), else 0.
 */
export function failingVerdicts(
  results: readonly { readonly verdict: { readonly verdict: PathVerdict } }[],
  failOn: ReadonlySet<FailOnVerdict>,
  stderr: { write(s: string): unknown },
  command: string,
): number {
  const counts = new Map<FailOnVerdict, number>();
  for (const r of results) {
    const v = r.verdict.verdict as FailOnVerdict;
    if (failOn.has(v)) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  if (counts.size === 0) return 0;
  const what = FAIL_ON_VERDICTS.filter((v) => counts.has(v)).map((v) => `${counts.get(v)} ${v}`);
  stderr.write(`pathguard ${command}: --fail-on: ${what.join(', ')}\n`);
  return EXIT_FAIL_ON;
}
