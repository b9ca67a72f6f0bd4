import { methodOf, type PathVerdict, type Probe, type ProbeMethod } from '../../shared/probes/types.js';

/** The fields every `--json` verdict row starts with, named the same in `analyze` and `lab`. */
export interface VerdictRowCore {
  readonly vantage: string;
  readonly style: string;
  /** What the probe did: `get` (download), `put` or `post` (upload). */
  readonly method: ProbeMethod;
  /** The target bucket (never `target`: one name for one thing across commands). */
  readonly bucket: string;
  readonly verdict: PathVerdict;
  readonly path: string | null;
  /**
   * Codes of the URL inspection's findings above `info` (`urlFindings`, since `findings` in a
   * verdict row holds the verdict's own findings, such as RUNNER_CLOCK_SKEW).
   */
  readonly urlFindings: string[];
}

/**
 * The shared head of a verdict row, for every command that prints verdicts as JSON, so a script
 * reading `lab --json` also reads `analyze --json`.
 *
 * @example
 * verdictRowCore(probe, verdict); // { vantage: 'vpc-app', style: 'regional', method: 'get', bucket: 'example-data-bucket', … }
 */
export function verdictRowCore(
  probe: Pick<Probe, 'vantage' | 'style' | 'method' | 'bucket' | 'inspection'>,
  verdict: { readonly verdict: PathVerdict; readonly path: string | null },
): VerdictRowCore {
  return {
    vantage: probe.vantage.id,
    style: probe.style,
    method: methodOf(probe),
    bucket: probe.bucket,
    verdict: verdict.verdict,
    path: verdict.path,
    urlFindings: inspectionFindings(probe.inspection),
  };
}

/** Codes of the findings above `info` of a stored URL inspection (absent or malformed: none). */
export function inspectionFindings(inspection: unknown): string[] {
  const f = (inspection as { findings?: { code?: unknown; severity?: unknown }[] } | null)?.findings;
  if (!Array.isArray(f)) return [];
  return f
    .filter((x) => x && x.severity !== 'info' && typeof x.code === 'string')
    .map((x) => x.code as string);
}
