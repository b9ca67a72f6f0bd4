// One piece of a several-thread run (issue 16), in a worker thread or the CLI's own: a whole file
// through the usual readers, or a byte range of a plain file through the range reader. Each kind
// of piece loads its own modules when it first runs: a worker counting flow-log ranges loads the
// flow parser and the range reader, not the classifier, the access-log parser or the gzip, Parquet
// and CloudWatch Logs readers (a worker's modules are part of its start, paid on every run).
import type { Environment } from '../../shared/env/types.js';
import type { RejectTally } from '../../shared/text/rejects.js';
import type { FlowByteRange } from '../lib/read-flow-range.js';

/** What a thread is asked to do with one piece of an input. */
export interface PieceTask {
  /** `flow-ndjson` (byte ranges only) runs in ./piece-ndjson.ts, the others through {@link runPiece}. */
  readonly kind: 'flow-count' | 'flow-classify' | 'access-count' | 'flow-ndjson';
  readonly file: string;
  /** The user's --format, as given. */
  readonly format?: string;
  /** Names the environment of a `flow-classify` task; a thread builds its index once per key. */
  readonly envKey?: string;
  readonly range?: FlowByteRange;
  /** The format assumed in force where the range starts (see FilePiece.startSpec). */
  readonly startSpec?: string;
}

/** What a piece counted. `paths` and `unclassified` are for `flow-classify` only. */
export interface PieceResult {
  readonly records: number;
  readonly paths: Readonly<Record<string, number>>;
  readonly unclassified: number;
  readonly rejects: RejectTally;
  /** Lines of the range (0 for a whole file): added to the line numbers of the ranges after it. */
  readonly lines: number;
  /** The spec of the format in force at the range's end; null for a whole file. */
  readonly endSpec: string | null;
}

/**
 * Runs one piece. `env` is the environment of a `flow-classify` task, needed the first time a
 * thread sees its key (it is sent once per thread, not with every piece).
 */
export async function runPiece(task: PieceTask, env?: Environment): Promise<PieceResult> {
  if (task.kind === 'access-count') return (await import('./piece-access.js')).runAccessPiece(task);
  return (await import('./piece-flow.js')).runFlowPiece(task, env);
}
