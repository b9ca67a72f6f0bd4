import { FLOW_MEMO_KEY_FIELDS, type FlowPathMemo, pathOfAnswer } from '../../shared/classify/flow-memo.js';
import { PATH_KINDS } from '../../shared/classify/index.js';
import type { FlowFormat } from '../../shared/flow-logs/format.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';

/** Records counted per path (`classify --summary`); `unclassified`: rule 1, no addresses. */
export interface FlowPathCounts {
  readonly paths: Record<string, number>;
  unclassified: number;
}

/**
 * The parser callbacks (FlowStreamOptions `onLine`, `lineFields`, `onRecord`) that count each
 * record's path through `memo`: a line whose kind of record the memo has seen is counted from its
 * bytes, no record built; the parser builds the others and `record` classifies and remembers
 * them. The counts reach `counts` when `settle` is called, after the last record: per record they
 * go to a typed array by the memo's answer number, not through a property store by path name.
 */
export function flowPathCounter(
  memo: FlowPathMemo,
  counts: FlowPathCounts,
): {
  readonly lineFields: readonly string[];
  readonly line: (b: Buffer, s: number, e: number, f: FlowFormat, spans: Int32Array | null) => boolean;
  readonly record: (r: FlowRecord) => void;
  /** Adds what was counted since the last call to `counts`. */
  readonly settle: () => void;
} {
  // By answer: 1 not classified, 2 + i PATH_KINDS[i].
  const tally = new Float64Array(2 + PATH_KINDS.length);
  return {
    lineFields: FLOW_MEMO_KEY_FIELDS,
    line: (b, _start, _end, _format, spans) => {
      const a = spans === null ? 0 : memo.answerOfLine(b, spans);
      if (a === 0) return false;
      tally[a] = tally[a]! + 1;
      return true;
    },
    record: (r) => {
      const a = memo.answerOf(r);
      tally[a] = tally[a]! + 1;
    },
    settle: () => {
      for (let a = 1; a < tally.length; a++) {
        const n = tally[a]!;
        if (n === 0) continue;
        const p = pathOfAnswer(a);
        if (p === null) counts.unclassified += n;
        else counts.paths[p] = (counts.paths[p] ?? 0) + n;
        tally[a] = 0;
      }
    },
  };
}
