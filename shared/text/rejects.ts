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
 * Counts rejected lines and keeps the first few as samples, so bad input is never fatal and never
 * silent. Counting is O(1) per reject; only `maxSamples` are kept whatever the input size.
 * Samples are stored ready to print: a message may quote the input (a JSON.parse error does),
 * so source and message go through {@link displayText} (secrets redacted, control characters
 * escaped) and the message is cut at 200 characters.
 */
export class RejectCounter {
  count = 0;
  readonly byCode: Partial<Record<RejectCode, number>> = {};
  readonly samples: RejectSample[] = [];

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

  /** One summary line plus one line per sample, e.g. `rejected 2 (BAD_NUMBER 2)`. */
  format(): string[] {
    const codes = Object.entries(this.byCode)
      .map(([code, n]) => `${code} ${n}`)
      .join(', ');
    const lines = [`rejected ${this.count}${this.count > 0 ? ` (${codes})` : ''}`];
    for (const s of this.samples) lines.push(`  ${s.source}:${s.line}: ${s.code}: ${s.message}`);
    return lines;
  }
}
