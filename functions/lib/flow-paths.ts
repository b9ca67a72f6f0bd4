import { FLOW_MEMO_KEY_FIELDS, type FlowPathMemo } from '../../shared/classify/flow-memo.js';
import type { PathKind } from '../../shared/classify/types.js';
import type { FlowFormat } from '../../shared/flow-logs/format.js';
import type { FlowRecord } from '../../shared/flow-logs/types.js';

/** Records counted per path (`classify --summary`); `unclassified`: rule 1, no addresses. */
export interface FlowPathCounts {
  readonly paths: Record<string, number>;
  unclassified: number;
}

/**
 * The parser callbacks (FlowStreamOptions `onLine`, `lineFields`, `onRecord`) that count each
 * record's path into `counts` through `memo`: a line whose kind of record the memo has seen is
 * counted from its bytes, no record built; the parser builds the others and `record` classifies
 * and remembers them.
 */
export function flowPathCounter(
  memo: FlowPathMemo,
  counts: FlowPathCounts,
): {
  readonly lineFields: readonly string[];
  readonly line: (b: Buffer, s: number, e: number, f: FlowFormat, spans: Int32Array | null) => boolean;
  readonly record: (r: FlowRecord) => void;
} {
  const count = (p: PathKind | null) => {
    if (p === null) counts.unclassified++;
    else counts.paths[p] = (counts.paths[p] ?? 0) + 1;
  };
  return {
    lineFields: FLOW_MEMO_KEY_FIELDS,
    line: (b, _start, _end, _format, spans) => {
      const p = spans === null ? undefined : memo.pathOfLine(b, spans);
      if (p === undefined) return false;
      count(p);
      return true;
    },
    record: (r) => count(memo.pathOf(r)),
  };
}
