import type { ParseError, RejectCode } from '../result.js';

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
      this.samples.push({ source, line, code: error.code, message: error.message });
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
