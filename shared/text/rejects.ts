import type { ParseError, RejectCode } from '../result.js';
import { displayText } from './escape.js';

/** Longest sample message kept, in characters: a reason, not a copy of the input. */
const MAX_SAMPLE_MESSAGE = 200;

/** One sampled reject: where it was and why. */
export interface RejectSample {
  readonly source: string;
  readonly line: number;
  readonly code: RejectCode;
  readonly message: string;
}

/**
 * Why a well-formed item was passed over: not an error, so never a reject, but counted so that
 * nothing is dropped silently. One entry each, with the text the count is printed with.
 */
export const SKIP_REASONS = {
  /** CloudWatch Logs subscription health check: no log data (aws-facts §10.4). */
  CONTROL_MESSAGE: 'CloudWatch Logs subscription CONTROL_MESSAGE payloads, no log data',
  /** CloudTrail Insights event (`eventCategory: Insight`): an API-rate finding, not a request. */
  INSIGHT_EVENT: 'CloudTrail Insights events',
  /** A CloudTrail event that is neither an S3 data event nor a network-activity event. */
  NOT_PATH_EVENT: 'CloudTrail events other than S3 data and network-activity events',
} as const;

export type SkipCode = keyof typeof SKIP_REASONS;

/** What a {@link RejectCounter} counted, as plain data (what crosses a worker-thread boundary). */
export interface RejectTally {
  readonly count: number;
  readonly byCode: Partial<Record<RejectCode, number>>;
  readonly samples: readonly RejectSample[];
  readonly skipped: number;
  readonly skippedBy: Partial<Record<SkipCode, number>>;
}

/**
 * Counts rejected lines and keeps the first few as samples, so bad input is never fatal and never
 * silent. Also counts, apart, the well-formed items a reader passes over ({@link SKIP_REASONS}). Counting is O(1) per reject; only `maxSamples` are kept whatever the input size.
 * Samples are stored ready to print: a message may quote the input (a JSON.parse error does),
 * so source and message go through {@link displayText} (secrets redacted, control characters
 * escaped) and the message is cut at 200 characters.
 */
export class RejectCounter implements RejectTally {
  count = 0;
  readonly byCode: Partial<Record<RejectCode, number>> = {};
  readonly samples: RejectSample[] = [];
  /** Items skipped, not rejected. */
  skipped = 0;
  readonly skippedBy: Partial<Record<SkipCode, number>> = {};

  constructor(private readonly maxSamples = 5) {}

  add(source: string, line: number, error: ParseError): void {
    this.count++;
    this.byCode[error.code] = (this.byCode[error.code] ?? 0) + 1;
    if (this.samples.length < this.maxSamples) {
      const message = displayText(error.message);
      this.samples.push({
        source: displayText(source),
        line,
        code: error.code,
        message:
          message.length > MAX_SAMPLE_MESSAGE ? `${message.slice(0, MAX_SAMPLE_MESSAGE - 1)}…` : message,
      });
    }
  }

  /**
   * Adds what another counter counted (a worker thread's, as plain data after structured clone),
   * as if its items had come after this counter's: merging per-file counters in file order gives
   * the counts, code order and samples one counter would have given reading the files in turn.
   * `lineOffset` is added to the samples' line numbers: the lines before a piece of a file that
   * another counter read from its middle.
   */
  merge(other: RejectTally, lineOffset = 0): void {
    this.count += other.count;
    for (const [code, n] of Object.entries(other.byCode) as [RejectCode, number][])
      this.byCode[code] = (this.byCode[code] ?? 0) + n;
    for (const s of other.samples) {
      if (this.samples.length >= this.maxSamples) break;
      this.samples.push(lineOffset === 0 ? s : { ...s, line: s.line + lineOffset });
    }
    this.skipped += other.skipped;
    for (const [code, n] of Object.entries(other.skippedBy) as [SkipCode, number][])
      this.skippedBy[code] = (this.skippedBy[code] ?? 0) + n;
  }

  /** Counts one item passed over for a reason that is not an error. */
  skip(code: SkipCode, n = 1): void {
    this.skipped += n;
    this.skippedBy[code] = (this.skippedBy[code] ?? 0) + n;
  }

  /**
   * One summary line plus one line per sample, e.g. `rejected 2 (BAD_NUMBER 2)`, and a line
   * `skipped N (…)` naming each reason when anything was skipped.
   */
  format(): string[] {
    const codes = Object.entries(this.byCode)
      .map(([code, n]) => `${code} ${n}`)
      .join(', ');
    const lines = [`rejected ${this.count}${this.count > 0 ? ` (${codes})` : ''}`];
    for (const s of this.samples) lines.push(`  ${s.source}:${s.line}: ${s.code}: ${s.message}`);
    if (this.skipped > 0) {
      const why = Object.entries(this.skippedBy)
        .map(([code, n]) => `${n} ${SKIP_REASONS[code as SkipCode]}`)
        .join('; ');
      lines.push(`skipped ${this.skipped} (${why})`);
    }
    return lines;
  }
}
